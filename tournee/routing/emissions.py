"""Emissions of routes and their allocation to orders (ISO 14083:2023 / GLEC Framework v3).

A route emits ``distance × factor`` (well-to-wheel, split into tank-to-wheel and
well-to-tank).  The route's emissions, return leg included, are shared among the
orders it carries in proportion to each order's *notional transport performance*:
quantity (mass, or volume when volume is what fills the vehicle) × shortest feasible
distance (SFD) from the route's depot or hub to the order's drop.  Rounding is done
with the largest-remainder method so per-order grams add up exactly to the route.

Factors live in ``tournee/routing/data/emission_factors.toml`` with source and year.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from tournee.domain import Footprint, Fuel, InvalidInput, LegKind, VehicleType

__all__ = [
    "EmissionFactor",
    "FactorTable",
    "Shipment",
    "allocate_footprint",
    "allocate_largest_remainder",
    "allocate_route",
    "carbon_millicents_per_m",
    "hub_handling_footprint",
    "load_factor_table",
    "route_footprint",
    "vehicle_factor",
    "volume_binds",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class EmissionFactor:
    """Grams CO2e per vehicle-km, split TTW / WTT, with where the figure comes from."""

    id: str
    ttw_g_per_km: float
    wtt_g_per_km: float
    source: str
    year: int
    status: str = "primary"

    def __post_init__(self) -> None:
        for name in ("ttw_g_per_km", "wtt_g_per_km"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise InvalidInput(f"emission factor '{self.id}': {name} must be >= 0, got {value!r}")

    @property
    def wtw_g_per_km(self) -> float:
        return self.ttw_g_per_km + self.wtt_g_per_km


@dataclass(frozen=True, slots=True, kw_only=True)
class _Source:
    ttw: float
    wtt: float
    source: str
    year: int
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FactorTable:
    """The factor file, parsed: per-unit fuel factors, grid factors, per-km defaults, hubs."""

    fuels: Mapping[str, _Source]  # g per litre (or per km for muscle)
    grids: Mapping[str, _Source]  # WTT g per kWh
    vehicle_km: Mapping[str, _Source]  # g per km
    hub_g_per_parcel: float
    hub_source: str
    hub_year: int


def _entry(section: str, key: str, raw: Mapping[str, Any], ttw_key: str, wtt_key: str) -> _Source:
    try:
        return _Source(
            ttw=float(raw.get(ttw_key, 0.0)),
            wtt=float(raw[wtt_key]),
            source=str(raw["source"]),
            year=int(raw["year"]),
            status=str(raw.get("status", "primary")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"emission factors: [{section}.{key}] is malformed ({exc!s})") from exc


def load_factor_table(path: Path | None = None) -> FactorTable:
    """Read an emission-factor TOML file (the packaged default when ``path`` is None).

    Parameters
    ----------
    path
        A TOML file with ``[fuel.*]``, ``[grid.*]``, ``[vehicle_km.*]`` and ``[hub.micro_hub]``
        tables, each with a ``source`` and a ``year``.

    Returns
    -------
    FactorTable

    Raises
    ------
    InvalidInput
        When the file is missing a field or holds a value of the wrong type.
    """
    text = (
        path.read_text(encoding="utf-8")
        if path is not None
        else (files("tournee.routing.data") / "emission_factors.toml").read_text(encoding="utf-8")
    )
    raw = tomllib.loads(text)
    fuels = {k: _entry("fuel", k, v, "ttw_g_per_unit", "wtt_g_per_unit") for k, v in raw["fuel"].items()}
    grids = {k: _entry("grid", k, v, "ttw_g_per_kwh", "wtt_g_per_kwh") for k, v in raw["grid"].items()}
    per_km = {
        k: _entry("vehicle_km", k, v, "ttw_g_per_km", "wtt_g_per_km") for k, v in raw["vehicle_km"].items()
    }
    hub = raw.get("hub", {}).get("micro_hub", {})
    return FactorTable(
        fuels=fuels,
        grids=grids,
        vehicle_km=per_km,
        hub_g_per_parcel=float(hub.get("g_per_parcel", 0.0)),
        hub_source=str(hub.get("source", "")),
        hub_year=int(hub.get("year", 0)),
    )


_DEFAULT: FactorTable | None = None


def _default_table() -> FactorTable:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_factor_table()
    return _DEFAULT


def vehicle_factor(
    vtype: VehicleType, *, table: FactorTable | None = None, grid: str = "eu"
) -> EmissionFactor:
    """The per-km factor of a vehicle type from its energy use.

    Diesel and petrol: ``fuel_ml_per_100km`` × the fuel's g/L; electric:
    ``energy_wh_per_100km`` × the grid's g/kWh (``grid`` selects the region, e.g.
    ``"fr"``, ``"eu"``, ``"qc"``); muscle: zero.

    Raises
    ------
    InvalidInput
        When ``grid`` names no region of the table.
    """
    t = table or _default_table()
    if vtype.fuel in (Fuel.DIESEL, Fuel.PETROL):
        src = t.fuels[vtype.fuel.value]
        litres_per_km = vtype.fuel_ml_per_100km / 100_000
        return EmissionFactor(
            id=f"{vtype.fuel.value}:{vtype.fuel_ml_per_100km}ml/100km",
            ttw_g_per_km=src.ttw * litres_per_km,
            wtt_g_per_km=src.wtt * litres_per_km,
            source=src.source,
            year=src.year,
            status=src.status,
        )
    if vtype.fuel is Fuel.ELECTRIC:
        if grid not in t.grids:
            raise InvalidInput(f"emission factors: grid must be one of {sorted(t.grids)}, got {grid!r}")
        g = t.grids[grid]
        kwh_per_km = vtype.energy_wh_per_100km / 100_000
        return EmissionFactor(
            id=f"electric:{grid}:{vtype.energy_wh_per_100km}Wh/100km",
            ttw_g_per_km=0.0,
            wtt_g_per_km=g.wtt * kwh_per_km,
            source=g.source,
            year=g.year,
            status=g.status,
        )
    m = t.fuels["muscle"]
    return EmissionFactor(
        id="muscle", ttw_g_per_km=0.0, wtt_g_per_km=0.0, source=m.source, year=m.year, status=m.status
    )


def route_footprint(distance_m: int, factor: EmissionFactor) -> Footprint:
    """Emissions of driving ``distance_m`` metres, each scope rounded to whole grams."""
    if distance_m < 0:
        raise InvalidInput(f"route footprint: distance_m must be >= 0, got {distance_m}")
    return Footprint(
        ttw_co2e_g=round(distance_m * factor.ttw_g_per_km / 1000),
        wtt_co2e_g=round(distance_m * factor.wtt_g_per_km / 1000),
        factor_id=factor.id,
        source=factor.source,
        year=factor.year,
    )


def carbon_millicents_per_m(factor: EmissionFactor, carbon_price_cents_per_t: int) -> float:
    """The carbon price of one metre driven, in milli-cents (for the solver's arc costs)."""
    # g/km / 1000 = g/m; cents per tonne / 1e6 = cents per g; × 1000 = milli-cents
    return factor.wtw_g_per_km * carbon_price_cents_per_t / 1e6


def allocate_largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """Split the integer ``total`` in proportion to ``weights``, summing exactly to ``total``.

    Each part is ``floor(total × w / Σw)``; the units left over go to the largest
    fractional remainders (ties to the earlier index).  All-zero weights split evenly.
    """
    n = len(weights)
    if n == 0:
        if total != 0:
            raise InvalidInput(f"allocation: {total} g cannot be shared among no orders")
        return []
    if any(w < 0 for w in weights):
        raise InvalidInput(f"allocation: weights must be >= 0, got {list(weights)}")
    ws = list(weights) if sum(weights) > 0 else [1] * n
    s = sum(ws)
    parts = [total * w // s for w in ws]
    rems = [total * w - p * s for w, p in zip(ws, parts, strict=True)]
    left = total - sum(parts)
    for i in sorted(range(n), key=lambda i: (-rems[i], i))[:left]:
        parts[i] += 1
    return parts


def allocate_footprint(total: Footprint, weights: Sequence[int]) -> list[Footprint]:
    """Share a footprint's TTW and WTT grams by ``weights`` (each scope sums exactly)."""
    ttw = allocate_largest_remainder(total.ttw_co2e_g, weights)
    wtt = allocate_largest_remainder(total.wtt_co2e_g, weights)
    return [
        Footprint(ttw_co2e_g=a, wtt_co2e_g=b, factor_id=total.factor_id, source=total.source, year=total.year)
        for a, b in zip(ttw, wtt, strict=True)
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class Shipment:
    """One order's leg on a route, as GLEC allocation sees it."""

    order_id: str
    kind: LegKind
    weight_g: int
    volume_ml: int
    sfd_m: int  # shortest feasible distance from the route's depot/hub to the leg's drop


def volume_binds(*, peak_g: int, peak_ml: int, capacity_g: int, capacity_ml: int) -> bool:
    """True when volume, not mass, is what fills the vehicle (the allocation quantity)."""
    return peak_ml * capacity_g > peak_g * capacity_ml


def allocate_route(route: Footprint, shipments: Sequence[Shipment], *, by_volume: bool) -> list[Footprint]:
    """Allocate a route's footprint to its shipments by quantity × SFD.

    When every SFD is zero (all drops at the depot), quantity alone is used; when every
    quantity is zero too, the route is split evenly.
    """
    qty = [max(s.volume_ml if by_volume else s.weight_g, 0) for s in shipments]
    perf = [q * max(s.sfd_m, 0) for q, s in zip(qty, shipments, strict=True)]
    weights = perf if sum(perf) > 0 else qty
    return allocate_footprint(route, weights)


def hub_handling_footprint(parcels: int, *, table: FactorTable | None = None) -> Footprint:
    """Emissions of handling ``parcels`` at a micro-hub (its own transport-chain element)."""
    t = table or _default_table()
    return Footprint(
        ttw_co2e_g=0,
        wtt_co2e_g=round(parcels * t.hub_g_per_parcel),
        factor_id="hub:micro_hub",
        source=t.hub_source,
        year=t.hub_year,
    )
