"""The routable road network shared by the loaders, the snapper and the matrix engines.

A :class:`RoadNetwork` is a directed graph in flat numpy arrays (no networkx objects on
the hot path): arc ``i`` goes from node ``tail[i]`` to node ``head[i]``, is
``length_mm[i]`` millimetres long and takes ``duration_ms[i]`` milliseconds for the
network's profile.  Nodes are junctions and dead ends only (intermediate OSM shape
points are kept as arc geometry), so the graph is small and each arc carries its
polyline in ``geom_*`` (CSR layout: the points of arc ``i`` are
``geom_lon[geom_offsets[i]:geom_offsets[i+1]]``, first = tail, last = head).

Millimetres and milliseconds keep sums exact in integers; matrices round to metres
and seconds once, at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tournee.domain import Profile

__all__ = ["LoadReport", "RoadNetwork"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadReport:
    """What loading kept and what it dropped (reported to the user, never silent)."""

    source: str
    profile: Profile
    nodes: int
    arcs: int
    dropped_nodes: int
    dropped_arcs: int
    components: int
    seconds: float = 0.0
    from_cache: bool = False


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class RoadNetwork:
    """A directed road graph for one profile, restricted to its largest strongly connected component."""

    profile: Profile
    source: str
    node_lon: NDArray[np.float64]
    node_lat: NDArray[np.float64]
    node_osm_id: NDArray[np.int64]
    tail: NDArray[np.int32]
    head: NDArray[np.int32]
    length_mm: NDArray[np.int64]
    duration_ms: NDArray[np.int64]
    way_id: NDArray[np.int64]
    geom_offsets: NDArray[np.int64]
    geom_lon: NDArray[np.float64]
    geom_lat: NDArray[np.float64]
    report: LoadReport

    @property
    def node_count(self) -> int:
        return int(self.node_lon.shape[0])

    @property
    def arc_count(self) -> int:
        return int(self.tail.shape[0])

    def arc_geometry(self, arc: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Shape points ``(lon, lat)`` of one arc, tail first."""
        a, b = int(self.geom_offsets[arc]), int(self.geom_offsets[arc + 1])
        return self.geom_lon[a:b], self.geom_lat[a:b]
