"""Parsers of the literature instances and the independent feasibility checker."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.checker import check_solution
from benchmarks.instances import (
    Instance,
    distance_matrix,
    instance_class,
    instance_paths,
    load_bks,
    natural_key,
    parse_cvrplib,
    parse_cvrplib_solution,
    parse_instance,
    parse_lilim,
    parse_sintef_solution,
    parse_solomon,
)
from tournee.domain.errors import InvalidInput


@pytest.fixture
def tiny_pdptw() -> Instance:
    """Depot at the origin, one pickup-delivery pair (1 → 2) and a lone delivery client (3)."""
    return Instance(
        name="tiny",
        kind="pdptw",
        x=np.array([0.0, 3.0, 3.0, 0.0]),
        y=np.array([0.0, 0.0, 4.0, 4.0]),
        demand=np.array([0, 5, -5, 0]),
        ready=np.array([0.0, 0.0, 0.0, 0.0]),
        due=np.array([100.0, 8.0, 20.0, 30.0]),
        service=np.array([0.0, 1.0, 1.0, 1.0]),
        capacity=5,
        fleet=2,
        pairs=((1, 2),),
    )


# ----------------------------------------------------------------------------- parsers


def test_solomon_c101_has_depot_horizon_fleet_bound_and_100_customers(shared_benchmarks: Path) -> None:
    inst = parse_solomon(shared_benchmarks / "solomon" / "C101.txt")
    assert (inst.name, inst.kind, inst.n, inst.capacity, inst.fleet) == ("C101", "vrptw", 101, 200, 25)
    assert (inst.x[0], inst.y[0], inst.due[0]) == (40, 50, 1236)
    assert (inst.demand[1], inst.ready[1], inst.due[1], inst.service[1]) == (10, 912, 967, 90)


def test_homberger_200_reads_with_the_solomon_format(shared_benchmarks: Path) -> None:
    inst = parse_instance(shared_benchmarks / "homberger" / "200" / "c1_2_1.txt")
    assert (inst.kind, inst.n, inst.capacity, inst.fleet, inst.due[0]) == ("vrptw", 201, 200, 50, 1351)


def test_lilim_pairs_cover_every_customer_once_with_opposite_demands(shared_benchmarks: Path) -> None:
    inst = parse_instance(shared_benchmarks / "lilim" / "100" / "lc101.txt")
    assert inst.kind == "pdptw"
    nodes = [i for pair in inst.pairs for i in pair]
    assert sorted(nodes) == list(range(1, inst.n))
    assert all(inst.demand[p] == -inst.demand[d] > 0 for p, d in inst.pairs)
    assert (3, 75) in inst.pairs


def test_cvrplib_depot_becomes_node_zero_and_arcs_are_rounded(shared_benchmarks: Path) -> None:
    inst = parse_cvrplib(shared_benchmarks / "cvrplib" / "X" / "X-n101-k25.vrp")
    assert (inst.kind, inst.n, inst.capacity, inst.rounding) == ("cvrp", 101, 206, "nint")
    assert (inst.x[0], inst.y[0], inst.demand[0]) == (365, 689, 0)
    assert inst.fleet >= 25
    d = distance_matrix(inst)
    assert np.array_equal(d, np.rint(d))


def test_set_listing_is_in_natural_order(shared_benchmarks: Path) -> None:
    names = [p.stem for p in instance_paths(shared_benchmarks, "homberger200")]
    assert len(names) == 60
    assert names.index("c1_2_2") < names.index("c1_2_10")
    assert len(instance_paths(shared_benchmarks, "solomon")) == 56


def test_unknown_set_is_refused_by_name(shared_benchmarks: Path) -> None:
    with pytest.raises(InvalidInput, match="'nope'"):
        instance_paths(shared_benchmarks, "nope")


def test_bks_table_keeps_both_solomon_conventions(shared_benchmarks: Path) -> None:
    bks = load_bks(shared_benchmarks)
    assert bks["C101"]["hierarchical"].distance == pytest.approx(828.94)
    assert bks["R201"]["hierarchical"].vehicles == 4
    assert bks["R201"]["distance-only"].vehicles == 9
    assert set(bks["lc101"]) == {"hierarchical"}


def test_malformed_lilim_pair_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("25 200 1\n0 0 0 0 0 100 0 0 0\n1 1 1 10 0 50 5 0 2\n2 2 2 -10 0 50 5 3 0\n")
    with pytest.raises(InvalidInput, match="pickup 1 names delivery 2"):
        parse_lilim(bad)


def test_file_without_node_lines_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "empty.txt"
    bad.write_text("EMPTY\nVEHICLE\nNUMBER CAPACITY\n 25 200\n")
    with pytest.raises(InvalidInput, match="not a Solomon"):
        parse_solomon(bad)


def test_classes_and_natural_key() -> None:
    assert [instance_class(n) for n in ("C101", "RC208", "c1_2_1", "lrc104", "X-n101-k25")] == [
        "C1",
        "RC2",
        "c1",
        "lrc1",
        "X",
    ]
    assert sorted(["R110", "R109", "R1010"], key=natural_key) == ["R109", "R110", "R1010"]


# ----------------------------------------------------------------------------- checker


@pytest.mark.parametrize(("folder", "name"), [("lilim/100", "lc101"), ("homberger/200", "r2_2_1")])
def test_stored_bks_routes_are_feasible_and_score_as_the_table(
    shared_benchmarks: Path, folder: str, name: str
) -> None:
    inst = parse_instance(shared_benchmarks / folder / f"{name}.txt")
    (solution,) = (shared_benchmarks / folder / "bks-solutions").glob(f"{name}.*")
    result = check_solution(inst, parse_sintef_solution(solution))
    bks = load_bks(shared_benchmarks)[name]["hierarchical"]
    assert result.feasible, result.violations
    assert result.vehicles == bks.vehicles
    assert result.distance == pytest.approx(bks.distance, abs=0.01)


def test_cvrplib_bks_routes_score_exactly_the_stated_cost(shared_benchmarks: Path) -> None:
    path = shared_benchmarks / "cvrplib" / "X" / "X-n101-k25.vrp"
    routes, cost = parse_cvrplib_solution(path.with_suffix(".sol"))
    result = check_solution(parse_cvrplib(path), routes)
    assert result.feasible, result.violations
    assert result.distance == cost == 27591


def test_checker_catches_a_bks_solution_with_a_delivery_moved_before_its_pickup(
    shared_benchmarks: Path,
) -> None:
    inst = parse_instance(shared_benchmarks / "lilim" / "100" / "lc101.txt")
    (solution,) = (shared_benchmarks / "lilim" / "100" / "bks-solutions").glob("lc101.*")
    routes = parse_sintef_solution(solution)
    pickup, delivery = next((p, d) for p, d in inst.pairs if p in routes[0])
    route = [v for v in routes[0] if v != delivery]
    routes[0] = [delivery, *route]
    result = check_solution(inst, routes)
    assert not result.feasible
    assert any(f"pair {pickup}->{delivery}" in v for v in result.violations)


def test_feasible_tiny_route_scores_its_euclidean_length(tiny_pdptw: Instance) -> None:
    result = check_solution(tiny_pdptw, [[1, 2, 3]])
    assert result.feasible, result.violations
    assert result.distance == pytest.approx(3 + 4 + 3 + 4)
    assert result.vehicles == 1


@pytest.mark.parametrize(
    ("routes", "message"),
    [
        ([[1, 2]], "customers not visited"),
        ([[1, 2, 3], [3]], "visited more than once"),
        ([[2, 1, 3]], "pair 1->2: delivery before pickup"),
        ([[1, 3], [2]], "pair 1->2: on routes"),
        ([[3, 1, 2]], "node 1 served at"),
        ([[1, 2, 3], [], [7]], "not customers"),
    ],
)
def test_checker_names_what_is_wrong(tiny_pdptw: Instance, routes: list[list[int]], message: str) -> None:
    result = check_solution(tiny_pdptw, routes)
    assert not result.feasible
    assert any(message in v for v in result.violations), result.violations


def test_checker_catches_load_above_capacity_and_more_routes_than_the_fleet() -> None:
    inst = Instance(
        name="cap",
        kind="cvrp",
        x=np.zeros(4),
        y=np.arange(4.0),
        demand=np.array([0, 3, 3, 3]),
        ready=np.zeros(4),
        due=np.full(4, math.inf),
        service=np.zeros(4),
        capacity=5,
        fleet=2,
    )
    assert "exceeds capacity" in check_solution(inst, [[1, 2], [3]]).violations[0]
    assert "fleet is 2" in check_solution(inst, [[1], [2], [3]]).violations[0]


@given(st.permutations([1, 2, 3, 4, 5, 6]), st.integers(min_value=1, max_value=6))
def test_checker_distance_is_the_sum_of_the_route_arcs(order: list[int], cut: int) -> None:
    rng = np.random.default_rng(7)
    inst = Instance(
        name="sum",
        kind="cvrp",
        x=rng.uniform(0, 100, 7),
        y=rng.uniform(0, 100, 7),
        demand=np.ones(7, dtype=np.int64),
        ready=np.zeros(7),
        due=np.full(7, math.inf),
        service=np.zeros(7),
        capacity=6,
        fleet=2,
    )
    routes = [order[:cut], order[cut:]]
    d = distance_matrix(inst)
    expected = sum(sum(d[a, b] for a, b in zip([0, *r], [*r, 0], strict=True)) for r in routes if r)
    result = check_solution(inst, routes)
    assert result.feasible
    assert result.distance == pytest.approx(expected, rel=1e-12)
