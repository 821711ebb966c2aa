"""Integer many-to-many travel matrices between snapped points of a road network.

Two metrics, two engines, one answer:

* ``duration_s`` is the travel time of the **fastest** path (arc weights
  ``duration_ms``); ``distance_m`` is the length of the **shortest** path (arc weights
  ``length_mm``), computed as a second metric on the same topology.  The two may
  follow different roads: the length of the fastest path is not unique when several
  fastest paths tie, so two correct engines could disagree on it, and a CCH table
  cannot return it without unpacking every one of the n² paths.  The shortest distance
  is a lower bound of the driven distance (use it as such, e.g. for CO2e it is
  optimistic by the detour the fastest path takes).
* ``engine="cch"`` uses RoutingKit's customizable contraction hierarchies
  (``pyroutingkit``): a one-off topology build (cached on disk keyed by the network's
  content, :func:`network_key`) then two customizations (≈ 10 ms each) and fast
  tables.  From 600 points on, tables come from the CCH's elimination tree with the
  points hung as leaves (:mod:`tournee.routing.elimination`, numba kernels on
  RoutingKit's order): 2,000 × 2,000 on Porto in a fraction of a second.
  ``engine="dijkstra"`` runs ``scipy.sparse.csgraph.dijkstra`` from every
  source node in chunks: no preparation, slower, dependency-light.  Both return the
  same integers (tests cross-check them on real maps).

Partial edges: a point snapped at ``offset`` along arc ``a`` leaves by the rest of
``a`` (or the rest of its reverse twin on a two-way way), then follows the graph, then
enters its destination arc for the offset part; two points on the same arc (or twin)
in driving order are joined directly.  Weights are split in proportion to the offset
with integer floor division, so every sum stays exact in millimetres / milliseconds;
matrices round to metres and seconds once, at the end.  Pairs with no route are
marked in ``reachable`` (and listed by :meth:`TravelMatrices.unreachable_pairs`), never
replaced by a large number.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from tournee.domain import InvalidInput, MapError, Profile, Site
from tournee.routing.graph import RoadNetwork
from tournee.routing.snap import DEFAULT_MAX_SNAP_M, SnappedPoints, Snapper
from tournee.routing.travel import SiteMatrices

if TYPE_CHECKING:  # numba loads on first use (≈ 0.3 s), not with every import
    from tournee.routing.elimination import EliminationTree

__all__ = [
    "NO_PATH_SUM",
    "CCHEngine",
    "DijkstraEngine",
    "EngineName",
    "MatrixEngine",
    "RoadTravel",
    "SideCache",
    "TravelMatrices",
    "make_engine",
    "network_key",
    "rect_table",
    "travel_matrices",
]

log = logging.getLogger(__name__)

EngineName = Literal["cch", "dijkstra"]
Metric = Literal["length", "duration"]

_NO_PATH = np.int64(-1)
_BIG = np.int64(1) << np.int64(60)  # larger than any real path sum, small enough to add thrice
_CCH_VERSION = "pyroutingkit-0.2.1-cch-v1"


def network_key(net: RoadNetwork) -> str:
    """A content hash of a network's topology and node coordinates (hex, 24 chars).

    Two networks with the same arcs and node positions share a CCH topology, whatever
    their weights; the key names the on-disk cache entry.
    """
    h = hashlib.sha256()
    h.update(_CCH_VERSION.encode())
    h.update(np.int64(net.node_count).tobytes())
    for ints in (net.tail, net.head):
        h.update(np.ascontiguousarray(ints, dtype=np.uint32).tobytes())
    for coords in (net.node_lat, net.node_lon):
        h.update(np.ascontiguousarray(coords, dtype=np.float32).tobytes())
    return h.hexdigest()[:24]


class MatrixEngine(Protocol):
    """Shortest-path tables between graph nodes for one network."""

    name: str
    net: RoadNetwork
    prep_seconds: float

    def node_table(
        self, sources: NDArray[np.int64], targets: NDArray[np.int64], *, metric: Metric
    ) -> NDArray[np.int64]:
        """Shortest ``metric`` sums (mm or ms) from each source to each target node; -1 if none."""
        ...

    def arc_path(self, source: int, target: int, *, metric: Metric) -> list[int] | None:
        """The arcs of one shortest path between two nodes, or None if unreachable."""
        ...


def _weights(net: RoadNetwork, metric: Metric) -> NDArray[np.int64]:
    return net.length_mm if metric == "length" else net.duration_ms


def _check_weights(net: RoadNetwork, limit: int) -> None:
    for metric in ("length", "duration"):
        w = _weights(net, metric)  # type: ignore[arg-type]
        if w.shape[0] and (int(w.min()) < 0 or int(w.max()) >= limit):
            raise MapError(
                f"map {net.source!r} ({net.profile}): arc {metric} must be within [0, {limit}), "
                f"got [{int(w.min())}, {int(w.max())}]"
            )


class CCHEngine:
    """RoutingKit customizable contraction hierarchies (``pyroutingkit``).

    Parameters
    ----------
    net : RoadNetwork
        The network (sums must stay below 2³¹-1: 2,147 km and 596 h per path).
    cache_dir : Path, optional
        Where to keep the topology (``cch-<network_key>/``); rebuilt when absent.
    """

    name = "cch"

    def __init__(self, net: RoadNetwork, *, cache_dir: Path | None = None) -> None:
        import pyroutingkit as prk

        self.net = net
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._inf = int(prk.INF_WEIGHT)
        _check_weights(net, self._inf)
        start = time.perf_counter()
        topo = prk.CCHTopology()
        self.from_cache = False
        entry = Path(cache_dir) / f"cch-{network_key(net)}" if cache_dir is not None else None
        if entry is not None and (entry / "done").is_file():
            try:
                topo.load(str(entry))
                self.from_cache = bool(topo.is_built) and int(topo.node_count) == net.node_count
            except (OSError, RuntimeError, ValueError) as exc:
                log.warning("CCH cache %s unreadable (%s); rebuilding", entry, exc)
            if not self.from_cache:
                topo = prk.CCHTopology()
        if not self.from_cache:
            topo.build(
                np.ascontiguousarray(net.tail, dtype=np.uint32),
                np.ascontiguousarray(net.head, dtype=np.uint32),
                np.ascontiguousarray(net.node_lat, dtype=np.float32),
                np.ascontiguousarray(net.node_lon, dtype=np.float32),
                net.node_count,
            )
            if entry is not None:
                self._save(topo, entry)
        self.topology_seconds = time.perf_counter() - start
        self._entry = entry if entry is not None and (entry / "done").is_file() else None
        self._tree: tuple[EliminationTree, dict[str, tuple[NDArray[np.int64], NDArray[np.int64]]]] | None = (
            None
        )
        self._tree_lock = threading.Lock()
        self._metrics = {}
        # One CCHMetric must never answer two tables at once (pyroutingkit 0.2.1 crashes
        # with a segfault); the two metrics may run side by side (the GIL is released).
        self._locks = {"length": threading.Lock(), "duration": threading.Lock()}
        for metric in ("length", "duration"):
            m = prk.CCHMetric(topo)
            m.customize(np.ascontiguousarray(_weights(net, metric), dtype=np.uint32))  # type: ignore[arg-type]
            self._metrics[metric] = m
        self._topo = topo  # the metrics refer to it
        self.prep_seconds = time.perf_counter() - start
        log.info(
            "CCH for %s/%s: %.2f s (%s)",
            net.source,
            net.profile,
            self.prep_seconds,
            "topology from cache" if self.from_cache else "topology built",
        )

    @staticmethod
    def _save(topo: object, entry: Path) -> None:
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".cch-", dir=entry.parent))
            topo.save(str(tmp))  # type: ignore[attr-defined]
            (tmp / "done").write_text(_CCH_VERSION, encoding="utf-8")
            try:
                os.replace(tmp, entry)
            except OSError:  # another process won the race, or a stale entry exists
                shutil.rmtree(entry, ignore_errors=True)
                try:
                    os.replace(tmp, entry)
                except OSError:
                    shutil.rmtree(tmp, ignore_errors=True)
        except OSError as exc:
            log.warning("could not cache the CCH topology in %s: %s", entry, exc)

    def tree(self) -> tuple[EliminationTree, dict[str, tuple[NDArray[np.int64], NDArray[np.int64]]]]:
        """The elimination tree of RoutingKit's order, customized for both metrics (built once).

        Also loads the numba kernels (compiled once per install, ≈ 6 s, then cached on disk).
        """
        with self._tree_lock:
            if self._tree is None:
                from tournee.routing.elimination import EliminationTree, warm_up

                start = time.perf_counter()
                warm_up()  # every kernel now, not inside the first table
                order = self._order()
                tree = EliminationTree.build(self.net.tail, self.net.head, order)
                metrics = {m: tree.customize(_weights(self.net, m)) for m in ("length", "duration")}  # type: ignore[arg-type]
                self._tree = (tree, metrics)
                log.info(
                    "elimination tree for %s/%s: %d chordal arcs, depth %d, %.2f s",
                    self.net.source,
                    self.net.profile,
                    tree.arc_count,
                    int(tree.depth.max(initial=0)),
                    time.perf_counter() - start,
                )
            return self._tree

    def _order(self) -> NDArray[np.int64]:
        """RoutingKit's nested-dissection order (the topology's ``order`` file: raw uint32)."""
        n = self.net.node_count
        if self._entry is not None:
            order = np.fromfile(self._entry / "order", dtype="<u4")
        else:
            tmp = Path(tempfile.mkdtemp(prefix="tournee-cch-"))
            try:
                self._topo.save(str(tmp))
                order = np.fromfile(tmp / "order", dtype="<u4")
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        order = order.astype(np.int64)
        if order.shape[0] != n or not np.array_equal(np.sort(order), np.arange(n)):
            raise MapError(f"map {self.net.source!r}: the CCH order is not a permutation of the {n} nodes")
        return order

    def node_table(
        self, sources: NDArray[np.int64], targets: NDArray[np.int64], *, metric: Metric
    ) -> NDArray[np.int64]:
        """Shortest sums between nodes (mm or ms), -1 where unreachable."""
        with self._locks[metric]:
            raw = self._metrics[metric].distances_many_to_many(
                np.ascontiguousarray(sources, dtype=np.uint32), np.ascontiguousarray(targets, dtype=np.uint32)
            )
        out = np.asarray(raw, dtype=np.int64).reshape(len(sources), len(targets))
        out[out >= self._inf] = _NO_PATH
        return out

    def arc_path(self, source: int, target: int, *, metric: Metric) -> list[int] | None:
        """The arcs of a shortest path (RoutingKit's choice among ties)."""
        if source == target:
            return []
        with self._locks[metric]:
            dist, _nodes, arcs = self._metrics[metric].query(int(source), int(target))
        if int(dist) >= self._inf:
            return None
        return [int(a) for a in arcs]


class DijkstraEngine:
    """``scipy.sparse.csgraph.dijkstra`` from each source node, in memory-bounded chunks.

    Parameters
    ----------
    net : RoadNetwork
        The network.
    chunk_cells : int, default 8_000_000
        Upper bound on sources × nodes computed at once (8 bytes each).
    """

    name = "dijkstra"

    def __init__(self, net: RoadNetwork, *, chunk_cells: int = 8_000_000) -> None:
        start = time.perf_counter()
        self.net = net
        self.from_cache = False
        self._chunk = max(1, chunk_cells // max(1, net.node_count))
        _check_weights(net, 1 << 52)  # float64 sums stay exact below 2**53
        self._graphs: dict[str, sp.csr_matrix] = {}
        self._best_arc: dict[str, dict[tuple[int, int], int]] = {}
        n = net.node_count
        for metric in ("length", "duration"):
            w = _weights(net, metric)  # type: ignore[arg-type]
            # Parallel arcs: keep the lightest (a CSR build would add them up).
            order = np.lexsort((w, net.head, net.tail))
            t, h, ww = net.tail[order], net.head[order], w[order]
            first = np.ones(len(order), dtype=bool)
            first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
            g = sp.csr_matrix(
                (ww[first].astype(np.float64), (t[first].astype(np.int64), h[first].astype(np.int64))),
                shape=(n, n),
            )
            self._graphs[metric] = g
            self._best_arc[metric] = dict(
                zip(
                    zip(t[first].tolist(), h[first].tolist(), strict=True),
                    order[first].tolist(),
                    strict=True,
                )
            )
        self.prep_seconds = time.perf_counter() - start

    def node_table(
        self, sources: NDArray[np.int64], targets: NDArray[np.int64], *, metric: Metric
    ) -> NDArray[np.int64]:
        """Shortest sums between nodes (mm or ms), -1 where unreachable."""
        g = self._graphs[metric]
        out = np.empty((len(sources), len(targets)), dtype=np.int64)
        tgt = np.asarray(targets, dtype=np.int64)
        for lo in range(0, len(sources), self._chunk):
            chunk = np.asarray(sources[lo : lo + self._chunk], dtype=np.int64)
            d = np.atleast_2d(dijkstra(g, directed=True, indices=chunk))[:, tgt]
            block = np.full(d.shape, _NO_PATH, dtype=np.int64)
            finite = np.isfinite(d)
            block[finite] = d[finite].astype(np.int64)
            out[lo : lo + len(chunk)] = block
        return out

    def arc_path(self, source: int, target: int, *, metric: Metric) -> list[int] | None:
        """The arcs of a shortest path (scipy's choice among ties)."""
        if source == target:
            return []
        _d, pred = dijkstra(
            self._graphs[metric], directed=True, indices=int(source), return_predecessors=True
        )
        if pred[int(target)] < 0:
            return None
        nodes = [int(target)]
        while nodes[-1] != int(source):
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        best = self._best_arc[metric]
        return [best[(a, b)] for a, b in itertools.pairwise(nodes)]


def make_engine(
    net: RoadNetwork, *, engine: EngineName = "cch", cache_dir: Path | None = None
) -> MatrixEngine:
    """Prepare a matrix engine for ``net``.

    Parameters
    ----------
    net : RoadNetwork
        The network.
    engine : {"cch", "dijkstra"}, default "cch"
        Which engine; both give the same integers.
    cache_dir : Path, optional
        Topology cache for ``"cch"`` (ignored by ``"dijkstra"``).

    Raises
    ------
    InvalidInput
        For an unknown engine name.
    """
    if engine == "cch":
        return CCHEngine(net, cache_dir=cache_dir)
    if engine == "dijkstra":
        return DijkstraEngine(net)
    raise InvalidInput(f"travel matrices: engine must be 'cch' or 'dijkstra', got {engine!r}")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class TravelMatrices:
    """Integer matrices between snapped points of one network.

    ``distance_m`` is the shortest road distance, ``duration_s`` the fastest travel
    time; both are 0 and meaningless where ``reachable`` is False.
    """

    profile: Profile
    ids: tuple[str, ...]
    distance_m: NDArray[np.int64]
    duration_s: NDArray[np.int64]
    reachable: NDArray[np.bool_]
    off_network: Mapping[str, int] = field(default_factory=dict)
    engine: str = ""
    seconds: float = 0.0

    def unreachable_pairs(self) -> list[tuple[str, str]]:
        """Every ordered pair ``(from_id, to_id)`` with no route (including off-network points)."""
        rows, cols = np.nonzero(~self.reachable)
        return [(self.ids[int(i)], self.ids[int(j)]) for i, j in zip(rows, cols, strict=True)]


@dataclass(frozen=True, slots=True)
class _Positions:
    """Each point's two ways to sit on the graph: (arc, offset) and its twin (or a copy)."""

    arc: NDArray[np.int64]  # shape (n, 2)
    offset_mm: NDArray[np.int64]  # shape (n, 2)


def _positions(net: RoadNetwork, pts: SnappedPoints) -> _Positions:
    has_twin = pts.twin >= 0
    twin = np.where(has_twin, pts.twin, pts.arc)
    twin_off = np.where(has_twin, net.length_mm[twin] - pts.offset_mm, pts.offset_mm)
    twin_off = np.clip(twin_off, 0, net.length_mm[twin])
    return _Positions(
        arc=np.stack([pts.arc, twin], axis=1).astype(np.int64),
        offset_mm=np.stack([pts.offset_mm, twin_off], axis=1).astype(np.int64),
    )


def _part(
    net: RoadNetwork, metric: Metric, arc: NDArray[np.int64], offset_mm: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Weight of the first ``offset_mm`` of ``arc`` (floor of the proportional share)."""
    if metric == "length":
        return offset_mm
    length = net.length_mm[arc]
    w = net.duration_ms[arc]
    safe = np.where(length > 0, length, 1)
    return np.where(length > 0, w * offset_mm // safe, 0).astype(np.int64)


def _point_table(engine: MatrixEngine, pos: _Positions, metric: Metric) -> NDArray[np.int64]:
    """Shortest ``metric`` sums between points (mm or ms), ``_BIG`` where unreachable."""
    net = engine.net
    w = _weights(net, metric)
    part = _part(net, metric, pos.arc, pos.offset_mm)  # (n, 2)
    leave_cost = w[pos.arc] - part
    leave_node = net.head[pos.arc].astype(np.int64)
    arrive_cost = part
    arrive_node = net.tail[pos.arc].astype(np.int64)
    src, src_idx = np.unique(leave_node, return_inverse=True)
    tgt, tgt_idx = np.unique(arrive_node, return_inverse=True)
    src_idx = src_idx.reshape(leave_node.shape)
    tgt_idx = tgt_idx.reshape(arrive_node.shape)
    table = engine.node_table(src, tgt, metric=metric)
    table[table < 0] = _BIG
    # Best way into each point from every source node, then best way out of each point.
    into = table[:, tgt_idx[:, 0]] + arrive_cost[:, 0][None, :]
    np.minimum(into, table[:, tgt_idx[:, 1]] + arrive_cost[:, 1][None, :], out=into)
    best = leave_cost[:, 0][:, None] + into[src_idx[:, 0]]
    np.minimum(best, leave_cost[:, 1][:, None] + into[src_idx[:, 1]], out=best)
    np.minimum(best, _BIG, out=best)
    np.fill_diagonal(best, 0)
    _drive_along_shared_arcs(best, pos, part)
    return best


def _drive_along_shared_arcs(best: NDArray[np.int64], pos: _Positions, part: NDArray[np.int64]) -> None:
    """Points on the same arc (or twin), destination ahead: the direct drive may be shorter."""
    arc = pos.arc.reshape(-1)  # entry 2*i+k: point i, position k
    order = np.argsort(arc, kind="stable")
    sorted_arc = arc[order]
    bounds = np.flatnonzero(np.diff(sorted_arc)) + 1
    for group in np.split(order, bounds):
        if group.shape[0] < 2:
            continue
        point = group // 2
        if np.unique(point).shape[0] < 2:
            continue  # one point (on an arc and its copy): the diagonal is already 0
        off = pos.offset_mm.reshape(-1)[group]
        w = part.reshape(-1)[group]
        ahead = off[None, :] >= off[:, None]
        direct = np.where(ahead, w[None, :] - w[:, None], _BIG)
        rows, cols = np.repeat(point, group.shape[0]), np.tile(point, group.shape[0])
        np.minimum.at(best, (rows, cols), direct.reshape(-1))


NO_PATH_SUM = _BIG
"""What :func:`rect_table` holds where there is no path (any real sum is smaller)."""

_Side = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]
SideCache = dict[tuple[int, str, bool], tuple[SnappedPoints, _Side]]
"""Preparation of large sides kept between :func:`rect_table` calls (keyed by the points object)."""


def _side(
    net: RoadNetwork, pts: SnappedPoints, metric: Metric, *, leaving: bool, cache: SideCache | None
) -> _Side:
    """One side of a table: positions, partial weights, graph nodes used and each point's index in them."""
    key = (id(pts), metric, leaving)
    if cache is not None and (hit := cache.get(key)) is not None and hit[0] is pts:
        return hit[1]
    pos = _positions(net, pts)
    part = _part(net, metric, pos.arc, pos.offset_mm)
    node = (net.head if leaving else net.tail)[pos.arc].astype(np.int64)
    nodes, idx = np.unique(node, return_inverse=True)
    side: _Side = (pos.arc, pos.offset_mm, part, nodes, idx.reshape(node.shape))
    if cache is not None and len(pts) > 16:  # e.g. a plan's many sites, the same object every call
        if len(cache) >= 16:
            cache.clear()
        cache[key] = (pts, side)
    return side


def rect_table(
    engine: MatrixEngine,
    src: SnappedPoints,
    dst: SnappedPoints,
    metric: Metric,
    *,
    cache: SideCache | None = None,
) -> NDArray[np.int64]:
    """Shortest ``metric`` sums (mm or ms) from each ``src`` point to each ``dst`` point.

    The rectangular counterpart of :func:`travel_matrices` (same integers, same rules: leave
    by the head of the arc or its twin, arrive by the tail, drive directly along a shared arc
    when the target is ahead), for a few new points against many known ones — quotes.
    Points must be on the network; :data:`NO_PATH_SUM` where there is no path; 0 between
    points with the same id.  ``cache`` keeps the preparation of large sides between calls.
    """
    net = engine.net
    w = _weights(net, metric)
    s_arc, s_off, s_part, sources, s_idx = _side(net, src, metric, leaving=True, cache=cache)
    t_arc, t_off, t_part, targets, t_idx = _side(net, dst, metric, leaving=False, cache=cache)
    leave_cost = w[s_arc] - s_part
    table = engine.node_table(sources, targets, metric=metric)
    table[table < 0] = _BIG
    into = table[:, t_idx[:, 0]] + t_part[:, 0][None, :]
    np.minimum(into, table[:, t_idx[:, 1]] + t_part[:, 1][None, :], out=into)
    best = leave_cost[:, 0][:, None] + into[s_idx[:, 0]]
    np.minimum(best, leave_cost[:, 1][:, None] + into[s_idx[:, 1]], out=best)
    for k in range(2):
        for m in range(2):
            same = (s_arc[:, k][:, None] == t_arc[:, m][None, :]) & (
                t_off[:, m][None, :] >= s_off[:, k][:, None]
            )
            direct = t_part[:, m][None, :] - s_part[:, k][:, None]
            np.minimum(best, np.where(same, direct, _BIG), out=best)
    np.minimum(best, _BIG, out=best)
    same_point = np.array(src.ids, dtype=object)[:, None] == np.array(dst.ids, dtype=object)[None, :]
    best[same_point] = 0
    return best


POINTS_AS_LEAVES_MIN_POINTS = 600
"""From this many points, the CCH engine answers from its elimination tree with the points as leaves."""


def _tree_tables(
    engine: CCHEngine, pos: _Positions, *, threads: int = 2
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Length (mm) and duration (ms) tables with every point hung as a leaf of the elimination tree.

    One walk up the tree per point and direction (instead of one RoutingKit search per
    way to leave and enter its arc), then a row-by-row fill (see
    :mod:`tournee.routing.elimination`); same integers as :func:`_point_table`.
    """
    net = engine.net
    tree, metrics = engine.tree()

    def table(metric: Metric) -> NDArray[np.int64]:
        w = _weights(net, metric)
        part = _part(net, metric, pos.arc, pos.offset_mm)
        leave = (net.head[pos.arc].astype(np.int64), w[pos.arc] - part)
        arrive = (net.tail[pos.arc].astype(np.int64), part)
        best = tree.table(metrics[metric], leave, arrive, big=_BIG)
        np.fill_diagonal(best, 0)
        _drive_along_shared_arcs(best, pos, part)
        return best

    if threads > 1:  # the kernels release the GIL: the two metrics run on two cores
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="matrix") as pool:
            length_job = pool.submit(table, "length")
            duration = table("duration")
            return length_job.result(), duration
    return table("length"), table("duration")


def travel_matrices(
    engine: MatrixEngine, snapped: SnappedPoints, *, threads: int = 2, points_as_leaves: bool | None = None
) -> TravelMatrices:
    """Distance and duration matrices between snapped points.

    Parameters
    ----------
    engine : MatrixEngine
        A prepared engine of the network the points were snapped on.
    snapped : SnappedPoints
        The points; off-network ones get unreachable rows and columns.
    threads : int, default 2
        2 computes the distance and the duration tables side by side; 1 one after the
        other.
    points_as_leaves : bool, optional
        CCH only: answer from the elimination tree with the points hung as leaves (one
        walk up the tree per point instead of one RoutingKit search per way out of its
        arc).  Default: from ``POINTS_AS_LEAVES_MIN_POINTS`` points on.  Same integers
        either way.

    Returns
    -------
    TravelMatrices
        ``distance_m`` (shortest path, metres, rounded half up from mm) and
        ``duration_s`` (fastest path, seconds, rounded half up from ms), int64.
    """
    start = time.perf_counter()
    n = len(snapped)
    on = np.flatnonzero(snapped.on_network)
    dist = np.zeros((n, n) if on.size < n else (0, 0), dtype=np.int64)
    dur = np.zeros_like(dist)
    reach = np.zeros(dist.shape, dtype=np.bool_)
    if on.size:
        subset = snapped.subset(on)
        pos = _positions(engine.net, subset)
        leaves = on.size >= POINTS_AS_LEAVES_MIN_POINTS if points_as_leaves is None else points_as_leaves
        if isinstance(engine, CCHEngine) and leaves:
            length_mm, duration_ms = _tree_tables(engine, pos, threads=threads)
        elif threads > 1:
            with ThreadPoolExecutor(max_workers=2, thread_name_prefix="matrix") as pool:
                length_job = pool.submit(_point_table, engine, pos, "length")
                duration_ms = _point_table(engine, pos, "duration")
                length_mm = length_job.result()
        else:
            length_mm = _point_table(engine, pos, "length")
            duration_ms = _point_table(engine, pos, "duration")
        # in place: at 5,000 points every n x n int64 temporary is 200 MB
        ok = length_mm < _BIG
        ok &= duration_ms < _BIG
        for table in (length_mm, duration_ms):  # mm -> m, ms -> s, half up; 0 where no path
            table += 500
            table //= 1000
            np.multiply(table, ok, out=table)
        if on.size == n:
            dist, dur, reach = length_mm, duration_ms, ok
        else:
            block = np.ix_(on, on)
            reach[block] = ok
            dist[block] = length_mm
            dur[block] = duration_ms
    seconds = time.perf_counter() - start
    result = TravelMatrices(
        profile=engine.net.profile,
        ids=snapped.ids,
        distance_m=dist,
        duration_s=dur,
        reachable=reach,
        off_network=dict(snapped.off_network),
        engine=engine.name,
        seconds=seconds,
    )
    log.info(
        "matrices %dx%d (%s, %s): %.3f s, %d unreachable pairs",
        n,
        n,
        engine.net.profile,
        engine.name,
        seconds,
        int(n * n - reach.sum()),
    )
    return result


class RoadTravel:
    """Travel matrices on real road networks: the planner's :class:`TravelModel`.

    Parameters
    ----------
    networks : mapping of Profile to RoadNetwork
        One network per profile the planner may ask for.
    engine : {"cch", "dijkstra"}, default "cch"
        Matrix engine (same integers either way).
    max_snap_m : int, default 300
        A site farther than this from every usable road is off the network.
    cache_dir : Path, optional
        CCH topology cache directory.

    Notes
    -----
    Snappers and engines are prepared on first use per profile and kept, so repeated
    calls do not re-prepare.
    """

    def __init__(
        self,
        networks: Mapping[Profile, RoadNetwork],
        *,
        engine: EngineName = "cch",
        max_snap_m: int = DEFAULT_MAX_SNAP_M,
        cache_dir: Path | None = None,
    ) -> None:
        if engine not in ("cch", "dijkstra"):
            raise InvalidInput(f"road travel: engine must be 'cch' or 'dijkstra', got {engine!r}")
        if isinstance(max_snap_m, bool) or not isinstance(max_snap_m, int) or max_snap_m < 0:
            raise InvalidInput(f"road travel: max_snap_m must be an integer >= 0, got {max_snap_m!r}")
        self.networks = dict(networks)
        self.engine_name: EngineName = engine
        self.max_snap_m = max_snap_m
        self.cache_dir = cache_dir
        self._snappers: dict[Profile, Snapper] = {}
        self._engines: dict[Profile, MatrixEngine] = {}

    def _network(self, profile: Profile) -> RoadNetwork:
        try:
            return self.networks[profile]
        except KeyError:
            have = ", ".join(sorted(str(p) for p in self.networks)) or "none"
            raise InvalidInput(f"road travel: no network for profile {profile!r} (loaded: {have})") from None

    def snapper(self, profile: Profile) -> Snapper:
        """The (cached) snapper of ``profile``'s network."""
        if profile not in self._snappers:
            self._snappers[profile] = Snapper(self._network(profile))
        return self._snappers[profile]

    def engine(self, profile: Profile) -> MatrixEngine:
        """The (cached) matrix engine of ``profile``'s network."""
        if profile not in self._engines:
            self._engines[profile] = make_engine(
                self._network(profile), engine=self.engine_name, cache_dir=self.cache_dir
            )
        return self._engines[profile]

    def uses_kernels(self, points: int) -> bool:
        """Will tables between ``points`` sites use the elimination-tree kernels?

        The CCH engine answers from ``POINTS_AS_LEAVES_MIN_POINTS`` points on with numba
        kernels, compiled once per install (≈ 6 s) and then loaded from numba's disk cache.
        """
        return self.engine_name == "cch" and points >= POINTS_AS_LEAVES_MIN_POINTS

    @staticmethod
    def prepare_kernels() -> None:
        """Compile, or load from the disk cache, the elimination-tree kernels now.

        A planner's time limit counts from the start of its work, matrices included: call
        this before starting the clock, so the first large plan after an install does not
        spend its search time in numba's compiler.
        """
        from tournee.routing.elimination import warm_up

        warm_up()

    def site_matrices(self, profile: Profile, sites: Sequence[Site]) -> SiteMatrices:
        """Road matrices between ``sites`` for ``profile`` (see :func:`travel_matrices`).

        Raises
        ------
        InvalidInput
            For an unknown profile or duplicate site ids.
        """
        ids = [s.id for s in sites]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise InvalidInput(f"road travel: duplicate site ids {dup}")
        snapped = self.snapper(profile).snap_all(
            [(s.id, s.location) for s in sites], max_distance_m=self.max_snap_m
        )
        m = travel_matrices(self.engine(profile), snapped)
        reasons = {
            sid: f"site {sid!r} is {d} m from the nearest usable {profile} road (limit {self.max_snap_m} m)"
            for sid, d in m.off_network.items()
        }
        return SiteMatrices(
            profile=profile,
            site_ids=m.ids,
            distance_m=m.distance_m,
            duration_s=m.duration_s,
            reachable=m.reachable,
            off_network=reasons,
        )
