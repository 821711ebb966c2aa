"""Hubs (depots, micro-hubs) and relay points, with opening hours."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from tournee.api.app import schemas as s
from tournee.api.app.crud import delete_row, get_owned, list_owned
from tournee.api.app.deps import DbSession
from tournee.api.app.routers.common import Fleet, Limit, Office, Offset
from tournee.api.db import models as m
from tournee.domain import InvalidInput, NotFound

hubs = APIRouter(prefix="/hubs", tags=["hubs"])
relay_points = APIRouter(prefix="/relay-points", tags=["relay points"])


def _check_hours(open_s: int, close_s: int) -> None:
    if close_s < open_s:
        raise InvalidInput(f"close_s: must be >= open_s ({open_s}), got {close_s}", pointer="/close_s")


def _get(session: DbSession, tenant_id: str, hub_id: str, *, relay: bool) -> m.Hub:
    what = "relay point" if relay else "hub"
    row = get_owned(session, m.Hub, tenant_id, hub_id, what=what)
    if (row.kind == "relay_point") != relay:
        raise NotFound(f"{what} {hub_id!r} not found")
    return row


@hubs.get("", response_model=list[s.HubPublic])
def list_hubs(session: DbSession, principal: Office, limit: Limit = 100, offset: Offset = 0) -> list[m.Hub]:
    """Depots and micro-hubs."""
    where = m.Hub.kind != "relay_point"
    return list_owned(session, m.Hub, principal.tenant_id, limit=limit, offset=offset, where=where)


@hubs.post("", status_code=status.HTTP_201_CREATED, response_model=s.HubPublic)
def create_hub(body: s.HubCreate, session: DbSession, principal: Fleet) -> m.Hub:
    """Add a depot or micro-hub."""
    _check_hours(body.open_s, body.close_s)
    data = body.model_dump()
    data["open_weekdays"] = sorted(set(body.open_weekdays))
    row = m.Hub(tenant_id=principal.tenant_id, **data)
    session.add(row)
    session.commit()
    return row


@hubs.get("/{hub_id}", response_model=s.HubPublic)
def read_hub(hub_id: str, session: DbSession, principal: Office) -> m.Hub:
    """One depot or micro-hub."""
    return _get(session, principal.tenant_id, hub_id, relay=False)


@hubs.put("/{hub_id}", response_model=s.HubPublic)
def update_hub(hub_id: str, body: s.HubCreate, session: DbSession, principal: Fleet) -> m.Hub:
    """Replace a hub's fields."""
    _check_hours(body.open_s, body.close_s)
    row = _get(session, principal.tenant_id, hub_id, relay=False)
    for key, value in body.model_dump().items():
        setattr(row, key, value)
    row.open_weekdays = sorted(set(body.open_weekdays))
    session.commit()
    return row


@hubs.delete("/{hub_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_hub(hub_id: str, session: DbSession, principal: Fleet) -> Response:
    """Remove a hub no vehicle is based at."""
    row = _get(session, principal.tenant_id, hub_id, relay=False)
    delete_row(session, row, what=f"hub {hub_id!r}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@relay_points.get("", response_model=list[s.HubPublic])
def list_relay_points(
    session: DbSession, principal: Office, limit: Limit = 100, offset: Offset = 0
) -> list[m.Hub]:
    """Relay points (shops or lockers where customers collect their parcels)."""
    where = m.Hub.kind == "relay_point"
    return list_owned(session, m.Hub, principal.tenant_id, limit=limit, offset=offset, where=where)


@relay_points.post("", status_code=status.HTTP_201_CREATED, response_model=s.HubPublic)
def create_relay_point(body: s.RelayPointCreate, session: DbSession, principal: Fleet) -> m.Hub:
    """Add a relay point."""
    _check_hours(body.open_s, body.close_s)
    data = body.model_dump()
    data["open_weekdays"] = sorted(set(body.open_weekdays))
    row = m.Hub(tenant_id=principal.tenant_id, kind="relay_point", handling_s=0, **data)
    session.add(row)
    session.commit()
    return row


@relay_points.get("/{relay_point_id}", response_model=s.HubPublic)
def read_relay_point(relay_point_id: str, session: DbSession, principal: Office) -> m.Hub:
    """One relay point."""
    return _get(session, principal.tenant_id, relay_point_id, relay=True)


@relay_points.put("/{relay_point_id}", response_model=s.HubPublic)
def update_relay_point(
    relay_point_id: str, body: s.RelayPointCreate, session: DbSession, principal: Fleet
) -> m.Hub:
    """Replace a relay point's fields."""
    _check_hours(body.open_s, body.close_s)
    row = _get(session, principal.tenant_id, relay_point_id, relay=True)
    for key, value in body.model_dump().items():
        setattr(row, key, value)
    row.open_weekdays = sorted(set(body.open_weekdays))
    session.commit()
    return row


@relay_points.delete("/{relay_point_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_relay_point(relay_point_id: str, session: DbSession, principal: Fleet) -> Response:
    """Remove a relay point."""
    row = _get(session, principal.tenant_id, relay_point_id, relay=True)
    delete_row(session, row, what=f"relay point {relay_point_id!r}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
