"""Plan jobs: a real plan of a small Helsinki week in a worker, with progress, locks and re-plan."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from fastapi.testclient import TestClient

from tests.api.http.conftest import TenantCtx

SPOTS = [(24.9354, 60.1699), (24.9410, 60.1640), (24.9500, 60.1720), (24.9280, 60.1750), (24.9460, 60.1600)]


def _wait(
    client: TestClient, job_id: str, headers: dict[str, str], timeout_s: float = 60
) -> dict[str, object]:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        job = client.get(f"/v1/plan-jobs/{job_id}", headers=headers).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"plan job {job_id} did not finish in {timeout_s} s")


@pytest.fixture
def week(client: TestClient, tenant: TenantCtx, basics: dict[str, str]) -> dt.date:
    """Five orders for the customers of one merchant, all due within the next week."""
    start = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    for i, (lon, lat) in enumerate(SPOTS):
        c = client.post(
            "/v1/customers",
            json={"name": f"C{i}", "phone": f"+358 40 {i}", "lon": lon, "lat": lat},
            headers=tenant.staff,
        ).json()
        r = client.post(
            "/v1/orders",
            json={
                "merchant_id": basics["merchant"],
                "customer_id": c["id"],
                "tier": "slow",
                "weight_g": 3000,
                "date_from": start.isoformat(),
                "date_to": (start + dt.timedelta(days=6)).isoformat(),
            },
            headers=tenant.staff,
        )
        assert r.status_code == 201, r.text
    # The van works every day so that any start weekday has vehicle-days.
    van = client.get(f"/v1/vehicles/{basics['van']}", headers=tenant.planner).json()
    van["working_weekdays"] = list(range(7))
    body = {k: v for k, v in van.items() if k != "id"}
    assert client.put(f"/v1/vehicles/{basics['van']}", json=body, headers=tenant.planner).status_code == 200
    return start


def test_plan_job_reports_progress_and_stores_a_version_serving_every_order(
    client: TestClient, tenant: TenantCtx, week: dt.date
) -> None:
    r = client.post(
        "/v1/plan-jobs",
        json={"start": week.isoformat(), "days": 7, "time_limit_s": 2.0},
        headers=tenant.planner,
    )
    assert r.status_code == 202, r.text
    job = _wait(client, r.json()["id"], tenant.planner)
    assert job["status"] == "done", job
    assert job["elapsed_s"] > 0
    plan = client.get(f"/v1/plans/{job['plan_id']}", headers=tenant.planner).json()
    assert plan["version"] == 1
    served = {leg["order_id"] for leg in plan["body"]["legs"]}
    unassigned = {u["order_id"] for u in plan["body"]["unassigned"]}
    orders = client.get("/v1/orders", headers=tenant.staff).json()
    assert served | unassigned == {o["id"] for o in orders}
    assert {o["status"] for o in orders if o["id"] in served} <= {"planned"}


def test_replan_keeps_a_locked_route_and_makes_a_new_version(
    client: TestClient, tenant: TenantCtx, week: dt.date
) -> None:
    r = client.post(
        "/v1/plan-jobs",
        json={"start": week.isoformat(), "days": 7, "time_limit_s": 1.0},
        headers=tenant.planner,
    )
    first = _wait(client, r.json()["id"], tenant.planner)
    plan = client.get(f"/v1/plans/{first['plan_id']}", headers=tenant.planner).json()
    route = plan["body"]["routes"][0]
    locks = client.post(
        f"/v1/plans/{plan['id']}/locks", json={"route_id": route["id"]}, headers=tenant.planner
    )
    assert locks.json() == [route["id"]]
    bad = client.post(f"/v1/plans/{plan['id']}/locks", json={"route_id": "nope"}, headers=tenant.planner)
    assert bad.status_code == 422
    again = client.post(f"/v1/plans/{plan['id']}/replan", json={"time_limit_s": 1.0}, headers=tenant.planner)
    assert again.status_code == 202, again.text
    second = _wait(client, again.json()["id"], tenant.planner)
    assert second["status"] == "done", second
    new = client.get(f"/v1/plans/{second['plan_id']}", headers=tenant.planner).json()
    assert new["version"] == 2
    assert new["parent_id"] == plan["id"]
    kept = next(r for r in new["body"]["routes"] if r["id"] == route["id"])
    assert kept["stops"] == route["stops"]
    assert [p["version"] for p in client.get("/v1/plans", headers=tenant.planner).json()] == [2, 1]


def test_plan_job_without_vehicles_fails_with_a_reason(client: TestClient, tenant: TenantCtx) -> None:
    start = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    r = client.post("/v1/plan-jobs", json={"start": start.isoformat(), "days": 3}, headers=tenant.planner)
    job = _wait(client, r.json()["id"], tenant.planner)
    assert job["status"] == "failed"
    assert "vehicle" in job["error"]


def test_staff_may_not_start_plans_and_other_tenants_cannot_see_jobs(
    client: TestClient, tenant: TenantCtx
) -> None:
    from tests.api.http.conftest import make_tenant

    start = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    assert (
        client.post("/v1/plan-jobs", json={"start": start.isoformat()}, headers=tenant.staff).status_code
        == 403
    )
    r = client.post("/v1/plan-jobs", json={"start": start.isoformat(), "days": 2}, headers=tenant.planner)
    other = make_tenant(client)
    assert client.get(f"/v1/plan-jobs/{r.json()['id']}", headers=other.planner).status_code == 404
    _wait(client, r.json()["id"], tenant.planner)


def test_route_sheets_in_json_geojson_and_gpx_and_couriers_see_their_own(
    client: TestClient, tenant: TenantCtx, week: dt.date, basics: dict[str, str]
) -> None:
    import xml.etree.ElementTree as ET

    r = client.post(
        "/v1/plan-jobs",
        json={"start": week.isoformat(), "days": 7, "time_limit_s": 1.0},
        headers=tenant.planner,
    )
    job = _wait(client, r.json()["id"], tenant.planner)
    plan_id = job["plan_id"]
    routes = client.get(f"/v1/plans/{plan_id}/routes", headers=tenant.planner).json()
    assert routes
    route_id = routes[0]["route_id"]
    sheet = client.get(f"/v1/plans/{plan_id}/routes/{route_id}/sheet", headers=tenant.staff)
    assert sheet.status_code == 200, sheet.text
    assert sheet.json()["stops"]
    geo = client.get(f"/v1/plans/{plan_id}/routes/{route_id}/sheet.geojson", headers=tenant.planner)
    assert geo.headers["content-type"].startswith("application/geo+json")
    assert geo.json()["type"] == "FeatureCollection"
    gpx = client.get(f"/v1/plans/{plan_id}/routes/{route_id}/sheet.gpx", headers=tenant.planner)
    root = ET.fromstring(gpx.content)
    assert root.tag == "{http://www.topografix.com/GPX/1/1}gpx"
    assert root.attrib["version"] == "1.1"
    mine = tenant.user(client, "courier", vehicle_id=basics["van"])
    assert [x["route_id"] for x in client.get(f"/v1/plans/{plan_id}/routes", headers=mine).json()] == [
        x["route_id"] for x in routes
    ]
    hub = client.get(f"/v1/vehicles/{basics['van']}", headers=tenant.planner).json()["depot_id"]
    bike = client.post(
        "/v1/vehicles",
        json={"name": "Bike", "profile": "cargo_bike", "fuel": "electric", "capacity_g": 100_000, "capacity_ml": 500_000,
              "capacity_parcels": 20, "energy_wh_per_100km": 1500, "depot_id": hub},
        headers=tenant.planner,
    ).json()  # fmt: skip
    other = tenant.user(client, "courier", vehicle_id=bike["id"])
    assert client.get(f"/v1/plans/{plan_id}/routes", headers=other).json() == []
    assert client.get(f"/v1/plans/{plan_id}/routes/{route_id}/sheet.gpx", headers=other).status_code in (
        403,
        404,
    )
    assert (
        client.get(f"/v1/plans/{plan_id}/routes/{route_id}/sheet", headers=tenant.planner).status_code == 200
    )


def test_plan_job_in_a_process_of_its_own(
    backend_settings: object, client: TestClient, tenant: TenantCtx, week: dt.date
) -> None:
    """With several server processes, plan jobs run in fresh processes and report through the database."""
    from tournee.api.app import create_app
    from tournee.api.settings import Settings

    assert isinstance(backend_settings, Settings)
    if backend_settings.database_url:
        pytest.skip("one backend is enough for the executor (spawning costs seconds)")
    app = create_app(backend_settings.with_overrides(plan_executor="process", migrate_on_startup=False))
    with TestClient(app) as other:
        r = other.post(
            "/v1/plan-jobs",
            json={"start": week.isoformat(), "days": 7, "time_limit_s": 1.0},
            headers=tenant.planner,
        )
        assert r.status_code == 202, r.text
        job = _wait(other, r.json()["id"], tenant.planner, timeout_s=90)
    assert job["status"] == "done", job
    assert client.get(f"/v1/plans/{job['plan_id']}", headers=tenant.planner).status_code == 200


def test_plan_job_progress_streams_as_server_sent_events(
    client: TestClient, tenant: TenantCtx, week: dt.date
) -> None:
    import json

    r = client.post(
        "/v1/plan-jobs",
        json={"start": week.isoformat(), "days": 7, "time_limit_s": 1.0},
        headers=tenant.planner,
    )
    with client.stream("GET", f"/v1/plan-jobs/{r.json()['id']}/events", headers=tenant.planner) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = [
            json.loads(line[len("data: ") :]) for line in stream.iter_lines() if line.startswith("data: ")
        ]
    assert events[-1]["status"] == "done"
    assert len(events) >= 2
    assert client.get("/v1/plan-jobs/nope/events", headers=tenant.planner).status_code == 404
