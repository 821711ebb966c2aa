"""Travel data the quoting engine needs, as a protocol the caller implements.

The tariffs engine may not import the routing engine; the API layer adapts its road
matrices (``RoadTravel``) to :class:`TravelLookup`.  :class:`StraightLineTravel` is a
great-circle implementation (pure math) for tests, benchmarks and coordinate-only use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from tournee.domain import Profile, Site

__all__ = ["StraightLineTravel", "TravelLookup"]

EARTH_RADIUS_M = 6_371_008.8


class TravelLookup(Protocol):
    """Road distances and durations between sites, many-to-few, for one profile.

    ``legs(profile, origins, destinations)`` returns two int64 arrays of shape
    ``(len(origins), len(destinations))``: distance in metres and duration in seconds.
    An entry is ``-1`` where no route joins the two sites.  Quoting calls it with one or
    two prospective sites on one side and the plan's sites on the other.
    """

    def legs(
        self, profile: Profile, origins: Sequence[Site], destinations: Sequence[Site]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class StraightLineTravel:
    """Great-circle travel with a detour factor and a speed per profile.

    Defaults match the planner's straight-line model: detour 1.3, van 30 km/h, cargo
    bike 15 km/h door to door.
    """

    detour_pct: int = 130
    speed_kmh: Mapping[Profile, int] = field(
        default_factory=lambda: {Profile.VAN: 30, Profile.CARGO_BIKE: 15}
    )
    # radians of recently seen site tuples, by identity (quoting passes the same tuples each time)
    _coords: dict[int, tuple[Sequence[Site], NDArray[np.float64], NDArray[np.float64]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def _radians(self, sites: Sequence[Site]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        cached = self._coords.get(id(sites))
        if cached is not None and cached[0] is sites:
            return cached[1], cached[2]
        lon = np.radians(np.fromiter((s.location.lon for s in sites), np.float64, len(sites)))
        lat = np.radians(np.fromiter((s.location.lat for s in sites), np.float64, len(sites)))
        if isinstance(sites, tuple) and len(sites) > 16:
            if len(self._coords) >= 16:
                self._coords.clear()
            self._coords[id(sites)] = (sites, lon, lat)
        return lon, lat

    def legs(
        self, profile: Profile, origins: Sequence[Site], destinations: Sequence[Site]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Distance (m) and duration (s) from each origin to each destination."""
        olon, olat = self._radians(origins)
        dlon, dlat = self._radians(destinations)
        a = (
            np.sin((dlat[None, :] - olat[:, None]) / 2) ** 2
            + np.cos(olat)[:, None] * np.cos(dlat)[None, :] * np.sin((dlon[None, :] - olon[:, None]) / 2) ** 2
        )
        crow = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
        dist = np.rint(crow * self.detour_pct / 100).astype(np.int64)
        dur = np.ceil(dist / (self.speed_kmh[profile] / 3.6)).astype(np.int64)
        return dist, dur
