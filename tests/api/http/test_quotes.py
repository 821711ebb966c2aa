"""Quotes: the shopper's anonymous tier table, accepting it, expiry, rate limit, no foreign data."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.api.http.conftest import TOOLO, TenantCtx
from tournee.api.db import models as m


def _draft(basics: dict[str, str], **extra: object) -> dict[str, object]:
    return {"merchant_id": basics["merchant"], "weight_g": 2000, "parcels": 1, **TOOLO, **extra}


def test_anonymous_checkout_gets_a_tier_table_and_can_order(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    r = client.post(f"/v1/public/{tenant.slug}/quotes", json=_draft(basics))
    assert r.status_code == 201, r.text
    quote = r.json()
    assert quote["currency"] == "EUR"
    assert quote["carbon_price"]["source"]
    available = [t for t in quote["tiers"] if t["available"]]
    assert available, quote
    tier = available[0]
    assert tier["price_cents"] > 0
    assert tier["date_from"] is not None
    assert set(quote) <= {"id", "created_at", "expires_at", "currency", "tiers", "carbon_price", "ges_line"}
    order = client.post(
        f"/v1/public/{tenant.slug}/orders",
        json={"quote_id": quote["id"], "tier": tier["tier"], "name": "Aino", "phone": "+358 40 1"},
    )
    assert order.status_code == 201, order.text
    confirmation = order.json()
    assert confirmation["price_cents"] == tier["price_cents"]
    stored = client.get(f"/v1/orders/{confirmation['order_id']}", headers=tenant.staff).json()
    assert stored["source"] == "quote"
    assert stored["quote_id"] == quote["id"]
    again = client.post(
        f"/v1/public/{tenant.slug}/orders",
        json={"quote_id": quote["id"], "tier": tier["tier"], "name": "Aino", "phone": "+358 40 1"},
    )
    assert again.status_code == 409


def test_staff_accepts_a_quote_through_the_orders_endpoint(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    quote = client.post("/v1/quotes", json=_draft(basics), headers=tenant.staff).json()
    tier = next(t for t in quote["tiers"] if t["available"])
    r = client.post(
        "/v1/orders",
        json={"quote_id": quote["id"], "tier": tier["tier"], "customer_id": basics["customer"]},
        headers=tenant.staff,
    )
    assert r.status_code == 201, r.text
    assert r.json()["price_cents"] == tier["price_cents"]


def test_unknown_tier_of_a_quote_is_rejected(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    quote = client.post("/v1/quotes", json=_draft(basics), headers=tenant.staff).json()
    r = client.post(
        "/v1/orders",
        json={"quote_id": quote["id"], "tier": "teleport", "customer_id": basics["customer"]},
        headers=tenant.staff,
    )
    assert r.status_code == 422
    assert r.json()["pointer"] == "/tier"


def test_expired_quote_cannot_be_accepted(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    quote = client.post(f"/v1/public/{tenant.slug}/quotes", json=_draft(basics)).json()
    tier = next(t for t in quote["tiers"] if t["available"])
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        session.execute(update(m.Quote).where(m.Quote.id == quote["id"]).values(expires_at=past))
        session.commit()
    r = client.post(
        f"/v1/public/{tenant.slug}/orders",
        json={"quote_id": quote["id"], "tier": tier["tier"], "name": "Aino", "phone": "+358 40 1"},
    )
    assert r.status_code == 410
    assert r.json()["pointer"] == "/quote_id"


def test_quote_of_another_tenant_is_unknown_here(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    from tests.api.http.conftest import make_tenant, seed_basics

    other = make_tenant(client)
    theirs = seed_basics(client, other)
    quote = client.post(f"/v1/public/{other.slug}/quotes", json=_draft(theirs)).json()
    tier = next(t for t in quote["tiers"] if t["available"])
    r = client.post(
        f"/v1/public/{tenant.slug}/orders",
        json={"quote_id": quote["id"], "tier": tier["tier"], "name": "X", "phone": "+358 40 1"},
    )
    assert r.status_code == 422
    assert r.json()["pointer"] == "/quote_id"
    cross = client.post(f"/v1/public/{tenant.slug}/quotes", json=_draft(theirs))
    assert cross.status_code == 422
    assert cross.json()["pointer"] == "/merchant_id"
    assert client.get(f"/v1/quotes/{quote['id']}", headers=tenant.staff).status_code == 404


def test_unknown_shop_is_404(client: TestClient, basics: dict[str, str]) -> None:
    r = client.post("/v1/public/no-such-shop/quotes", json=_draft(basics))
    assert r.status_code == 404


def test_public_quotes_are_rate_limited_per_client(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    limiter = client.app.state.rate_limiter  # type: ignore[attr-defined]
    saved = limiter.per_minute
    limiter.per_minute = 2
    try:
        codes = [
            client.post(f"/v1/public/{tenant.slug}/quotes", json=_draft(basics)).status_code for _ in range(4)
        ]
    finally:
        limiter.per_minute = saved
    assert codes[:2] == [201, 201]
    assert codes[2] == 429


def test_quote_against_a_plan_of_the_week(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    """With a plan in place, quotes are priced from its rounds (no re-plan)."""
    start = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    van = client.get(f"/v1/vehicles/{basics['van']}", headers=tenant.planner).json()
    van["working_weekdays"] = list(range(7))
    client.put(
        f"/v1/vehicles/{basics['van']}",
        json={k: v for k, v in van.items() if k != "id"},
        headers=tenant.planner,
    )
    client.post(
        "/v1/orders",
        json={
            "merchant_id": basics["merchant"],
            "customer_id": basics["customer"],
            "tier": "slow",
            "weight_g": 3000,
        },
        headers=tenant.staff,
    )
    job = client.post(
        "/v1/plan-jobs",
        json={"start": start.isoformat(), "days": 7, "time_limit_s": 1.0},
        headers=tenant.planner,
    ).json()
    client.app.state.jobs.wait(job["id"], timeout_s=60)  # type: ignore[attr-defined]
    r = client.post(f"/v1/public/{tenant.slug}/quotes", json=_draft(basics))
    assert r.status_code == 201, r.text
    assert any(t["available"] for t in r.json()["tiers"])


def test_a_canadian_tenant_is_quoted_in_cad_with_a_cad_carbon_price(client: TestClient) -> None:
    from tests.api.http.conftest import make_tenant, seed_basics

    qc = make_tenant(client, currency="CAD", time_zone="America/Toronto")
    ids = seed_basics(client, qc)
    quote = client.post(f"/v1/public/{qc.slug}/quotes", json=_draft(ids))
    assert quote.status_code == 201, quote.text
    assert quote.json()["currency"] == "CAD"
    assert quote.json()["carbon_price"]["currency"] == "CAD"


def test_a_merchant_user_quotes_only_for_itself(
    client: TestClient, tenant: TenantCtx, basics: dict[str, str]
) -> None:
    other = client.post(
        "/v1/merchants", json={"name": "Kala", "lon": 24.95, "lat": 60.16}, headers=tenant.planner
    ).json()
    mine = tenant.user(client, "merchant", merchant_id=basics["merchant"])
    assert client.post("/v1/quotes", json=_draft(basics), headers=mine).status_code == 201
    assert (
        client.post("/v1/quotes", json=_draft(basics, merchant_id=other["id"]), headers=mine).status_code
        == 403
    )
