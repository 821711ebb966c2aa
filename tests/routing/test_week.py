"""The week planner: every promise of issue 4's "Done when", on small synthetic weeks.

Scenarios use great-circle travel (HaversineTravel) around central Helsinki, plus one
week on the real embedded Helsinki map.  Solves are short (about a second each).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tournee.domain import (
    DAY_S,
    Fuel,
    Horizon,
    Hub,
    InvalidInput,
    LegKind,
    Location,
    Merchant,
    Order,
    Plan,
    Profile,
    Site,
    SiteKind,
    StopKind,
    Tier,
    TimeWindow,
    UnassignedReason,
    UnknownReference,
    UnknownTier,
    Vehicle,
    VehicleType,
)
from tournee.routing.travel import HaversineTravel, SiteMatrices
from tournee.routing.week import WeekParams, WeekProblem, plan_week, week_search

MONDAY = dt.date(2026, 11, 30)
HORIZON = Horizon(start=MONDAY, days=7)
FAST = WeekParams(solve=week_search(1.0))

VAN = VehicleType(
    id="van",
    profile=Profile.VAN,
    capacity_g=800_000,
    capacity_ml=6_000_000,
    capacity_parcels=120,
    fixed_cost_cents_per_day=15_000,
    cost_cents_per_km=30,
    cost_cents_per_hour=2_500,
    fuel_ml_per_100km=8_000,
    skills=frozenset({"chilled"}),
)
BIKE = VehicleType(
    id="bike",
    profile=Profile.CARGO_BIKE,
    capacity_g=150_000,
    capacity_ml=1_000_000,
    capacity_parcels=20,
    fixed_cost_cents_per_day=5_000,
    cost_cents_per_km=5,
    cost_cents_per_hour=2_000,
    fuel=Fuel.ELECTRIC,
    energy_wh_per_100km=2_500,
)


def _site(sid: str, lon: float, lat: float, kind: SiteKind = SiteKind.CUSTOMER) -> Site:
    return Site(id=sid, location=Location(lon=lon, lat=lat), kind=kind)


DEPOT = Hub(id="depot", name="Depot", site=_site("s-depot", 24.80, 60.22, SiteKind.DEPOT))
MICRO = Hub(
    id="micro", name="Micro-hub", site=_site("s-micro", 24.945, 60.170, SiteKind.MICRO_HUB), handling_s=1_800
)
# Merchants far from the micro-hub (their urban orders go van → hub → bike) and one inside it.
SHOPS = [
    _site("m-farm", 24.70, 60.26, SiteKind.MERCHANT),
    _site("m-bakery", 24.85, 60.21, SiteKind.MERCHANT),
    _site("m-books", 24.950, 60.168, SiteKind.MERCHANT),
]


def _fleet(*, bikes: int = 1, trips: int = 2) -> tuple[Vehicle, ...]:
    vans = (
        Vehicle(id="van-1", type=VAN, depot_id="depot"),
        Vehicle(id="van-2", type=VAN, depot_id="depot", working_weekdays=frozenset({1, 4})),
    )
    return vans + tuple(
        Vehicle(id=f"bike-{k}", type=BIKE, depot_id="micro", max_trips_per_day=trips, reload_s=600)
        for k in range(1, bikes + 1)
    )


def _orders(n: int, seed: int) -> list[Order]:
    """``n`` orders: a third urban (near the micro-hub), the rest spread over the region."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        shop = rng.choice(SHOPS)
        if i % 3 == 0:
            lon, lat = 24.945 + rng.uniform(-0.03, 0.03), 60.170 + rng.uniform(-0.012, 0.012)
        else:
            lon, lat = rng.uniform(24.65, 25.05), rng.uniform(60.15, 60.30)
        e = rng.randint(0, 4)
        late = min(6, e + rng.choice([0, 1, 3, 5]))
        windows: tuple[TimeWindow, ...] = ()
        if i % 5 == 1:  # after 14:00 on its first and last day: two windows
            windows = tuple(
                TimeWindow(start_s=d * DAY_S + 14 * 3600, end_s=d * DAY_S + 18 * 3600)
                for d in sorted({e, late})
            )
        out.append(
            Order(
                id=f"o{i:03d}",
                merchant_id=shop.id,
                pickup=shop,
                delivery=_site(f"c{i:03d}", lon, lat),
                weight_g=rng.randint(500, 25_000),
                volume_ml=rng.randint(1_000, 60_000),
                parcels=rng.randint(1, 3),
                earliest_day=e,
                latest_day=late,
                windows=windows,
                skills=frozenset({"chilled"}) if i % 7 == 3 else frozenset(),
            )
        )
    return out


def _problem(orders: Sequence[Order], **kw: object) -> WeekProblem:
    args: dict[str, object] = {
        "horizon": HORIZON,
        "hubs": (DEPOT, MICRO),
        "vehicles": _fleet(),
        "orders": tuple(orders),
        "carbon_price_cents_per_t": 7_500,
    }
    args.update(kw)
    return WeekProblem(**args)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the promises


def assert_plan_keeps_its_promises(problem: WeekProblem, plan: Plan) -> None:
    """Every property of issue 4's "Done when", checked on one plan."""
    orders = {o.id: o for o in problem.orders}
    vehicles = {v.id: v for v in problem.vehicles}
    hubs_by_site = {h.site.id: h for h in problem.hubs}

    # every order routed once or unassigned with a reason
    unassigned = Counter(u.order_id for u in plan.unassigned)
    assert all(c == 1 for c in unassigned.values())
    for u in plan.unassigned:
        assert isinstance(u.reason, UnassignedReason)
        assert u.detail
    drops: Counter[str] = Counter()
    hub_drops: dict[str, tuple[str, int]] = {}  # order → (hub site, time the van leaves it)
    for r in plan.routes:
        for s in r.stops:
            for oid in s.order_ids:
                if s.kind is StopKind.DELIVERY:
                    drops[oid] += 1
                elif s.kind is StopKind.HUB_DROP:
                    assert oid not in hub_drops
                    hub_drops[oid] = (s.site_id, s.departure_s)
    for oid in orders:
        assert (drops[oid] == 1) != (oid in unassigned), oid
    assert set(plan.served_order_ids) == {o for o in orders if drops[o] == 1}

    for r in plan.routes:
        v = vehicles[r.vehicle_id]
        vt = v.type
        # loads ≤ capacities, recomputed from the orders (not trusted from the stops)
        load = np.zeros(3, dtype=np.int64)
        seen_pickup: set[str] = set()
        for s in r.stops:
            for oid in s.order_ids:
                o = orders[oid]
                q = np.array([o.weight_g, o.volume_ml, o.parcels])
                if s.kind in (StopKind.PICKUP, StopKind.HUB_LOAD):
                    load += q
                    seen_pickup.add(oid)
                else:
                    # pickup before delivery, on the same vehicle (the same route)
                    assert oid in seen_pickup, f"{oid} dropped on {r.id} before being picked up there"
                    load -= q
            assert (load >= 0).all()
            assert load[0] <= vt.capacity_g
            assert load[1] <= vt.capacity_ml
            assert load[2] <= vt.capacity_parcels
            assert (s.load_g, s.load_ml, s.load_parcels) == tuple(int(x) for x in load)
        assert (load == 0).all()
        # the shift of the vehicle-day
        assert r.stops[0].kind is StopKind.START
        assert r.stops[-1].kind is StopKind.END
        assert r.stops[0].departure_s >= r.day * DAY_S + v.shift_start_s
        assert r.stops[-1].arrival_s <= r.day * DAY_S + v.shift_end_s
        assert problem.horizon.weekday_of(r.day) in v.working_weekdays
        times = [t for s in r.stops for t in (s.arrival_s, s.departure_s)]
        assert times == sorted(times)
        for s in r.stops:
            if s.kind is StopKind.DELIVERY:
                (oid,) = s.order_ids
                o = orders[oid]
                # delivery day inside the tier window, and inside the customer's windows
                assert o.earliest_day <= s.arrival_s // DAY_S <= o.latest_day, (oid, s.arrival_s)
                assert o.earliest_day <= r.day <= o.latest_day
                if o.windows:
                    assert any(w.contains(s.arrival_s) for w in o.windows), (oid, s.arrival_s)
            if s.kind is StopKind.HUB_LOAD and s.site_id in hubs_by_site:
                hub = hubs_by_site[s.site_id]
                for oid in s.order_ids:
                    if oid in hub_drops and hub_drops[oid][0] == s.site_id:
                        # the bike leaves the hub with the goods only after they arrived + handling
                        assert s.departure_s >= hub_drops[oid][1] + hub.handling_s, oid

    # trips of one vehicle-day follow each other
    by_vday: dict[tuple[str, int], list] = defaultdict(list)
    for r in plan.routes:
        by_vday[(r.vehicle_id, r.day)].append(r)
    for rs in by_vday.values():
        rs.sort(key=lambda r: r.trip)
        assert [r.trip for r in rs] == list(range(len(rs)))
        for a, b in itertools.pairwise(rs):
            assert b.stops[0].departure_s >= a.stops[-1].arrival_s

    # per-order CO2e sums exactly to the plan's CO2e (routes + hub handling)
    assert sum(plan.order_co2e_g(o) for o in plan.served_order_ids) == plan.co2e_g
    for r in plan.routes:
        assert sum(leg.footprint.co2e_g for leg in plan.legs if leg.route_id == r.id) == r.co2e_g
    # an order carried van → hub → bike gets both legs and the hub element
    for oid in hub_drops:
        if oid in plan.served_order_ids:
            kinds = {leg.kind for leg in plan.legs if leg.order_id == oid}
            assert kinds == {LegKind.TO_HUB, LegKind.HUB_HANDLING, LegKind.FROM_HUB}


# --------------------------------------------------------------------------- plans


@pytest.fixture(scope="module")
def week_orders() -> list[Order]:
    """Thirty orders from three merchants: rural, urban via the micro-hub, urban door to door."""
    return _orders(30, seed=7)


@pytest.mark.parametrize(("strategy", "zone_max_legs"), [("joint", 120), ("by_day", 120), ("by_day", 4)])
def test_every_promise_holds_for_every_strategy(
    week_orders: list[Order], strategy: str, zone_max_legs: int
) -> None:
    # small sectors need a fleet to cut: a sector gets at least five vehicle-days
    extra = tuple(
        Vehicle(id=f"van-x{k}", type=VAN, depot_id="depot") for k in range(8 if zone_max_legs < 10 else 0)
    )
    problem = _problem(week_orders, vehicles=_fleet() + extra)
    params = dataclasses.replace(FAST, strategy=strategy, zone_max_legs=zone_max_legs)
    phases: set[str] = set()
    plan = plan_week(problem, travel=HaversineTravel(), params=params, progress=lambda p: phases.add(p.phase))
    assert_plan_keeps_its_promises(problem, plan)
    assert len(plan.served_order_ids) >= 25
    assert plan.stats.strategy.startswith(strategy)
    assert any("zone" in p for p in phases) == bool(extra), phases
    kinds = {leg.kind for leg in plan.legs}
    assert {LegKind.TO_HUB, LegKind.FROM_HUB, LegKind.HUB_HANDLING, LegKind.DOOR_TO_DOOR} <= kinds


def test_sectors_searched_in_worker_processes_keep_every_promise(
    week_orders: list[Order], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two worker processes search the sectors side by side: same promises, progress still reported."""
    import tournee.routing.week as week

    started: list[int] = []

    class Pool(ProcessPoolExecutor):
        def __init__(self, max_workers: int, **kwargs: object) -> None:
            started.append(max_workers)
            super().__init__(max_workers, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(week, "PARALLEL_MIN_BUDGET_S", 0.5)
    monkeypatch.setattr(week, "ProcessPoolExecutor", Pool)
    extra = tuple(Vehicle(id=f"van-x{k}", type=VAN, depot_id="depot") for k in range(8))
    problem = _problem(week_orders, vehicles=_fleet() + extra)
    params = dataclasses.replace(FAST, strategy="by_day", zone_max_legs=4, workers=2, solve=week_search(3.0))
    phases: list[str] = []
    plan = plan_week(
        problem, travel=HaversineTravel(), params=params, progress=lambda p: phases.append(p.phase)
    )
    assert_plan_keeps_its_promises(problem, plan)
    assert len(plan.served_order_ids) >= 25
    assert started == [2]
    assert any("zone" in p for p in phases), phases


def test_once_the_workers_run_a_short_batch_goes_to_them_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """A full week's later re-offer rounds get a few seconds each: too short to start worker
    processes for, but the first pass has started them, so the zones of such a round are
    solved side by side -- not one after the other on one core while the workers idle."""
    import time

    import tournee.routing.week as week

    orders = [
        _one(f"p{i}", delivery=_site(f"p-c{i}", 24.95 + 0.01 * i, 60.20), latest_day=1) for i in range(4)
    ]
    problem = _problem(orders, vehicles=(Vehicle(id="van-1", type=VAN, depot_id="depot"),))
    ctx = week._context(
        problem, HaversineTravel(), dataclasses.replace(FAST, workers=2), None, time.perf_counter()
    )
    counter = itertools.count()
    legs = []
    for o in orders:
        found = week._legs_for(ctx, o, counter)
        assert isinstance(found, list)
        legs.append(found[0])
    vdays = {vd.day: [vd] for vd in ctx.vdays}
    specs = [
        week._Spec(
            legs=[dataclasses.replace(leg, days=[day]) for leg in legs[2 * day : 2 * day + 2]],
            vdays=vdays[day],
            weight=2,
            phase=f"repair day {day}",
        )
        for day in (0, 1)
    ]

    def here(*args: object, **kwargs: object) -> None:
        raise AssertionError("solved in the planner's process")

    monkeypatch.setattr(week, "_solve", here)
    assert week.PARALLEL_MIN_BUDGET_S > 2.0  # too short a batch to start workers for
    assert week._pool(ctx, 2) is not None  # started by an earlier, longer batch
    try:
        results = week._solve_many(ctx, specs, 2.0)
    finally:
        if ctx.pool:
            ctx.pool.shutdown(wait=True)
    served = [sorted(leg.order.id for v in visits for leg, is_p in v.nodes if is_p) for visits, _ in results]
    assert served == [["p0", "p1"], ["p2", "p3"]]
    assert [dropped for _, dropped in results] == [[], []]


def test_a_worker_pool_that_cannot_start_falls_back_to_this_process(
    week_orders: list[Order], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tournee.routing.week as week

    def no_pool(*args: object, **kwargs: object) -> None:
        raise OSError("no processes here")

    monkeypatch.setattr(week, "PARALLEL_MIN_BUDGET_S", 0.5)
    monkeypatch.setattr(week, "ProcessPoolExecutor", no_pool)
    problem = _problem(week_orders)
    params = dataclasses.replace(FAST, strategy="by_day", workers=2, solve=week_search(2.0))
    plan = plan_week(problem, travel=HaversineTravel(), params=params)
    assert_plan_keeps_its_promises(problem, plan)
    assert len(plan.served_order_ids) >= 25


@pytest.mark.parametrize("workers", [-1, 1.5, True])
def test_workers_must_be_a_count(workers: object) -> None:
    with pytest.raises(InvalidInput, match="workers"):
        WeekParams(workers=workers)  # type: ignore[arg-type]


@pytest.mark.parametrize("discount", [-0.01, 0.11, float("nan")])
def test_flexible_discount_must_keep_every_penalty_positive(discount: float) -> None:
    with pytest.raises(InvalidInput, match="flexible_discount_per_day"):
        WeekParams(flexible_discount_per_day=discount)


def test_auto_strategy_solves_a_small_week_as_one_model(week_orders: list[Order]) -> None:
    problem = _problem(week_orders[:10])
    plan = plan_week(problem, travel=HaversineTravel(), params=FAST)
    assert plan.stats.strategy.startswith("joint")
    assert_plan_keeps_its_promises(problem, plan)


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000), by_day=st.booleans())
def test_random_weeks_keep_every_promise(seed: int, by_day: bool) -> None:
    problem = _problem(_orders(9, seed=seed))
    params = WeekParams(strategy="by_day" if by_day else "joint", solve=week_search(0.3))
    assert_plan_keeps_its_promises(problem, plan_week(problem, travel=HaversineTravel(), params=params))


def test_slow_orders_are_pooled_into_few_vehicle_days() -> None:
    """Ten flexible rural orders near each other fit one van-day: the plan uses one."""
    shop = SHOPS[0]
    orders = [
        Order(
            id=f"slow{i}",
            merchant_id=shop.id,
            pickup=shop,
            delivery=_site(f"slow-c{i}", 24.70 + 0.002 * i, 60.27),
            weight_g=2_000,
            earliest_day=0,
            latest_day=5,
        )
        for i in range(10)
    ]
    problem = _problem(orders, vehicles=_fleet(bikes=0))
    plan = plan_week(problem, travel=HaversineTravel(), params=FAST)
    assert_plan_keeps_its_promises(problem, plan)
    assert len(plan.routes) == 1


def test_days_first_empties_a_light_vehicle_day_into_another_day_of_the_window() -> None:
    """Nine one-parcel orders for a ten-parcel van: day assignment keeps 15 % slack and splits
    them over two days; improving across days moves the straggler and saves a van-day."""
    shop = SHOPS[0]
    small_van = dataclasses.replace(VAN, id="small-van", capacity_parcels=10)
    van = Vehicle(id="van-s", type=small_van, depot_id="depot", working_weekdays=frozenset({0, 1}))
    orders = [
        Order(
            id=f"f{i}",
            merchant_id=shop.id,
            pickup=shop,
            delivery=_site(f"f-c{i}", 24.70 + 0.003 * i, 60.265),
            weight_g=1_000,
            earliest_day=0,
            latest_day=1,
        )
        for i in range(9)
    ]
    problem = _problem(orders, vehicles=(van,))
    params = WeekParams(strategy="by_day", solve=week_search(3.0))
    plan = plan_week(problem, travel=HaversineTravel(), params=params)
    assert_plan_keeps_its_promises(problem, plan)
    assert len(plan.served_order_ids) == 9
    assert len(plan.routes) == 1


def test_a_busy_week_is_spread_over_its_days_keeping_a_van_free_each_day() -> None:
    """Eighty quarter-hour deliveries that may go any weekday, two vans: the week is busy
    (its estimated work is over a third of the fleet's), so the days are not filled one
    after the other -- that overloads a day whenever the estimate of a stop's work is
    optimistic, and leaves no van for orders phoned in during the week.  The plan uses at
    most one van a day."""
    shop = SHOPS[1]
    rng = random.Random(7)
    orders = [
        Order(
            id=f"b{i:02d}",
            merchant_id=shop.id,
            pickup=shop,
            delivery=_site(f"b-c{i:02d}", 25.05 + rng.uniform(-0.08, 0.08), 60.35 + rng.uniform(-0.04, 0.04)),
            weight_g=3_000,
            service_s=900,
            earliest_day=0,
            latest_day=4,
        )
        for i in range(80)
    ]
    vans = tuple(Vehicle(id=f"van-{k}", type=VAN, depot_id="depot") for k in (1, 2))
    problem = _problem(orders, vehicles=vans)
    plan = plan_week(
        problem, travel=HaversineTravel(), params=WeekParams(strategy="by_day", solve=week_search(3.0))
    )
    assert_plan_keeps_its_promises(problem, plan)
    assert plan.unassigned == ()
    per_day = Counter(r.day for r in plan.routes)
    assert max(per_day.values()) == 1, per_day


def _half_hour_week(orders: int) -> WeekProblem:
    """``orders`` half-hour deliveries near one shop for one van, any day from Monday to Friday."""
    shop = SHOPS[1]
    rng = random.Random(3)
    return _problem(
        [
            Order(
                id=f"w{i:03d}",
                merchant_id=shop.id,
                pickup=shop,
                delivery=_site(
                    f"w-c{i:03d}", 25.05 + rng.uniform(-0.03, 0.03), 60.35 + rng.uniform(-0.02, 0.02)
                ),
                weight_g=1_000,
                service_s=1_800,
                earliest_day=0,
                latest_day=4,
            )
            for i in range(orders)
        ],
        vehicles=(Vehicle(id="van-1", type=VAN, depot_id="depot"),),
    )


@pytest.mark.parametrize(("orders", "consolidated"), [(12, True), (150, False)])
def test_a_full_week_spends_the_consolidation_time_placing_orders(
    monkeypatch: pytest.MonkeyPatch, orders: int, consolidated: bool
) -> None:
    """Half-hour deliveries for one van on any of five days: 12 leave room, and the lightest
    days are offered to the others before the days' searches go on from their routes (with at
    least their share of the time, even when the first pass overran); 150 (75 hours of service
    for ~50 hours of shifts) fill the week, the first pass leaves many out, and no time goes to
    emptying vehicle-days -- every order left out still comes back with its reason."""
    import tournee.routing.week as week

    calls: list[str] = []
    real, real_search_on = week._consolidate, week._search_on

    def spy(*args: Any, **kwargs: Any) -> None:
        calls.append("consolidate")
        real(*args, **kwargs)

    def spy_search_on(*args: Any, **kwargs: Any) -> list[Any]:
        calls.append("search on")
        return real_search_on(*args, **kwargs)

    monkeypatch.setattr(week, "_consolidate", spy)
    monkeypatch.setattr(week, "_search_on", spy_search_on)
    problem = _half_hour_week(orders)
    plan = plan_week(
        problem, travel=HaversineTravel(), params=WeekParams(strategy="by_day", solve=week_search(2.0))
    )
    assert_plan_keeps_its_promises(problem, plan)
    assert ("consolidate" in calls) is consolidated
    if consolidated:  # emptying vehicle-days first, then the searches go on, however short the time
        assert calls[:2] == ["consolidate", "search on"], calls
    assert (len(plan.unassigned) > week.FULL_WEEK_DROPPED_SHARE * orders) is not consolidated


def test_a_zone_whose_re_solve_finds_no_solution_in_time_keeps_its_routes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A full week's re-offer rounds and searches re-solve each zone from its routes; when
    such a re-solve finds no solution within its time (OR-Tools could not even take the
    routes back), the zone keeps the routes it had: the plan serves every order the first
    pass placed, and the rest come back unassigned with their reason."""
    import tournee.routing.week as week

    real_search, real_many = week._search, week._solve_many
    first_pass: list[int] = []

    def timed_out(problem: Any, params: Any, budget_s: float, progress: Any = None) -> Any:
        if problem.initial_routes is not None:
            return None, ["matrix problem: no solution found (test: out of time)"]
        return real_search(problem, params, budget_s, progress)

    def count_first_pass(ctx: Any, specs: Any, wall_s: float) -> Any:
        results = real_many(ctx, specs, wall_s)
        if not first_pass:
            first_pass.append(sum(1 for visits, _ in results for v in visits for _leg, p in v.nodes if p))
        return results

    monkeypatch.setattr(week, "_search", timed_out)
    monkeypatch.setattr(week, "_solve_many", count_first_pass)
    problem = _half_hour_week(150)
    plan = plan_week(
        problem, travel=HaversineTravel(), params=WeekParams(strategy="by_day", solve=week_search(2.0))
    )
    assert_plan_keeps_its_promises(problem, plan)
    assert first_pass
    assert first_pass[0] > 50
    assert len(plan.served_order_ids) == first_pass[0]


def _neighbours_week() -> tuple[Any, dict[int, list[Any]], Any]:
    """Monday's zone (empty), Tuesday's van serving two drops a few hundred metres from order
    "x", Wednesday's (the idler day) serving one drop 12 km south; "x", left out on Monday,
    may go Tuesday or Wednesday (it fits in either).  Returns the context, zones and x's leg."""
    import time

    import tournee.routing.week as week

    shop = SHOPS[1]

    def order(oid: str, lon: float, lat: float, first: int, last: int) -> Order:
        return Order(
            id=oid,
            merchant_id=shop.id,
            pickup=shop,
            delivery=_site(f"c-{oid}", lon, lat),
            weight_g=2_000,
            earliest_day=first,
            latest_day=last,
        )

    north = [order("n1", 24.950, 60.280, 1, 1), order("n2", 24.956, 60.283, 1, 1)]
    south = [order("s1", 24.950, 60.170, 2, 2)]
    late = order("x", 24.953, 60.286, 0, 2)
    problem = _problem([*north, *south, late], vehicles=(Vehicle(id="van-1", type=VAN, depot_id="depot"),))
    ctx = week._context(problem, HaversineTravel(), FAST, None, time.perf_counter())
    counter = itertools.count()
    legs = {}
    for o in problem.orders:
        found = week._legs_for(ctx, o, counter)
        assert isinstance(found, list)
        legs[o.id] = found[0]
    vdays = {vd.day: [vd] for vd in ctx.vdays}
    zones: dict[int, list[Any]] = {}
    for day, members in ((0, []), (1, north), (2, south)):
        day_legs = [dataclasses.replace(legs[o.id], days=[day]) for o in members]
        visits, dropped = week._solve(ctx, day_legs, vdays[day], 1.0, f"day {day}", initial=None)
        assert dropped == []
        zones[day] = [week._Zone(day=day, vdays=vdays[day], legs=day_legs, visits=visits)]
    return ctx, zones, legs["x"]


def _served_on(zones: dict[int, list[Any]]) -> dict[int, list[str]]:
    return {
        day: [leg.order.id for v in zs[0].visits for leg, is_p in v.nodes if is_p]
        for day, zs in zones.items()
    }


def test_a_dropped_order_is_offered_to_the_zone_serving_its_neighbours_not_the_idlest_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Offered to one zone a round, the order left out on Monday goes to Tuesday's zone,
    whose van serves its neighbours, not to Wednesday's, the idler day: Tuesday's new solve
    routes it beside them (offered to Wednesday's, it would be routed there: it fits)."""
    import tournee.routing.week as week

    monkeypatch.setattr(week, "REPAIR_OFFERS", 1)
    ctx, zones, x = _neighbours_week()
    tried = {x.id: {id(zones[0][0])}}  # left out on Monday

    still = week._repair_round(
        ctx, [dataclasses.replace(x, days=[0])], zones, {x.id: x}, tried, "vans", budget_s=1.0
    )

    assert still == []
    served_on = _served_on(zones)
    assert sorted(served_on[1]) == ["n1", "n2", "x"], served_on
    assert served_on[2] == ["s1"], served_on
    assert tried[x.id] == {id(zones[0][0]), id(zones[1][0])}


def test_an_order_offered_to_two_zones_and_routed_in_both_stays_in_the_nearer_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A round offers the order to its two nearest zones at once; both new solves route it
    (it fits either day).  It stays in Tuesday's, beside its neighbours, and leaves
    Wednesday's routes: served once, and Wednesday's van still serves its own drop."""
    import tournee.routing.week as week

    monkeypatch.setattr(week, "REPAIR_OFFERS", 2)
    ctx, zones, x = _neighbours_week()
    tried = {x.id: {id(zones[0][0])}}
    solved: list[list[str]] = []
    solve_many = week._solve_many

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = solve_many(*args, **kwargs)
        solved.extend([leg.order.id for v in visits for leg, is_p in v.nodes if is_p] for visits, _ in out)
        return out

    monkeypatch.setattr(week, "_solve_many", spy)

    still = week._repair_round(
        ctx, [dataclasses.replace(x, days=[0])], zones, {x.id: x}, tried, "vans", budget_s=1.0
    )

    assert still == []
    assert sorted(map(sorted, solved)) == [["n1", "n2", "x"], ["s1", "x"]]  # routed in both
    served_on = _served_on(zones)
    assert sorted(served_on[1]) == ["n1", "n2", "x"], served_on
    assert served_on[2] == ["s1"], served_on
    delivered = [
        leg.order.id for zs in zones.values() for v in zs[0].visits for leg, is_p in v.nodes if not is_p
    ]
    assert sorted(delivered) == ["n1", "n2", "s1", "x"]
    assert tried[x.id] == {id(z[0]) for z in zones.values()}


def test_a_full_day_keeps_the_express_order_and_moves_the_weekly_one() -> None:
    """Two deliveries wanted between 09:00 and 09:10, ten minutes each: one van-day takes
    only one.  The express one may only go on Tuesday; the weekly one, a little nearer the
    depot (cheaper to serve), is pooled onto Tuesday beside it.  Tuesday's search keeps the
    express order -- a weekly order left out costs it less, other days can still take it --
    and the weekly one is re-offered to another day: both are delivered."""
    shop = SHOPS[1]

    def order(oid: str, lon: float, first: int, last: int) -> Order:
        return Order(
            id=oid,
            merchant_id=shop.id,
            pickup=shop,
            delivery=_site(f"c-{oid}", lon, 60.25),
            weight_g=2_000,
            service_s=600,
            earliest_day=first,
            latest_day=last,
            windows=tuple(
                TimeWindow(start_s=d * DAY_S + 9 * 3600, end_s=d * DAY_S + 9 * 3600 + 600)
                for d in range(first, last + 1)
            ),
        )

    express, weekly = order("express", 24.90, 1, 1), order("weekly", 24.86, 1, 4)
    problem = _problem([express, weekly], vehicles=(Vehicle(id="van-1", type=VAN, depot_id="depot"),))
    params = WeekParams(strategy="by_day", solve=week_search(2.0))
    plan = plan_week(problem, travel=HaversineTravel(), params=params)
    assert_plan_keeps_its_promises(problem, plan)
    assert plan.unassigned == ()
    day_of = {oid: r.day for r in plan.routes for s in r.stops for oid in s.order_ids}
    assert day_of["express"] == 1
    assert day_of["weekly"] > 1

    # with every penalty equal, Tuesday keeps the cheaper weekly order and the express one is lost
    equal = plan_week(
        problem, travel=HaversineTravel(), params=dataclasses.replace(params, flexible_discount_per_day=0.0)
    )
    assert_plan_keeps_its_promises(problem, equal)
    assert [(u.order_id, u.reason) for u in equal.unassigned] == [("express", UnassignedReason.NOT_WORTH_IT)]
    assert "no room left" in equal.unassigned[0].detail


def test_a_full_week_gives_its_first_day_the_orders_only_it_and_a_few_others_can_take(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One van, Monday to Friday, half-hour deliveries: Tuesday and Wednesday have their own
    orders, fourteen may go Monday to Wednesday and fifty Tuesday to Friday -- more than the
    van can deliver from Tuesday on.  Monday is the only day the early window has to itself:
    its orders go there, and Tuesday to Friday keep their time for the orders that cannot."""
    shop = SHOPS[1]
    rng = random.Random(11)

    def order(oid: str, first: int, last: int) -> Order:
        return Order(
            id=oid,
            merchant_id=shop.id,
            pickup=shop,
            delivery=_site(f"{oid}-c", 24.85 + rng.uniform(-0.02, 0.02), 60.21 + rng.uniform(-0.01, 0.01)),
            weight_g=1_000,
            service_s=1_800,
            earliest_day=first,
            latest_day=last,
        )

    orders = [
        *(order(f"tue{i}", 1, 1) for i in range(5)),
        *(order(f"wed{i}", 2, 2) for i in range(5)),
        *(order(f"early{i:02d}", 0, 2) for i in range(14)),
        *(order(f"late{i:02d}", 1, 4) for i in range(50)),
    ]
    problem = _problem(orders, vehicles=(Vehicle(id="van-1", type=VAN, depot_id="depot"),))
    params = WeekParams(strategy="by_day", solve=week_search(3.0))
    plan = plan_week(problem, travel=HaversineTravel(), params=params)
    assert_plan_keeps_its_promises(problem, plan)
    on_monday = {oid for r in plan.routes if r.day == 0 for oid in r.order_ids}
    assert len(on_monday) >= 12, sorted(on_monday)
    late_out = [u.order_id for u in plan.unassigned if u.order_id.startswith("late")]
    assert len(late_out) <= 8, late_out


@given(
    st.dictionaries(
        st.sampled_from([(0,), (1,), (2,), (3,), (0, 1), (0, 1, 2), (1, 2, 3), (2, 3), (0, 1, 2, 3)]),
        st.tuples(st.floats(0, 50), st.floats(0, 50)),
        min_size=1,
    ),
    st.lists(st.tuples(st.floats(1, 40), st.just(0.0) | st.floats(1, 40)), min_size=4, max_size=4),
)
@settings(max_examples=100, deadline=None)
def test_the_day_split_shares_every_window_and_keeps_the_fullest_day_least_full(
    needs: dict[tuple[int, ...], tuple[float, float]], caps: list[tuple[float, float]]
) -> None:
    """Each window's needs are shared out whole between its own days, and the fullest day
    (any resource) is never fuller than when every window is split evenly -- nor than the
    best split found by trying each window's days in turn."""
    from tournee.routing.week import balanced_split

    capacity = dict(enumerate(caps))
    shares = balanced_split(needs, capacity)
    for w in needs:
        assert all(0.0 <= shares[(w, d)] <= 1.0 + 1e-9 for d in w)
        assert sum(shares[(w, d)] for d in w) == pytest.approx(1.0, abs=1e-6)
    assert {d for w, d in shares if d not in w} == set()

    def top(split: dict[tuple[tuple[int, ...], int], float]) -> float:
        return max(
            sum(needs[w][r] * split.get((w, d), 0.0) for w in needs) / c
            for d, cs in capacity.items()
            for r, c in enumerate(cs)
            if c > 0
        )

    even = {(w, d): 1 / len(w) for w in needs for d in w}
    assert top(shares) <= top(even) + 1e-6
    for pick in itertools.product(*(range(len(w)) for w in needs)):
        whole = {(w, w[k]): 1.0 for w, k in zip(needs, pick, strict=True)}
        assert top(shares) <= top(whole) + 1e-6


def test_the_day_split_gives_a_scarce_day_the_window_that_reaches_it() -> None:
    """Days 1-3 are half full with their own legs; a window of days 0-2 and one of days 1-3
    need a day's work each: the first goes almost all to day 0, the only day nobody else uses."""
    from tournee.routing.week import balanced_split

    capacity = dict.fromkeys(range(4), (10.0,))
    needs = {(1,): (5.0,), (2,): (5.0,), (3,): (5.0,), (0, 1, 2): (10.0,), (1, 2, 3): (10.0,)}
    shares = balanced_split(needs, capacity)
    assert shares[((0, 1, 2), 0)] >= 0.8
    fills = {d: sum(needs[w][0] * shares.get((w, d), 0.0) for w in needs) / 10 for d in range(4)}
    assert max(fills.values()) == pytest.approx(35 / 40, abs=1e-6)  # the week's 35 on four days


def test_an_order_open_on_one_day_of_its_window_is_planned_on_that_day() -> None:
    """Wednesday-only delivery hours inside a Monday-to-Wednesday window: the order is not
    pooled with its Monday neighbours (no hour of Monday fits it) nor moved to the quieter
    Tuesday; it goes on Wednesday's round."""
    shop = SHOPS[0]

    def order(oid: str, lon: float, day: int, *, last: int | None = None, hours: int | None = None) -> Order:
        windows = (
            ()
            if hours is None
            else (TimeWindow(start_s=2 * DAY_S + hours * 3600, end_s=2 * DAY_S + (hours + 2) * 3600),)
        )
        return Order(
            id=oid,
            merchant_id=shop.id,
            pickup=shop,
            delivery=_site(f"{oid}-c", lon, 60.27),
            weight_g=2_000,
            earliest_day=day,
            latest_day=day if last is None else last,
            windows=windows,
        )

    monday = [order(f"mon{i}", 24.70 + 0.002 * i, 0) for i in range(4)]
    tuesday = [order("tue0", 24.60, 1)]
    wednesday = [order(f"wed{i}", 24.55 - 0.002 * i, 2) for i in range(3)]
    picky = order("picky", 24.703, 0, last=2, hours=10)
    problem = _problem([*monday, *tuesday, *wednesday, picky], vehicles=_fleet(bikes=0)[:1])
    params = WeekParams(strategy="by_day", solve=week_search(3.0))
    plan = plan_week(problem, travel=HaversineTravel(), params=params)
    assert_plan_keeps_its_promises(problem, plan)
    assert plan.unassigned == ()
    (route,) = [r for r in plan.routes if "picky" in r.order_ids]
    assert route.day == 2


def test_bike_does_several_trips_reloading_at_its_hub() -> None:
    """Nine urban parcels for a bike that carries three: three trips on the one day allowed."""
    shop = SHOPS[2]
    small_bike = dataclasses.replace(BIKE, id="small-bike", capacity_parcels=3)
    bike = Vehicle(id="bike-s", type=small_bike, depot_id="micro", max_trips_per_day=4, reload_s=600)
    orders = [
        Order(
            id=f"u{i}",
            merchant_id=shop.id,
            pickup=MICRO.site,
            pickup_at_hub=True,
            delivery=_site(f"u-c{i}", 24.94 + 0.002 * i, 60.172),
            weight_g=3_000,
            earliest_day=1,
            latest_day=1,
        )
        for i in range(9)
    ]
    problem = _problem(orders, vehicles=(bike,))
    plan = plan_week(problem, travel=HaversineTravel(), params=FAST)
    assert_plan_keeps_its_promises(problem, plan)
    assert len(plan.served_order_ids) == 9
    trips = sorted(plan.routes, key=lambda r: r.trip)
    assert len(trips) == 3
    for a, b in itertools.pairwise(trips):
        assert b.stops[1].departure_s >= a.stops[-1].arrival_s + 600  # reload time


def _van_and_bike(*, days: frozenset[int] = frozenset({1}), trips: int = 1) -> tuple[Vehicle, Vehicle]:
    """A van working every weekday and one bike (20 parcels a trip) working ``days``."""
    van = Vehicle(id="van-1", type=VAN, depot_id="depot")
    bike = Vehicle(id="bike-1", type=BIKE, depot_id="micro", working_weekdays=days, max_trips_per_day=trips)
    return van, bike


def _hub_orders_outwards(n: int, *, step_deg: float = 0.0045) -> list[Order]:
    """``n`` one-parcel orders waiting at the micro-hub for Tuesday, each ``step_deg`` of
    longitude (0.0045: ~250 m) farther out."""
    return [
        Order(
            id=f"r{i:02d}",
            merchant_id=SHOPS[2].id,
            pickup=MICRO.site,
            pickup_at_hub=True,
            delivery=_site(f"r-c{i:02d}", 24.945 + step_deg * (i + 1), 60.170),
            weight_g=2_000,
            earliest_day=1,
            latest_day=1,
        )
        for i in range(n)
    ]


def _plan_by_leg(
    orders: Sequence[Order], vehicles: Sequence[Vehicle], **changes: Any
) -> tuple[Plan, set[str], set[str]]:
    """Plan ``orders`` on ``vehicles`` (``FAST`` with ``changes``) and check its promises; the plan
    and the orders it delivers by bike and by van."""
    problem = _problem(orders, vehicles=tuple(vehicles))
    plan = plan_week(problem, travel=HaversineTravel(), params=dataclasses.replace(FAST, **changes))
    assert_plan_keeps_its_promises(problem, plan)  # among them: every bike leg after its hub arrival
    profile = {v.id: v.profile for v in problem.vehicles}
    by: dict[Profile, set[str]] = defaultdict(set)
    for r in plan.routes:
        for s in r.stops:
            if s.kind is StopKind.DELIVERY:
                by[profile[r.vehicle_id]].update(s.order_ids)
    return plan, by[Profile.CARGO_BIKE], by[Profile.VAN]


def test_a_hub_whose_bikes_cannot_carry_its_reach_keeps_the_nearest_deliveries_and_vans_the_rest() -> None:
    """One bike, one trip of 20 parcels on Tuesday; sized to half of it: the ten nearest go by bike."""
    orders = _hub_orders_outwards(16)  # all within 4 km of the hub
    _, by_bike, by_van = _plan_by_leg(orders, _van_and_bike(), bike_zone_m=5_000, bike_fill=0.5)
    assert by_bike == {f"r{i:02d}" for i in range(10)}
    assert by_van == {f"r{i:02d}" for i in range(10, 16)}


def test_the_bikes_reach_three_km_unless_told_otherwise() -> None:
    orders = _hub_orders_outwards(16)  # ~250 m apart: 12 within 3 km
    _, by_bike, by_van = _plan_by_leg(orders, _van_and_bike(), bike_fill=None)
    assert by_bike == {f"r{i:02d}" for i in range(12)}
    assert by_van == {f"r{i:02d}" for i in range(12, 16)}


def test_a_hub_sized_to_its_whole_reach_sends_every_delivery_in_it_by_bike() -> None:
    _, by_bike, by_van = _plan_by_leg(
        _hub_orders_outwards(16), _van_and_bike(), bike_zone_m=5_000, bike_fill=None
    )
    assert len(by_bike) == 16
    assert not by_van


def test_orders_the_bikes_cannot_take_go_door_to_door_on_a_van_day_left_unused() -> None:
    """Twenty-four parcels for one bike trip of twenty: the four left go by van, none is dropped."""
    orders = _hub_orders_outwards(24, step_deg=0.0015)  # ~80 m apart
    plan, by_bike, by_van = _plan_by_leg(orders, _van_and_bike(), bike_fill=None)
    assert len(by_bike) == 20
    assert len(by_van) == 4
    assert not plan.unassigned


def _tuesday_van_order(oid: str, *, to: Site) -> Order:
    return Order(
        id=oid,
        merchant_id=SHOPS[1].id,
        pickup=SHOPS[1],
        delivery=to,
        weight_g=5_000,
        earliest_day=1,
        latest_day=1,
    )


def test_orders_the_bikes_cannot_take_join_the_van_route_already_out_that_day() -> None:
    """The van is out on Tuesday anyway: the bike's four left-overs ride in it, not in a second van-day."""
    van, bike = _van_and_bike()
    spare = Vehicle(id="van-2", type=VAN, depot_id="depot")
    own = _tuesday_van_order("v-own", to=_site("v-c", 24.90, 60.19))
    orders = [own, *_hub_orders_outwards(24, step_deg=0.0015)]
    plan, by_bike, by_van = _plan_by_leg(orders, (van, spare, bike), bike_fill=None)
    assert not plan.unassigned
    assert len(by_bike) == 20
    assert len(by_van) == 5
    van_routes = [r for r in plan.routes if r.vehicle_id != bike.id]
    assert len(van_routes) == 1  # one fixed cost, not two


def test_a_van_route_taking_left_overs_still_reaches_the_hub_before_the_bike_leaves() -> None:
    """Shop orders reach the hub by van for the bike; the bike's left-overs then join that van's
    route, which may not bring the bike's goods later than the bike set off with them."""
    van, bike = _van_and_bike()
    van = dataclasses.replace(van, working_weekdays=frozenset({1}))  # to the hub on Tuesday, not Monday
    to_hub = [
        _tuesday_van_order(f"v-h{i}", to=_site(f"v-hc{i}", 24.946 + 0.001 * i, 60.171)) for i in range(4)
    ]
    orders = [*to_hub, *_hub_orders_outwards(22, step_deg=0.0015)]
    plan, by_bike, by_van = _plan_by_leg(orders, (van, bike), bike_fill=None)
    assert not plan.unassigned
    assert len(by_bike) == 20
    assert len(by_van) == 6
    (van_route,) = [r for r in plan.routes if r.vehicle_id == van.id]
    kinds = [s.kind for s in van_route.stops]
    assert StopKind.HUB_DROP in kinds
    assert kinds.count(StopKind.DELIVERY) == 6


def test_a_bike_zone_counts_the_bikes_of_every_working_day_and_trip() -> None:
    """Three trips a day on two days: 120 parcels, half of it 60 — room for all sixteen."""
    vehicles = _van_and_bike(days=frozenset({1, 2}), trips=3)
    _, by_bike, _ = _plan_by_leg(_hub_orders_outwards(16), vehicles, bike_zone_m=5_000)
    assert len(by_bike) == 16


@pytest.mark.parametrize("fill", [0, 0.0, -0.5, 1.5, True, "half"])
def test_bike_fill_must_be_a_share_of_the_bikes(fill: object) -> None:
    with pytest.raises(InvalidInput, match="bike_fill"):
        WeekParams(bike_fill=fill)  # type: ignore[arg-type]


def test_bike_allowed_one_trip_never_comes_back_to_reload() -> None:
    shop = SHOPS[2]
    small_bike = dataclasses.replace(BIKE, id="small-bike", capacity_parcels=3)
    bike = Vehicle(id="bike-s", type=small_bike, depot_id="micro", max_trips_per_day=1)
    orders = [
        Order(
            id=f"u{i}",
            merchant_id=shop.id,
            pickup=MICRO.site,
            pickup_at_hub=True,
            delivery=_site(f"u-c{i}", 24.94 + 0.002 * i, 60.172),
            weight_g=3_000,
            earliest_day=1,
            latest_day=1,
        )
        for i in range(5)
    ]
    problem = _problem(orders, vehicles=(bike,))
    plan = plan_week(problem, travel=HaversineTravel(), params=FAST)
    assert_plan_keeps_its_promises(problem, plan)
    assert len(plan.routes) == 1
    assert len(plan.served_order_ids) == 3
    assert {u.reason for u in plan.unassigned} == {UnassignedReason.NOT_WORTH_IT}


# --------------------------------------------------------------------------- unassigned, with reasons


class _Holes:
    """Great-circle travel where some sites are off the network or cut off."""

    def __init__(self, *, off: set[str] = frozenset(), cut: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.base = HaversineTravel()
        self.off, self.cut = off, cut

    def site_matrices(self, profile: Profile, sites: Sequence[Site]) -> SiteMatrices:
        m = self.base.site_matrices(profile, sites)
        reach = m.reachable.copy()
        for k, s in enumerate(sites):
            if s.id in self.off | self.cut:
                reach[k, :] = False
                reach[:, k] = False
                reach[k, k] = True
        return dataclasses.replace(
            m, reachable=reach, off_network={s: f"site {s!r} is 900 m from any road" for s in self.off}
        )


def _one(oid: str, **kw: object) -> Order:
    args: dict[str, object] = {
        "id": oid,
        "merchant_id": "m-farm",
        "pickup": SHOPS[0],
        "delivery": _site(f"c-{oid}", 24.75, 60.25),
        "weight_g": 5_000,
        "earliest_day": 0,
        "latest_day": 4,
    }
    args.update(kw)
    return Order(**args)  # type: ignore[arg-type]


def test_unservable_orders_come_back_with_the_constraint_that_forbids_them() -> None:
    orders = [
        _one("ok"),
        _one("too-heavy", weight_g=900_000),
        _one("too-bulky", volume_ml=7_000_000),
        _one("frozen", skills=frozenset({"frozen"})),
        _one("sunday-only", earliest_day=6, latest_day=6),  # nobody works on Sundays
        _one("at-night", windows=(TimeWindow(start_s=DAY_S + 2 * 3600, end_s=DAY_S + 3 * 3600),)),
        _one("off-road", delivery=_site("c-island", 24.75, 60.24)),
        _one("cut-off", delivery=_site("c-cut", 24.76, 60.24)),
    ]
    problem = _problem(orders, vehicles=_fleet(bikes=0))
    plan = plan_week(problem, travel=_Holes(off={"c-island"}, cut={"c-cut"}), params=FAST)
    assert_plan_keeps_its_promises(problem, plan)
    reasons = {u.order_id: u.reason for u in plan.unassigned}
    assert reasons == {
        "too-heavy": UnassignedReason.CAPACITY,
        "too-bulky": UnassignedReason.CAPACITY,
        "frozen": UnassignedReason.SKILL,
        "sunday-only": UnassignedReason.NO_VEHICLE_DAY,
        "at-night": UnassignedReason.TIME_WINDOW,
        "off-road": UnassignedReason.OFF_NETWORK,
        "cut-off": UnassignedReason.UNREACHABLE,
    }
    assert "900 m" in next(u.detail for u in plan.unassigned if u.order_id == "off-road")
    assert plan.served_order_ids == {"ok"}


def test_order_costing_more_than_the_penalty_is_not_worth_it() -> None:
    problem = _problem([_one("lonely")], vehicles=_fleet(bikes=0))
    params = dataclasses.replace(FAST, drop_penalty_cents=100)  # a van-day costs 15,000 cents
    plan = plan_week(problem, travel=HaversineTravel(), params=params)
    assert_plan_keeps_its_promises(problem, plan)
    (u,) = plan.unassigned
    assert u.reason is UnassignedReason.NOT_WORTH_IT
    assert "100 cents" in u.detail


# --------------------------------------------------------------------------- locks and re-planning


def test_replanning_keeps_locked_routes_unchanged_and_plans_new_orders_around_them() -> None:
    first = _orders(12, seed=3)
    problem = _problem(first, vehicles=_fleet(bikes=0))
    plan = plan_week(problem, travel=HaversineTravel(), params=FAST)
    locked = tuple(r for r in plan.routes if r.day == min(r.day for r in plan.routes))
    assert locked
    new = [
        dataclasses.replace(
            o, id=f"new-{o.id}", delivery=dataclasses.replace(o.delivery, id=f"new-{o.delivery.id}")
        )
        for o in _orders(6, seed=99)
    ]
    problem2 = _problem([*first, *new], vehicles=_fleet(bikes=0), locks=locked)
    plan2 = plan_week(problem2, travel=HaversineTravel(), params=FAST)
    assert_plan_keeps_its_promises(problem2, plan2)
    kept = {r.id: r for r in plan2.routes if r.locked}
    assert {r.id for r in locked} == set(kept)
    for r in locked:
        assert kept[r.id].stops == r.stops
        assert kept[r.id].co2e_g == r.co2e_g
    locked_keys = {(r.vehicle_id, r.day) for r in locked}
    assert all((r.vehicle_id, r.day) not in locked_keys for r in plan2.routes if not r.locked)


def test_replanning_after_a_locked_run_to_the_hub_plans_only_the_bike_leg() -> None:
    """The van already took the goods to the micro-hub (locked): the re-plan sends a bike after it."""
    urban = _one("urban", delivery=_site("c-urban", 24.948, 60.171), earliest_day=1, latest_day=3)
    problem = _problem([urban])
    plan = plan_week(problem, travel=HaversineTravel(), params=FAST)
    assert_plan_keeps_its_promises(problem, plan)
    (van_route,) = [r for r in plan.routes if r.profile is Profile.VAN]
    assert any(s.kind is StopKind.HUB_DROP for s in van_route.stops)
    problem2 = _problem([urban], locks=(van_route,))
    plan2 = plan_week(problem2, travel=HaversineTravel(), params=FAST)
    assert_plan_keeps_its_promises(problem2, plan2)
    assert plan2.served_order_ids == {"urban"}
    assert [r.id for r in plan2.routes if r.locked] == [van_route.id]
    assert {leg.kind for leg in plan2.legs} == {LegKind.TO_HUB, LegKind.HUB_HANDLING, LegKind.FROM_HUB}


def test_order_whose_only_vehicle_day_is_locked_is_locked_out() -> None:
    orders = [_one("a", earliest_day=0, latest_day=0), _one("b", earliest_day=0, latest_day=0)]
    problem = _problem(orders[:1], vehicles=_fleet(bikes=0))
    plan = plan_week(problem, travel=HaversineTravel(), params=FAST)
    problem2 = _problem(orders, vehicles=_fleet(bikes=0), locks=plan.routes)
    plan2 = plan_week(problem2, travel=HaversineTravel(), params=FAST)
    assert_plan_keeps_its_promises(problem2, plan2)
    (u,) = plan2.unassigned
    assert u.order_id == "b"
    assert u.reason is UnassignedReason.LOCKED_OUT


# --------------------------------------------------------------------------- bad input


def test_empty_fleet_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="empty fleet"):
        _problem([_one("a")], vehicles=())


def test_vehicle_with_unknown_depot_is_rejected_naming_vehicle_and_field() -> None:
    bad = Vehicle(id="van-x", type=VAN, depot_id="nowhere")
    with pytest.raises(UnknownReference, match=r"vehicle 'van-x': depot_id") as err:
        _problem([_one("a")], vehicles=(bad,))
    assert err.value.pointer == "/vehicles/0/depot_id"


def test_window_outside_the_horizon_is_rejected_naming_order_and_field() -> None:
    late = TimeWindow(start_s=8 * DAY_S, end_s=8 * DAY_S + 3600)
    with pytest.raises(InvalidInput, match=r"order 'late': windows/0") as err:
        _problem([_one("late", windows=(late,))])
    assert err.value.pointer == "/orders/0/windows/0"


def test_order_starting_after_the_horizon_is_rejected() -> None:
    with pytest.raises(InvalidInput, match=r"order 'next-week': earliest_day"):
        _problem([_one("next-week", earliest_day=8, latest_day=9)])


def test_tier_with_an_empty_day_window_is_rejected() -> None:
    with pytest.raises(InvalidInput, match=r"tier 'odd': max_days"):
        Tier(code="odd", name="Odd", min_days=3, max_days=1)
    with pytest.raises(InvalidInput, match=r"order 'o': latest_day"):
        _one("o", earliest_day=3, latest_day=1)


def test_unknown_tier_and_unknown_merchant_are_rejected() -> None:
    tiers = (Tier(code="standard", name="Standard", min_days=1, max_days=3),)
    with pytest.raises(UnknownTier, match=r"order 'x': tier"):
        _problem([_one("x", tier="chrono")], tiers=tiers)
    merchants = (Merchant(id="m-farm", name="Farm", site=SHOPS[0]),)
    with pytest.raises(UnknownReference, match=r"order 'y': merchant_id"):
        _problem([_one("y", merchant_id="m-ghost")], merchants=merchants)


def test_negative_weight_and_duplicate_ids_are_rejected() -> None:
    with pytest.raises(InvalidInput, match=r"order 'neg': weight_g"):
        _one("neg", weight_g=-200)
    with pytest.raises(InvalidInput, match="repeats id 'a'"):
        _problem([_one("a"), _one("a")])


def test_bad_strategy_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="strategy"):
        WeekParams(strategy="fastest")


# --------------------------------------------------------------------------- the real map


def test_a_week_on_the_real_helsinki_map_keeps_every_promise(helsinki_pbf: Path, tmp_path: Path) -> None:
    from tournee.routing.matrix import RoadTravel
    from tournee.routing.network import load_networks
    from tournee.routing.scenario import ScenarioParams, build_scenario

    nets = load_networks(helsinki_pbf, cache_dir=tmp_path)
    sc = build_scenario(helsinki_pbf, params=ScenarioParams(orders=24, seed=2), network=nets[Profile.VAN])
    problem = WeekProblem(
        horizon=sc.horizon,
        hubs=sc.hubs,
        vehicles=sc.vehicles,
        orders=sc.orders,
        tiers=sc.tiers,
        merchants=sc.merchants,
        carbon_price_cents_per_t=7_500,
    )
    plan = plan_week(problem, travel=RoadTravel(nets), params=dataclasses.replace(FAST, bike_zone_m=1_000))
    assert_plan_keeps_its_promises(problem, plan)
    assert len(plan.served_order_ids) >= 20
    assert plan.distance_m > 0
    assert plan.co2e_g > 0


def _pairs_problem(pairs: int, *, seed: int) -> Any:
    """Random pickup-and-delivery pairs on a 5 km square, two vehicles, every pair optional."""
    from tournee.routing.solver import MatrixProblem

    n = 1 + 2 * pairs
    xy = np.random.default_rng(seed).uniform(0, 5_000, (n, 2))
    d = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(int)
    return MatrixProblem(
        distance_m=[d.tolist()],
        duration_s=[(d // 10).tolist()],
        num_vehicles=2,
        pickups_deliveries=[(i, i + 1) for i in range(1, n, 2)],
        drop_penalty=[None] + [10**6] * (n - 1),
    )


def _spy_on_solves(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The search controls of every OR-Tools solve the week planner makes, in order."""
    import tournee.routing.week as week

    seen: list[Any] = []
    real = week.solve_matrix_problem

    def spy(problem: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["params"])
        return real(problem, **kwargs)

    monkeypatch.setattr(week, "solve_matrix_problem", spy)
    return seen


def test_a_sector_too_short_for_the_slow_constructions_starts_from_plain_local_insertion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With less time than the cost-aware or parallel insertion needs, the fast construction runs first."""
    import tournee.routing.week as week

    tried = _spy_on_solves(monkeypatch)
    problem = _pairs_problem(10, seed=3)
    budget = 0.01  # far below what the slow constructions need for 21 stops
    assert budget < min(week.FIRST_SOLUTION_S_PER_STOP.values()) * 21
    sol, warnings = week._search(problem, week_search(), budget)
    assert tried[0].first_solution == "LOCAL_CHEAPEST_INSERTION"
    assert sol is not None, warnings
    assert sum(len(r) for r in sol.routes) == 20  # every pair placed, nothing lost to the budget


def test_the_first_plan_of_a_sector_prices_insertions_with_the_whole_objective(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With time to build it, the cost-aware local insertion (time costs included) starts the search."""
    import tournee.routing.week as week

    tried = _spy_on_solves(monkeypatch)
    sol, warnings = week._search(_pairs_problem(10, seed=3), week_search(), 0.5)
    assert [p.first_solution for p in tried] == ["LOCAL_CHEAPEST_COST_INSERTION"]
    assert sol is not None, warnings
    assert sum(len(r) for r in sol.routes) == 20


def test_the_week_search_switches_off_the_operators_that_polish_before_inserting() -> None:
    """Pair relocation & co. reach OR-Tools switched off; ``operators={}`` restores OR-Tools' set."""
    from tournee.routing import week
    from tournee.routing.solver import SolveParams, _search_parameters

    ops = _search_parameters(week_search(5.0)).local_search_operators
    off = ops.DESCRIPTOR.fields_by_name["use_relocate_pair"].enum_type.values_by_name["BOOL_FALSE"].number
    assert "relocate_pair" in week.WEEK_OPERATORS_OFF
    for name in week.WEEK_OPERATORS_OFF:
        assert getattr(ops, f"use_{name}") == off, name
    assert ops.use_light_relocate_pair != off  # pairs still move, by the light operator
    assert ops.use_make_active != off  # and dropped orders are still inserted
    defaults = _search_parameters(SolveParams()).local_search_operators  # OR-Tools' own set
    restored = _search_parameters(week_search(5.0, operators={})).local_search_operators
    assert restored == defaults


def test_the_week_wide_model_keeps_or_tools_operators_unless_the_caller_chose_some() -> None:
    """Moving a pair between vehicle-days moves an order to another day: the joint model keeps it."""
    from tournee.routing import week

    assert week._joint_search(week_search(5.0)).operators is None
    chosen = week_search(5.0, operators={"two_opt": False})
    assert week._joint_search(chosen).operators == {"two_opt": False}


@pytest.mark.parametrize(("pairs", "week_set"), [(10, False), (60, True)])
def test_short_models_keep_or_tools_operators_and_long_ones_get_the_weeks(
    monkeypatch: pytest.MonkeyPatch, pairs: int, week_set: bool
) -> None:
    """Pair relocation is cheap on short routes: under WEEK_OPERATORS_MIN_STOPS stops it stays on."""
    import tournee.routing.week as week

    seen = _spy_on_solves(monkeypatch)
    problem = _pairs_problem(pairs, seed=5)
    assert (1 + 2 * pairs >= week.WEEK_OPERATORS_MIN_STOPS) is week_set
    sol, warnings = week._search(problem, week_search(), 0.5)
    assert sol is not None, warnings
    assert seen[0].operators == (dict.fromkeys(week.WEEK_OPERATORS_OFF, False) if week_set else None)
    chosen = week_search(operators={"two_opt": False})  # a caller's own set is never replaced
    seen.clear()
    week._search(problem, chosen, 0.5)
    assert seen[0].operators == {"two_opt": False}
