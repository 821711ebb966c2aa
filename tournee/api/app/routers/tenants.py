"""Tenants and their users (platform admin)."""

from __future__ import annotations

import zoneinfo

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tournee.api.app import schemas as s
from tournee.api.app.crud import resolve_reference
from tournee.api.app.deps import DbSession
from tournee.api.app.routers.common import Admin, Limit, Offset
from tournee.api.app.security import hash_token, new_token
from tournee.api.db import models as m
from tournee.domain import Conflict, InvalidInput

router = APIRouter(tags=["tenants"])


def check_time_zone(name: str) -> None:
    """Raise ``InvalidInput`` naming ``/time_zone`` unless ``name`` is an IANA zone."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"time_zone: unknown IANA time zone {name!r}", pointer="/time_zone") from None


@router.post("/tenants", status_code=status.HTTP_201_CREATED, response_model=s.TenantCreated)
def create_tenant(body: s.TenantCreate, session: DbSession, _: Admin) -> s.TenantCreated:
    """Create a tenant with its first admin user (its token is shown once)."""
    check_time_zone(body.time_zone)
    tenant = m.Tenant(**body.model_dump())
    token = new_token()
    session.add(tenant)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"slug: a tenant {body.slug!r} already exists", pointer="/slug") from None
    user = m.User(tenant_id=tenant.id, name=f"{body.name} admin", role="admin", token_hash=hash_token(token))
    session.add(user)
    session.commit()
    return s.TenantCreated(
        tenant=s.TenantPublic.model_validate(tenant),
        admin=s.UserWithToken(user=s.UserPublic.model_validate(user), token=token),
    )


@router.get("/tenant", response_model=s.TenantPublic)
def read_own_tenant(session: DbSession, principal: Admin) -> m.Tenant:
    """The caller's tenant."""
    tenant = session.get(m.Tenant, principal.tenant_id)
    assert tenant is not None
    return tenant


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=s.UserWithToken)
def create_user(body: s.UserCreate, session: DbSession, principal: Admin) -> s.UserWithToken:
    """Add a user to the caller's tenant; the token is in the answer and nowhere else."""
    if body.role == "merchant" and body.merchant_id is None:
        raise InvalidInput("merchant_id: required for a merchant user", pointer="/merchant_id")
    if body.role == "courier" and body.vehicle_id is None:
        raise InvalidInput("vehicle_id: required for a courier user", pointer="/vehicle_id")
    if body.merchant_id is not None:
        resolve_reference(
            session,
            m.Merchant,
            principal.tenant_id,
            body.merchant_id,
            what="merchant",
            pointer="/merchant_id",
        )
    if body.vehicle_id is not None:
        resolve_reference(
            session, m.Vehicle, principal.tenant_id, body.vehicle_id, what="vehicle", pointer="/vehicle_id"
        )
    token = new_token()
    user = m.User(tenant_id=principal.tenant_id, token_hash=hash_token(token), **body.model_dump())
    session.add(user)
    session.commit()
    return s.UserWithToken(user=s.UserPublic.model_validate(user), token=token)


@router.get("/users", response_model=list[s.UserPublic])
def list_users(session: DbSession, principal: Admin, limit: Limit = 100, offset: Offset = 0) -> list[m.User]:
    """Users of the caller's tenant (no tokens)."""
    stmt = (
        select(m.User)
        .where(m.User.tenant_id == principal.tenant_id)
        .order_by(m.User.created_at, m.User.id)
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(stmt))
