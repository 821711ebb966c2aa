"""Cheapest insertion into the plan's rounds: checked against a brute-force re-timing."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.tariffs.conftest import (
    DEPOT,
    TRAVEL,
    VAN,
    Visit,
    make_plan,
    make_route,
    new_order,
    site,
)
from tournee.domain import (
    DAY_S,
    InvalidInput,
    Order,
    Plan,
    Route,
    Site,
    StopKind,
    UnassignedReason,
    Vehicle,
)
from tournee.tariffs import QuoteContext, allocate_co2e_g
from tournee.tariffs.insertion import default_emission_rate


def _window_start(a: int, windows: list[tuple[int, int]]) -> float:
    if not windows:
        return a
    for ws, we in sorted(windows):
        if a <= we:
            return max(a, ws)
    return math.inf


def brute_force_cost_cents(route: Route, vehicle: Vehicle, order: Order) -> float:
    """Try every (pickup, delivery) position, re-time the whole route, return the cheapest cost."""
    stops = route.stops
    n = len(stops)
    vt = vehicle.type
    limit = route.day * DAY_S + vehicle.shift_end_s
    best = math.inf
    seq_sites = [Site(id=s.site_id, location=s.location) for s in stops]
    for i in range(n - 1):
        for j in range(i, n - 1):
            elems: list[tuple[Site, list[tuple[int, int]], int, int]] = []  # site, windows, service, dload
            for k in range(n):
                s = stops[k]
                ws = s.window_start_s if s.window_start_s is not None else s.arrival_s
                service = s.departure_s - max(s.arrival_s, ws)
                wins = [] if s.window_end_s is None else [(ws, s.window_end_s)]
                elems.append((seq_sites[k], wins, service, 0))
                if k == i:
                    elems.append(
                        (
                            order.pickup,
                            [(w.start_s, w.end_s) for w in order.pickup_windows],
                            order.pickup_service_s,
                            1,
                        )
                    )
                if k == j:
                    elems.append(
                        (order.delivery, [(w.start_s, w.end_s) for w in order.windows], order.service_s, -1)
                    )
            t = stops[0].departure_s
            dist = 0
            ok = True
            carrying = False
            for e_prev, e in itertools.pairwise(elems):
                d, tt = TRAVEL.legs(vt.profile, [e_prev[0]], [e[0]])
                dist += int(d[0, 0])
                start = _window_start(t + int(tt[0, 0]), e[1])
                if math.isinf(start):
                    ok = False
                    break
                t = int(start) + e[2]
                if e[3] == 1:
                    carrying = True
                if e[3] == -1:
                    carrying = False
            if not ok or t > limit:
                continue
            # capacity on every stop between pickup and delivery
            loads = [s.load_g for s in stops[i : j + 1]]
            if max(loads) + order.weight_g > vt.capacity_g:
                continue
            assert not carrying
            cost = (dist - route.distance_m) * vt.cost_cents_per_km / 1000 + max(
                0, t - stops[-1].arrival_s
            ) * vt.cost_cents_per_hour / 3600
            best = min(best, cost)
    return best


@pytest.fixture(scope="module")
def windowed() -> tuple[Plan, tuple[Vehicle, ...]]:
    """One van round with tight customer windows and a late shift end (little slack)."""
    van = Vehicle(id="van-w", type=VAN, depot_id="depot", shift_start_s=8 * 3600, shift_end_s=11 * 3600)
    visits = [
        Visit(StopKind.PICKUP, site("s1", 24.94, 60.168), "a", 50_000),
        Visit(StopKind.PICKUP, site("s2", 24.95, 60.175), "b", 500_000),
        Visit(StopKind.DELIVERY, site("h1", 24.96, 60.18), "a", 50_000, window=(9 * 3600, 9 * 3600 + 900)),
        Visit(StopKind.DELIVERY, site("h2", 24.92, 60.16), "b", 500_000, window=(9 * 3600 + 1800, 10 * 3600)),
    ]
    return make_plan([make_route("r-w", van, 0, visits)]), (van,)


_lon = st.floats(min_value=24.90, max_value=24.98)
_lat = st.floats(min_value=60.15, max_value=60.20)


@given(
    plon=_lon,
    plat=_lat,
    dlon=_lon,
    dlat=_lat,
    weight_g=st.integers(min_value=1, max_value=120_000),
    window=st.one_of(st.none(), st.tuples(st.integers(8 * 3600, 11 * 3600), st.integers(0, 3 * 3600))),
)
def test_cheapest_insertion_matches_brute_force_retiming(
    windowed: tuple[Plan, tuple[Vehicle, ...]],
    plon: float,
    plat: float,
    dlon: float,
    dlat: float,
    weight_g: int,
    window: tuple[int, int] | None,
) -> None:
    plan, fleet = windowed
    ctx = QuoteContext.build(plan, vehicles=fleet, travel=TRAVEL, depots={"depot": DEPOT})
    order = new_order(
        pickup=site("p", plon, plat),
        delivery=site("d", dlon, dlat),
        weight_g=weight_g,
        windows=() if window is None else ((window[0], window[0] + window[1]),),
    )
    (cand,) = [c for c in ctx.candidates(order) if c.route_id == "r-w"]
    expected = brute_force_cost_cents(plan.routes[0], fleet[0], order)
    if math.isinf(expected):
        assert not cand.feasible
        assert cand.reason is not None
    else:
        assert cand.feasible, cand
        # integer rounding of straight-line legs may differ by a metre or a second per leg
        assert cand.cost_mcents / 1000 == pytest.approx(expected, abs=2.0)


def test_order_heavier_than_room_left_is_refused_for_capacity(context: QuoteContext) -> None:
    order = new_order(weight_g=700_000)  # more than a van carries
    cands = context.candidates(order)
    assert cands
    assert all(not c.feasible and c.reason is UnassignedReason.CAPACITY for c in cands)


def test_inserting_into_a_round_is_cheaper_than_opening_a_vehicle_day(context: QuoteContext) -> None:
    cands = [c for c in context.candidates(new_order()) if c.feasible]
    in_round = min(c.cost_mcents for c in cands if not c.new_vehicle_day)
    new_day = min(c.cost_mcents for c in cands if c.new_vehicle_day)
    assert in_round < new_day
    assert all(
        c.cost_mcents >= VAN.fixed_cost_cents_per_day * 1000
        for c in cands
        if c.new_vehicle_day and c.vehicle_id.startswith("van")
    )


def test_every_unused_working_vehicle_day_is_offered(context: QuoteContext) -> None:
    cands = context.candidates(new_order())
    opened = {(c.vehicle_id, c.day) for c in cands if c.new_vehicle_day}
    # van-1 works Mon–Fri and has rounds Mon, Tue, Thu; van-2 has none; the bike works Mon–Sat
    assert opened == {("van-1", 2), ("van-1", 4)} | {("van-2", d) for d in range(5)} | {
        ("bike-1", d) for d in range(1, 6)
    }


def test_delivery_window_outside_every_shift_is_refused_for_time(context: QuoteContext) -> None:
    order = new_order(windows=((2 * 3600, 3 * 3600),))  # 02:00–03:00 on Monday
    cands = context.candidates(order)
    assert all(not c.feasible for c in cands)
    assert {c.reason for c in cands} == {UnassignedReason.TIME_WINDOW}


def test_an_order_alone_on_a_new_vehicle_day_carries_all_its_emissions(context: QuoteContext) -> None:
    (cand,) = [c for c in context.candidates(new_order()) if c.vehicle_id == "van-2" and c.day == 0]
    rate = default_emission_rate(VAN)
    expected = cand.added_distance_m * (rate.ttw_co2e_mg_per_km + rate.wtt_co2e_mg_per_km) / 1e6
    assert cand.co2e_g == pytest.approx(expected, abs=1)


def test_allocated_co2e_grows_with_the_order_quantity(context: QuoteContext) -> None:
    light = next(c for c in context.candidates(new_order(weight_g=1000)) if c.route_id == "r-thu")
    heavy = next(c for c in context.candidates(new_order(weight_g=50_000)) if c.route_id == "r-thu")
    assert 0 < light.co2e_g < heavy.co2e_g


@given(
    route_co2e_g=st.integers(0, 10**7),
    perfs=st.lists(st.integers(0, 10**9), min_size=1, max_size=30),
)
def test_glec_shares_add_up_to_the_route_within_rounding(route_co2e_g: int, perfs: list[int]) -> None:
    total = sum(perfs)
    shares = [allocate_co2e_g(route_co2e_g, p, total) for p in perfs]
    assert all(s >= 0 for s in shares)
    if total:
        assert abs(sum(shares) - route_co2e_g) <= len(perfs)


def test_route_with_an_unknown_vehicle_is_rejected(week_plan: Plan) -> None:
    with pytest.raises(InvalidInput, match=r"plan route 'r-\w+': vehicle_id '[\w-]+' is not in the fleet"):
        QuoteContext.build(week_plan, vehicles=(), travel=TRAVEL)


@pytest.fixture(scope="module")
def synthetic() -> tuple[QuoteContext, list[Site]]:
    """The benchmark's synthetic week (300 orders, windows on a third of deliveries), read for quoting."""
    from benchmarks.quote import synthetic_plan

    plan, fleet, depot, merchants, _ = synthetic_plan(orders=300, seed=3)
    return QuoteContext.build(plan, vehicles=fleet, travel=TRAVEL, depots={"depot": depot}), merchants


@given(
    m=st.integers(0, 19), dlon=_lon, dlat=_lat,
    weight_g=st.integers(min_value=1, max_value=200_000),
    window=st.one_of(st.none(), st.tuples(st.integers(0, 6), st.integers(8 * 3600, 18 * 3600), st.integers(600, 4 * 3600))),
)  # fmt: skip
def test_pruning_by_lower_bounds_never_changes_the_cheapest_insertion(
    synthetic: tuple[QuoteContext, list[Site]], m: int, dlon: float, dlat: float, weight_g: int,
    window: tuple[int, int, int] | None,
) -> None:  # fmt: skip
    ctx, merchants = synthetic
    windows = (
        ()
        if window is None
        else ((window[0] * DAY_S + window[1], window[0] * DAY_S + window[1] + window[2]),)
    )
    order = new_order(pickup=merchants[m], delivery=site("d", dlon, dlat), weight_g=weight_g, windows=windows)
    fast = ctx.candidates(order)
    full = ctx.candidates(order, prune=False)
    assert [(c.route_id, c.feasible, c.cost_mcents) for c in fast] == [
        (c.route_id, c.feasible, c.cost_mcents) for c in full
    ]


@given(
    arrivals=st.lists(st.integers(0, 200), min_size=1, max_size=20),
    windows=st.lists(st.tuples(st.integers(0, 180), st.integers(0, 40)), max_size=6),
)
def test_window_start_is_the_earliest_start_in_any_window(
    arrivals: list[int], windows: list[tuple[int, int]]
) -> None:
    import numpy as np

    from tournee.domain import TimeWindow
    from tournee.tariffs.insertion import _window_start

    wins = [TimeWindow(start_s=s, end_s=s + d) for s, d in windows]
    got = _window_start(np.array(arrivals, dtype=np.float64), wins)
    for a, g in zip(arrivals, got.tolist(), strict=True):
        starts = [max(a, w.start_s) for w in wins if a <= w.end_s]
        assert g == (min(starts) if starts else (a if not wins else math.inf))


def test_a_locked_round_takes_no_new_order(week_plan: Plan, fleet: tuple[Vehicle, ...]) -> None:
    from dataclasses import replace

    locked = replace(week_plan, routes=tuple(replace(r, locked=r.id == "r-thu") for r in week_plan.routes))
    ctx = QuoteContext.build(locked, vehicles=fleet, travel=TRAVEL, depots={"depot": DEPOT})
    by_route = {c.route_id: c for c in ctx.candidates(new_order()) if c.route_id}
    assert not by_route["r-thu"].feasible
    assert by_route["r-thu"].reason is UnassignedReason.LOCKED_OUT
    assert by_route["r-mon"].feasible
