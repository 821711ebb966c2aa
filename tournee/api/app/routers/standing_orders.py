"""Standing orders: weekly or biweekly deliveries (iCalendar RRULE), expanded per horizon."""

from __future__ import annotations

import datetime as dt

from dateutil.rrule import rrule, rrulestr
from fastapi import APIRouter, Response, status
from sqlalchemy import select

from tournee.api.app import schemas as s
from tournee.api.app.crud import delete_row, get_owned, list_owned, resolve_reference
from tournee.api.app.deps import DbSession, current_tenant
from tournee.api.app.ordering import build_order, tenant_today
from tournee.api.app.policies import tenant_policy
from tournee.api.app.routers.common import Limit, Office, Offset
from tournee.api.db import models as m
from tournee.domain import InvalidInput, UnknownTier

router = APIRouter(prefix="/standing-orders", tags=["standing orders"])

_FREQS = ("DAILY", "WEEKLY", "MONTHLY")


def parse_rrule(text: str, dtstart: dt.date) -> rrule:
    """Parse an RRULE (with or without the ``RRULE:`` prefix) starting on ``dtstart``.

    Raises
    ------
    InvalidInput
        Pointer ``/rrule`` if it does not parse or has an unsupported frequency.
    """
    body = text.strip().removeprefix("RRULE:")
    freq = next((p.split("=", 1)[1].upper() for p in body.split(";") if p.upper().startswith("FREQ=")), "")
    if freq not in _FREQS:
        raise InvalidInput(
            f"rrule: FREQ must be one of {', '.join(_FREQS)}, got {freq or 'none'!r}", pointer="/rrule"
        )
    try:
        rule = rrulestr(body, dtstart=dt.datetime.combine(dtstart, dt.time()))
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise InvalidInput(f"rrule: not a valid iCalendar RRULE: {exc}", pointer="/rrule") from None
    if not isinstance(rule, rrule):
        raise InvalidInput("rrule: give a single RRULE", pointer="/rrule")
    return rule


def occurrences(row: m.StandingOrder, start: dt.date, days: int) -> list[dt.date]:
    """Dates of ``row`` within ``[start, start + days)``."""
    rule = parse_rrule(row.rrule, row.dtstart)
    lo = dt.datetime.combine(start, dt.time())
    hi = dt.datetime.combine(start + dt.timedelta(days=days - 1), dt.time(23, 59, 59))
    return [d.date() for d in rule.between(lo, hi, inc=True)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=s.StandingOrderPublic)
def create_standing_order(
    body: s.StandingOrderCreate, session: DbSession, principal: Office
) -> m.StandingOrder:
    """Set up a recurring delivery for a customer."""
    parse_rrule(body.rrule, body.dtstart)
    policy, _ = tenant_policy(session, principal.tenant_id)
    if body.tier not in {t.code for t in policy.tiers}:
        raise UnknownTier(f"tier: {body.tier!r} is not a tier of the policy", pointer="/tier")
    resolve_reference(
        session, m.Merchant, principal.tenant_id, body.merchant_id, what="merchant", pointer="/merchant_id"
    )
    resolve_reference(
        session, m.Customer, principal.tenant_id, body.customer_id, what="customer", pointer="/customer_id"
    )
    if (body.window_start_s is None) != (body.window_end_s is None) or (
        body.window_start_s is not None
        and body.window_end_s is not None
        and body.window_end_s <= body.window_start_s
    ):
        raise InvalidInput("window_end_s: give both ends, the end after the start", pointer="/window_end_s")
    row = m.StandingOrder(tenant_id=principal.tenant_id, **body.model_dump())
    session.add(row)
    session.commit()
    return row


@router.get("", response_model=list[s.StandingOrderPublic])
def list_standing_orders(
    session: DbSession, principal: Office, limit: Limit = 100, offset: Offset = 0
) -> list[m.StandingOrder]:
    """Standing orders of the tenant."""
    return list_owned(session, m.StandingOrder, principal.tenant_id, limit=limit, offset=offset)


@router.get("/{standing_order_id}", response_model=s.StandingOrderPublic)
def read_standing_order(standing_order_id: str, session: DbSession, principal: Office) -> m.StandingOrder:
    """One standing order."""
    return get_owned(session, m.StandingOrder, principal.tenant_id, standing_order_id, what="standing order")


@router.delete("/{standing_order_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_standing_order(standing_order_id: str, session: DbSession, principal: Office) -> Response:
    """Stop a standing order (orders already expanded stay)."""
    row = get_owned(session, m.StandingOrder, principal.tenant_id, standing_order_id, what="standing order")
    delete_row(session, row, what=f"standing order {standing_order_id!r}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/expand", response_model=s.ExpandResult)
def expand_standing_orders(body: s.ExpandRequest, session: DbSession, principal: Office) -> s.ExpandResult:
    """Create the orders every active standing order has in the horizon (idempotent)."""
    tenant = current_tenant(session, principal)
    today = tenant_today(tenant)
    rows = session.scalars(
        select(m.StandingOrder).where(
            m.StandingOrder.tenant_id == tenant.id, m.StandingOrder.active.is_(True)
        )
    )
    created: list[m.Order] = []
    skipped = 0
    for row in rows:
        existing = set(
            session.scalars(
                select(m.Order.date_from).where(
                    m.Order.tenant_id == tenant.id, m.Order.standing_order_id == row.id
                )
            )
        )
        for day in occurrences(row, body.start, body.days):
            if day in existing or day < today:
                skipped += 1
                continue
            draft = s.OrderCreate(
                merchant_id=row.merchant_id,
                customer_id=row.customer_id,
                tier=row.tier,
                date_from=day,
                date_to=day,
                window_start_s=row.window_start_s,
                window_end_s=row.window_end_s,
                weight_g=row.weight_g,
                volume_ml=row.volume_ml,
                parcels=row.parcels,
                collect_cents=row.collect_cents,
                notes=row.notes,
                reference=f"standing {row.id[:8]} {day.isoformat()}",
            )
            order = build_order(session, tenant=tenant, body=draft, source="standing")
            order.standing_order_id = row.id
            session.add(order)
            created.append(order)
    session.commit()
    return s.ExpandResult(
        created=[s.OrderPublic.model_validate(o) for o in created], skipped_existing=skipped
    )
