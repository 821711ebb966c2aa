"""Snapping locations to the nearest road edge (tournee.routing.snap)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tournee.domain import InvalidInput, Location, OffNetwork, Profile
from tournee.routing.graph import LoadReport, RoadNetwork
from tournee.routing.snap import Snapper, twin_arcs

M_PER_DEG = math.pi * 6_371_008.8 / 180.0
LAT0 = 45.0
KX = M_PER_DEG * math.cos(math.radians(LAT0))


def xy(x_m: float, y_m: float) -> tuple[float, float]:
    """(lon, lat) of a point ``x_m`` east and ``y_m`` north of (0°, 45°N)."""
    return x_m / KX, LAT0 + y_m / M_PER_DEG


def synthetic_network(
    arcs: list[tuple[int, int, int, int, int]],
    nodes: list[tuple[float, float]],
    *,
    bends: dict[int, list[tuple[float, float]]] | None = None,
    profile: Profile = Profile.VAN,
) -> RoadNetwork:
    """A RoadNetwork from ``(tail, head, length_mm, duration_ms, way_id)`` arcs and node ``(x_m, y_m)``.

    ``bends`` adds intermediate shape points (metres) to an arc; its reverse twin must
    list them reversed.
    """
    bends = bends or {}
    lonlat = [xy(x, y) for x, y in nodes]
    offsets = [0]
    glon: list[float] = []
    glat: list[float] = []
    for i, (t, h, _l, _d, _w) in enumerate(arcs):
        pts = [lonlat[t], *(xy(x, y) for x, y in bends.get(i, [])), lonlat[h]]
        glon += [p[0] for p in pts]
        glat += [p[1] for p in pts]
        offsets.append(len(glon))
    return RoadNetwork(
        profile=profile,
        source="synthetic",
        node_lon=np.array([p[0] for p in lonlat]),
        node_lat=np.array([p[1] for p in lonlat]),
        node_osm_id=np.arange(len(nodes), dtype=np.int64) + 1000,
        tail=np.array([a[0] for a in arcs], dtype=np.int32),
        head=np.array([a[1] for a in arcs], dtype=np.int32),
        length_mm=np.array([a[2] for a in arcs], dtype=np.int64),
        duration_ms=np.array([a[3] for a in arcs], dtype=np.int64),
        way_id=np.array([a[4] for a in arcs], dtype=np.int64),
        geom_offsets=np.array(offsets, dtype=np.int64),
        geom_lon=np.array(glon),
        geom_lat=np.array(glat),
        report=LoadReport(
            source="synthetic",
            profile=profile,
            nodes=len(nodes),
            arcs=len(arcs),
            dropped_nodes=0,
            dropped_arcs=0,
            components=1,
        ),
    )


def street_network() -> RoadNetwork:
    """Three junctions on a line 1 km apart: A–B a two-way street, B→C one-way, C→A a bent one-way lane.

    ::

        A(0,0) ==two-way, way 1== B(1000,0) --one-way, way 2--> C(2000,0)
        C --way 3, via (1000, 500)--> A
    """
    nodes = [(0.0, 0.0), (1000.0, 0.0), (2000.0, 0.0)]
    arcs = [
        (0, 1, 1_000_000, 100_000, 1),  # 0: A→B, 36 km/h
        (1, 0, 1_000_000, 100_000, 1),  # 1: B→A, twin of 0
        (1, 2, 1_000_000, 50_000, 2),  # 2: B→C one-way, 72 km/h
        (2, 0, 2_236_068, 200_000, 3),  # 3: C→A around the bend
    ]
    return synthetic_network(arcs, nodes, bends={3: [(1000.0, 500.0)]})


def test_point_beside_a_two_way_street_snaps_to_the_edge_not_the_junction() -> None:
    net = street_network()
    snapped = Snapper(net).snap([("shop", Location(lon=xy(250, 40)[0], lat=xy(250, 40)[1]))])
    assert int(snapped.arc[0]) in (0, 1)
    arc = int(snapped.arc[0])
    expected_offset = 250_000 if arc == 0 else 750_000
    assert abs(int(snapped.offset_mm[0]) - expected_offset) <= 50  # within 5 cm
    assert int(snapped.twin[0]) == 1 - arc  # the other direction of the same way
    assert int(snapped.distance_m[0]) == 40
    lon, lat = xy(250, 0)
    assert snapped.lon[0] == pytest.approx(lon, abs=1e-7)
    assert snapped.lat[0] == pytest.approx(lat, abs=1e-7)
    assert bool(snapped.on_network[0])
    assert dict(snapped.off_network) == {}


def test_point_beside_a_one_way_street_has_no_twin() -> None:
    snapped = Snapper(street_network()).snap([("a", Location(lon=xy(1600, -10)[0], lat=xy(1600, -10)[1]))])
    assert int(snapped.arc[0]) == 2
    assert int(snapped.twin[0]) == -1
    assert abs(int(snapped.offset_mm[0]) - 600_000) <= 50


def test_offset_follows_the_bends_of_an_arc() -> None:
    # On the C→(1000,500)→A lane, a point near (500, 250) is on the second half.
    snapped = Snapper(street_network()).snap([("p", Location(lon=xy(500, 260)[0], lat=xy(500, 260)[1]))])
    assert int(snapped.arc[0]) == 3
    frac = int(snapped.offset_mm[0]) / 2_236_068
    assert frac == pytest.approx(0.75, abs=0.01)


def test_point_too_far_from_every_road_is_off_network_naming_id_and_distance() -> None:
    snapper = Snapper(street_network())
    far = xy(500, -900)
    with pytest.raises(OffNetwork, match=r"'farm'.* 900 m") as err:
        snapper.snap(
            [
                ("near", Location(lon=xy(10, 5)[0], lat=xy(10, 5)[1])),
                ("farm", Location(lon=far[0], lat=far[1])),
            ]
        )
    assert err.value.location_id == "farm"
    assert err.value.distance_m == 900


def test_lenient_snap_lists_off_network_ids_instead_of_raising() -> None:
    snapper = Snapper(street_network())
    far = xy(500, -900)
    snapped = snapper.snap_all(
        [("near", Location(lon=xy(10, 5)[0], lat=xy(10, 5)[1])), ("farm", Location(lon=far[0], lat=far[1]))],
        max_distance_m=300,
    )
    assert dict(snapped.off_network) == {"farm": 900}
    assert snapped.on_network.tolist() == [True, False]
    # A larger limit accepts it.
    assert snapper.snap_all(
        [("farm", Location(lon=far[0], lat=far[1]))], max_distance_m=1000
    ).on_network.all()


@pytest.mark.parametrize(
    ("lon", "lat", "field"),
    [(181.0, 45.0, "lon"), (0.0, -91.0, "lat"), (float("nan"), 45.0, "lon"), (0.0, float("inf"), "lat")],
)
def test_coordinates_out_of_range_are_invalid_input(lon: float, lat: float, field: str) -> None:
    class Raw:  # bypasses Location's own validation, as a careless caller could
        def __init__(self) -> None:
            self.lon, self.lat = lon, lat

    with pytest.raises(InvalidInput, match=rf"'bad'.*{field}"):
        Snapper(street_network()).snap([("bad", Raw())])  # type: ignore[list-item]


def test_negative_limit_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="max_distance_m"):
        Snapper(street_network()).snap([], max_distance_m=-1)


def test_empty_input_gives_empty_result() -> None:
    assert len(Snapper(street_network()).snap([])) == 0


def test_twins_pair_the_two_directions_of_a_way_only() -> None:
    assert twin_arcs(street_network()).tolist() == [1, 0, -1, -1]


@given(
    x=st.floats(min_value=-200, max_value=2200, allow_nan=False),
    y=st.floats(min_value=-200, max_value=700, allow_nan=False),
)
def test_snapped_point_is_the_nearest_point_of_the_network(x: float, y: float) -> None:
    """Brute force over the three streets' segments (metres) agrees with the STRtree."""
    segments = [((0, 0), (2000, 0)), ((2000, 0), (1000, 500)), ((1000, 500), (0, 0))]
    best = math.inf
    for (x0, y0), (x1, y1) in segments:
        dx, dy = x1 - x0, y1 - y0
        t = max(0.0, min(1.0, ((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy)))
        best = min(best, math.hypot(x - (x0 + t * dx), y - (y0 + t * dy)))
    lon, lat = xy(x, y)
    snapped = Snapper(street_network()).snap_all([("p", Location(lon=lon, lat=lat))], max_distance_m=10_000)
    assert abs(int(snapped.distance_m[0]) - best) <= 1.0 + best * 0.002
    net = street_network()
    arc = int(snapped.arc[0])
    assert 0 <= int(snapped.offset_mm[0]) <= int(net.length_mm[arc])


def test_sampled_road_points_are_seeded_and_within_the_jitter_of_a_road() -> None:
    from tournee.routing.snap import sample_road_points

    net = street_network()
    first = sample_road_points(net, 50, seed=3, jitter_m=20.0)
    assert first == sample_road_points(net, 50, seed=3, jitter_m=20.0)
    assert first != sample_road_points(net, 50, seed=4, jitter_m=20.0)
    snapped = Snapper(net).snap(first, max_distance_m=21)
    assert int(snapped.distance_m.max()) <= 21
    with pytest.raises(InvalidInput, match="count"):
        sample_road_points(net, -1)


def test_parallel_arcs_of_one_way_are_paired_by_their_shape() -> None:
    # Two lanes of way 9 between the same junctions, one bending north, one south.
    nodes = [(0.0, 0.0), (1000.0, 0.0)]
    arcs = [
        (0, 1, 1_100_000, 110_000, 9),  # 0: north lane A→B
        (0, 1, 1_100_000, 110_000, 9),  # 1: south lane A→B
        (1, 0, 1_100_000, 110_000, 9),  # 2: south lane B→A
        (1, 0, 1_100_000, 110_000, 9),  # 3: north lane B→A
    ]
    bends = {0: [(500.0, 200.0)], 1: [(500.0, -200.0)], 2: [(500.0, -200.0)], 3: [(500.0, 200.0)]}
    net = synthetic_network(arcs, nodes, bends=bends)
    assert twin_arcs(net).tolist() == [3, 2, 1, 0]
