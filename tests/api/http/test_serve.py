"""``tournee serve --demo``: the Helsinki demo tenant loads, its tokens work, and loading again rotates them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tournee.api.app.demo import DEMO_SLUG, load_demo
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
