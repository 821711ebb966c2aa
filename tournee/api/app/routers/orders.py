"""Orders: create (staff, merchant, or from a quote) with ``Idempotency-Key``, list, cancel."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select

from tournee.api.app import schemas as s
from tournee.api.app.crud import get_owned
from tournee.api.app.deps import DbSession, Principal, current_tenant
from tournee.api.app.errors import Forbidden
from tournee.api.app.idempotency import idempotent
from tournee.api.app.ordering import build_order
from tournee.api.app.routers.common import Limit, Offset, Reader
from tournee.api.db import models as m
from tournee.domain import Conflict

router = APIRouter(prefix="/orders", tags=["orders"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Any unique string; a retried POST with the same key returns the first answer.",
    ),
]


@router.post(
    "",
    status_code=201,
    response_model=s.OrderPublic,
    responses={201: {"description": "Created (or replayed: header Idempotent-Replayed: true)"}},
)
def create_order(
    body: s.OrderCreate, session: DbSession, principal: Reader, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Create an order: by staff (phone order), by a merchant, or accepting a quote."""
    tenant = current_tenant(session, principal)
    scope = principal.merchant_id if principal.role == "merchant" else None

    def act() -> s.OrderPublic:
        order = build_order(
            session,
            tenant=tenant,
            body=body,
            source="quote" if body.quote_id else "staff",
            merchant_scope=scope,
        )
        session.add(order)
        session.flush()
        if order.quote_id is not None:
            quote = session.get(m.Quote, order.quote_id)
            assert quote is not None
            quote.order_id = order.id
        return s.OrderPublic.model_validate(order)

    return idempotent(
        session,
        tenant_id=principal.tenant_id,
        key=idempotency_key,
        scope=f"POST /orders {principal.user_id}",
        payload=body.model_dump(mode="json"),
        act=act,
    )


@router.get("", response_model=list[s.OrderPublic])
def list_orders(
    session: DbSession,
    principal: Reader,
    day: Annotated[
        dt.date | None, Query(description="orders whose delivery window contains this date")
    ] = None,
    status: Annotated[s.OrderStatus | None, Query()] = None,
    merchant_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[m.Order]:
    """Orders of the tenant, filtered by day, status and merchant (a merchant sees its own only)."""
    stmt = select(m.Order).where(m.Order.tenant_id == principal.tenant_id)
    if principal.role == "merchant":
        if merchant_id is not None and merchant_id != principal.merchant_id:
            raise Forbidden("a merchant user may list only its own orders")
        merchant_id = principal.merchant_id
    if merchant_id is not None:
        stmt = stmt.where(m.Order.merchant_id == merchant_id)
    if status is not None:
        stmt = stmt.where(m.Order.status == status)
    if day is not None:
        stmt = stmt.where(m.Order.date_from <= day, m.Order.date_to >= day)
    stmt = stmt.order_by(m.Order.date_from, m.Order.created_at, m.Order.id).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def _visible(session: DbSession, principal: Principal, order_id: str) -> m.Order:
    order = get_owned(session, m.Order, principal.tenant_id, order_id, what="order")
    if principal.role == "merchant" and order.merchant_id != principal.merchant_id:
        raise Forbidden("a merchant user may see only its own orders")
    return order


@router.get("/{order_id}", response_model=s.OrderPublic)
def read_order(order_id: str, session: DbSession, principal: Reader) -> m.Order:
    """One order."""
    return _visible(session, principal, order_id)


@router.post("/{order_id}/cancel", response_model=s.OrderPublic)
def cancel_order(order_id: str, session: DbSession, principal: Reader) -> m.Order:
    """Cancel an order not yet delivered (cancelling twice is harmless)."""
    order = _visible(session, principal, order_id)
    if order.status in ("delivered", "failed"):
        raise Conflict(
            f"order {order_id!r} is already {order.status}; it cannot be cancelled", pointer="/status"
        )
    order.status = "cancelled"
    session.commit()
    return order
