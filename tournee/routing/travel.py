"""Travel between sites: the protocol the planner needs, and a straight-line model.

The planner does not care where matrices come from: a road network
(:class:`tournee.routing.matrix.RoadTravel`), a benchmark's Euclidean distances, or the
great-circle model below (for VROOM-style inputs with coordinates only, and for tests).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from tournee.domain import InvalidInput, Profile, Site

__all__ = ["HaversineTravel", "SiteMatrices", "TravelModel", "haversine_m"]

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SiteMatrices:
    """Integer travel matrices between ``site_ids`` for one profile.

    ``reachable[i, j]`` is False where no route exists; the distance and duration there
    are 0 and must not be used.  ``off_network`` maps a site id to the reason it could
    not be placed on the network (those rows/columns are unreachable).
    """

    profile: Profile
    site_ids: tuple[str, ...]
    distance_m: NDArray[np.int64]
    duration_s: NDArray[np.int64]
    reachable: NDArray[np.bool_]
    off_network: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.site_ids)
        for name in ("distance_m", "duration_s", "reachable"):
            shape = getattr(self, name).shape
            if shape != (n, n):
                raise InvalidInput(f"site matrices: {name} has shape {shape}, expected ({n}, {n})")


class TravelModel(Protocol):
    """Anything that can give the planner travel matrices between sites for a profile."""

    def site_matrices(self, profile: Profile, sites: Sequence[Site]) -> SiteMatrices: ...


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


@dataclass(frozen=True, slots=True, kw_only=True)
class HaversineTravel:
    """Straight-line travel with a detour factor and a speed per profile.

    Defaults: detour 1.3 (typical road/crow-fly ratio in towns), van 30 km/h, cargo
    bike 15 km/h door to door.
    """

    detour_pct: int = 130
    speed_kmh: Mapping[Profile, int] = field(
        default_factory=lambda: {Profile.VAN: 30, Profile.CARGO_BIKE: 15}
    )

    def site_matrices(self, profile: Profile, sites: Sequence[Site]) -> SiteMatrices:
        n = len(sites)
        lon = np.radians(np.array([s.location.lon for s in sites], dtype=np.float64))
        lat = np.radians(np.array([s.location.lat for s in sites], dtype=np.float64))
        dlat = lat[:, None] - lat[None, :]
        dlon = lon[:, None] - lon[None, :]
        a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
        crow = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
        dist = np.rint(crow * self.detour_pct / 100).astype(np.int64)
        speed_ms = self.speed_kmh[profile] / 3.6
        dur = np.ceil(dist / speed_ms).astype(np.int64)
        return SiteMatrices(
            profile=profile,
            site_ids=tuple(s.id for s in sites),
            distance_m=dist,
            duration_s=dur,
            reachable=np.ones((n, n), dtype=np.bool_),
        )
