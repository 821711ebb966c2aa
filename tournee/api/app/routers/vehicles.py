"""Vehicles: vans and cargo bikes with capacities, costs, energy use and shifts."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from tournee.api.app import schemas as s
from tournee.api.app.crud import delete_row, get_owned, list_owned, resolve_reference
from tournee.api.app.deps import DbSession
from tournee.api.app.routers.common import Fleet, Limit, Offset
from tournee.api.db import models as m
from tournee.domain import InvalidInput

router = APIRouter(prefix="/vehicles", tags=["vehicles"])


def _check(session: DbSession, tenant_id: str, body: s.VehicleCreate) -> dict[str, object]:
    hub = resolve_reference(session, m.Hub, tenant_id, body.depot_id, what="hub", pointer="/depot_id")
    if hub.kind == "relay_point":
        raise InvalidInput("depot_id: a relay point cannot be a vehicle's depot", pointer="/depot_id")
    if body.shift_end_s <= body.shift_start_s:
        raise InvalidInput(
            f"shift_end_s: must be after shift_start_s ({body.shift_start_s}), got {body.shift_end_s}",
            pointer="/shift_end_s",
        )
    if body.fuel in ("diesel", "petrol") and body.fuel_ml_per_100km == 0:
        raise InvalidInput(
            f"fuel_ml_per_100km: must be > 0 for fuel {body.fuel}", pointer="/fuel_ml_per_100km"
        )
    if body.fuel == "electric" and body.energy_wh_per_100km == 0:
        raise InvalidInput(
            "energy_wh_per_100km: must be > 0 for an electric vehicle", pointer="/energy_wh_per_100km"
        )
    data = body.model_dump()
    data["working_weekdays"] = sorted(set(body.working_weekdays))
    return data


@router.get("", response_model=list[s.VehiclePublic])
def list_vehicles(
    session: DbSession, principal: Fleet, limit: Limit = 100, offset: Offset = 0
) -> list[m.Vehicle]:
    """The fleet."""
    return list_owned(session, m.Vehicle, principal.tenant_id, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=s.VehiclePublic)
def create_vehicle(body: s.VehicleCreate, session: DbSession, principal: Fleet) -> m.Vehicle:
    """Add a vehicle based at one of the tenant's depots or micro-hubs."""
    row = m.Vehicle(tenant_id=principal.tenant_id, **_check(session, principal.tenant_id, body))
    session.add(row)
    session.commit()
    return row


@router.get("/{vehicle_id}", response_model=s.VehiclePublic)
def read_vehicle(vehicle_id: str, session: DbSession, principal: Fleet) -> m.Vehicle:
    """One vehicle."""
    return get_owned(session, m.Vehicle, principal.tenant_id, vehicle_id, what="vehicle")


@router.put("/{vehicle_id}", response_model=s.VehiclePublic)
def update_vehicle(vehicle_id: str, body: s.VehicleCreate, session: DbSession, principal: Fleet) -> m.Vehicle:
    """Replace a vehicle's fields."""
    row = get_owned(session, m.Vehicle, principal.tenant_id, vehicle_id, what="vehicle")
    for key, value in _check(session, principal.tenant_id, body).items():
        setattr(row, key, value)
    session.commit()
    return row


@router.delete("/{vehicle_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_vehicle(vehicle_id: str, session: DbSession, principal: Fleet) -> Response:
    """Remove a vehicle."""
    row = get_owned(session, m.Vehicle, principal.tenant_id, vehicle_id, what="vehicle")
    delete_row(session, row, what=f"vehicle {vehicle_id!r}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
