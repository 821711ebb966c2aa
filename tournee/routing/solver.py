"""The one module that imports OR-Tools: a generic matrix-based routing model.

INTERFACE PINNED BY THE FOUNDATION COMMIT — the benchmark suite and the week planner call
``solve_matrix_problem``.

Everything is integers: travel matrices in metres and seconds per *profile*, costs
in integer cost units chosen by the caller (the week planner uses milli-cents), demands
per capacity dimension.  Vehicles index into the profile matrices, so a van and a cargo
bike in one model each use their own network.

The model is built in the order of the OR-Tools routing samples, one private helper per
step: index manager, transit matrices, arc costs, time dimension, vehicle and node
windows, capacity dimensions, pickups and deliveries, allowed vehicles, drop penalties,
vehicle costs, trip chains, locks, search parameters, solve, extraction.

Search (defaults measured on Solomon, Homberger and Li & Lim against PyVRP, see
``SolveParams``): OR-Tools gets the first half of the time limit — on problems of at most
300 stops three constructions (parallel cheapest insertion, savings, cost-aware insertion)
each get a greedy descent in 30 % of it, then guided local search (penalty coefficient 3)
continues from the best one —, and Tournée's own ruin and recreate
(:mod:`tournee.routing.recreate`) the second half, from OR-Tools' routes; OR-Tools re-checks
and prices what it finds.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from google.protobuf import text_format  # type: ignore[import-untyped]
from numpy.typing import NDArray
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from tournee.domain.errors import Infeasible, InvalidInput
from tournee.routing import recreate

__all__ = [
    "MatrixProblem",
    "MatrixSolution",
    "SolveParams",
    "SolveProgress",
    "ruin_recreate_instance",
    "solve_matrix_problem",
]

log = logging.getLogger(__name__)

IntMatrix = NDArray[np.int64]

_FIRST_SOLUTIONS = frozenset(routing_enums_pb2.FirstSolutionStrategy.Value.keys())
_METAHEURISTICS = frozenset(routing_enums_pb2.LocalSearchMetaheuristic.Value.keys())
_OPERATORS = frozenset(
    f.name for f in pywrapcp.DefaultRoutingSearchParameters().local_search_operators.DESCRIPTOR.fields
)
_MAX_VALUE = 2**53  # keeps every sum OR-Tools forms far from int64 overflow


@dataclass(frozen=True, slots=True, kw_only=True)
class SolveParams:
    """Search controls (loadable from TOML by the CLI).

    Attributes
    ----------
    time_limit_s : float
        Wall-clock limit of the search, seconds (> 0).
    first_solution : str
        Name of an OR-Tools ``FirstSolutionStrategy`` (e.g. ``"SAVINGS"``).
    metaheuristic : str
        Name of an OR-Tools ``LocalSearchMetaheuristic`` (e.g. ``"GUIDED_LOCAL_SEARCH"``).
    seed : int
        Kept for reproducibility records; the single-threaded OR-Tools routing search is
        deterministic and takes no seed.
    log_search : bool
        Print OR-Tools' own search log.
    solution_limit : int or None
        Stop after this many accepted solutions.
    use_iterated_local_search : bool
        Wrap the local search in OR-Tools' iterated local search (ruin and recreate).
    guided_local_search_lambda : float or None
        GLS penalty coefficient (``None`` = OR-Tools' 0.1).  3.0 left local optima that
        0.1 stays in (Solomon R201 at 10 s: 1221.5 → 1182.5; 0.1 and 0.3 gave 1221.5).
    progress_interval_s : float
        Minimum seconds between two progress reports (improvements are still tracked).
    extra_first_solutions : tuple of str
        More first-solution strategies to try: each of ``first_solution`` and these gets a
        greedy descent within ``portfolio_share × time_limit_s / count`` seconds, and the
        metaheuristic then starts from the best local optimum for the remaining time.
        Ignored with ``initial_routes`` (the warm start is the start), a ``solution_limit``
        or ``use_iterated_local_search`` (which perturbs its own first solution).
        The default adds savings and cost-aware local insertion to parallel insertion:
        on Li & Lim (12 instances, 10 s) the cost-aware start lowered the mean distance
        ratio to PyVRP from 1.0265 to 1.0187 (lr101 and lr102 now match PyVRP, lr202
        1.094 → 1.043), and left Solomon (1.0107 → 1.0110) and Homberger 200 (1.0351 → 1.0343)
        within their run-to-run variation.
    portfolio_share : float
        Share of the time limit given to those constructions and descents, in (0, 1).
    portfolio_max_stops, portfolio_min_time_s : int, float
        Only problems with at most this many stops, solved with at least this time limit
        (s), use the portfolio: otherwise one construction may need most of the time.
    ils_removed_visits : int
        Iterated local search only: average number of visits a SISR ruin removes (string
        removals, as in PyVRP and SISR).
    ils_automatic_temperatures : bool
        Iterated local search only: let OR-Tools scale the simulated-annealing acceptance
        temperatures to the costs (the fixed defaults assume costs of a few units).
    ruin_recreate_share : float
        Share of the time limit, in [0, 1), given to Tournée's own ruin and recreate
        (:mod:`tournee.routing.recreate`) after OR-Tools' search: it re-inserts dropped orders
        and moves orders between routes without OR-Tools' full neighbourhood scans, and its
        routes go back to OR-Tools, which checks them and prices them, so they replace
        OR-Tools' only when feasible and cheaper.  0 leaves it out; so do problems with
        several windows on a stop, trip chains or more than 2,000 nodes (OR-Tools then has
        the whole time limit).  The default, 0.5, measured at 10 s against PyVRP (mean
        distance ratio, ``docs/benchmarks-solver.md``): Solomon (all 56) 1.0228 → 1.0041,
        Homberger 200 (12) 1.0343 → 1.0116 (0.8 of the time: worse), Li & Lim (12)
        1.0187 → 0.9992; with route elimination (below) 1.0034, 1.0079 and 0.9983.
    ruin_max_removed : int
        Ruin and recreate only: at most this many orders (uniformly 1..this) removed around
        one stop per iteration.
    route_elimination_share : float
        Ruin and recreate only: share of its time, in [0, 1), spent at the end trying to
        serve the same orders with one route fewer (:func:`recreate.eliminate_route`), kept
        when cheaper.  Ruin and recreate alone never empties a long route (Li & Lim lr202
        ended with 3 or 4 vehicles from the same start; Homberger c2 1.016 → 1.001).
        When ruin and recreate still leaves orders out, or runs a single route, no route
        can go: that time goes to more ruin and recreate (a full week's sectors).  The
        opposite move needs no time share: before and after ruin and recreate a route is
        cut in two onto an unused vehicle when that costs less
        (:func:`recreate.split_routes`; a per-second cost on the span makes one vehicle on a
        morning and an evening round pay for the hours between them).
    search_overrides : str
        Any other OR-Tools ``RoutingSearchParameters`` fields, in protobuf text format
        (``"guided_local_search_reset_penalties_on_new_best_solution: true"``), merged last.
    operators : mapping of str to bool, optional
        Switch OR-Tools local-search operators on or off by name (``"or_opt"``,
        ``"cross_exchange"`` …, the ``use_*`` fields of ``LocalSearchNeighborhoodOperators``
        without the prefix).
    """

    time_limit_s: float = 10.0
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    seed: int = 0
    log_search: bool = False
    solution_limit: int | None = None
    use_iterated_local_search: bool = False
    guided_local_search_lambda: float | None = 3.0
    progress_interval_s: float = 0.5
    operators: Mapping[str, bool] | None = None
    extra_first_solutions: tuple[str, ...] = ("SAVINGS", "LOCAL_CHEAPEST_COST_INSERTION")
    portfolio_share: float = 0.3
    portfolio_max_stops: int = 300
    portfolio_min_time_s: float = 2.0
    ils_removed_visits: int = 10
    ils_automatic_temperatures: bool = True
    ruin_recreate_share: float = 0.5
    ruin_max_removed: int = 10
    route_elimination_share: float = 0.25
    search_overrides: str = ""

    def __post_init__(self) -> None:
        if not self.time_limit_s > 0:
            raise InvalidInput(
                f"solve params: time_limit_s must be > 0, got {self.time_limit_s!r}", pointer="/time_limit_s"
            )
        if self.first_solution not in _FIRST_SOLUTIONS:
            raise InvalidInput(
                f"solve params: first_solution must be one of {sorted(_FIRST_SOLUTIONS)}, "
                f"got {self.first_solution!r}",
                pointer="/first_solution",
            )
        if self.metaheuristic not in _METAHEURISTICS:
            raise InvalidInput(
                f"solve params: metaheuristic must be one of {sorted(_METAHEURISTICS)}, "
                f"got {self.metaheuristic!r}",
                pointer="/metaheuristic",
            )
        for k, name in enumerate(self.extra_first_solutions):
            if name not in _FIRST_SOLUTIONS:
                raise InvalidInput(
                    f"solve params: extra_first_solutions[{k}] must be one of {sorted(_FIRST_SOLUTIONS)}, "
                    f"got {name!r}",
                    pointer=f"/extra_first_solutions/{k}",
                )
        if not 0 < self.portfolio_share < 1:
            raise InvalidInput(
                f"solve params: portfolio_share must be within (0, 1), got {self.portfolio_share!r}",
                pointer="/portfolio_share",
            )
        if not 0 <= self.ruin_recreate_share < 1:
            raise InvalidInput(
                f"solve params: ruin_recreate_share must be within [0, 1), got {self.ruin_recreate_share!r}",
                pointer="/ruin_recreate_share",
            )
        if not 0 <= self.route_elimination_share < 1:
            raise InvalidInput(
                "solve params: route_elimination_share must be within [0, 1), "
                f"got {self.route_elimination_share!r}",
                pointer="/route_elimination_share",
            )
        if self.ruin_max_removed < 1:
            raise InvalidInput(
                f"solve params: ruin_max_removed must be >= 1, got {self.ruin_max_removed!r}",
                pointer="/ruin_max_removed",
            )
        if self.portfolio_max_stops < 0:
            raise InvalidInput(
                f"solve params: portfolio_max_stops must be >= 0, got {self.portfolio_max_stops!r}",
                pointer="/portfolio_max_stops",
            )
        if self.solution_limit is not None and self.solution_limit < 1:
            raise InvalidInput(
                f"solve params: solution_limit must be >= 1, got {self.solution_limit!r}",
                pointer="/solution_limit",
            )
        for name in self.operators or {}:
            if f"use_{name}" not in _OPERATORS:
                raise InvalidInput(
                    f"solve params: operators has no operator {name!r} (known: {sorted(o[4:] for o in _OPERATORS)})",
                    pointer=f"/operators/{name}",
                )
        if self.search_overrides:
            try:
                text_format.Merge(self.search_overrides, pywrapcp.DefaultRoutingSearchParameters())
            except text_format.ParseError as exc:
                raise InvalidInput(
                    f"solve params: search_overrides is not RoutingSearchParameters text: {exc}",
                    pointer="/search_overrides",
                ) from exc
        if self.progress_interval_s < 0:
            raise InvalidInput(
                f"solve params: progress_interval_s must be >= 0, got {self.progress_interval_s!r}",
                pointer="/progress_interval_s",
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class SolveProgress:
    """Reported to the progress callback as the search improves."""

    elapsed_s: float
    best_objective: int
    solutions: int
    phase: str = "search"


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class MatrixProblem:
    """A rich VRP over explicit matrices (VRPTW, PDPTW, multi-profile, optional nodes).

    Node 0 is the default depot.  Per-node sequences have one entry per node; per-vehicle
    sequences one entry per vehicle.  ``None`` means "no constraint / defaults".

    Nodes that are some vehicle's start or end are depots: they are never visited as
    stops, and per-node drop penalties or allowed vehicles on them are ignored (their
    time windows apply to the route starts and ends there).  Every other node is a stop:
    visited exactly once, or dropped when it has a drop penalty.

    ``demands[d][node]`` is what visiting ``node`` adds to the load of dimension ``d``
    (the cumulated value must stay within ``[0, capacity]`` and starts at 0): positive at
    a pickup, negative at its delivery, or positive at every stop for goods loaded at the
    depot (then the cumul counts what has been delivered so far).

    Time is absolute; a node's cumul is the time its service starts; the transit of an
    arc is travel time plus the service time of its origin.  A pickup-and-delivery pair
    with a drop penalty on either node is dropped as a whole, at the sum of its penalties.
    ``trip_chains`` entries ``(vehicles, reload_s)`` make each vehicle of the list start
    at least ``reload_s`` after the previous one ended (several trips of one bike).
    """

    distance_m: Sequence[IntMatrix]  # one n×n matrix per profile
    duration_s: Sequence[IntMatrix]  # one n×n matrix per profile (travel only)
    num_vehicles: int
    arc_cost: Sequence[IntMatrix] | None = None  # per profile; default = distance
    vehicle_profile: Sequence[int] | None = None  # index into the matrices, default 0
    vehicle_start: Sequence[int] | None = None  # default depot 0
    vehicle_end: Sequence[int] | None = None  # default depot 0
    vehicle_window: Sequence[tuple[int, int]] | None = None  # (earliest start, latest end)
    vehicle_fixed_cost: Sequence[int] | None = None
    vehicle_cost_per_s: Sequence[int] | None = None  # cost units per second of route span
    capacities: Sequence[Sequence[int]] = ()  # [dimension][vehicle]
    demands: Sequence[Sequence[int]] = ()  # [dimension][node], signed for pickup/delivery
    time_windows: Sequence[Sequence[tuple[int, int]] | None] | None = None  # [node] → intervals
    service_s: Sequence[int] | None = None  # [node]
    pickups_deliveries: Sequence[tuple[int, int]] = ()
    allowed_vehicles: Sequence[Sequence[int] | None] | None = None  # [node]
    drop_penalty: Sequence[int | None] | None = None  # [node]; None = mandatory
    horizon_s: int = 10**9
    trip_chains: Sequence[tuple[Sequence[int], int]] = ()  # (vehicles in order, reload_s)
    initial_routes: Sequence[Sequence[int]] | None = None  # warm start, per vehicle
    locked_vehicles: Sequence[int] = field(default=())  # keep their initial route as is


@dataclass(frozen=True, slots=True, kw_only=True)
class MatrixSolution:
    """Routes per vehicle (visited nodes, depot excluded), their arrival times, and dropped nodes."""

    routes: tuple[tuple[int, ...], ...]
    arrival_s: tuple[tuple[int, ...], ...]
    start_s: tuple[int, ...]
    end_s: tuple[int, ...]
    dropped: tuple[int, ...]
    objective: int
    status: str
    wall_s: float
    first_solution_s: float | None
    solutions: int


# --------------------------------------------------------------------------- validation


@dataclass(slots=True, kw_only=True)
class _Data:
    """The problem after validation: numpy matrices and plain lists, defaults filled in."""

    n: int
    num_vehicles: int
    duration: list[IntMatrix]
    cost: list[IntMatrix]
    profile: list[int]
    start: list[int]
    end: list[int]
    vehicle_window: list[tuple[int, int]] | None
    fixed_cost: list[int] | None
    cost_per_s: list[int] | None
    capacities: list[list[int]]
    demands: list[list[int]]
    windows: list[list[tuple[int, int]] | None]
    service: list[int]
    pairs: list[tuple[int, int]]
    allowed: list[list[int] | None]
    penalty: list[int | None]
    horizon: int
    chains: list[tuple[list[int], int]]
    initial_routes: list[list[int]] | None
    locked: list[int]
    depots: frozenset[int]
    stops: list[int]


def _bad(field_name: str, problem: str, value: Any) -> InvalidInput:
    pointer = "/" + field_name.replace("[", "/").replace("]", "")
    return InvalidInput(f"matrix problem: {field_name} {problem}, got {value!r}", pointer=pointer)


def _int(field_name: str, value: Any, *, lo: int | None = 0, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise _bad(field_name, "must be an integer", value)
    number = int(value)
    if lo is not None and number < lo:
        raise _bad(field_name, f"must be >= {lo}", number)
    if hi is not None and number > hi:
        raise _bad(field_name, f"must be <= {hi}", number)
    return number


def _seq(field_name: str, value: Any, length: int | None) -> list[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise _bad(field_name, "must be a sequence", type(value).__name__)
    items = list(value)
    if length is not None and len(items) != length:
        raise _bad(field_name, f"must have {length} entries", len(items))
    return items


def _matrices(field_name: str, value: Any, n: int | None) -> list[IntMatrix]:
    out: list[IntMatrix] = []
    for p, raw in enumerate(_seq(field_name, value, None)):
        name = f"{field_name}[{p}]"
        arr = np.asarray(raw)
        if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
            raise _bad(name, "must be a square matrix", arr.shape)
        if n is not None and arr.shape[0] != n:
            raise _bad(name, f"must be {n}×{n} like {field_name.split('[')[0]}[0]", arr.shape)
        n = arr.shape[0]
        if arr.dtype.kind not in "iu":
            raise _bad(name, "must hold integers", str(arr.dtype))
        arr = arr.astype(np.int64)
        if arr.size and int(arr.min()) < 0:
            i, j = np.unravel_index(int(arr.argmin()), arr.shape)
            raise _bad(f"{name}[{i}][{j}]", "must be >= 0", int(arr[i, j]))
        if arr.size and int(arr.max()) > _MAX_VALUE:
            raise _bad(name, f"must hold values <= {_MAX_VALUE}", int(arr.max()))
        out.append(arr)
    return out


def _per_vehicle(field_name: str, value: Any, v: int, default: int, *, hi: int | None = None) -> list[int]:
    if value is None:
        return [default] * v
    return [_int(f"{field_name}[{k}]", x, hi=hi) for k, x in enumerate(_seq(field_name, value, v))]


def _interval(field_name: str, value: Any, horizon: int) -> tuple[int, int]:
    pair = _seq(field_name, value, 2)
    lo = _int(f"{field_name}[0]", pair[0], hi=horizon)
    hi = _int(f"{field_name}[1]", pair[1], hi=horizon)
    if hi < lo:
        raise _bad(field_name, "must end at or after its start", (lo, hi))
    return lo, hi


def _validate(problem: MatrixProblem) -> _Data:
    v = _int("num_vehicles", problem.num_vehicles, lo=1)
    horizon = _int("horizon_s", problem.horizon_s, lo=1, hi=_MAX_VALUE)
    distance = _matrices("distance_m", problem.distance_m, None)
    if not distance:
        raise _bad("distance_m", "must hold at least one profile matrix", 0)
    n = int(distance[0].shape[0])
    if n < 1:
        raise _bad("distance_m[0]", "must have at least one node (the depot)", n)
    duration = _matrices("duration_s", problem.duration_s, n)
    if len(duration) != len(distance):
        raise _bad("duration_s", f"must have one matrix per profile ({len(distance)})", len(duration))
    cost = distance if problem.arc_cost is None else _matrices("arc_cost", problem.arc_cost, n)
    if len(cost) != len(distance):
        raise _bad("arc_cost", f"must have one matrix per profile ({len(distance)})", len(cost))
    profile = _per_vehicle("vehicle_profile", problem.vehicle_profile, v, 0, hi=len(distance) - 1)
    start = _per_vehicle("vehicle_start", problem.vehicle_start, v, 0, hi=n - 1)
    end = _per_vehicle("vehicle_end", problem.vehicle_end, v, 0, hi=n - 1)
    depots = frozenset(start) | frozenset(end)
    vehicle_window = None
    if problem.vehicle_window is not None:
        vehicle_window = [
            _interval(f"vehicle_window[{k}]", w, horizon)
            for k, w in enumerate(_seq("vehicle_window", problem.vehicle_window, v))
        ]
    fixed_cost = None
    if problem.vehicle_fixed_cost is not None:
        fixed_cost = _per_vehicle("vehicle_fixed_cost", problem.vehicle_fixed_cost, v, 0, hi=_MAX_VALUE)
    cost_per_s = None
    if problem.vehicle_cost_per_s is not None:
        cost_per_s = _per_vehicle("vehicle_cost_per_s", problem.vehicle_cost_per_s, v, 0, hi=_MAX_VALUE)

    capacities = [
        _per_vehicle(f"capacities[{d}]", caps, v, 0, hi=_MAX_VALUE)
        for d, caps in enumerate(_seq("capacities", problem.capacities, None))
    ]
    raw_demands = _seq("demands", problem.demands, len(capacities))
    demands = [
        [
            _int(f"demands[{d}][{i}]", x, lo=-_MAX_VALUE, hi=_MAX_VALUE)
            for i, x in enumerate(_seq(f"demands[{d}]", row, n))
        ]
        for d, row in enumerate(raw_demands)
    ]

    windows: list[list[tuple[int, int]] | None] = [None] * n
    if problem.time_windows is not None:
        for i, tw in enumerate(_seq("time_windows", problem.time_windows, n)):
            if tw is None:
                continue
            items = _seq(f"time_windows[{i}]", tw, None)
            if not items:
                raise _bad(f"time_windows[{i}]", "must hold at least one interval (or be None)", [])
            intervals = sorted(_interval(f"time_windows[{i}][{k}]", w, horizon) for k, w in enumerate(items))
            merged = [intervals[0]]
            for lo, hi in intervals[1:]:
                if lo <= merged[-1][1] + 1:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
                else:
                    merged.append((lo, hi))
            windows[i] = merged
    service = _per_vehicle("service_s", problem.service_s, n, 0, hi=horizon)

    pairs: list[tuple[int, int]] = []
    paired: dict[int, int] = {}
    for k, pd in enumerate(_seq("pickups_deliveries", problem.pickups_deliveries, None)):
        p, d = (
            _int(f"pickups_deliveries[{k}][{j}]", x, hi=n - 1)
            for j, x in enumerate(_seq(f"pickups_deliveries[{k}]", pd, 2))
        )
        if p == d:
            raise _bad(f"pickups_deliveries[{k}]", "must join two different nodes", (p, d))
        for j, node in enumerate((p, d)):
            if node in depots:
                raise _bad(f"pickups_deliveries[{k}][{j}]", "must not be a vehicle start or end node", node)
            if node in paired:
                raise _bad(f"pickups_deliveries[{k}][{j}]", f"node already in pair {paired[node]}", node)
            paired[node] = k
        pairs.append((p, d))

    allowed: list[list[int] | None] = [None] * n
    if problem.allowed_vehicles is not None:
        for i, av in enumerate(_seq("allowed_vehicles", problem.allowed_vehicles, n)):
            if av is not None:
                allowed[i] = sorted(
                    {
                        _int(f"allowed_vehicles[{i}][{k}]", x, hi=v - 1)
                        for k, x in enumerate(_seq(f"allowed_vehicles[{i}]", av, None))
                    }
                )
    penalty: list[int | None] = [None] * n
    if problem.drop_penalty is not None:
        penalty = [
            None if x is None else _int(f"drop_penalty[{i}]", x, hi=_MAX_VALUE)
            for i, x in enumerate(_seq("drop_penalty", problem.drop_penalty, n))
        ]

    chains: list[tuple[list[int], int]] = []
    chained: set[int] = set()
    for c, chain in enumerate(_seq("trip_chains", problem.trip_chains, None)):
        vehicles_raw, reload_raw = _seq(f"trip_chains[{c}]", chain, 2)
        vehicles = [
            _int(f"trip_chains[{c}][0][{k}]", x, hi=v - 1)
            for k, x in enumerate(_seq(f"trip_chains[{c}][0]", vehicles_raw, None))
        ]
        for k, x in enumerate(vehicles):
            if x in chained:
                raise _bad(f"trip_chains[{c}][0][{k}]", "vehicle already belongs to a trip chain", x)
            chained.add(x)
        chains.append((vehicles, _int(f"trip_chains[{c}][1]", reload_raw, hi=horizon)))

    initial_routes = None
    if problem.initial_routes is not None:
        initial_routes = []
        seen: dict[int, int] = {}
        for r, route in enumerate(_seq("initial_routes", problem.initial_routes, v)):
            nodes = [
                _int(f"initial_routes[{r}][{k}]", x, hi=n - 1)
                for k, x in enumerate(_seq(f"initial_routes[{r}]", route, None))
            ]
            for k, node in enumerate(nodes):
                if node in depots:
                    raise _bad(f"initial_routes[{r}][{k}]", "must not be a vehicle start or end node", node)
                if node in seen:
                    raise _bad(f"initial_routes[{r}][{k}]", f"node already on route {seen[node]}", node)
                seen[node] = r
            initial_routes.append(nodes)
    locked = sorted(
        {
            _int(f"locked_vehicles[{k}]", x, hi=v - 1)
            for k, x in enumerate(_seq("locked_vehicles", problem.locked_vehicles, None))
        }
    )
    if locked and initial_routes is None:
        raise _bad("locked_vehicles", "needs initial_routes (the routes to keep)", locked)

    stops = [i for i in range(n) if i not in depots]
    return _Data(
        n=n,
        num_vehicles=v,
        duration=duration,
        cost=cost,
        profile=profile,
        start=start,
        end=end,
        vehicle_window=vehicle_window,
        fixed_cost=fixed_cost,
        cost_per_s=cost_per_s,
        capacities=capacities,
        demands=demands,
        windows=windows,
        service=service,
        pairs=pairs,
        allowed=allowed,
        penalty=penalty,
        horizon=horizon,
        chains=chains,
        initial_routes=initial_routes,
        locked=locked,
        depots=depots,
        stops=stops,
    )


# --------------------------------------------------------------------------- model steps


def _index_manager(data: _Data) -> Any:
    return pywrapcp.RoutingIndexManager(data.n, data.num_vehicles, data.start, data.end)


def _register_matrices(routing: Any, data: _Data) -> tuple[list[int], list[int]]:
    """One time evaluator (travel + service at the origin) and one cost evaluator per profile."""
    service = np.asarray(data.service, dtype=np.int64)[:, None]
    used = sorted(set(data.profile))
    time_cbs = [-1] * len(data.duration)
    cost_cbs = [-1] * len(data.cost)
    for p in used:
        time_cbs[p] = routing.RegisterTransitMatrix((data.duration[p] + service).tolist())
        cost_cbs[p] = routing.RegisterTransitMatrix(data.cost[p].tolist())
    return time_cbs, cost_cbs


def _set_arc_costs(routing: Any, data: _Data, cost_cbs: list[int]) -> None:
    if len(set(data.profile)) == 1:
        routing.SetArcCostEvaluatorOfAllVehicles(cost_cbs[data.profile[0]])
        return
    for v, p in enumerate(data.profile):
        routing.SetArcCostEvaluatorOfVehicle(cost_cbs[p], v)


def _add_time_dimension(routing: Any, data: _Data, time_cbs: list[int]) -> Any:
    routing.AddDimensionWithVehicleTransits(
        [time_cbs[p] for p in data.profile],
        data.horizon,  # waiting allowed anywhere up to the horizon
        data.horizon,  # cumul = absolute time
        False,  # routes may start later than 0
        "Time",
    )
    return routing.GetDimensionOrDie("Time")


def _restrict_cumul(var: Any, intervals: Sequence[tuple[int, int]]) -> None:
    var.SetRange(intervals[0][0], intervals[-1][1])
    for (_, prev_hi), (next_lo, _) in itertools.pairwise(intervals):
        var.RemoveInterval(prev_hi + 1, next_lo - 1)  # the gap between two windows


def _set_vehicle_windows(routing: Any, data: _Data, time_dim: Any) -> None:
    for v in range(data.num_vehicles):
        start_var = time_dim.CumulVar(routing.Start(v))
        end_var = time_dim.CumulVar(routing.End(v))
        if data.vehicle_window is not None:
            lo, hi = data.vehicle_window[v]
            start_var.SetRange(lo, hi)
            end_var.SetRange(lo, hi)
        if (w := data.windows[data.start[v]]) is not None:
            _restrict_cumul(start_var, w)
        if (w := data.windows[data.end[v]]) is not None:
            _restrict_cumul(end_var, w)
        # Report tight schedules: come back as early as possible, then leave as late as
        # that return allows (no idle wait at the first stop).
        routing.AddVariableMinimizedByFinalizer(end_var)
        routing.AddVariableMaximizedByFinalizer(start_var)


def _set_node_windows(manager: Any, data: _Data, time_dim: Any) -> None:
    for node in data.stops:
        if (w := data.windows[node]) is not None:
            _restrict_cumul(time_dim.CumulVar(manager.NodeToIndex(node)), w)


def _add_capacities(routing: Any, data: _Data) -> None:
    for d, (caps, demand) in enumerate(zip(data.capacities, data.demands, strict=True)):
        if not any(demand):
            continue
        cb = routing.RegisterUnaryTransitVector(demand)
        routing.AddDimensionWithVehicleCapacity(
            cb,
            0,  # no slack: the load changes only at stops
            caps,
            True,  # every route leaves empty
            f"Capacity{d}",
        )


def _add_pickups_deliveries(routing: Any, manager: Any, time_dim: Any, data: _Data) -> None:
    solver = routing.solver()
    for p, d in data.pairs:
        pi, di = manager.NodeToIndex(p), manager.NodeToIndex(d)
        routing.AddPickupAndDelivery(pi, di)
        solver.Add(routing.VehicleVar(pi) == routing.VehicleVar(di))
        if data.penalty[p] is None and data.penalty[d] is None:
            # Only for pairs that must be served: on a droppable pair it would hold even when
            # the pair is dropped and make a pair with crossed windows infeasible instead of
            # dropped (the route order already puts the pickup first, transits being >= 0).
            solver.Add(time_dim.CumulVar(pi) <= time_dim.CumulVar(di))


def _restrict_vehicles(routing: Any, manager: Any, data: _Data) -> None:
    # SetAllowedVehiclesForIndex rejects every Python argument in the 9.15 wheel; restrict
    # the vehicle variable instead (-1 = unperformed, kept so droppable nodes stay droppable).
    for node in data.stops:
        if (allowed := data.allowed[node]) is not None:
            routing.VehicleVar(manager.NodeToIndex(node)).SetValues([-1, *allowed])


def _add_drop_penalties(routing: Any, manager: Any, data: _Data) -> None:
    partner = dict(data.pairs) | {d: p for p, d in data.pairs}
    solver = routing.solver()
    for node in data.stops:
        other = partner.get(node)
        own = data.penalty[node]
        if other is None:
            if own is not None:
                routing.AddDisjunction([manager.NodeToIndex(node)], own)
            continue
        if own is None and data.penalty[other] is None:
            continue
        routing.AddDisjunction([manager.NodeToIndex(node)], own or 0)
        if node < other:  # the pair is performed or dropped as a whole
            solver.Add(
                routing.ActiveVar(manager.NodeToIndex(node)) == routing.ActiveVar(manager.NodeToIndex(other))
            )


def _set_vehicle_costs(routing: Any, data: _Data, time_dim: Any) -> None:
    for v in range(data.num_vehicles):
        if data.fixed_cost is not None and data.fixed_cost[v]:
            routing.SetFixedCostOfVehicle(data.fixed_cost[v], v)
        if data.cost_per_s is not None and data.cost_per_s[v]:
            time_dim.SetSpanCostCoefficientForVehicle(data.cost_per_s[v], v)


def _chain_trips(routing: Any, data: _Data, time_dim: Any) -> None:
    solver = routing.solver()
    for vehicles, reload_s in data.chains:
        for before, after in itertools.pairwise(vehicles):
            solver.Add(
                time_dim.CumulVar(routing.End(before)) + reload_s <= time_dim.CumulVar(routing.Start(after))
            )


def _route_indices(manager: Any, data: _Data) -> list[list[int]]:
    assert data.initial_routes is not None
    return [[manager.NodeToIndex(node) for node in route] for route in data.initial_routes]


def _lock_routes(routing: Any, manager: Any, data: _Data) -> None:
    if not data.locked:
        return
    solver = routing.solver()
    routes = _route_indices(manager, data)
    for v in data.locked:
        chain = [routing.Start(v), *routes[v], routing.End(v)]
        for a, b in itertools.pairwise(chain):
            solver.Add(routing.NextVar(a) == b)


def _set_iterated_local_search(search: Any, params: SolveParams) -> None:
    # The 9.15 defaults leave the ruin strategies empty (the search is then ROUTING_INVALID).
    search.use_iterated_local_search = True
    ils = search.iterated_local_search_parameters
    ruin = ils.ruin_recreate_parameters.ruin_strategies.add()
    ruin.sisr.avg_num_removed_visits = params.ils_removed_visits
    ruin.sisr.max_removed_sequence_size = params.ils_removed_visits
    ruin.sisr.bypass_factor = 0.01  # SISR's usual "split string" probability
    sa = ils.reference_solution_acceptance_strategy.simulated_annealing
    sa.automatic_temperatures = params.ils_automatic_temperatures


def _search_parameters(params: SolveParams) -> Any:
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, params.first_solution)
    search.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, params.metaheuristic
    )
    search.time_limit.FromMilliseconds(max(1, round(params.time_limit_s * 1000)))
    search.log_search = params.log_search
    if params.use_iterated_local_search:
        _set_iterated_local_search(search, params)
    if params.solution_limit is not None:
        search.solution_limit = params.solution_limit
    if params.guided_local_search_lambda is not None:
        search.guided_local_search_lambda_coefficient = params.guided_local_search_lambda
    for name, on in (params.operators or {}).items():
        setattr(
            search.local_search_operators,
            f"use_{name}",
            optional_boolean_pb2.BOOL_TRUE if on else optional_boolean_pb2.BOOL_FALSE,
        )
    if params.search_overrides:
        text_format.Merge(params.search_overrides, search)
    return search


class _Tracker:
    """Counts accepted solutions, keeps the best objective, reports progress (throttled)."""

    def __init__(
        self, routing: Any, t0: float, interval_s: float, progress: Callable[[SolveProgress], None] | None
    ) -> None:
        self.routing = routing
        self.t0 = t0
        self.interval_s = interval_s
        self.progress = progress
        self.solutions = 0
        self.best: int | None = None
        self.first_s: float | None = None
        self.last_report = -float("inf")
        self.reported_best: int | None = None

    def __call__(self) -> None:
        now = time.perf_counter()
        self.solutions += 1
        cost = int(self.routing.CostVar().Max())
        if self.first_s is None:
            self.first_s = now - self.t0
        if self.best is None or cost < self.best:
            self.best = cost
        if (
            self.progress is not None
            and now - self.last_report >= self.interval_s
            and self.best != self.reported_best
        ):
            self.last_report = now
            self.reported_best = self.best
            self.progress(
                SolveProgress(elapsed_s=now - self.t0, best_objective=self.best, solutions=self.solutions)
            )

    def finish(self, objective: int) -> None:
        if self.progress is not None:
            elapsed = time.perf_counter() - self.t0
            self.progress(
                SolveProgress(
                    elapsed_s=elapsed, best_objective=objective, solutions=self.solutions, phase="done"
                )
            )


def _initial_assignment(routing: Any, manager: Any, data: _Data) -> Any:
    if data.initial_routes is None:
        return None
    assignment = routing.ReadAssignmentFromRoutes(_route_indices(manager, data), True)  # ignore inactive
    if assignment is None:
        log.warning("initial routes are not feasible in this model; solving from scratch")
    return assignment


def _with_limit(search: Any, seconds: float) -> Any:
    copy = pywrapcp.DefaultRoutingSearchParameters()
    copy.CopyFrom(search)
    copy.time_limit.FromMilliseconds(max(1, round(seconds * 1000)))
    return copy


def _best_start(routing: Any, search: Any, params: SolveParams) -> Any:
    """Run each first-solution strategy + a greedy descent; keep the best local optimum.

    Within a 10 s budget OR-Tools' metaheuristics rarely leave the basin of their first local
    optimum, so which construction they start from decides most of the final cost; the best
    construction differs per instance (savings on wide windows, insertion on tight ones).
    """
    strategies = [params.first_solution, *params.extra_first_solutions]
    budget = params.time_limit_s * params.portfolio_share / len(strategies)
    best, best_cost = None, None
    for name in strategies:
        trial = _with_limit(search, budget)
        trial.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, name)
        trial.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        found = routing.SolveWithParameters(trial)
        if found is None:
            log.info("first solution %s: none within %.2f s", name, budget)
            if best is None:
                break  # constructions are too slow for this budget: give the main search the time
            continue
        cost = int(found.ObjectiveValue())
        log.info("first solution %s + descent: %d", name, cost)
        if best_cost is None or cost < best_cost:
            best = routing.solver().Assignment(found)  # the model reuses `found` on the next solve
            best_cost = cost
    return best


def _solve(routing: Any, search: Any, params: SolveParams, data: _Data, initial: Any, t0: float) -> Any:
    if initial is not None:
        return routing.SolveFromAssignmentWithParameters(initial, search)
    if (
        params.extra_first_solutions
        and not params.use_iterated_local_search  # from an assignment OR-Tools runs plain local search
        and params.solution_limit is None
        and len(data.stops) <= params.portfolio_max_stops
        and params.time_limit_s >= params.portfolio_min_time_s
    ):
        start = _best_start(routing, search, params)
        remaining = params.time_limit_s - (time.perf_counter() - t0)
        if start is not None:
            if remaining < 0.01:
                return start
            return routing.SolveFromAssignmentWithParameters(start, _with_limit(search, remaining))
        search = _with_limit(search, max(remaining, 0.01))
    if params.use_iterated_local_search:
        return routing.SolveWithIteratedLocalSearch(search)
    return routing.SolveWithParameters(search)


# --------------------------------------------------------------------------- ruin and recreate

_NEAR = 30  # stops a ruin looks at around its seed
_RECREATE_MAX_NODES = 2000


def _recreate_instance(data: _Data) -> recreate.Instance | None:
    """The problem as :mod:`recreate`'s arrays, or None when it is outside that module's scope.

    Outside: trip chains, a stop with several windows, no stop at all, or more than
    ``_RECREATE_MAX_NODES`` nodes (its dense arrays would take ~64 MB per profile there).
    """
    if (
        data.chains
        or not data.stops
        or data.n > _RECREATE_MAX_NODES
        or any(w is not None and len(w) > 1 for w in data.windows)
    ):
        return None
    n, nv, h = data.n, data.num_vehicles, data.horizon
    service = np.asarray(data.service, dtype=np.int64)[:, None]
    transit = np.stack([m + service for m in data.duration]).astype(np.int64)
    cost = np.stack(data.cost).astype(np.int64)

    def window(node: int, v: int) -> tuple[int, int]:
        lo, hi = 0, h
        if data.vehicle_window is not None:
            lo, hi = max(lo, data.vehicle_window[v][0]), min(hi, data.vehicle_window[v][1])
        if (w := data.windows[node]) is not None:
            lo, hi = max(lo, w[0][0]), min(hi, w[0][1])
        return lo, hi

    starts = [window(data.start[v], v) for v in range(nv)]
    ends = [window(data.end[v], v) for v in range(nv)]
    lo = np.zeros(n, dtype=np.int64)
    hi = np.full(n, h, dtype=np.int64)
    kind = np.full(n, recreate.SINGLE, dtype=np.int64)
    mate = np.full(n, -1, dtype=np.int64)
    for node in data.depots:
        kind[node] = recreate.DEPOT
    for node in data.stops:
        if (w := data.windows[node]) is not None:
            lo[node], hi[node] = w[0][0], min(w[0][1], h)
    for p, d in data.pairs:
        kind[p], kind[d] = recreate.PICKUP, recreate.DELIVERY
        mate[p], mate[d] = d, p
    allowed = np.ones((nv, n), dtype=np.bool_)
    for node in data.stops:
        if (av := data.allowed[node]) is not None:
            allowed[:, node] = False
            allowed[av, node] = True
    stops = np.asarray(data.stops, dtype=np.int64)
    k = min(_NEAR, max(len(stops) - 1, 0))
    near = np.full((n, k), -1, dtype=np.int64)
    if k:
        c = cost[data.profile[0]]
        sym = np.minimum(c, c.T)[:, stops].astype(np.float64)
        sym[stops, np.arange(len(stops))] = np.inf  # a stop is not its own neighbour
        near = stops[np.argsort(sym, axis=1, kind="stable")[:, :k]]
    dims = len(data.demands)
    return recreate.Instance(
        transit=transit,
        cost=cost,
        profile=np.asarray(data.profile, dtype=np.int64),
        start=np.asarray(data.start, dtype=np.int64),
        end=np.asarray(data.end, dtype=np.int64),
        start_lo=np.asarray([w[0] for w in starts], dtype=np.int64),
        start_hi=np.asarray([w[1] for w in starts], dtype=np.int64),
        end_lo=np.asarray([w[0] for w in ends], dtype=np.int64),
        end_hi=np.asarray([w[1] for w in ends], dtype=np.int64),
        fixed=np.asarray(data.fixed_cost or [0] * nv, dtype=np.int64),
        per_s=np.asarray(data.cost_per_s or [0] * nv, dtype=np.int64),
        cap=np.asarray(data.capacities, dtype=np.int64).reshape(dims, nv),
        locked=np.isin(np.arange(nv), np.asarray(data.locked, dtype=np.int64)),
        lo=lo,
        hi=hi,
        mate=mate,
        kind=kind,
        penalty=np.asarray([-1 if x is None else x for x in data.penalty], dtype=np.int64),
        dem=np.asarray(data.demands, dtype=np.int64).reshape(dims, n),
        allowed=allowed,
        near=near,
    )


def ruin_recreate_instance(problem: MatrixProblem) -> recreate.Instance | None:
    """``problem`` (validated) as :mod:`tournee.routing.recreate`'s arrays; None outside its scope.

    Raises
    ------
    InvalidInput
        A field is malformed (as :func:`solve_matrix_problem`).
    """
    return _recreate_instance(_validate(problem))


def _routes_of(routing: Any, manager: Any, num_vehicles: int, solution: Any) -> list[list[int]]:
    routes = []
    for v in range(num_vehicles):
        route, index = [], solution.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            route.append(int(manager.IndexToNode(index)))
            index = solution.Value(routing.NextVar(index))
        routes.append(route)
    return routes


@dataclass(slots=True)
class _Model:
    """One OR-Tools model of a validated problem (closed by its caller, with its search parameters)."""

    manager: Any
    routing: Any
    time_dim: Any


def _build_model(data: _Data) -> _Model:
    manager = _index_manager(data)
    routing = pywrapcp.RoutingModel(manager)
    time_cbs, cost_cbs = _register_matrices(routing, data)
    _set_arc_costs(routing, data, cost_cbs)
    time_dim = _add_time_dimension(routing, data, time_cbs)
    _set_vehicle_windows(routing, data, time_dim)
    _set_node_windows(manager, data, time_dim)
    _add_capacities(routing, data)
    _add_pickups_deliveries(routing, manager, time_dim, data)
    _restrict_vehicles(routing, manager, data)
    _add_drop_penalties(routing, manager, data)
    _set_vehicle_costs(routing, data, time_dim)
    _chain_trips(routing, data, time_dim)
    _lock_routes(routing, manager, data)
    return _Model(manager=manager, routing=routing, time_dim=time_dim)


def _ruin_and_recreate(
    model: _Model,
    data: _Data,
    search: Any,
    inst: recreate.Instance,
    params: SolveParams,
    solution: Any,
    t0: float,
    progress: Callable[[SolveProgress], None] | None,
) -> tuple[_Model, Any]:
    """OR-Tools' solution, or the one :func:`recreate.ruin_and_recreate` finds from it if better.

    The routes found are read into a fresh OR-Tools model of the same problem
    (``ReadAssignmentFromRoutes`` propagates every constraint and computes the objective and
    the schedule), and replace ``solution`` only when feasible there and cheaper.  A fresh
    model because the searched one restores assignments under its last search's limits:
    after a warm-started search it rejected every routing, its own included (ROUTING_FAIL).
    Returns the model the solution belongs to, and the solution.
    """
    kept = model.routing.solver().Assignment(solution)  # the model reuses `solution` on its next solve
    kept_objective = int(solution.ObjectiveValue())
    reserve = min(0.2, 0.05 * params.time_limit_s)  # the fresh model's build and check
    budget = params.time_limit_s - (time.perf_counter() - t0) - reserve
    if budget <= 0.01:
        return model, kept

    def report(best: int) -> None:
        if progress is not None:
            progress(
                SolveProgress(
                    elapsed_s=time.perf_counter() - t0,
                    best_objective=best,
                    solutions=0,
                    phase="ruin-and-recreate",
                )
            )

    eliminate_s = budget * params.route_elimination_share
    start = _routes_of(model.routing, model.manager, data.num_vehicles, solution)
    # ruin and recreate keeps one vehicle on a morning and an evening round, paying the idle
    # hours between them, where two vehicles cost less: cut such routes first
    split = recreate.split_routes(inst, start)
    found = recreate.ruin_and_recreate(
        inst,
        start if split is None else split,
        time_limit_s=budget - eliminate_s,
        seed=params.seed,
        max_removed=params.ruin_max_removed,
        progress=report,
    )
    if split is not None:  # the search's start is OR-Tools' routes, not the cut ones
        before = recreate.route_costs(inst, start)
        log.info("routes cut in two onto unused vehicles: %d → %d", before, found.start_objective)
        found = replace(found, start_objective=before)
    log.info(
        "ruin and recreate: %d → %d in %d iterations (%d improvements)",
        found.start_objective,
        found.objective,
        found.iterations,
        found.improvements,
    )
    if eliminate_s > 0.01 and not recreate.can_eliminate(inst, found.routes):
        # no route can go when orders are still left out (a full sector) or one route runs:
        # the time goes to ruin and recreate instead
        more = recreate.ruin_and_recreate(
            inst,
            found.routes,
            time_limit_s=eliminate_s,
            seed=params.seed + 1,
            max_removed=params.ruin_max_removed,
            progress=report,
        )
        log.info(
            "ruin and recreate, on instead of route elimination: %d → %d", found.objective, more.objective
        )
        if more.objective < found.objective:
            found = replace(more, start_objective=found.start_objective)
    elif eliminate_s > 0.01:
        fewer = recreate.eliminate_route(
            inst,
            found.routes,
            time_limit_s=eliminate_s,
            seed=params.seed,
            max_removed=params.ruin_max_removed,
        )
        log.info(
            "route elimination: %s",
            "no plan with one route fewer"
            if fewer is None
            else f"{found.objective} → {fewer.objective} with one route fewer",
        )
        if fewer is not None and fewer.objective < found.objective:
            found = replace(fewer, start_objective=found.start_objective)
            report(found.objective)
    if (again := recreate.split_routes(inst, found.routes)) is not None:
        found = replace(found, routes=again, objective=recreate.route_costs(inst, again))
        log.info("routes cut in two onto unused vehicles after the search: %d", found.objective)
    if found.objective >= found.start_objective:
        return model, kept
    fresh = _build_model(data)
    fresh.routing.CloseModelWithParameters(search)
    indices = [[fresh.manager.NodeToIndex(node) for node in route] for route in found.routes]
    priced = fresh.routing.ReadAssignmentFromRoutes(indices, True)
    if priced is None:
        log.error("ruin and recreate: routes rejected by the OR-Tools model; keeping OR-Tools' solution")
        return model, kept
    if priced.ObjectiveValue() >= kept_objective:
        log.info(
            "ruin and recreate: OR-Tools prices the routes at %d; keeping its own", priced.ObjectiveValue()
        )
        return model, kept
    return fresh, priced


def _status_name(routing: Any) -> str:
    return str(routing_enums_pb2.RoutingSearchStatus.Value.Name(routing.status()))


def _extract(
    routing: Any,
    manager: Any,
    data: _Data,
    time_dim: Any,
    solution: Any,
    status: str,
    tracker: _Tracker,
    t0: float,
) -> MatrixSolution:
    def cumul(index: int) -> int:
        return int(solution.Min(time_dim.CumulVar(index)))

    routes = [tuple(route) for route in _routes_of(routing, manager, data.num_vehicles, solution)]
    arrivals = [tuple(cumul(manager.NodeToIndex(node)) for node in route) for route in routes]
    starts = [cumul(routing.Start(v)) for v in range(data.num_vehicles)]
    ends = [cumul(routing.End(v)) for v in range(data.num_vehicles)]
    visited = {node for route in routes for node in route}
    objective = int(solution.ObjectiveValue())
    tracker.finish(objective)
    return MatrixSolution(
        routes=tuple(routes),
        arrival_s=tuple(arrivals),
        start_s=tuple(starts),
        end_s=tuple(ends),
        dropped=tuple(node for node in data.stops if node not in visited),
        objective=objective,
        status=status,
        wall_s=time.perf_counter() - t0,
        first_solution_s=tracker.first_s,
        solutions=tracker.solutions,
    )


def solve_matrix_problem(
    problem: MatrixProblem,
    *,
    params: SolveParams = SolveParams(),
    progress: Callable[[SolveProgress], None] | None = None,
) -> MatrixSolution:
    """Solve ``problem`` with OR-Tools routing.

    Parameters
    ----------
    problem : MatrixProblem
        Matrices (metres, seconds, cost units), fleet and stops; validated first.
    params : SolveParams
        Time limit (s), first-solution strategy, metaheuristic, logging.
    progress : callable, optional
        Called with a :class:`SolveProgress` when the best objective improves (at most
        once per ``params.progress_interval_s``), and once more with ``phase="done"``.

    Returns
    -------
    MatrixSolution
        Per vehicle the visited nodes (depots excluded), the time service starts at each
        (s), the route start and end times (s); the dropped stops; the objective (cost
        units, drop penalties included); OR-Tools' status name; wall time and time to the
        first solution (s); the number of solutions the search accepted.

    Raises
    ------
    InvalidInput
        A field is malformed (the message names the field and index).
    Infeasible
        The search found no solution within the limits (the message names the status).
    """
    if params.ruin_recreate_share > 0:
        recreate.warm_up()  # once per process, before the clock: compiling is not searching
    t0 = time.perf_counter()
    data = _validate(problem)
    model = _build_model(data)
    routing, manager = model.routing, model.manager
    search = _search_parameters(params)
    tracker = _Tracker(routing, t0, params.progress_interval_s, progress)
    routing.AddAtSolutionCallback(tracker)
    routing.CloseModelWithParameters(search)
    log.info(
        "model built: %d nodes, %d vehicles in %.2f s", data.n, data.num_vehicles, time.perf_counter() - t0
    )

    inst = _recreate_instance(data) if params.ruin_recreate_share > 0 else None
    # OR-Tools' share of the limit: all of it unless ruin and recreate takes the rest
    first = (
        params
        if inst is None
        else replace(params, time_limit_s=params.time_limit_s * (1 - params.ruin_recreate_share))
    )
    try:
        solution = _solve(
            routing,
            _with_limit(search, first.time_limit_s),
            first,
            data,
            _initial_assignment(routing, manager, data),
            t0,
        )
        status = _status_name(routing)
        if inst is not None and solution is not None:
            model, solution = _ruin_and_recreate(model, data, search, inst, params, solution, t0, progress)
        if solution is not None and status == "ROUTING_NOT_SOLVED":
            status = "ROUTING_SUCCESS"  # SolveWithIteratedLocalSearch leaves the status unset
        if solution is None:
            raise Infeasible(f"matrix problem: no solution found (OR-Tools status {status})")
        log.info(
            "solved: status %s, objective %d, %d solutions",
            status,
            solution.ObjectiveValue(),
            tracker.solutions,
        )
        return _extract(model.routing, model.manager, data, model.time_dim, solution, status, tracker, t0)
    finally:
        # The model holds the tracker (a C++ reference Python's collector cannot see) and the
        # tracker holds the model: without this the whole model leaked on every solve
        # (~15 MB for 220 nodes; a week of many sub-problems, or a server, grew without bound).
        tracker.routing = None
