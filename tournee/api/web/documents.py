"""Documents built from a plan: printable route sheets, GPX, GeoJSON, map images and charts.

Pure functions over the domain :class:`~tournee.domain.Plan` / :class:`~tournee.domain.Route`
plus a :class:`SheetContext` holding what the plan does not know (customer names and
phones, door codes, items, amounts to collect, the tenant's language and currency).  They
read no database and no settings: the API's route-sheet endpoints and the CLI both call them.

Plan times are seconds from the horizon start (see :mod:`tournee.domain.model`); every
document shows local clock times of the route's day.  Maps derived from OpenStreetMap
carry "© OpenStreetMap contributors".
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import segno
from matplotlib import rc_context
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from tournee.api.web import i18n
from tournee.api.web.templating import render
from tournee.domain import DAY_S, Horizon, InvalidInput, Plan, Route, Stop, StopKind, TierQuote, Unavailable
from tournee.routing.graph import RoadNetwork

__all__ = [
    "OSM_CREDIT",
    "STOPS_PER_PAGE",
    "LonLat",
    "OrderInfo",
    "SheetContext",
    "SheetRow",
    "SiteInfo",
    "fill_rate_chart_svg",
    "network_lines",
    "route_geojson",
    "route_gpx",
    "route_map_png",
    "route_sheet_html",
    "route_sheet_pdf",
    "sheet_rows",
    "tier_chart_svg",
]

log = logging.getLogger(__name__)

LonLat = tuple[float, float]
STOPS_PER_PAGE = 12
_MAX_REFS = 4  # order references listed on one line of a sheet
OSM_CREDIT = "© OpenStreetMap contributors"
GPX_NS = "http://www.topografix.com/GPX/1/1"
_SERVICE_KINDS = (StopKind.PICKUP, StopKind.DELIVERY, StopKind.HUB_DROP, StopKind.HUB_LOAD, StopKind.RELOAD)


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteInfo:
    """What a courier needs to know about a place: name, address, phone, door code, notes."""

    name: str = ""
    address: str = ""
    phone: str = ""
    door_code: str = ""
    notes: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderInfo:
    """What a courier needs to know about an order: whom, what, and the amount to collect."""

    reference: str = ""
    customer_name: str = ""
    phone: str = ""
    address: str = ""
    items: str = ""
    notes: str = ""
    collect_cents: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.collect_cents, bool) or not isinstance(self.collect_cents, int):
            raise InvalidInput(
                f"order info '{self.reference}': collect_cents must be an integer, got {self.collect_cents!r}",
                pointer="/collect_cents",
            )
        if self.collect_cents < 0:
            raise InvalidInput(
                f"order info '{self.reference}': collect_cents must be >= 0, got {self.collect_cents}",
                pointer="/collect_cents",
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class SheetContext:
    """Everything a route document needs besides the route itself.

    ``geometry`` is the road polyline of the whole route (``(lon, lat)``), when the caller
    has the network; without it maps and tracks join the stops with straight dashed lines.
    ``basemap`` holds road polylines drawn faintly behind the route.  ``timezone`` is the
    tenant's IANA zone, used for GPX timestamps.
    """

    horizon: Horizon
    lang: str = i18n.DEFAULT_LANG
    currency: str = "EUR"
    timezone: str = "UTC"
    tenant_name: str = ""
    vehicle_name: str = ""
    mobile_url: str = ""
    sites: Mapping[str, SiteInfo] = field(default_factory=dict)
    orders: Mapping[str, OrderInfo] = field(default_factory=dict)
    geometry: Sequence[LonLat] = ()
    basemap: Sequence[Sequence[LonLat]] = ()

    def __post_init__(self) -> None:
        if self.lang not in i18n.LANGUAGES:
            raise InvalidInput(
                f"sheet context: lang must be one of {', '.join(i18n.LANGUAGES)}, got {self.lang!r}",
                pointer="/lang",
            )
        try:
            ZoneInfo(self.timezone)
        except (KeyError, ValueError) as e:  # ZoneInfoNotFoundError is a KeyError
            raise InvalidInput(
                f"sheet context: timezone must be an IANA time zone, got {self.timezone!r}",
                pointer="/timezone",
            ) from e


@dataclass(frozen=True, slots=True, kw_only=True)
class SheetRow:
    """One numbered line of a route sheet (a stop where the courier does something)."""

    number: int
    stop: Stop
    kind: StopKind
    arrival_s: int
    window_start_s: int | None
    window_end_s: int | None
    name: str
    address: str
    phone: str
    door_code: str
    notes: str
    items: str
    orders: int
    references: str
    weight_g: int  # picked up (pickup, hub load) or dropped (delivery, hub drop)
    parcels: int
    collect_cents: int


def _join(values: Sequence[str]) -> str:
    return " · ".join(dict.fromkeys(v for v in values if v))


def sheet_rows(route: Route, ctx: SheetContext) -> list[SheetRow]:
    """The numbered stops of a route with what to do at each, in visiting order.

    The weight and parcels handed over at a stop are the change of the vehicle's load
    there; names, phones, items and amounts come from ``ctx``.

    Parameters
    ----------
    route : Route
        A planned route.
    ctx : SheetContext
        Customer and site details.

    Returns
    -------
    list of SheetRow
        One row per stop other than the start and end.
    """
    rows: list[SheetRow] = []
    prev_g, prev_parcels = 0, 0
    for stop in route.stops:
        d_g, d_parcels = stop.load_g - prev_g, stop.load_parcels - prev_parcels
        prev_g, prev_parcels = stop.load_g, stop.load_parcels
        if stop.kind not in _SERVICE_KINDS:
            continue
        site = ctx.sites.get(stop.site_id, SiteInfo())
        infos = [ctx.orders.get(o, OrderInfo(reference=o)) for o in stop.order_ids]
        refs = [i.reference or o for i, o in zip(infos, stop.order_ids, strict=True)]
        if stop.kind is StopKind.DELIVERY:
            # At a customer's door: the customer's name, phone and items.
            name = _join([i.customer_name for i in infos]) or site.name
            phone = _join([i.phone for i in infos] + [site.phone])
            items = _join([i.items for i in infos])
            notes = _join([site.notes] + [i.notes for i in infos])
            address = site.address or _join([i.address for i in infos])
        else:
            # At a shop or a hub: the place's name and phone; the orders are listed by reference.
            name, phone, notes, address = site.name, site.phone, site.notes, site.address
            items = _join([i.items for i in infos]) if len(infos) == 1 else ""
        if len(refs) > _MAX_REFS:
            refs = [*refs[: _MAX_REFS - 1], f"… (+{len(refs) - _MAX_REFS + 1})"]
        rows.append(
            SheetRow(
                number=len(rows) + 1,
                stop=stop,
                kind=stop.kind,
                arrival_s=stop.arrival_s,
                window_start_s=stop.window_start_s,
                window_end_s=stop.window_end_s,
                name=name or stop.site_id,
                address=address,
                phone=phone,
                door_code=site.door_code,
                notes=notes,
                items=items,
                orders=len(stop.order_ids),
                references=_join(refs),
                weight_g=abs(d_g),
                parcels=abs(d_parcels),
                collect_cents=sum(i.collect_cents for i in infos) if stop.kind is StopKind.DELIVERY else 0,
            )
        )
    return rows


# --------------------------------------------------------------------------- maps


def _route_points(route: Route) -> list[LonLat]:
    return [(s.location.lon, s.location.lat) for s in route.stops]


def _route_line(route: Route, ctx: SheetContext) -> list[LonLat]:
    return list(ctx.geometry) if len(ctx.geometry) >= 2 else _route_points(route)


def network_lines(
    G: RoadNetwork, *, bbox: tuple[float, float, float, float] | None = None, max_lines: int = 20_000
) -> list[list[LonLat]]:
    """Road polylines of a network, one per two-way pair of arcs, for a map's base layer.

    Parameters
    ----------
    G : RoadNetwork
        A loaded road network.
    bbox : tuple of float, optional
        ``(min_lon, min_lat, max_lon, max_lat)``; arcs with no shape point inside are left out.
    max_lines : int
        Upper bound on the lines returned (the longest arcs are kept), to keep pages light.

    Returns
    -------
    list of list of (lon, lat)
    """
    tail, head = G.tail.astype(np.int64), G.head.astype(np.int64)
    # Keep one direction of each two-way street: the arc whose (tail, head) sorts first, or a one-way arc.
    key = np.minimum(tail, head) * G.node_count + np.maximum(tail, head)
    _, first = np.unique(key, return_index=True)
    arcs = np.sort(first)
    if bbox is not None:
        lo_lon, lo_lat, hi_lon, hi_lat = bbox
        inside = (
            (G.node_lon[tail] >= lo_lon)
            & (G.node_lon[tail] <= hi_lon)
            & (G.node_lat[tail] >= lo_lat)
            & (G.node_lat[tail] <= hi_lat)
        ) | (
            (G.node_lon[head] >= lo_lon)
            & (G.node_lon[head] <= hi_lon)
            & (G.node_lat[head] >= lo_lat)
            & (G.node_lat[head] <= hi_lat)
        )
        arcs = arcs[inside[arcs]]
    if arcs.shape[0] > max_lines:
        arcs = arcs[np.argsort(-G.length_mm[arcs], kind="stable")[:max_lines]]
    out: list[list[LonLat]] = []
    for a in arcs.tolist():
        lon, lat = G.arc_geometry(a)
        out.append([(round(float(x), 6), round(float(y), 6)) for x, y in zip(lon, lat, strict=True)])
    return out


def route_map_png(route: Route, ctx: SheetContext, *, width_in: float = 4.2, height_in: float = 2.6) -> bytes:
    """A black-and-white map of the round: roads in grey, the route in black, numbered stops.

    Returns
    -------
    bytes
        A PNG image (150 dpi).
    """
    line = _route_line(route, ctx)
    lons = [p[0] for p in line] + [s.location.lon for s in route.stops]
    lats = [p[1] for p in line] + [s.location.lat for s in route.stops]
    lo_lon, hi_lon, lo_lat, hi_lat = min(lons), max(lons), min(lats), max(lats)
    pad_lon = max((hi_lon - lo_lon) * 0.08, 0.002)
    pad_lat = max((hi_lat - lo_lat) * 0.08, 0.002)
    lo_lon, hi_lon, lo_lat, hi_lat = lo_lon - pad_lon, hi_lon + pad_lon, lo_lat - pad_lat, hi_lat + pad_lat
    # Widen the short side so that a degree of longitude keeps its true length against latitude.
    k = max(math.cos(math.radians((lo_lat + hi_lat) / 2)), 0.1)
    span_x, span_y = (hi_lon - lo_lon) * k, hi_lat - lo_lat
    if span_x / span_y < width_in / height_in:
        grow = (span_y * width_in / height_in / k - (hi_lon - lo_lon)) / 2
        lo_lon, hi_lon = lo_lon - grow, hi_lon + grow
    else:
        grow = (span_x * height_in / width_in - span_y) / 2
        lo_lat, hi_lat = lo_lat - grow, hi_lat + grow
    fig = Figure(figsize=(width_in, height_in), dpi=150)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    if ctx.basemap:
        ax.add_collection(LineCollection([list(p) for p in ctx.basemap], colors="#bbbbbb", linewidths=0.5))
    road = len(ctx.geometry) >= 2
    ax.plot(
        [p[0] for p in line],
        [p[1] for p in line],
        color="black",
        linewidth=1.8 if road else 1.2,
        linestyle="-" if road else "--",
        zorder=3,
    )
    rows = sheet_rows(route, ctx)
    for row in rows:
        ax.annotate(
            str(row.number),
            (row.stop.location.lon, row.stop.location.lat),
            ha="center",
            va="center",
            fontsize=6.5,
            fontweight="bold",
            color="black",
            zorder=5,
            bbox={
                "boxstyle": "circle,pad=0.25",
                "facecolor": "white",
                "edgecolor": "black",
                "linewidth": 0.8,
            },
        )
    ends = [s for s in route.stops if s.kind in (StopKind.START, StopKind.END)]
    for s in ends[:1]:
        ax.plot(
            [s.location.lon],
            [s.location.lat],
            marker="s",
            markersize=9,
            color="black",
            zorder=4,
            linestyle="",
        )
    ax.set_xlim(lo_lon, hi_lon)
    ax.set_ylim(lo_lat, hi_lat)
    ax.text(
        0.995,
        0.005,
        OSM_CREDIT,
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=5.5,
        color="#333333",
    )
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, facecolor="white")
    return buf.getvalue()


# --------------------------------------------------------------------------- route sheet


def _qr_svg_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=1)


def _png_data_uri(png: bytes) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def route_sheet_html(route: Route, ctx: SheetContext) -> str:
    """The route sheet as a self-contained HTML document (images inlined), ready to print.

    Stops are laid out :data:`STOPS_PER_PAGE` to an A4 page; the first page carries the
    map and the totals.
    """
    rows = sheet_rows(route, ctx)
    pages = [rows[i : i + STOPS_PER_PAGE] for i in range(0, len(rows), STOPS_PER_PAGE)] or [[]]
    start = route.stops[0] if route.stops else None
    end = route.stops[-1] if route.stops else None
    totals = {
        "stops": len(rows),
        "deliveries": sum(1 for r in rows if r.kind is StopKind.DELIVERY),
        "pickups": sum(1 for r in rows if r.kind is StopKind.PICKUP),
        "delivered_g": sum(r.weight_g for r in rows if r.kind is StopKind.DELIVERY),
        "parcels": sum(r.parcels for r in rows if r.kind is StopKind.DELIVERY),
        "collect_cents": sum(r.collect_cents for r in rows),
    }
    return render(
        "route_sheet.html",
        lang=ctx.lang,
        currency=ctx.currency,
        route=route,
        ctx=ctx,
        pages=pages,
        totals=totals,
        date=ctx.horizon.date_of(route.day),
        start_s=start.departure_s if start else 0,
        end_s=end.arrival_s if end else 0,
        depot=ctx.sites.get(start.site_id, SiteInfo(name=start.site_id)) if start else SiteInfo(),
        map_uri=_png_data_uri(route_map_png(route, ctx)),
        qr_uri=_qr_svg_data_uri(ctx.mobile_url) if ctx.mobile_url else "",
        osm_credit=OSM_CREDIT,
        kind_labels={k: _kind_label(k, ctx.lang) for k in StopKind},
    )


def weasyprint_html() -> Any:
    """WeasyPrint's ``HTML`` class, imported on first use (slow import).

    Raises
    ------
    Unavailable
        When WeasyPrint's system libraries (Pango) are missing: ``apt-get install weasyprint``.
    """
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except (OSError, ImportError) as exc:
        raise Unavailable(
            "route sheet PDF: WeasyPrint cannot load its system libraries (install Pango, e.g. "
            f"'apt-get install weasyprint'): {exc}"
        ) from None
    return HTML


def route_sheet_pdf(route: Route, ctx: SheetContext) -> bytes:
    """The printable route sheet as an A4 PDF (black-and-white friendly).

    Parameters
    ----------
    route : Route
        The route to print.
    ctx : SheetContext
        Details, language and currency.

    Returns
    -------
    bytes
        The PDF document.
    """
    HTML = weasyprint_html()
    html = route_sheet_html(route, ctx)
    pdf: bytes = HTML(string=html).write_pdf()
    log.info("route sheet %s: %d stops, %d bytes", route.id, len(route.stops), len(pdf))
    return pdf


# --------------------------------------------------------------------------- GPX and GeoJSON


def _utc(ctx: SheetContext, t_s: int) -> dt.datetime:
    start = dt.datetime.combine(ctx.horizon.start, dt.time(0), tzinfo=ZoneInfo(ctx.timezone))
    return (start + dt.timedelta(seconds=t_s)).astimezone(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{GPX_NS}}}{tag}", attrib)
    if text is not None:
        el.text = text
    return el


def _kind_label(kind: StopKind, lang: str) -> str:
    t = i18n.translations(lang)
    labels = {
        StopKind.START: t.gettext("Start"),
        StopKind.PICKUP: t.gettext("Pickup"),
        StopKind.DELIVERY: t.gettext("Delivery"),
        StopKind.HUB_DROP: t.gettext("Drop at hub"),
        StopKind.HUB_LOAD: t.gettext("Load at hub"),
        StopKind.RELOAD: t.gettext("Reload at hub"),
        StopKind.END: t.gettext("End"),
    }
    return labels[kind]


def route_gpx(route: Route, ctx: SheetContext) -> str:
    """The route as a GPX 1.1 document: a waypoint per stop, the stops as a ``rte`` in order,
    and the road polyline as a ``trk`` when ``ctx.geometry`` is known.

    Returns
    -------
    str
        UTF-8 XML text valid against the GPX 1.1 schema.
    """
    ET.register_namespace("", GPX_NS)
    root = ET.Element(f"{{{GPX_NS}}}gpx", {"version": "1.1", "creator": "Tournée"})
    meta = _sub(root, "metadata")
    date = ctx.horizon.date_of(route.day)
    _sub(meta, "name", f"{route.id} · {ctx.vehicle_name or route.vehicle_id} · {date.isoformat()}")
    if ctx.tenant_name:
        _sub(meta, "desc", ctx.tenant_name)
    cr = _sub(meta, "copyright", author="OpenStreetMap contributors")
    _sub(cr, "license", "https://opendatacommons.org/licenses/odbl/")
    start = route.stops[0].departure_s if route.stops else route.day * DAY_S
    _sub(meta, "time", _iso(_utc(ctx, start)))
    rows = {id(r.stop): r for r in sheet_rows(route, ctx)}

    def point(parent: ET.Element, tag: str, stop: Stop) -> None:
        el = _sub(parent, tag, lat=f"{stop.location.lat:.7f}", lon=f"{stop.location.lon:.7f}")
        _sub(el, "time", _iso(_utc(ctx, stop.arrival_s)))
        row = rows.get(id(stop))
        label = _kind_label(stop.kind, ctx.lang)
        name = f"{row.number}. {row.name}" if row else label
        _sub(el, "name", name)
        desc = _join([label, row.address, row.items] if row else [label])
        if desc:
            _sub(el, "desc", desc)
        _sub(el, "type", stop.kind.value)

    for stop in route.stops:
        point(root, "wpt", stop)
    rte = _sub(root, "rte")
    _sub(rte, "name", route.id)
    for stop in route.stops:
        point(rte, "rtept", stop)
    if len(ctx.geometry) >= 2:
        trk = _sub(root, "trk")
        _sub(trk, "name", route.id)
        seg = _sub(trk, "trkseg")
        for lon, lat in ctx.geometry:
            _sub(seg, "trkpt", lat=f"{lat:.7f}", lon=f"{lon:.7f}")
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def route_geojson(route: Route, ctx: SheetContext) -> dict[str, Any]:
    """The route as a GeoJSON FeatureCollection: its line, then one point per stop in order."""
    line = _route_line(route, ctx)
    rows = {id(r.stop): r for r in sheet_rows(route, ctx)}
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[round(x, 7), round(y, 7)] for x, y in line]},
            "properties": {
                "route_id": route.id,
                "vehicle_id": route.vehicle_id,
                "profile": route.profile.value,
                "day": route.day,
                "date": ctx.horizon.date_of(route.day).isoformat(),
                "distance_m": route.distance_m,
                "duration_s": route.duration_s,
                "co2e_g": route.co2e_g,
                "fill_rate_pct": route.fill_rate_pct,
                "locked": route.locked,
                "on_roads": len(ctx.geometry) >= 2,
                "attribution": OSM_CREDIT,
            },
        }
    ]
    for seq, stop in enumerate(route.stops):
        row = rows.get(id(stop))
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(stop.location.lon, 7), round(stop.location.lat, 7)],
                },
                "properties": {
                    "seq": seq,
                    "number": row.number if row else None,
                    "kind": stop.kind.value,
                    "site_id": stop.site_id,
                    "order_ids": list(stop.order_ids),
                    "arrival": i18n.format_clock(stop.arrival_s),
                    "arrival_s": stop.arrival_s,
                    "name": row.name if row else "",
                    "address": row.address if row else "",
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def dumps_geojson(doc: dict[str, Any]) -> str:
    """Compact JSON text for a GeoJSON document."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------- charts


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    # Text stays text (searchable, readable by screen readers, drawn in the page's font).
    with rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def fill_rate_chart_svg(
    plan: Plan,
    *,
    lang: str = i18n.DEFAULT_LANG,
    currency: str = "EUR",
    vehicle_names: Mapping[str, str] | None = None,
) -> str:
    """Fill rate of each vehicle on each day of the plan, as grouped bars (SVG).

    ``vehicle_names`` labels the legend (vehicle ids otherwise).

    Returns
    -------
    str
        An SVG document.
    """
    t = i18n.translations(lang)
    vehicles = sorted({r.vehicle_id for r in plan.routes})
    days = list(range(plan.horizon.days))
    fill = {(r.vehicle_id, r.day): max(r.fill_rate_pct, 0) for r in plan.routes}
    fig = Figure(figsize=(7, 3), dpi=100)
    ax = fig.add_subplot()
    width = 0.8 / max(len(vehicles), 1)
    hatches = ["", "//", "..", "xx", "\\\\", "oo"]
    for k, v in enumerate(vehicles):
        xs = [d - 0.4 + width * (k + 0.5) for d in days]
        ys = [fill.get((v, d), 0) for d in days]
        ax.bar(
            xs,
            ys,
            width=width,
            label=(vehicle_names or {}).get(v, v),
            color="white",
            edgecolor="black",
            hatch=hatches[k % len(hatches)],
        )
    ax.set_xticks(days)
    ax.set_xticklabels(
        [i18n.format_date(plan.horizon.date_of(d), lang=lang, currency=currency, fmt="EEE d") for d in days]
    )
    ax.set_ylim(0, 105)
    ax.set_ylabel(t.gettext("Fill rate (%)"))
    ax.set_title(t.gettext("Fill rate per day"))
    if vehicles:
        ax.legend(fontsize=7, ncols=min(len(vehicles), 4), loc="upper right")
    fig.tight_layout()
    return _svg(fig)


_RELAY_SUFFIX = " — relay point"


def _tier_name(name: str, t: Any) -> str:
    """A shipped tier's name in the catalogue's language (relay variants too); others as given."""
    if not name.strip():  # gettext("") is the catalogue's header
        return name
    if name.endswith(_RELAY_SUFFIX):
        return str(t.gettext(name[: -len(_RELAY_SUFFIX)])) + str(t.gettext(_RELAY_SUFFIX))
    return str(t.gettext(name))


def tier_chart_svg(
    tiers: Sequence[TierQuote], *, currency: str = "EUR", lang: str = i18n.DEFAULT_LANG
) -> str:
    """Price and kg CO2e of each available tier, side by side (SVG).

    Parameters
    ----------
    tiers : sequence of TierQuote
        A quote's tiers; those not available are left out.
    currency : str
        Currency of the prices.
    lang : str
        Language of the labels.

    Returns
    -------
    str
        An SVG document.
    """
    import textwrap

    t = i18n.translations(lang)
    shown = [q for q in tiers if q.available]
    names = ["\n".join(textwrap.wrap(_tier_name(q.name, t), 24)) or q.tier for q in shown]
    fig = Figure(figsize=(7, 0.9 + 0.55 * max(len(shown), 1)), dpi=100)
    left, right = fig.subplots(1, 2, sharey=True)
    ys = list(range(len(shown)))
    planet = min(range(len(shown)), key=lambda i: (shown[i].co2e_g, shown[i].price_cents), default=-1)
    left.barh(ys, [q.price_cents / 100 for q in shown], color="white", edgecolor="black")
    right.barh(
        ys,
        [q.co2e_g / 1000 for q in shown],
        color=["#1f7a4d" if i == planet else "#bbbbbb" for i in ys],
        edgecolor="black",
    )
    for i, q in enumerate(shown):
        left.text(
            q.price_cents / 100,
            i,
            " " + i18n.format_money(q.price_cents, currency=currency, lang=lang),
            va="center",
            fontsize=8,
        )
        right.text(
            q.co2e_g / 1000,
            i,
            " " + i18n.format_number(q.co2e_g / 1000, lang=lang, currency=currency, digits=2),
            va="center",
            fontsize=8,
        )
    left.set_yticks(ys)
    left.set_yticklabels(names, fontsize=8)
    left.invert_yaxis()
    left.set_title(t.gettext("Price ({currency})").format(currency=currency), fontsize=9)
    right.set_title(t.gettext("kg CO2e"), fontsize=9)
    for ax in (left, right):
        ax.margins(x=0.35)
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle(t.gettext("Price and emissions per tier"), fontsize=10)
    fig.tight_layout()
    return _svg(fig)
