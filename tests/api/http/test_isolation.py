"""Tenant isolation: no request reads or writes another tenant's data."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.http.conftest import TenantCtx, make_tenant, seed_basics


@pytest.fixture
def two(client: TestClient) -> tuple[TenantCtx, dict[str, str], TenantCtx, dict[str, str]]:
    """Two tenants with a merchant, a customer, a depot and a van each."""
    a, b = make_tenant(client), make_tenant(client, currency="CAD", time_zone="America/Toronto")
    return a, seed_basics(client, a), b, seed_basics(client, b)


def test_lists_show_only_the_callers_tenant(
    client: TestClient, two: tuple[TenantCtx, dict[str, str], TenantCtx, dict[str, str]]
) -> None:
    a, ida, b, idb = two
    for path, key in (
        ("/v1/merchants", "merchant"),
        ("/v1/customers", "customer"),
        ("/v1/hubs", "depot"),
        ("/v1/vehicles", "van"),
    ):
        assert [r["id"] for r in client.get(path, headers=a.planner).json()] == [ida[key]]
        assert [r["id"] for r in client.get(path, headers=b.planner).json()] == [idb[key]]


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/v1/merchants/{}", "merchant"),
        ("/v1/customers/{}", "customer"),
        ("/v1/hubs/{}", "depot"),
        ("/v1/vehicles/{}", "van"),
    ],
)
def test_another_tenants_id_is_not_found_for_read_update_and_delete(
    client: TestClient, two: tuple[TenantCtx, dict[str, str], TenantCtx, dict[str, str]], path: str, key: str
) -> None:
    a, _, b, idb = two
    url = path.format(idb[key])
    assert client.get(url, headers=a.admin).status_code == 404
    assert client.delete(url, headers=a.admin).status_code == 404
    assert client.get(url, headers=b.admin).status_code == 200


def test_an_order_cannot_reference_another_tenants_merchant_or_customer(
    client: TestClient, two: tuple[TenantCtx, dict[str, str], TenantCtx, dict[str, str]]
) -> None:
    a, ida, _, idb = two
    r = client.post(
        "/v1/orders",
        json={
            "merchant_id": idb["merchant"],
            "customer_id": ida["customer"],
            "tier": "standard",
            "weight_g": 100,
        },
        headers=a.staff,
    )
    assert r.status_code == 422
    assert r.json()["pointer"] == "/merchant_id"
    r = client.post(
        "/v1/orders",
        json={
            "merchant_id": ida["merchant"],
            "customer_id": idb["customer"],
            "tier": "standard",
            "weight_g": 100,
        },
        headers=a.staff,
    )
    assert r.status_code == 422
    assert r.json()["pointer"] == "/customer_id"


def test_another_tenants_order_cannot_be_read_or_cancelled(
    client: TestClient, two: tuple[TenantCtx, dict[str, str], TenantCtx, dict[str, str]]
) -> None:
    a, _, b, idb = two
    order = client.post(
        "/v1/orders",
        json={
            "merchant_id": idb["merchant"],
            "customer_id": idb["customer"],
            "tier": "standard",
            "weight_g": 100,
        },
        headers=b.staff,
    ).json()
    assert client.get(f"/v1/orders/{order['id']}", headers=a.admin).status_code == 404
    assert client.post(f"/v1/orders/{order['id']}/cancel", headers=a.admin).status_code == 404
    assert client.get(f"/v1/orders/{order['id']}", headers=b.staff).json()["status"] == "pending"


def test_idempotency_keys_are_per_tenant(
    client: TestClient, two: tuple[TenantCtx, dict[str, str], TenantCtx, dict[str, str]]
) -> None:
    a, ida, b, idb = two
    ra = client.post(
        "/v1/orders",
        json={
            "merchant_id": ida["merchant"],
            "customer_id": ida["customer"],
            "tier": "standard",
            "weight_g": 100,
        },
        headers={**a.staff, "Idempotency-Key": "same"},
    )
    rb = client.post(
        "/v1/orders",
        json={
            "merchant_id": idb["merchant"],
            "customer_id": idb["customer"],
            "tier": "standard",
            "weight_g": 100,
        },
        headers={**b.staff, "Idempotency-Key": "same"},
    )
    assert ra.status_code == rb.status_code == 201
    assert ra.json()["id"] != rb.json()["id"]


def test_no_token_or_a_wrong_token_is_401(client: TestClient) -> None:
    assert client.get("/v1/merchants").status_code == 401
    r = client.get("/v1/merchants", headers={"Authorization": "Bearer trn_nope"})
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"


def test_tokens_are_stored_hashed(client: TestClient, tenant: TenantCtx) -> None:
    from sqlalchemy import select

    from tournee.api.db import models as m

    token = tenant.admin["Authorization"].removeprefix("Bearer ")
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        hashes = list(session.scalars(select(m.User.token_hash).where(m.User.tenant_id == tenant.id)))
    assert token not in hashes
    assert all(len(h) == 64 for h in hashes)
