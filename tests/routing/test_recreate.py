"""Specifications of Tournée's own ruin and recreate (real OR-Tools solves check every result)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.routing.test_solver import assert_feasible, euclidean, random_points, routed_cost
from tournee.routing import recreate
from tournee.routing.solver import (
    MatrixProblem,
    SolveParams,
    SolveProgress,
    ruin_recreate_instance,
    solve_matrix_problem,
)

CHECK = SolveParams(time_limit_s=1.0, solution_limit=1, extra_first_solutions=(), ruin_recreate_share=0)
# one cheapest-arc construction, no search: a poor plan for ruin and recreate to improve
CONSTRUCTION = SolveParams(
    first_solution="PATH_CHEAPEST_ARC", solution_limit=1, extra_first_solutions=(), ruin_recreate_share=0
)


def random_problem(
    seed: int, *, n_pairs: int, n_singles: int, vehicles: int, capacity: int, droppable: bool, per_s: int
) -> MatrixProblem:
    """Pairs and single stops with one window each, allowed vehicles, fixed and per-second costs."""
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
        windows.append([(a, a + int(rng.integers(100, 500)))])
    allowed: list[Sequence[int] | None] = [
        None if node == 0 or rng.random() < 0.6 else sorted({int(rng.integers(0, vehicles))})
        for node in range(n)
    ]
    for k in range(n_pairs):
        allowed[1 + n_pairs + k] = allowed[1 + k]
    return MatrixProblem(
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
        vehicle_window=[(int(rng.integers(0, 100)), int(rng.integers(1500, 3000))) for _ in range(vehicles)],
        vehicle_fixed_cost=[int(rng.integers(0, 500))] * vehicles,
        vehicle_cost_per_s=[per_s] * vehicles,
    )


def instance(problem: MatrixProblem) -> recreate.Instance:
    inst = ruin_recreate_instance(problem)
    assert inst is not None
    return inst


def or_tools_check(
    problem: MatrixProblem, routes: Sequence[Sequence[int]]
) -> tuple[tuple[int, ...], ...] | None:
    """The routes as a fresh OR-Tools model reads them back (None if it rejects them)."""
    sol = solve_matrix_problem(replace(problem, initial_routes=[list(r) for r in routes]), params=CHECK)
    return sol.routes if sol.routes == tuple(tuple(r) for r in routes) else None


problems = st.builds(
    random_problem,
    st.integers(0, 10_000),
    n_pairs=st.integers(0, 5),
    n_singles=st.integers(1, 6),
    vehicles=st.integers(1, 3),
    capacity=st.integers(10, 40),
    droppable=st.just(True),
    per_s=st.sampled_from([0, 1, 3]),
)


@settings(max_examples=25, deadline=None)
@given(problem=problems)
def test_routes_are_priced_exactly_as_or_tools_prices_them(problem: MatrixProblem) -> None:
    """Arc costs, fixed costs, the shortest span × per-second cost and the dropped penalties."""
    sol = solve_matrix_problem(
        problem, params=SolveParams(time_limit_s=0.1, extra_first_solutions=(), ruin_recreate_share=0)
    )
    assert recreate.route_costs(instance(problem), sol.routes) == sol.objective


@settings(max_examples=25, deadline=None)
@given(problem=problems, seed=st.integers(0, 100))
def test_every_result_is_feasible_for_or_tools_and_priced_as_it_says(
    problem: MatrixProblem, seed: int
) -> None:
    start = solve_matrix_problem(
        problem, params=SolveParams(time_limit_s=0.05, extra_first_solutions=(), ruin_recreate_share=0)
    )
    found = recreate.ruin_and_recreate(instance(problem), start.routes, time_limit_s=0.05, seed=seed)
    assert found.objective <= found.start_objective == start.objective
    checked = or_tools_check(problem, found.routes)
    assert checked is not None, "OR-Tools rejected the routes"
    sol = solve_matrix_problem(replace(problem, initial_routes=[list(r) for r in found.routes]), params=CHECK)
    assert_feasible(problem, sol)
    assert sol.objective == found.objective


def test_orders_left_out_are_inserted_from_empty_routes() -> None:
    """Every order fits: from routes that serve nothing, every order gets a place."""
    problem = random_problem(3, n_pairs=6, n_singles=6, vehicles=3, capacity=200, droppable=True, per_s=0)
    problem = replace(problem, time_windows=None, allowed_vehicles=None)
    found = recreate.ruin_and_recreate(instance(problem), [[], [], []], time_limit_s=0.2)
    assert sorted(x for r in found.routes for x in r) == list(range(1, 19))
    assert found.objective < found.start_objective == 18 * 100_000
    assert or_tools_check(problem, found.routes) is not None


def test_locked_routes_are_never_touched_and_mandatory_stops_never_left_out() -> None:
    problem = random_problem(11, n_pairs=4, n_singles=4, vehicles=3, capacity=100, droppable=False, per_s=0)
    problem = replace(problem, time_windows=None, allowed_vehicles=None)
    start = solve_matrix_problem(problem, params=SolveParams(time_limit_s=0.1, extra_first_solutions=()))
    locked = next(v for v, r in enumerate(start.routes) if r)
    problem = replace(problem, initial_routes=[list(r) for r in start.routes], locked_vehicles=[locked])
    found = recreate.ruin_and_recreate(instance(problem), start.routes, time_limit_s=0.2, seed=5)
    assert found.routes[locked] == start.routes[locked]
    assert sorted(x for r in found.routes for x in r) == list(range(1, 13))


def test_the_solver_hands_its_routes_to_ruin_and_recreate_and_keeps_the_better_plan() -> None:
    """A first construction alone, then ruin and recreate: reported as its own phase, and cheaper."""
    xy = np.vstack([[50.0, 50.0], random_points(30, 4)])
    d = euclidean(xy)
    problem = MatrixProblem(
        distance_m=[d],
        duration_s=[d],
        num_vehicles=5,
        capacities=[[40] * 5],
        demands=[[0] + [5] * 30],
        service_s=[0] + [5] * 30,
    )
    construction = solve_matrix_problem(problem, params=CONSTRUCTION)
    phases: list[SolveProgress] = []
    sol = solve_matrix_problem(
        problem,
        params=replace(
            CONSTRUCTION,
            time_limit_s=1.0,
            ruin_recreate_share=0.9,
            progress_interval_s=0.0,
        ),
        progress=phases.append,
    )
    assert_feasible(problem, sol)
    assert sol.objective == routed_cost(problem, sol) < construction.objective
    assert any(p.phase == "ruin-and-recreate" for p in phases)
    assert phases[-1].phase == "done"
    assert phases[-1].best_objective == sol.objective


@pytest.mark.parametrize(
    "changes",
    [
        {"time_windows": [None, [(0, 10), (50, 60)], None]},
        {"trip_chains": [([0, 1], 5)], "num_vehicles": 2, "capacities": [[9, 9]]},
    ],
    ids=["two windows on a stop", "trip chains"],
)
def test_problems_outside_its_checks_are_left_to_or_tools(changes: dict[str, object]) -> None:
    d = euclidean(random_points(3, 1))
    problem = MatrixProblem(
        **{
            **{"distance_m": [d], "duration_s": [d], "num_vehicles": 1, "capacities": [[9]]},
            "demands": [[0, 1, 1]],
            **changes,
        }  # type: ignore[arg-type]
    )
    assert ruin_recreate_instance(problem) is None
    sol = solve_matrix_problem(problem, params=SolveParams(time_limit_s=0.3, ruin_recreate_share=0.5))
    assert_feasible(problem, sol)


def test_a_warm_started_solve_keeps_what_ruin_and_recreate_finds() -> None:
    """After a search from initial routes OR-Tools' searched model rejected any routing it was
    handed (ROUTING_FAIL, its own included); the routes are priced in a fresh model."""
    problem = random_problem(1, n_pairs=15, n_singles=5, vehicles=3, capacity=40, droppable=True, per_s=1)
    poor = solve_matrix_problem(problem, params=CONSTRUCTION)
    phases: list[SolveProgress] = []
    sol = solve_matrix_problem(
        replace(problem, initial_routes=[list(r) for r in poor.routes]),
        params=SolveParams(time_limit_s=1.0, ruin_recreate_share=0.7, progress_interval_s=0.0),
        progress=phases.append,
    )
    assert_feasible(problem, sol)
    found = [p.best_objective for p in phases if p.phase == "ruin-and-recreate"]
    assert found, "ruin and recreate improved nothing"
    assert sol.objective == min(found) < poor.objective


def _route_state(inst: recreate.Instance, route: Sequence[int]) -> tuple[bool, tuple[np.ndarray, ...]]:
    """One vehicle's route packed with the schedule arrays the insertion checks read."""
    n, dims = inst.lo.shape[0], inst.dem.shape[0]
    packed, rlen = np.zeros((1, n + 1), dtype=np.int64), np.array([len(route)], dtype=np.int64)
    packed[0, : len(route)] = route
    early, late = np.zeros((1, n + 1), dtype=np.int64), np.zeros((1, n + 1), dtype=np.int64)
    load = np.zeros((dims, 1, n + 1), dtype=np.int64)
    sufmax, sufmin = np.zeros((dims, 1, n + 2), dtype=np.int64), np.zeros((dims, 1, n + 2), dtype=np.int64)
    head, tail = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    v = (inst.transit, inst.profile, inst.start, inst.end, inst.start_lo, inst.start_hi)
    ok = recreate._schedule(
        0, packed, rlen, *v, inst.end_lo, inst.end_hi, inst.lo, inst.hi, inst.dem, inst.cap,
        early, late, load, sufmax, sufmin, head, tail,
    )  # fmt: skip
    return bool(ok), (packed, rlen, early, late, load, sufmax, sufmin, head, tail)


def _arc_cost(inst: recreate.Instance, route: Sequence[int]) -> int:
    nodes = [int(inst.start[0]), *route, int(inst.end[0])]
    return sum(int(inst.cost[0, a, b]) for a, b in pairwise(nodes))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), stops=st.integers(0, 12))
def test_a_pair_goes_to_its_cheapest_feasible_gaps(seed: int, stops: int) -> None:
    """The pair insertion (pruned walk included) finds what trying every gap pair finds.

    Grid (Manhattan) distances obey the triangle inequality, as shortest paths do.
    """
    rng = np.random.default_rng(seed)
    n_pairs = 1 + stops // 2
    n = 1 + 2 * n_pairs
    xy = rng.integers(0, 60, (n, 2))
    d = np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2).astype(np.int64)
    demand = [0] + [int(q) for q in rng.integers(1, 6, n_pairs)]
    demand += [-q for q in demand[1:]]
    windows: list[Sequence[tuple[int, int]] | None] = [None]
    for _ in range(1, n):
        a = int(rng.integers(0, 400))
        windows.append([(a, a + int(rng.integers(60, 600)))])
    problem = MatrixProblem(
        distance_m=[d],
        duration_s=[d],
        num_vehicles=1,
        capacities=[[int(rng.integers(5, 20))]],
        demands=[demand],
        time_windows=windows,
        service_s=[0] + [5] * (n - 1),
        pickups_deliveries=[(1 + k, 1 + n_pairs + k) for k in range(n_pairs)],
        horizon_s=1500,
    )
    inst = instance(problem)
    pu, du = 1, 1 + n_pairs  # the pair to insert; the others make a route, by earliest window
    order = sorted(range(1, n_pairs), key=lambda k: windows[1 + k][0][0])  # type: ignore[index]
    route: list[int] = []
    for k in order:
        trial = [*route, 1 + k, 1 + n_pairs + k]
        if _route_state(inst, trial)[0]:
            route = trial
    ok, state = _route_state(inst, route)
    assert ok
    packed, rlen, early, late, load, sufmax, sufmin, head, tail = state
    base = _arc_cost(inst, route)
    expected = recreate._INF
    for k in range(len(route) + 1):
        for m in range(k, len(route) + 1):
            trial = [*route[:k], pu, *route[k:m], du, *route[m:]]
            if _route_state(inst, trial)[0]:
                expected = min(expected, _arc_cost(inst, trial) - base)

    def best_pair(bound: int) -> tuple[int, int, int]:
        return recreate._best_pair(  # type: ignore[no-any-return]
            pu, du, 0, packed, rlen, inst.transit, inst.cost, inst.profile, inst.start, inst.end,
            inst.lo, inst.hi, inst.dem, inst.cap, inst.per_s, inst.fixed,
            early, late, load, sufmax, sufmin, head, tail, 0.0, bound,
        )  # fmt: skip

    delta, k, m = best_pair(recreate._INF)
    assert delta == expected
    if expected < recreate._INF:
        trial = [*route[:k], pu, *route[k:m], du, *route[m:]]
        assert _route_state(inst, trial)[0]
        assert _arc_cost(inst, trial) - base == expected
        # a bound at the cheapest insertion: nothing cheaper exists
        assert best_pair(expected) == (expected, -1, -1)
        assert best_pair(expected + 1)[0] == expected
    else:
        assert (k, m) == (-1, -1)


def test_a_route_is_eliminated_when_the_others_can_take_its_orders() -> None:
    problem = random_problem(5, n_pairs=3, n_singles=4, vehicles=4, capacity=200, droppable=False, per_s=0)
    # the unused van costs nothing to take out: only the rule keeps the orders off it
    problem = replace(
        problem, time_windows=None, allowed_vehicles=None, vehicle_fixed_cost=[500, 500, 500, 0]
    )
    inst = instance(problem)
    start = [[1, 4, 7, 8], [2, 5, 9], [3, 6, 10], []]  # pairs (1, 4), (2, 5), (3, 6); singles 7-10
    found = recreate.eliminate_route(inst, start, time_limit_s=0.2)
    assert found is not None
    used = {v for v, r in enumerate(found.routes) if r}
    assert len(used) <= 2, "one route fewer"
    assert 3 not in used, "the unused van stays unused"
    assert sorted(x for r in found.routes for x in r) == list(range(1, 11))
    assert found.start_objective == recreate.route_costs(inst, start)
    assert found.objective == recreate.route_costs(inst, found.routes)
    assert or_tools_check(problem, found.routes) is not None


def test_no_route_is_eliminated_when_its_orders_fit_nowhere_else() -> None:
    """Three full vans: emptying one would leave an order out, so there is no such plan."""
    problem = random_problem(5, n_pairs=0, n_singles=3, vehicles=3, capacity=5, droppable=True, per_s=0)
    problem = replace(problem, time_windows=None, allowed_vehicles=None, demands=[[0, 5, 5, 5]])
    inst = instance(problem)
    assert recreate.eliminate_route(inst, [[1], [2], [3]], time_limit_s=0.1) is None
    # nor with a single route, or when the only other routes are locked
    assert recreate.eliminate_route(inst, [[1, 2], [], []], time_limit_s=0.1) is None
    locked = instance(
        replace(problem, demands=[[0, 1, 1, 1]], locked_vehicles=[1, 2], initial_routes=[[1], [2], [3]])
    )
    assert recreate.eliminate_route(locked, [[1], [2], [3]], time_limit_s=0.1) is None


def morning_and_evening(*, fixed: int, vehicles: int = 2) -> MatrixProblem:
    """Two orders, one to fetch and drop between 08:00 and 10:00, one between 18:00 and 20:00.

    Stops 10 minutes apart; every route pays its fixed cost and 1 per second of its span,
    waiting included.
    """
    d = [[0 if i == j else 600 for j in range(5)] for i in range(5)]
    h = 3600
    return MatrixProblem(
        distance_m=[d],
        duration_s=[d],
        num_vehicles=vehicles,
        capacities=[[5] * vehicles],
        demands=[[0, 1, -1, 1, -1]],
        time_windows=[None, [(8 * h, 9 * h)], [(8 * h, 10 * h)], [(18 * h, 19 * h)], [(18 * h, 20 * h)]],
        pickups_deliveries=[(1, 2), (3, 4)],
        horizon_s=24 * h,
        vehicle_fixed_cost=[fixed] * vehicles,
        vehicle_cost_per_s=[1] * vehicles,
    )


def test_a_route_with_idle_hours_is_cut_in_two_onto_an_unused_vehicle() -> None:
    """One vehicle on both rounds pays ~8 idle hours; two vehicles, one a round, cost less."""
    problem = morning_and_evening(fixed=1_000)
    inst = instance(problem)
    one = [[1, 2, 3, 4], []]
    split = recreate.split_routes(inst, one)
    assert split == ((1, 2), (3, 4))
    assert (
        recreate.route_costs(inst, split) == 2 * (1_000 + 3 * 600 + 3 * 600) < recreate.route_costs(inst, one)
    )
    assert or_tools_check(problem, split) is not None
    # the solver gets there from any start: a warm start on one vehicle ends on two
    sol = solve_matrix_problem(
        replace(problem, initial_routes=one), params=SolveParams(time_limit_s=0.5, extra_first_solutions=())
    )
    assert sorted(len(r) for r in sol.routes) == [2, 2]


def test_no_route_is_cut_when_a_second_vehicle_costs_more_than_the_idle_hours() -> None:
    problem = morning_and_evening(fixed=40_000)  # a second route's fixed cost > 8 h idle at 1 / s
    assert recreate.split_routes(instance(problem), [[1, 2, 3, 4], []]) is None
    # nor without an unused vehicle, on a locked route, or onto a vehicle the stops may not use
    cheap = morning_and_evening(fixed=1_000)
    assert recreate.split_routes(instance(replace(cheap, num_vehicles=1, capacities=[[5]],
                                                  vehicle_fixed_cost=[1_000], vehicle_cost_per_s=[1])),
                                 [[1, 2, 3, 4]]) is None  # fmt: skip
    locked = replace(cheap, initial_routes=[[1, 2, 3, 4], []], locked_vehicles=[0])
    assert recreate.split_routes(instance(locked), [[1, 2, 3, 4], []]) is None
    only_first = replace(cheap, allowed_vehicles=[None, [0], [0], [0], [0]])
    assert recreate.split_routes(instance(only_first), [[1, 2, 3, 4], []]) is None


def two_rounds(seed: int, vehicles: int) -> MatrixProblem:
    """Pairs due in an early or a late round, identical vehicles with a random fixed cost and
    per-second cost: one vehicle on both rounds or one vehicle a round, either may be cheaper."""
    rng = np.random.default_rng(seed)
    n_pairs = int(rng.integers(2, 6))
    n = 1 + 2 * n_pairs
    windows: list[Sequence[tuple[int, int]] | None] = [None] * n
    demand = [0] * n
    for k in range(n_pairs):
        a = int(rng.choice([0, 2000])) + int(rng.integers(0, 200))
        windows[1 + k], windows[1 + n_pairs + k] = [(a, a + 300)], [(a, a + 600)]
        q = int(rng.integers(1, 5))
        demand[1 + k], demand[1 + n_pairs + k] = q, -q
    d = euclidean(rng.uniform(0, 100, (n, 2)))
    return MatrixProblem(
        distance_m=[d],
        duration_s=[d],
        num_vehicles=vehicles,
        capacities=[[20] * vehicles],
        demands=[demand],
        time_windows=windows,
        service_s=[0] + [10] * (n - 1),
        pickups_deliveries=[(1 + k, 1 + n_pairs + k) for k in range(n_pairs)],
        drop_penalty=[None] + [100_000] * (n - 1),
        horizon_s=3500,
        vehicle_fixed_cost=[int(rng.integers(0, 1500))] * vehicles,
        vehicle_cost_per_s=[int(rng.integers(0, 4))] * vehicles,
    )


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), vehicles=st.integers(2, 3))
def test_a_route_is_cut_exactly_when_a_feasible_cut_costs_less(seed: int, vehicles: int) -> None:
    """From every order on one vehicle: a cut keeps the stops, is feasible for OR-Tools, priced
    as OR-Tools prices it and strictly cheaper; no cut means no single feasible cheaper cut."""
    problem = two_rounds(seed, vehicles)
    one = replace(
        problem,
        num_vehicles=1,
        capacities=[[20]],
        vehicle_fixed_cost=problem.vehicle_fixed_cost[:1] if problem.vehicle_fixed_cost else None,
        vehicle_cost_per_s=problem.vehicle_cost_per_s[:1] if problem.vehicle_cost_per_s else None,
    )
    start = [list(solve_matrix_problem(one, params=CONSTRUCTION).routes[0])] + [[]] * (vehicles - 1)
    inst = instance(problem)
    before = recreate.route_costs(inst, start)
    split = recreate.split_routes(inst, start)
    if split is not None:
        assert sorted(x for r in split for x in r) == sorted(start[0])
        assert recreate.route_costs(inst, split) < before
        sol = solve_matrix_problem(replace(problem, initial_routes=[list(r) for r in split]), params=CHECK)
        assert sol.routes == split, "OR-Tools rejected the routes"
        assert_feasible(problem, sol)
        assert sol.objective == recreate.route_costs(inst, split)
        return
    route = start[0]
    pair_of = {x: k for k, pd in enumerate(problem.pickups_deliveries) for x in pd}
    for cut in range(1, len(route)):
        if {pair_of[x] for x in route[:cut]} & {pair_of[x] for x in route[cut:]}:
            continue  # a pair would be split between two vehicles
        for keep, moved in ((route[:cut], route[cut:]), (route[cut:], route[:cut])):
            trial = [keep, moved] + [[]] * (vehicles - 2)
            if or_tools_check(problem, trial) is not None:
                assert recreate.route_costs(inst, trial) >= before, f"a cheaper feasible cut at {cut}"
