"""Quote use cases shared by the CLI and the HTTP API: price an order per tier from a plan.

The tariffs engine may not import the routing engine, so this module joins them:
:class:`RoadTravelLookup` adapts :class:`~tournee.routing.matrix.RoadTravel` to the
engine's :class:`~tournee.tariffs.travel.TravelLookup`, :func:`emission_rates` turns the
planner's emission factors into the engine's rates, and :func:`quote_files` reads
``plan.json`` + ``fleet.toml`` + an order and returns one quote per order.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tournee.api.services.maps import default_map_path, load_map
from tournee.api.services.plan_io import read_fleet, read_orders, read_plan
from tournee.domain import CarbonPrice, InvalidInput, Order, Plan, Profile, Site, SiteKind, Vehicle
from tournee.routing.emissions import vehicle_factor
from tournee.routing.matrix import NO_PATH_SUM, RoadTravel, SideCache, rect_table
from tournee.routing.scenario import Scenario
from tournee.routing.snap import SnappedPoints
from tournee.tariffs import (
    EmissionRate,
    QuoteContext,
    QuoteDetail,
    StraightLineTravel,
    TariffPolicy,
    TravelLookup,
    custom_carbon_price,
    load_carbon_prices,
    load_policy,
    quote_order_detailed,
)
from tournee.tariffs.policy import RelayPoint
from tournee.tariffs.quote import format_money

__all__ = [
    "QuoteRun",
    "RoadTravelLookup",
    "build_context",
    "emission_rates",
    "policy_for",
    "quote_files",
    "render_quote",
    "resolve_carbon_price",
    "sample_quote_table",
]

log = logging.getLogger(__name__)

Stage = Callable[[str], None]


class RoadTravelLookup:
    """:class:`~tournee.tariffs.travel.TravelLookup` on road networks.

    Quoting asks for a few new sites against the plan's many: the plan's sites are snapped
    once (cached by identity of the site tuple the quote context passes), the new ones per
    call, and only the few-by-many tables are computed on the profile's engine — the same
    integers as the planner's matrices.  Pairs with no route, or a site off the network,
    are ``-1``.
    """

    def __init__(self, road: RoadTravel) -> None:
        self.road = road
        self._snapped: dict[tuple[Profile, int], tuple[Sequence[Site], SnappedPoints]] = {}
        self._small: dict[tuple[Profile, tuple[tuple[str, float, float], ...]], SnappedPoints] = {}
        self._sides: SideCache = {}

    def _snap(self, profile: Profile, sites: Sequence[Site]) -> SnappedPoints:
        key = (profile, id(sites))
        hit = self._snapped.get(key)
        if hit is not None and hit[0] is sites:
            return hit[1]
        # A quote asks about the same few new sites several times (to and from the rounds,
        # home and relay): remember the last few small sets by content.
        small_key = (profile, tuple((s.id, s.location.lon, s.location.lat) for s in sites))
        if len(sites) <= 16 and small_key in self._small:
            return self._small[small_key]
        snapped = self.road.snapper(profile).snap_all(
            [(s.id, s.location) for s in sites], max_distance_m=self.road.max_snap_m
        )
        if isinstance(sites, tuple) and len(sites) > 16:
            if len(self._snapped) >= 8:
                self._snapped.clear()
            self._snapped[key] = (sites, snapped)
        elif len(sites) <= 16:
            if len(self._small) >= 64:
                self._small.clear()
            self._small[small_key] = snapped
        return snapped

    def legs(
        self, profile: Profile, origins: Sequence[Site], destinations: Sequence[Site]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Distance (m) and duration (s) from each origin to each destination (-1: no route)."""
        dist = np.full((len(origins), len(destinations)), -1, dtype=np.int64)
        dur = dist.copy()
        if not origins or not destinations:
            return dist, dur
        src, dst = self._snap(profile, origins), self._snap(profile, destinations)
        s_on, d_on = np.flatnonzero(src.on_network), np.flatnonzero(dst.on_network)
        if not s_on.size or not d_on.size:
            return dist, dur
        engine = self.road.engine(profile)
        src_on = src if s_on.size == len(src) else src.subset(s_on)
        dst_on = dst if d_on.size == len(dst) else dst.subset(d_on)
        length_mm = rect_table(engine, src_on, dst_on, "length", cache=self._sides)
        duration_ms = rect_table(engine, src_on, dst_on, "duration", cache=self._sides)
        ok = (length_mm < NO_PATH_SUM) & (duration_ms < NO_PATH_SUM)
        block = np.ix_(s_on, d_on)
        dist[block] = np.where(ok, (length_mm + 500) // 1000, -1)
        dur[block] = np.where(ok, (duration_ms + 500) // 1000, -1)
        return dist, dur


def emission_rates(vehicles: Sequence[Vehicle], *, grid: str = "eu") -> dict[str, EmissionRate]:
    """The planner's emission factor of each vehicle type, as the tariffs engine's rates."""
    rates: dict[str, EmissionRate] = {}
    for v in vehicles:
        if v.type.id in rates:
            continue
        f = vehicle_factor(v.type, grid=grid)
        rates[v.type.id] = EmissionRate(
            ttw_co2e_mg_per_km=round(f.ttw_g_per_km * 1000),
            wtt_co2e_mg_per_km=round(f.wtt_g_per_km * 1000),
            factor_id=f.id,
            source=f.source,
            year=f.year,
        )
    return rates


def policy_for(scenario: Scenario | None, *, policy_path: Path | None = None) -> TariffPolicy:
    """The tariff policy, with the operation's relay points (``fleet.toml`` hubs) when it has any."""
    policy = load_policy(policy_path)
    if scenario is None:
        return policy
    relays = [h for h in scenario.hubs if h.site.kind is SiteKind.RELAY_POINT]
    if not relays:
        return policy
    points = tuple(
        RelayPoint(site=replace(h.site, name=h.site.name or h.name), open_s=h.open_s, close_s=h.close_s)
        for h in relays
    )
    return replace(policy, relay_points=points)


def resolve_carbon_price(
    policy: TariffPolicy, *, price_id: str | None = None, custom_per_t: float | None = None
) -> CarbonPrice:
    """The carbon price reference to quote with: a custom value, a named one, or the policy's."""
    if custom_per_t is not None:
        if custom_per_t < 0:
            raise InvalidInput(f"--carbon-price-custom must be >= 0, got {custom_per_t!r}")
        return custom_carbon_price(
            cents_per_t=round(custom_per_t * 100), currency=policy.currency, as_of=dt.date.today()
        )
    return load_carbon_prices().get(price_id or policy.carbon_price_id)


def build_context(plan: Plan, scenario: Scenario, *, travel: TravelLookup, grid: str = "eu") -> QuoteContext:
    """Read a plan made for ``scenario`` (its fleet and hubs) for quoting."""
    return QuoteContext.build(
        plan,
        vehicles=scenario.vehicles,
        travel=travel,
        depots={h.id: h.site for h in scenario.hubs},
        emission_rates=emission_rates(scenario.vehicles, grid=grid),
    )


_SPEC_KEYS = (
    "id", "merchant", "lon", "lat", "weight_kg", "volume_l", "parcels", "window", "skills",
    "pickup_hub", "value", "service_min", "customer", "address",
)  # fmt: skip


def _orders_from_spec(spec: str, scenario: Scenario) -> Scenario:
    """``--order``: a CSV file (docs/formats.md) or inline ``key=value`` pairs of the same columns."""
    path = Path(spec)
    if path.suffix.lower() == ".csv" or path.is_file():
        return read_orders(path, scenario)
    fields: dict[str, str] = {}
    for part in spec.replace(";", " ").split():
        key, sep, value = part.partition("=")
        if not sep or key not in _SPEC_KEYS:
            raise InvalidInput(
                f"--order: expected a CSV file or key=value pairs ({', '.join(_SPEC_KEYS)}), got {part!r}",
                pointer="/order",
            )
        fields[key] = value
    fields.setdefault("id", "new")
    if "merchant" not in fields and scenario.merchants:
        fields["merchant"] = scenario.merchants[0].id
    # the tier column is required by the reader; quoting ignores it (every tier is priced)
    home = [t for t in scenario.tiers if not t.relay]
    fields["tier"] = max(home, key=lambda t: t.max_days).code if home else scenario.tiers[0].code
    if "window" in fields:
        fields["window"] = fields["window"].replace("_", " ")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields))
    writer.writeheader()
    writer.writerow(fields)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp) / "order.csv"
        tmp_path.write_text(buf.getvalue(), encoding="utf-8")
        return read_orders(tmp_path, scenario)


@dataclass(frozen=True, slots=True, kw_only=True)
class QuoteRun:
    """Quotes for the orders given, with the plan and policy they were priced from."""

    plan: Plan
    policy: TariffPolicy
    orders: tuple[Order, ...]
    details: tuple[QuoteDetail, ...]
    travel: str


def quote_files(
    *,
    plan_path: Path,
    fleet_path: Path,
    order_spec: str,
    map_path: Path | None = None,
    straight_line: bool = False,
    policy_path: Path | None = None,
    carbon_price_id: str | None = None,
    carbon_price_custom: float | None = None,
    ordered_on: dt.date | None = None,
    now: dt.datetime | None = None,
    cache_dir: Path | None = None,
    on_stage: Stage | None = None,
) -> QuoteRun:
    """``tournee quote``: price one or more prospective orders per tier from a plan.

    Parameters
    ----------
    plan_path, fleet_path
        The plan (``tournee plan --out``) and the operation it was made for.
    order_spec
        A CSV file of orders (``docs/formats.md``; the ``tier`` column is ignored) or
        inline ``key=value`` pairs of the same columns.
    map_path, straight_line
        Road travel on this map (default: the embedded map), or straight lines.
    policy_path, carbon_price_id, carbon_price_custom
        Tariff policy file and carbon price reference (default: the policy's).
    ordered_on
        The order date (default: the day before the plan's first day).

    Raises
    ------
    InvalidInput
        A bad file or option (the message names it).
    """
    stage = on_stage or (lambda _msg: None)
    stage(f"reading {Path(plan_path).name} and {Path(fleet_path).name}")
    plan = read_plan(Path(plan_path))
    fleet = read_fleet(Path(fleet_path))
    scenario = _orders_from_spec(order_spec, fleet)
    if not scenario.orders:
        raise InvalidInput(f"--order: no order in {order_spec!r}", pointer="/order")
    policy = policy_for(fleet, policy_path=policy_path)
    carbon = resolve_carbon_price(policy, price_id=carbon_price_id, custom_per_t=carbon_price_custom)
    travel: TravelLookup
    if straight_line:
        travel, travel_name = StraightLineTravel(), "straight lines (detour 1.3)"
    else:
        path = Path(map_path) if map_path is not None else default_map_path()
        stage(f"loading {path.name}")
        profiles = tuple(sorted({v.profile for v in fleet.vehicles}, key=lambda p: p.value))
        networks = load_map(path, profiles=profiles, cache_dir=cache_dir)
        travel, travel_name = (
            RoadTravelLookup(RoadTravel(networks, cache_dir=cache_dir)),
            f"roads of {path.name}",
        )
    stage("reading the plan's rounds")
    ctx = build_context(plan, fleet, travel=travel)
    details = []
    for order in scenario.orders:
        stage(f"quoting {order.id}")
        details.append(
            quote_order_detailed(
                ctx, order, policy=policy, carbon_price=carbon, order_date=ordered_on, now=now
            )
        )
    return QuoteRun(
        plan=plan, policy=policy, orders=scenario.orders, details=tuple(details), travel=travel_name
    )


def _dates(a: dt.date | None, b: dt.date | None) -> str:
    if a is None or b is None:
        return "—"
    if a == b:
        return f"{a:%a %d %b}"
    return f"{a:%a %d %b} – {b:%a %d %b}"


def render_quote(detail: QuoteDetail, *, order: Order | None = None, breakdown: bool = False) -> str:
    """The tier table of one quote as plain text (what ``tournee quote`` prints)."""
    q = detail.quote
    rows = [("tier", "delivery", "price", "carbon", "kg CO2e", "fill", "how")]
    for t in q.tiers:
        if not t.available:
            rows.append((t.tier, "—", "—", "—", "—", "—", f"unavailable: {t.reason}"))
            continue
        c = detail.chosen.get(t.tier)
        how = ""
        if c is not None:
            how = f"new vehicle-day {c.vehicle_id}" if c.new_vehicle_day else f"into {c.route_id}"
        rows.append(
            (
                t.tier,
                _dates(t.date_from, t.date_to),
                format_money(t.price_cents, q.currency),
                format_money(t.carbon_cents, q.currency),
                f"{t.co2e_g / 1000:.2f}",
                f"{t.fill_rate_pct} %",
                how,
            )
        )
    widths = [max(len(r[k]) for r in rows) for k in range(6)]
    lines = []
    title = f"Quote {q.id}"
    if order is not None:
        title += f" — order {order.id}: {order.weight_g / 1000:g} kg, {order.parcels} parcel(s)"
    lines.append(title)
    for r in rows:
        lines.append("  ".join(r[k].ljust(widths[k]) for k in range(6)) + "  " + r[6])
    if breakdown:
        for t in q.tiers:
            if t.available:
                lines.append(f"{t.tier}:")
                lines.extend(f"  {format_money(x.amount_cents, q.currency):>9}  {x.label}" for x in t.lines)
    cp = q.carbon_price
    lines.append(
        f"Carbon price: {cp.name}, {format_money(cp.cents_per_t, cp.currency)}/t CO2e, {cp.as_of} ({cp.source})"
    )
    lines.append(f"Valid until {q.expires_at:%Y-%m-%d %H:%M %Z}.  Prices in integer cents of {q.currency}.")
    if q.ges_line:
        lines.append(q.ges_line)
    return "\n".join(lines)


def sample_quote_table(
    plan: Plan,
    scenario: Scenario,
    *,
    travel: TravelLookup,
    customers: int = 3,
    policy: TariffPolicy | None = None,
    now: dt.datetime | None = None,
) -> str:
    """A tier table for a few of the scenario's customers (for ``tournee demo``)."""
    policy = policy or policy_for(scenario)
    carbon = resolve_carbon_price(policy)
    ctx = build_context(plan, scenario, travel=travel)
    out = []
    for order in scenario.orders[:customers]:
        detail = quote_order_detailed(ctx, order, policy=policy, carbon_price=carbon, now=now)
        out.append(render_quote(detail, order=order))
    return "\n\n".join(out)
