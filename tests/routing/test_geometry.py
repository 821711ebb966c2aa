"""Road polylines between snapped points (tournee.routing.geometry)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.routing.test_matrix import loc, random_network, random_points
from tests.routing.test_snap import street_network, synthetic_network, xy
from tournee.domain import InvalidInput, OffNetwork, Unreachable
from tournee.routing.geometry import route_geometry, sequence_geometry
from tournee.routing.matrix import CCHEngine, DijkstraEngine, make_engine, travel_matrices
from tournee.routing.snap import Snapper


def metres(line: list[tuple[float, float]]) -> list[tuple[int, int]]:
    """A polyline back in the test grid's metres, rounded."""
    kx = xy(1, 0)[0]
    ky = xy(0, 1)[1] - xy(0, 0)[1]
    return [(round(lon / kx), round((lat - 45.0) / ky)) for lon, lat in line]


@pytest.fixture(params=["cch", "dijkstra"])
def engine_name(request: pytest.FixtureRequest) -> str:
    """Each matrix engine."""
    return str(request.param)


def test_points_on_one_street_are_joined_by_the_piece_between_them(engine_name: str) -> None:
    net = street_network()
    pts = Snapper(net).snap([("a", loc(200, 5)), ("b", loc(700, -5))])
    line = route_geometry(make_engine(net, engine=engine_name), pts, 0, 1)  # type: ignore[arg-type]
    assert metres(line) == [(200, 0), (700, 0)]


def test_backwards_on_a_one_way_street_the_line_goes_round_the_block(engine_name: str) -> None:
    net = street_network()
    pts = Snapper(net).snap([("a", loc(1200, 5)), ("b", loc(1700, 5))])
    line = route_geometry(make_engine(net, engine=engine_name), pts, 1, 0)  # type: ignore[arg-type]
    assert metres(line) == [(1700, 0), (2000, 0), (1000, 500), (0, 0), (1000, 0), (1200, 0)]


def test_a_sequence_of_stops_is_one_continuous_line(engine_name: str) -> None:
    net = street_network()
    pts = Snapper(net).snap([("hub", loc(100, 0)), ("a", loc(600, 0)), ("b", loc(1500, 0))])
    line = sequence_geometry(make_engine(net, engine=engine_name), pts, [0, 1, 2, 0])  # type: ignore[arg-type]
    assert metres(line) == [
        (100, 0),
        (600, 0),
        (1000, 0),
        (1500, 0),
        (2000, 0),
        (1000, 500),
        (0, 0),
        (100, 0),
    ]


def test_geometry_of_unreachable_or_off_network_points_is_a_domain_error() -> None:
    nodes = [(0.0, 0.0), (1000.0, 0.0), (0.0, 3000.0), (1000.0, 3000.0)]
    arcs = [(0, 1, 1_000_000, 100_000, 1), (2, 3, 1_000_000, 100_000, 2)]
    net = synthetic_network(arcs, nodes)
    pts = Snapper(net).snap_all([("south", loc(500, 0)), ("north", loc(500, 3000)), ("sea", loc(500, 1500))])
    engine = DijkstraEngine(net)
    with pytest.raises(Unreachable, match="'south' to 'north'"):
        route_geometry(engine, pts, 0, 1)
    with pytest.raises(OffNetwork, match="'sea'"):
        route_geometry(engine, pts, 0, 2)
    with pytest.raises(InvalidInput, match="origin"):
        route_geometry(engine, pts, 7, 0)
    with pytest.raises(InvalidInput, match="at least one"):
        sequence_geometry(engine, pts, [])


def _length_m(line: list[tuple[float, float]]) -> float:
    kx = math.cos(math.radians(45.0)) * 111_195.08
    return sum(
        math.hypot((b[0] - a[0]) * kx, (b[1] - a[1]) * 111_195.08) for a, b in itertools.pairwise(line)
    )


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 5_000))
def test_line_runs_from_origin_to_destination_and_is_at_least_the_shortest_distance(seed: int) -> None:
    """Arc lengths are 1.0–1.2 × their straight geometry, so a drawn route is ≥ shortest/1.2."""
    net = random_network(seed, n_nodes=40)
    pts = Snapper(net).snap_all(random_points(net, seed, 6), max_distance_m=10_000)
    engine = CCHEngine(net)
    m = travel_matrices(engine, pts)
    for i in range(len(pts)):
        for j in range(len(pts)):
            if not m.reachable[i, j]:
                with pytest.raises(Unreachable):
                    route_geometry(engine, pts, i, j)
                continue
            line = route_geometry(engine, pts, i, j)
            assert line[0] == pytest.approx((pts.lon[i], pts.lat[i]), abs=1e-7)
            assert line[-1] == pytest.approx((pts.lon[j], pts.lat[j]), abs=1e-7)
            assert _length_m(line) >= m.distance_m[i, j] / 1.2 - 2.0
            assert np.isfinite(np.array(line)).all()


def test_helsinki_route_follows_the_road_and_is_no_shorter_than_the_shortest_distance(
    helsinki_pbf: pytest.TempPathFactory,
) -> None:
    from tournee.domain import Profile
    from tournee.routing.network import load_network
    from tournee.routing.snap import sample_road_points

    net = load_network(helsinki_pbf, profile=Profile.VAN)  # type: ignore[arg-type]
    pts = Snapper(net).snap(sample_road_points(net, 6, seed=8))
    engine = make_engine(net)
    m = travel_matrices(engine, pts)
    line = sequence_geometry(engine, pts, [0, 1, 2, 3, 4, 5, 0])
    assert line[0] == pytest.approx((pts.lon[0], pts.lat[0]), abs=1e-7)
    assert line[-1] == pytest.approx((pts.lon[0], pts.lat[0]), abs=1e-7)
    lat0 = float(np.mean(pts.lat))
    kx = math.cos(math.radians(lat0)) * 111_195.08
    drawn = sum(
        math.hypot((b[0] - a[0]) * kx, (b[1] - a[1]) * 111_195.08) for a, b in itertools.pairwise(line)
    )
    shortest = sum(
        int(m.distance_m[i, j]) for i, j in zip([0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 0], strict=True)
    )
    assert drawn >= shortest * 0.99 - 6
    assert drawn <= shortest * 2.0  # the fastest route is not an absurd detour
