"""Route sheets of a plan: JSON (ordered stops, goods, windows, phones, notes, amounts), GeoJSON, GPX 1.1.

A courier sees only its own vehicle's routes.  The sheets are built from the stored plan
version and the tenant's rows by :mod:`tournee.api.web.sheets` (the same data the
printable and mobile pages show).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from tournee.api.app.deps import DbSession, Principal, require
from tournee.api.db import models as m
from tournee.api.web import documents, sheets

router = APIRouter(prefix="/plans/{plan_id}/routes", tags=["route sheets"])

Crew = Annotated[Principal, Depends(require("admin", "planner", "staff", "courier"))]


@router.get("", response_model=list[dict[str, Any]])
def list_routes(plan_id: str, session: DbSession, principal: Crew) -> list[dict[str, Any]]:
    """The plan's routes (a courier: its own vehicle's), with their day and figures."""
    _, plan = sheets.load_plan(session, principal, plan_id)
    return [
        {
            "route_id": r.id,
            "vehicle_id": r.vehicle_id,
            "profile": r.profile.value,
            "date": plan.horizon.date_of(r.day).isoformat(),
            "trip": r.trip,
            "stops": len(r.stops),
            "orders": len(r.order_ids),
            "distance_m": r.distance_m,
            "duration_s": r.duration_s,
            "co2e_g": r.co2e_g,
            "fill_rate_pct": r.fill_rate_pct,
            "locked": r.locked,
        }
        for r in plan.routes
        if principal.role != "courier" or r.vehicle_id == principal.vehicle_id
    ]


def _loaded(
    request: Request, session: DbSession, principal: Principal, plan_id: str, route_id: str
) -> sheets.LoadedRoute:
    return sheets.load_route(session, principal, plan_id, route_id, maps=sheets.web_maps(request.app.state))


@router.get("/{route_id}/sheet", response_model=dict[str, Any])
def route_sheet(
    plan_id: str, route_id: str, request: Request, session: DbSession, principal: Crew
) -> dict[str, Any]:
    """The route sheet: ordered stops with arrival window, address, customer and phone, notes,
    what to pick up or drop, amount to collect, and what the courier reported so far."""
    loaded = _loaded(request, session, principal, plan_id, route_id)
    row = session.scalar(
        select(m.RouteSheet).where(
            m.RouteSheet.tenant_id == principal.tenant_id,
            m.RouteSheet.plan_id == plan_id,
            m.RouteSheet.route_id == route_id,
        )
    )
    marks = (row.body or {}).get("stop_status", {}) if row is not None else {}
    return sheets.courier_json(loaded, marks=marks)


@router.get("/{route_id}/sheet.geojson", response_class=JSONResponse)
def route_sheet_geojson(
    plan_id: str, route_id: str, request: Request, session: DbSession, principal: Crew
) -> Response:
    """The route as GeoJSON: its line along the roads, then one point per stop in order."""
    loaded = _loaded(request, session, principal, plan_id, route_id)
    return Response(
        documents.dumps_geojson(documents.route_geojson(loaded.route, loaded.ctx)),
        media_type="application/geo+json",
    )


@router.get(
    "/{route_id}/sheet.gpx",
    response_class=Response,
    responses={200: {"content": {"application/gpx+xml": {}}}},
)
def route_sheet_gpx(
    plan_id: str, route_id: str, request: Request, session: DbSession, principal: Crew
) -> Response:
    """The route as GPX 1.1: a waypoint per stop, the stops as a route, the road track."""
    loaded = _loaded(request, session, principal, plan_id, route_id)
    return Response(
        documents.route_gpx(loaded.route, loaded.ctx),
        media_type="application/gpx+xml",
        headers={"Content-Disposition": f'attachment; filename="{route_id}.gpx"'},
    )
