"""Small hand-built plans (domain objects only) for the tariff tests.

Times follow the straight-line travel model the tests quote with, so the plans are
consistent: each stop's arrival is the previous departure plus the travel time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from tournee.domain import (
    DAY_S,
    Footprint,
    Fuel,
    Horizon,
    Location,
    Order,
    Plan,
    Profile,
    Route,
    Site,
    SiteKind,
    SolverStats,
    Stop,
    StopKind,
    Vehicle,
    VehicleType,
)
from tournee.tariffs import QuoteContext, StraightLineTravel

TRAVEL = StraightLineTravel()
MONDAY = dt.date(2026, 11, 30)

VAN = VehicleType(
    id="van",
    profile=Profile.VAN,
    capacity_g=600_000,
    capacity_ml=4_000_000,
    capacity_parcels=80,
    fixed_cost_cents_per_day=6000,
    cost_cents_per_km=30,
    cost_cents_per_hour=2500,
    fuel=Fuel.DIESEL,
    fuel_ml_per_100km=9000,
)
BIKE = VehicleType(
    id="bike",
    profile=Profile.CARGO_BIKE,
    capacity_g=120_000,
    capacity_ml=600_000,
    capacity_parcels=20,
    fixed_cost_cents_per_day=2000,
    cost_cents_per_km=5,
    cost_cents_per_hour=1800,
    fuel=Fuel.ELECTRIC,
    energy_wh_per_100km=1500,
)

DEPOT = Site(id="depot", location=Location(lon=24.9300, lat=60.1700), kind=SiteKind.DEPOT)


def site(sid: str, lon: float, lat: float, kind: SiteKind = SiteKind.CUSTOMER) -> Site:
    return Site(id=sid, location=Location(lon=lon, lat=lat), kind=kind)


@dataclass(frozen=True, slots=True)
class Visit:
    """One planned stop: pick up or deliver ``weight_g`` of order ``order_id`` at ``site``."""

    kind: StopKind
    site: Site
    order_id: str
    weight_g: int
    window: tuple[int, int] | None = None  # seconds since midnight of the route's day


def make_route(
    rid: str, vehicle: Vehicle, day: int, visits: Sequence[Visit], *, depot: Site = DEPOT, trip: int = 0
) -> Route:
    """A route visiting ``visits`` in order from ``depot`` and back, timed by ``TRAVEL``."""
    vt = vehicle.type
    seq = [depot, *(v.site for v in visits), depot]
    dist, dur = TRAVEL.legs(vt.profile, seq[:-1], seq[1:])
    t = day * DAY_S + vehicle.shift_start_s
    load = parcels = 0
    stops = [Stop(kind=StopKind.START, site_id=depot.id, location=depot.location, arrival_s=t, departure_s=t)]
    total_m = 0
    for k, v in enumerate(visits):
        d_m, d_s = int(dist[k, k]), int(dur[k, k])
        total_m += d_m
        arrival = t + d_s
        ws = we = None
        start = arrival
        if v.window is not None:
            ws, we = day * DAY_S + v.window[0], day * DAY_S + v.window[1]
            start = max(arrival, ws)
        t = start + (60 if v.kind is StopKind.PICKUP else 120)
        load += v.weight_g if v.kind is StopKind.PICKUP else -v.weight_g
        parcels += 1 if v.kind is StopKind.PICKUP else -1
        stops.append(
            Stop(
                kind=v.kind,
                site_id=v.site.id,
                location=v.site.location,
                arrival_s=arrival,
                departure_s=t,
                order_ids=(v.order_id,),
                window_start_s=ws,
                window_end_s=we,
                load_g=load,
                load_parcels=parcels,
                distance_from_prev_m=d_m,
                duration_from_prev_s=d_s,
            )
        )
    k = len(visits)
    d_m, d_s = int(dist[k, k]), int(dur[k, k])
    total_m += d_m
    stops.append(
        Stop(
            kind=StopKind.END,
            site_id=depot.id,
            location=depot.location,
            arrival_s=t + d_s,
            departure_s=t + d_s,
            distance_from_prev_m=d_m,
            duration_from_prev_s=d_s,
        )
    )
    start_s = stops[0].departure_s
    if vt.fuel is Fuel.DIESEL:
        ttw, wtt = (
            total_m * vt.fuel_ml_per_100km * 2510 // 100 // 1_000_000,
            total_m * vt.fuel_ml_per_100km * 660 // 100 // 1_000_000,
        )
    else:
        ttw, wtt = 0, total_m * vt.energy_wh_per_100km * 48 // 100 // 1_000_000
    peak = max(s.load_g for s in stops)
    return Route(
        id=rid,
        vehicle_id=vehicle.id,
        profile=vt.profile,
        day=day,
        stops=tuple(stops),
        distance_m=total_m,
        duration_s=stops[-1].arrival_s - start_s,
        cost_cents=0,
        footprint=Footprint(
            ttw_co2e_g=ttw, wtt_co2e_g=wtt, factor_id="test", source="test factors", year=2017
        ),
        trip=trip,
        fill_rate_pct=peak * 100 // vt.capacity_g,
    )


def make_plan(routes: Sequence[Route], *, days: int = 7, currency: str = "EUR") -> Plan:
    return Plan(
        id="p-test",
        horizon=Horizon(start=MONDAY, days=days),
        routes=tuple(routes),
        legs=(),
        unassigned=(),
        stats=SolverStats(status="test", objective=0, wall_s=0.0),
        currency=currency,
    )


MERCHANT = site("shop-a", 24.9400, 60.1680, SiteKind.MERCHANT)
FARM = site("farm-b", 24.9000, 60.1900, SiteKind.MERCHANT)
CUSTOMERS = [
    site(f"c{k}", 24.92 + 0.006 * (k % 5), 60.160 + 0.005 * (k // 5), SiteKind.CUSTOMER) for k in range(15)
]


def busy_route(rid: str, vehicle: Vehicle, day: int, n_orders: int, *, weight_g: int = 8000) -> Route:
    """A round picking up ``n_orders`` at the shop and the farm, then delivering them."""
    picks = [
        Visit(StopKind.PICKUP, MERCHANT if k % 2 == 0 else FARM, f"{rid}-o{k}", weight_g)
        for k in range(n_orders)
    ]
    picks.sort(key=lambda v: v.site.id)
    drops = [
        Visit(StopKind.DELIVERY, CUSTOMERS[k % len(CUSTOMERS)], f"{rid}-o{k}", weight_g)
        for k in range(n_orders)
    ]
    return make_route(rid, vehicle, day, [*picks, *drops])


@pytest.fixture(scope="session")
def fleet() -> tuple[Vehicle, ...]:
    """Two vans (Monday–Friday) and a cargo bike (Monday–Saturday), all based at the depot."""
    return (
        Vehicle(id="van-1", type=VAN, depot_id="depot"),
        Vehicle(id="van-2", type=VAN, depot_id="depot"),
        Vehicle(id="bike-1", type=BIKE, depot_id="depot", working_weekdays=frozenset(range(6))),
    )


@pytest.fixture(scope="session")
def week_plan(fleet: tuple[Vehicle, ...]) -> Plan:
    """A week with van rounds on Monday, Tuesday and Thursday and a bike round on Monday."""
    van1, _, bike = fleet
    return make_plan(
        [
            busy_route("r-mon", van1, 0, 10),
            busy_route("r-tue", van1, 1, 6),
            busy_route("r-thu", van1, 3, 12),
            busy_route("r-bike", bike, 0, 4, weight_g=5000),
        ]
    )


@pytest.fixture(scope="session")
def context(week_plan: Plan, fleet: tuple[Vehicle, ...]) -> QuoteContext:
    """The week plan read for quoting with straight-line travel."""
    return QuoteContext.build(week_plan, vehicles=fleet, travel=TRAVEL, depots={"depot": DEPOT})


def new_order(
    *,
    oid: str = "new",
    delivery: Site | None = None,
    pickup: Site = MERCHANT,
    weight_g: int = 3000,
    parcels: int = 1,
    value_cents: int = 0,
    windows: tuple[tuple[int, int], ...] = (),
) -> Order:
    """A prospective order from the shop to a customer near the centre."""
    from tournee.domain import TimeWindow

    return Order(
        id=oid,
        merchant_id="m-shop",
        pickup=pickup,
        delivery=delivery or site("home", 24.9350, 60.1650),
        weight_g=weight_g,
        parcels=parcels,
        value_cents=value_cents,
        windows=tuple(TimeWindow(start_s=a, end_s=b) for a, b in windows),
    )
