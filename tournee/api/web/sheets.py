"""Route sheets from the database: a stored plan's route plus who and what is at each stop.

The one place the pages read storage directly: it turns a stored plan version, the
tenant's orders, customers, hubs, merchants and vehicles into the pure inputs of
:mod:`tournee.api.web.documents` (a :class:`~tournee.domain.Route` and a
:class:`~tournee.api.web.documents.SheetContext`), and into the JSON the courier's
phone page shows.  A courier only ever sees routes of its own vehicle.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tournee.api.db import models as m
from tournee.api.services.plan_io import plan_from_json, route_lines
from tournee.api.web import i18n
from tournee.api.web.documents import (
    LonLat,
    OrderInfo,
    SheetContext,
    SiteInfo,
    network_lines,
    sheet_rows,
)
from tournee.domain import NotFound, Plan, Profile, Route, StopKind
from tournee.routing.graph import RoadNetwork
from tournee.routing.matrix import RoadTravel

if TYPE_CHECKING:  # the app imports the pages: import its modules lazily to avoid a cycle
    from tournee.api.app.deps import Principal

__all__ = ["LoadedRoute", "WebMaps", "courier_json", "load_plan", "load_route", "web_maps"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedRoute:
    """A route of a stored plan with everything its documents need."""

    plan_id: str
    plan: Plan
    route: Route
    ctx: SheetContext
    statuses: dict[str, str]  # order id -> order status (pending, planned, delivered, failed…)


class WebMaps:
    """The served map for the pages: roads as a base layer and route lines along the roads.

    Uses the app's loaded networks (``app.state.networks``, shared with the planner) when
    there are any, else loads ``map_path`` (the embedded Helsinki extract by default).
    Geometry is computed under one lock: the routing engines are not shared between threads.
    """

    def __init__(self, *, networks: Any = None, map_path: Path | None = None) -> None:
        self._source = networks
        self._map_path = map_path
        self._lock = threading.Lock()
        self._networks: dict[Profile, RoadNetwork] | None = None
        self._travel: RoadTravel | None = None
        self._basemap: tuple[tuple[LonLat, ...], ...] | None = None

    def networks(self) -> dict[Profile, RoadNetwork]:
        """One road network per profile (loaded on first use)."""
        if self._networks is None:
            if self._source is not None:
                self._networks = dict(self._source.get())
            else:
                from tournee.api.services.maps import default_map_path, load_map

                self._networks = load_map(self._map_path or default_map_path())
        return self._networks

    def basemap(self) -> tuple[tuple[LonLat, ...], ...]:
        """Road polylines of the van network (the widest), for base layers."""
        with self._lock:
            if self._basemap is None:
                nets = self.networks()
                G = nets.get(Profile.VAN) or next(iter(nets.values()))
                self._basemap = tuple(tuple(line) for line in network_lines(G))
            return self._basemap

    def center(self) -> LonLat:
        """Middle of the roads, where maps open before data arrives."""
        lines = self.basemap()
        if not lines:
            return (0.0, 0.0)
        lons = [p[0] for line in lines for p in line]
        lats = [p[1] for line in lines for p in line]
        return ((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2)

    def route_lines(self, plan: Plan) -> dict[str, list[LonLat]]:
        """Each route of ``plan`` along the roads (straight where a leg is off the network)."""
        with self._lock:
            if self._travel is None:
                self._travel = RoadTravel(self.networks())
            return route_lines(plan, self._travel)


def web_maps(state: Any) -> WebMaps:
    """The app's :class:`WebMaps` (made on first use and kept in ``state``)."""
    with _STATE_LOCK:
        maps = getattr(state, "web_maps", None)
        if maps is None:
            settings = getattr(state, "settings", None)
            maps = WebMaps(
                networks=getattr(state, "networks", None), map_path=getattr(settings, "map_path", None)
            )
            state.web_maps = maps
        return maps


_STATE_LOCK = threading.Lock()


def load_plan(session: Session, principal: Principal, plan_id: str) -> tuple[m.PlanVersion, Plan]:
    """A stored plan version of the caller's tenant.

    Raises
    ------
    NotFound
        If it does not exist or belongs to another tenant.
    """
    row = session.get(m.PlanVersion, plan_id)
    if row is None or row.tenant_id != principal.tenant_id:
        raise NotFound(f"plan {plan_id!r} not found")
    plan = plan_from_json(row.body)
    locked = set(session.scalars(select(m.RouteLock.route_id).where(m.RouteLock.plan_id == row.id)))
    if locked:
        plan = replace(plan, routes=tuple(replace(r, locked=r.locked or r.id in locked) for r in plan.routes))
    return row, plan


def _by_id(session: Session, model: Any, tenant_id: str, ids: Iterable[str]) -> dict[str, Any]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.scalars(select(model).where(model.tenant_id == tenant_id, model.id.in_(wanted)))
    return {r.id: r for r in rows}


def load_route(
    session: Session,
    principal: Principal,
    plan_id: str,
    route_id: str,
    *,
    lang: str | None = None,
    mobile_url: str = "",
    maps: WebMaps | None = None,
) -> LoadedRoute:
    """One route of a stored plan with names, phones, addresses, items and amounts.

    Parameters
    ----------
    session : Session
        Database session.
    principal : Principal
        The caller; a courier may open only its own vehicle's routes.
    plan_id, route_id : str
        Which route.
    lang : str, optional
        Language of the documents; default the tenant's.
    mobile_url : str
        Address of the courier's page, printed as a QR code.
    maps : WebMaps, optional
        The served map: the route is drawn along its roads, over them; without it the
        stops are joined by straight lines on a blank background.

    Raises
    ------
    NotFound
        If the plan or the route does not exist in the caller's tenant.
    Forbidden
        If a courier asks for another vehicle's route.
    """
    from tournee.api.app.errors import Forbidden

    _, plan = load_plan(session, principal, plan_id)
    route = next((r for r in plan.routes if r.id == route_id), None)
    if route is None:
        raise NotFound(f"route {route_id!r} not found in plan {plan_id!r}")
    if principal.role == "courier" and route.vehicle_id != principal.vehicle_id:
        raise Forbidden(f"route {route_id!r} is not a route of your vehicle")
    if principal.role not in ("courier", "admin", "planner", "staff"):
        raise Forbidden(f"role {principal.role!r} may not read route sheets")
    tenant = session.get(m.Tenant, principal.tenant_id)
    assert tenant is not None
    tid = tenant.id
    # Plan site ids are the hub's id, "m-<merchant id>", "c-<customer id>" or "o-<order id>"
    # (tournee.api.app.scenario); bare ids are accepted too.
    site_ids = {s.site_id for s in route.stops}
    bare = {sid.split("-", 1)[1] if sid[:2] in ("m-", "c-", "o-") else sid for sid in site_ids} | site_ids
    orders = _by_id(session, m.Order, tid, route.order_ids)
    customers = _by_id(
        session, m.Customer, tid, bare | {o.customer_id for o in orders.values() if o.customer_id}
    )
    hubs = _by_id(session, m.Hub, tid, bare)
    merchants = _by_id(session, m.Merchant, tid, bare | {o.merchant_id for o in orders.values()})
    vehicle = session.get(m.Vehicle, route.vehicle_id)
    sites: dict[str, SiteInfo] = {}
    for h in hubs.values():
        sites[h.id] = SiteInfo(name=h.name, address=h.address)
    for mer in merchants.values():
        sites[mer.id] = sites[f"m-{mer.id}"] = SiteInfo(name=mer.name, address=mer.address, phone=mer.phone)
    for c in customers.values():
        sites[c.id] = sites[f"c-{c.id}"] = SiteInfo(
            name=c.name, address=c.address, phone=c.phone, notes=c.notes
        )
    for o in orders.values():
        sites.setdefault(f"o-{o.id}", SiteInfo(name=o.delivery_name, address=o.delivery_address))
    infos: dict[str, OrderInfo] = {}
    for o in orders.values():
        infos[o.id] = OrderInfo(
            reference=o.reference or o.id[:8],
            customer_name=o.delivery_name
            or (customers[o.customer_id].name if o.customer_id in customers else ""),
            phone=o.delivery_phone,
            address=o.delivery_address,
            items=o.notes,
            collect_cents=o.collect_cents,
        )
    # A stop at a place the tenant does not know by id: a delivery takes its order's address,
    # a pickup its merchant's shop.
    for stop in route.stops:
        if stop.site_id in sites or not stop.order_ids or stop.order_ids[0] not in orders:
            continue
        o = orders[stop.order_ids[0]]
        if stop.kind is StopKind.DELIVERY:
            sites[stop.site_id] = SiteInfo(name=o.delivery_name, address=o.delivery_address)
        elif stop.kind is StopKind.PICKUP and o.merchant_id in merchants:
            sites[stop.site_id] = sites[o.merchant_id]
    lon = [s.location.lon for s in route.stops]
    lat = [s.location.lat for s in route.stops]
    pad = 0.01
    bbox = (min(lon) - pad, min(lat) - pad, max(lon) + pad, max(lat) + pad) if lon else None
    roads = maps.basemap() if maps is not None else ()
    geometry = maps.route_lines(replace(plan, routes=(route,))).get(route.id, []) if maps is not None else []
    if bbox is not None:
        roads = tuple(
            line
            for line in roads
            if any(bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3] for x, y in line)
        )
    ctx = SheetContext(
        horizon=plan.horizon,
        lang=lang or (tenant.language if tenant.language in i18n.LANGUAGES else i18n.DEFAULT_LANG),
        currency=tenant.currency,
        timezone=tenant.time_zone,
        tenant_name=tenant.name,
        vehicle_name=vehicle.name if vehicle is not None and vehicle.tenant_id == tid else route.vehicle_id,
        mobile_url=mobile_url,
        sites=sites,
        orders=infos,
        basemap=roads,
        geometry=tuple(geometry),
    )
    statuses = {o.id: o.status for o in orders.values()}
    return LoadedRoute(plan_id=plan_id, plan=plan, route=route, ctx=ctx, statuses=statuses)


def courier_json(loaded: LoadedRoute, *, marks: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """The courier page's view of a route: numbered stops with contacts, goods and status.

    ``marks`` maps a stop's position (as text) to what the courier reported there
    (``status``, ``reason``); a delivery stop not reported on takes its orders' status.
    """
    route, ctx = loaded.route, loaded.ctx
    rows = {id(r.stop): r for r in sheet_rows(route, ctx)}
    stops: list[dict[str, Any]] = []
    for seq, stop in enumerate(route.stops):
        row = rows.get(id(stop))
        mark = (marks or {}).get(str(seq), {})
        status, reason = mark.get("status", ""), mark.get("reason", "")
        if not status and stop.order_ids and stop.kind is StopKind.DELIVERY:
            states = {loaded.statuses.get(o, "pending") for o in stop.order_ids}
            status = "failed" if "failed" in states else "delivered" if states == {"delivered"} else ""
        if not status and stop.order_ids:
            status = "pending"
        stops.append(
            {
                "seq": seq,
                "number": row.number if row else None,
                "kind": stop.kind.value,
                "lon": stop.location.lon,
                "lat": stop.location.lat,
                "arrival_s": stop.arrival_s,
                "window_start_s": stop.window_start_s,
                "window_end_s": stop.window_end_s,
                "order_ids": list(stop.order_ids),
                "name": row.name if row else "",
                "address": row.address if row else "",
                "phone": row.phone if row else "",
                "door_code": row.door_code if row else "",
                "notes": row.notes if row else "",
                "items": row.items if row else "",
                "weight_g": row.weight_g if row else 0,
                "parcels": row.parcels if row else 0,
                "collect_cents": row.collect_cents if row else 0,
                "status": status,
                "reason": reason,
            }
        )
    return {
        "plan_id": loaded.plan_id,
        "route_id": route.id,
        "vehicle_id": route.vehicle_id,
        "vehicle_name": ctx.vehicle_name,
        "date": ctx.horizon.date_of(route.day).isoformat(),
        "currency": ctx.currency,
        "start_s": route.stops[0].departure_s if route.stops else 0,
        "distance_m": route.distance_m,
        "duration_s": route.duration_s,
        "co2e_g": route.co2e_g,
        "stops": stops,
    }
