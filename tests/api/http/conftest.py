"""Fixtures for the HTTP API tests: one app per database backend, a fresh tenant per test.

Every test runs against SQLite (a file in a temporary folder, WAL) and against
PostgreSQL when ``TOURNEE_TEST_POSTGRES_URL`` is set (``.ci/run`` sets it); tests make
their own tenants, so they never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tournee.api.app import create_app
from tournee.api.app.bootstrap import add_user, create_tenant
from tournee.api.db import make_engine
from tournee.api.settings import Settings

BACKENDS = ["sqlite", "postgresql"]


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend_settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for one backend: a fresh SQLite file, or the CI's PostgreSQL (emptied)."""
    data_dir = tmp_path_factory.mktemp(f"data-{request.param}")
    if request.param == "postgresql":
        url = os.environ.get("TOURNEE_TEST_POSTGRES_URL", "")
        if not url:
            pytest.skip("TOURNEE_TEST_POSTGRES_URL is not set (.ci/run sets it)")
        _reset_postgres(url)
        return Settings(data_dir=data_dir, database_url=url, quote_rate_per_minute=10_000)
    return Settings(data_dir=data_dir, quote_rate_per_minute=10_000)


@pytest.fixture(scope="session")
def client(backend_settings: Settings) -> Iterator[TestClient]:
    """A test client on an app migrated to the newest schema."""
    app = create_app(backend_settings)
    with TestClient(app) as c:
        yield c


@dataclass
class TenantCtx:
    """A fresh tenant with one token per role (merchant and courier users come later)."""

    id: str
    slug: str
    admin: dict[str, str]
    planner: dict[str, str]
    staff: dict[str, str]

    def user(self, client: TestClient, role: str, **ids: str) -> dict[str, str]:
        r = client.post("/v1/users", json={"name": role, "role": role, **ids}, headers=self.admin)
        assert r.status_code == 201, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tenant(client: TestClient) -> TenantCtx:
    """A new tenant (EUR, Europe/Helsinki) with admin, planner and staff tokens."""
    return make_tenant(client)


def make_tenant(
    client: TestClient, *, currency: str = "EUR", time_zone: str = "Europe/Helsinki"
) -> TenantCtx:
    slug = "t-" + uuid.uuid4().hex[:12]
    maker = client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        new = create_tenant(
            session, slug=slug, name=slug, currency=currency, time_zone=time_zone, language="en"
        )
        planner = add_user(session, tenant_id=new.tenant_id, name="planner", role="planner")
        staff = add_user(session, tenant_id=new.tenant_id, name="staff", role="staff")
        session.commit()
    return TenantCtx(
        id=new.tenant_id,
        slug=slug,
        admin=_bearer(new.admin_token),
        planner=_bearer(planner),
        staff=_bearer(staff),
    )


# Central Helsinki, on the embedded map.
KAUPPATORI = {"lon": 24.9525, "lat": 60.1675}
KAMPPI = {"lon": 24.9316, "lat": 60.1690}
TOOLO = {"lon": 24.9250, "lat": 60.1770}


def seed_basics(client: TestClient, t: TenantCtx) -> dict[str, str]:
    """One merchant, one customer, one depot, one van: their ids."""
    merchant = client.post(
        "/v1/merchants",
        json={"name": "Leipomo", "phone": "+358 9 123", "address": "Kauppatori 1", **KAUPPATORI},
        headers=t.planner,
    )
    assert merchant.status_code == 201, merchant.text
    customer = client.post(
        "/v1/customers",
        json={"name": "Aino", "phone": "+358 40 555", "address": "Runeberginkatu 5", **TOOLO},
        headers=t.staff,
    )
    assert customer.status_code == 201, customer.text
    depot = client.post("/v1/hubs", json={"name": "Depot", "kind": "depot", **KAMPPI}, headers=t.planner)
    assert depot.status_code == 201, depot.text
    van = client.post(
        "/v1/vehicles",
        json={
            "name": "Van 1",
            "profile": "van",
            "fuel": "diesel",
            "capacity_g": 800_000,
            "capacity_ml": 8_000_000,
            "capacity_parcels": 120,
            "fuel_ml_per_100km": 8_000,
            "depot_id": depot.json()["id"],
        },
        headers=t.planner,
    )
    assert van.status_code == 201, van.text
    return {
        "merchant": merchant.json()["id"],
        "customer": customer.json()["id"],
        "depot": depot.json()["id"],
        "van": van.json()["id"],
    }


@pytest.fixture
def basics(client: TestClient, tenant: TenantCtx) -> dict[str, str]:
    """One merchant, one customer, one depot and one van in ``tenant``."""
    return seed_basics(client, tenant)


@pytest.fixture
def data_dir(backend_settings: Settings) -> Path:
    return backend_settings.data_dir
