"""Plans in and out: JSON (lossless), GeoJSON, and the CLI's input files.

* :func:`plan_to_json` / :func:`plan_from_json` — a :class:`~tournee.domain.Plan` as
  JSON and back, field for field (``plan_from_json(plan_to_json(p)) == p``); derived
  totals are written for readers and ignored on the way back.
* :func:`plan_geojson` — routes as LineStrings along the road geometry (fastest path
  between consecutive stops on the profile's network) when a
  :class:`~tournee.routing.matrix.RoadTravel` is given, straight lines otherwise; stops
  (and unassigned orders) as Points with their properties; OSM attribution.
* :func:`read_fleet` (TOML) and :func:`read_orders` (CSV): the formats documented in
  ``docs/formats.md``; every error names the file, the row or table, and the column or
  key (:class:`~tournee.domain.InvalidInput`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from tournee.domain import (
    DAY_S,
    Customer,
    Footprint,
    Fuel,
    Horizon,
    Hub,
    InvalidInput,
    LegKind,
    Location,
    Merchant,
    OffNetwork,
    Order,
    OrderLeg,
    Plan,
    Profile,
    Route,
    Site,
    SiteKind,
    SolverStats,
    Stop,
    StopKind,
    Tier,
    TimeWindow,
    TourneeError,
    Unassigned,
    UnassignedReason,
    UnknownReference,
    UnknownTier,
    Unreachable,
    Vehicle,
    VehicleType,
)
from tournee.routing.geometry import LonLat, route_geometry
from tournee.routing.matrix import RoadTravel
from tournee.routing.scenario import DEFAULT_TIERS, OpeningHours, Scenario

__all__ = [
    "ORDER_COLUMNS",
    "OSM_ATTRIBUTION",
    "PLAN_FORMAT",
    "clock",
    "fleet_toml",
    "orders_csv",
    "plan_from_json",
    "plan_geojson",
    "plan_to_json",
    "read_fleet",
    "read_orders",
    "read_plan",
    "route_colour",
    "route_lines",
    "write_inputs",
    "write_plan",
]

log = logging.getLogger(__name__)

_E = TypeVar("_E")

OSM_ATTRIBUTION = "Map data © OpenStreetMap contributors (ODbL)"
PLAN_FORMAT = "tournee.plan/1"

# Colour-blind-friendly qualitative palette (Okabe–Ito, then Tol's muted).
_PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#882255",
    "#117733",
    "#332288",
    "#AA4499",
    "#44AA99",
    "#999933",
)


def route_colour(index: int) -> str:
    """The display colour of the ``index``-th vehicle-day (cycles through a palette)."""
    return _PALETTE[index % len(_PALETTE)]


def clock(horizon: Horizon, t_s: int) -> str:
    """A plan time (seconds from the horizon start) as ``"Tue 2026-12-01 09:30"``."""
    day, rest = divmod(t_s, DAY_S)
    date = horizon.date_of(day)
    return f"{date.strftime('%a')} {date.isoformat()} {rest // 3600:02d}:{rest % 3600 // 60:02d}"


# ---------------------------------------------------------------------------------------
# Plan ↔ JSON


def _footprint(f: Footprint) -> dict[str, Any]:
    return {
        "ttw_co2e_g": f.ttw_co2e_g,
        "wtt_co2e_g": f.wtt_co2e_g,
        "factor_id": f.factor_id,
        "source": f.source,
        "year": f.year,
    }


def _stop(s: Stop) -> dict[str, Any]:
    return {
        "kind": s.kind.value,
        "site_id": s.site_id,
        "lon": s.location.lon,
        "lat": s.location.lat,
        "arrival_s": s.arrival_s,
        "departure_s": s.departure_s,
        "order_ids": list(s.order_ids),
        "window_start_s": s.window_start_s,
        "window_end_s": s.window_end_s,
        "load_g": s.load_g,
        "load_ml": s.load_ml,
        "load_parcels": s.load_parcels,
        "distance_from_prev_m": s.distance_from_prev_m,
        "duration_from_prev_s": s.duration_from_prev_s,
    }


def _route(r: Route) -> dict[str, Any]:
    return {
        "id": r.id,
        "vehicle_id": r.vehicle_id,
        "profile": r.profile.value,
        "day": r.day,
        "trip": r.trip,
        "distance_m": r.distance_m,
        "duration_s": r.duration_s,
        "cost_cents": r.cost_cents,
        "co2e_g": r.co2e_g,
        "fill_rate_pct": r.fill_rate_pct,
        "locked": r.locked,
        "footprint": _footprint(r.footprint),
        "stops": [_stop(s) for s in r.stops],
    }


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan as a JSON-ready dict (format ``tournee.plan/1``).

    Parameters
    ----------
    plan : Plan
        The plan.

    Returns
    -------
    dict
        Every field of the plan, plus ``totals`` (derived, for readers; ignored by
        :func:`plan_from_json`) and the OSM ``attribution``.
    """
    served = len(plan.served_order_ids)
    return {
        "format": PLAN_FORMAT,
        "id": plan.id,
        "horizon": {"start": plan.horizon.start.isoformat(), "days": plan.horizon.days},
        "currency": plan.currency,
        "carbon_price_cents_per_t": plan.carbon_price_cents_per_t,
        "totals": {
            "orders_served": served,
            "orders_unassigned": len(plan.unassigned),
            "routes": len(plan.routes),
            "distance_m": plan.distance_m,
            "duration_s": plan.duration_s,
            "cost_cents": plan.cost_cents,
            "co2e_g": plan.co2e_g,
        },
        "stats": {
            "status": plan.stats.status,
            "objective": plan.stats.objective,
            "wall_s": plan.stats.wall_s,
            "first_solution_s": plan.stats.first_solution_s,
            "solutions": plan.stats.solutions,
            "strategy": plan.stats.strategy,
            "metaheuristic": plan.stats.metaheuristic,
        },
        "routes": [_route(r) for r in plan.routes],
        "legs": [
            {
                "order_id": leg.order_id,
                "kind": leg.kind.value,
                "route_id": leg.route_id,
                "day": leg.day,
                "cost_cents": leg.cost_cents,
                "allocation_distance_m": leg.allocation_distance_m,
                "footprint": _footprint(leg.footprint),
            }
            for leg in plan.legs
        ],
        "unassigned": [
            {"order_id": u.order_id, "reason": u.reason.value, "detail": u.detail} for u in plan.unassigned
        ],
        "attribution": OSM_ATTRIBUTION,
    }


class _Reader:
    """Typed access to a decoded JSON object, with errors naming the path."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise InvalidInput(f"{where}: must be an object, got {type(data).__name__}", pointer=where)
        self.data = data
        self.where = where

    def _get(self, key: str, default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise InvalidInput(f"{self.where}/{key}: missing", pointer=f"{self.where}/{key}")
            return default
        return self.data[key]

    def fail(self, key: str, problem: str) -> InvalidInput:
        return InvalidInput(f"{self.where}/{key}: {problem}", pointer=f"{self.where}/{key}")

    def integer(self, key: str, default: Any = ...) -> int:
        v = self._get(key, default)
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail(key, f"must be an integer, got {v!r}")
        return v

    def opt_int(self, key: str) -> int | None:
        v = self._get(key, None)
        return None if v is None else self.integer(key)

    def number(self, key: str, default: Any = ...) -> float:
        v = self._get(key, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(key, f"must be a number, got {v!r}")
        return float(v)

    def opt_float(self, key: str) -> float | None:
        v = self._get(key, None)
        return None if v is None else self.number(key)

    def text(self, key: str, default: Any = ...) -> str:
        v = self._get(key, default)
        if not isinstance(v, str):
            raise self.fail(key, f"must be a string, got {v!r}")
        return v

    def opt_str(self, key: str) -> str | None:
        v = self._get(key, None)
        return None if v is None else self.text(key)

    def flag(self, key: str, default: Any = ...) -> bool:
        v = self._get(key, default)
        if not isinstance(v, bool):
            raise self.fail(key, f"must be true or false, got {v!r}")
        return v

    def items(self, key: str) -> list[Any]:
        v = self._get(key, [])
        if not isinstance(v, list):
            raise self.fail(key, f"must be a list, got {type(v).__name__}")
        return v

    def obj(self, key: str) -> _Reader:
        return _Reader(self._get(key), f"{self.where}/{key}")

    def enum(self, key: str, kind: Callable[[str], _E]) -> _E:
        v = self.text(key)
        try:
            return kind(v)
        except ValueError:
            raise self.fail(key, f"unknown value {v!r}") from None


def _footprint_from(r: _Reader) -> Footprint:
    return Footprint(
        ttw_co2e_g=r.integer("ttw_co2e_g"),
        wtt_co2e_g=r.integer("wtt_co2e_g"),
        factor_id=r.text("factor_id", ""),
        source=r.text("source", ""),
        year=r.integer("year", 0),
    )


def _stop_from(r: _Reader) -> Stop:
    ids = r.items("order_ids")
    if not all(isinstance(i, str) for i in ids):
        raise r.fail("order_ids", "must be a list of strings")
    return Stop(
        kind=r.enum("kind", StopKind),
        site_id=r.text("site_id"),
        location=Location(lon=r.number("lon"), lat=r.number("lat")),
        arrival_s=r.integer("arrival_s"),
        departure_s=r.integer("departure_s"),
        order_ids=tuple(ids),
        window_start_s=r.opt_int("window_start_s"),
        window_end_s=r.opt_int("window_end_s"),
        load_g=r.integer("load_g", 0),
        load_ml=r.integer("load_ml", 0),
        load_parcels=r.integer("load_parcels", 0),
        distance_from_prev_m=r.integer("distance_from_prev_m", 0),
        duration_from_prev_s=r.integer("duration_from_prev_s", 0),
    )


def _route_from(r: _Reader) -> Route:
    return Route(
        id=r.text("id"),
        vehicle_id=r.text("vehicle_id"),
        profile=r.enum("profile", Profile),
        day=r.integer("day"),
        trip=r.integer("trip", 0),
        stops=tuple(_stop_from(_Reader(s, f"{r.where}/stops/{k}")) for k, s in enumerate(r.items("stops"))),
        distance_m=r.integer("distance_m"),
        duration_s=r.integer("duration_s"),
        cost_cents=r.integer("cost_cents"),
        footprint=_footprint_from(r.obj("footprint")),
        fill_rate_pct=r.integer("fill_rate_pct", 0),
        locked=r.flag("locked", False),
    )


def plan_from_json(data: Mapping[str, Any]) -> Plan:
    """Rebuild a plan from :func:`plan_to_json`'s output.

    Raises
    ------
    InvalidInput
        If the document is not a ``tournee.plan/1`` plan, naming the first bad field.
    """
    r = _Reader(dict(data), "")
    fmt = r.text("format", "")
    if fmt != PLAN_FORMAT:
        raise InvalidInput(f"plan: format must be {PLAN_FORMAT!r}, got {fmt!r}", pointer="/format")
    h = r.obj("horizon")
    try:
        start = dt.date.fromisoformat(h.text("start"))
    except ValueError:
        raise h.fail("start", f"must be a date YYYY-MM-DD, got {h.text('start')!r}") from None
    s = r.obj("stats")
    try:
        return Plan(
            id=r.text("id"),
            horizon=Horizon(start=start, days=h.integer("days")),
            routes=tuple(_route_from(_Reader(x, f"/routes/{k}")) for k, x in enumerate(r.items("routes"))),
            legs=tuple(
                OrderLeg(
                    order_id=lr.text("order_id"),
                    kind=lr.enum("kind", LegKind),
                    route_id=lr.opt_str("route_id"),
                    day=lr.integer("day"),
                    footprint=_footprint_from(lr.obj("footprint")),
                    cost_cents=lr.integer("cost_cents", 0),
                    allocation_distance_m=lr.integer("allocation_distance_m", 0),
                )
                for lr in (_Reader(x, f"/legs/{k}") for k, x in enumerate(r.items("legs")))
            ),
            unassigned=tuple(
                Unassigned(
                    order_id=ur.text("order_id"),
                    reason=ur.enum("reason", UnassignedReason),
                    detail=ur.text("detail", ""),
                )
                for ur in (_Reader(x, f"/unassigned/{k}") for k, x in enumerate(r.items("unassigned")))
            ),
            stats=SolverStats(
                status=s.text("status"),
                objective=s.integer("objective"),
                wall_s=s.number("wall_s"),
                first_solution_s=s.opt_float("first_solution_s"),
                solutions=s.integer("solutions", 0),
                strategy=s.text("strategy", ""),
                metaheuristic=s.text("metaheuristic", ""),
            ),
            carbon_price_cents_per_t=r.integer("carbon_price_cents_per_t", 0),
            currency=r.text("currency", "EUR"),
        )
    except InvalidInput:
        raise
    except TourneeError as exc:  # pragma: no cover - domain checks are InvalidInput
        raise InvalidInput(f"plan: {exc.message}") from None


def write_plan(plan: Plan, path: Path) -> Path:
    """Write the plan as indented UTF-8 JSON; returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(plan_to_json(plan), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def read_plan(path: Path) -> Plan:
    """Read a plan written by :func:`write_plan`.

    Raises
    ------
    InvalidInput
        If the file is missing, not JSON, or not a plan (the message names the file).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"plan {str(path)!r}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"plan {str(path)!r}: not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"plan {str(path)!r}: must hold a JSON object")
    try:
        return plan_from_json(data)
    except InvalidInput as exc:
        raise InvalidInput(f"plan {str(path)!r}: {exc.message}", pointer=exc.pointer) from None


# ---------------------------------------------------------------------------------------
# GeoJSON


def route_lines(plan: Plan, travel: RoadTravel | None = None) -> dict[str, list[LonLat]]:
    """Each route's polyline: along the roads with ``travel``, straight without.

    Parameters
    ----------
    plan : Plan
        The plan.
    travel : RoadTravel, optional
        The road travel model the plan was made with (its snappers and engines are
        reused).  A leg whose stops are off the network or not joined by a road is
        drawn straight.

    Returns
    -------
    dict of route id to list of (lon, lat)
    """
    lines: dict[str, list[LonLat]] = {}
    by_profile: dict[Profile, list[Route]] = {}
    for r in plan.routes:
        by_profile.setdefault(r.profile, []).append(r)
    for profile, routes in by_profile.items():
        index: dict[str, int] = {}
        points: list[tuple[str, Location]] = []
        for r in routes:
            for s in r.stops:
                if s.site_id not in index:
                    index[s.site_id] = len(points)
                    points.append((s.site_id, s.location))
        snapped = engine = None
        if travel is not None and profile in travel.networks:
            snapped = travel.snapper(profile).snap_all(points, max_distance_m=travel.max_snap_m)
            engine = travel.engine(profile)
        for r in routes:
            line: list[LonLat] = [(r.stops[0].location.lon, r.stops[0].location.lat)] if r.stops else []
            for a, b in zip(r.stops, r.stops[1:], strict=False):
                if a.site_id == b.site_id:
                    continue
                leg: list[LonLat] | None = None
                if snapped is not None and engine is not None:
                    try:
                        leg = route_geometry(engine, snapped, index[a.site_id], index[b.site_id])
                    except (OffNetwork, Unreachable) as exc:
                        log.info("route %s: straight leg %s -> %s (%s)", r.id, a.site_id, b.site_id, exc)
                if leg is None:
                    leg = [(a.location.lon, a.location.lat), (b.location.lon, b.location.lat)]
                # Join the door to the road and back.
                line += [(a.location.lon, a.location.lat), *leg, (b.location.lon, b.location.lat)]
            deduped: list[LonLat] = []
            for p in line:
                if not deduped or deduped[-1] != p:
                    deduped.append(p)
            if len(deduped) == 1:
                deduped.append(deduped[0])
            lines[r.id] = deduped
    return lines


def _round(line: Iterable[LonLat]) -> list[list[float]]:
    return [[round(x, 6), round(y, 6)] for x, y in line]


def plan_geojson(
    plan: Plan,
    *,
    travel: RoadTravel | None = None,
    sites: Mapping[str, Site] | None = None,
    orders: Sequence[Order] = (),
    lines: Mapping[str, list[LonLat]] | None = None,
) -> dict[str, Any]:
    """The plan as a GeoJSON FeatureCollection.

    Parameters
    ----------
    plan : Plan
        The plan.
    travel : RoadTravel, optional
        Draw routes along the roads (see :func:`route_lines`); straight lines without.
    sites : mapping of site id to Site, optional
        Names and addresses for the stops' properties.
    orders : sequence of Order, optional
        The plan's orders: unassigned ones become Points at their delivery address.
    lines : mapping, optional
        Precomputed :func:`route_lines` (skips recomputing them).

    Returns
    -------
    dict
        Route features (``LineString``, ``feature_type: "route"``, simplestyle
        ``stroke`` colour), stop features (``Point``, ``feature_type: "stop"``) and
        unassigned-order features (``feature_type: "unassigned"``); the collection
        carries ``attribution`` and the plan id and horizon.
    """
    sites = sites or {}
    lines = lines if lines is not None else route_lines(plan, travel)
    features: list[dict[str, Any]] = []
    for k, r in enumerate(plan.routes):
        colour = route_colour(k)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": _round(lines.get(r.id, []))},
                "properties": {
                    "feature_type": "route",
                    "route_id": r.id,
                    "vehicle_id": r.vehicle_id,
                    "profile": r.profile.value,
                    "day": r.day,
                    "date": plan.horizon.date_of(r.day).isoformat(),
                    "trip": r.trip,
                    "orders": len(r.order_ids),
                    "distance_m": r.distance_m,
                    "duration_s": r.duration_s,
                    "cost_cents": r.cost_cents,
                    "co2e_g": r.co2e_g,
                    "fill_rate_pct": r.fill_rate_pct,
                    "locked": r.locked,
                    "stroke": colour,
                    "stroke-width": 4,
                },
            }
        )
        for seq, s in enumerate(r.stops):
            site = sites.get(s.site_id)
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "Point",
                        "coordinates": [round(s.location.lon, 7), round(s.location.lat, 7)],
                    },
                    "properties": {
                        "feature_type": "stop",
                        "route_id": r.id,
                        "vehicle_id": r.vehicle_id,
                        "day": r.day,
                        "seq": seq,
                        "kind": s.kind.value,
                        "site_id": s.site_id,
                        "name": site.name if site else "",
                        "address": site.address if site else "",
                        "arrival_s": s.arrival_s,
                        "departure_s": s.departure_s,
                        "arrival": clock(plan.horizon, s.arrival_s),
                        "departure": clock(plan.horizon, s.departure_s),
                        "order_ids": list(s.order_ids),
                        "load_g": s.load_g,
                        "load_ml": s.load_ml,
                        "load_parcels": s.load_parcels,
                        "marker-color": colour,
                    },
                }
            )
    by_id = {o.id: o for o in orders}
    for u in plan.unassigned:
        o = by_id.get(u.order_id)
        if o is None:
            continue
        loc = o.delivery.location
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(loc.lon, 7), round(loc.lat, 7)]},
                "properties": {
                    "feature_type": "unassigned",
                    "order_id": u.order_id,
                    "reason": u.reason.value,
                    "detail": u.detail,
                    "site_id": o.delivery.id,
                    "name": o.delivery.name,
                    "address": o.delivery.address,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "plan_id": plan.id,
        "horizon": {"start": plan.horizon.start.isoformat(), "days": plan.horizon.days},
        "attribution": OSM_ATTRIBUTION,
        "features": features,
    }


# ---------------------------------------------------------------------------------------
# Input files: fleet (TOML) and orders (CSV)

_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_WEEKDAY_GROUPS = {"weekdays": range(5), "daily": range(7), "any": range(7), "weekend": (5, 6)}
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def _clock_s(text: str, where: str) -> int:
    m = _CLOCK.match(text.strip())
    if (
        not m
        or int(m.group(2)) > 59
        or int(m.group(1)) > 24
        or (int(m.group(1)) == 24 and m.group(2) != "00")
    ):
        raise InvalidInput(f"{where}: must be a clock time HH:MM, got {text!r}")
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60


def _span(text: str, where: str) -> tuple[int, int]:
    """``"08:00-18:00"`` → seconds since midnight; the end must not precede the start."""
    parts = text.split("-")
    if len(parts) != 2:
        raise InvalidInput(f"{where}: must look like HH:MM-HH:MM, got {text!r}")
    a, b = _clock_s(parts[0], where), _clock_s(parts[1], where)
    if b < a:
        raise InvalidInput(
            f"{where}: the window ends ({parts[1].strip()}) before it starts ({parts[0].strip()})"
        )
    return a, b


def _weekdays(value: Any, where: str) -> frozenset[int]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise InvalidInput(
            f'{where}: must be a non-empty list of weekdays like ["mon", "tue"], got {value!r}'
        )
    out: set[int] = set()
    for item in items:
        key = str(item).strip().lower()[:3] if str(item).lower() not in _WEEKDAY_GROUPS else str(item).lower()
        if key in _WEEKDAY_GROUPS:
            out |= set(_WEEKDAY_GROUPS[key])
        elif key in _WEEKDAYS:
            out.add(_WEEKDAYS[key])
        else:
            raise InvalidInput(f"{where}: unknown weekday {item!r} (use mon … sun, weekdays, daily)")
    return frozenset(out)


_MAX_VALUE = 10**12  # in the small unit (grams, millilitres, cents, seconds): far beyond any real value


def _decimal(value: Any, where: str, *, scale: int, minimum: int = 0) -> int:
    """A decimal number in a human unit (kg, €, L) → integer in the small unit (× ``scale``)."""
    if isinstance(value, bool):
        raise InvalidInput(f"{where}: must be a number, got {value!r}")
    try:
        d = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(f"{where}: must be a number, got {value!r}") from None
    if not d.is_finite():
        raise InvalidInput(f"{where}: must be a finite number, got {value!r}")
    if scale == 1 and d != d.to_integral_value():
        raise InvalidInput(f"{where}: must be a whole number, got {value!r}")
    scaled = int((d * scale).to_integral_value())
    if scaled > _MAX_VALUE:
        raise InvalidInput(f"{where}: is too large, got {value!r}")
    if scaled < minimum:
        if d < 0:
            raise InvalidInput(f"{where}: must not be negative, got {value!r}")
        raise InvalidInput(f"{where}: must be > 0, got {value!r}")
    return scaled


def _loc(table: Mapping[str, Any], where: str) -> Location:
    for key in ("lon", "lat"):
        if key not in table:
            raise InvalidInput(f"{where}: missing key {key!r}")
        v = table[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InvalidInput(f"{where}.{key}: must be a number, got {v!r}")
    try:
        return Location(lon=float(table["lon"]), lat=float(table["lat"]))
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc.message}") from None


def _str(table: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    if key not in table:
        if default is None:
            raise InvalidInput(f"{where}: missing key {key!r}")
        return default
    v = table[key]
    if not isinstance(v, str) or (default is None and not v.strip()):
        raise InvalidInput(f"{where}.{key}: must be a non-empty string, got {v!r}")
    return v


def _tables(doc: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    v = doc.get(key, [])
    if not isinstance(v, list) or not all(isinstance(t, dict) for t in v):
        raise InvalidInput(f"{where}: [[{key}]] must be an array of tables")
    return v


_HUB_KINDS = {"depot": SiteKind.DEPOT, "micro_hub": SiteKind.MICRO_HUB, "relay_point": SiteKind.RELAY_POINT}


def read_fleet(path: Path) -> Scenario:
    """Read the operation file: horizon, hubs, merchants, vehicle types, vehicles, tiers.

    See ``docs/formats.md`` ("fleet.toml").

    Parameters
    ----------
    path : Path
        A TOML file.

    Returns
    -------
    Scenario
        With no orders and no customers yet (see :func:`read_orders`).

    Raises
    ------
    InvalidInput
        Naming the file, the table (``vehicles[2]``) and the key for the first error:
        unreadable TOML, a missing key, a bad value, an unknown reference, an empty fleet.
    """
    path = Path(path)
    name = path.name
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"fleet {str(path)!r}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"fleet {str(path)!r}: unreadable ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{name}: not valid TOML ({exc})") from None
    try:
        return _fleet_from(doc, name)
    except InvalidInput as exc:
        if exc.message.startswith(name):
            raise
        raise InvalidInput(f"{name}: {exc.message}", pointer=exc.pointer) from None


def _fleet_from(doc: Mapping[str, Any], name: str) -> Scenario:
    horizon_t = doc.get("horizon")
    if not isinstance(horizon_t, dict):
        raise InvalidInput(f"{name}: missing [horizon] table (start = YYYY-MM-DD, days = N)")
    start = horizon_t.get("start")
    if isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start)
        except ValueError:
            raise InvalidInput(f"{name}: horizon.start must be a date YYYY-MM-DD, got {start!r}") from None
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        raise InvalidInput(f"{name}: horizon.start must be a date YYYY-MM-DD, got {start!r}")
    days = horizon_t.get("days", 7)
    try:
        horizon = Horizon(start=start, days=days)
    except InvalidInput as exc:
        raise InvalidInput(f"{name}: horizon: {exc.message}") from None

    hubs: list[Hub] = []
    for k, t in enumerate(_tables(doc, "hubs", name)):
        where = f"{name}: hubs[{k}]"
        hid = _str(t, "id", where)
        kind = _str(t, "kind", where, "depot")
        if kind not in _HUB_KINDS:
            raise InvalidInput(f"{where}.kind: must be one of {sorted(_HUB_KINDS)}, got {kind!r}")
        open_s, close_s = _span(_str(t, "hours", where, "00:00-24:00"), f"{where}.hours")
        label = _str(t, "name", where, hid)
        try:
            hubs.append(
                Hub(
                    id=hid,
                    name=label,
                    site=Site(
                        id=hid,
                        location=_loc(t, where),
                        kind=_HUB_KINDS[kind],
                        name=label,
                        address=_str(t, "address", where, ""),
                    ),
                    open_s=open_s,
                    close_s=close_s,
                    open_weekdays=_weekdays(t.get("days", "daily"), f"{where}.days"),
                    handling_s=_decimal(t.get("handling_min", 0), f"{where}.handling_min", scale=60),
                )
            )
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc.message}") from None

    merchants: list[Merchant] = []
    opening: list[OpeningHours] = []
    for k, t in enumerate(_tables(doc, "merchants", name)):
        where = f"{name}: merchants[{k}]"
        mid = _str(t, "id", where)
        label = _str(t, "name", where, mid)
        if "hours" in t:
            open_s, close_s = _span(_str(t, "hours", where), f"{where}.hours")
            opening.append(
                OpeningHours(
                    merchant_id=mid,
                    open_s=open_s,
                    close_s=close_s,
                    weekdays=_weekdays(t.get("days", "daily"), f"{where}.days"),
                )
            )
        merchants.append(
            Merchant(
                id=mid,
                name=label,
                site=Site(
                    id=f"site-{mid}",
                    location=_loc(t, where),
                    kind=SiteKind.MERCHANT,
                    name=label,
                    address=_str(t, "address", where, ""),
                ),
                phone=_str(t, "phone", where, ""),
            )
        )

    types: dict[str, VehicleType] = {}
    for k, t in enumerate(_tables(doc, "vehicle_types", name)):
        where = f"{name}: vehicle_types[{k}]"
        tid = _str(t, "id", where)
        profile = _str(t, "profile", where)
        fuel = _str(t, "fuel", where, "diesel")
        try:
            types[tid] = VehicleType(
                id=tid,
                profile=Profile(profile),
                capacity_g=_decimal(t.get("capacity_kg"), f"{where}.capacity_kg", scale=1000, minimum=1),
                capacity_ml=_decimal(t.get("capacity_l"), f"{where}.capacity_l", scale=1000, minimum=1),
                capacity_parcels=_decimal(
                    t.get("capacity_parcels"), f"{where}.capacity_parcels", scale=1, minimum=1
                ),
                fixed_cost_cents_per_day=_decimal(
                    t.get("fixed_cost_per_day", 0), f"{where}.fixed_cost_per_day", scale=100
                ),
                cost_cents_per_km=_decimal(t.get("cost_per_km", 0), f"{where}.cost_per_km", scale=100),
                cost_cents_per_hour=_decimal(t.get("cost_per_hour", 0), f"{where}.cost_per_hour", scale=100),
                fuel=Fuel(fuel),
                fuel_ml_per_100km=_decimal(
                    t.get("fuel_l_per_100km", 0), f"{where}.fuel_l_per_100km", scale=1000
                ),
                energy_wh_per_100km=_decimal(
                    t.get("energy_kwh_per_100km", 0), f"{where}.energy_kwh_per_100km", scale=1000
                ),
                skills=frozenset(_skills(t.get("skills", []), f"{where}.skills")),
            )
        except ValueError:
            bad = "profile" if profile not in {p.value for p in Profile} else "fuel"
            allowed = [p.value for p in Profile] if bad == "profile" else [f.value for f in Fuel]
            raise InvalidInput(f"{where}.{bad}: must be one of {allowed}, got {t.get(bad)!r}") from None
        except InvalidInput as exc:
            if exc.message.startswith(where):
                raise
            raise InvalidInput(f"{where}: {exc.message}") from None

    hub_ids = {h.id for h in hubs}
    vehicles: list[Vehicle] = []
    for k, t in enumerate(_tables(doc, "vehicles", name)):
        where = f"{name}: vehicles[{k}]"
        vid = _str(t, "id", where)
        type_id = _str(t, "type", where)
        if type_id not in types:
            raise UnknownReference(
                f"{where}.type: unknown vehicle type {type_id!r} (defined: {sorted(types)})"
            )
        depot = _str(t, "depot", where)
        if depot not in hub_ids:
            raise UnknownReference(f"{where}.depot: unknown hub {depot!r} (defined: {sorted(hub_ids)})")
        shift = _span(_str(t, "shift", where, "08:00-18:00"), f"{where}.shift")
        end_depot = t.get("end_depot")
        if end_depot is not None and end_depot not in hub_ids:
            raise UnknownReference(
                f"{where}.end_depot: unknown hub {end_depot!r} (defined: {sorted(hub_ids)})"
            )
        count = t.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise InvalidInput(f"{where}.count: must be an integer >= 1, got {count!r}")
        trips = t.get("max_trips_per_day", 1)
        for c in range(count):
            try:
                vehicles.append(
                    Vehicle(
                        id=vid if count == 1 else f"{vid}-{c + 1}",
                        type=types[type_id],
                        depot_id=depot,
                        working_weekdays=_weekdays(t.get("days", "weekdays"), f"{where}.days"),
                        shift_start_s=shift[0],
                        shift_end_s=shift[1],
                        max_trips_per_day=trips,
                        reload_s=_decimal(t.get("reload_min", 15), f"{where}.reload_min", scale=60),
                        end_depot_id=end_depot,
                    )
                )
            except InvalidInput as exc:
                if exc.message.startswith(where):
                    raise
                raise InvalidInput(f"{where}: {exc.message}") from None
    if not vehicles:
        raise InvalidInput(f"{name}: the fleet is empty: add at least one [[vehicles]] table")

    tiers = list(DEFAULT_TIERS)
    if "tiers" in doc:
        tiers = []
        for k, t in enumerate(_tables(doc, "tiers", name)):
            where = f"{name}: tiers[{k}]"
            try:
                tiers.append(
                    Tier(
                        code=_str(t, "code", where),
                        name=_str(t, "name", where, _str(t, "code", where)),
                        min_days=t.get("min_days", 1),
                        max_days=t.get("max_days", 1),
                        relay=bool(t.get("relay", False)),
                    )
                )
            except InvalidInput as exc:
                if exc.message.startswith(where):
                    raise
                raise InvalidInput(f"{where}: {exc.message}") from None
    try:
        return Scenario(
            name=Path(name).stem,
            horizon=horizon,
            hubs=tuple(hubs),
            merchants=tuple(merchants),
            customers=(),
            vehicles=tuple(vehicles),
            orders=(),
            tiers=tuple(tiers),
            source=name,
            opening_hours=tuple(opening),
        )
    except InvalidInput as exc:
        raise InvalidInput(f"{name}: {exc.message}") from None


def _skills(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [s for s in re.split(r"[\s|;,]+", value) if s]
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return value
    raise InvalidInput(f"{where}: must be a list of strings, got {value!r}")


_REQUIRED_COLUMNS = ("id", "merchant", "weight_kg", "tier")


def read_orders(path: Path, fleet: Scenario) -> Scenario:
    """Read orders from a CSV file into the operation ``fleet`` (see ``docs/formats.md``).

    Parameters
    ----------
    path : Path
        A UTF-8 CSV file with a header row.
    fleet : Scenario
        The operation read by :func:`read_fleet` (horizon, hubs, merchants, tiers).

    Returns
    -------
    Scenario
        ``fleet`` with the orders and their customers.

    Raises
    ------
    InvalidInput
        Naming the file, the row (as numbered in a spreadsheet, header = 1) and the
        column: a missing column, an unknown merchant (:class:`UnknownReference`) or
        tier (:class:`UnknownTier`), a negative or zero weight, a window that ends
        before it starts or falls outside the horizon, a tier window that misses the
        horizon, a duplicate id.
    """
    path = Path(path)
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(f"orders {str(path)!r}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"orders {str(path)!r}: unreadable ({exc})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))  # quoted cells may hold line breaks
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in _REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InvalidInput(
            f"{name}: missing column(s) {', '.join(missing)} (header: {', '.join(header) or 'none'})"
        )
    merchants = {m.id: m for m in fleet.merchants}
    tiers = {t.code: t for t in fleet.tiers}
    relays = {h.id: h for h in fleet.hubs if h.site.kind is SiteKind.RELAY_POINT}
    hubs = {h.id: h for h in fleet.hubs}
    hours = {h.merchant_id: h for h in fleet.opening_hours}
    orders: list[Order] = []
    customers: dict[str, Customer] = {}
    seen: set[str] = set()
    for k, raw in enumerate(reader):
        row_no = k + 2
        row = {(key or "").strip(): (v or "").strip() for key, v in raw.items() if key is not None}
        where = f"{name}: row {row_no}"
        if row.get("id") and row["id"] in seen:
            raise InvalidInput(f"{where}, column id: duplicate order id {row['id']!r}")
        order = _order_from_row(row, where, fleet.horizon, merchants, tiers, relays, hubs, hours, customers)
        seen.add(order.id)
        orders.append(order)
    if not orders:
        raise InvalidInput(f"{name}: no order (the file has a header and no row)")
    return replace(fleet, customers=(*fleet.customers, *customers.values()), orders=tuple(orders))


def _order_from_row(
    row: Mapping[str, str],
    where: str,
    horizon: Horizon,
    merchants: Mapping[str, Merchant],
    tiers: Mapping[str, Tier],
    relays: Mapping[str, Hub],
    hubs: Mapping[str, Hub],
    hours: Mapping[str, OpeningHours],
    customers: dict[str, Customer],
) -> Order:
    def col(c: str) -> str:
        return f"{where}, column {c}"

    oid = row.get("id", "")
    if not oid:
        raise InvalidInput(f"{col('id')}: must not be empty")
    mid = row.get("merchant", "")
    if mid not in merchants:
        raise UnknownReference(f"{col('merchant')}: unknown merchant {mid!r} (order {oid!r})")
    code = row.get("tier", "")
    if code not in tiers:
        raise UnknownTier(
            f"{col('tier')}: unknown tier {code!r} (order {oid!r}; defined: {', '.join(tiers)})"
        )
    tier = tiers[code]
    weight_g = _decimal(row.get("weight_kg", ""), col("weight_kg"), scale=1000, minimum=1)
    volume_ml = _decimal(row.get("volume_l") or 0, col("volume_l"), scale=1000)
    parcels = _decimal(row.get("parcels") or 1, col("parcels"), scale=1, minimum=1)
    service_s = _decimal(row.get("service_min") or 2, col("service_min"), scale=60)
    pickup_service_s = _decimal(row.get("pickup_service_min") or 1, col("pickup_service_min"), scale=60)
    value_cents = _decimal(row.get("value") or 0, col("value"), scale=100)
    # Day window: from the order date and the tier, clipped to the horizon.
    ordered = row.get("ordered_on", "")
    if ordered:
        try:
            order_day = horizon.day_of(dt.date.fromisoformat(ordered))
        except ValueError:
            raise InvalidInput(f"{col('ordered_on')}: must be a date YYYY-MM-DD, got {ordered!r}") from None
    else:
        order_day = -1  # ordered before the horizon starts
    earliest = order_day + tier.min_days
    latest = order_day + tier.max_days
    if latest < 0 or earliest > horizon.days - 1:
        last = horizon.date_of(horizon.days - 1).isoformat()
        raise InvalidInput(
            f"{col('ordered_on')}: tier {code!r} asks for delivery between "
            f"{horizon.date_of(earliest).isoformat()} and {horizon.date_of(latest).isoformat()}, "
            f"outside the horizon {horizon.start.isoformat()} … {last} (order {oid!r})"
        )
    earliest, latest = max(0, earliest), min(horizon.days - 1, latest)
    # Explicit delivery dates override the tier's window.
    for column in ("deliver_from", "deliver_by"):
        text = row.get(column, "")
        if not text:
            continue
        try:
            day = horizon.day_of(dt.date.fromisoformat(text))
        except ValueError:
            raise InvalidInput(f"{col(column)}: must be a date YYYY-MM-DD, got {text!r}") from None
        if not 0 <= day < horizon.days:
            raise InvalidInput(
                f"{col(column)}: {text} is outside the horizon {horizon.start.isoformat()} … "
                f"{horizon.date_of(horizon.days - 1).isoformat()} (order {oid!r})"
            )
        if column == "deliver_from":
            earliest = day
        else:
            latest = day
    if latest < earliest:
        raise InvalidInput(
            f"{col('deliver_by')}: {horizon.date_of(latest).isoformat()} is before the first delivery day "
            f"{horizon.date_of(earliest).isoformat()} (order {oid!r})"
        )
    windows = _row_windows(row.get("window", ""), col("window"), horizon, earliest, latest)
    # Pickup: the merchant's shop, or a hub where the goods already are.
    at_hub = row.get("pickup_hub", "")
    if at_hub and at_hub not in hubs:
        raise UnknownReference(f"{col('pickup_hub')}: unknown hub {at_hub!r} (order {oid!r})")
    pickup = hubs[at_hub].site if at_hub else merchants[mid].site
    pickup_windows = () if at_hub or mid not in hours else hours[mid].windows(horizon, latest)
    # Delivery: a relay point for relay tiers, else the customer's door.
    customer_id: str | None = None
    if tier.relay:
        rid = row.get("relay", "")
        if not rid and len(relays) == 1:
            rid = next(iter(relays))
        if rid not in relays:
            raise UnknownReference(
                f"{col('relay')}: tier {code!r} delivers to a relay point; unknown relay point {rid!r} "
                f"(defined: {', '.join(relays) or 'none'})"
            )
        delivery = relays[rid].site
        customer_id = row.get("customer_id") or None
    else:
        for c in ("lon", "lat"):
            if not row.get(c):
                raise InvalidInput(f"{col(c)}: required for home delivery (order {oid!r})")
        try:
            loc = Location(lon=float(row["lon"].replace(",", ".")), lat=float(row["lat"].replace(",", ".")))
        except ValueError:
            raise InvalidInput(
                f"{col('lon')}/{'lat'}: must be numbers, got {row['lon']!r}, {row['lat']!r}"
            ) from None
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc.message}") from None
        customer_id = row.get("customer_id") or f"cust-{oid}"
        person = row.get("customer", "")
        site = Site(
            id=f"site-{customer_id}",
            location=loc,
            kind=SiteKind.CUSTOMER,
            name=person,
            address=row.get("address", ""),
        )
        known = customers.get(customer_id)
        if known is not None and known.site.location != loc:
            raise InvalidInput(
                f"{col('customer_id')}: customer {customer_id!r} already has another location "
                f"({known.site.location.lon}, {known.site.location.lat})"
            )
        if known is None:
            customers[customer_id] = Customer(
                id=customer_id,
                name=person or customer_id,
                site=site,
                phone=row.get("phone", ""),
                email=row.get("email") or None,
            )
        delivery = customers[customer_id].site
    try:
        return Order(
            id=oid,
            merchant_id=mid,
            pickup=pickup,
            delivery=delivery,
            weight_g=weight_g,
            volume_ml=volume_ml,
            parcels=parcels,
            earliest_day=earliest,
            latest_day=latest,
            windows=windows,
            pickup_windows=pickup_windows,
            service_s=service_s,
            pickup_service_s=pickup_service_s,
            skills=frozenset(_skills(row.get("skills", ""), col("skills"))),
            tier=code,
            customer_id=customer_id,
            value_cents=value_cents,
            notes=row.get("notes", ""),
            pickup_at_hub=bool(at_hub),
        )
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc.message}") from None


def _row_windows(
    text: str, where: str, horizon: Horizon, earliest: int, latest: int
) -> tuple[TimeWindow, ...]:
    """Parse ``"weekdays 17:00-20:00; 2026-12-01 09:00-12:00"`` into windows on allowed days."""
    if not text:
        return ()
    out: list[TimeWindow] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        pieces = part.split()
        if len(pieces) == 1:
            day_spec, span = "daily", pieces[0]
        elif len(pieces) == 2:
            day_spec, span = pieces
        else:
            raise InvalidInput(f"{where}: {part!r} must look like '[DAYS] HH:MM-HH:MM'")
        a, b = _span(span, where)
        try:
            date = dt.date.fromisoformat(day_spec)
        except ValueError:
            date = None
        if date is not None:
            day = horizon.day_of(date)
            if not 0 <= day < horizon.days:
                raise InvalidInput(
                    f"{where}: {date.isoformat()} is outside the horizon {horizon.start.isoformat()} … "
                    f"{horizon.date_of(horizon.days - 1).isoformat()}"
                )
            if not earliest <= day <= latest:
                raise InvalidInput(
                    f"{where}: {date.isoformat()} is outside the tier's days "
                    f"{horizon.date_of(earliest).isoformat()} … {horizon.date_of(latest).isoformat()}"
                )
            out.append(TimeWindow(start_s=day * DAY_S + a, end_s=day * DAY_S + b))
            continue
        weekdays = _weekdays(day_spec.split(","), where)
        for day in range(earliest, latest + 1):
            if horizon.weekday_of(day) in weekdays:
                out.append(TimeWindow(start_s=day * DAY_S + a, end_s=day * DAY_S + b))
    if not out:
        raise InvalidInput(
            f"{where}: {text!r} opens on no day between {horizon.date_of(earliest).isoformat()} and "
            f"{horizon.date_of(latest).isoformat()} (the tier's days inside the horizon)"
        )
    out.sort(key=lambda w: w.start_s)
    return tuple(out)


# ---------------------------------------------------------------------------------------
# Writing the input files (the demo writes its scenario so `tournee plan` can replay it)

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _human(value: int, scale: int) -> str:
    """Integer in a small unit → decimal text in the human unit (``8500, 1000`` → ``"8.5"``)."""
    return f"{(Decimal(value) / Decimal(scale)).normalize():f}"


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _toml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _toml_days(days: frozenset[int]) -> str:
    return "[" + ", ".join(_toml_str(_DAY_NAMES[d]) for d in sorted(days)) + "]"


def fleet_toml(scenario: Scenario) -> str:
    """The operation part of ``scenario`` as ``fleet.toml`` text (see :func:`read_fleet`)."""
    out = [
        f"# Operation of scenario {scenario.name!r} — format: docs/formats.md",
        "",
        "[horizon]",
        f"start = {scenario.horizon.start.isoformat()}",
        f"days = {scenario.horizon.days}",
    ]
    kinds = {v: k for k, v in _HUB_KINDS.items()}
    for h in scenario.hubs:
        out += [
            "",
            "[[hubs]]",
            f"id = {_toml_str(h.id)}",
            f"kind = {_toml_str(kinds.get(h.site.kind, 'depot'))}",
            f"name = {_toml_str(h.name)}",
            f"lon = {h.site.location.lon!r}",
            f"lat = {h.site.location.lat!r}",
            f"address = {_toml_str(h.site.address)}",
            f"hours = {_toml_str(_hhmm(h.open_s) + '-' + _hhmm(h.close_s))}",
            f"days = {_toml_days(h.open_weekdays)}",
            f"handling_min = {_human(h.handling_s, 60)}",
        ]
    hours = {o.merchant_id: o for o in scenario.opening_hours}
    for m in scenario.merchants:
        out += [
            "",
            "[[merchants]]",
            f"id = {_toml_str(m.id)}",
            f"name = {_toml_str(m.name)}",
            f"lon = {m.site.location.lon!r}",
            f"lat = {m.site.location.lat!r}",
            f"address = {_toml_str(m.site.address)}",
            f"phone = {_toml_str(m.phone)}",
        ]
        if m.id in hours:
            oh = hours[m.id]
            out += [
                f"hours = {_toml_str(_hhmm(oh.open_s) + '-' + _hhmm(oh.close_s))}",
                f"days = {_toml_days(oh.weekdays)}",
            ]
    for vt in scenario.vehicle_types:
        out += [
            "",
            "[[vehicle_types]]",
            f"id = {_toml_str(vt.id)}",
            f"profile = {_toml_str(vt.profile.value)}",
            f"capacity_kg = {_human(vt.capacity_g, 1000)}",
            f"capacity_l = {_human(vt.capacity_ml, 1000)}",
            f"capacity_parcels = {vt.capacity_parcels}",
            f"fixed_cost_per_day = {_human(vt.fixed_cost_cents_per_day, 100)}",
            f"cost_per_km = {_human(vt.cost_cents_per_km, 100)}",
            f"cost_per_hour = {_human(vt.cost_cents_per_hour, 100)}",
            f"fuel = {_toml_str(vt.fuel.value)}",
            f"fuel_l_per_100km = {_human(vt.fuel_ml_per_100km, 1000)}",
            f"energy_kwh_per_100km = {_human(vt.energy_wh_per_100km, 1000)}",
            "skills = [" + ", ".join(_toml_str(x) for x in sorted(vt.skills)) + "]",
        ]
    for v in scenario.vehicles:
        out += [
            "",
            "[[vehicles]]",
            f"id = {_toml_str(v.id)}",
            f"type = {_toml_str(v.type.id)}",
            f"depot = {_toml_str(v.depot_id)}",
            f"days = {_toml_days(v.working_weekdays)}",
            f"shift = {_toml_str(_hhmm(v.shift_start_s) + '-' + _hhmm(v.shift_end_s))}",
            f"max_trips_per_day = {v.max_trips_per_day}",
            f"reload_min = {_human(v.reload_s, 60)}",
        ]
        if v.end_depot_id is not None:
            out.append(f"end_depot = {_toml_str(v.end_depot_id)}")
    for t in scenario.tiers:
        out += [
            "",
            "[[tiers]]",
            f"code = {_toml_str(t.code)}",
            f"name = {_toml_str(t.name)}",
            f"min_days = {t.min_days}",
            f"max_days = {t.max_days}",
            f"relay = {'true' if t.relay else 'false'}",
        ]
    return "\n".join(out) + "\n"


ORDER_COLUMNS = (
    "id",
    "merchant",
    "customer_id",
    "customer",
    "phone",
    "email",
    "address",
    "lon",
    "lat",
    "relay",
    "pickup_hub",
    "weight_kg",
    "volume_l",
    "parcels",
    "tier",
    "deliver_from",
    "deliver_by",
    "window",
    "service_min",
    "pickup_service_min",
    "skills",
    "value",
    "notes",
)


def _window_text(horizon: Horizon, start_s: int, end_s: int) -> str:
    day = start_s // DAY_S
    a, b = start_s - day * DAY_S, end_s - day * DAY_S
    if b > DAY_S:
        raise InvalidInput(f"orders: a window crossing midnight cannot be written ({start_s}..{end_s})")
    return f"{horizon.date_of(day).isoformat()} {_hhmm(a)}-{'24:00' if b == DAY_S else _hhmm(b)}"


def orders_csv(scenario: Scenario) -> str:
    """The orders of ``scenario`` as ``orders.csv`` text (see :func:`read_orders`).

    Day windows are written as explicit dates (``deliver_from``/``deliver_by``) and
    customer windows as dated intervals, so reading the file back with the fleet of
    :func:`fleet_toml` gives the same orders.
    """

    customers = {c.id: c for c in scenario.customers}
    relays = {h.site.id: h.id for h in scenario.hubs if h.site.kind is SiteKind.RELAY_POINT}
    hub_sites = {h.site.id: h.id for h in scenario.hubs}
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=ORDER_COLUMNS, lineterminator="\n")
    w.writeheader()
    h = scenario.horizon
    for o in scenario.orders:
        c = customers.get(o.customer_id or "")
        relay = relays.get(o.delivery.id, "")
        w.writerow(
            {
                "id": o.id,
                "merchant": o.merchant_id,
                "customer_id": o.customer_id or "",
                "customer": c.name if c else o.delivery.name,
                "phone": c.phone if c else "",
                "email": (c.email or "") if c else "",
                "address": "" if relay else o.delivery.address,
                "lon": "" if relay else repr(o.delivery.location.lon),
                "lat": "" if relay else repr(o.delivery.location.lat),
                "relay": relay,
                "pickup_hub": hub_sites.get(o.pickup.id, "") if o.pickup_at_hub else "",
                "weight_kg": _human(o.weight_g, 1000),
                "volume_l": _human(o.volume_ml, 1000),
                "parcels": o.parcels,
                "tier": o.tier,
                "deliver_from": h.date_of(o.earliest_day).isoformat(),
                "deliver_by": h.date_of(o.latest_day).isoformat(),
                "window": "; ".join(_window_text(h, x.start_s, x.end_s) for x in o.windows),
                "service_min": _human(o.service_s, 60),
                "pickup_service_min": _human(o.pickup_service_s, 60),
                "skills": " ".join(sorted(o.skills)),
                "value": _human(o.value_cents, 100),
                "notes": o.notes,
            }
        )
    return buf.getvalue()


def write_inputs(scenario: Scenario, folder: Path) -> dict[str, Path]:
    """Write ``fleet.toml`` and ``orders.csv`` for ``scenario`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fleet = folder / "fleet.toml"
    orders = folder / "orders.csv"
    fleet.write_text(fleet_toml(scenario), encoding="utf-8")
    orders.write_text(orders_csv(scenario), encoding="utf-8")
    return {"fleet": fleet, "orders": orders}
