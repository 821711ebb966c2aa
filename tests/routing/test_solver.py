"""Specifications of the generic matrix solver (real OR-Tools solves on small instances)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tournee.domain.errors import Infeasible, InvalidInput
from tournee.routing.solver import MatrixProblem, MatrixSolution, SolveParams, solve_matrix_problem

FAST = SolveParams(time_limit_s=0.3)
PORTFOLIO = SolveParams(time_limit_s=0.5, portfolio_min_time_s=0.1)  # several starts even in 0.5 s


def euclidean(xy: np.ndarray) -> np.ndarray:
    """Rounded Euclidean distances between the rows of ``xy`` (int64)."""
    diff = xy[:, None, :] - xy[None, :, :]
    return np.rint(np.hypot(diff[..., 0], diff[..., 1])).astype(np.int64)


def random_points(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 100, (n, 2))


def assert_feasible(problem: MatrixProblem, sol: MatrixSolution) -> None:
    """Check every promise of a solution against the problem, independently of OR-Tools."""
    n = problem.distance_m[0].shape[0]
    v_count = problem.num_vehicles
    starts = list(problem.vehicle_start or [0] * v_count)
    ends = list(problem.vehicle_end or [0] * v_count)
    depots = set(starts) | set(ends)
    profile = list(problem.vehicle_profile or [0] * v_count)
    service = list(problem.service_s or [0] * n)
    penalty = list(problem.drop_penalty or [None] * n)
    partner = dict(problem.pickups_deliveries) | {d: p for p, d in problem.pickups_deliveries}

    # every stop visited exactly once or dropped (and only droppable stops are dropped)
    visited = [node for route in sol.routes for node in route]
    assert len(visited) == len(set(visited))
    assert set(visited) | set(sol.dropped) == set(range(n)) - depots
    assert not set(visited) & set(sol.dropped)
    for node in sol.dropped:
        assert penalty[node] is not None or (node in partner and penalty[partner[node]] is not None)

    vehicle_of = {node: v for v, route in enumerate(sol.routes) for node in route}
    position = {node: k for route in sol.routes for k, node in enumerate(route)}
    for p, d in problem.pickups_deliveries:
        assert (p in vehicle_of) == (d in vehicle_of), "a pair is served or dropped as a whole"
        if p in vehicle_of:
            assert vehicle_of[p] == vehicle_of[d]
            assert position[p] < position[d]

    if problem.allowed_vehicles is not None:
        for node, v in vehicle_of.items():
            allowed = problem.allowed_vehicles[node]
            assert allowed is None or v in allowed

    for dim, caps in enumerate(problem.capacities):
        for v, route in enumerate(sol.routes):
            load = 0
            for node in route:
                load += problem.demands[dim][node]
                assert 0 <= load <= caps[v]

    horizon = problem.horizon_s
    for v, route in enumerate(sol.routes):
        dur = problem.duration_s[profile[v]]
        times = [sol.start_s[v], *sol.arrival_s[v], sol.end_s[v]]
        nodes = [starts[v], *route, ends[v]]
        assert len(sol.arrival_s[v]) == len(route)
        for (a, ta), (b, tb) in zip(
            zip(nodes, times, strict=True), zip(nodes[1:], times[1:], strict=True), strict=False
        ):
            assert tb >= ta + service[a] + dur[a][b]
        assert times[0] >= 0
        assert times[-1] <= horizon
        if problem.vehicle_window is not None:
            lo, hi = problem.vehicle_window[v]
            assert lo <= times[0]
            assert times[-1] <= hi
        if problem.time_windows is not None:
            for node, t in zip(route, sol.arrival_s[v], strict=True):
                windows = problem.time_windows[node]
                assert windows is None or any(lo <= t <= hi for lo, hi in windows)


def routed_cost(problem: MatrixProblem, sol: MatrixSolution) -> int:
    """Arc costs by each vehicle's profile + fixed costs of used vehicles + drop penalties."""
    v_count = problem.num_vehicles
    starts = list(problem.vehicle_start or [0] * v_count)
    ends = list(problem.vehicle_end or [0] * v_count)
    profile = list(problem.vehicle_profile or [0] * v_count)
    costs = problem.arc_cost or problem.distance_m
    fixed = list(problem.vehicle_fixed_cost or [0] * v_count)
    total = 0
    for v, route in enumerate(sol.routes):
        if not route:
            continue
        nodes = [starts[v], *route, ends[v]]
        total += sum(int(costs[profile[v]][a][b]) for a, b in itertools.pairwise(nodes)) + fixed[v]
    penalty = problem.drop_penalty or []
    return total + sum(int(penalty[node] or 0) for node in sol.dropped)


@pytest.fixture
def vrptw() -> MatrixProblem:
    """Twenty customers around a central depot, 1-minute services, 2-hour windows, 4 vans of 60."""
    rng = np.random.default_rng(7)
    xy = np.vstack([[50.0, 50.0], random_points(20, 1)])
    d = euclidean(xy)
    ready = rng.integers(0, 300, 21)
    windows: list[Sequence[tuple[int, int]] | None] = [None] + [[(int(r), int(r) + 120)] for r in ready[1:]]
    return MatrixProblem(
        distance_m=[d],
        duration_s=[d],
        num_vehicles=4,
        capacities=[[60] * 4],
        demands=[[0] + [int(q) for q in rng.integers(5, 15, 20)]],
        time_windows=windows,
        service_s=[0] + [10] * 20,
        vehicle_window=[(0, 1000)] * 4,
        horizon_s=1000,
    )


@pytest.fixture
def pdptw() -> MatrixProblem:
    """Six pickup-and-delivery pairs (pickup i, delivery i + 6), 2 vehicles of capacity 20."""
    xy = np.vstack([[50.0, 50.0], random_points(12, 3)])
    d = euclidean(xy)
    return MatrixProblem(
        distance_m=[d],
        duration_s=[d],
        num_vehicles=2,
        capacities=[[20, 20]],
        demands=[[0] + [10] * 6 + [-10] * 6],
        pickups_deliveries=[(i, i + 6) for i in range(1, 7)],
        service_s=[0] + [5] * 12,
    )


@pytest.mark.parametrize("params", [FAST, PORTFOLIO], ids=["single-start", "portfolio"])
def test_vrptw_visits_every_customer_once_within_windows_and_capacity(
    vrptw: MatrixProblem, params: SolveParams
) -> None:
    sol = solve_matrix_problem(vrptw, params=params)
    assert_feasible(vrptw, sol)
    assert sol.dropped == ()
    assert sol.objective == routed_cost(vrptw, sol)
    assert sol.status.startswith("ROUTING_")
    assert sol.solutions >= 1
    assert sol.first_solution_s is not None
    assert sol.first_solution_s <= sol.wall_s


@pytest.mark.parametrize("params", [FAST, PORTFOLIO], ids=["single-start", "portfolio"])
def test_pdptw_picks_up_before_delivering_on_the_same_vehicle(
    pdptw: MatrixProblem, params: SolveParams
) -> None:
    sol = solve_matrix_problem(pdptw, params=params)
    assert_feasible(pdptw, sol)
    assert sol.dropped == ()


def test_load_never_exceeds_capacity_when_pairs_compete_for_room(pdptw: MatrixProblem) -> None:
    """With capacity 10 a vehicle must deliver each parcel before the next pickup."""
    tight = MatrixProblem(**{**_fields(pdptw), "capacities": [[10, 10]]})
    sol = solve_matrix_problem(tight, params=FAST)
    assert_feasible(tight, sol)
    for route in sol.routes:
        for a, b in itertools.pairwise(route):
            if 1 <= a <= 6:
                assert b == a + 6


def test_stop_with_two_windows_is_served_inside_one_never_in_the_gap() -> None:
    d = np.array([[0, 50], [50, 0]], dtype=np.int64)
    problem = MatrixProblem(
        distance_m=[d], duration_s=[d], num_vehicles=1, time_windows=[None, [(0, 20), (100, 110)]]
    )
    sol = solve_matrix_problem(problem, params=FAST)
    assert_feasible(problem, sol)
    assert 100 <= sol.arrival_s[0][0] <= 110


def test_unreachable_optional_stop_is_dropped_and_its_penalty_paid() -> None:
    d = np.array([[0, 10, 10], [10, 0, 10], [10, 10, 0]], dtype=np.int64)
    problem = MatrixProblem(
        distance_m=[d],
        duration_s=[d],
        num_vehicles=1,
        time_windows=[None, None, [(0, 5)]],  # 10 s away: cannot be reached by 5 s
        drop_penalty=[None, None, 1000],
    )
    sol = solve_matrix_problem(problem, params=FAST)
    assert_feasible(problem, sol)
    assert sol.dropped == (2,)
    assert sol.routes == ((1,),)
    assert sol.objective == 20 + 1000


def test_stop_is_dropped_when_serving_it_costs_more_than_its_penalty() -> None:
    d = np.array([[0, 10, 500], [10, 0, 500], [500, 500, 0]], dtype=np.int64)
    problem = MatrixProblem(distance_m=[d], duration_s=[d], num_vehicles=1, drop_penalty=[None, 100, 50])
    sol = solve_matrix_problem(problem, params=FAST)
    assert sol.routes == ((1,),)
    assert sol.dropped == (2,)
    assert sol.objective == 20 + 50


def test_pickup_and_delivery_pair_is_dropped_as_a_whole(pdptw: MatrixProblem) -> None:
    """Pair (1, 7) may not use any vehicle: both of its nodes are dropped together."""
    allowed: list[list[int] | None] = [None] * 13
    allowed[1] = []
    penalty: list[int | None] = [None] * 13
    penalty[1] = penalty[7] = 10_000
    problem = MatrixProblem(**{**_fields(pdptw), "allowed_vehicles": allowed, "drop_penalty": penalty})
    sol = solve_matrix_problem(problem, params=FAST)
    assert_feasible(problem, sol)
    assert sorted(sol.dropped) == [1, 7]
    assert sol.objective == routed_cost(problem, sol)


def test_stops_ride_only_on_their_allowed_vehicles(vrptw: MatrixProblem) -> None:
    allowed: list[list[int] | None] = [None] + [
        [node % 2, 2 + node % 2, 4 + node % 2] for node in range(1, 21)
    ]
    six = {"num_vehicles": 6, "capacities": [[60] * 6], "vehicle_window": [(0, 1000)] * 6}
    problem = MatrixProblem(**{**_fields(vrptw), **six, "allowed_vehicles": allowed})
    sol = solve_matrix_problem(problem, params=FAST)
    assert_feasible(problem, sol)
    for v, route in enumerate(sol.routes):
        assert all(node % 2 == v % 2 for node in route)


def test_fixed_cost_pools_stops_onto_fewer_vehicles() -> None:
    xy = np.vstack([[50.0, 50.0], random_points(12, 5)])
    d = euclidean(xy)
    base = {"distance_m": [d], "duration_s": [d], "num_vehicles": 6}
    free = solve_matrix_problem(MatrixProblem(**base, vehicle_start=[0] * 6), params=FAST)
    pooled_problem = MatrixProblem(**base, vehicle_fixed_cost=[10_000] * 6)
    pooled = solve_matrix_problem(pooled_problem, params=FAST)
    assert sum(1 for r in pooled.routes if r) == 1
    assert pooled.objective == routed_cost(pooled_problem, pooled)
    assert sum(1 for r in free.routes if r) >= 1


def test_each_vehicle_is_costed_and_timed_on_its_own_profile() -> None:
    """Profile 1 (a bike) is slow but cheap: the objective adds each vehicle's own arc costs."""
    xy = np.vstack([[50.0, 50.0], random_points(10, 9)])
    d = euclidean(xy)
    problem = MatrixProblem(
        distance_m=[d, d],
        duration_s=[d, 3 * d],
        arc_cost=[5 * d, d],
        num_vehicles=2,
        vehicle_profile=[0, 1],
        allowed_vehicles=[None] + [[v % 2] for v in range(1, 11)],
    )
    sol = solve_matrix_problem(problem, params=FAST)
    assert_feasible(problem, sol)
    assert sol.objective == routed_cost(problem, sol)


def test_vehicles_start_and_end_at_their_own_depots() -> None:
    xy = random_points(10, 11)
    d = euclidean(xy)
    problem = MatrixProblem(
        distance_m=[d],
        duration_s=[d],
        num_vehicles=2,
        vehicle_start=[0, 1],
        vehicle_end=[2, 1],
        capacities=[[20, 20]],
        demands=[[0, 0, 0] + [3] * 7],
    )
    sol = solve_matrix_problem(problem, params=FAST)
    assert_feasible(problem, sol)
    assert sol.objective == routed_cost(problem, sol)


def test_mandatory_stop_that_no_vehicle_may_serve_is_infeasible() -> None:
    d = np.array([[0, 10], [10, 0]], dtype=np.int64)
    problem = MatrixProblem(distance_m=[d], duration_s=[d], num_vehicles=1, time_windows=[None, [(0, 5)]])
    with pytest.raises(Infeasible, match="ROUTING_"):
        solve_matrix_problem(problem, params=FAST)


def _fields(problem: MatrixProblem) -> dict[str, object]:
    return {name: getattr(problem, name) for name in MatrixProblem.__dataclass_fields__}


def _square(n: int) -> np.ndarray:
    return np.ones((n, n), dtype=np.int64)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"num_vehicles": 0}, "num_vehicles"),
        ({"distance_m": [np.ones((3, 2), dtype=np.int64)]}, "distance_m[0]"),
        ({"distance_m": [-_square(3)]}, "distance_m[0][0][0]"),
        ({"distance_m": [np.ones((3, 3)) * 1.5]}, "distance_m[0]"),
        ({"duration_s": [_square(4)]}, "duration_s[0]"),
        ({"duration_s": [_square(3), _square(3)]}, "duration_s"),
        ({"arc_cost": [_square(2)]}, "arc_cost[0]"),
        ({"vehicle_profile": [1]}, "vehicle_profile[0]"),
        ({"vehicle_start": [3]}, "vehicle_start[0]"),
        ({"vehicle_end": [0, 0]}, "vehicle_end"),
        ({"vehicle_window": [(10, 5)]}, "vehicle_window[0]"),
        ({"vehicle_fixed_cost": [-1]}, "vehicle_fixed_cost[0]"),
        ({"capacities": [[10]], "demands": [[0, 1]]}, "demands[0]"),
        ({"capacities": [[-10]], "demands": [[0, 1, 1]]}, "capacities[0][0]"),
        ({"capacities": [[10]], "demands": []}, "demands"),
        ({"time_windows": [None, [(50, 40)], None]}, "time_windows[1][0]"),
        ({"time_windows": [None, [], None]}, "time_windows[1]"),
        ({"time_windows": [None, [(0, 10**10)], None]}, "time_windows[1][0][1]"),
        ({"service_s": [0, -1, 0]}, "service_s[1]"),
        ({"pickups_deliveries": [(1, 3)]}, "pickups_deliveries[0][1]"),
        ({"pickups_deliveries": [(0, 1)]}, "pickups_deliveries[0][0]"),
        ({"pickups_deliveries": [(1, 1)]}, "pickups_deliveries[0]"),
        ({"pickups_deliveries": [(1, 2), (2, 1)]}, "pickups_deliveries[1][0]"),
        ({"allowed_vehicles": [None, [1], None]}, "allowed_vehicles[1][0]"),
        ({"drop_penalty": [None, -5, None]}, "drop_penalty[1]"),
        ({"horizon_s": 0}, "horizon_s"),
        ({"trip_chains": [([0, 5], 10)]}, "trip_chains[0][0][1]"),
        ({"initial_routes": [[1, 1]]}, "initial_routes[0][1]"),
        ({"initial_routes": [[0, 1]]}, "initial_routes[0][0]"),
        ({"locked_vehicles": [0]}, "locked_vehicles"),
    ],
)
def test_bad_input_raises_invalid_input_naming_the_field(changes: dict[str, object], field: str) -> None:
    base: dict[str, object] = {"distance_m": [_square(3)], "duration_s": [_square(3)], "num_vehicles": 1}
    with pytest.raises(InvalidInput) as err:
        solve_matrix_problem(MatrixProblem(**{**base, **changes}), params=FAST)  # type: ignore[arg-type]
    assert f"{field} " in str(err.value)


@pytest.mark.parametrize(
    "changes",
    [
        {"time_limit_s": 0},
        {"first_solution": "NOPE"},
        {"metaheuristic": "ANNEALING"},
        {"solution_limit": 0},
        {"extra_first_solutions": ("SAVINGS", "NOPE")},
        {"portfolio_share": 1.0},
        {"ruin_recreate_share": 1.0},
        {"ruin_recreate_share": -0.1},
        {"ruin_max_removed": 0},
        {"route_elimination_share": 1.0},
        {"route_elimination_share": -0.5},
        {"search_overrides": "no_such_field: true"},
    ],
)
def test_bad_solve_params_raise_invalid_input(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidInput, match=next(iter(changes))):
        SolveParams(**changes)  # type: ignore[arg-type]


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_pairs=st.integers(1, 5),
    n_singles=st.integers(0, 6),
    vehicles=st.integers(1, 3),
    capacity=st.integers(10, 40),
    droppable=st.booleans(),
)
def test_every_solution_keeps_every_promise(
    seed: int, n_pairs: int, n_singles: int, vehicles: int, capacity: int, droppable: bool
) -> None:
    """Random PDPTW + VRPTW mixes: visits, pairs, loads, windows, allowed vehicles all hold."""
    rng = np.random.default_rng(seed)
    n = 1 + 2 * n_pairs + n_singles
    d = euclidean(rng.uniform(0, 100, (n, 2)))
    demand = [0] * n
    for k in range(n_pairs):
        q = int(rng.integers(1, 10))
        demand[1 + k], demand[1 + n_pairs + k] = q, -q
    for node in range(1 + 2 * n_pairs, n):
        demand[node] = int(rng.integers(1, 10))
    windows: list[Sequence[tuple[int, int]] | None] = [None]
    for _ in range(1, n):
        a = int(rng.integers(0, 800))
        windows.append([(a, a + 300), (a + 600, a + 900)] if rng.random() < 0.3 else [(a, a + 400)])
    allowed: list[Sequence[int] | None] = [
        None if node == 0 or rng.random() < 0.6 else sorted({int(rng.integers(0, vehicles))})
        for node in range(n)
    ]
    for k in range(n_pairs):  # pairs share a vehicle, so give both ends the same choice
        allowed[1 + n_pairs + k] = allowed[1 + k]
    problem = MatrixProblem(
        distance_m=[d],
        duration_s=[d],
        num_vehicles=vehicles,
        capacities=[[capacity] * vehicles],
        demands=[demand],
        time_windows=windows,
        service_s=[0] + [10] * (n - 1),
        pickups_deliveries=[(1 + k, 1 + n_pairs + k) for k in range(n_pairs)],
        allowed_vehicles=allowed,
        drop_penalty=[None] + [100_000] * (n - 1) if droppable else None,
        horizon_s=3000,
        vehicle_fixed_cost=[int(rng.integers(0, 500))] * vehicles,
    )
    try:
        sol = solve_matrix_problem(problem, params=SolveParams(time_limit_s=0.1, portfolio_min_time_s=0.05))
    except Infeasible:
        assert not droppable  # with penalties every instance has a solution (drop everything)
        return
    assert_feasible(problem, sol)
    assert sol.objective == routed_cost(problem, sol)


@pytest.fixture
def bike_trips() -> MatrixProblem:
    """One cargo bike (capacity 3) doing two trips from its hub (vehicles 0 and 1), 6 parcels."""
    xy = np.vstack([[50.0, 50.0], random_points(6, 13)])
    d = euclidean(xy)
    return MatrixProblem(
        distance_m=[d],
        duration_s=[d],
        num_vehicles=2,
        capacities=[[3, 3]],
        demands=[[0] + [1] * 6],
        service_s=[0] + [30] * 6,
        trip_chains=[([0, 1], 600)],
        horizon_s=10_000,
    )


def test_second_trip_starts_after_the_first_ends_plus_reload(bike_trips: MatrixProblem) -> None:
    sol = solve_matrix_problem(bike_trips, params=FAST)
    assert_feasible(bike_trips, sol)
    assert all(len(route) == 3 for route in sol.routes)
    assert sol.start_s[1] >= sol.end_s[0] + 600


def test_locked_vehicle_keeps_its_route_unchanged_while_others_are_replanned(vrptw: MatrixProblem) -> None:
    first = solve_matrix_problem(vrptw, params=FAST)
    locked = next(v for v, route in enumerate(first.routes) if len(route) >= 2)
    reversed_ok = [list(route) for route in first.routes]
    problem = MatrixProblem(**{**_fields(vrptw), "initial_routes": reversed_ok, "locked_vehicles": [locked]})
    sol = solve_matrix_problem(problem, params=FAST)
    assert_feasible(problem, sol)
    assert sol.routes[locked] == first.routes[locked]


def test_locked_route_is_kept_even_when_a_better_order_exists() -> None:
    """The locked route zig-zags; re-planning must not straighten it nor add stops to it."""
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0], [30.0, 0.0], [15.0, 1.0]])
    d = euclidean(xy)
    problem = MatrixProblem(
        distance_m=[d],
        duration_s=[d],
        num_vehicles=2,
        initial_routes=[[3, 1, 2], []],
        locked_vehicles=[0],
    )
    sol = solve_matrix_problem(problem, params=FAST)
    assert sol.routes == ((3, 1, 2), (4,))


def test_locking_an_infeasible_route_is_infeasible() -> None:
    d = np.array([[0, 10, 10], [10, 0, 10], [10, 10, 0]], dtype=np.int64)
    problem = MatrixProblem(
        distance_m=[d],
        duration_s=[d],
        num_vehicles=2,
        time_windows=[None, [(0, 10)], [(0, 10)]],
        initial_routes=[[1, 2], []],  # node 2 is reached at 20 s, after its window
        locked_vehicles=[0],
    )
    with pytest.raises(Infeasible, match="ROUTING_"):
        solve_matrix_problem(problem, params=FAST)


def test_warm_start_never_ends_worse_than_the_routes_it_starts_from(vrptw: MatrixProblem) -> None:
    seed = solve_matrix_problem(vrptw, params=SolveParams(time_limit_s=0.3, solution_limit=1))
    problem = MatrixProblem(**{**_fields(vrptw), "initial_routes": [list(r) for r in seed.routes]})
    progress: list[int] = []
    sol = solve_matrix_problem(
        problem,
        params=SolveParams(time_limit_s=0.2, progress_interval_s=0),
        progress=lambda p: progress.append(p.best_objective),
    )
    assert_feasible(problem, sol)
    assert progress[0] == routed_cost(vrptw, seed)  # the search starts from the given routes
    assert sol.objective <= routed_cost(vrptw, seed)


def test_infeasible_warm_start_falls_back_to_a_fresh_solve() -> None:
    d = np.array([[0, 10, 10], [10, 0, 10], [10, 10, 0]], dtype=np.int64)
    problem = MatrixProblem(
        distance_m=[d],
        duration_s=[d],
        num_vehicles=2,
        time_windows=[None, [(0, 10)], [(0, 10)]],
        initial_routes=[[1, 2], []],
    )
    sol = solve_matrix_problem(problem, params=FAST)
    assert_feasible(problem, sol)
    assert sorted(sol.routes) == [(1,), (2,)]


def test_progress_reports_an_improving_objective_and_ends_with_the_result(vrptw: MatrixProblem) -> None:
    reports = []
    sol = solve_matrix_problem(
        vrptw, params=SolveParams(time_limit_s=0.5, progress_interval_s=0.05), progress=reports.append
    )
    assert len(reports) >= 2
    assert reports[-1].phase == "done"
    assert reports[-1].best_objective == sol.objective
    assert reports[-1].solutions == sol.solutions
    bests = [r.best_objective for r in reports]
    assert bests == sorted(bests, reverse=True)
    elapsed = [r.elapsed_s for r in reports]
    assert elapsed == sorted(elapsed)
    assert all(r.phase == "search" for r in reports[:-1])


@pytest.mark.parametrize(
    "params",
    [
        SolveParams(time_limit_s=0.3, use_iterated_local_search=True, metaheuristic="GREEDY_DESCENT"),
        SolveParams(time_limit_s=0.3, first_solution="SAVINGS", extra_first_solutions=()),
        SolveParams(time_limit_s=0.3, operators={"cross_exchange": True, "lin_kernighan": False}),
        SolveParams(time_limit_s=0.3, guided_local_search_lambda=0.2),
        SolveParams(
            time_limit_s=0.3,
            search_overrides="guided_local_search_reset_penalties_on_new_best_solution: true",
        ),
    ],
    ids=["ils", "savings-alone", "operators", "gls-lambda", "overrides"],
)
def test_every_search_setting_returns_a_feasible_plan(vrptw: MatrixProblem, params: SolveParams) -> None:
    sol = solve_matrix_problem(vrptw, params=params)
    assert_feasible(vrptw, sol)
    assert sol.status == "ROUTING_SUCCESS"
    assert sol.objective == routed_cost(vrptw, sol)


def test_iterated_local_search_is_not_replaced_by_the_start_portfolio(
    vrptw: MatrixProblem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OR-Tools runs the configured metaheuristic, not its iterated local search, from a
    start assignment: asking for iterated local search skips the portfolio."""
    from tournee.routing import solver

    starts: list[str] = []
    best_start = solver._best_start
    monkeypatch.setattr(solver, "_best_start", lambda *a: starts.append("portfolio") or best_start(*a))
    params = SolveParams(time_limit_s=2.0, portfolio_min_time_s=1.0)
    solve_matrix_problem(vrptw, params=params)
    assert starts == ["portfolio"]  # the portfolio runs on this problem and budget ...
    starts.clear()
    sol = solve_matrix_problem(vrptw, params=replace(params, use_iterated_local_search=True))
    assert starts == []  # ... but not under iterated local search
    assert_feasible(vrptw, sol)


def test_unknown_operator_name_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="operators"):
        SolveParams(operators={"teleport": True})


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_repeated_solves_give_their_models_memory_back() -> None:
    """A week plans dozens of models and a server runs for months: a solved model is freed.
    (It used to stay alive through its solution callback, ~15 MB per 220-stop model.)"""
    d = euclidean(np.vstack([[50.0, 50.0], random_points(200, 5)]))
    problem = MatrixProblem(
        distance_m=[d],
        duration_s=[d],
        num_vehicles=5,
        capacities=[[60] * 5],
        demands=[[0] + [1] * 200],
        drop_penalty=[None] + [100_000] * 200,
    )
    params = SolveParams(
        time_limit_s=0.05, first_solution="LOCAL_CHEAPEST_INSERTION", extra_first_solutions=()
    )
    solve_matrix_problem(problem, params=params)  # warm up allocators and caches
    before = _rss_mb()
    for _ in range(20):
        solve_matrix_problem(problem, params=params)
    assert _rss_mb() - before < 40


@pytest.mark.parametrize(("capacity", "expected_dropped"), [(2, 2), (3, 0)])
def test_route_elimination_runs_only_when_every_order_is_served(
    monkeypatch: pytest.MonkeyPatch, capacity: int, expected_dropped: int
) -> None:
    """Six stops of one parcel, two vans: with room for two parcels each, two stops stay out
    and no route could go -- ruin and recreate gets the route-elimination time; with room for
    three, both routes run full and elimination is tried."""
    from tournee.routing import recreate

    calls: list[str] = []
    real_rr, real_eliminate = recreate.ruin_and_recreate, recreate.eliminate_route

    def rr(*args: object, **kwargs: object) -> object:
        calls.append("ruin_and_recreate")
        return real_rr(*args, **kwargs)  # type: ignore[arg-type]

    def eliminate(*args: object, **kwargs: object) -> object:
        calls.append("eliminate_route")
        return real_eliminate(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(recreate, "ruin_and_recreate", rr)
    monkeypatch.setattr(recreate, "eliminate_route", eliminate)
    d = euclidean(np.vstack([[50.0, 50.0], random_points(6, 5)])).astype(np.int64)
    problem = MatrixProblem(
        distance_m=[d],
        duration_s=[d],
        num_vehicles=2,
        capacities=[[capacity, capacity]],
        demands=[[0] + [1] * 6],
        drop_penalty=[None] + [100_000] * 6,
    )
    sol = solve_matrix_problem(problem, params=SolveParams(time_limit_s=1.0))
    assert_feasible(problem, sol)
    assert len(sol.dropped) == expected_dropped
    if expected_dropped:
        assert calls == ["ruin_and_recreate", "ruin_and_recreate"]
    else:
        assert calls[:2] == ["ruin_and_recreate", "eliminate_route"]
