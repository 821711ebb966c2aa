"""Load OpenStreetMap data into routable van and cargo-bike networks.

One pass over the file with pyosmium (node locations resolved by its index) collects every
``highway=*`` way once; each :class:`RoadProfile` (van, cargo bike) then decides which ways it
may use, in which directions and how fast, and :func:`_assemble` turns the chosen ways into a
:class:`~tournee.routing.graph.RoadNetwork`: ways split at junctions (shape points kept as arc
geometry), integer millimetre lengths and millisecond durations, restricted to the largest
strongly connected component, with a report of what was dropped.

Built networks are cached on disk (``.npz``) under a key made of the file's SHA-256, the
profile's rules and the loader version, so a second run on the same extract is near-instant.

osmnx users can build the same networks from ``osmnx.graph_from_place`` and friends
(:func:`network_from_place`, :func:`network_from_point`, :func:`network_from_polygon`,
:func:`network_from_graph`), and export any network to networkx with :func:`to_networkx`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tournee.domain import MapError, Profile
from tournee.routing.graph import LoadReport, RoadNetwork
from tournee.routing.travel import EARTH_RADIUS_M

__all__ = [
    "LOADER_VERSION",
    "OSM_SUFFIXES",
    "RoadProfile",
    "WayRule",
    "load_network",
    "load_networks",
    "network_from_graph",
    "network_from_place",
    "network_from_point",
    "network_from_polygon",
    "parse_maxspeed_kmh",
    "to_networkx",
]

log = logging.getLogger(__name__)

LOADER_VERSION = 1
OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".o5m")

_UNDEFINED_COORD = 2147483647  # osmium's marker for a node whose location is unknown
_COORD_PRECISION = 10_000_000  # osmium stores coordinates as integers × 1e7
_MPH_KMH = 1.609344
_KNOTS_KMH = 1.852
_YES = frozenset({"yes", "true", "1", "designated", "permissive", "destination", "delivery"})
_NO = frozenset({"no", "private", "false", "0", "use_sidepath", "dismount", "agricultural", "forestry"})
_ONEWAY_YES = frozenset({"yes", "true", "1"})
_ONEWAY_REVERSE = frozenset({"-1", "reverse"})
_BIKE_CONTRAFLOW = frozenset({"opposite", "opposite_lane", "opposite_track", "opposite_share_busway"})
_RELEVANT_TAGS = (
    "highway",
    "maxspeed",
    "maxspeed:forward",
    "maxspeed:backward",
    "oneway",
    "oneway:bicycle",
    "junction",
    "access",
    "vehicle",
    "motor_vehicle",
    "motorcar",
    "goods",
    "bicycle",
    "service",
    "area",
    "cycleway",
    "cycleway:left",
    "cycleway:right",
    "cycleway:both",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class WayRule:
    """What a profile does on one way: usable directions and speed (km/h)."""

    forward: bool
    backward: bool
    speed_kmh: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RoadProfile:
    """Which ways a vehicle profile uses and how fast it goes (from ``data/road_profiles.toml``).

    Parameters
    ----------
    profile : Profile
        ``van`` or ``cargo_bike``.
    highways : frozenset of str
        ``highway=*`` values the profile may use.
    tagged_only : frozenset of str
        Of those, the ones usable only when an access tag explicitly opens them.
    access_keys : tuple of str
        Access keys from general to specific (the most specific tag present wins).
    excluded_service : frozenset of str
        ``service=*`` values never used.
    default_speed_kmh : mapping
        Speed per highway type when ``maxspeed`` is absent (van) or always (bike, capped by the limit).
    implicit_maxspeed_kmh : mapping
        ``FR:urban``-style implicit limits.
    max_speed_kmh : float
        Vehicle cap.
    speed_factor : float
        Share of the limit sustained on average (van).
    """

    profile: Profile
    highways: frozenset[str]
    tagged_only: frozenset[str]
    access_keys: tuple[str, ...]
    excluded_service: frozenset[str]
    default_speed_kmh: Mapping[str, float]
    implicit_maxspeed_kmh: Mapping[str, float]
    max_speed_kmh: float
    speed_factor: float

    def __post_init__(self) -> None:
        missing = sorted(self.highways - set(self.default_speed_kmh))
        if missing:
            raise MapError(f"road profile {self.profile}: no default speed for highway types {missing}")
        bad = {k: v for k, v in self.default_speed_kmh.items() if not v > 0}
        if bad or not self.max_speed_kmh > 0 or not 0 < self.speed_factor <= 1:
            raise MapError(f"road profile {self.profile}: speeds and speed_factor must be > 0 (got {bad})")

    @classmethod
    def load(cls, profile: Profile, *, path: Path | None = None) -> RoadProfile:
        """Read a profile from a TOML file (default: the one shipped with Tournée).

        Raises
        ------
        MapError
            If the file is missing, malformed or lacks the profile.
        """
        text = _profiles_text(path)
        try:
            data = tomllib.loads(text)
            section = data[str(profile)]
            return cls(
                profile=profile,
                highways=frozenset(section["highways"]),
                tagged_only=frozenset(section.get("tagged_only", ())),
                access_keys=tuple(section["access_keys"]),
                excluded_service=frozenset(section.get("excluded_service", ())),
                default_speed_kmh={k: float(v) for k, v in section["default_speed_kmh"].items()},
                implicit_maxspeed_kmh={k: float(v) for k, v in data.get("implicit_maxspeed_kmh", {}).items()},
                max_speed_kmh=float(section["max_speed_kmh"]),
                speed_factor=float(section.get("speed_factor", 1.0)),
            )
        except tomllib.TOMLDecodeError as exc:
            raise MapError(f"road profiles {str(path or 'built-in')!r}: not valid TOML ({exc})") from None
        except KeyError as exc:
            raise MapError(
                f"road profiles {str(path or 'built-in')!r}: [{profile}] lacks key {exc}"
            ) from None

    def fingerprint(self) -> str:
        """A short hash of the rules (part of the cache key)."""
        blob = repr(
            (
                sorted(self.highways),
                sorted(self.tagged_only),
                self.access_keys,
                sorted(self.excluded_service),
                sorted(self.default_speed_kmh.items()),
                sorted(self.implicit_maxspeed_kmh.items()),
                self.max_speed_kmh,
                self.speed_factor,
            )
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def rule(self, tags: Mapping[str, str]) -> WayRule | None:
        """Directions and speed on a way with these tags, or ``None`` if the profile may not use it."""
        highway = tags.get("highway", "")
        if highway not in self.highways or tags.get("area") == "yes":
            return None
        if tags.get("service") in self.excluded_service:
            return None
        access = None
        for key in self.access_keys:  # general → specific: the last one present wins
            value = tags.get(key)
            if value is not None:
                access = value.split(";")[0].strip()
        if highway in self.tagged_only:
            if access is None or access not in _YES:
                return None
        elif access is not None and access in _NO:
            return None
        forward, backward = self._directions(tags, highway)
        if not (forward or backward):
            return None
        return WayRule(forward=forward, backward=backward, speed_kmh=self._speed(tags, highway))

    def _directions(self, tags: Mapping[str, str], highway: str) -> tuple[bool, bool]:
        oneway = tags.get("oneway", "").strip().lower()
        implied = highway in ("motorway", "motorway_link") or tags.get("junction") in (
            "roundabout",
            "circular",
        )
        if oneway in _ONEWAY_REVERSE:
            forward, backward = False, True
        elif oneway in _ONEWAY_YES or (implied and oneway != "no"):
            forward, backward = True, False
        else:
            forward, backward = True, True
        if self.profile is Profile.CARGO_BIKE:
            bike = tags.get("oneway:bicycle", "").strip().lower()
            contraflow = any(
                tags.get(k, "") in _BIKE_CONTRAFLOW for k in ("cycleway", "cycleway:left", "cycleway:right")
            )
            if bike == "no" or contraflow:
                forward, backward = True, True
            elif bike in _ONEWAY_YES:
                forward, backward = True, False
            elif bike in _ONEWAY_REVERSE:
                forward, backward = False, True
        return forward, backward

    def _speed(self, tags: Mapping[str, str], highway: str) -> float:
        default = self.default_speed_kmh[highway]
        limit = parse_maxspeed_kmh(tags.get("maxspeed"), self.implicit_maxspeed_kmh)
        if self.profile is Profile.VAN:
            legal = limit if limit is not None else default
            return max(1.0, min(legal, self.max_speed_kmh) * self.speed_factor)
        # A bike rides at its own pace, never above the legal limit.
        speed = min(default, self.max_speed_kmh)
        if limit is not None:
            speed = min(speed, limit)
        return max(1.0, speed * self.speed_factor)


def _profiles_text(path: Path | None) -> str:
    if path is None:
        return (files("tournee.routing") / "data" / "road_profiles.toml").read_text(encoding="utf-8")
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise MapError(f"road profiles {str(path)!r}: cannot read ({exc.strerror})") from None


_SPEED_RE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$", re.IGNORECASE)


def parse_maxspeed_kmh(value: str | None, implicit: Mapping[str, float]) -> float | None:
    """Parse an OSM ``maxspeed`` value to km/h.

    Handles plain numbers, ``mph``/``knots`` units, implicit limits (``FR:urban``,
    ``walk``, ``none``) and several values separated by ``;`` (the lowest is taken, the
    conservative choice for a delivery vehicle).  Returns ``None`` when the value is absent
    or unparseable, so the highway default applies.
    """
    if not value:
        return None
    speeds = []
    for part in value.split(";"):
        part = part.strip()
        if not part:
            continue
        if part in implicit:
            speeds.append(implicit[part])
            continue
        m = _SPEED_RE.match(part)
        if m is None:
            continue
        number = float(m.group(1).replace(",", "."))
        unit = (m.group(2) or "").lower()
        factor = _MPH_KMH if unit == "mph" else _KNOTS_KMH if unit == "knots" else 1.0
        if number > 0:
            speeds.append(number * factor)
    return min(speeds) if speeds else None


# ---------------------------------------------------------------------------------------
# Reading OSM files


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Ways:
    """Every highway way of a file, flat: points of way ``k`` are ``offsets[k]:offsets[k+1]``."""

    way_id: NDArray[np.int64]
    tags: list[dict[str, str]]
    offsets: NDArray[np.int64]
    ref: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    valid: NDArray[np.bool_]


def _check_map_path(path: Path) -> None:
    if not path.exists():
        raise MapError(f"map {str(path)!r}: no such file")
    if not path.is_file():
        raise MapError(f"map {str(path)!r}: not a file")
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise MapError(
            f"map {str(path)!r}: unsupported format; expected an OpenStreetMap file ending in "
            + ", ".join(OSM_SUFFIXES)
        )


def _read_ways(path: Path) -> _Ways:
    import osmium

    way_ids: list[int] = []
    tags: list[dict[str, str]] = []
    lengths: list[int] = []
    points: list[tuple[int, int, int]] = []
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            nodes = [(n.ref, n.x, n.y) for n in way.nodes]  # type: ignore[union-attr]
            if len(nodes) < 2:
                continue
            t = way.tags
            way_ids.append(way.id)
            tags.append({k: v for k in _RELEVANT_TAGS if (v := t.get(k)) is not None})
            lengths.append(len(nodes))
            points.extend(nodes)
    except (RuntimeError, ValueError, OSError) as exc:
        raise MapError(f"map {str(path)!r}: cannot read OpenStreetMap data ({exc})") from None
    if not points:
        return _Ways(
            way_id=np.zeros(0, np.int64),
            tags=[],
            offsets=np.zeros(1, np.int64),
            ref=np.zeros(0, np.int64),
            lon=np.zeros(0),
            lat=np.zeros(0),
            valid=np.zeros(0, bool),
        )
    arr = np.asarray(points, dtype=np.int64)
    valid = (arr[:, 1] != _UNDEFINED_COORD) & (arr[:, 2] != _UNDEFINED_COORD)
    return _Ways(
        way_id=np.asarray(way_ids, dtype=np.int64),
        tags=tags,
        offsets=np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
        ref=arr[:, 0],
        lon=np.where(valid, arr[:, 1], 0) / _COORD_PRECISION,
        lat=np.where(valid, arr[:, 2], 0) / _COORD_PRECISION,
        valid=valid,
    )


# ---------------------------------------------------------------------------------------
# Assembling a network from ways


def _haversine_m(
    lon1: NDArray[np.float64], lat1: NDArray[np.float64], lon2: NDArray[np.float64], lat2: NDArray[np.float64]
) -> NDArray[np.float64]:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=np.float64)


def _ranges(start: NDArray[np.int64], stop: NDArray[np.int64]) -> NDArray[np.int64]:
    """Concatenation of ``arange(start[i], stop[i])`` for every i, vectorised."""
    counts = stop - start
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    base = np.repeat(start - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    return np.asarray(base + np.arange(total), dtype=np.int64)


def _split_points(
    ref: NDArray[np.int64], pair_ok: NDArray[np.bool_], extra: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """Points where arcs start or end: ends of runs of valid pairs, junctions, and ``extra``."""
    n = ref.shape[0]
    before = np.concatenate(([False], pair_ok))  # a valid pair (i-1, i)
    after = np.concatenate((pair_ok, [False]))  # a valid pair (i, i+1)
    used = before | after
    split = used & ~(before & after)  # run starts and ends
    _uniq, inverse, counts = np.unique(ref[used], return_inverse=True, return_counts=True)
    junction = np.zeros(n, dtype=bool)
    junction[np.flatnonzero(used)] = counts[inverse] > 1
    split |= junction
    split[extra] = True
    split &= used
    return split


def _assemble(
    *,
    profile: Profile,
    source: str,
    way_id: NDArray[np.int64],
    offsets: NDArray[np.int64],
    ref: NDArray[np.int64],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    valid: NDArray[np.bool_],
    forward: NDArray[np.bool_],
    backward: NDArray[np.bool_],
    speed_kmh: NDArray[np.float64],
    started: float,
) -> RoadNetwork:
    """Split usable ways at junctions into arcs and keep the largest strongly connected component."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n_ways = way_id.shape[0]
    counts = np.diff(offsets)
    point_way = np.repeat(np.arange(n_ways, dtype=np.int64), counts)
    n = ref.shape[0]
    same_way = point_way[:-1] == point_way[1:] if n > 1 else np.zeros(0, bool)
    pair_ok = same_way & valid[:-1] & valid[1:] if n > 1 else np.zeros(0, bool)
    seg_m = np.zeros(max(n - 1, 0))
    if n > 1:
        seg_m[pair_ok] = _haversine_m(
            lon[:-1][pair_ok], lat[:-1][pair_ok], lon[1:][pair_ok], lat[1:][pair_ok]
        )
    cum_m = np.concatenate(([0.0], np.cumsum(seg_m)))

    extra = np.zeros(0, np.int64)
    for _ in range(3):  # a closed way becomes a self-loop; split it at its middle point
        split = _split_points(ref, pair_ok, extra)
        starts = np.flatnonzero(split)
        after = np.concatenate((pair_ok, [False]))
        arc_start = starts[after[starts]]  # a split point followed by a valid pair opens an arc
        arc_end = starts[np.searchsorted(starts, arc_start, side="right")]
        loops = (ref[arc_start] == ref[arc_end]) & (arc_end - arc_start >= 2)
        if not loops.any():
            break
        extra = np.concatenate((extra, (arc_start[loops] + arc_end[loops]) // 2))
    keep = ref[arc_start] != ref[arc_end]  # degenerate loops (a way [a, a]) carry nobody anywhere
    arc_start, arc_end = arc_start[keep], arc_end[keep]
    arc_way = point_way[arc_start]
    length_m = cum_m[arc_end] - cum_m[arc_start]

    fwd = forward[arc_way]
    bwd = backward[arc_way]
    tail_pt = np.concatenate((arc_start[fwd], arc_end[bwd]))
    head_pt = np.concatenate((arc_end[fwd], arc_start[bwd]))
    a_way = np.concatenate((arc_way[fwd], arc_way[bwd]))
    a_len_m = np.concatenate((length_m[fwd], length_m[bwd]))
    reverse = np.concatenate((np.zeros(int(fwd.sum()), bool), np.ones(int(bwd.sum()), bool)))
    if tail_pt.size == 0:
        raise MapError(f"map {source!r}: no road usable by the {profile} profile")

    node_refs, node_index = np.unique(np.concatenate((ref[tail_pt], ref[head_pt])), return_inverse=True)
    m = tail_pt.shape[0]
    tail = node_index[:m].astype(np.int64)
    head = node_index[m:].astype(np.int64)
    node_pt = np.zeros(node_refs.shape[0], np.int64)
    node_pt[tail] = tail_pt
    node_pt[head] = head_pt

    n_nodes = node_refs.shape[0]
    graph = coo_matrix((np.ones(m, dtype=np.int8), (tail, head)), shape=(n_nodes, n_nodes)).tocsr()
    n_comp, labels = connected_components(graph, directed=True, connection="strong")
    biggest = int(np.bincount(labels).argmax())
    keep_node = labels == biggest
    keep_arc = keep_node[tail] & keep_node[head]
    new_index = np.cumsum(keep_node) - 1

    tail_pt, head_pt, a_way, a_len_m, reverse = (
        tail_pt[keep_arc],
        head_pt[keep_arc],
        a_way[keep_arc],
        a_len_m[keep_arc],
        reverse[keep_arc],
    )
    tail_k = new_index[tail[keep_arc]].astype(np.int32)
    head_k = new_index[head[keep_arc]].astype(np.int32)
    kept_pt = node_pt[keep_node]

    # Geometry: the points of each arc in travel order (reversed for backward arcs).
    lo = np.minimum(tail_pt, head_pt)
    hi = np.maximum(tail_pt, head_pt)
    npts = hi - lo + 1
    geom_offsets = np.concatenate(([0], np.cumsum(npts))).astype(np.int64)
    idx = _ranges(lo, hi + 1)
    flip = np.repeat(reverse, npts)
    local = idx - np.repeat(lo, npts)
    idx = np.where(flip, np.repeat(hi, npts) - local, idx)

    length_mm = np.rint(a_len_m * 1000.0).astype(np.int64)
    speed_ms = speed_kmh[a_way] / 3.6
    duration_ms = np.maximum(np.rint(length_mm / speed_ms), np.where(length_mm > 0, 1, 0)).astype(np.int64)
    report = LoadReport(
        source=source,
        profile=profile,
        nodes=int(keep_node.sum()),
        arcs=int(keep_arc.sum()),
        dropped_nodes=int((~keep_node).sum()),
        dropped_arcs=int((~keep_arc).sum()),
        components=int(n_comp),
        seconds=time.perf_counter() - started,
    )
    log.info(
        "%s/%s: %d nodes, %d arcs kept; %d nodes, %d arcs dropped (%d components)",
        source,
        profile,
        report.nodes,
        report.arcs,
        report.dropped_nodes,
        report.dropped_arcs,
        n_comp,
    )
    return RoadNetwork(
        profile=profile,
        source=source,
        node_lon=lon[kept_pt].copy(),
        node_lat=lat[kept_pt].copy(),
        node_osm_id=node_refs[keep_node].astype(np.int64),
        tail=tail_k,
        head=head_k,
        length_mm=length_mm,
        duration_ms=duration_ms,
        way_id=way_id[a_way].astype(np.int64),
        geom_offsets=geom_offsets,
        geom_lon=lon[idx].copy(),
        geom_lat=lat[idx].copy(),
        report=report,
    )


def _build(ways: _Ways, profile: RoadProfile, *, source: str, started: float) -> RoadNetwork:
    rules = [profile.rule(t) for t in ways.tags]
    use = np.array([r is not None for r in rules], dtype=bool)
    if not use.any():
        raise MapError(f"map {source!r}: no road usable by the {profile.profile} profile")
    chosen = np.flatnonzero(use)
    counts = np.diff(ways.offsets)[chosen]
    idx = _ranges(ways.offsets[chosen], ways.offsets[chosen + 1])
    picked = [r for r in rules if r is not None]
    return _assemble(
        profile=profile.profile,
        source=source,
        way_id=ways.way_id[chosen],
        offsets=np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
        ref=ways.ref[idx],
        lon=ways.lon[idx],
        lat=ways.lat[idx],
        valid=ways.valid[idx],
        forward=np.array([r.forward for r in picked], dtype=bool),
        backward=np.array([r.backward for r in picked], dtype=bool),
        speed_kmh=np.array([r.speed_kmh for r in picked], dtype=np.float64),
        started=started,
    )


# ---------------------------------------------------------------------------------------
# Cache


_ARRAYS = (
    "node_lon",
    "node_lat",
    "node_osm_id",
    "tail",
    "head",
    "length_mm",
    "duration_ms",
    "way_id",
    "geom_offsets",
    "geom_lon",
    "geom_lat",
)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _cache_file(cache_dir: Path, digest: str, profile: RoadProfile) -> Path:
    key = f"{digest[:32]}-{profile.profile}-{profile.fingerprint()}-v{LOADER_VERSION}"
    return cache_dir / "networks" / f"{key}.npz"


def _save(net: RoadNetwork, target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp.npz")
        r = net.report
        np.savez(
            tmp,
            **{name: getattr(net, name) for name in _ARRAYS},
            meta=np.array([r.nodes, r.arcs, r.dropped_nodes, r.dropped_arcs, r.components], dtype=np.int64),
        )
        tmp.replace(target)
    except OSError as exc:  # a read-only cache is not worth failing a plan for
        log.warning("could not cache network in %s: %s", target, exc)


def _load_cached(target: Path, *, profile: Profile, source: str, started: float) -> RoadNetwork | None:
    if not target.is_file():
        return None
    try:
        with np.load(target) as data:
            arrays = {name: np.asarray(data[name]) for name in _ARRAYS}
            meta = [int(v) for v in data["meta"]]
    except (OSError, KeyError, ValueError, EOFError) as exc:
        log.warning("ignoring unreadable network cache %s (%s); rebuilding", target, exc)
        return None
    report = LoadReport(
        source=source,
        profile=profile,
        nodes=meta[0],
        arcs=meta[1],
        dropped_nodes=meta[2],
        dropped_arcs=meta[3],
        components=meta[4],
        seconds=time.perf_counter() - started,
        from_cache=True,
    )
    return RoadNetwork(profile=profile, source=source, report=report, **arrays)


# ---------------------------------------------------------------------------------------
# Public loaders


def load_networks(
    path: Path | str,
    *,
    profiles: Sequence[Profile] = (Profile.VAN, Profile.CARGO_BIKE),
    cache_dir: Path | None = None,
    road_profiles: Mapping[Profile, RoadProfile] | None = None,
) -> dict[Profile, RoadNetwork]:
    """Load one routable network per profile from an OpenStreetMap file.

    Parameters
    ----------
    path : Path
        ``.osm.pbf``, ``.osm``, ``.osm.bz2`` (or ``.osm.gz``/``.o5m``) extract.
    profiles : sequence of Profile, default (van, cargo_bike)
        Which networks to build.
    cache_dir : Path, optional
        Where built networks are cached (``<cache_dir>/networks/*.npz``); no cache when omitted.
    road_profiles : mapping, optional
        Custom :class:`RoadProfile` per profile (default: the shipped rules).

    Returns
    -------
    dict of Profile to RoadNetwork
        Each restricted to its largest strongly connected component; ``net.report`` says
        what was dropped and whether it came from the cache.

    Raises
    ------
    MapError
        Missing file, unsupported or corrupt file, or no road usable by a requested profile.
    """
    started = time.perf_counter()
    path = Path(path)
    _check_map_path(path)
    rules = {p: (road_profiles or {}).get(p) or RoadProfile.load(p) for p in profiles}
    source = path.name
    result: dict[Profile, RoadNetwork] = {}
    digest = file_sha256(path) if cache_dir is not None else ""
    if cache_dir is not None:
        for p in profiles:
            cached = _load_cached(
                _cache_file(cache_dir, digest, rules[p]), profile=p, source=source, started=started
            )
            if cached is not None:
                result[p] = cached
    missing = [p for p in profiles if p not in result]
    if missing:
        ways = _read_ways(path)
        if ways.way_id.size == 0:
            raise MapError(f"map {str(path)!r}: no highway in the file (is it an OpenStreetMap extract?)")
        for p in missing:
            net = _build(ways, rules[p], source=source, started=started)
            if cache_dir is not None:
                _save(net, _cache_file(cache_dir, digest, rules[p]))
            result[p] = net
    return {p: result[p] for p in profiles}


def load_network(
    path: Path | str,
    *,
    profile: Profile = Profile.VAN,
    cache_dir: Path | None = None,
    road_profile: RoadProfile | None = None,
) -> RoadNetwork:
    """Load the network of one profile (see :func:`load_networks`)."""
    custom = {profile: road_profile} if road_profile is not None else None
    return load_networks(path, profiles=(profile,), cache_dir=cache_dir, road_profiles=custom)[profile]


# ---------------------------------------------------------------------------------------
# osmnx / networkx bridge


def _first(value: Any) -> Any:
    """osmnx merges the tags of simplified edges into lists; the first value stands for the edge."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _edge_tags(data: Mapping[str, Any]) -> dict[str, str]:
    tags = {}
    for key in _RELEVANT_TAGS:
        value = _first(data.get(key))
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if isinstance(value, bool):
            value = "yes" if value else "no"
        tags[key] = str(value)
    return tags


def network_from_graph(
    graph: Any, *, profile: Profile, source: str = "osmnx", road_profile: RoadProfile | None = None
) -> RoadNetwork:
    """Build a :class:`RoadNetwork` from an osmnx ``MultiDiGraph`` (e.g. ``network_type="all"``).

    Each edge is kept in its direction when the profile may use the way; a way that the
    profile may ride both ways but osmnx built one-way (``oneway:bicycle=no``) also gets its
    reverse arc.  Node coordinates come from ``x``/``y``, shapes from ``geometry`` when present.

    Raises
    ------
    MapError
        If the graph has no edge usable by the profile.
    """
    started = time.perf_counter()
    rules = road_profile or RoadProfile.load(profile)
    G = graph
    edges = list(G.edges(keys=True, data=True))
    present = {(u, v) for u, v, _k, _d in edges}
    way_ids: list[int] = []
    refs: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    lengths: list[int] = []
    fwd: list[bool] = []
    speeds: list[float] = []
    synthetic = -1  # shape points get negative ids so they never merge with OSM nodes
    for u, v, _k, data in edges:
        tags = _edge_tags(data)
        rule = rules.rule(tags)
        if rule is None:
            continue
        geom = data.get("geometry")
        if geom is not None:
            coords = list(geom.coords)
        else:
            coords = [
                (float(G.nodes[u]["x"]), float(G.nodes[u]["y"])),
                (float(G.nodes[v]["x"]), float(G.nodes[v]["y"])),
            ]
        ids = [int(u)]
        for _ in coords[1:-1]:
            ids.append(synthetic)
            synthetic -= 1
        ids.append(int(v))
        both = rule.forward and rule.backward and (v, u) not in present
        for reverse in (False, True) if both else (False,):
            seq = list(zip(ids, coords, strict=True))
            if reverse:
                seq.reverse()
            way_ids.append(int(_first(data.get("osmid")) or 0))
            lengths.append(len(seq))
            fwd.append(True)
            speeds.append(rule.speed_kmh)
            for node_id, (x, y) in seq:
                refs.append(node_id)
                lons.append(float(x))
                lats.append(float(y))
    if not way_ids:
        raise MapError(f"graph {source!r}: no edge usable by the {profile} profile")
    ref = np.asarray(refs, dtype=np.int64)
    return _assemble(
        profile=profile,
        source=source,
        way_id=np.asarray(way_ids, dtype=np.int64),
        offsets=np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
        ref=ref,
        lon=np.asarray(lons),
        lat=np.asarray(lats),
        valid=np.ones(ref.shape[0], dtype=bool),
        forward=np.asarray(fwd, dtype=bool),
        backward=np.zeros(len(fwd), dtype=bool),
        speed_kmh=np.asarray(speeds),
        started=started,
    )


def _osmnx_fetch(
    fetch: Callable[..., Any], *args: Any, profile: Profile, source: str, **kwargs: Any
) -> RoadNetwork:
    import osmnx as ox

    extra = [t for t in _RELEVANT_TAGS if t not in ox.settings.useful_tags_way]
    ox.settings.useful_tags_way = [*ox.settings.useful_tags_way, *extra]
    try:
        G = fetch(*args, network_type="all", simplify=True, retain_all=False, **kwargs)
    except Exception as exc:  # osmnx raises many kinds (HTTP, empty response, geocoding)
        raise MapError(f"osmnx {source}: download failed ({type(exc).__name__}: {exc})") from None
    return network_from_graph(G, profile=profile, source=f"osmnx {source}")


def network_from_place(query: str, *, profile: Profile, **kwargs: Any) -> RoadNetwork:
    """Download a place's roads with ``osmnx.graph_from_place`` (needs internet) and build a network."""
    import osmnx as ox

    return _osmnx_fetch(ox.graph_from_place, query, profile=profile, source=f"place {query!r}", **kwargs)


def network_from_point(
    center: tuple[float, float], *, dist_m: int, profile: Profile, **kwargs: Any
) -> RoadNetwork:
    """Download the roads within ``dist_m`` of ``center`` = (lat, lon) with osmnx and build a network."""
    import osmnx as ox

    return _osmnx_fetch(
        ox.graph_from_point, center, dist=dist_m, profile=profile, source=f"point {center}", **kwargs
    )


def network_from_polygon(polygon: Any, *, profile: Profile, **kwargs: Any) -> RoadNetwork:
    """Download the roads inside a shapely polygon (lon/lat) with osmnx and build a network."""
    import osmnx as ox

    return _osmnx_fetch(ox.graph_from_polygon, polygon, profile=profile, source="polygon", **kwargs)


def to_networkx(net: RoadNetwork) -> Any:
    """Export a network as an osmnx-compatible ``networkx.MultiDiGraph``.

    Nodes carry ``x``/``y`` (lon/lat) and ``osmid``; edges ``length`` (m), ``travel_time``
    (s), ``osmid`` (way id) and a shapely ``geometry``; the graph's ``crs`` is EPSG:4326, so
    ``osmnx.plot_graph`` or ``networkx.shortest_path(G, u, v, weight="travel_time")`` work.
    """
    import networkx as nx
    import shapely

    G = nx.MultiDiGraph(crs="epsg:4326", name=f"{net.source} {net.profile}")
    for i in range(net.node_count):
        G.add_node(i, x=float(net.node_lon[i]), y=float(net.node_lat[i]), osmid=int(net.node_osm_id[i]))
    lines = shapely.linestrings(
        np.stack((net.geom_lon, net.geom_lat), axis=1),
        indices=np.repeat(np.arange(net.arc_count), np.diff(net.geom_offsets)),
    )
    for a in range(net.arc_count):
        G.add_edge(
            int(net.tail[a]),
            int(net.head[a]),
            length=float(net.length_mm[a]) / 1000.0,
            travel_time=float(net.duration_ms[a]) / 1000.0,
            osmid=int(net.way_id[a]),
            geometry=lines[a],
        )
    return G
