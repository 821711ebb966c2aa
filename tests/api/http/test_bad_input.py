"""The bad-input catalogue: every bad request gets a problem+json naming the field, never a 500."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from tests.api.http.conftest import TOOLO, TenantCtx

PROBLEM = "application/problem+json"


def _order(basics: dict[str, str], **extra: object) -> dict[str, object]:
    return {
        "merchant_id": basics["merchant"],
        "customer_id": basics["customer"],
        "tier": "standard",
        "weight_g": 2500,
        **extra,
    }


def test_malformed_json_is_400_problem(client: TestClient, tenant: TenantCtx) -> None:
    r = client.post(
        "/v1/customers",
        content=b'{"name": "x", ',
        headers={**tenant.staff, "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["type"].endswith("/malformed-json")


def test_wrong_type_names_the_field(client: TestClient, tenant: TenantCtx, basics: dict[str, str]) -> None:
    r = client.post("/v1/orders", json=_order(basics, weight_g="12"), headers=tenant.staff)
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["pointer"] == "/weight_g"


def test_negative_weight_names_the_field(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    r = client.post("/v1/orders", json=_order(basics, weight_g=-200), headers=tenant.staff)
    assert r.status_code == 422
    assert r.json()["pointer"] == "/weight_g"


def test_nested_field_pointer_goes_down_the_body(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    r = client.post(
        "/v1/orders", json=_order(basics, delivery={"lon": 24.9, "lat": 123.0}), headers=tenant.staff
    )
    assert r.status_code == 422
    assert r.json()["pointer"] == "/delivery/lat"


def test_out_of_range_coordinates_are_rejected(client: TestClient, tenant: TenantCtx) -> None:
    for lon, lat, field in ((181.0, 60.0, "/lon"), (24.9, -91.0, "/lat")):
        r = client.post("/v1/customers", json={"name": "x", "lon": lon, "lat": lat}, headers=tenant.staff)
        assert r.status_code == 422
        assert r.json()["pointer"] == field


def test_unknown_field_is_rejected(client: TestClient, tenant: TenantCtx) -> None:
    r = client.post("/v1/customers", json={"name": "x", "colour": "red", **TOOLO}, headers=tenant.staff)
    assert r.status_code == 422
    assert r.json()["pointer"] == "/colour"


def test_unknown_tier_names_the_tier_field(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    r = client.post("/v1/orders", json=_order(basics, tier="teleport"), headers=tenant.staff)
    assert r.status_code == 422
    assert r.json()["type"].endswith("/unknown-tier")
    assert r.json()["pointer"] == "/tier"


def test_window_in_the_past_is_rejected(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    past = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=3)).isoformat()
    r = client.post("/v1/orders", json=_order(basics, date_from=past), headers=tenant.staff)
    assert r.status_code == 422
    assert r.json()["pointer"] == "/date_from"
    assert "in the past" in r.json()["detail"]


def test_window_ending_before_it_starts_names_the_end(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    r = client.post(
        "/v1/orders", json=_order(basics, window_start_s=50_000, window_end_s=40_000), headers=tenant.staff
    )
    assert r.status_code == 422
    assert r.json()["pointer"] == "/window_end_s"


def test_unknown_time_zone_for_a_new_tenant(client: TestClient, tenant: TenantCtx) -> None:
    r = client.post(
        "/v1/tenants",
        json={"slug": "zz-top", "name": "Z", "currency": "EUR", "time_zone": "Mars/Olympus"},
        headers=tenant.admin,
    )
    assert r.status_code == 422
    assert r.json()["pointer"] == "/time_zone"


def test_currency_other_than_eur_or_cad_is_rejected(client: TestClient, tenant: TenantCtx) -> None:
    r = client.post(
        "/v1/tenants",
        json={"slug": "zz-usd", "name": "Z", "currency": "USD", "time_zone": "Europe/Paris"},
        headers=tenant.admin,
    )
    assert r.status_code == 422
    assert r.json()["pointer"] == "/currency"


def test_oversized_json_body_is_413_before_parsing(client: TestClient, tenant: TenantCtx) -> None:
    big = b'{"name": "' + b"x" * 2_000_000 + b'", "lon": 1, "lat": 1}'
    r = client.post(
        "/v1/customers", content=big, headers={**tenant.staff, "Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert r.headers["content-type"] == PROBLEM


def test_query_parameter_of_the_wrong_type_names_it(client: TestClient, tenant: TenantCtx) -> None:
    r = client.get("/v1/orders", params={"day": "tuesday"}, headers=tenant.staff)
    assert r.status_code == 422
    assert r.json()["pointer"] == "/day"


def test_unknown_path_is_a_problem_document(client: TestClient) -> None:
    r = client.get("/v1/nowhere")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM
