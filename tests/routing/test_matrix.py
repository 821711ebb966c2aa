"""Integer travel matrices between snapped points (tournee.routing.matrix)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import Delaunay

from tests.routing.test_snap import street_network, synthetic_network, xy
from tournee.domain import InvalidInput, Location, Profile, Site
from tournee.routing.graph import RoadNetwork
from tournee.routing.matrix import (
    POINTS_AS_LEAVES_MIN_POINTS,
    CCHEngine,
    DijkstraEngine,
    RoadTravel,
    make_engine,
    network_key,
    travel_matrices,
)
from tournee.routing.snap import SnappedPoints, Snapper
from tournee.routing.travel import TravelModel

ENGINES = ["cch", "dijkstra"]


def loc(x_m: float, y_m: float) -> Location:
    lon, lat = xy(x_m, y_m)
    return Location(lon=lon, lat=lat)


def random_network(seed: int, n_nodes: int = 60, *, two_way_share: float = 0.7) -> RoadNetwork:
    """A Delaunay street mesh in a 3 km square: mixed one-way/two-way, varied speeds, some zero-time arcs."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 3000, size=(n_nodes, 2))
    edges = set()
    for simplex in Delaunay(pts).simplices:
        for a, b in ((0, 1), (1, 2), (0, 2)):
            u, v = sorted((int(simplex[a]), int(simplex[b])))
            edges.add((u, v))
    arcs = []
    for way, (u, v) in enumerate(sorted(edges)):
        length = int(np.hypot(*(pts[u] - pts[v])) * 1000 * rng.uniform(1.0, 1.2))
        speed = rng.choice([4.0, 8.0, 14.0])  # m/s
        duration = 0 if rng.random() < 0.03 else int(length / speed)
        if rng.random() < two_way_share:
            arcs += [(u, v, length, duration, way), (v, u, length, duration, way)]
        elif rng.random() < 0.5:
            arcs.append((u, v, length, duration, way))
        else:
            arcs.append((v, u, length, duration, way))
    return synthetic_network(arcs, [(float(x), float(y)) for x, y in pts])


def reference_matrices(net: RoadNetwork, pts: SnappedPoints) -> tuple[np.ndarray, np.ndarray]:
    """Independent answer: split every arc at its points, add one out- and one in-node per point, Dijkstra.

    Each point ``i`` gets a source node (joined to the split node on its arc and on its
    twin) and a separate sink node, so no path can U-turn through another point.
    Returns (length_mm, duration_ms) with -1 where unreachable.
    """
    n_nodes, n = net.node_count, len(pts)
    out_node = n_nodes + np.arange(n)
    in_node = n_nodes + n + np.arange(n)
    next_node = n_nodes + 2 * n
    on_arc: dict[int, list[tuple[int, int]]] = {}
    for i in range(n):
        a, off, tw = int(pts.arc[i]), int(pts.offset_mm[i]), int(pts.twin[i])
        on_arc.setdefault(a, []).append((off, i))
        if tw >= 0:
            on_arc.setdefault(tw, []).append((int(net.length_mm[tw]) - off, i))
    rows: dict[str, list[tuple[int, int, int]]] = {"length": [], "duration": []}

    def part(arc: int, off: int, metric: str) -> int:
        if metric == "length":
            return off
        length = int(net.length_mm[arc])
        return int(net.duration_ms[arc]) * off // length if length else 0

    for arc in range(net.arc_count):
        tail, head = int(net.tail[arc]), int(net.head[arc])
        for metric, w in (("length", net.length_mm), ("duration", net.duration_ms)):
            marks = sorted(on_arc.get(arc, []))
            if not marks:
                rows[metric].append((tail, head, int(w[arc])))
                continue
            prev_node, prev_part = tail, 0
            split_of: dict[int, int] = {}
            for off, i in marks:
                if off not in split_of:
                    split_of[off] = next_node
                    next_node += 1
                    p = part(arc, off, metric)
                    rows[metric].append((prev_node, split_of[off], p - prev_part))
                    prev_node, prev_part = split_of[off], p
                s = split_of[off]
                rows[metric] += [(int(out_node[i]), s, 0), (s, int(in_node[i]), 0)]
            rows[metric].append((prev_node, head, int(w[arc]) - prev_part))
    result = []
    for metric in ("length", "duration"):
        r = np.array(rows[metric], dtype=np.int64)
        # Keep the lightest of parallel arcs (CSR would add them up).
        order = np.lexsort((r[:, 2], r[:, 1], r[:, 0]))
        r = r[order]
        keep = np.ones(len(r), dtype=bool)
        keep[1:] = (r[1:, 0] != r[:-1, 0]) | (r[1:, 1] != r[:-1, 1])
        r = r[keep]
        size = max(next_node, n_nodes + 2 * n)
        g = sp.csr_matrix((r[:, 2].astype(float), (r[:, 0], r[:, 1])), shape=(size, size))
        d = dijkstra(g, directed=True, indices=out_node)[:, in_node]
        result.append(np.where(np.isfinite(d), d, -1).astype(np.int64))
    return result[0], result[1]


def random_points(net: RoadNetwork, seed: int, n: int) -> list[tuple[str, Location]]:
    """``n`` seeded points within 0–60 m of random arcs (on their straight geometry)."""
    rng = np.random.default_rng(seed + 1)
    out = []
    for k in range(n):
        arc = int(rng.integers(net.arc_count))
        lon, lat = net.arc_geometry(arc)
        f = rng.uniform(0, 1)
        x, y = lon[0] + f * (lon[-1] - lon[0]), lat[0] + f * (lat[-1] - lat[0])
        out.append((f"p{k}", Location(lon=float(x) + rng.uniform(-3e-4, 3e-4), lat=float(y))))
    return out


# --- hand-checked cases on three streets --------------------------------------------------


@pytest.fixture(params=ENGINES)
def street_engine(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Snapper, object]:
    """The three-street network of test_snap with each engine."""
    net = street_network()
    return Snapper(net), make_engine(net, engine=request.param, cache_dir=tmp_path)


def test_forward_along_the_same_street_is_the_gap_between_the_points(street_engine) -> None:
    snapper, engine = street_engine
    m = travel_matrices(engine, snapper.snap([("a", loc(200, 5)), ("b", loc(700, -5))]))
    assert m.distance_m.tolist() == [[0, 500], [500, 0]]  # two-way: direct both directions
    assert m.duration_s.tolist() == [[0, 50], [50, 0]]
    assert m.reachable.all()


def test_backwards_on_a_one_way_street_goes_round_the_block(street_engine) -> None:
    snapper, engine = street_engine
    m = travel_matrices(engine, snapper.snap([("a", loc(1200, 5)), ("b", loc(1700, 5))]))
    assert m.distance_m[0, 1] == 500
    assert m.duration_s[0, 1] == 25
    # b → a: rest of B→C (300 m, 15 s), C→A (2236 m, 200 s), A→B (1000 m, 100 s), then 200 m (10 s).
    assert m.distance_m[1, 0] == 300 + 2236 + 1000 + 200
    assert m.duration_s[1, 0] == 15 + 200 + 100 + 10


def test_a_point_on_a_two_way_street_can_leave_in_both_directions(street_engine) -> None:
    snapper, engine = street_engine
    # From 100 m after A on A–B to the bent lane near A: leave towards A (100 m), not via B.
    m = travel_matrices(engine, snapper.snap([("shop", loc(100, 0)), ("home", loc(1200, 0))]))
    assert m.distance_m[0, 1] == 900 + 200
    # home → shop: rest of B→C, C→A lane, then 100 m along A→B.
    assert m.distance_m[1, 0] == 800 + 2236 + 100


def test_off_network_points_have_unreachable_rows_and_are_listed(street_engine) -> None:
    snapper, engine = street_engine
    pts = snapper.snap_all([("a", loc(200, 0)), ("far", loc(500, -2000)), ("b", loc(700, 0))])
    m = travel_matrices(engine, pts)
    assert dict(m.off_network) == {"far": 2000}
    assert not m.reachable[1].any()
    assert not m.reachable[:, 1].any()
    assert m.distance_m[1].tolist() == [0, 0, 0]
    assert m.reachable[np.ix_([0, 2], [0, 2])].all()
    assert ("far", "a") in m.unreachable_pairs()
    assert ("a", "b") not in m.unreachable_pairs()


def test_disconnected_pairs_are_reported_never_huge_numbers(tmp_path: Path) -> None:
    nodes = [(0.0, 0.0), (1000.0, 0.0), (0.0, 3000.0), (1000.0, 3000.0)]
    arcs = [(0, 1, 1_000_000, 100_000, 1), (1, 0, 1_000_000, 100_000, 1), (2, 3, 1_000_000, 100_000, 2)]
    net = synthetic_network(arcs, nodes)
    pts = Snapper(net).snap([("south", loc(500, 0)), ("north", loc(500, 3000))])
    for engine in ENGINES:
        m = travel_matrices(make_engine(net, engine=engine, cache_dir=tmp_path), pts)  # type: ignore[arg-type]
        assert m.reachable.tolist() == [[True, False], [False, True]]
        assert m.distance_m[0, 1] == 0
        assert m.duration_s[1, 0] == 0
        assert sorted(m.unreachable_pairs()) == [("north", "south"), ("south", "north")]


def test_unknown_engine_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="engine"):
        make_engine(street_network(), engine="osrm")  # type: ignore[arg-type]


# --- both engines against an independent split-graph reference ------------------------------


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n_points=st.integers(1, 25))
def test_both_engines_equal_the_split_graph_reference_exactly(seed: int, n_points: int) -> None:
    net = random_network(seed, two_way_share=0.6)
    pts = Snapper(net).snap_all(random_points(net, seed, n_points), max_distance_m=10_000)
    ref_len, ref_dur = reference_matrices(net, pts)
    cch = CCHEngine(net)
    for engine, as_leaves in ((cch, False), (cch, True), (DijkstraEngine(net), False)):
        m = travel_matrices(engine, pts, points_as_leaves=as_leaves)
        label = f"{engine.name} points_as_leaves={as_leaves}"
        ok = ref_len >= 0
        assert (m.reachable == ok).all(), label
        assert (m.distance_m[ok] == (ref_len[ok] + 500) // 1000).all(), label
        assert (m.duration_s[ok] == (ref_dur[ok] + 500) // 1000).all(), label


def test_points_at_the_same_place_are_zero_apart_with_points_as_leaves() -> None:
    net = random_network(11, two_way_share=0.5)
    base = random_points(net, 11, 8)
    twice = [*base, *((f"again-{i}", loc) for i, loc in base)]
    pts = Snapper(net).snap_all(twice, max_distance_m=10_000)
    m = travel_matrices(CCHEngine(net), pts, points_as_leaves=True)
    ref = travel_matrices(DijkstraEngine(net), pts)
    assert (m.duration_s == ref.duration_s).all()
    assert (m.distance_m == ref.distance_m).all()
    for k in range(8):
        assert m.duration_s[k, k + 8] == m.duration_s[k + 8, k] == 0


def test_the_elimination_tree_comes_from_the_cached_order_once_per_engine(tmp_path: Path) -> None:
    net = random_network(5)
    pts = Snapper(net).snap_all(random_points(net, 5, 12), max_distance_m=10_000)
    first = travel_matrices(CCHEngine(net, cache_dir=tmp_path), pts, points_as_leaves=True)
    warm = CCHEngine(net, cache_dir=tmp_path)
    assert warm.from_cache
    again = travel_matrices(warm, pts, points_as_leaves=True)
    assert warm.tree() is warm.tree()
    assert (first.duration_s == again.duration_s).all()
    assert (first.distance_m == again.distance_m).all()
    # nothing is built or stored per point set
    assert [p.name.startswith("cch-") for p in tmp_path.iterdir()] == [True]


def test_engines_agree_on_node_tables_of_a_random_mesh() -> None:
    net = random_network(7, n_nodes=200)
    nodes = np.arange(net.node_count, dtype=np.int64)
    cch, dij = CCHEngine(net), DijkstraEngine(net)
    for metric in ("length", "duration"):
        assert (
            cch.node_table(nodes, nodes, metric=metric) == dij.node_table(nodes, nodes, metric=metric)
        ).all()


def test_cch_topology_is_cached_by_network_content(tmp_path: Path) -> None:
    net = random_network(3)
    first = CCHEngine(net, cache_dir=tmp_path)
    second = CCHEngine(net, cache_dir=tmp_path)
    assert not first.from_cache
    assert second.from_cache
    assert (tmp_path / f"cch-{network_key(net)}" / "done").is_file()
    nodes = np.arange(net.node_count, dtype=np.int64)
    assert (
        first.node_table(nodes, nodes, metric="duration")
        == second.node_table(nodes, nodes, metric="duration")
    ).all()
    assert network_key(random_network(4)) != network_key(net)


def test_corrupt_cache_entry_is_rebuilt(tmp_path: Path) -> None:
    net = random_network(5)
    entry = tmp_path / f"cch-{network_key(net)}"
    entry.mkdir()
    (entry / "done").write_text("x")
    engine = CCHEngine(net, cache_dir=tmp_path)
    assert not engine.from_cache
    nodes = np.arange(net.node_count, dtype=np.int64)
    ref = DijkstraEngine(net).node_table(nodes, nodes, metric="length")
    assert (engine.node_table(nodes, nodes, metric="length") == ref).all()


# --- the planner's TravelModel -------------------------------------------------------------


def test_road_travel_is_a_travel_model_with_off_network_reasons(tmp_path: Path) -> None:
    net = street_network()
    travel: TravelModel = RoadTravel({Profile.VAN: net}, cache_dir=tmp_path)
    sites = [
        Site(id="hub", location=loc(100, 0)),
        Site(id="farm", location=loc(500, -2000)),
        Site(id="shop", location=loc(1200, 0)),
    ]
    m = travel.site_matrices(Profile.VAN, sites)
    assert m.site_ids == ("hub", "farm", "shop")
    assert m.distance_m[0, 2] == 1100
    assert set(m.off_network) == {"farm"}
    assert "2000 m" in m.off_network["farm"]
    assert not m.reachable[1].any()
    assert m.distance_m.dtype == np.int64


def test_road_travel_reuses_its_engine_between_calls() -> None:
    travel = RoadTravel({Profile.VAN: street_network()}, engine="dijkstra")
    travel.site_matrices(Profile.VAN, [Site(id="a", location=loc(10, 0))])
    engine = travel.engine(Profile.VAN)
    travel.site_matrices(Profile.VAN, [Site(id="b", location=loc(20, 0))])
    assert travel.engine(Profile.VAN) is engine


def test_only_large_tables_of_the_cch_engine_use_the_compiled_kernels() -> None:
    cch = RoadTravel({Profile.VAN: street_network()})
    assert cch.uses_kernels(POINTS_AS_LEAVES_MIN_POINTS)
    assert not cch.uses_kernels(POINTS_AS_LEAVES_MIN_POINTS - 1)
    assert not RoadTravel({Profile.VAN: street_network()}, engine="dijkstra").uses_kernels(10**6)


def test_road_travel_without_the_profile_network_is_invalid_input() -> None:
    travel = RoadTravel({Profile.VAN: street_network()})
    with pytest.raises(InvalidInput, match="cargo_bike"):
        travel.site_matrices(Profile.CARGO_BIKE, [Site(id="a", location=loc(10, 0))])


def test_road_travel_rejects_duplicate_site_ids() -> None:
    travel = RoadTravel({Profile.VAN: street_network()})
    with pytest.raises(InvalidInput, match="duplicate"):
        travel.site_matrices(
            Profile.VAN, [Site(id="a", location=loc(10, 0)), Site(id="a", location=loc(20, 0))]
        )


def test_concurrent_callers_of_one_engine_get_the_same_tables() -> None:
    """pyroutingkit crashes when one metric serves two tables at once: the engine serialises them."""
    from concurrent.futures import ThreadPoolExecutor

    net = random_network(11, n_nodes=300)
    engine = CCHEngine(net)
    pts = Snapper(net).snap_all(random_points(net, 11, 80), max_distance_m=10_000)
    expected = travel_matrices(engine, pts, threads=1)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: travel_matrices(engine, pts), range(8)))
    for m in results:
        assert (m.distance_m == expected.distance_m).all()
        assert (m.duration_s == expected.duration_s).all()


# --- real OpenStreetMap networks -------------------------------------------------------------


@pytest.fixture(scope="module")
def helsinki(helsinki_pbf: Path) -> dict[Profile, RoadNetwork]:
    """Van and cargo-bike networks of central Helsinki (the embedded map)."""
    from tournee.routing.network import load_networks

    return load_networks(helsinki_pbf, profiles=(Profile.VAN, Profile.CARGO_BIKE), cache_dir=None)


def _crow_m(pts: SnappedPoints) -> np.ndarray:
    lon, lat = np.radians(pts.lon), np.radians(pts.lat)
    a = (
        np.sin((lat[:, None] - lat[None, :]) / 2) ** 2
        + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin((lon[:, None] - lon[None, :]) / 2) ** 2
    )
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))


@pytest.mark.parametrize("profile", [Profile.VAN, Profile.CARGO_BIKE])
def test_engines_give_identical_integers_on_helsinki(
    helsinki: dict[Profile, RoadNetwork], profile: Profile, tmp_path: Path
) -> None:
    from tournee.routing.snap import sample_road_points

    net = helsinki[profile]
    pts = Snapper(net).snap(sample_road_points(net, 150, seed=42))
    cch = travel_matrices(CCHEngine(net, cache_dir=tmp_path), pts)
    dij = travel_matrices(DijkstraEngine(net), pts)
    as_leaves = travel_matrices(CCHEngine(net, cache_dir=tmp_path), pts, points_as_leaves=True)
    assert (as_leaves.distance_m == dij.distance_m).all()
    assert (as_leaves.duration_s == dij.duration_s).all()
    assert (cch.reachable == dij.reachable).all()
    assert (cch.distance_m == dij.distance_m).all()
    assert (cch.duration_s == dij.duration_s).all()
    # The loader keeps the largest strongly connected component: everything is reachable.
    assert cch.reachable.all()
    assert cch.unreachable_pairs() == []
    # A road is never shorter than the straight line (1 m rounding, 1 % projection slack).
    assert (cch.distance_m >= _crow_m(pts) * 0.99 - 1).all()
    off = ~np.eye(len(pts), dtype=bool)
    assert (cch.duration_s[off] > 0).mean() > 0.95


def test_helsinki_sites_at_sea_are_off_the_network(
    helsinki: dict[Profile, RoadNetwork], tmp_path: Path
) -> None:
    from tournee.routing.snap import sample_road_points

    net = helsinki[Profile.VAN]
    on_road = [Site(id=pid, location=p) for pid, p in sample_road_points(net, 5, seed=1)]
    at_sea = Site(
        id="suomenlinna-ferry", location=Location(lon=24.90, lat=59.50)
    )  # out in the Gulf of Finland
    travel = RoadTravel(helsinki, cache_dir=tmp_path)
    m = travel.site_matrices(Profile.VAN, [*on_road, at_sea])
    assert set(m.off_network) == {"suomenlinna-ferry"}
    assert "suomenlinna-ferry" in m.off_network["suomenlinna-ferry"]
    assert not m.reachable[-1].any()
    assert m.reachable[:-1, :-1].all()
    bike = travel.site_matrices(Profile.CARGO_BIKE, on_road)
    assert bike.site_ids == tuple(s.id for s in on_road)


def test_engines_agree_on_saint_barthelemy(shared_maps: Path, tmp_path: Path) -> None:
    from tournee.routing.network import load_network
    from tournee.routing.snap import sample_road_points

    net = load_network(shared_maps / "saint-barthelemy-2014.osm.pbf", profile=Profile.VAN)
    pts = Snapper(net).snap(sample_road_points(net, 120, seed=5))
    cch = travel_matrices(CCHEngine(net, cache_dir=tmp_path), pts)
    dij = travel_matrices(DijkstraEngine(net), pts)
    assert (cch.distance_m == dij.distance_m).all()
    assert (cch.duration_s == dij.duration_s).all()
    assert (cch.reachable == dij.reachable).all()


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), n_points=st.integers(2, 20))
def test_rectangular_tables_equal_the_square_matrices(seed: int, n_points: int) -> None:
    from tournee.routing.matrix import NO_PATH_SUM, rect_table

    net = random_network(seed, two_way_share=0.6)
    pts = Snapper(net).snap_all(random_points(net, seed, n_points), max_distance_m=10_000)
    on = np.flatnonzero(pts.on_network)
    square = travel_matrices(DijkstraEngine(net), pts)
    few, many = pts.subset(on[:2]), pts.subset(on)
    for engine in (CCHEngine(net), DijkstraEngine(net)):
        cache: dict = {}  # type: ignore[type-arg]
        for _ in range(2):  # the second call reads the prepared side from the cache
            length = rect_table(engine, few, many, "length", cache=cache)
            duration = rect_table(engine, few, many, "duration", cache=cache)
            ok = (length < NO_PATH_SUM) & (duration < NO_PATH_SUM)
            block = np.ix_(on[:2], on)
            assert (ok == square.reachable[block]).all()
            assert ((length[ok] + 500) // 1000 == square.distance_m[block][ok]).all()
            assert ((duration[ok] + 500) // 1000 == square.duration_s[block][ok]).all()
