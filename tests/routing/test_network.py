"""Loading OpenStreetMap extracts into van and cargo-bike networks.

Most tests write a tiny OSM XML file themselves: a grid of streets ~100 m apart near
Nantes (France) where each test varies one tag.
"""

from __future__ import annotations

import bz2
from collections.abc import Callable, Sequence
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from tournee.domain import MapError, Profile
from tournee.routing.matrix import make_engine
from tournee.routing.network import (
    RoadProfile,
    load_network,
    load_networks,
    network_from_graph,
    network_from_place,
    parse_maxspeed_kmh,
    to_networkx,
)

LON0, LAT0 = -1.55, 47.21
STEP = 0.0013  # ≈ 100 m in longitude and ≈ 145 m in latitude at this latitude

Way = tuple[int, Sequence[int], dict[str, str]]


def node_xy(node_id: int) -> tuple[float, float]:
    """Node ``10*row + col`` sits on a regular grid."""
    row, col = divmod(node_id, 10)
    return LON0 + col * STEP, LAT0 + row * STEP


def write_osm(path: Path, ways: Sequence[Way], *, extra_nodes: Sequence[int] = ()) -> Path:
    """Write an OSM XML file with the nodes the ways use and the given ways."""
    ids = sorted({n for _, refs, _ in ways for n in refs} | set(extra_nodes))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="tournee-tests">']
    for n in ids:
        lon, lat = node_xy(n)
        lines.append(f'  <node id="{n}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for way_id, refs, tags in ways:
        lines.append(f'  <way id="{way_id}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    text = "\n".join(lines) + "\n"
    if path.name.endswith(".bz2"):
        path.write_bytes(bz2.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def square(tags_top: dict[str, str] | None = None) -> list[Way]:
    """A block of four two-way residential streets, corners 0, 2, 22, 20 (node 1 mid-bottom)."""
    res = {"highway": "residential"}
    return [
        (1, [0, 1, 2], tags_top or res),
        (2, [2, 12, 22], res),
        (3, [22, 21, 20], res),
        (4, [20, 10, 0], res),
    ]


def arcs_between(net, a: int, b: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Arcs from OSM node ``a`` to OSM node ``b``."""
    idx = {int(o): i for i, o in enumerate(net.node_osm_id)}
    if a not in idx or b not in idx:
        return []
    return [i for i in range(net.arc_count) if net.tail[i] == idx[a] and net.head[i] == idx[b]]


@pytest.fixture
def osm_file(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``osm_file(ways, name=...)`` writes a synthetic extract and returns its path."""

    def make(ways: Sequence[Way], *, name: str = "town.osm", extra_nodes: Sequence[int] = ()) -> Path:
        return write_osm(tmp_path / name, ways, extra_nodes=extra_nodes)

    return make


# --- network shape ---------------------------------------------------------------------


def test_ways_are_split_at_junctions_and_keep_their_shape_points(osm_file) -> None:
    net = load_network(osm_file(square()), profile=Profile.VAN)
    # Corners are dead-end-free junctions of two ways; node 1 is a shape point, not a node.
    assert sorted(net.node_osm_id.tolist()) == [0, 2, 20, 22]
    assert net.arc_count == 8  # four two-way streets
    (arc,) = arcs_between(net, 0, 2)
    lon, _lat = net.arc_geometry(arc)
    assert len(lon) == 3  # 0 → 1 → 2
    assert net.length_mm[arc] == pytest.approx(2 * STEP * 111_195 * np.cos(np.radians(LAT0)) * 1000, rel=0.01)


def test_one_way_street_has_a_single_direction_for_the_van(osm_file) -> None:
    net = load_network(osm_file(square({"highway": "residential", "oneway": "yes"})), profile=Profile.VAN)
    assert arcs_between(net, 0, 2)
    assert not arcs_between(net, 2, 0)


def test_oneway_minus_one_runs_against_the_drawing_direction(osm_file) -> None:
    net = load_network(osm_file(square({"highway": "residential", "oneway": "-1"})), profile=Profile.VAN)
    assert arcs_between(net, 2, 0)
    assert not arcs_between(net, 0, 2)


def test_roundabouts_are_one_way_without_an_oneway_tag(osm_file) -> None:
    net = load_network(
        osm_file(square({"highway": "residential", "junction": "roundabout"})), profile=Profile.VAN
    )
    assert arcs_between(net, 0, 2)
    assert not arcs_between(net, 2, 0)


def test_contraflow_for_bikes_when_oneway_bicycle_is_no(osm_file) -> None:
    top = {"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}
    path = osm_file(square(top))
    van = load_network(path, profile=Profile.VAN)
    bike = load_network(path, profile=Profile.CARGO_BIKE)
    assert not arcs_between(van, 2, 0)
    assert arcs_between(bike, 2, 0)
    assert arcs_between(bike, 0, 2)


def test_bikes_respect_one_way_streets_without_an_exception(osm_file) -> None:
    net = load_network(
        osm_file(square({"highway": "residential", "oneway": "yes"})), profile=Profile.CARGO_BIKE
    )
    assert not arcs_between(net, 2, 0)


def test_cycleway_is_for_bikes_only_and_motorway_for_vans_only(osm_file) -> None:
    ways = [
        *square(),
        (5, [0, 11, 22], {"highway": "cycleway"}),
        (6, [2, 13, 24, 4, 2], {"highway": "motorway"}),  # a loop so it stays strongly connected
    ]
    path = osm_file(ways)
    van = load_network(path, profile=Profile.VAN)
    bike = load_network(path, profile=Profile.CARGO_BIKE)
    assert not arcs_between(van, 0, 22)
    assert arcs_between(bike, 0, 22)
    assert 24 in van.node_osm_id.tolist()  # the motorway loop, split at its middle point
    assert 24 not in bike.node_osm_id.tolist()


def test_footway_is_used_by_bikes_only_where_bicycles_are_allowed(osm_file) -> None:
    ways = [
        *square(),
        (5, [0, 11, 22], {"highway": "footway"}),
        (7, [2, 11, 20], {"highway": "footway", "bicycle": "yes"}),
    ]
    bike = load_network(osm_file(ways), profile=Profile.CARGO_BIKE)
    assert not arcs_between(bike, 0, 22)
    assert arcs_between(bike, 2, 20)


def test_private_roads_are_excluded_but_delivery_access_is_allowed(osm_file) -> None:
    ways = [
        *square(),
        (5, [0, 11, 22], {"highway": "service", "access": "private"}),
        (6, [2, 11, 20], {"highway": "service", "access": "private", "motor_vehicle": "delivery"}),
    ]
    van = load_network(osm_file(ways), profile=Profile.VAN)
    assert not arcs_between(van, 0, 22)
    assert arcs_between(van, 2, 20)


def test_tracks_are_driven_only_where_explicitly_open(osm_file) -> None:
    ways = [
        *square(),
        (5, [0, 11, 22], {"highway": "track"}),
        (6, [2, 11, 20], {"highway": "track", "motor_vehicle": "yes"}),
    ]
    van = load_network(osm_file(ways), profile=Profile.VAN)
    assert not arcs_between(van, 0, 22)
    assert arcs_between(van, 2, 20)


def test_disconnected_island_is_dropped_and_reported(osm_file) -> None:
    island = [(9, [55, 56, 57, 55], {"highway": "residential"})]
    net = load_network(osm_file([*square(), *island]), profile=Profile.VAN)
    assert 55 not in net.node_osm_id.tolist()
    assert net.report.components >= 2
    assert net.report.dropped_nodes >= 2
    assert net.report.dropped_arcs >= 4


def test_dead_end_one_way_is_outside_the_strongly_connected_component(osm_file) -> None:
    spur = [(9, [22, 33], {"highway": "residential", "oneway": "yes"})]
    net = load_network(osm_file([*square(), *spur]), profile=Profile.VAN)
    assert 33 not in net.node_osm_id.tolist()
    assert net.report.dropped_arcs == 1


def test_closed_way_is_split_so_no_arc_is_a_self_loop(osm_file) -> None:
    ring = [(1, [0, 1, 2, 12, 22, 21, 20, 10, 0], {"highway": "residential"})]
    net = load_network(osm_file(ring), profile=Profile.VAN)
    assert net.arc_count >= 4
    assert (net.tail != net.head).all()


def test_nodes_missing_from_a_clipped_extract_break_the_way_instead_of_crashing(tmp_path: Path) -> None:
    path = write_osm(tmp_path / "clip.osm", square())
    text = (
        path.read_text()
        .replace('<node id="21" ', '<!-- clipped --><foo id="21" ')
        .replace('<foo id="21" version="1" lat', '<foo id="21" lat')
    )
    text = "\n".join(line for line in text.splitlines() if "<foo" not in line)
    path.write_text(text)
    net = load_network(path, profile=Profile.VAN)
    assert net.arc_count > 0
    assert np.isfinite(net.geom_lon).all()


# --- speeds ------------------------------------------------------------------------------


def duration_per_m(net, a: int, b: int) -> float:  # type: ignore[no-untyped-def]
    (arc,) = arcs_between(net, a, b)
    return float(net.duration_ms[arc]) / float(net.length_mm[arc])


@pytest.mark.parametrize(
    ("tags", "expected_kmh"),
    [
        ({"highway": "residential"}, 30 * 0.85),
        ({"highway": "residential", "maxspeed": "50"}, 50 * 0.85),
        ({"highway": "residential", "maxspeed": "FR:urban"}, 50 * 0.85),
        ({"highway": "primary", "maxspeed": "FR:rural"}, 80 * 0.85),
        ({"highway": "primary", "maxspeed": "30 mph"}, 30 * 1.609344 * 0.85),
        ({"highway": "primary", "maxspeed": "none"}, 110 * 0.85),
        ({"highway": "primary", "maxspeed": "bogus"}, 65 * 0.85),
    ],
)
def test_van_speed_comes_from_maxspeed_then_country_then_highway_defaults(
    osm_file, tags: dict[str, str], expected_kmh: float
) -> None:
    net = load_network(osm_file(square(tags)), profile=Profile.VAN)
    assert 1 / duration_per_m(net, 0, 2) * 3.6 == pytest.approx(expected_kmh, rel=0.01)


def test_bike_rides_at_its_own_pace_but_never_above_the_limit(osm_file) -> None:
    fast = load_network(osm_file(square({"highway": "residential"})), profile=Profile.CARGO_BIKE)
    slow = load_network(
        osm_file(square({"highway": "residential", "maxspeed": "walk"}), name="walk.osm"),
        profile=Profile.CARGO_BIKE,
    )
    assert 1 / duration_per_m(fast, 0, 2) * 3.6 == pytest.approx(15, rel=0.01)
    assert 1 / duration_per_m(slow, 0, 2) * 3.6 == pytest.approx(6, rel=0.01)


def test_maxspeed_parser() -> None:
    implicit = {"FR:urban": 50.0}
    assert parse_maxspeed_kmh("50", implicit) == 50
    assert parse_maxspeed_kmh("50;30", implicit) == 30
    assert parse_maxspeed_kmh("FR:urban", implicit) == 50
    assert parse_maxspeed_kmh("20 mph", implicit) == pytest.approx(32.19, abs=0.01)
    assert parse_maxspeed_kmh("12,5", implicit) == 12.5
    assert parse_maxspeed_kmh("signals?", implicit) is None
    assert parse_maxspeed_kmh(None, implicit) is None


def test_a_custom_profile_file_changes_the_speeds(tmp_path: Path, osm_file) -> None:
    from importlib.resources import files

    text = (files("tournee.routing") / "data" / "road_profiles.toml").read_text()
    custom = tmp_path / "profiles.toml"
    custom.write_text(text.replace("speed_factor = 0.85", "speed_factor = 0.5"))
    rule = RoadProfile.load(Profile.VAN, path=custom)
    net = load_network(osm_file(square()), profile=Profile.VAN, road_profile=rule)
    assert 1 / duration_per_m(net, 0, 2) * 3.6 == pytest.approx(15, rel=0.01)


def test_bad_profile_file_is_a_map_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text("[van]\nhighways = [")
    with pytest.raises(MapError, match=r"p\.toml"):
        RoadProfile.load(Profile.VAN, path=bad)
    bad.write_text("[van]\nhighways = ['residential']\n")
    with pytest.raises(MapError, match="lacks key"):
        RoadProfile.load(Profile.VAN, path=bad)


# --- formats, cache, bad input -----------------------------------------------------------


def test_bz2_compressed_xml_loads_like_plain_xml(osm_file) -> None:
    plain = load_network(osm_file(square()), profile=Profile.VAN)
    packed = load_network(osm_file(square(), name="town.osm.bz2"), profile=Profile.VAN)
    assert packed.arc_count == plain.arc_count
    assert (np.sort(packed.length_mm) == np.sort(plain.length_mm)).all()


def test_second_load_comes_from_the_cache_with_identical_arrays(tmp_path: Path, helsinki_pbf: Path) -> None:
    first = load_networks(helsinki_pbf, cache_dir=tmp_path)
    again = load_networks(helsinki_pbf, cache_dir=tmp_path)
    for profile in (Profile.VAN, Profile.CARGO_BIKE):
        assert not first[profile].report.from_cache
        assert again[profile].report.from_cache
        for name in ("tail", "head", "length_mm", "duration_ms", "geom_offsets", "geom_lon", "node_osm_id"):
            assert np.array_equal(getattr(first[profile], name), getattr(again[profile], name)), name
        assert again[profile].report.dropped_arcs == first[profile].report.dropped_arcs


def test_corrupt_cache_file_is_rebuilt(tmp_path: Path, osm_file) -> None:
    path = osm_file(square())
    load_network(path, profile=Profile.VAN, cache_dir=tmp_path / "c")
    (cached,) = (tmp_path / "c" / "networks").glob("*.npz")
    cached.write_bytes(b"not an npz")
    net = load_network(path, profile=Profile.VAN, cache_dir=tmp_path / "c")
    assert not net.report.from_cache
    assert net.arc_count == 8


def test_missing_file_is_a_map_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(MapError, match=r"nowhere\.osm\.pbf.*no such file"):
        load_networks(tmp_path / "nowhere.osm.pbf")


def test_corrupt_pbf_is_a_map_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"\x00\x00\x00\x0dthis is not a protobuf blob" * 10)
    with pytest.raises(MapError, match=r"broken\.osm\.pbf.*cannot read"):
        load_networks(bad)


def test_unsupported_extension_is_a_map_error(tmp_path: Path) -> None:
    bad = tmp_path / "roads.geojson"
    bad.write_text("{}")
    with pytest.raises(MapError, match="unsupported format"):
        load_networks(bad)


def test_extract_without_roads_is_a_map_error(tmp_path: Path) -> None:
    path = write_osm(tmp_path / "field.osm", [(1, [0, 1, 2], {"landuse": "meadow"})])
    with pytest.raises(MapError, match="no highway"):
        load_networks(path)


def test_extract_with_only_footpaths_has_no_van_network(osm_file) -> None:
    path = osm_file([(1, [0, 1, 2, 12, 0], {"highway": "footway"})])
    with pytest.raises(MapError, match="no road usable by the van"):
        load_network(path, profile=Profile.VAN)


# --- real maps --------------------------------------------------------------------------


def test_helsinki_loads_both_profiles_with_sensible_figures(helsinki_pbf: Path) -> None:
    nets = load_networks(helsinki_pbf)
    van, bike = nets[Profile.VAN], nets[Profile.CARGO_BIKE]
    assert van.node_count > 500
    assert bike.arc_count > van.arc_count  # cycleways and shared paths
    assert (van.duration_ms > 0).all()
    assert (van.length_mm >= 0).all()
    km_per_h = van.length_mm.sum() / van.duration_ms.sum() * 3.6
    assert 15 < km_per_h < 60
    assert van.geom_lon.min() >= -180
    assert van.geom_lat.max() <= 90


@pytest.mark.shared_maps
def test_saint_barthelemy_rural_island_loads(shared_maps: Path) -> None:
    net = load_network(shared_maps / "saint-barthelemy-2014.osm.pbf", profile=Profile.VAN)
    assert net.node_count > 100
    assert net.report.components >= 1


# --- osmnx / networkx bridge --------------------------------------------------------------


def toy_osmnx_graph() -> nx.MultiDiGraph:
    """A hand-made osmnx-style graph (what graph_from_place returns), no download."""
    G = nx.MultiDiGraph(crs="epsg:4326")
    for n in (0, 2, 20, 22):
        x, y = node_xy(n)
        G.add_node(n, x=x, y=y)

    def both(u: int, v: int, **tags: object) -> None:
        G.add_edge(u, v, osmid=100 + u + v, length=100.0, reversed=False, oneway=False, **tags)
        G.add_edge(v, u, osmid=100 + u + v, length=100.0, reversed=True, oneway=False, **tags)

    both(2, 22, highway="residential")
    both(22, 20, highway="residential")
    both(20, 0, highway="residential")
    G.add_edge(
        0,
        2,
        osmid=7,
        length=200.0,
        reversed=False,
        oneway=True,
        highway="residential",
        **{"oneway:bicycle": "no"},
    )
    G.add_edge(0, 22, osmid=8, length=300.0, reversed=False, oneway=False, highway=["motorway", "trunk"])
    return G


def test_osmnx_graph_becomes_the_same_kind_of_network() -> None:
    van = network_from_graph(toy_osmnx_graph(), profile=Profile.VAN)
    bike = network_from_graph(toy_osmnx_graph(), profile=Profile.CARGO_BIKE)
    assert arcs_between(van, 0, 2)
    assert not arcs_between(van, 2, 0)
    assert arcs_between(bike, 2, 0)  # oneway:bicycle=no adds the contraflow arc
    assert not arcs_between(bike, 0, 22)  # list-valued highway: the first value (motorway) rules
    assert arcs_between(van, 0, 22)


def test_network_from_place_downloads_through_osmnx(monkeypatch: pytest.MonkeyPatch) -> None:
    import osmnx as ox

    calls: list[tuple[object, dict[str, object]]] = []

    def fake_graph_from_place(query: object, **kwargs: object) -> nx.MultiDiGraph:
        calls.append((query, kwargs))
        return toy_osmnx_graph()

    monkeypatch.setattr(ox, "graph_from_place", fake_graph_from_place)
    net = network_from_place("Clisson, France", profile=Profile.VAN)
    assert calls[0][0] == "Clisson, France"
    assert calls[0][1]["network_type"] == "all"
    assert "oneway:bicycle" in ox.settings.useful_tags_way
    assert net.node_count == 4


def test_osmnx_download_failure_is_a_map_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import osmnx as ox

    def offline(*_args: object, **_kwargs: object) -> nx.MultiDiGraph:
        raise ConnectionError("no route to host")

    monkeypatch.setattr(ox, "graph_from_place", offline)
    with pytest.raises(MapError, match=r"download failed.*no route to host"):
        network_from_place("Nowhere", profile=Profile.VAN)


def test_networkx_export_gives_the_same_shortest_times_as_the_matrix_engine(helsinki_pbf: Path) -> None:
    net = load_network(helsinki_pbf, profile=Profile.VAN)
    G = to_networkx(net)
    assert G.graph["crs"] == "epsg:4326"
    assert G.number_of_edges() == net.arc_count
    engine = make_engine(net, engine="dijkstra")
    rng = np.random.default_rng(1)
    src = rng.choice(net.node_count, 5, replace=False)
    dst = rng.choice(net.node_count, 5, replace=False)
    table = engine.node_table(src, dst, metric="duration")
    for i, s in enumerate(src):
        lengths = nx.single_source_dijkstra_path_length(G, int(s), weight="travel_time")
        for j, t in enumerate(dst):
            assert round(lengths[int(t)] * 1000) == table[i, j]
