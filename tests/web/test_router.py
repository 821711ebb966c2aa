"""Pages and document endpoints through the real app (SQLite), without a browser."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import etree
from pypdf import PdfReader

from tests.web.conftest import requires_pdf
from tournee.api.app import create_app
from tournee.api.app.bootstrap import add_user, create_tenant
from tournee.api.db import models as m
from tournee.api.services.plan_io import plan_to_json
from tournee.api.settings import Settings
from tournee.api.web.router import build_router
from tournee.domain import (
    DAY_S,
    Footprint,
    Horizon,
    Location,
    Plan,
    Profile,
    Route,
    SolverStats,
    Stop,
    StopKind,
    Unassigned,
    UnassignedReason,
)

GPX_XSD = Path(__file__).parent / "data" / "gpx-1.1.xsd"
KAUPPATORI = {"lon": 24.9525, "lat": 60.1675}
KAMPPI = {"lon": 24.9316, "lat": 60.1690}
TOOLO = {"lon": 24.9250, "lat": 60.1770}
PUNAVUORI = {"lon": 24.9390, "lat": 60.1610}


def app_with_pages(settings: Settings) -> FastAPI:
    """The API app with the pages router (included by ``create_app`` once it does so)."""
    app = create_app(settings)
    if not any(getattr(r, "path", "") == "/planner" for r in app.routes):
        app.include_router(build_router())
    return app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app on a fresh SQLite file."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("web-data"), quote_rate_per_minute=10_000)
    with TestClient(app_with_pages(settings)) as c:
        yield c


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Seeded:
    """A French tenant with a stored plan of one van route serving two orders."""

    slug: str
    planner: dict[str, str]
    staff: dict[str, str]
    courier: dict[str, str]
    other_courier: dict[str, str]
    plan_id: str
    route_id: str
    order_ids: list[str]


def seed(client: TestClient, *, language: str = "fr", currency: str = "EUR") -> Seeded:
    slug = "w-" + uuid.uuid4().hex[:10]
    maker = client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        new = create_tenant(
            session,
            slug=slug,
            name="Coop du Val",
            currency=currency,
            time_zone="Europe/Paris",
            language=language,
        )
        planner = _bearer(add_user(session, tenant_id=new.tenant_id, name="planner", role="planner"))
        staff = _bearer(add_user(session, tenant_id=new.tenant_id, name="staff", role="staff"))
        session.commit()
    admin = _bearer(new.admin_token)

    def post(path: str, body: dict[str, object], who: dict[str, str]) -> dict[str, object]:
        r = client.post(path, json=body, headers=who)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    merchant = post(
        "/v1/merchants",
        {"name": "Ferme du Port", "phone": "+33 5 00", "address": "Kauppatori 1", **KAUPPATORI},
        planner,
    )
    depot = post(
        "/v1/hubs", {"name": "Dépôt Kamppi", "kind": "depot", "address": "Kamppi 1", **KAMPPI}, planner
    )
    van = post(
        "/v1/vehicles",
        {
            "name": "Kangoo électrique",
            "profile": "van",
            "fuel": "electric",
            "capacity_g": 600_000,
            "capacity_ml": 3_000_000,
            "capacity_parcels": 80,
            "energy_wh_per_100km": 20_000,
            "depot_id": depot["id"],
        },
        planner,
    )
    van2 = post(
        "/v1/vehicles",
        {
            "name": "Vélo cargo",
            "profile": "cargo_bike",
            "fuel": "electric",
            "capacity_g": 100_000,
            "capacity_ml": 400_000,
            "capacity_parcels": 20,
            "energy_wh_per_100km": 1_000,
            "depot_id": depot["id"],
        },
        planner,
    )
    aino = post(
        "/v1/customers",
        {
            "name": "Aino Virtanen",
            "phone": "+33 6 11 22 33 44",
            "address": "Runeberginkatu 5",
            "notes": "Code B1234",
            **TOOLO,
        },
        staff,
    )
    marc = post(
        "/v1/customers",
        {"name": "Marc Dupont", "phone": "+33 6 99 88 77 66", "address": "Punavuorenkatu 2", **PUNAVUORI},
        staff,
    )
    orders = [
        post(
            "/v1/orders",
            {
                "merchant_id": merchant["id"],
                "customer_id": c["id"],
                "tier": "standard",
                "weight_g": w,
                "collect_cents": cc,
                "notes": items,
            },
            staff,
        )
        for c, w, cc, items in ((aino, 4500, 1250, "3 paniers de légumes"), (marc, 2000, 0, "1 colis"))
    ]
    courier = _bearer(
        post("/v1/users", {"name": "Léa", "role": "courier", "vehicle_id": van["id"]}, admin)["token"]
    )  # type: ignore[arg-type]
    other = _bearer(
        post("/v1/users", {"name": "Tom", "role": "courier", "vehicle_id": van2["id"]}, admin)["token"]
    )  # type: ignore[arg-type]

    start = dt.date(2026, 11, 23)
    t0 = 1 * DAY_S + 8 * 3600

    def stop(
        kind: StopKind, site: dict[str, object], t: int, oids: tuple[str, ...], load: int, parcels: int = 0
    ) -> Stop:
        return Stop(
            kind=kind,
            site_id=str(site["id"]),
            location=Location(lon=float(site["lon"]), lat=float(site["lat"])),  # type: ignore[arg-type]
            arrival_s=t,
            departure_s=t + 120,
            order_ids=oids,
            load_g=load,
            load_parcels=parcels,
        )

    o1, o2 = str(orders[0]["id"]), str(orders[1]["id"])
    route = Route(
        id="r-van-d1",
        vehicle_id=str(van["id"]),
        profile=Profile.VAN,
        day=1,
        stops=(
            stop(StopKind.START, depot, t0, (), 0),
            stop(StopKind.PICKUP, merchant, t0 + 600, (o1, o2), 6500, 2),
            stop(StopKind.DELIVERY, aino, t0 + 1500, (o1,), 2000, 1),
            stop(StopKind.DELIVERY, marc, t0 + 2400, (o2,), 0),
            stop(StopKind.END, depot, t0 + 3300, (), 0),
        ),
        distance_m=9_800,
        duration_s=3300,
        cost_cents=2100,
        footprint=Footprint(ttw_co2e_g=0, wtt_co2e_g=420),
        fill_rate_pct=11,
    )
    plan = Plan(
        id="p1",
        horizon=Horizon(start=start, days=7),
        routes=(route,),
        legs=(),
        unassigned=(Unassigned(order_id="o-x", reason=UnassignedReason.CAPACITY, detail="too heavy"),),
        stats=SolverStats(status="SUCCESS", objective=1, wall_s=0.1),
    )
    with maker() as session:
        row = m.PlanVersion(
            tenant_id=new.tenant_id, version=1, horizon_start=start, days=7, body=plan_to_json(plan)
        )
        session.add(row)
        session.commit()
        plan_id = row.id
    return Seeded(slug, planner, staff, courier, other, plan_id, route.id, [o1, o2])


@pytest.fixture(scope="module")
def seeded(client: TestClient) -> Seeded:
    return seed(client)


def test_every_page_renders_in_french_by_default_and_in_english_on_request(
    client: TestClient, seeded: Seeded
) -> None:
    pages = [
        "/",
        "/staff",
        "/planner",
        f"/m/routes/{seeded.route_id}?plan={seeded.plan_id}",
        f"/shop/{seeded.slug}",
    ]
    for path in pages:
        client.cookies.clear()
        fr = client.get(path)
        assert fr.status_code == 200, (path, fr.text[:300])
        assert '<html lang="fr">' in fr.text
        assert 'name="viewport"' in fr.text
        sep = "&" if "?" in path else "?"
        en = client.get(f"{path}{sep}lang=en")
        assert '<html lang="en">' in en.text
        assert en.cookies.get("tournee_lang") == "en" or "tournee_lang=en" in en.headers.get("set-cookie", "")
    client.cookies.clear()
    assert "Planning de la semaine" in client.get("/planner").text
    assert "Week board" in client.get("/planner?lang=en").text
    assert "Week board" in client.get("/planner").text  # the cookie remembers the choice
    client.cookies.clear()


def test_pages_load_nothing_from_other_hosts(client: TestClient, seeded: Seeded) -> None:
    for path in ("/staff", "/planner", f"/shop/{seeded.slug}"):
        html = client.get(path).text
        assert "http://" not in html.replace('xmlns="http://www.w3.org', "")
        assert "https://" not in html


def test_static_files_are_served_and_stay_inside_the_package(client: TestClient) -> None:
    js = client.get("/web/static/vendor/leaflet/leaflet.js")
    assert js.status_code == 200
    assert "javascript" in js.headers["content-type"]
    assert client.get("/web/static/vendor/leaflet/images/marker-icon.png").status_code == 200
    assert client.get("/web/static/../router.py").status_code == 404
    assert client.get("/web/static/%2e%2e/router.py").status_code == 404
    assert client.get("/web/static/nope.js").status_code == 404


def test_basemap_is_the_road_network_as_geojson(client: TestClient) -> None:
    r = client.get("/web/basemap.geojson")
    assert r.status_code == 200
    doc = r.json()
    lines = doc["features"][0]["geometry"]["coordinates"]
    assert len(lines) > 100
    lon, lat = lines[0][0]
    assert 24.9 < lon < 25.0
    assert 60.1 < lat < 60.2


def test_unknown_shop_is_a_404_problem(client: TestClient) -> None:
    r = client.get("/shop/no-such-shop")
    assert r.status_code == 404


def test_courier_sees_own_route_with_contacts_and_amounts(client: TestClient, seeded: Seeded) -> None:
    r = client.get(
        f"/web/plans/{seeded.plan_id}/routes/{seeded.route_id}/courier.json", headers=seeded.courier
    )
    assert r.status_code == 200, r.text
    sheet = r.json()
    assert sheet["vehicle_name"] == "Kangoo électrique"
    kinds = [s["kind"] for s in sheet["stops"]]
    assert kinds == ["start", "pickup", "delivery", "delivery", "end"]
    aino = sheet["stops"][2]
    assert aino["name"] == "Aino Virtanen"
    assert aino["phone"] == "+33 6 11 22 33 44"
    assert aino["collect_cents"] == 1250
    assert aino["weight_g"] == 4500
    assert aino["status"] == "pending"
    assert sheet["stops"][1]["name"] == "Ferme du Port"


def test_courier_cannot_open_another_vehicles_route(client: TestClient, seeded: Seeded) -> None:
    url = f"/web/plans/{seeded.plan_id}/routes/{seeded.route_id}"
    assert client.get(f"{url}/courier.json", headers=seeded.other_courier).status_code == 403
    assert client.get(f"{url}/sheet.pdf", headers=seeded.other_courier).status_code == 403
    r = client.post(f"{url}/stops/2/status", json={"status": "delivered"}, headers=seeded.other_courier)
    assert r.status_code == 403
    assert client.get(f"{url}/courier.json").status_code == 401


def test_other_tenants_cannot_see_the_plan(client: TestClient, seeded: Seeded) -> None:
    stranger = seed(client)
    url = f"/web/plans/{seeded.plan_id}/routes/{seeded.route_id}/courier.json"
    assert client.get(url, headers=stranger.planner).status_code == 404
    assert (
        client.get(f"/web/plans/{seeded.plan_id}/fill-rate.svg", headers=stranger.planner).status_code == 404
    )


def test_marking_stops_sets_order_status_and_keeps_the_reason(client: TestClient) -> None:
    s = seed(client)
    url = f"/web/plans/{s.plan_id}/routes/{s.route_id}/stops"
    r = client.post(f"{url}/2/status", json={"status": "delivered"}, headers=s.courier)
    assert r.status_code == 200, r.text
    assert r.json()["stops"][2]["status"] == "delivered"
    r = client.post(
        f"{url}/3/status",
        json={"status": "failed", "reason": "absent", "note": "sonné 2 fois"},
        headers=s.courier,
    )
    assert r.status_code == 200, r.text
    assert r.json()["stops"][3]["status"] == "failed"
    assert r.json()["stops"][3]["reason"] == "absent"
    statuses = {o["id"]: o["status"] for o in client.get("/v1/orders", headers=s.staff).json()}
    assert statuses[s.order_ids[0]] == "delivered"
    assert statuses[s.order_ids[1]] == "failed"


@pytest.mark.parametrize(
    ("body", "seq"),
    [
        ({"status": "lost"}, 2),
        ({"status": "failed", "reason": "aliens"}, 2),
        ({"status": "delivered", "extra": 1}, 2),
        ({"status": "delivered"}, 99),
        ({"status": "delivered"}, 0),  # the start has no order
    ],
)
def test_bad_stop_reports_are_refused_without_a_500(
    client: TestClient, seeded: Seeded, body: dict[str, object], seq: int
) -> None:
    r = client.post(
        f"/web/plans/{seeded.plan_id}/routes/{seeded.route_id}/stops/{seq}/status",
        json=body,
        headers=seeded.courier,
    )
    assert 400 <= r.status_code < 500, r.text


@requires_pdf
def test_route_sheet_pdf_gpx_and_geojson_downloads(client: TestClient, seeded: Seeded) -> None:
    url = f"/web/plans/{seeded.plan_id}/routes/{seeded.route_id}"
    pdf = client.get(f"{url}/sheet.pdf", headers=seeded.planner)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    text = "\n".join(p.extract_text() for p in reader.pages).replace("\u00a0", " ").replace("\u202f", " ")
    assert len(reader.pages) == 1
    assert "Feuille de route" in text
    assert "mardi 24 novembre 2026" in text
    assert "Aino Virtanen" in text
    assert "12,50 €" in text
    assert "Code B1234" in text
    gpx = client.get(f"{url}/route.gpx", headers=seeded.courier)
    assert gpx.status_code == 200
    etree.XMLSchema(etree.parse(str(GPX_XSD))).assertValid(etree.fromstring(gpx.content))
    geo = client.get(f"{url}/route.geojson", headers=seeded.courier)
    assert geo.json()["features"][0]["geometry"]["type"] == "LineString"
    en = client.get(f"{url}/sheet.pdf?lang=en", headers=seeded.planner)
    assert "Route sheet" in PdfReader(io.BytesIO(en.content)).pages[0].extract_text()


def test_fill_rate_chart_and_me(client: TestClient, seeded: Seeded) -> None:
    svg = client.get(f"/web/plans/{seeded.plan_id}/fill-rate.svg", headers=seeded.planner)
    assert svg.status_code == 200
    assert "<svg" in svg.text
    assert "Kangoo électrique" in svg.text  # the legend names the vehicles
    assert "Taux de remplissage par jour" in svg.text
    assert client.get(f"/web/plans/{seeded.plan_id}/fill-rate.svg", headers=seeded.courier).status_code == 403
    me = client.get("/web/me", headers=seeded.courier).json()
    assert me["role"] == "courier"
    assert me["currency"] == "EUR"
    assert me["intl"] == "fr-FR"
