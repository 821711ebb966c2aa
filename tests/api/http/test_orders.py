"""Orders: staff entry, Idempotency-Key, filters, merchant scope, cancel, standing orders."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from tests.api.http.conftest import TenantCtx


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _order(basics: dict[str, str], **extra: object) -> dict[str, object]:
    return {
        "merchant_id": basics["merchant"],
        "customer_id": basics["customer"],
        "tier": "standard",
        "weight_g": 2500,
        **extra,
    }


def test_phone_order_takes_the_customers_address_and_the_tiers_days(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    r = client.post("/v1/orders", json=_order(basics, notes="door code 1234"), headers=tenant.staff)
    assert r.status_code == 201, r.text
    o = r.json()
    assert o["delivery_name"] == "Aino"
    assert o["delivery_phone"] == "+358 40 555"
    assert o["status"] == "pending"
    assert o["source"] == "staff"
    assert dt.date.fromisoformat(o["date_from"]) > _today() - dt.timedelta(days=1)
    assert o["date_to"] >= o["date_from"]


def test_retried_post_with_the_same_key_creates_one_order(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    headers = {**tenant.staff, "Idempotency-Key": "call-42"}
    first = client.post("/v1/orders", json=_order(basics), headers=headers)
    second = client.post("/v1/orders", json=_order(basics), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert len(client.get("/v1/orders", headers=tenant.staff).json()) == 1


def test_concurrent_retries_with_one_key_still_create_one_order(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    headers = {**tenant.staff, "Idempotency-Key": "burst"}
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(lambda _: client.post("/v1/orders", json=_order(basics), headers=headers), range(4))
        )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(client.get("/v1/orders", headers=tenant.staff).json()) == 1


def test_reusing_a_key_for_a_different_order_is_a_conflict(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    headers = {**tenant.staff, "Idempotency-Key": "k1"}
    assert client.post("/v1/orders", json=_order(basics), headers=headers).status_code == 201
    r = client.post("/v1/orders", json=_order(basics, weight_g=9999), headers=headers)
    assert r.status_code == 409
    assert r.json()["pointer"] == "/headers/Idempotency-Key"
    assert len(client.get("/v1/orders", headers=tenant.staff).json()) == 1


def test_orders_filter_by_day_status_and_merchant(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    day = _today() + dt.timedelta(days=3)
    a = client.post("/v1/orders", json=_order(basics, date_from=day.isoformat()), headers=tenant.staff).json()
    b = client.post(
        "/v1/orders",
        json=_order(basics, date_from=(day + dt.timedelta(days=1)).isoformat()),
        headers=tenant.staff,
    ).json()
    assert [
        o["id"]
        for o in client.get("/v1/orders", params={"day": day.isoformat()}, headers=tenant.staff).json()
    ] == [a["id"]]
    assert client.post(f"/v1/orders/{b['id']}/cancel", headers=tenant.staff).json()["status"] == "cancelled"
    cancelled = client.get("/v1/orders", params={"status": "cancelled"}, headers=tenant.staff).json()
    assert [o["id"] for o in cancelled] == [b["id"]]
    other = client.get("/v1/orders", params={"merchant_id": "someone-else"}, headers=tenant.staff).json()
    assert other == []


def test_merchant_user_sees_only_its_own_orders(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    other = client.post(
        "/v1/merchants", json={"name": "Kala", "lon": 24.95, "lat": 60.16}, headers=tenant.planner
    ).json()
    mine = tenant.user(client, "merchant", merchant_id=basics["merchant"])
    client.post("/v1/orders", json=_order(basics), headers=tenant.staff)
    theirs = client.post(
        "/v1/orders", json=_order(basics, merchant_id=other["id"]), headers=tenant.staff
    ).json()
    listed = client.get("/v1/orders", headers=mine).json()
    assert {o["merchant_id"] for o in listed} == {basics["merchant"]}
    assert client.get(f"/v1/orders/{theirs['id']}", headers=mine).status_code == 403
    assert (
        client.post("/v1/orders", json=_order(basics, merchant_id=other["id"]), headers=mine).status_code
        == 403
    )
    assert client.post("/v1/orders", json=_order(basics), headers=mine).status_code == 201


def test_courier_may_not_list_orders(client: TestClient, tenant: TenantCtx, basics: dict[str, str]) -> None:
    courier = tenant.user(client, "courier", vehicle_id=basics["van"])
    r = client.get("/v1/orders", headers=courier)
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"


def test_biweekly_standing_order_expands_once_per_horizon(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    start = _today() + dt.timedelta(days=1)
    so = client.post(
        "/v1/standing-orders",
        json={
            "merchant_id": basics["merchant"],
            "customer_id": basics["customer"],
            "tier": "circuit",
            "rrule": "FREQ=WEEKLY;INTERVAL=2",
            "dtstart": start.isoformat(),
            "weight_g": 4000,
        },
        headers=tenant.staff,
    )
    assert so.status_code == 201, so.text
    first = client.post(
        "/v1/standing-orders/expand", json={"start": start.isoformat(), "days": 28}, headers=tenant.staff
    )
    assert first.status_code == 200, first.text
    dates = [o["date_from"] for o in first.json()["created"]]
    assert dates == [(start + dt.timedelta(days=14 * k)).isoformat() for k in range(2)]
    again = client.post(
        "/v1/standing-orders/expand", json={"start": start.isoformat(), "days": 28}, headers=tenant.staff
    )
    assert again.json()["created"] == []
    assert again.json()["skipped_existing"] == 2


def test_standing_order_with_a_bad_rrule_names_the_field(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    r = client.post(
        "/v1/standing-orders",
        json={
            "merchant_id": basics["merchant"],
            "customer_id": basics["customer"],
            "tier": "circuit",
            "rrule": "FREQ=SOMETIMES",
            "dtstart": _today().isoformat(),
            "weight_g": 4000,
        },
        headers=tenant.staff,
    )
    assert r.status_code == 422
    assert r.json()["pointer"] == "/rrule"
