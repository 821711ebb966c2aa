"""Quotes: the shopper's tier table (anonymous public checkout, rate-limited) and staff quotes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from sqlalchemy import select

from tournee.api.app import schemas as s
from tournee.api.app.crud import get_owned
from tournee.api.app.deps import DbSession, current_tenant
from tournee.api.app.errors import Forbidden
from tournee.api.app.idempotency import idempotent
from tournee.api.app.ordering import build_order
from tournee.api.app.quoting import QuoteService
from tournee.api.app.ratelimit import RateLimiter
from tournee.api.app.routers.common import Reader
from tournee.api.app.routers.orders import IdempotencyKey
from tournee.api.db import models as m
from tournee.api.settings import Settings
from tournee.domain import NotFound

quotes = APIRouter(prefix="/quotes", tags=["quotes"])
public = APIRouter(prefix="/public/{tenant_slug}", tags=["public checkout"])

Slug = Annotated[str, Path(min_length=1, max_length=64, description="the tenant's public slug")]


def _service(request: Request) -> QuoteService:
    service: QuoteService = request.app.state.quotes
    return service


def _limit(request: Request, slug: str) -> None:
    limiter: RateLimiter = request.app.state.rate_limiter
    client = request.client.host if request.client else "unknown"
    limiter.hit(f"{slug}|{client}")


def _tenant_by_slug(session: DbSession, slug: str) -> m.Tenant:
    tenant = session.scalar(select(m.Tenant).where(m.Tenant.slug == slug))
    if tenant is None:
        raise NotFound(f"no shop {slug!r}")
    return tenant


@quotes.post("", status_code=201, response_model=s.QuotePublic)
def create_quote(
    body: s.QuoteRequest, request: Request, session: DbSession, principal: Reader
) -> s.QuotePublic:
    """Price an order draft in every tier (staff on the phone, or a merchant's back office)."""
    settings: Settings = request.app.state.settings
    if principal.role == "merchant" and body.merchant_id != principal.merchant_id:
        raise Forbidden("a merchant user may quote only for its own merchant")
    tenant = current_tenant(session, principal)
    row = _service(request).quote(session, tenant, body, validity_s=settings.quote_validity_s)
    return s.QuotePublic.model_validate(row.result)


@quotes.get("/{quote_id}", response_model=s.QuotePublic)
def read_quote(quote_id: str, session: DbSession, principal: Reader) -> s.QuotePublic:
    """A stored quote."""
    row = get_owned(session, m.Quote, principal.tenant_id, quote_id, what="quote")
    return s.QuotePublic.model_validate(row.result)


@public.post("/quotes", status_code=201, response_model=s.QuotePublic)
def create_public_quote(
    tenant_slug: Slug, body: s.QuoteRequest, request: Request, session: DbSession
) -> s.QuotePublic:
    """The shopper's tier table at checkout: anonymous, rate-limited, shows nobody else's data."""
    _limit(request, tenant_slug)
    settings: Settings = request.app.state.settings
    tenant = _tenant_by_slug(session, tenant_slug)
    row = _service(request).quote(session, tenant, body, validity_s=settings.quote_validity_s)
    return s.QuotePublic.model_validate(row.result)


@public.post("/orders", status_code=201, response_model=s.PublicOrderConfirmation)
def accept_public_quote(
    tenant_slug: Slug,
    body: s.PublicOrderCreate,
    request: Request,
    session: DbSession,
    idempotency_key: IdempotencyKey = None,
) -> object:
    """Accept a quote in one tier: the order is created with that tier's dates and price."""
    _limit(request, tenant_slug)
    tenant = _tenant_by_slug(session, tenant_slug)
    draft = s.OrderCreate(
        quote_id=body.quote_id,
        tier=body.tier,
        relay_point_id=body.relay_point_id,
        notes=body.notes,
    )

    def act() -> s.PublicOrderConfirmation:
        order = build_order(session, tenant=tenant, body=draft, source="quote")
        order.delivery_name, order.delivery_phone = body.name, body.phone
        session.add(order)
        session.flush()
        quote = session.get(m.Quote, order.quote_id)
        assert quote is not None
        quote.order_id = order.id
        return s.PublicOrderConfirmation(
            order_id=order.id,
            tier=order.tier,
            date_from=order.date_from,
            date_to=order.date_to,
            price_cents=order.price_cents,
            currency=tenant.currency,
            ges_line=str(quote.result.get("ges_line", "")),
        )

    return idempotent(
        session,
        tenant_id=tenant.id,
        key=idempotency_key,
        scope=f"POST /public/orders {tenant_slug}",
        payload=body.model_dump(mode="json"),
        act=act,
    )
