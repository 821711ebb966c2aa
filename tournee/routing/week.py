"""The week planner: which day, which vehicle and in what order for every order.

The week is modelled as in ``../shared/notes/week-model.md``: every vehicle-day (and
every trip of a cargo bike's day) is one vehicle of a :class:`MatrixProblem`; time is
absolute over the horizon; an order's tier day window and skills become the vehicles
its nodes may use; each order is a pickup-and-delivery pair, optional at a penalty.

Two echelons are planned in phases: first the vans (door-to-door orders, and the legs
that bring urban orders to a micro-hub), then the cargo bikes, whose hub loads are
released at the van's hub arrival plus the hub's handling time; orders the bikes could
not take then go door to door by van, into the vans' routes or on van-days they left
unused, whichever costs less.  Which urban
orders go by bike is sized to the bikes (``WeekParams.bike_fill``).

Strategies: ``joint`` solves each phase as one model over all vehicle-days; ``by_day``
assigns each order a day first (tier windows, capacities and pooling of neighbours),
routes each day, then re-offers orders a day could not take to the other days of their
window.  ``auto`` picks ``joint`` for small weeks.

Before any solve every order is screened against each constraint on its own, so an
order nobody can serve comes back unassigned with the constraint that forbids it; an
order the search leaves out although it could be served alone is "not worth it" at the
configured penalty.
"""

from __future__ import annotations

import logging
import math
import multiprocessing as mp
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from tournee.domain import (
    DAY_S,
    Horizon,
    Hub,
    Infeasible,
    InvalidInput,
    LegKind,
    Merchant,
    Order,
    OrderLeg,
    Plan,
    Profile,
    Route,
    Site,
    SolverStats,
    Stop,
    StopKind,
    Tier,
    Unassigned,
    UnassignedReason,
    UnknownReference,
    UnknownTier,
    Vehicle,
    VehicleType,
)
from tournee.routing import recreate
from tournee.routing.emissions import (
    EmissionFactor,
    FactorTable,
    Shipment,
    allocate_largest_remainder,
    allocate_route,
    carbon_millicents_per_m,
    hub_handling_footprint,
    load_factor_table,
    route_footprint,
    vehicle_factor,
    volume_binds,
)
from tournee.routing.solver import (
    MatrixProblem,
    MatrixSolution,
    SolveParams,
    SolveProgress,
    solve_matrix_problem,
)
from tournee.routing.travel import SiteMatrices, TravelModel, haversine_m

__all__ = [
    "STRATEGIES",
    "WEEK_FIRST_SOLUTIONS",
    "WeekParams",
    "WeekProblem",
    "plan_week",
    "week_search",
    "worker_count",
]

log = logging.getLogger(__name__)

STRATEGIES = ("auto", "joint", "by_day")
#: Extra days of a tier window that lower an order's penalty inside the search (see
#: ``WeekParams.flexible_discount_per_day``), and the largest total discount allowed.
FLEXIBLE_DAYS_MAX = 5
FLEXIBLE_DISCOUNT_MAX = 0.5
_BIG_M = 10_000_000  # metres charged for an arc with no route (never chosen)
_MC = 1000  # milli-cents per cent

#: First solutions of the week's models (pickup-and-delivery pairs, optional orders, many
#: vehicle-days), tried in turn until one finds a plan.  Cost-aware local insertion prices each
#: insertion with the whole objective (time costs included), where the other two see only arc
#: costs; on a day sector with more orders than its vans can take it leaves the search a plan
#: that it packs further (Porto, 5,000 orders, the 38 van sectors solved alone: pairs dropped
#: 828 at 4 s each and 755 at 8 s, against 891 and 783 from parallel cheapest insertion; the
#: whole week at 120 s: 4,014-4,084 served over three runs against 3,994-4,013).  Parallel
#: cheapest insertion fills vans in about a second where plain local cheapest insertion +
#: guided local search needs four times the time (a 2-van, 128-pair sector: 87 pairs served
#: after 1.7 s against 80, which local insertion reaches after 7 s); plain local insertion is
#: the fast construction for short budgets (``FIRST_SOLUTION_S_PER_STOP``).
WEEK_FIRST_SOLUTIONS = (
    "LOCAL_CHEAPEST_COST_INSERTION",
    "PARALLEL_CHEAPEST_INSERTION",
    "LOCAL_CHEAPEST_INSERTION",
)

#: Local-search operators switched off in the week's models.  OR-Tools' pair relocation tries
#: every pair at every pair of positions and takes the first move that lowers the cost, so on a
#: sector of 2 vans and ~128 pairs it accepts hundreds of moves worth a few cents, each after
#: ~80,000 neighbours, before the search ever tries to insert a dropped order (the move that
#: serves one more); cross exchange, subtrip moves and expensive-chain relocation are slow on
#: such routes too.  Without them the light pair relocation, exchange, or-opt, 2-opt and the
#: insertion operators still move and insert pairs.  Porto, 5,000 orders, the 38 van sectors
#: solved alone: pairs dropped at 4 s each 1,116 with OR-Tools' set, 948 without pair
#: relocation, 896 without all five; at 12 s (19 sectors) 414 and 408 for the last two.  The
#: week at 120 s: 3,721 → 3,891 served with pair relocation off, 3,951 without all five.
WEEK_OPERATORS_OFF = (
    "relocate_pair",
    "cross",
    "relocate_subtrip",
    "exchange_subtrip",
    "relocate_expensive_chain",
)


#: Share of each sector's time given to ruin and recreate after OR-Tools (``SolveParams``
#: default 0.5).  OR-Tools' scans on a 250-stop sector place one or two dropped orders each,
#: ruin and recreate ~2,500 ruins a second: Porto, 5,000 orders at 120 s, plan cost
#: 572,702 € at 0.5 against 565,788 € and 565,687 € at 0.8 (7 more served); at 0.95 the
#: first solutions no longer fit in OR-Tools' share (4,229 served, 799,444 €).
WEEK_RUIN_RECREATE_SHARE = 0.8


def week_search(time_limit_s: float = 10.0, **changes: Any) -> SolveParams:
    """The week planner's search controls: :class:`SolveParams` with the week's first solutions,
    local-search operators (``WEEK_FIRST_SOLUTIONS``; ``WEEK_OPERATORS_OFF`` switched off in
    day sectors of ``WEEK_OPERATORS_MIN_STOPS`` stops or more) and ruin-and-recreate share
    (``WEEK_RUIN_RECREATE_SHARE``).

    ``time_limit_s`` is the budget of the whole week (s); ``changes`` are any other
    :class:`SolveParams` fields (``seed``, ``metaheuristic`` …); ``operators`` given there
    replace the week's (``operators={}`` restores OR-Tools' own set).
    """
    first, *extra = WEEK_FIRST_SOLUTIONS
    # the others are fallbacks, not a portfolio: the slow constructions need a second or two on
    # a 250-stop sector, so a portfolio slot cuts them short and plain local insertion wins the
    # slot with a plan the search then cannot improve (3.8 s sector: 80 pairs served against 87)
    base: dict[str, Any] = {
        "first_solution": first,
        "extra_first_solutions": tuple(extra),
        "portfolio_max_stops": 0,
        "operators": _week_operator_switches(),
        "ruin_recreate_share": WEEK_RUIN_RECREATE_SHARE,
    }
    return SolveParams(**{**base, **changes, "time_limit_s": time_limit_s})


def _joint_search(solve: SolveParams) -> SolveParams:
    """The week-wide model's controls: OR-Tools' own operators where the week's were left as is.

    Moving a pair between vehicle-days is how the week-wide model moves an order to another
    day, so it keeps pair relocation (weeks of 100 orders, 10 s: Porto 100 served / 1,627 €,
    98 / 3,271 € with the week's operators in this model too; Yuba 100 / 1,454 € against
    99 / 2,420 €).
    """
    return replace(solve, operators=None) if _week_operators(solve) else solve


#: Models with fewer stops keep OR-Tools' operators: pair relocation's cost grows with the
#: square of the routes' length, and on short routes it is cheap and finds the better plans
#: (the Helsinki demo, whose day sectors have at most a few dozen stops: 7 routes, €8.91 per
#: order with it, 9 routes, €9.37 without).
WEEK_OPERATORS_MIN_STOPS = 100


def _week_operator_switches() -> dict[str, bool]:
    return dict.fromkeys(WEEK_OPERATORS_OFF, False)


def _week_operators(solve: SolveParams) -> bool:
    """Are ``solve``'s operators the week's default (not a set the caller chose)?"""
    return solve.operators == _week_operator_switches()


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True, kw_only=True)
class WeekParams:
    """Controls of :func:`plan_week`.

    Attributes
    ----------
    strategy : {"auto", "joint", "by_day"}
        One model per phase, or days first then one model per day.
    solve : SolveParams
        Search controls; ``solve.time_limit_s`` is the budget of the whole week (s).
        :func:`week_search` gives the week's defaults with another time limit.
    joint_max_orders : int
        ``auto`` uses ``joint`` up to this many orders, ``by_day`` above.
    drop_penalty_cents : int
        What leaving one order unserved costs the objective (cents).  Orders that would
        cost more than this to serve are left out as "not worth it".
    flexible_discount_per_day : float
        Inside the search, an order's drop penalty is this share lower for each extra day
        of its tier window (up to ``FLEXIBLE_DAYS_MAX`` days): when a vehicle-day cannot take
        every order, it keeps the one with no other day and leaves out the weekly one, which
        the days-first repair then offers to another day.  Plans are priced at
        ``drop_penalty_cents`` for every order left out; 0 makes every order's penalty equal.
    bike_zone_m : int
        The cargo bikes' reach: a delivery within this great-circle distance (m) of a
        micro-hub that has cargo bikes may be delivered by bike from that hub (two echelons
        when the pickup is outside the hub's zone).  3 km by default: in weeks the vans can
        carry, a wider reach sends far orders on long bike rides that cost more than the
        van (Yuba County, 5 km: € per order +18 %); where the vans are full it pays (Porto,
        5,000 orders, 5 km: ~30 orders more served) — see ``docs/week-5000.md``.
    bike_fill : float or None
        Sizes each such hub's zone to its bikes: the zone is the nearest deliveries a bike
        can carry (skills, one trip's capacity), within ``bike_zone_m``, whose weight, volume
        and parcels fill at most this share of the hub's bikes over the horizon (one trip's
        capacity × trips a day × unlocked vehicle-days, the fullest of the three).  Orders
        outside it go by van door to door.  The share stays below 1 because a bike's day is
        also bounded by its rides out and back, its reloads and the days its orders allow.
        None: every delivery within ``bike_zone_m`` goes by bike, however many there are.
    two_echelon : bool
        Use micro-hubs and cargo bikes for urban orders (else every order door to door).
    grid : str
        Electricity grid region of the emission factors (``"eu"``, ``"fr"``, ``"qc"``).
    factors : FactorTable or None
        Emission factors (the packaged table when None).
    repair : bool
        In ``by_day``, re-offer orders a day could not take to the other days of their window.
    joint_warm_start : float
        In ``joint``, the share of the time spent on a days-first plan that the week-wide
        search then starts from (0 disables it).
    consolidate : bool
        In ``by_day``, improve across days: empty the lightest vehicle-days into other days
        of their orders' windows when that lowers money + carbon.
    zone_max_legs : int
        In ``by_day``, a day with more legs than this is cut into sectors around the depot,
        each with its share of the day's vehicles, routed separately (cluster first, route second).
    workers : int
        In ``by_day``, how many sectors are searched at once, each in a worker process
        (0: one per CPU core this process may use; 1: all in this process).  Workers are
        used only when the days-first search has ``PARALLEL_MIN_BUDGET_S`` seconds or more;
        each sector then gets ``workers`` times the search time it would get alone.
    """

    strategy: str = "auto"
    solve: SolveParams = field(default_factory=week_search)
    joint_max_orders: int = 150
    drop_penalty_cents: int = 100_000
    flexible_discount_per_day: float = 0.03
    bike_zone_m: int = 3_000
    bike_fill: float | None = 0.5
    two_echelon: bool = True
    grid: str = "eu"
    factors: FactorTable | None = None
    repair: bool = True
    consolidate: bool = True
    joint_warm_start: float = 0.3
    zone_max_legs: int = 120
    workers: int = 0

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise InvalidInput(
                f"week params: strategy must be one of {list(STRATEGIES)}, got {self.strategy!r}",
                pointer="/strategy",
            )
        for name in ("joint_max_orders", "drop_penalty_cents", "bike_zone_m", "zone_max_legs", "workers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInput(
                    f"week params: {name} must be an integer >= 0, got {value!r}", pointer=f"/{name}"
                )
        if not 0 <= self.flexible_discount_per_day <= FLEXIBLE_DISCOUNT_MAX / FLEXIBLE_DAYS_MAX:
            raise InvalidInput(
                "week params: flexible_discount_per_day must be in "
                f"[0, {FLEXIBLE_DISCOUNT_MAX / FLEXIBLE_DAYS_MAX}], got {self.flexible_discount_per_day!r}",
                pointer="/flexible_discount_per_day",
            )
        if self.bike_fill is not None and not (
            isinstance(self.bike_fill, int | float)
            and not isinstance(self.bike_fill, bool)
            and 0 < self.bike_fill <= 1
        ):
            raise InvalidInput(
                f"week params: bike_fill must be in (0, 1] or None, got {self.bike_fill!r}",
                pointer="/bike_fill",
            )
        if not 0 <= self.joint_warm_start < 1:
            raise InvalidInput(
                f"week params: joint_warm_start must be in [0, 1), got {self.joint_warm_start!r}",
                pointer="/joint_warm_start",
            )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class WeekProblem:
    """Everything :func:`plan_week` needs, validated on construction.

    ``hubs`` are the depots, micro-hubs and relay points vehicles start from and goods
    transit through; ``locks`` are routes of a previous plan already dispatched: they are
    kept unchanged and their orders are not planned again.
    """

    horizon: Horizon
    hubs: tuple[Hub, ...]
    vehicles: tuple[Vehicle, ...]
    orders: tuple[Order, ...]
    tiers: tuple[Tier, ...] = ()
    merchants: tuple[Merchant, ...] = ()
    carbon_price_cents_per_t: int = 0
    locks: tuple[Route, ...] = ()
    currency: str = "EUR"
    id: str = "plan"

    def __post_init__(self) -> None:
        if not isinstance(self.horizon, Horizon):
            raise InvalidInput("week problem: horizon must be a Horizon", pointer="/horizon")
        if not self.vehicles:
            raise InvalidInput(
                "week problem: vehicles must hold at least one vehicle (empty fleet)", pointer="/vehicles"
            )
        if isinstance(self.carbon_price_cents_per_t, bool) or not isinstance(
            self.carbon_price_cents_per_t, int
        ):
            raise InvalidInput(
                "week problem: carbon_price_cents_per_t must be an integer",
                pointer="/carbon_price_cents_per_t",
            )
        if self.carbon_price_cents_per_t < 0:
            raise InvalidInput(
                f"week problem: carbon_price_cents_per_t must be >= 0, got {self.carbon_price_cents_per_t}",
                pointer="/carbon_price_cents_per_t",
            )
        hub_ids = _unique("hubs", [h.id for h in self.hubs])
        _unique("vehicles", [v.id for v in self.vehicles])
        _unique("orders", [o.id for o in self.orders])
        for k, v in enumerate(self.vehicles):
            for name in ("depot_id", "end_depot_id"):
                ref = getattr(v, name)
                if ref is not None and ref not in hub_ids:
                    raise UnknownReference(
                        f"vehicle '{v.id}': {name} names no hub, got {ref!r} (hubs: {sorted(hub_ids)})",
                        pointer=f"/vehicles/{k}/{name}",
                    )
        tier_codes = {t.code for t in self.tiers}
        merchant_ids = {m.id for m in self.merchants}
        hub_sites = {h.site.id for h in self.hubs}
        end = self.horizon.end_s
        for k, o in enumerate(self.orders):
            what = f"order '{o.id}'"
            if o.earliest_day >= self.horizon.days:
                raise InvalidInput(
                    f"{what}: earliest_day {o.earliest_day} is outside the {self.horizon.days}-day horizon",
                    pointer=f"/orders/{k}/earliest_day",
                )
            for name in ("windows", "pickup_windows"):
                for i, w in enumerate(getattr(o, name)):
                    if w.start_s < 0 or w.end_s > end:
                        raise InvalidInput(
                            f"{what}: {name}/{i} [{w.start_s}, {w.end_s}] falls outside the horizon [0, {end}]",
                            pointer=f"/orders/{k}/{name}/{i}",
                        )
            if self.tiers and o.tier not in tier_codes:
                raise UnknownTier(
                    f"{what}: tier names no tier of the problem, got {o.tier!r} (tiers: {sorted(tier_codes)})",
                    pointer=f"/orders/{k}/tier",
                )
            if self.merchants and o.merchant_id not in merchant_ids:
                raise UnknownReference(
                    f"{what}: merchant_id names no merchant, got {o.merchant_id!r}",
                    pointer=f"/orders/{k}/merchant_id",
                )
            if o.pickup_at_hub and o.pickup.id not in hub_sites:
                raise UnknownReference(
                    f"{what}: pickup is marked pickup_at_hub but site {o.pickup.id!r} is no hub's site",
                    pointer=f"/orders/{k}/pickup",
                )
        order_ids = {o.id for o in self.orders}
        vehicle_ids = {v.id for v in self.vehicles}
        for k, r in enumerate(self.locks):
            if r.vehicle_id not in vehicle_ids:
                raise UnknownReference(
                    f"locked route '{r.id}': vehicle_id names no vehicle, got {r.vehicle_id!r}",
                    pointer=f"/locks/{k}/vehicle_id",
                )
            for oid in r.order_ids:
                if oid not in order_ids:
                    raise UnknownReference(
                        f"locked route '{r.id}': order {oid!r} is not among the problem's orders",
                        pointer=f"/locks/{k}/stops",
                    )


def _unique(what: str, ids: Sequence[str]) -> set[str]:
    seen: set[str] = set()
    for k, i in enumerate(ids):
        if i in seen:
            raise InvalidInput(f"week problem: {what}/{k} repeats id {i!r}", pointer=f"/{what}/{k}/id")
        seen.add(i)
    return seen


# --------------------------------------------------------------------------- internal model


@dataclass(slots=True, kw_only=True)
class _VDay:
    """One vehicle's trip on one day: a vehicle of the OR-Tools model."""

    vehicle: Vehicle
    day: int
    trip: int
    start: Hub
    end: Hub
    window: tuple[int, int]

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.vehicle.id, self.day, self.trip)


@dataclass(slots=True, kw_only=True)
class _Leg:
    """One transport-chain element of an order that a vehicle carries."""

    id: int
    order: Order
    kind: LegKind
    profile: Profile
    pickup: Site
    delivery: Site
    pickup_kind: StopKind
    delivery_kind: StopKind
    pickup_service_s: int
    delivery_service_s: int
    pickup_windows: list[tuple[int, int]] | None
    delivery_windows: list[tuple[int, int]]
    days: list[int]
    vehicles: frozenset[str]  # vehicle ids that fit (type, skills, capacity, home hub)
    hub: Hub | None = None
    release_s: int = 0


@dataclass(slots=True, kw_only=True)
class _Net:
    profile: Profile
    index: dict[str, int]
    distance_m: NDArray[np.int64]
    duration_s: NDArray[np.int64]
    reachable: NDArray[np.bool_]
    off_network: Mapping[str, str]

    def d(self, a: str, b: str) -> int:
        return int(self.distance_m[self.index[a], self.index[b]])

    def t(self, a: str, b: str) -> int:
        return int(self.duration_s[self.index[a], self.index[b]])

    def ok(self, a: str, b: str) -> bool:
        return bool(self.reachable[self.index[a], self.index[b]])


@dataclass(slots=True, kw_only=True)
class _Visit:
    """A solved route of one vehicle-day: legs' nodes in order with service-start times."""

    vday: _VDay
    nodes: list[tuple[_Leg, bool]]  # (leg, is_pickup)
    times: list[int]
    start_s: int
    end_s: int


@dataclass(slots=True)
class _Ctx:
    problem: WeekProblem
    params: WeekParams
    nets: dict[Profile, _Net]
    factors: FactorTable
    vfactor: dict[str, EmissionFactor]
    hubs: dict[str, Hub]
    vdays: list[_VDay]
    locked_keys: set[tuple[str, int, int]]
    horizon_s: int
    t0: float
    progress: Callable[[SolveProgress], None] | None
    solutions: int = 0
    first_solution_s: float | None = None
    statuses: list[str] = field(default_factory=list)
    timed_out: set[int] = field(default_factory=set)  # legs of sub-problems with no solution in time
    bike_zone_m: dict[str, int] = field(default_factory=dict)  # hub id → its bike zone's radius (m)
    pool: ProcessPoolExecutor | Literal[False] | None = None  # worker processes; False: none to be had


# --------------------------------------------------------------------------- entry point


def plan_week(
    problem: WeekProblem,
    *,
    travel: TravelModel,
    params: WeekParams = WeekParams(),
    progress: Callable[[SolveProgress], None] | None = None,
) -> Plan:
    """Plan a week of pickups and deliveries over a fleet's vehicle-days.

    Parameters
    ----------
    problem
        Horizon, hubs, fleet, orders, tiers, carbon price (cents per tonne CO2e) and locks.
    travel
        Gives travel matrices (metres, seconds) between sites per profile.
    params
        Strategy, time budget (``params.solve.time_limit_s``, seconds for the whole week),
        drop penalty, bike zone radius.
    progress
        Called as the search improves (elapsed seconds since the start of the plan, best
        objective of the current sub-problem in milli-cents, phase name).

    Returns
    -------
    Plan
        Every order in ``legs`` (one leg per transport-chain element it rides) or in
        ``unassigned`` with a computed reason; locked routes unchanged.

    Raises
    ------
    InvalidInput
        When the travel model cannot provide the profiles the fleet uses, or a sub-problem
        handed to the solver is malformed.

    Notes
    -----
    A sub-problem whose search finds no solution within its share of the time limit does
    not fail the plan: its orders come back unassigned with reason ``search_time``.
    ``plan.stats.objective`` is recomputed from the plan (milli-cents: route costs + carbon
    price × CO2e + drop penalty × unassigned orders), comparable across strategies.
    """
    t0 = time.perf_counter()
    ctx = _context(problem, travel, params, progress, t0)
    orders = {o.id: o for o in problem.orders}

    # Locked routes: kept as they are; their orders are done (or only await their bike leg).
    locked_routes = [replace(r, locked=True) for r in problem.locks]
    delivered: set[str] = set()
    at_hub: dict[str, tuple[Hub, int]] = {}  # order id → (hub, drop time) from locked van legs
    for r in locked_routes:
        for s in r.stops:
            for oid in s.order_ids:
                if s.kind is StopKind.DELIVERY:
                    delivered.add(oid)
                elif s.kind is StopKind.HUB_DROP:
                    hub = next((h for h in ctx.hubs.values() if h.site.id == s.site_id), None)
                    if hub is not None:
                        at_hub[oid] = (hub, s.departure_s)

    unassigned: dict[str, Unassigned] = {}
    van_legs: list[_Leg] = []
    bike_legs: list[_Leg] = []
    pending: dict[str, _Leg] = {}  # order id → its bike leg, waiting for the van leg
    counter = iter(range(10**9))
    ctx.bike_zone_m = _bike_zones(ctx, [o for o in problem.orders if o.id not in delivered], at_hub)
    for o in problem.orders:
        if o.id in delivered:
            continue
        if o.id in at_hub:
            hub, drop_s = at_hub[o.id]
            leg = _bike_leg(ctx, o, hub, from_site=hub.site, counter=counter)
            if isinstance(leg, Unassigned):
                unassigned[o.id] = leg
            else:
                leg.release_s = drop_s + hub.handling_s
                leg.days = [d for d in leg.days if (d + 1) * DAY_S > leg.release_s]
                bike_legs.append(leg)
            continue
        legs = _legs_for(ctx, o, counter)
        if isinstance(legs, Unassigned):
            unassigned[o.id] = legs
            continue
        if len(legs) == 2:
            van_legs.append(legs[0])
            pending[o.id] = legs[1]
        elif legs[0].profile is Profile.CARGO_BIKE:
            bike_legs.append(legs[0])
        else:
            van_legs.append(legs[0])

    try:
        return _plan_phases(ctx, problem, orders, locked_routes, unassigned, van_legs, bike_legs, pending, t0)
    finally:
        if ctx.pool:
            ctx.pool.shutdown(wait=True, cancel_futures=True)


def _plan_phases(
    ctx: _Ctx,
    problem: WeekProblem,
    orders: Mapping[str, Order],
    locked_routes: list[Route],
    unassigned: dict[str, Unassigned],
    van_legs: list[_Leg],
    bike_legs: list[_Leg],
    pending: dict[str, _Leg],
    t0: float,
) -> Plan:
    """Vans first, then bikes from the hubs the vans reached, then vans for the bikes' left-overs; the plan."""
    params = ctx.params
    n_orders = len(van_legs) + len(bike_legs)
    strategy = params.strategy
    if strategy == "auto":
        strategy = "joint" if n_orders <= params.joint_max_orders else "by_day"
    budget = params.solve.time_limit_s
    n_bike_total = len(bike_legs) + len(pending)
    share_a = len(van_legs) / max(1, len(van_legs) + n_bike_total)
    log.info(
        "week %s: %d van legs, %d bike legs (%d after a hub), %d screened out, strategy %s",
        problem.id,
        len(van_legs),
        n_bike_total,
        len(pending),
        len(unassigned),
        strategy,
    )

    # Phase A: vans.
    van_visits, van_dropped = _solve_phase(
        ctx, van_legs, Profile.VAN, strategy, max(0.5, budget * share_a) if van_legs else 0.0, "vans"
    )
    van_used = frozenset(v.vday.key for v in van_visits)
    for leg in van_dropped:
        unassigned[leg.order.id] = _dropped_reason(ctx, leg, used=van_used)
        pending.pop(leg.order.id, None)

    # Phase B: bikes, hub loads released at the van's hub arrival + handling.
    drops = _hub_drop_times(van_visits)
    late: list[_Leg] = []  # bike legs whose goods reach the hub too late
    for oid, leg in pending.items():
        drop_s = drops[oid]
        assert leg.hub is not None
        leg.release_s = drop_s + leg.hub.handling_s
        leg.days = [d for d in leg.days if (d + 1) * DAY_S > leg.release_s]
        if not leg.days:
            late.append(leg)
            unassigned[oid] = Unassigned(
                order_id=oid,
                reason=UnassignedReason.TIME_WINDOW,
                detail=f"goods reach hub '{leg.hub.id}' at t={leg.release_s}s, after the tier's last day",
            )
        else:
            bike_legs.append(leg)
    remaining = max(0.5, budget - (time.perf_counter() - t0)) if bike_legs else 0.0
    bike_visits, bike_dropped = _solve_phase(ctx, bike_legs, Profile.CARGO_BIKE, strategy, remaining, "bikes")
    bike_used = frozenset(v.vday.key for v in bike_visits)
    for leg in bike_dropped:
        unassigned[leg.order.id] = _dropped_reason(ctx, leg, used=bike_used)
    lost = {leg.order.id for leg in bike_dropped} | {u for u in unassigned if u in drops}
    if lost:  # their van leg now leads nowhere: take it out of the van routes
        van_visits = [_without(v, lost) for v in van_visits]

    # Phase C: what the bikes could not take goes door to door by van: into the vans' routes
    # where they pass nearest, else on van-days left unused (not the orders a locked van already
    # brought to the hub: their goods are no longer at the pickup)
    left_over = [
        leg.order
        for leg in [*bike_dropped, *late]
        if leg.pickup.id == leg.order.pickup.id or leg.order.id in drops
    ]
    if left_over and Profile.VAN in ctx.nets:
        van_visits = _door_to_door(
            ctx, left_over, van_visits, max(0.5, budget - (time.perf_counter() - t0)), strategy
        )
        placed = {leg.order.id for v in van_visits for leg, is_p in v.nodes if is_p}
        for o in left_over:
            if o.id in placed:
                unassigned.pop(o.id, None)

    plan = _assemble(ctx, orders, locked_routes, van_visits + bike_visits, unassigned, strategy)
    return plan


#: Rounds offering the bikes' left-overs to the vans' routes (each to the next nearest two).
DOOR_TO_DOOR_ROUNDS = 2


def _door_to_door(
    ctx: _Ctx, orders: Sequence[Order], van_visits: list[_Visit], budget_s: float, strategy: str
) -> list[_Visit]:
    """The vans' routes with the orders the bikes left out, door to door, where they fit.

    Two ways are tried and the cheaper plan kept (money, carbon and drop penalties): every
    order on van-days the vans left unused; or each order first offered to the vans' routes
    (:func:`_into_routes`), the rest on van-days left unused.  Neither always wins: on the
    scaling suite's 1,000-order weeks (probe, same state both ways) the routes took 6 Porto
    left-overs for +51 € against +362 € on three fresh van-days, but 15 rural Yuba ones for
    +545 € against +527 €.
    """
    deadline = time.perf_counter() + budget_s
    counter = iter(range(2 * 10**9, 3 * 10**9))  # ids apart from the legs already planned
    legs = [
        leg
        for o in orders
        if not isinstance(leg := _van_leg(ctx, o, to_hub=None, counter=counter), Unassigned)
    ]
    routes = [v for v in van_visits if v.nodes]
    if not legs:
        return routes
    phase = "vans after the bikes"
    busy = frozenset(v.vday.key for v in routes)
    fresh, fresh_out = _on_unused_days(ctx, legs, busy, budget_s / 3, strategy, phase)
    into, into_out = _into_routes(ctx, legs, routes, deadline, strategy, phase)

    def cost(visits: Sequence[_Visit], out: Sequence[_Leg]) -> float:
        return _visits_cost(ctx, visits) + sum(_penalty_cents(ctx.params, leg.order) for leg in out)

    keep_fresh = cost([*routes, *fresh], fresh_out) < cost(into, into_out)
    log.info(
        "%s: %d of %d orders the bikes left out placed %s (on unused van-days: %d)",
        phase,
        len(legs) - len(fresh_out if keep_fresh else into_out),
        len(orders),
        "on unused van-days" if keep_fresh else "into the vans' routes first",
        len(legs) - len(fresh_out),
    )
    return [*routes, *fresh] if keep_fresh else into


def _on_unused_days(
    ctx: _Ctx,
    legs: list[_Leg],
    busy: frozenset[tuple[str, int, int]],
    budget_s: float,
    strategy: str,
    phase: str,
) -> tuple[list[_Visit], list[_Leg]]:
    """Routes for ``legs`` on the van-days other than ``busy``; the legs left out."""
    if not legs:
        return [], []
    by = "joint" if len(legs) <= ctx.params.joint_max_orders else strategy
    visits, dropped = _solve_phase(ctx, legs, Profile.VAN, by, budget_s, phase, busy=busy)
    return [v for v in visits if v.nodes], dropped


def _into_routes(
    ctx: _Ctx, legs: list[_Leg], routes: list[_Visit], deadline: float, strategy: str, phase: str
) -> tuple[list[_Visit], list[_Leg]]:
    """The van ``routes`` with ``legs`` offered to them, the rest on unused van-days; the legs left out.

    Each leg is offered to the routes (vehicle-days) of its days whose stops lie nearest its
    pickup and drop (:func:`_repair_round`, a route at a time, re-solved from itself; a
    re-solve that would leave out one of the route's orders is refused).  A run to a hub may
    then reach it earlier, never later: the bikes left from there at the time it arrived.
    """
    zones: dict[int, list[_Zone]] = defaultdict(list)
    for v in routes:
        capped = {
            leg.id: replace(leg, delivery_windows=_intersect(leg.delivery_windows, 0, t))
            for (leg, is_p), t in zip(v.nodes, v.times, strict=True)
            if not is_p and leg.kind is LegKind.TO_HUB
        }
        nodes = [(capped.get(leg.id, leg), is_p) for leg, is_p in v.nodes]
        z = _Zone(day=v.vday.day, vdays=[v.vday], legs=[leg for leg, is_p in nodes if is_p])
        z.visits = [replace(v, nodes=nodes)]
        zones[v.vday.day].append(z)
    originals = {leg.id: leg for leg in legs}
    tried: dict[int, set[int]] = {leg.id: set() for leg in legs}
    dropped = list(legs)
    for round_ in range(DOOR_TO_DOOR_ROUNDS):
        left = deadline - time.perf_counter()
        if not dropped or not zones or (round_ and left < 0.5):
            break
        share = 1 / (DOOR_TO_DOOR_ROUNDS - round_ + 1)  # and a share for the unused van-days
        dropped = _repair_round(
            ctx, dropped, zones, originals, tried, phase, budget_s=max(0.5, left * share), keep_routed=True
        )
    visits = [v for zs in zones.values() for z in zs for v in z.visits if v.nodes]
    busy = frozenset(v.vday.key for v in visits)
    rest = [originals[leg.id] for leg in dropped]
    extra, out = _on_unused_days(ctx, rest, busy, max(0.5, deadline - time.perf_counter()), strategy, phase)
    return visits + extra, out


# --------------------------------------------------------------------------- context


def _context(
    problem: WeekProblem,
    travel: TravelModel,
    params: WeekParams,
    progress: Callable[[SolveProgress], None] | None,
    t0: float,
) -> _Ctx:
    hubs = {h.id: h for h in problem.hubs}
    sites: dict[str, Site] = {}
    for h in problem.hubs:
        sites.setdefault(h.site.id, h.site)
    for o in problem.orders:
        sites.setdefault(o.pickup.id, o.pickup)
        sites.setdefault(o.delivery.id, o.delivery)
    site_list = list(sites.values())
    nets: dict[Profile, _Net] = {}
    for profile in sorted({v.profile for v in problem.vehicles}):
        m: SiteMatrices = travel.site_matrices(profile, site_list)
        nets[profile] = _Net(
            profile=profile,
            index={sid: i for i, sid in enumerate(m.site_ids)},
            distance_m=np.asarray(m.distance_m, dtype=np.int64),
            duration_s=np.asarray(m.duration_s, dtype=np.int64),
            reachable=np.asarray(m.reachable, dtype=np.bool_),
            off_network=dict(m.off_network),
        )
    factors = params.factors or load_factor_table()
    vfactor = {v.type.id: vehicle_factor(v.type, table=factors, grid=params.grid) for v in problem.vehicles}
    locked_keys = {(r.vehicle_id, r.day, r.trip) for r in problem.locks}
    horizon = problem.horizon
    vdays: list[_VDay] = []
    for v in problem.vehicles:
        start = hubs[v.depot_id]
        end = hubs[v.end_depot_id or v.depot_id]
        for day in range(horizon.days):
            if horizon.weekday_of(day) not in v.working_weekdays:
                continue
            window = (day * DAY_S + v.shift_start_s, day * DAY_S + v.shift_end_s)
            # several trips a day are hub revisits inside one vehicle-day (see _build)
            vdays.append(_VDay(vehicle=v, day=day, trip=0, start=start, end=end, window=window))
    return _Ctx(
        problem=problem,
        params=params,
        nets=nets,
        factors=factors,
        vfactor=vfactor,
        hubs=hubs,
        vdays=vdays,
        locked_keys=locked_keys,
        horizon_s=horizon.end_s + DAY_S,
        t0=t0,
        progress=progress,
    )


# --------------------------------------------------------------------------- legs and screening


def _fits(vt: VehicleType, o: Order) -> bool:
    return o.weight_g <= vt.capacity_g and o.volume_ml <= vt.capacity_ml and o.parcels <= vt.capacity_parcels


def _order_days(ctx: _Ctx, o: Order) -> list[int]:
    return list(range(o.earliest_day, min(o.latest_day, ctx.problem.horizon.days - 1) + 1))


def _intersect(windows: Sequence[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    out = [(max(a, lo), min(b, hi)) for a, b in windows]
    return [(a, b) for a, b in out if a <= b]


def _delivery_windows(o: Order, days: Sequence[int]) -> list[tuple[int, int]]:
    spans = [(d * DAY_S, (d + 1) * DAY_S - 1) for d in days]
    if not o.windows:
        return _merge(spans)
    out: list[tuple[int, int]] = []
    for a, b in spans:
        out.extend(_intersect([(w.start_s, w.end_s) for w in o.windows], a, b))
    return _merge(out)


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _hub_windows(hub: Hub, days: Sequence[int], horizon: Horizon) -> list[tuple[int, int]]:
    return _merge(
        [
            (d * DAY_S + hub.open_s, d * DAY_S + hub.close_s)
            for d in days
            if horizon.weekday_of(d) in hub.open_weekdays
        ]
    )


def _bike_hubs(ctx: _Ctx) -> list[Hub]:
    homes = {v.depot_id for v in ctx.problem.vehicles if v.profile is Profile.CARGO_BIKE}
    return [ctx.hubs[h] for h in sorted(homes)]


def _quantities(o: Order) -> NDArray[np.float64]:
    return np.array([o.weight_g, o.volume_ml, o.parcels], dtype=np.float64)


def _bike_zones(ctx: _Ctx, orders: Sequence[Order], at_hub: Mapping[str, tuple[Hub, int]]) -> dict[str, int]:
    """Each bike hub's zone radius (m): its reach, or less when its bikes cannot carry that much.

    The hub's capacity over the horizon is one trip's kg, litres and parcels × trips a day,
    summed over its bikes' unlocked vehicle-days; orders already waiting at the hub (their van
    leg locked) use it first, then the deliveries a bike can carry, nearest first, while the
    fullest of the three stays within ``bike_fill``.  A delivery in two hubs' reach counts for
    the first hub only, as :func:`_legs_for` gives it to the first.
    """
    p = ctx.params
    zones: dict[str, int] = {}
    claimed: set[str] = set()
    for hub in _bike_hubs(ctx):
        if p.bike_fill is None:
            zones[hub.id] = p.bike_zone_m
            continue
        bikes = [v for v in ctx.problem.vehicles if v.profile is Profile.CARGO_BIKE and v.depot_id == hub.id]
        ids = {v.id for v in bikes}
        cap = np.zeros(3)
        for vd in ctx.vdays:
            if vd.vehicle.id in ids and vd.key not in ctx.locked_keys:
                t = vd.vehicle.type
                cap += vd.vehicle.max_trips_per_day * np.array(
                    [t.capacity_g, t.capacity_ml, t.capacity_parcels]
                )
        used = np.zeros(3)
        candidates: list[tuple[float, Order]] = []
        for o in orders:
            if o.id in claimed:
                continue
            if o.id in at_hub:
                if at_hub[o.id][0].id == hub.id:
                    used += _quantities(o)
                continue
            near = haversine_m(
                hub.site.location.lon, hub.site.location.lat, o.delivery.location.lon, o.delivery.location.lat
            )
            if near <= p.bike_zone_m and any(o.skills <= v.type.skills and _fits(v.type, o) for v in bikes):
                candidates.append((near, o))
        candidates.sort(key=lambda c: (c[0], c[1].id))
        radius = -1.0
        for near, o in candidates:
            after = used + _quantities(o)
            if (after > p.bike_fill * cap).any():
                break
            used, radius = after, near
            claimed.add(o.id)
        else:
            radius = float(p.bike_zone_m)
        zones[hub.id] = math.ceil(radius)
        fill = float(max((u / c for u, c in zip(used, cap, strict=True) if c), default=0.0))
        log.info(
            "bike zone of %s: %d m (reach %d m), its bikes %.0f %% full by weight, volume or parcels",
            hub.id,
            zones[hub.id],
            p.bike_zone_m,
            100 * fill,
        )
    return zones


def _legs_for(ctx: _Ctx, o: Order, counter: Iterator[int]) -> list[_Leg] | Unassigned:
    """The legs of an order: by bike (possibly after a van to the hub) when urban, else by van."""
    p = ctx.params
    if p.two_echelon and Profile.CARGO_BIKE in ctx.nets:
        for hub in _bike_hubs(ctx):
            near = haversine_m(
                hub.site.location.lon, hub.site.location.lat, o.delivery.location.lon, o.delivery.location.lat
            )
            zone_m = ctx.bike_zone_m.get(hub.id, p.bike_zone_m)
            if near > zone_m:
                continue
            pickup_near = (
                o.pickup.id == hub.site.id
                or haversine_m(
                    hub.site.location.lon, hub.site.location.lat, o.pickup.location.lon, o.pickup.location.lat
                )
                <= zone_m
            )
            if pickup_near:
                leg = _bike_leg(ctx, o, hub, from_site=o.pickup, counter=counter)
                if not isinstance(leg, Unassigned):
                    return [leg]
                continue
            bike = _bike_leg(ctx, o, hub, from_site=hub.site, counter=counter)
            if isinstance(bike, Unassigned):
                continue
            van = _van_leg(ctx, o, to_hub=hub, counter=counter)
            if isinstance(van, Unassigned):
                continue
            return [van, bike]
    if Profile.VAN not in ctx.nets:
        return Unassigned(
            order_id=o.id,
            reason=UnassignedReason.NO_VEHICLE_DAY,
            detail="no van in the fleet and no cargo bike can take it (delivery outside every bike zone)",
        )
    van = _van_leg(ctx, o, to_hub=None, counter=counter)
    return van if isinstance(van, Unassigned) else [van]


def _van_leg(ctx: _Ctx, o: Order, *, to_hub: Hub | None, counter: Iterator[int]) -> _Leg | Unassigned:
    days = _order_days(ctx, o)
    if to_hub is not None:
        days = list(range(max(0, o.earliest_day - 1), days[-1] + 1)) if days else []
        delivery, dkind, dserv = to_hub.site, StopKind.HUB_DROP, 0
        dwin = _hub_windows(to_hub, days, ctx.problem.horizon)
        kind = LegKind.TO_HUB
    else:
        delivery, dkind, dserv = o.delivery, StopKind.DELIVERY, o.service_s
        dwin = _delivery_windows(o, days)
        kind = LegKind.DOOR_TO_DOOR
    pwin = [(w.start_s, w.end_s) for w in o.pickup_windows] or None
    leg = _Leg(
        id=next(counter),
        order=o,
        kind=kind,
        profile=Profile.VAN,
        pickup=o.pickup,
        delivery=delivery,
        pickup_kind=StopKind.HUB_LOAD if o.pickup_at_hub else StopKind.PICKUP,
        delivery_kind=dkind,
        pickup_service_s=o.pickup_service_s,
        delivery_service_s=dserv,
        pickup_windows=pwin,
        delivery_windows=dwin,
        days=days,
        vehicles=frozenset(),
        hub=to_hub,
    )
    return _screen(ctx, leg, [v for v in ctx.problem.vehicles if v.profile is Profile.VAN])


def _bike_leg(ctx: _Ctx, o: Order, hub: Hub, *, from_site: Site, counter: Iterator[int]) -> _Leg | Unassigned:
    days = _order_days(ctx, o)
    via_hub = from_site.id == hub.site.id
    leg = _Leg(
        id=next(counter),
        order=o,
        kind=LegKind.FROM_HUB if via_hub else LegKind.DOOR_TO_DOOR,
        profile=Profile.CARGO_BIKE,
        pickup=from_site,
        delivery=o.delivery,
        pickup_kind=StopKind.HUB_LOAD if via_hub else StopKind.PICKUP,
        delivery_kind=StopKind.DELIVERY,
        pickup_service_s=0 if via_hub else o.pickup_service_s,
        delivery_service_s=o.service_s,
        pickup_windows=None if via_hub else ([(w.start_s, w.end_s) for w in o.pickup_windows] or None),
        delivery_windows=_delivery_windows(o, days),
        days=days,
        vehicles=frozenset(),
        hub=hub,
    )
    bikes = [v for v in ctx.problem.vehicles if v.profile is Profile.CARGO_BIKE and v.depot_id == hub.id]
    return _screen(ctx, leg, bikes)


def _screen(ctx: _Ctx, leg: _Leg, fleet: Sequence[Vehicle]) -> _Leg | Unassigned:
    """Check the leg against each constraint alone; name the first that nobody can meet."""
    o = leg.order

    def out(reason: UnassignedReason, detail: str) -> Unassigned:
        return Unassigned(order_id=o.id, reason=reason, detail=detail)

    if leg.profile not in ctx.nets:
        return out(UnassignedReason.NO_VEHICLE_DAY, f"no {leg.profile.value} in the fleet")
    net = ctx.nets[leg.profile]
    for site in (leg.pickup, leg.delivery):
        if site.id in net.off_network:
            return out(UnassignedReason.OFF_NETWORK, net.off_network[site.id])
    if not fleet:
        return out(UnassignedReason.NO_VEHICLE_DAY, f"no {leg.profile.value} in the fleet")
    skilled = [v for v in fleet if o.skills <= v.type.skills]
    if not skilled:
        return out(UnassignedReason.SKILL, f"no {leg.profile.value} has skills {sorted(o.skills)}")
    fitting = [v for v in skilled if _fits(v.type, o)]
    if not fitting:
        biggest = max(skilled, key=lambda v: (v.type.capacity_g, v.type.capacity_ml))
        return out(
            UnassignedReason.CAPACITY,
            f"{o.weight_g} g / {o.volume_ml} ml / {o.parcels} parcels exceeds every vehicle "
            f"(largest {biggest.type.id}: {biggest.type.capacity_g} g / {biggest.type.capacity_ml} ml / "
            f"{biggest.type.capacity_parcels} parcels)",
        )
    ids = {v.id for v in fitting}
    days = set(leg.days)
    in_window = [vd for vd in ctx.vdays if vd.vehicle.id in ids and vd.day in days]
    free = [vd for vd in in_window if vd.key not in ctx.locked_keys]
    if not in_window:
        return out(
            UnassignedReason.NO_VEHICLE_DAY,
            f"no fitting vehicle works on days {o.earliest_day}..{o.latest_day} of the horizon",
        )
    if not free:
        return out(UnassignedReason.LOCKED_OUT, "only locked routes work inside its tier window")
    p, d = leg.pickup.id, leg.delivery.id
    ends = {(vd.start.site.id, vd.end.site.id) for vd in free}
    joined = {(a, b) for a, b in ends if net.ok(a, p) and net.ok(p, d) and net.ok(d, b)}
    reach = [vd for vd in free if (vd.start.site.id, vd.end.site.id) in joined]
    if not reach:
        return out(
            UnassignedReason.UNREACHABLE, f"no {leg.profile.value} route joins its hub, pickup and delivery"
        )
    if not leg.delivery_windows:
        return out(UnassignedReason.TIME_WINDOW, "its delivery windows fall outside its tier's days")
    verdict: dict[tuple[str, str, tuple[int, int]], bool] = {}  # many vehicle-days share a shift
    ok = []
    for vd in reach:
        key = (vd.start.site.id, vd.end.site.id, vd.window)
        if key not in verdict:
            verdict[key] = _alone_fits(ctx, net, leg, vd)
        if verdict[key]:
            ok.append(vd)
    if not ok:
        return out(
            UnassignedReason.TIME_WINDOW, "its windows cannot be reached within any shift of its tier's days"
        )
    leg.vehicles = frozenset(vd.vehicle.id for vd in ok)
    leg.days = sorted({vd.day for vd in ok})
    return leg


def _earliest_in(t: int, windows: Sequence[tuple[int, int]] | None) -> int | None:
    if windows is None:
        return t
    for a, b in windows:
        if t <= b:
            return max(t, a)
    return None


def _alone_fits(ctx: _Ctx, net: _Net, leg: _Leg, vd: _VDay) -> bool:
    """Can this vehicle-day serve the leg on its own, within windows and the shift?"""
    t = vd.window[0] + net.t(vd.start.site.id, leg.pickup.id)
    ps = _earliest_in(max(t, leg.release_s), leg.pickup_windows)
    if ps is None:
        return False
    ds = _earliest_in(ps + leg.pickup_service_s + net.t(leg.pickup.id, leg.delivery.id), leg.delivery_windows)
    if ds is None or (ds // DAY_S not in leg.days and leg.kind is not LegKind.TO_HUB):
        return False
    back = ds + leg.delivery_service_s + net.t(leg.delivery.id, vd.end.site.id)
    # the shift may start later (waiting at the depot is free): check the latest departure too
    return back <= vd.window[1] and ds >= vd.window[0]


# --------------------------------------------------------------------------- solving a phase


def _solve_phase(
    ctx: _Ctx,
    legs: list[_Leg],
    profile: Profile,
    strategy: str,
    budget_s: float,
    phase: str,
    *,
    busy: frozenset[tuple[str, int, int]] = frozenset(),
) -> tuple[list[_Visit], list[_Leg]]:
    """Route ``legs`` on the unlocked vehicle-days of ``profile`` other than ``busy`` ones."""
    if not legs:
        return [], []
    vdays = [
        vd
        for vd in ctx.vdays
        if vd.vehicle.profile is profile and vd.key not in ctx.locked_keys and vd.key not in busy
    ]
    if not vdays:
        return [], list(legs)
    if strategy == "joint":
        # OR-Tools' first solution over a whole week drops many orders and the search takes
        # long to win them back; days first gets a good plan fast, so start the week-wide
        # search from it (the one model can then still move orders between days)
        t0 = time.perf_counter()
        warm: list[_Visit] = []
        warm_dropped: list[_Leg] = list(legs)
        if ctx.params.joint_warm_start > 0:
            share = budget_s * ctx.params.joint_warm_start
            warm, warm_dropped = _solve_by_day(ctx, legs, vdays, share, f"{phase} warm start")
        initial = {v.vday.key: [(leg.id, is_p) for leg, is_p in v.nodes] for v in warm}
        left = max(0.5, budget_s - (time.perf_counter() - t0))
        visits, dropped = _solve(
            ctx, legs, vdays, left, phase, initial=initial or None, solve=_joint_search(ctx.params.solve)
        )
        pen = ctx.params.drop_penalty_cents
        if warm and _visits_cost(ctx, warm) + pen * len(warm_dropped) < _visits_cost(ctx, visits) + pen * len(
            dropped
        ):
            log.info("%s: the week-wide search did not beat its days-first start; keeping the start", phase)
            return warm, warm_dropped
        return visits, dropped
    return _solve_by_day(ctx, legs, vdays, budget_s, phase)


@dataclass(slots=True, kw_only=True)
class _Job:
    """One sub-problem ready for the solver: its OR-Tools model and how to read it back."""

    legs: list[_Leg]
    doable: list[_Leg]
    vdays: list[_VDay]
    problem: MatrixProblem
    legs_nodes: dict[int, tuple[_Leg, bool]]  # OR-Tools node → (leg, is pickup)
    phase: str
    budget_s: float


def _prepare(
    ctx: _Ctx,
    legs: list[_Leg],
    vdays: list[_VDay],
    budget_s: float,
    phase: str,
    *,
    initial: Mapping[tuple[str, int, int], list[tuple[int, bool]]] | None,
) -> _Job | tuple[list[_Visit], list[_Leg]]:
    """The model of ``legs`` over ``vdays``, or the answer when there is nothing to solve."""
    if not legs:
        return [], []
    if not vdays:
        return [], list(legs)
    # legs no vehicle-day here can take (day, or window outside every shift) are dropped up front
    leg_windows = {}
    doable: list[_Leg] = []
    for leg in legs:
        allowed = _allowed_vdays(leg, vdays)
        if not allowed:
            continue
        pw, dw = _node_windows(ctx, leg, vdays, allowed)
        if dw and (pw is None or pw):
            leg_windows[leg.id] = (pw, dw)
            doable.append(leg)
    if not doable:
        return [], list(legs)
    problem, _node_of, legs_nodes = _build(ctx, doable, vdays, initial, leg_windows)
    return _Job(
        legs=legs,
        doable=doable,
        vdays=vdays,
        problem=problem,
        legs_nodes=legs_nodes,
        phase=phase,
        budget_s=budget_s,
    )


#: Seconds per stop a sector's budget must offer for a construction to go first (cost-aware and
#: parallel insertion build a 250-stop sector in about a second, sometimes two); with less the
#: next one that fits goes first, and plain local cheapest insertion always fits.  Porto, 5,000
#: orders, 84 vans + 34 bikes, 60 s, ~0.8 s per van sector: 4,897 served with this rule, 4,726
#: when cost-aware insertion always went first (earlier 4,848 against 4,351 for parallel
#: insertion); Porto, 2,000 orders at 60 s (~0.008 s per stop): 57,238 € at 0.006, 61,840 € when
#: cost-aware insertion needed 0.01 s per stop.
FIRST_SOLUTION_S_PER_STOP: dict[str, float] = {
    "LOCAL_CHEAPEST_COST_INSERTION": 0.006,
    "PARALLEL_CHEAPEST_INSERTION": 0.006,
}


def _search(
    problem: MatrixProblem,
    params: SolveParams,
    budget_s: float,
    progress: Callable[[SolveProgress], None] | None = None,
) -> tuple[MatrixSolution | None, list[str]]:
    """Solve one sub-problem: the configured first solution, then the others, then a cheap one.

    Runs in the planner's process or in a worker process (everything it takes and
    returns pickles).  Returns the solution (None when no first solution was found within
    ``budget_s``) and the warnings met on the way.
    """
    start = time.perf_counter()
    sol: MatrixSolution | None = None
    warnings: list[str] = []
    order = [params.first_solution, *params.extra_first_solutions]
    stops = len(problem.distance_m[0]) if problem.distance_m else 0
    if stops < WEEK_OPERATORS_MIN_STOPS and _week_operators(params):
        params = replace(params, operators=None)
    # the constructions there is time to build go first, in the configured order
    # (plain local insertion and any other construction always fit)
    fits = [o for o in order if budget_s >= FIRST_SOLUTION_S_PER_STOP.get(o, 0.0) * stops]
    order = [*fits, *(o for o in order if o not in fits)]
    for first in dict.fromkeys((*order, "PATH_CHEAPEST_ARC")):
        left = budget_s - (time.perf_counter() - start)
        if sol is not None or (first != order[0] and left < 0.3):
            break
        try:
            sol = solve_matrix_problem(
                problem,
                params=replace(params, first_solution=first, time_limit_s=max(0.2, left)),
                progress=progress,
            )
        except Infeasible as exc:
            warnings.append(f"{exc} (first solution {first})")
    return sol, warnings


def _finish(
    ctx: _Ctx, job: _Job, sol: MatrixSolution | None, warnings: Sequence[str], *, started: float
) -> tuple[list[_Visit], list[_Leg]]:
    """Read a sub-problem's solution back into visits and dropped legs."""
    for w in warnings:
        log.warning("%s: %s", job.phase, w)
    if sol is None:  # no first solution within the time limit: nothing placed here
        ctx.statuses.append("NO_SOLUTION_IN_TIME")
        ctx.timed_out.update(leg.id for leg in job.doable)
        return [], list(job.legs)
    ctx.timed_out.difference_update(leg.id for leg in job.doable)
    ctx.solutions += sol.solutions
    ctx.statuses.append(sol.status)
    if ctx.first_solution_s is None and sol.first_solution_s is not None:
        ctx.first_solution_s = started - ctx.t0 + sol.first_solution_s
    visits: list[_Visit] = []
    served: set[int] = set()
    for k, vd in enumerate(job.vdays):
        route = sol.routes[k]
        if not route:
            continue
        nodes = [job.legs_nodes[i] for i in route]
        served.update(leg.id for leg, _ in nodes)
        visits.append(
            _Visit(
                vday=vd, nodes=nodes, times=list(sol.arrival_s[k]), start_s=sol.start_s[k], end_s=sol.end_s[k]
            )
        )
    dropped = [leg for leg in job.legs if leg.id not in served]
    return visits, dropped


def _solve(
    ctx: _Ctx,
    legs: list[_Leg],
    vdays: list[_VDay],
    budget_s: float,
    phase: str,
    *,
    initial: Mapping[tuple[str, int, int], list[tuple[int, bool]]] | None,
    solve: SolveParams | None = None,
) -> tuple[list[_Visit], list[_Leg]]:
    """Build one MatrixProblem over ``vdays`` for ``legs``, solve it here, read the routes back.

    ``solve`` replaces the plan's search controls (``ctx.params.solve``) for this model.
    """
    job = _prepare(ctx, legs, vdays, budget_s, phase, initial=initial)
    if not isinstance(job, _Job):
        return job
    t_phase = time.perf_counter()

    def report(p: SolveProgress) -> None:
        if ctx.first_solution_s is None:
            ctx.first_solution_s = time.perf_counter() - ctx.t0
        if ctx.progress is not None:
            ctx.progress(replace(p, elapsed_s=t_phase - ctx.t0 + p.elapsed_s, phase=phase))

    sol, warnings = _search(job.problem, solve or ctx.params.solve, budget_s, report)
    return _finish(ctx, job, sol, warnings, started=t_phase)


@dataclass(slots=True, kw_only=True)
class _Spec:
    """A sub-problem to solve among others: legs over vehicle-days, its share of the time."""

    legs: list[_Leg]
    vdays: list[_VDay]
    weight: float
    phase: str
    initial: Mapping[tuple[str, int, int], list[tuple[int, bool]]] | None = None


#: Sub-problems go to worker processes only when the planner has at least this many
#: seconds for them (starting the workers costs about a second, once per plan) or the workers
#: already run.
PARALLEL_MIN_BUDGET_S = 20.0


def worker_count(params: WeekParams) -> int:
    """How many worker processes ``params`` asks for (``workers``, or this process's CPU cores when 0)."""
    if params.workers:
        return params.workers
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _solve_many(ctx: _Ctx, specs: Sequence[_Spec], wall_s: float) -> list[tuple[list[_Visit], list[_Leg]]]:
    """Solve independent sub-problems within ``wall_s`` seconds, side by side when cores allow.

    Each gets a share of the time in proportion to its weight.  With ``w`` worker
    processes the shares are of ``w × wall_s`` (no one more than ``wall_s``), the largest
    sub-problems start first.  A worker that dies (or a pool that cannot start) costs
    nothing but time: its sub-problems are solved here with what time is left.
    """
    total = sum(s.weight for s in specs) or 1.0
    workers = min(worker_count(ctx.params), len(specs))
    # once the workers run, every later batch uses them: a full week's later re-offer rounds
    # (~8 s each at 120 s) solved their zones one after the other on one core
    parallel = (
        workers > 1 and ctx.pool is not False and (ctx.pool is not None or wall_s >= PARALLEL_MIN_BUDGET_S)
    )
    if not parallel:
        return [
            _solve(ctx, s.legs, s.vdays, wall_s * s.weight / total, s.phase, initial=s.initial) for s in specs
        ]
    start = time.perf_counter()
    deadline = start + wall_s
    results: list[tuple[list[_Visit], list[_Leg]] | None] = [None] * len(specs)
    jobs: dict[int, _Job] = {}
    for i, s in enumerate(specs):
        budget = min(wall_s, wall_s * workers * s.weight / total)
        job = _prepare(ctx, s.legs, s.vdays, budget, s.phase, initial=s.initial)
        if isinstance(job, _Job):
            jobs[i] = job
        else:
            results[i] = job
    pool = _pool(ctx, workers)
    futures: dict[Future[tuple[MatrixSolution | None, list[str]]], tuple[int, float]] = {}
    if pool is not None:
        try:
            for i in sorted(jobs, key=lambda i: -jobs[i].budget_s):
                job = jobs[i]
                fut = pool.submit(_search, job.problem, ctx.params.solve, job.budget_s)
                futures[fut] = (i, time.perf_counter())
        except (BrokenProcessPool, OSError, RuntimeError) as exc:
            log.warning("worker processes unavailable (%s); solving here", exc)
            ctx.pool = False
    for fut in as_completed(futures):
        i, submitted = futures[fut]
        job = jobs[i]
        try:
            sol, warnings = fut.result()
        except (BrokenProcessPool, OSError, RuntimeError) as exc:
            log.warning("%s: worker process failed (%s); solving here", job.phase, exc)
            ctx.pool = False
            continue
        results[i] = _finish(ctx, job, sol, warnings, started=submitted)
        if ctx.progress is not None and sol is not None:
            ctx.progress(
                SolveProgress(
                    elapsed_s=time.perf_counter() - ctx.t0,
                    best_objective=sol.objective,
                    solutions=sol.solutions,
                    phase=job.phase,
                )
            )
    missing = [i for i, r in enumerate(results) if r is None]
    for n, i in enumerate(missing):  # a worker failed: the rest here, sharing what time is left
        left = max(0.5, (deadline - time.perf_counter()) / (len(missing) - n))
        s = specs[i]
        results[i] = _solve(ctx, s.legs, s.vdays, left, s.phase, initial=s.initial)
    return [r for r in results if r is not None]


def _pool(ctx: _Ctx, workers: int) -> ProcessPoolExecutor | None:
    """The plan's worker processes (started on first use, shut down by :func:`plan_week`)."""
    if ctx.pool is False:
        return None
    if ctx.pool is None:
        if mp.current_process().daemon:  # e.g. a multiprocessing.Pool worker: no children allowed
            ctx.pool = False
            return None
        # fork while this process has one thread (a CLI, a script: nothing to re-import, and no
        # lock another thread could hold); spawn otherwise (a server, whose main module is guarded)
        method = "fork" if "fork" in mp.get_all_start_methods() and threading.active_count() == 1 else "spawn"
        if method == "fork":
            recreate.warm_up()  # forked workers inherit the kernels instead of each loading them
        try:
            ctx.pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=mp.get_context(method), initializer=recreate.warm_up
            )
        except (OSError, ValueError) as exc:
            log.warning("cannot start worker processes (%s); solving in this process", exc)
            ctx.pool = False
            return None
    return ctx.pool


def _with_reloads(
    ctx: _Ctx,
    vt: VehicleType,
    dur: NDArray[np.int64],
    site_of_node: Sequence[str],
    legs: Sequence[_Leg],
    node_of: Mapping[tuple[int, bool], int],
    vdays: Sequence[_VDay],
) -> NDArray[np.int64]:
    """Add the reload time to every arc that brings a bike back to load at its hub.

    Several trips a day are hub revisits inside one vehicle-day: a bike coming back from
    a delivery to a hub-load node pays ``reload_s``; a bike allowed one trip a day cannot
    come back at all (the arc takes the whole horizon).
    """
    if vt.profile is not Profile.CARGO_BIKE:
        return dur
    mine = [vd.vehicle for vd in vdays if vd.vehicle.type.id == vt.id]
    trips = max(v.max_trips_per_day for v in mine)
    reload_s = max(v.reload_s for v in mine) if trips > 1 else ctx.horizon_s
    loads: dict[str, list[int]] = defaultdict(list)
    for leg in legs:
        if leg.pickup_kind is StopKind.HUB_LOAD and leg.profile is Profile.CARGO_BIKE:
            loads[leg.pickup.id].append(node_of[(leg.id, True)])
    if not loads or reload_s == 0:
        return dur
    out = dur.copy()
    sites = np.array(site_of_node, dtype=object)
    for hub_site, nodes in loads.items():
        away = np.flatnonzero(sites != hub_site)
        out[np.ix_(away, np.array(nodes))] += reload_s
    return out


def _allowed_vdays(leg: _Leg, vdays: Sequence[_VDay]) -> list[int]:
    days = set(leg.days)
    return [k for k, vd in enumerate(vdays) if vd.vehicle.id in leg.vehicles and vd.day in days]


def _prune(windows: Sequence[tuple[int, int]], duty: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Keep the parts of ``windows`` some vehicle is on duty for, and close gaps nobody works in.

    A node's service time always lies inside its vehicle's working window, so joining two
    windows across a gap where no allowed vehicle works changes nothing, and spares the
    solver a costly hole in the time variable's domain.
    """
    parts: list[tuple[int, int]] = []
    for a, b in duty:
        parts.extend(_intersect(windows, a, b))
    parts = _merge(parts)
    out: list[tuple[int, int]] = []
    for a, b in parts:
        if out:
            gap_lo, gap_hi = out[-1][1] + 1, a - 1
            if not any(lo <= gap_hi and hi >= gap_lo for lo, hi in duty):
                out[-1] = (out[-1][0], b)
                continue
        out.append((a, b))
    return out


def _node_windows(
    ctx: _Ctx, leg: _Leg, vdays: Sequence[_VDay], allowed: Sequence[int]
) -> tuple[list[tuple[int, int]] | None, list[tuple[int, int]]]:
    h = ctx.horizon_s
    duty = _merge([(vdays[k].window[0], min(vdays[k].window[1], h)) for k in allowed])
    pw: list[tuple[int, int]] | None = leg.pickup_windows
    if leg.release_s:
        pw = _intersect(pw or [(0, h)], leg.release_s, h)
    pickup = None if pw is None else _prune(pw, duty)
    return pickup, _prune(leg.delivery_windows, duty)


def _penalty_cents(params: WeekParams, o: Order) -> int:
    """The order's drop penalty inside the search (``WeekParams.flexible_discount_per_day``)."""
    return round(params.drop_penalty_cents * (1 - params.flexible_discount_per_day * _other_days(o)))


def _other_days(o: Order) -> int:
    """The extra days of the order's tier window that lower its penalty (at most ``FLEXIBLE_DAYS_MAX``)."""
    return min(max(0, o.latest_day - o.earliest_day), FLEXIBLE_DAYS_MAX)


def _build(
    ctx: _Ctx,
    legs: list[_Leg],
    vdays: list[_VDay],
    initial: Mapping[tuple[str, int, int], list[tuple[int, bool]]] | None,
    leg_windows: Mapping[int, tuple[list[tuple[int, int]] | None, list[tuple[int, int]]]],
) -> tuple[MatrixProblem, dict[tuple[int, bool], int], dict[int, tuple[_Leg, bool]]]:
    """Nodes (depots, then a pickup and a delivery per leg), matrices per vehicle type, constraints."""
    depot_sites: list[str] = []
    for vd in vdays:
        for s in (vd.start.site.id, vd.end.site.id):
            if s not in depot_sites:
                depot_sites.append(s)
    site_of_node = list(depot_sites)
    node_of: dict[tuple[int, bool], int] = {}
    legs_nodes: dict[int, tuple[_Leg, bool]] = {}
    for leg in legs:
        for is_p, site in ((True, leg.pickup), (False, leg.delivery)):
            node_of[(leg.id, is_p)] = len(site_of_node)
            legs_nodes[len(site_of_node)] = (leg, is_p)
            site_of_node.append(site.id)
    n = len(site_of_node)

    # travel per profile, arc costs per vehicle type (money per metre + carbon price × CO2e per metre)
    per_profile: dict[Profile, tuple[NDArray[np.int64], NDArray[np.int64]]] = {}
    for profile in {vd.vehicle.profile for vd in vdays}:
        net = ctx.nets[profile]
        idx = np.array([net.index[s] for s in site_of_node], dtype=np.int64)
        dist = net.distance_m[np.ix_(idx, idx)]
        dur = net.duration_s[np.ix_(idx, idx)]
        bad = ~net.reachable[np.ix_(idx, idx)]
        if bad.any():
            dist = np.where(bad, _BIG_M, dist)
            dur = np.where(bad, ctx.horizon_s, dur)
        per_profile[profile] = (dist, dur)
    types: dict[str, int] = {}
    distance_m: list[NDArray[np.int64]] = []
    duration_s: list[NDArray[np.int64]] = []
    arc_cost: list[NDArray[np.int64]] = []
    for vd in vdays:
        vt = vd.vehicle.type
        if vt.id in types:
            continue
        types[vt.id] = len(types)
        dist, dur = per_profile[vt.profile]
        per_m = vt.cost_cents_per_km + carbon_millicents_per_m(
            ctx.vfactor[vt.id], ctx.problem.carbon_price_cents_per_t
        )
        distance_m.append(dist)
        duration_s.append(_with_reloads(ctx, vt, dur, site_of_node, legs, node_of, vdays))
        arc_cost.append(np.rint(dist * per_m).astype(np.int64))

    windows: list[list[tuple[int, int]] | None] = [None] * n
    service = [0] * n
    demands = [[0] * n for _ in range(3)]
    allowed: list[list[int] | None] = [None] * n
    penalty: list[int | None] = [None] * n
    pairs: list[tuple[int, int]] = []
    h = ctx.horizon_s
    for leg in legs:
        p, d = node_of[(leg.id, True)], node_of[(leg.id, False)]
        pairs.append((p, d))
        windows[p], windows[d] = leg_windows[leg.id]
        service[p], service[d] = leg.pickup_service_s, leg.delivery_service_s
        o = leg.order
        for dim, q in enumerate((o.weight_g, o.volume_ml, o.parcels)):
            demands[dim][p], demands[dim][d] = q, -q
        allowed[p] = allowed[d] = _allowed_vdays(leg, vdays)
        penalty[p] = _penalty_cents(ctx.params, o) * _MC
    initial_routes = None
    if initial is not None:
        initial_routes = [[node_of[x] for x in initial.get(vd.key, []) if x in node_of] for vd in vdays]
    problem = MatrixProblem(
        distance_m=distance_m,
        duration_s=duration_s,
        num_vehicles=len(vdays),
        arc_cost=arc_cost,
        vehicle_profile=[types[vd.vehicle.type.id] for vd in vdays],
        vehicle_start=[depot_sites.index(vd.start.site.id) for vd in vdays],
        vehicle_end=[depot_sites.index(vd.end.site.id) for vd in vdays],
        vehicle_window=[(vd.window[0], min(vd.window[1], h)) for vd in vdays],
        vehicle_fixed_cost=[vd.vehicle.type.fixed_cost_cents_per_day * _MC for vd in vdays],
        vehicle_cost_per_s=[vd.vehicle.type.cost_cents_per_hour * _MC // 3600 for vd in vdays],
        capacities=[
            [vd.vehicle.type.capacity_g for vd in vdays],
            [vd.vehicle.type.capacity_ml for vd in vdays],
            [vd.vehicle.type.capacity_parcels for vd in vdays],
        ],
        demands=demands,
        time_windows=windows,
        service_s=service,
        pickups_deliveries=pairs,
        allowed_vehicles=allowed,
        drop_penalty=penalty,
        horizon_s=h,
        initial_routes=initial_routes,
    )
    return problem, node_of, legs_nodes


# --------------------------------------------------------------------------- days first


@dataclass(slots=True, kw_only=True)
class _Zone:
    """Part of a day: the legs of one sector around the depot and the vehicles serving it."""

    day: int
    vdays: list[_VDay]
    legs: list[_Leg]
    visits: list[_Visit] = field(default_factory=list)
    lon: float = 0.0
    lat: float = 0.0


def _anchor(leg: _Leg) -> Site:
    """Where a leg sits on the map for zoning: its drop, or its shop for a run to the hub."""
    return leg.pickup if leg.kind is LegKind.TO_HUB else leg.delivery


#: A day is cut into sectors of at least this many vehicle-days.  Small sectors search best
#: once each starts from parallel cheapest insertion (Porto, 5,000 orders, 14 vans + 6 bikes,
#: 120 s: sectors of 2 vans served 3,721 orders; with local insertion first, 2-van sectors
#: served 3,392 and 7-van ones 3,473).
ZONE_MIN_VEHICLES = 2


def _zones(day: int, legs: list[_Leg], vdays: list[_VDay], max_legs: int) -> list[_Zone]:
    """Cut a day into sectors around the depot with about ``max_legs`` legs each.

    Vehicles are dealt to the sectors in turn (largest first) so each sector gets a fair
    share; a leg none of whose vehicles is in its sector moves to the nearest sector that has one.
    """
    k = max(1, min(len(vdays) // ZONE_MIN_VEHICLES, math.ceil(len(legs) / max(1, max_legs))))
    if k == 1:
        z = _Zone(day=day, vdays=list(vdays), legs=list(legs))
        _centre(z)
        return [z]
    cx = sum(vd.start.site.location.lon for vd in vdays) / len(vdays)
    cy = sum(vd.start.site.location.lat for vd in vdays) / len(vdays)
    kx = math.cos(math.radians(cy))

    def angle(leg: _Leg) -> float:
        loc = _anchor(leg).location
        return math.atan2(loc.lat - cy, (loc.lon - cx) * kx)

    ordered = sorted(legs, key=lambda leg: (angle(leg), leg.id))
    if len(ordered) > 1:  # start the sweep after the widest empty sector
        angs = [angle(leg) for leg in ordered]
        gaps = [(angs[(i + 1) % len(angs)] - angs[i]) % (2 * math.pi) for i in range(len(angs))]
        start = (max(range(len(gaps)), key=gaps.__getitem__) + 1) % len(ordered)
        ordered = ordered[start:] + ordered[:start]
    size = math.ceil(len(ordered) / k)
    vds = sorted(vdays, key=lambda vd: (-vd.vehicle.type.capacity_g, vd.vehicle.id))
    zones = [_Zone(day=day, vdays=vds[z::k], legs=ordered[z * size : (z + 1) * size]) for z in range(k)]
    for z in zones:
        _centre(z)
    for z in zones:
        ids = {vd.vehicle.id for vd in z.vdays}
        for leg in list(z.legs):
            if leg.vehicles & ids:
                continue
            fits = [y for y in zones if leg.vehicles & {vd.vehicle.id for vd in y.vdays}]
            if fits:
                z.legs.remove(leg)
                _nearest_zone(fits, leg).legs.append(leg)
    return [z for z in zones if z.legs or z.vdays]


def _centre(z: _Zone) -> None:
    pts = [_anchor(leg).location for leg in z.legs] or [vd.start.site.location for vd in z.vdays]
    z.lon = sum(p.lon for p in pts) / len(pts)
    z.lat = sum(p.lat for p in pts) / len(pts)


def _nearest_zone(zones: Sequence[_Zone], leg: _Leg) -> _Zone:
    loc = _anchor(leg).location
    return min(zones, key=lambda z: haversine_m(z.lon, z.lat, loc.lon, loc.lat))


def _solve_by_day(
    ctx: _Ctx, legs: list[_Leg], vdays: list[_VDay], budget_s: float, phase: str
) -> tuple[list[_Visit], list[_Leg]]:
    """Assign each leg a day (and a zone of that day), route each zone, then re-offer dropped legs.

    A dropped leg is offered, round after round, to the zone of its window whose routes pass
    nearest it (:func:`_repair_round`): that zone is solved again from its current routes
    with the leg added.  A week with room first empties its lightest vehicle-days into
    other days (:func:`_consolidate`), then searches its zones on from their routes
    (:func:`_search_on`); time the re-offers leave over goes to that search as well.
    """
    t_start = time.perf_counter()
    assignment = _assign_days(ctx, legs, vdays)
    by_day: dict[int, list[_Leg]] = defaultdict(list)
    for leg in legs:
        by_day[assignment[leg.id]].append(replace(leg, days=[assignment[leg.id]]))
    day_vdays: dict[int, list[_VDay]] = defaultdict(list)
    for vd in vdays:
        day_vdays[vd.day].append(vd)
    main_budget = budget_s * (
        1.0 - REPAIR_SHARE * ctx.params.repair - CONSOLIDATE_SHARE * ctx.params.consolidate
    )
    # every day with vehicle-days gets its zones, so the repair can move orders to an idle day
    zones: dict[int, list[_Zone]] = {
        d: _zones(d, by_day[d], day_vdays[d], ctx.params.zone_max_legs)
        for d in sorted(set(by_day) | set(day_vdays))
    }
    home: dict[int, _Zone] = {}
    dropped: list[_Leg] = []
    every = [(d, i, z) for d, zs in zones.items() for i, z in enumerate(zs) if z.legs]
    specs = [
        _Spec(
            legs=z.legs,
            vdays=z.vdays,
            weight=len(z.legs),
            phase=f"{phase} day {d}" + (f" zone {i + 1}/{len(zones[d])}" if len(zones[d]) > 1 else ""),
        )
        for d, i, z in every
    ]
    for (_d, _i, z), (visits, dr) in zip(every, _solve_many(ctx, specs, main_budget), strict=True):
        z.visits = visits
        for leg in z.legs:
            home[leg.id] = z
        dropped.extend(dr)
    log.info(
        "%s: %d sectors in %.1f s, %d of %d legs dropped",
        phase,
        len(specs),
        time.perf_counter() - t_start,
        len(dropped),
        len(legs),
    )
    originals = {leg.id: leg for leg in legs}
    # a week that leaves this many orders out has no vehicle-day to spare: emptying one cannot
    # pay, and the consolidation time goes to placing orders instead
    full = len(dropped) > FULL_WEEK_DROPPED_SHARE * len(legs)
    consolidate = ctx.params.consolidate and not full
    end = t_start + budget_s
    if consolidate:
        # a week with room: first empty its lightest vehicle-days into other days (each saves
        # a day's fixed cost), then the sectors search on from their routes, with the legs
        # they left out; the legs still out are then re-offered to other days
        now = time.perf_counter()
        _consolidate(ctx, zones, originals, deadline=now + ROOMY_CONSOLIDATE_SHARE * (end - now), phase=phase)
        if ctx.params.repair:
            left = max(end - time.perf_counter(), ROOMY_SEARCH_ON_SHARE * budget_s)
            dropped = _search_on(ctx, zones, dropped, home, left, phase)
    if ctx.params.repair and dropped:
        # the first round runs even when the time is up: a plan that overruns a phase by half
        # a second is better than one that leaves out orders a re-offer places (skipping it:
        # Porto 100 orders 97 served, Yuba 300 292, instead of 100 and 296-299)
        tried: dict[int, set[int]] = {leg.id: {id(home[leg.id])} for leg in legs}
        overhead_s = 0.0  # the most a round overran its time (model builds, start-up)
        for round_ in range(REPAIR_ROUNDS):
            before = len(dropped)
            time_left = end - time.perf_counter()
            share = 1 / (REPAIR_ROUNDS - round_)
            if round_ == 0 and REPAIR_ROUNDS > 1:
                share = REPAIR_FIRST_ROUND_SHARE
            round_s = max(0.5, time_left * share)
            if round_ and round_s + overhead_s > time_left:
                break  # a round no longer fits: on a big week its model builds alone take seconds
            started = time.perf_counter()
            dropped = _repair_round(ctx, dropped, zones, originals, tried, phase, budget_s=round_s)
            overhead_s = max(overhead_s, time.perf_counter() - started - round_s)
            log.info(
                "%s: repair round %d done at %.1f s, %d legs dropped",
                phase,
                round_ + 1,
                time.perf_counter() - t_start,
                len(dropped),
            )
            # a round that placed nothing: the days are full (what is left goes to the sectors'
            # searches)
            if not dropped or len(dropped) >= before or end - time.perf_counter() < 0.5:
                break
    # re-offers that stopped early (nothing more to place) leave their time to the sectors
    left = end - time.perf_counter()
    if ctx.params.repair and left >= max(1.0, SEARCH_ON_MIN_SHARE * budget_s):
        dropped = _search_on(ctx, zones, dropped, home, left, phase)
    visits = [v for d in sorted(zones) for z in zones[d] for v in z.visits]
    return visits, [originals[leg.id] for leg in dropped]


#: Shares of a days-first budget spent re-offering dropped orders and consolidating days.
#: On a full week the re-offers place more orders than longer sector searches do (Porto,
#: 5,000 orders, 120 s, vans: the sectors' first pass leaves 467 legs out after 71 s and 479
#: after 39 s; three re-offer rounds after the 71 s pass end at 381, ten after the 39 s one
#: at 312 -- the 600 s plan's sectors, after 366 s, still leave 437 out).
REPAIR_SHARE = 0.5
CONSOLIDATE_SHARE = 0.15
#: A week with room (see ``FULL_WEEK_DROPPED_SHARE``) spends the time a full week gives its
#: re-offers on emptying its lightest vehicle-days into other days (:func:`_consolidate`) and
#: then on its sectors' searches, which go on from their routes.  Consolidating first pays: each
#: vehicle-day emptied saves its fixed cost, where the searches that used to come first took the
#: time it needed (single runs, ``benchmarks scaling`` jobs alone, searching on first against
#: consolidating first: Porto 100 orders 1,769-1,860 € with 11 routes against 1,674-1,780 € with
#: 10; Porto 2,000 1,951 served / 64,061 € against 1,960 / 55,651 €; Yuba 2,000 45,878 € with 75
#: routes against 42,386 € with 59; 300 and 1,000 orders within the runs' spread; with the two
#: shares below, one run of Porto 2,000 served 1,953 / 62,118 €).
#: ... of which the consolidation may take this share of what is left at most: a week whose
#: vehicle-days cannot be emptied spends all it gets trying, and its sectors, which had only
#: the first pass, keep routes that a short search-on shortens (the 60-order demo: 11 routes,
#: €11.96 per order in some runs with no search-on; 8 routes, €8.89 with it).
ROOMY_CONSOLIDATE_SHARE = 0.5
#: ... and the search-on gets at least this share of the budget, even past its end: on a short
#: budget (a joint week's warm start, ~3 s) the first pass alone overruns its share, and a
#: week then went on with the routes of a fraction of a second's search.
ROOMY_SEARCH_ON_SHARE = 0.3
#: Time the re-offers or the consolidation leave over goes to the sectors' searches, which go
#: on from their routes, when it is at least this share of the budget.
SEARCH_ON_MIN_SHARE = 0.05
#: A days-first pass that drops more than this share of its legs leaves the week full: no
#: consolidation, its share of the time goes to the repair rounds.
FULL_WEEK_DROPPED_SHARE = 0.05
#: Dropped orders are re-offered at most this many times, each time to a zone not yet tried
#: (rounds stop early when one places nothing).
REPAIR_ROUNDS = 10
#: Each round offers a dropped leg to this many zones at once (the nearest it was not tried
#: in): twice the tries per round for about the same time, as every zone with an offer is
#: re-solved anyway (Porto, 5,000 orders, 120 s, alone: 4,550, 4,577 and 4,566 served, against
#: 4,542-4,564 over four runs offering one zone a round).
REPAIR_OFFERS = 2
#: The first round's share of the repair time (the later ones share the rest evenly).  When the
#: days are full every sector is re-solved from its routes in the first round, which places the
#: most orders; the later rounds each move the orders still out once more (Porto, 5,000
#: orders, 120 s, vans: 4,510 served with 6 rounds and 40 % in the first, 4,525 with 10 and 30 %).
REPAIR_FIRST_ROUND_SHARE = 0.3


def _search_on(
    ctx: _Ctx,
    zones: Mapping[int, list[_Zone]],
    dropped: Sequence[_Leg],
    home: Mapping[int, _Zone],
    budget_s: float,
    phase: str,
) -> list[_Leg]:
    """Search every sector again from its current routes for ``budget_s``; the legs left out.

    A sector searches the legs it routes now and the dropped legs first assigned to it.
    """
    out: dict[int, list[_Leg]] = defaultdict(list)
    for leg in dropped:
        z = home[leg.id]
        out[id(z)].append(replace(leg, days=[z.day]))
    jobs = [
        (z, legs)
        for zs in zones.values()
        for z in zs
        if (legs := [leg for v in z.visits for leg, is_p in v.nodes if is_p] + out[id(z)])
    ]
    specs = [
        _Spec(
            legs=legs,
            vdays=z.vdays,
            weight=len(legs),
            phase=f"{phase} day {z.day} search on",
            initial={v.vday.key: [(leg.id, is_p) for leg, is_p in v.nodes] for v in z.visits},
        )
        for z, legs in jobs
    ]
    left: list[_Leg] = []
    for (z, _legs), (visits, dr) in zip(jobs, _solve_many(ctx, specs, budget_s), strict=True):
        z.visits, dr = _unless_failed(z, visits, dr, out[id(z)])
        left.extend(dr)
    log.info("%s: sectors searched on from their routes, %d legs dropped", phase, len(left))
    return left


def _unless_failed(
    z: _Zone, visits: list[_Visit], dropped: list[_Leg], added: list[_Leg]
) -> tuple[list[_Visit], list[_Leg]]:
    """A zone's routes and dropped legs after a re-solve from its routes with ``added`` legs.

    A re-solve that found no solution in its time (its model could not even take the
    routes back: seen when OR-Tools had ~15 ms for it) comes back with no route at all --
    one that finds any never drops every order, since it starts from routes that serve
    them.  The zone then keeps its routes and only the added legs come back as dropped;
    before, it lost every order it served until a later search placed them again.
    """
    if visits or not z.visits:
        return visits, dropped
    log.warning("day %d: a zone's re-solve found no solution in time; its routes are kept", z.day)
    return z.visits, list(added)


def _repair_round(
    ctx: _Ctx,
    dropped: list[_Leg],
    zones: Mapping[int, list[_Zone]],
    originals: Mapping[int, _Leg],
    tried: dict[int, set[int]],
    phase: str,
    *,
    budget_s: float,
    keep_routed: bool = False,
) -> list[_Leg]:
    """Offer each dropped leg to zones it has not been tried in, and re-solve those zones.

    The zones (``REPAIR_OFFERS`` of them) are the ones, on any day of the leg's window (its
    own day's other zones count too), whose routed stops lie nearest the leg's pickup and
    drop (:func:`_reach_s`; the least busy day breaks ties); each is solved again from its
    current routes with the leg added.  (Choosing the least busy day first, then the nearest
    zone of that day, placed fewer: Porto, 5,000 orders, 120 s, six rounds placed 134 van
    legs that way, 179 this way.)  A leg routed by more than one zone stays in the nearest
    and leaves the others' routes (their stops keep their times: the van waits where it
    would have served it, until a later search of that zone).  A leg no new solve routes --
    an added one, or one that was routed there -- comes back as dropped for the next round.
    With ``keep_routed`` a re-solve that leaves out a leg its zone routed is refused: the
    zone keeps its routes and only the offered legs come back as dropped.
    Returns the legs still dropped.
    """
    busy = {d: sum(len(v.nodes) for z in zs for v in z.visits) for d, zs in zones.items()}
    stops: dict[int, NDArray[np.int64]] = {}
    retry: dict[int, tuple[_Zone, list[_Leg]]] = {}
    offers: dict[int, list[_Zone]] = {}
    still: list[_Leg] = []
    for leg in dropped:
        options = [
            z
            for d in originals[leg.id].days
            for z in zones.get(d, ())
            if id(z) not in tried[leg.id] and leg.vehicles & {vd.vehicle.id for vd in z.vdays}
        ]
        if not options:
            still.append(leg)
            continue
        ranked = sorted(options, key=lambda z: (_reach_s(ctx, leg, z, stops), busy[z.day], z.day))
        offers[leg.id] = ranked[:REPAIR_OFFERS]
        for z in offers[leg.id]:
            tried[leg.id].add(id(z))
            retry.setdefault(id(z), (z, []))[1].append(replace(leg, days=[z.day]))
    jobs = [
        (z, [leg for v in z.visits for leg, is_p in v.nodes if is_p], extra) for z, extra in retry.values()
    ]
    specs = [
        _Spec(
            legs=[*kept, *extra],
            vdays=z.vdays,
            weight=len(kept) + len(extra),
            phase=f"{phase} repair day {z.day}",
            initial={v.vday.key: [(leg.id, is_p) for leg, is_p in v.nodes] for v in z.visits},
        )
        for z, kept, extra in jobs
    ]
    out: dict[int, _Leg] = {}
    routed: dict[int, set[int]] = {}
    before = {id(z): z.visits for z, _kept, _extra in jobs}
    for (z, _kept, extra), (visits, dr) in zip(jobs, _solve_many(ctx, specs, budget_s), strict=True):
        z.visits, dr = _unless_failed(z, visits, dr, extra)
        if keep_routed and {leg.id for leg in dr} - {leg.id for leg in extra}:
            z.visits, dr = before[id(z)], list(extra)
        routed[id(z)] = {leg.id for v in z.visits for leg, _ in v.nodes}
        for leg in dr:
            tried[leg.id].add(id(z))
            out[leg.id] = leg
    # a leg offered to several zones and placed in more than one stays in the nearest
    for leg_id, zs in offers.items():
        placed = [z for z in zs if leg_id in routed[id(z)]]
        if placed:
            out.pop(leg_id, None)
        for z in placed[1:]:  # one leg per order in a phase: take the order out
            gone = {originals[leg_id].order.id}
            z.visits = [w for v in z.visits if (w := _without(v, gone)).nodes]
    still.extend(out.values())
    return still


def _reach_s(ctx: _Ctx, leg: _Leg, z: _Zone, cache: dict[int, NDArray[np.int64]]) -> int:
    """Seconds from the zone's nearest routed stops to the leg's pickup and to its drop.

    A leg is offered where its two stops lie closest to stops the zone already serves: that
    is where inserting it costs the least time, whichever day is the least busy.
    """
    net = ctx.nets[leg.profile]
    idx = cache.get(id(z))
    if idx is None:
        sites = {
            net.index[s.id]
            for v in z.visits
            for lg, is_p in v.nodes
            for s in ((lg.pickup,) if is_p else (lg.delivery,))
            if lg.profile is leg.profile and s.id in net.index
        }
        sites.update(net.index[vd.start.site.id] for vd in z.vdays if vd.start.site.id in net.index)
        idx = cache[id(z)] = np.fromiter(sorted(sites), dtype=np.int64)
    if idx.size == 0:
        return ctx.horizon_s
    total = 0
    for s in (leg.pickup, leg.delivery):
        k = net.index[s.id]
        t = np.where(net.reachable[idx, k], net.duration_s[idx, k], ctx.horizon_s)
        total += int(t.min())
    return total


def _visits_cost(ctx: _Ctx, visits: Sequence[_Visit]) -> float:
    """Money plus carbon (cents) of some solved vehicle-days."""
    price = ctx.problem.carbon_price_cents_per_t
    total = 0.0
    for v in visits:
        if v.nodes:
            for r in _route(ctx, v)[0]:
                total += r.cost_cents + r.co2e_g * price / 1e6
    return total


def _consolidate(
    ctx: _Ctx, zones: Mapping[int, list[_Zone]], originals: Mapping[int, _Leg], *, deadline: float, phase: str
) -> None:
    """Improve across days: empty the lightest vehicle-days into other days of their orders' windows.

    For each used vehicle-day, lightest first, its legs are offered to the nearest zone of
    another day of their window that already runs; the move is kept when every leg finds a
    place and money + carbon go down (a vehicle-day's fixed cost saved pays for the detours).
    """
    used = [(z, v) for zs in zones.values() for z in zs for v in z.visits if v.nodes]
    used.sort(key=lambda zv: len(zv[1].nodes))
    log.debug(
        "%s: consolidating %d vehicle-days, %.1f s left", phase, len(used), deadline - time.perf_counter()
    )
    for z, v in used:
        if time.perf_counter() > deadline - 0.3:
            return
        if not v.nodes or not any(w is v for w in z.visits):
            continue
        moving = [leg for leg, is_p in v.nodes if is_p]
        groups: dict[int, tuple[_Zone, list[_Leg]]] = {}
        for leg in moving:
            days = [d for d in originals[leg.id].days if d != z.day and zones.get(d)]
            options = [
                y
                for d in days
                for y in zones[d]
                if any(w.nodes for w in y.visits) and leg.vehicles & {vd.vehicle.id for vd in y.vdays}
            ]
            if not options:
                groups = {}
                break
            y = _nearest_zone(options, leg)
            groups.setdefault(id(y), (y, []))[1].append(replace(leg, days=[y.day]))
        if not groups:
            continue
        before = _visits_cost(ctx, [v]) + sum(_visits_cost(ctx, y.visits) for y, _ in groups.values())
        after = 0.0
        outcome: list[tuple[_Zone, list[_Visit], list[_Leg]]] = []
        for y, moved in groups.values():
            kept = [leg for w in y.visits for leg, is_p in w.nodes if is_p]
            initial = {w.vday.key: [(leg.id, is_p) for leg, is_p in w.nodes] for w in y.visits}
            budget = min(deadline - time.perf_counter(), 0.2 + 0.01 * (len(kept) + len(moved)))
            if budget < 0.2:
                return
            new_visits, dr = _solve(
                ctx, [*kept, *moved], y.vdays, budget, f"{phase} consolidate day {y.day}", initial=initial
            )
            if dr:
                after = math.inf
                break
            after += _visits_cost(ctx, new_visits)
            outcome.append((y, new_visits, moved))
        if after >= before:
            log.debug(
                "%s: keeping %s day %d (%.0f vs %.0f cents)", phase, v.vday.vehicle.id, z.day, after, before
            )
            continue
        log.info("%s: emptied %s day %d into %d other zone(s)", phase, v.vday.vehicle.id, z.day, len(outcome))
        for y, new_visits, moved in outcome:
            y.visits = new_visits
            y.legs.extend(moved)
        z.visits = [w for w in z.visits if w is not v]


def _nearest_s(ctx: _Ctx, legs: Sequence[_Leg]) -> dict[int, int]:
    """Travel time (s) from each leg's drop to the nearest other drop of the same profile."""
    out: dict[int, int] = {}
    by_profile: dict[Profile, list[_Leg]] = defaultdict(list)
    for leg in legs:
        by_profile[leg.profile].append(leg)
    for profile, ls in by_profile.items():
        net = ctx.nets[profile]
        idx = np.array([net.index[leg.delivery.id] for leg in ls], dtype=np.int64)
        for lo in range(0, len(ls), 512):
            rows = idx[lo : lo + 512]
            block = np.where(
                net.reachable[np.ix_(rows, idx)], net.duration_s[np.ix_(rows, idx)], ctx.horizon_s
            )
            block[np.arange(len(rows)), np.arange(lo, lo + len(rows))] = ctx.horizon_s  # not itself
            near = block.min(axis=1) if len(ls) > 1 else np.full(len(rows), 600)
            for k, t in enumerate(near.tolist()):
                out[ls[lo + k].id] = min(int(t), 3600)
    return out


#: Days are pooled up to this fill at least (of the estimated capacity of their vehicle-days) ...
POOL_FILL_FLOOR = 0.35
#: ... or up to this many times the week's mean load when that is higher; then spread.
POOL_FILL_MARGIN = 1.15


def _assign_days(ctx: _Ctx, legs: list[_Leg], vdays: list[_VDay]) -> dict[int, int]:
    """Greedy day choice: tightest windows first; pool near neighbours; respect each day's capacity.

    A day's budget is what its vehicle-days can carry (g, ml, parcels) and work (shift
    seconds), kept at 85 % for routing slack; a leg's work is its service times plus a
    share of the travel to reach it.  Once the week is past pooling, each day window's legs
    go to its days in the shares :func:`balanced_split` computes, so a day few windows reach
    gets the legs that can go there (Porto, 5,000 orders: the first day got 340 van legs
    against ~890 on each other day while the greedy alone decided, and its vans idled; with
    the split 788 against ~800; 120 s plans served 4,638-4,670 orders against 4,550-4,577).
    """
    cap: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for vd in vdays:
        vt = vd.vehicle.type
        c = cap[vd.day]
        c[0] += vt.capacity_g * 0.85
        c[1] += vt.capacity_ml * 0.85
        c[2] += vt.capacity_parcels * 0.85
        c[3] += (vd.window[1] - vd.window[0]) * 0.85
    used: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    cell_count: dict[tuple[int, int, int], int] = defaultdict(int)
    net_cache = ctx.nets

    def cell(site: Site) -> tuple[int, int]:
        # ~1.5 km cells (latitude degrees ≈ 111 km)
        return (math.floor(site.location.lon * 50), math.floor(site.location.lat * 75))

    nearest = _nearest_s(ctx, legs)

    def work(leg: _Leg) -> float:
        # a stop costs its service plus about twice the hop to its nearest fellow stop (on one
        # day only a share of the week's stops are around), plus a share of the pickup run
        net = net_cache[leg.profile]
        hop = net.t(leg.pickup.id, leg.delivery.id) if net.ok(leg.pickup.id, leg.delivery.id) else 0
        return leg.pickup_service_s + leg.delivery_service_s + 2 * nearest[leg.id] + min(hop, 1800) / 4 + 60

    needs = {leg.id: (leg.order.weight_g, leg.order.volume_ml, leg.order.parcels, work(leg)) for leg in legs}
    # Pooling on few days saves vehicle-days while the week is light; the estimate of a stop's
    # work is rough, so a busy week filled day by day to the estimate overloads some days
    # and leaves others idle.  Pool up to a little above the week's mean load, then spread.
    week_load = max(
        (sum(n[i] for n in needs.values()) / total if (total := sum(c[i] for c in cap.values())) else 0.0)
        for i in range(4)
    )
    pool_until = min(1.0, max(POOL_FILL_FLOOR, POOL_FILL_MARGIN * week_load))
    log.debug(
        "day assignment: %d legs, estimated week load %.2f, days pooled up to %.2f",
        len(legs),
        week_load,
        pool_until,
    )
    # past the pooling fill every day must take its share: the windows' legs are split
    # between their days so that none is fuller than it must be (a light week keeps pooling)
    keys = {leg.id: _quota_key(leg, cap) for leg in legs}
    quota = _day_quotas(legs, keys, needs, cap) if pool_until > POOL_FILL_FLOOR else {}
    given: dict[tuple[tuple[int, ...], int], float] = defaultdict(float)
    out: dict[int, int] = {}
    for leg in sorted(legs, key=lambda leg: (len(leg.days), leg.days[0] if leg.days else 0, leg.id)):
        need = needs[leg.id]
        cx, cy = cell(leg.delivery)
        best: tuple[float, int] | None = None
        key = keys[leg.id]
        # the days the balanced split leaves room on for this leg's window (all when none has)
        room = [d for d in key if given[(key, d)] < quota.get((key, d), math.inf)] or leg.days
        for d in room:
            if d not in cap:
                continue
            c, u = cap[d], used[d]
            fill = max((u[i] + need[i]) / c[i] if c[i] else 1.0 for i in range(4))
            neigh = sum(cell_count[(d, cx + dx, cy + dy)] for dx in (-1, 0, 1) for dy in (-1, 0, 1))
            # prefer days below the pooling fill: neighbours first, then the fuller day (fewer,
            # fuller vehicle-days); then days with room, emptiest first; when no day has room,
            # the least overfull one
            if fill > 1.0:
                score = 2e6 + fill * 1e3
            elif fill > pool_until:
                score = 1e6 + fill - min(neigh, 20) * 0.01
            else:
                score = -fill - min(neigh, 20) * 0.1
            if leg.kind is LegKind.TO_HUB and d >= leg.order.latest_day:
                score += 0.5  # leave the bike a day to deliver
            if best is None or score < best[0]:
                best = (score, d)
        day = best[1] if best is not None else (leg.days[0] if leg.days else 0)
        out[leg.id] = day
        given[(key, day)] += need[3]
        for i in range(4):
            used[day][i] += need[i]
        cell_count[(day, cx, cy)] += 1
    return out


def _quota_key(leg: _Leg, cap: Mapping[int, list[float]]) -> tuple[int, ...]:
    """The days a leg's share of the work may go to: its window's days with vehicle-days (a
    run to a hub leaves the bike its window's last day when it has another)."""
    days = tuple(d for d in leg.days if d in cap)
    if leg.kind is LegKind.TO_HUB and len(days) > 1 and days[-1] >= leg.order.latest_day:
        days = days[:-1]
    return days


def _day_quotas(
    legs: Sequence[_Leg],
    keys: Mapping[int, tuple[int, ...]],
    needs: Mapping[int, tuple[float, float, float, float]],
    cap: Mapping[int, list[float]],
) -> dict[tuple[tuple[int, ...], int], float]:
    """How much work (s) of each day window (``keys``: :func:`_quota_key` per leg) should go to
    each of its days (:func:`balanced_split` of the windows' needs)."""
    totals: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for leg in legs:
        key = keys[leg.id]
        if key:
            t = totals[key]
            for i in range(4):
                t[i] += needs[leg.id][i]
    shares = balanced_split(totals, cap)
    return {(key, d): share * totals[key][3] for (key, d), share in shares.items()}


#: Fills at which :func:`balanced_split`'s second aim (every day as little full as it can be)
#: grows steeper: a tenth of the capacity apart, up to three times it.
_FILL_STEPS = tuple(k / 10 for k in range(30))


def balanced_split(
    needs: Mapping[tuple[int, ...], Sequence[float]], capacity: Mapping[int, Sequence[float]]
) -> dict[tuple[tuple[int, ...], int], float]:
    """Share each day window's needs between its days so that no day is fuller than it must be.

    ``needs[days]`` is what the legs open on exactly ``days`` need (one number per resource),
    ``capacity[day]`` what that day's vehicle-days offer (same resources; a resource a day
    lacks is not counted).  Returns the share (0-1) of each window going to each of its days
    (a one-day window keeps it all).  Two linear programmes (scipy's HiGHS, milliseconds for
    a week): the first makes the fullest day's fill (the highest over resources) as low as it
    can be, the second, keeping that, every other day's as well (a convex cost of each day's
    fill, a steeper slope every tenth of its capacity).  Without it the greedy day choice
    gives a scarce day away early: the horizon's first day, which few windows reach, got no
    more of their legs than any other day and idled, while legs that cannot go there crowded
    the rest.
    """
    from scipy.optimize import linprog

    days = sorted(capacity)
    windows = [w for w in needs if len(w) > 1 and all(d in capacity for d in w)]
    out: dict[tuple[tuple[int, ...], int], float] = {
        (w, w[0]): 1.0 for w in needs if len(w) == 1 and w[0] in capacity
    }
    cols = [(w, d) for w in windows for d in w]
    if not cols:
        return out
    cols_of: dict[tuple[int, ...], list[int]] = defaultdict(list)  # each window's share columns
    for j, (w, _d) in enumerate(cols):
        cols_of[w].append(j)
    k = len(_FILL_STEPS)
    n_f, n_x = len(cols), len(cols) + 1 + len(days) * k  # shares, the top fill, excess per day and step
    rows: list[NDArray[np.float64]] = []
    rhs: list[float] = []
    for di, d in enumerate(days):
        fixed = needs.get((d,), ())
        for r, c in enumerate(capacity[d]):
            if c <= 0:
                continue
            fill = np.zeros(n_x)
            for j, (w, dd) in enumerate(cols):
                if dd == d:
                    fill[j] = needs[w][r] / c
            base = (fixed[r] if len(fixed) > r else 0.0) / c
            top = fill.copy()
            top[n_f] = -1.0
            rows.append(top)
            rhs.append(-base)
            for s, step in enumerate(_FILL_STEPS):
                row = fill.copy()
                row[n_f + 1 + di * k + s] = -1.0
                rows.append(row)
                rhs.append(step - base)
    a_eq = np.zeros((len(windows), n_x))
    for i, w in enumerate(windows):
        a_eq[i, cols_of[w]] = 1.0
    a_ub, b_ub, b_eq = np.array(rows), np.array(rhs), np.ones(len(windows))
    cost = np.zeros(n_x)
    cost[n_f] = 1.0  # first the fullest day's fill ...
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=[(0.0, 1.0)] * n_f + [(0.0, None)] * (n_x - n_f),
    )
    if res.status == 0:  # ... then, keeping it, every other day's
        cost[n_f], cost[n_f + 1 :] = 0.0, 1.0
        least = float(res.x[n_f]) * (1 + 1e-9) + 1e-9
        bounds = [(0.0, 1.0)] * n_f + [(0.0, least)] + [(0.0, None)] * (n_x - n_f - 1)
        res = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
    if res.status != 0:  # not seen with non-negative needs: fall back on an even split
        log.warning("day split: the linear programme failed (%s); windows split evenly", res.message)
        return out | {(w, d): 1 / len(w) for w, d in cols}
    x = np.clip(res.x[:n_f], 0.0, 1.0)  # the solver's tolerances may leave a share at -1e-12
    for w, js in cols_of.items():
        total = float(x[js].sum())
        for j in js:
            out[cols[j]] = float(x[j]) / total if total > 0 else 1 / len(w)
    return out


# --------------------------------------------------------------------------- reasons after the solve


def _dropped_reason(
    ctx: _Ctx, leg: _Leg, *, used: frozenset[tuple[str, int, int]] = frozenset()
) -> Unassigned:
    """A leg the search left out although it passed every check alone.

    ``used`` holds the vehicle-days the final plan uses: when one of the leg's vehicle-days
    stayed empty and could serve it alone for less than the drop penalty, the search simply
    did not get to it in time — said as such, not as "not worth it".
    """
    if leg.id in ctx.timed_out:
        return Unassigned(
            order_id=leg.order.id,
            reason=UnassignedReason.SEARCH_TIME,
            detail="the search found no plan for its day within the time limit; allow more time",
        )
    net = ctx.nets[leg.profile]
    pen = _penalty_cents(ctx.params, leg.order)
    penalty = f"{pen} cents"
    if pen != ctx.params.drop_penalty_cents:
        penalty += (
            f" (the configured {ctx.params.drop_penalty_cents} cents less "
            f"{ctx.params.flexible_discount_per_day:.0%} for each of {_other_days(leg.order)} other "
            "days of its window)"
        )
    alone = []
    for vd in ctx.vdays:
        if vd.vehicle.id not in leg.vehicles or vd.day not in leg.days:
            continue
        s, p, d, e = vd.start.site.id, leg.pickup.id, leg.delivery.id, vd.end.site.id
        metres = net.d(s, p) + net.d(p, d) + net.d(d, e)
        vt = vd.vehicle.type
        cost = vt.fixed_cost_cents_per_day + metres * vt.cost_cents_per_km // 1000
        alone.append(cost)
        if (
            used
            and vd.key not in used
            and vd.key not in ctx.locked_keys
            and cost <= pen
            and _alone_fits(ctx, net, leg, vd)
        ):
            return Unassigned(
                order_id=leg.order.id,
                reason=UnassignedReason.SEARCH_TIME,
                detail=(
                    f"vehicle {vd.vehicle.id} stayed unused on day {vd.day} and could serve it alone for about "
                    f"{cost} cents (below its drop penalty of {penalty}): the search ran out of time; "
                    "allow more time"
                ),
            )
    cheapest = min(alone) if alone else 0
    what = "van leg to the hub" if leg.kind is LegKind.TO_HUB else f"{leg.profile.value} leg"
    if cheapest > pen:
        detail = f"{what}: serving it alone costs about {cheapest} cents, above its drop penalty of {penalty}"
    else:
        detail = (
            f"{what}: no room left in the vehicle-days of its window at a cost below its drop penalty "
            f"of {penalty} (alone it would cost about {cheapest} cents)"
        )
    return Unassigned(order_id=leg.order.id, reason=UnassignedReason.NOT_WORTH_IT, detail=detail)


def _hub_drop_times(visits: Sequence[_Visit]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in visits:
        for (leg, is_p), t in zip(v.nodes, v.times, strict=True):
            if not is_p and leg.kind is LegKind.TO_HUB:
                out[leg.order.id] = t + leg.delivery_service_s
    return out


def _without(v: _Visit, orders: set[str]) -> _Visit:
    keep = [i for i, (leg, _) in enumerate(v.nodes) if leg.order.id not in orders]
    return replace(v, nodes=[v.nodes[i] for i in keep], times=[v.times[i] for i in keep])


# --------------------------------------------------------------------------- the plan


def _assemble(
    ctx: _Ctx,
    orders: Mapping[str, Order],
    locked: list[Route],
    visits: list[_Visit],
    unassigned: dict[str, Unassigned],
    strategy: str,
) -> Plan:
    routes: list[Route] = []
    legs: list[OrderLeg] = []
    kinds: dict[str, dict[str, LegKind]] = {}
    for v in visits:
        if not v.nodes:
            continue
        trip_routes, kinds_of = _route(ctx, v)
        routes.extend(trip_routes)
        for r in trip_routes:
            kinds[r.id] = kinds_of
    for r in locked:
        kinds[r.id] = _locked_kinds(r)
    all_routes = [*locked, *routes]
    for r in all_routes:
        legs.extend(_allocate(ctx, r, orders, kinds[r.id]))
    # hub handling: its own element for every order that changed vehicle at a micro-hub
    by_order: dict[str, list[OrderLeg]] = defaultdict(list)
    for leg in legs:
        by_order[leg.order_id].append(leg)
    for oid, ls in by_order.items():
        ks = {leg.kind for leg in ls}
        if LegKind.TO_HUB in ks and LegKind.FROM_HUB in ks:
            bike = next(leg for leg in ls if leg.kind is LegKind.FROM_HUB)
            legs.append(
                OrderLeg(
                    order_id=oid,
                    kind=LegKind.HUB_HANDLING,
                    route_id=None,
                    day=bike.day,
                    footprint=hub_handling_footprint(orders[oid].parcels, table=ctx.factors),
                )
            )
    # an order with a van leg to a hub but no bike leg is not served: report it (locks aside)
    served = {leg.order_id for leg in legs if leg.kind is not LegKind.TO_HUB}
    for oid in {leg.order_id for leg in legs} - served:
        if oid not in unassigned:
            unassigned[oid] = Unassigned(
                order_id=oid,
                reason=UnassignedReason.NOT_WORTH_IT,
                detail="delivered to the hub, no bike leg planned",
            )
    status = ",".join(sorted(set(ctx.statuses))) or "NOTHING_TO_SOLVE"
    # the week's objective, recomputed from the plan itself (milli-cents): the same yardstick
    # whatever the strategy (sub-problem objectives overlap when a zone is solved again)
    price = ctx.problem.carbon_price_cents_per_t
    co2e = sum(r.co2e_g for r in all_routes)
    objective = (
        sum(r.cost_cents for r in all_routes) * _MC
        + co2e * price * _MC // 1_000_000
        + len(unassigned) * ctx.params.drop_penalty_cents * _MC
    )
    stats = SolverStats(
        status=status,
        objective=objective,
        wall_s=round(time.perf_counter() - ctx.t0, 3),
        first_solution_s=None if ctx.first_solution_s is None else round(ctx.first_solution_s, 3),
        solutions=ctx.solutions,
        strategy=f"{strategy}/{ctx.params.solve.first_solution}",
        metaheuristic=ctx.params.solve.metaheuristic,
    )
    all_routes.sort(key=lambda r: (r.day, r.vehicle_id, r.trip))
    return Plan(
        id=ctx.problem.id,
        horizon=ctx.problem.horizon,
        routes=tuple(all_routes),
        legs=tuple(legs),
        unassigned=tuple(sorted(unassigned.values(), key=lambda u: u.order_id)),
        stats=stats,
        carbon_price_cents_per_t=ctx.problem.carbon_price_cents_per_t,
        currency=ctx.problem.currency,
    )


def _locked_kinds(r: Route) -> dict[str, LegKind]:
    out: dict[str, LegKind] = {}
    for s in r.stops:
        for oid in s.order_ids:
            if s.kind is StopKind.HUB_DROP:
                out[oid] = LegKind.TO_HUB
            elif s.kind is StopKind.HUB_LOAD and out.get(oid) is None:
                out[oid] = LegKind.FROM_HUB
            elif s.kind is StopKind.DELIVERY and oid not in out:
                out[oid] = LegKind.DOOR_TO_DOOR
    return out


def _trips(v: _Visit) -> list[list[tuple[_Leg, bool, int]]]:
    """Cut a vehicle-day into trips: a new trip starts when it comes back empty to load at its hub."""
    trips: list[list[tuple[_Leg, bool, int]]] = [[]]
    hub = v.vday.start.site.id
    aboard: set[int] = set()
    for (leg, is_p), t in zip(v.nodes, v.times, strict=True):
        cur = trips[-1]
        reload = is_p and leg.pickup_kind is StopKind.HUB_LOAD and leg.pickup.id == hub
        if reload and cur and not aboard and not (cur[-1][1] and cur[-1][0].pickup.id == hub):
            trips.append([])
        if is_p:
            aboard.add(leg.id)
        else:
            aboard.discard(leg.id)
        trips[-1].append((leg, is_p, t))
    return trips


def _route(ctx: _Ctx, v: _Visit) -> tuple[list[Route], dict[str, LegKind]]:
    """The routes (one per trip) of a solved vehicle-day, with stop times, loads and costs."""
    vd = v.vday
    vt = vd.vehicle.type
    net = ctx.nets[vt.profile]
    kinds: dict[str, LegKind] = {}
    routes: list[Route] = []
    trips = _trips(v)
    t_start = v.start_s
    for k, trip in enumerate(trips):
        last_trip = k == len(trips) - 1
        start_site = vd.start.site
        end_site = vd.end.site if last_trip else vd.start.site
        stops: list[Stop] = [
            Stop(
                kind=StopKind.START,
                site_id=start_site.id,
                location=start_site.location,
                arrival_s=t_start,
                departure_s=t_start,
            )
        ]
        load = [0, 0, 0]
        peak = [0, 0, 0]
        prev = start_site.id
        distance = 0
        for leg, is_p, t in trip:
            o = leg.order
            site = leg.pickup if is_p else leg.delivery
            kind = leg.pickup_kind if is_p else leg.delivery_kind
            serv = leg.pickup_service_s if is_p else leg.delivery_service_s
            sign = 1 if is_p else -1
            for i, q in enumerate((o.weight_g, o.volume_ml, o.parcels)):
                load[i] += sign * q
                peak[i] = max(peak[i], load[i])
            hop_m, hop_s = net.d(prev, site.id), net.t(prev, site.id)
            distance += hop_m
            kinds[o.id] = leg.kind
            win = leg.pickup_windows if is_p else leg.delivery_windows
            if is_p and leg.release_s:
                win = _intersect(win or [(0, ctx.horizon_s)], leg.release_s, ctx.horizon_s)
            w = next(((a, b) for a, b in (win or []) if a <= t <= b), None)
            last = stops[-1]
            # goods loaded or dropped together at a hub make one stop; shops and homes keep
            # one stop per order (each with its own window)
            hub_kind = kind in (StopKind.HUB_LOAD, StopKind.HUB_DROP)
            if hub_kind and hop_m == 0 and last.site_id == site.id and last.kind is kind:
                stops[-1] = replace(
                    last,
                    order_ids=(*last.order_ids, o.id),
                    departure_s=max(last.departure_s, t + serv),
                    load_g=load[0],
                    load_ml=load[1],
                    load_parcels=load[2],
                )
            else:
                stops.append(
                    Stop(
                        kind=kind,
                        site_id=site.id,
                        location=site.location,
                        arrival_s=t,
                        departure_s=t + serv,
                        order_ids=(o.id,),
                        window_start_s=None if w is None else w[0],
                        window_end_s=None if w is None else w[1],
                        load_g=load[0],
                        load_ml=load[1],
                        load_parcels=load[2],
                        distance_from_prev_m=hop_m,
                        duration_from_prev_s=hop_s,
                    )
                )
            prev = site.id
        hop_m, hop_s = net.d(prev, end_site.id), net.t(prev, end_site.id)
        distance += hop_m
        end_s = stops[-1].departure_s + hop_s
        if last_trip:
            end_s = max(v.end_s, end_s)
        stops.append(
            Stop(
                kind=StopKind.END,
                site_id=end_site.id,
                location=end_site.location,
                arrival_s=end_s,
                departure_s=end_s,
                distance_from_prev_m=hop_m,
                duration_from_prev_s=hop_s,
            )
        )
        duration = end_s - t_start
        cost = (
            (vt.fixed_cost_cents_per_day if k == 0 else 0)
            + round(distance * vt.cost_cents_per_km / 1000)
            + round(duration * vt.cost_cents_per_hour / 3600)
        )
        caps = (vt.capacity_g, vt.capacity_ml, vt.capacity_parcels)
        fill = max(round(100 * p / c) for p, c in zip(peak, caps, strict=True))
        routes.append(
            Route(
                id=f"{vd.vehicle.id}-d{vd.day}-t{k}",
                vehicle_id=vd.vehicle.id,
                profile=vt.profile,
                day=vd.day,
                stops=tuple(stops),
                distance_m=distance,
                duration_s=duration,
                cost_cents=cost,
                footprint=route_footprint(distance, ctx.vfactor[vt.id]),
                trip=k,
                fill_rate_pct=fill,
            )
        )
        # the next trip leaves once the bike has reloaded (the solver's next hub-load time)
        t_start = end_s
    return routes, kinds


def _allocate(
    ctx: _Ctx, r: Route, orders: Mapping[str, Order], kinds: Mapping[str, LegKind]
) -> list[OrderLeg]:
    """GLEC allocation of a route's emissions (and cost) to the orders it drops."""
    vehicle = next(v for v in ctx.problem.vehicles if v.id == r.vehicle_id)
    vt = vehicle.type
    net = ctx.nets.get(vt.profile)
    start = r.stops[0].site_id if r.stops else ""
    drops: list[tuple[str, str]] = []  # (order id, drop site id)
    for s in r.stops:
        if s.kind in (StopKind.DELIVERY, StopKind.HUB_DROP):
            drops.extend((oid, s.site_id) for oid in s.order_ids)
    if not drops:
        return []
    peak_g = max((s.load_g for s in r.stops), default=0)
    peak_ml = max((s.load_ml for s in r.stops), default=0)
    by_volume = volume_binds(
        peak_g=peak_g, peak_ml=peak_ml, capacity_g=vt.capacity_g, capacity_ml=vt.capacity_ml
    )
    shipments = []
    for oid, site in drops:
        o = orders[oid]
        sfd = 0
        if net is not None and start in net.index and site in net.index and net.ok(start, site):
            sfd = net.d(start, site)
        shipments.append(
            Shipment(
                order_id=oid,
                kind=kinds.get(oid, LegKind.DOOR_TO_DOOR),
                weight_g=o.weight_g,
                volume_ml=o.volume_ml,
                sfd_m=sfd,
            )
        )
    fps = allocate_route(r.footprint, shipments, by_volume=by_volume)
    weights = [max(s.volume_ml if by_volume else s.weight_g, 0) * max(s.sfd_m, 0) for s in shipments]
    if sum(weights) == 0:
        weights = [max(s.volume_ml if by_volume else s.weight_g, 0) for s in shipments]
    costs = allocate_largest_remainder(r.cost_cents, weights)
    return [
        OrderLeg(
            order_id=s.order_id,
            kind=s.kind,
            route_id=r.id,
            day=r.day,
            footprint=fp,
            cost_cents=c,
            allocation_distance_m=s.sfd_m,
        )
        for s, fp, c in zip(shipments, fps, costs, strict=True)
    ]
