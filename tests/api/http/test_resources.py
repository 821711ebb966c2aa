"""CRUD of merchants, customers, hubs, relay points, vehicles and the tariff policy."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.http.conftest import KAMPPI, TOOLO, TenantCtx


def test_customer_round_trips_and_email_is_optional(client: TestClient, tenant: TenantCtx) -> None:
    body = {"name": "Matti", "phone": "+358 40 111", "address": "Mannerheimintie 1", **TOOLO}
    created = client.post("/v1/customers", json=body, headers=tenant.staff)
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    assert created.json()["email"] is None
    got = client.get(f"/v1/customers/{cid}", headers=tenant.staff).json()
    assert got["name"] == "Matti"
    assert got["lat"] == TOOLO["lat"]
    updated = client.put(
        f"/v1/customers/{cid}", json={**body, "email": "m@example.org"}, headers=tenant.staff
    )
    assert updated.json()["email"] == "m@example.org"
    by_phone = client.get("/v1/customers", params={"phone": "+358 40 1"}, headers=tenant.staff).json()
    assert [c["id"] for c in by_phone] == [cid]
    assert client.delete(f"/v1/customers/{cid}", headers=tenant.staff).status_code == 204
    assert client.get(f"/v1/customers/{cid}", headers=tenant.staff).status_code == 404


def test_hubs_and_relay_points_are_separate_lists(client: TestClient, tenant: TenantCtx) -> None:
    hub = client.post(
        "/v1/hubs",
        json={"name": "Micro-hub", "kind": "micro_hub", "handling_s": 600, **KAMPPI},
        headers=tenant.planner,
    )
    relay = client.post(
        "/v1/relay-points",
        json={
            "name": "Kiosk",
            "open_s": 36000,
            "close_s": 64800,
            "open_weekdays": [0, 1, 2, 3, 4, 5],
            **TOOLO,
        },
        headers=tenant.planner,
    )
    assert hub.status_code == 201, hub.text
    assert relay.status_code == 201, relay.text
    assert [h["id"] for h in client.get("/v1/hubs", headers=tenant.planner).json()] == [hub.json()["id"]]
    assert [h["kind"] for h in client.get("/v1/relay-points", headers=tenant.planner).json()] == [
        "relay_point"
    ]
    assert client.get(f"/v1/hubs/{relay.json()['id']}", headers=tenant.planner).status_code == 404


def test_vehicle_needs_a_depot_of_the_tenant(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    vans = client.get("/v1/vehicles", headers=tenant.planner).json()
    assert [v["id"] for v in vans] == [basics["van"]]
    bad = client.post(
        "/v1/vehicles",
        json={
            "name": "Bike",
            "profile": "cargo_bike",
            "fuel": "electric",
            "capacity_g": 120_000,
            "capacity_ml": 600_000,
            "capacity_parcels": 20,
            "energy_wh_per_100km": 1500,
            "depot_id": "nope",
        },
        headers=tenant.planner,
    )
    assert bad.status_code == 422
    assert bad.json()["pointer"] == "/depot_id"


def test_electric_vehicle_without_energy_use_is_rejected_naming_the_field(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    r = client.post(
        "/v1/vehicles",
        json={
            "name": "Bike",
            "profile": "cargo_bike",
            "fuel": "electric",
            "capacity_g": 120_000,
            "capacity_ml": 600_000,
            "capacity_parcels": 20,
            "depot_id": basics["depot"],
        },
        headers=tenant.planner,
    )
    assert r.status_code == 422
    assert r.json()["pointer"] == "/energy_wh_per_100km"


def test_merchant_with_orders_cannot_be_deleted(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    order = client.post(
        "/v1/orders",
        json={
            "merchant_id": basics["merchant"],
            "customer_id": basics["customer"],
            "tier": "standard",
            "weight_g": 1000,
        },
        headers=tenant.staff,
    )
    assert order.status_code == 201, order.text
    r = client.delete(f"/v1/merchants/{basics['merchant']}", headers=tenant.planner)
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"


def test_tariff_policy_defaults_then_replaced_and_invalid_one_changes_nothing(
    client: TestClient, tenant: TenantCtx
) -> None:
    first = client.get("/v1/tariff-policy", headers=tenant.planner).json()
    codes = [t["code"] for t in first["tiers"]]
    assert "express" in codes
    assert first["updated_at"] is None
    text = '[policy]\ncurrency = "EUR"\n\n[[tiers]]\ncode = "weekly"\nname = "Weekly"\nmin_days = 1\nmax_days = 7\nbase_cents = 300\n'
    put = client.put("/v1/tariff-policy", json={"format": "toml", "text": text}, headers=tenant.planner)
    assert put.status_code == 200, put.text
    assert [t["code"] for t in put.json()["tiers"]] == ["weekly"]
    broken = client.put(
        "/v1/tariff-policy", json={"format": "toml", "text": "[[tiers]\n"}, headers=tenant.planner
    )
    assert broken.status_code == 422
    assert broken.json()["pointer"] == "/text"
    still = client.get("/v1/tariff-policy", headers=tenant.staff).json()
    assert [t["code"] for t in still["tiers"]] == ["weekly"]
    assert client.put("/v1/tariff-policy", json={"text": text}, headers=tenant.staff).status_code == 403
