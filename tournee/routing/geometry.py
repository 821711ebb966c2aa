"""Route polylines along the road between snapped points, for maps and GPX.

The route between two points is the **fastest** path (the one ``duration_s`` of
:mod:`tournee.routing.matrix` measures), including the partial first and last arcs:
from the origin's projection to the end of its arc (or of the reverse twin), the arcs of
the path, then the destination arc up to the destination's projection.  Coordinates are
``(lon, lat)`` WGS84 degrees, as GeoJSON and GPX want them.  Geometry derived from
OpenStreetMap must be shown with "© OpenStreetMap contributors".
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tournee.domain import InvalidInput, OffNetwork, Unreachable
from tournee.routing.graph import RoadNetwork
from tournee.routing.matrix import MatrixEngine
from tournee.routing.snap import SnappedPoints

__all__ = ["LonLat", "route_geometry", "sequence_geometry"]

log = logging.getLogger(__name__)

LonLat = tuple[float, float]
_BIG = 1 << 60


def _cumulative_m(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    kx = np.cos(np.radians(np.mean(lat))) * 111_195.08
    step = np.hypot(np.diff(lon) * kx, np.diff(lat) * 111_195.08)
    return np.concatenate(([0.0], np.cumsum(step)))


def _arc_slice(net: RoadNetwork, arc: int, start_mm: int, end_mm: int) -> list[LonLat]:
    """Shape of ``arc`` between two offsets from its tail (``start_mm <= end_mm``)."""
    lon, lat = net.arc_geometry(arc)
    cum = _cumulative_m(lon, lat)
    total_mm = int(net.length_mm[arc])
    if total_mm <= 0 or cum[-1] <= 0:
        return [(float(lon[0]), float(lat[0])), (float(lon[-1]), float(lat[-1]))]
    a, b = cum[-1] * start_mm / total_mm, cum[-1] * end_mm / total_mm
    inner = [(float(lon[k]), float(lat[k])) for k in range(len(cum)) if a < cum[k] < b]
    first = (float(np.interp(a, cum, lon)), float(np.interp(a, cum, lat)))
    last = (float(np.interp(b, cum, lon)), float(np.interp(b, cum, lat)))
    return [first, *inner, last]


def _positions(net: RoadNetwork, pts: SnappedPoints, i: int) -> list[tuple[int, int]]:
    """(arc, offset_mm) of point ``i`` on its arc and, if two-way, on the reverse twin."""
    arc, off, twin = int(pts.arc[i]), int(pts.offset_mm[i]), int(pts.twin[i])
    out = [(arc, off)]
    if twin >= 0:
        out.append((twin, max(0, int(net.length_mm[twin]) - off)))
    return out


def _part_ms(net: RoadNetwork, arc: int, off: int) -> int:
    length = int(net.length_mm[arc])
    return int(net.duration_ms[arc]) * off // length if length > 0 else 0


def route_geometry(
    engine: MatrixEngine, points: SnappedPoints, origin: int, destination: int
) -> list[LonLat]:
    """The fastest road polyline between two snapped points.

    Parameters
    ----------
    engine : MatrixEngine
        A prepared engine of the network the points were snapped on.
    points : SnappedPoints
        The snapped points.
    origin, destination : int
        Positions in ``points``.

    Returns
    -------
    list of (lon, lat)
        Starts at the origin's projection on the road, ends at the destination's.

    Raises
    ------
    InvalidInput
        If a position is out of range.
    OffNetwork
        If either point is off the network.
    Unreachable
        If no road joins them for the network's profile.
    """
    net = engine.net
    for name, k in (("origin", origin), ("destination", destination)):
        if not 0 <= k < len(points):
            raise InvalidInput(f"route geometry: {name} must be within [0, {len(points)}), got {k}")
        if not points.on_network[k]:
            pid = points.ids[k]
            raise OffNetwork(
                f"route geometry: location {pid!r} is off the {net.profile} network",
                location_id=pid,
                distance_m=int(points.distance_m[k]),
            )
    starts = _positions(net, points, origin)
    ends = _positions(net, points, destination)
    best: tuple[int, list[LonLat]] | None = None
    # Direct along one arc, in driving order.
    for arc_a, off_a in starts:
        for arc_b, off_b in ends:
            if arc_a == arc_b and off_b >= off_a:
                cost = _part_ms(net, arc_a, off_b) - _part_ms(net, arc_a, off_a)
                if best is None or cost < best[0]:
                    best = (cost, _arc_slice(net, arc_a, off_a, off_b))
    src = np.array([int(net.head[a]) for a, _ in starts], dtype=np.int64)
    tgt = np.array([int(net.tail[a]) for a, _ in ends], dtype=np.int64)
    table = engine.node_table(src, tgt, metric="duration")
    for k, (arc_a, off_a) in enumerate(starts):
        for m, (arc_b, off_b) in enumerate(ends):
            if table[k, m] < 0:
                continue
            leave = int(net.duration_ms[arc_a]) - _part_ms(net, arc_a, off_a)
            cost = leave + int(table[k, m]) + _part_ms(net, arc_b, off_b)
            if best is not None and cost >= best[0]:
                continue
            arcs = engine.arc_path(int(src[k]), int(tgt[m]), metric="duration")
            if arcs is None:
                continue
            line = _arc_slice(net, arc_a, off_a, int(net.length_mm[arc_a]))
            for arc in arcs:
                lon, lat = net.arc_geometry(arc)
                line += [(float(x), float(y)) for x, y in zip(lon, lat, strict=True)]
            line += _arc_slice(net, arc_b, 0, off_b)
            best = (cost, line)
    if best is None:
        raise Unreachable(
            f"route geometry: no {net.profile} road from {points.ids[origin]!r} to {points.ids[destination]!r}"
        )
    return _dedupe(best[1])


def sequence_geometry(engine: MatrixEngine, points: SnappedPoints, order: Sequence[int]) -> list[LonLat]:
    """The road polyline visiting ``points`` in ``order`` (e.g. a route's stops).

    Parameters
    ----------
    engine : MatrixEngine
        A prepared engine of the points' network.
    points : SnappedPoints
        The snapped points.
    order : sequence of int
        Positions in ``points``, in visiting order (at least one).

    Returns
    -------
    list of (lon, lat)
        One continuous polyline; consecutive duplicates removed.

    Raises
    ------
    InvalidInput, OffNetwork, Unreachable
        As :func:`route_geometry`, for the first leg that fails; ``InvalidInput`` for an
        empty order.
    """
    if len(order) == 0:
        raise InvalidInput("route geometry: order must name at least one point")
    if len(order) == 1:
        k = order[0]
        route_geometry(engine, points, k, k)  # validates the position
        return [(float(points.lon[k]), float(points.lat[k]))]
    line: list[LonLat] = []
    for a, b in itertools.pairwise(order):
        line += route_geometry(engine, points, a, b)
    return _dedupe(line)


def _dedupe(line: list[LonLat]) -> list[LonLat]:
    out: list[LonLat] = []
    for p in line:
        if not out or abs(out[-1][0] - p[0]) > 1e-9 or abs(out[-1][1] - p[1]) > 1e-9:
            out.append(p)
    if len(out) == 1:
        out.append(out[0])  # a zero-length leg is still a (degenerate) line
    return out
