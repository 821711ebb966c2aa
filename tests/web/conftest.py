"""Fixtures for the documents and pages: hand-built plans in central Helsinki."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from tournee.api.web.documents import OrderInfo, SheetContext, SiteInfo
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

HORIZON = Horizon(start=dt.date(2026, 11, 23), days=7)
DEPOT = Location(lon=24.9384, lat=60.1699)


def build_route(*, route_id: str, vehicle_id: str, day: int, deliveries: int, start_h: int = 8) -> Route:
    """A van route: start at the depot, one pickup at a farm shop, ``deliveries`` drops, back."""
    t = day * DAY_S + start_h * 3600
    stops = [Stop(kind=StopKind.START, site_id="depot", location=DEPOT, arrival_s=t, departure_s=t, load_g=0)]
    load_g = 1500 * deliveries
    t += 600
    stops.append(
        Stop(
            kind=StopKind.PICKUP,
            site_id="farm",
            location=Location(lon=24.9300, lat=60.1750),
            arrival_s=t,
            departure_s=t + 300,
            order_ids=tuple(f"{route_id}-o{k}" for k in range(deliveries)),
            load_g=load_g,
            load_parcels=deliveries,
            distance_from_prev_m=900,
            duration_from_prev_s=600,
        )
    )
    for k in range(deliveries):
        t += 420
        load_g -= 1500
        stops.append(
            Stop(
                kind=StopKind.DELIVERY,
                site_id=f"{route_id}-c{k}",
                location=Location(lon=24.92 + 0.0012 * k, lat=60.160 + 0.0007 * (k % 9)),
                arrival_s=t,
                departure_s=t + 120,
                order_ids=(f"{route_id}-o{k}",),
                window_start_s=day * DAY_S + 9 * 3600 if k % 3 == 0 else None,
                window_end_s=day * DAY_S + 12 * 3600 if k % 3 == 0 else None,
                load_g=load_g,
                load_parcels=deliveries - k - 1,
                distance_from_prev_m=450,
                duration_from_prev_s=300,
            )
        )
    t += 900
    stops.append(Stop(kind=StopKind.END, site_id="depot", location=DEPOT, arrival_s=t, departure_s=t))
    return Route(
        id=route_id,
        vehicle_id=vehicle_id,
        profile=Profile.VAN,
        day=day,
        stops=tuple(stops),
        distance_m=900 + 450 * deliveries + 1800,
        duration_s=t - stops[0].departure_s,
        cost_cents=4200,
        footprint=Footprint(
            ttw_co2e_g=2100, wtt_co2e_g=480, factor_id="van-diesel", source="ADEME", year=2024
        ),
        fill_rate_pct=min(100, 4 * deliveries),
    )


@pytest.fixture
def long_route() -> Route:
    """A Tuesday van route with one pickup and 25 deliveries (26 numbered stops)."""
    return build_route(route_id="r-tue-van1", vehicle_id="van-1", day=1, deliveries=25)


@pytest.fixture
def short_plan() -> Plan:
    """A week plan with three routes on two days, two vehicles and one unassigned order."""
    routes = (
        build_route(route_id="r-mon-van1", vehicle_id="van-1", day=0, deliveries=6),
        build_route(route_id="r-mon-bike1", vehicle_id="bike-1", day=0, deliveries=4),
        build_route(route_id="r-wed-van1", vehicle_id="van-1", day=2, deliveries=9),
    )
    return Plan(
        id="plan-1",
        horizon=HORIZON,
        routes=routes,
        legs=(),
        unassigned=(
            Unassigned(order_id="o-heavy", reason=UnassignedReason.CAPACITY, detail="1.2 t > 800 kg"),
        ),
        stats=SolverStats(status="SUCCESS", objective=123, wall_s=1.0),
    )


def details_for(route: Route, *, lang: str = "fr", currency: str = "EUR") -> SheetContext:
    """Customer names, phones, door codes and amounts for every stop of ``route``."""
    sites = {
        "depot": SiteInfo(name="Dépôt Kamppi", address="Runeberginkatu 1, Helsinki"),
        "farm": SiteInfo(
            name="Ferme des Trois Chênes", address="Mannerheimintie 5", phone="+358 40 000 0000"
        ),
    }
    orders = {}
    for stop in route.stops:
        if stop.kind is StopKind.DELIVERY:
            k = stop.site_id.rsplit("c", 1)[-1]
            sites[stop.site_id] = SiteInfo(
                address=f"Fredrikinkatu {k}, 00120 Helsinki",
                door_code=f"B{k}47" if int(k) % 2 == 0 else "",
                notes="Sonner deux fois" if int(k) % 5 == 0 else "",
            )
            orders[stop.order_ids[0]] = OrderInfo(
                reference=f"CMD-{k}",
                customer_name=f"Client numéro {k}",
                phone=f"+33 6 12 34 56 {int(k):02d}",
                items="2 cageots de pommes, 1 miel",
                collect_cents=1250 if int(k) % 4 == 0 else 0,
            )
    return SheetContext(
        horizon=HORIZON,
        lang=lang,
        currency=currency,
        timezone="Europe/Helsinki",
        tenant_name="Coop du Val",
        vehicle_name="Kangoo électrique",
        mobile_url=f"http://localhost:8000/m/routes/{route.id}",
        sites=sites,
        orders=orders,
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the test item, so browser fixtures can tell a failure."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


def _weasyprint_loads() -> bool:
    try:
        from tournee.api.web.documents import weasyprint_html

        weasyprint_html()
    except Exception:  # Unavailable: no Pango on this machine
        return False
    return True


requires_pdf = pytest.mark.skipif(
    not _weasyprint_loads(),
    reason="WeasyPrint's system libraries (Pango) are missing: apt-get install weasyprint (.ci/run does)",
)
