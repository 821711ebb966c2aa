"""``tournee serve --demo``: the Helsinki demo tenant loads, its tokens work, and loading again rotates them."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from fastapi.testclient import TestClient

from tournee.api.app import create_app
from tournee.api.app.demo import DEMO_SLUG, load_demo
from tournee.api.settings import Settings
from tournee.domain import Profile


def test_demo_loads_once_and_its_tokens_open_the_api(client: TestClient) -> None:
    state = client.app.state  # type: ignore[attr-defined]
    networks = state.networks
    with state.sessionmaker() as session:
        first = load_demo(session, map_path=networks.map_path, network=networks.get()[Profile.VAN], orders=12)
    with state.sessionmaker() as session:
        second = load_demo(
            session, map_path=networks.map_path, network=networks.get()[Profile.VAN], orders=12
        )
    assert first.created
    assert not second.created
    assert set(first.tokens) == {"admin", "planner", "staff", "merchant", "courier"}
    old = {"Authorization": f"Bearer {first.tokens['planner']}"}
    new = {"Authorization": f"Bearer {second.tokens['planner']}"}
    assert client.get("/v1/vehicles", headers=old).status_code == 401
    fleet = client.get("/v1/vehicles", headers=new).json()
    assert {v["profile"] for v in fleet} == {"van", "cargo_bike"}
    orders = client.get("/v1/orders", headers={"Authorization": f"Bearer {second.tokens['staff']}"}).json()
    assert len(orders) == first.orders > 0
    merchant = client.get(
        "/v1/merchants", headers={"Authorization": f"Bearer {second.tokens['merchant']}"}
    ).json()
    assert len(merchant) == 1
    quote = client.post(
        f"/v1/public/{DEMO_SLUG}/quotes",
        json={"merchant_id": merchant[0]["id"], "lon": 24.94, "lat": 60.17, "weight_g": 1500},
    )
    assert quote.status_code == 201, quote.text


def test_the_server_prepares_the_matrix_and_search_kernels_when_it_starts(
    backend_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tournee.routing.elimination as elimination
    from tournee.routing import recreate

    matrices, search = threading.Event(), threading.Event()
    monkeypatch.setattr(elimination, "warm_up", matrices.set)
    monkeypatch.setattr(recreate, "warm_up", search.set)
    with TestClient(create_app(backend_settings)):
        assert matrices.wait(timeout=10), "no warm-up thread at start"
        assert search.wait(timeout=10), "the ruin-and-recreate kernels were not prepared"


def test_a_failing_warm_up_does_not_stop_the_server(
    backend_settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import tournee.routing.elimination as elimination

    failed = threading.Event()

    def broken() -> None:
        failed.set()
        raise RuntimeError("no compiler")

    monkeypatch.setattr(elimination, "warm_up", broken)
    with caplog.at_level(logging.WARNING), TestClient(create_app(backend_settings)) as c:
        assert failed.wait(timeout=10)
        assert c.get("/openapi.json").status_code == 200
        deadline = time.monotonic() + 10
        while "could not prepare the numba kernels" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
    assert "could not prepare the numba kernels" in caplog.text
