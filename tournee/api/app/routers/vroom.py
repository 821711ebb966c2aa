"""VROOM JSON: solve a VROOM problem, and export the tenant's day as one."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from tournee.api.app import vroom
from tournee.api.app.deps import DbSession, current_tenant
from tournee.api.app.planjobs import NetworkCache
from tournee.api.app.routers.common import Fleet
from tournee.api.db import models as m
from tournee.routing.matrix import RoadTravel
from tournee.routing.travel import HaversineTravel, TravelModel

router = APIRouter(prefix="/vroom", tags=["import and export"])


@router.post("/solve", response_model=dict[str, Any])
def solve(
    body: vroom.VroomProblem,
    request: Request,
    principal: Fleet,
    travel: Annotated[
        Literal["road", "straight"], Query(description="roads of the loaded map, or straight lines")
    ] = "road",
    time_limit_s: Annotated[float, Query(gt=0, le=30)] = 2.0,
) -> dict[str, Any]:
    """Solve a VROOM problem (vehicles, jobs, shipments with coordinates); VROOM's answer format.

    Each entry of ``unassigned`` carries an added ``reason`` and ``detail``.
    """
    model: TravelModel
    if travel == "road":
        networks: NetworkCache = request.app.state.networks
        model = RoadTravel(networks.get())
        name = f"roads of {networks.map_path.name}"
    else:
        model, name = HaversineTravel(), "straight lines (detour 1.3)"
    return vroom.solve_vroom(body, travel=model, time_limit_s=time_limit_s, travel_name=name)


@router.get("/problem", response_model=dict[str, Any])
def export_problem(
    session: DbSession,
    principal: Fleet,
    day: Annotated[dt.date, Query(description="the delivery day to export")],
) -> dict[str, Any]:
    """The tenant's pending orders of one day as a VROOM problem (shipments merchant → customer).

    Amounts are ``[grams, millilitres, parcels]``; times are seconds since local midnight;
    ``description`` holds the Tournée id of each vehicle, pickup and delivery.
    """
    tenant = current_tenant(session, principal)
    hubs = {h.id: h for h in session.scalars(select(m.Hub).where(m.Hub.tenant_id == tenant.id))}
    vehicles = []
    for k, v in enumerate(
        session.scalars(select(m.Vehicle).where(m.Vehicle.tenant_id == tenant.id).order_by(m.Vehicle.id))
    ):
        if day.weekday() not in v.working_weekdays:
            continue
        depot = hubs[v.depot_id]
        vehicles.append({
            "id": k + 1, "description": v.id, "profile": "bike" if v.profile == "cargo_bike" else "car",
            "start": [depot.lon, depot.lat], "end": [depot.lon, depot.lat],
            "capacity": [v.capacity_g, v.capacity_ml, v.capacity_parcels],
            "time_window": [v.shift_start_s, v.shift_end_s],
        })  # fmt: skip
    merchants = {
        r.id: r for r in session.scalars(select(m.Merchant).where(m.Merchant.tenant_id == tenant.id))
    }
    shipments = []
    orders = session.scalars(
        select(m.Order)
        .where(m.Order.tenant_id == tenant.id, m.Order.status.in_(("pending", "planned")),
               m.Order.date_from <= day, m.Order.date_to >= day)
        .order_by(m.Order.id)
    )  # fmt: skip
    for k, o in enumerate(orders):
        shop = merchants[o.merchant_id]
        window = [[o.window_start_s, o.window_end_s]] if o.window_start_s is not None else None
        delivery: dict[str, Any] = {"id": 2 * k + 2, "description": o.id, "location": [o.delivery_lon, o.delivery_lat],
                                    "service": 120}  # fmt: skip
        if window:
            delivery["time_windows"] = window
        shipments.append({
            "pickup": {"id": 2 * k + 1, "description": o.id, "location": [shop.lon, shop.lat], "service": 60},
            "delivery": delivery,
            "amount": [o.weight_g, o.volume_ml, o.parcels],
        })  # fmt: skip
    return {"vehicles": vehicles, "jobs": [], "shipments": shipments}
