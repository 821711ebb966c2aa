"""VROOM JSON in and out: a real solve on Helsinki roads; unassigned tasks carry a reason."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from tests.api.http.conftest import TenantCtx

DEPOT = [24.9316, 60.1690]


def _problem() -> dict[str, object]:
    return {
        "vehicles": [{"id": 1, "profile": "car", "start": DEPOT, "end": DEPOT, "capacity": [10], "time_window": [28_800, 64_800],
                      "skills": [1]}],
        "jobs": [
            {"id": 10, "location": [24.9410, 60.1640], "service": 300, "delivery": [3]},
            {"id": 11, "location": [24.9500, 60.1720], "service": 300, "delivery": [3], "time_windows": [[32_400, 39_600]]},
            {"id": 12, "location": [24.9280, 60.1750], "delivery": [50]},  # beyond capacity
            {"id": 13, "location": [24.9460, 60.1600], "delivery": [1], "skills": [7]},  # no vehicle has skill 7
            {"id": 14, "location": [24.9354, 60.1699], "delivery": [1], "time_windows": [[0, 60]]},  # over before the shift
        ],
        "shipments": [
            {"pickup": {"id": 20, "location": [24.9525, 60.1675]}, "delivery": {"id": 21, "location": [24.9250, 60.1770]},
             "amount": [2]},
        ],
    }  # fmt: skip


def test_vroom_problem_is_solved_with_reasons_for_unassigned(client: TestClient, tenant: TenantCtx) -> None:
    r = client.post("/v1/vroom/solve", params={"time_limit_s": 1.0}, json=_problem(), headers=tenant.planner)
    assert r.status_code == 200, r.text
    sol = r.json()
    assert sol["code"] == 0
    served = {s["id"] for route in sol["routes"] for s in route["steps"] if "id" in s}
    assert {10, 11, 20, 21} <= served
    reasons = {u["id"]: u["reason"] for u in sol["unassigned"]}
    assert reasons == {12: "capacity", 13: "skill", 14: "time_window"}
    route = sol["routes"][0]
    assert route["steps"][0]["type"] == "start"
    assert route["steps"][-1]["type"] == "end"
    types = [s["type"] for s in route["steps"]]
    assert types.index("pickup") < types.index("delivery")
    arrival_11 = next(s["arrival"] for s in route["steps"] if s.get("id") == 11)
    assert 32_400 <= arrival_11 <= 39_600
    assert all(0 <= s["load"][0] <= 10 for s in route["steps"])
    assert sol["summary"]["unassigned"] == 3


def test_vroom_duplicate_ids_and_bad_coordinates_are_named(client: TestClient, tenant: TenantCtx) -> None:
    problem = _problem()
    problem["jobs"] = [*problem["jobs"], {"id": 10, "location": [24.94, 60.16]}]  # type: ignore[list-item]
    r = client.post("/v1/vroom/solve", params={"travel": "straight"}, json=problem, headers=tenant.planner)
    assert r.status_code == 422
    assert r.json()["pointer"] == "/jobs/5/id"
    bad = client.post(
        "/v1/vroom/solve", json={"vehicles": [{"id": 1, "start": [500, 1]}]}, headers=tenant.planner
    )
    assert bad.status_code == 422
    assert bad.json()["pointer"].startswith("/vehicles/0/start")


def test_tenant_day_exports_as_a_vroom_problem_that_solves(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)
    while day.weekday() > 4:
        day += dt.timedelta(days=1)
    client.post("/v1/orders", json={"merchant_id": basics["merchant"], "customer_id": basics["customer"], "tier": "slow",
                                    "weight_g": 2000, "date_from": day.isoformat()}, headers=tenant.staff)  # fmt: skip
    problem = client.get("/v1/vroom/problem", params={"day": day.isoformat()}, headers=tenant.planner).json()
    assert len(problem["vehicles"]) == 1
    assert len(problem["shipments"]) == 1
    sol = client.post(
        "/v1/vroom/solve", params={"time_limit_s": 1.0}, json=problem, headers=tenant.planner
    ).json()
    assert sol["unassigned"] == []


def test_open_route_vehicle_without_end_serves_its_jobs(client: TestClient, tenant: TenantCtx) -> None:
    problem = {"vehicles": [{"id": 7, "start": DEPOT}], "jobs": [{"id": 1, "location": [24.9410, 60.1640]}]}
    r = client.post("/v1/vroom/solve", params={"travel": "straight", "time_limit_s": 0.5}, json=problem,
                    headers=tenant.planner)  # fmt: skip
    assert r.status_code == 200, r.text
    steps = r.json()["routes"][0]["steps"]
    assert [s["type"] for s in steps] == ["start", "job", "end"]
    assert steps[-1]["location"] is None
