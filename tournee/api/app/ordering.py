"""Creating orders: one validation path for staff entry, quotes, CSV rows and standing orders.

Every check raises a domain error whose ``pointer`` names the field of the request
(prefixed, for CSV rows, with the row: ``/rows/3/weight_g``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tournee.api.app import schemas as s
from tournee.api.app.crud import resolve_reference
from tournee.api.app.errors import Forbidden, Gone
from tournee.api.app.policies import tenant_policy
from tournee.api.db import models as m
from tournee.domain import Conflict, InvalidInput, Location, UnknownTier
from tournee.tariffs.policy import great_circle_m

__all__ = ["aware", "build_order", "tenant_today"]


def tenant_today(tenant: m.Tenant) -> dt.date:
    """Today's date in the tenant's time zone."""
    return dt.datetime.now(zoneinfo.ZoneInfo(tenant.time_zone)).date()


def aware(value: dt.datetime) -> dt.datetime:
    """``value`` as timezone-aware UTC (SQLite returns naive datetimes)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def build_order(
    session: Session,
    *,
    tenant: m.Tenant,
    body: s.OrderCreate,
    source: str,
    merchant_scope: str | None = None,
    prefix: str = "",
) -> m.Order:
    """Validate ``body`` against the tenant's data and policy and return a new order row.

    Parameters
    ----------
    session
        Open session (the row is added, not committed).
    tenant
        The caller's tenant.
    body
        The order as posted.
    source
        ``staff``, ``quote``, ``csv`` or ``standing``.
    merchant_scope
        For a merchant user: the only merchant it may order for.
    prefix
        JSON pointer prefix for error messages (CSV rows).

    Raises
    ------
    InvalidInput, UnknownTier, UnknownReference, Gone, Conflict, Forbidden
        Each naming the field.
    """
    if body.quote_id is not None:
        return _from_quote(session, tenant=tenant, body=body, merchant_scope=merchant_scope, prefix=prefix)
    policy, _ = tenant_policy(session, tenant.id)
    today = tenant_today(tenant)
    tier = _tier(policy, body.tier, prefix)
    if body.merchant_id is None:
        raise InvalidInput(f"{prefix}/merchant_id: required", pointer=f"{prefix}/merchant_id")
    if merchant_scope is not None and body.merchant_id != merchant_scope:
        raise Forbidden("a merchant user may order only for its own merchant")
    merchant = resolve_reference(
        session, m.Merchant, tenant.id, body.merchant_id, what="merchant", pointer=f"{prefix}/merchant_id"
    )
    if body.weight_g is None:
        raise InvalidInput(f"{prefix}/weight_g: required", pointer=f"{prefix}/weight_g")
    if body.weight_g == 0 and body.volume_ml == 0:
        raise InvalidInput(
            f"{prefix}/weight_g: must be > 0 (or give volume_ml)", pointer=f"{prefix}/weight_g"
        )
    date_from = body.date_from or today + dt.timedelta(days=tier.min_days)
    date_to = body.date_to or (
        date_from if body.date_from is not None else today + dt.timedelta(days=tier.max_days)
    )
    if date_from < today:
        raise InvalidInput(
            f"{prefix}/date_from: {date_from.isoformat()} is in the past (today is {today.isoformat()} "
            f"in {tenant.time_zone})",
            pointer=f"{prefix}/date_from",
        )
    if date_to < date_from:
        raise InvalidInput(
            f"{prefix}/date_to: must be on or after date_from ({date_from.isoformat()}), got {date_to.isoformat()}",
            pointer=f"{prefix}/date_to",
        )
    if (date_to - date_from).days > 31:
        raise InvalidInput(
            f"{prefix}/date_to: the window may span at most 31 days", pointer=f"{prefix}/date_to"
        )
    _check_window(body.window_start_s, body.window_end_s, prefix)
    order = m.Order(
        tenant_id=tenant.id,
        merchant_id=merchant.id,
        status="pending",
        source=source,
        tier=tier.code,
        date_from=date_from,
        date_to=date_to,
        window_start_s=body.window_start_s,
        window_end_s=body.window_end_s,
        weight_g=body.weight_g,
        volume_ml=body.volume_ml,
        parcels=body.parcels,
        price_cents=body.price_cents or 0,
        value_cents=body.value_cents,
        collect_cents=body.collect_cents,
        reference=body.reference,
        notes=body.notes,
    )
    _place(session, order, tenant=tenant, body=body, relay=tier.relay, prefix=prefix)
    return order


def _tier(policy: object, code: str, prefix: str) -> s.TierPublic:
    from tournee.tariffs.policy import TariffPolicy

    assert isinstance(policy, TariffPolicy)
    for t in policy.tiers:
        if t.code == code:
            return s.TierPublic(
                code=t.code, name=t.name, min_days=t.min_days, max_days=t.max_days, relay=t.relay
            )
    known = ", ".join(t.code for t in policy.tiers)
    raise UnknownTier(
        f"{prefix}/tier: {code!r} is not a tier of the policy (known: {known})", pointer=f"{prefix}/tier"
    )


def _check_window(start_s: int | None, end_s: int | None, prefix: str) -> None:
    if (start_s is None) != (end_s is None):
        missing = "window_end_s" if end_s is None else "window_start_s"
        raise InvalidInput(
            f"{prefix}/{missing}: give both ends of the window or neither", pointer=f"{prefix}/{missing}"
        )
    if start_s is not None and end_s is not None and end_s <= start_s:
        raise InvalidInput(
            f"{prefix}/window_end_s: must be after window_start_s ({start_s}), got {end_s}",
            pointer=f"{prefix}/window_end_s",
        )


def _place(
    session: Session, order: m.Order, *, tenant: m.Tenant, body: s.OrderCreate, relay: bool, prefix: str
) -> None:
    """Fill the delivery place from the body, the customer, or the relay point."""
    customer = None
    if body.customer_id is not None:
        customer = resolve_reference(
            session, m.Customer, tenant.id, body.customer_id, what="customer", pointer=f"{prefix}/customer_id"
        )
        order.customer_id = customer.id
    if body.relay_point_id is not None:
        point = resolve_reference(
            session,
            m.Hub,
            tenant.id,
            body.relay_point_id,
            what="relay point",
            pointer=f"{prefix}/relay_point_id",
        )
        if point.kind != "relay_point":
            raise InvalidInput(
                f"{prefix}/relay_point_id: {point.id!r} is a {point.kind}, not a relay point",
                pointer=f"{prefix}/relay_point_id",
            )
        order.relay_point_id = point.id
        order.delivery_address, order.delivery_lon, order.delivery_lat = (
            point.address or point.name,
            point.lon,
            point.lat,
        )
        order.delivery_name = customer.name if customer else (body.delivery.name if body.delivery else "")
        order.delivery_phone = customer.phone if customer else (body.delivery.phone if body.delivery else "")
        return
    if relay:
        raise InvalidInput(
            f"{prefix}/relay_point_id: the tier {body.tier!r} delivers to a relay point; name one",
            pointer=f"{prefix}/relay_point_id",
        )
    if body.delivery is not None:
        d = body.delivery
        order.delivery_name = d.name or (customer.name if customer else "")
        order.delivery_phone = d.phone or (customer.phone if customer else "")
        order.delivery_address, order.delivery_lon, order.delivery_lat = d.address, d.lon, d.lat
    elif customer is not None:
        order.delivery_name, order.delivery_phone = customer.name, customer.phone
        order.delivery_address, order.delivery_lon, order.delivery_lat = (
            customer.address,
            customer.lon,
            customer.lat,
        )
    else:
        raise InvalidInput(
            f"{prefix}/customer_id: give a customer_id or a delivery place", pointer=f"{prefix}/customer_id"
        )


def _from_quote(
    session: Session, *, tenant: m.Tenant, body: s.OrderCreate, merchant_scope: str | None, prefix: str
) -> m.Order:
    assert body.quote_id is not None
    quote = resolve_reference(
        session, m.Quote, tenant.id, body.quote_id, what="quote", pointer=f"{prefix}/quote_id"
    )
    if aware(quote.expires_at) < dt.datetime.now(dt.UTC):
        raise Gone(
            f"quote {quote.id!r} expired at {aware(quote.expires_at).isoformat()}; ask for a new quote",
            pointer=f"{prefix}/quote_id",
        )
    if quote.order_id is not None:
        raise Conflict(
            f"quote {quote.id!r} was already accepted (order {quote.order_id!r})",
            pointer=f"{prefix}/quote_id",
        )
    request = s.QuoteRequest.model_validate(quote.request)
    if merchant_scope is not None and request.merchant_id != merchant_scope:
        raise Forbidden("a merchant user may accept only its own merchant's quotes")
    tiers = {t["tier"]: t for t in quote.result.get("tiers", [])}
    chosen = tiers.get(body.tier)
    if chosen is None:
        known = ", ".join(tiers)
        raise UnknownTier(
            f"{prefix}/tier: {body.tier!r} is not in quote {quote.id!r} (known: {known})",
            pointer=f"{prefix}/tier",
        )
    if not chosen.get("available"):
        raise InvalidInput(
            f"{prefix}/tier: {body.tier!r} cannot be served: {chosen.get('reason', '')}",
            pointer=f"{prefix}/tier",
        )
    merchant = resolve_reference(
        session, m.Merchant, tenant.id, request.merchant_id, what="merchant", pointer=f"{prefix}/quote_id"
    )
    today = tenant_today(tenant)
    date_from = dt.date.fromisoformat(chosen["date_from"]) if chosen.get("date_from") else today
    date_to = dt.date.fromisoformat(chosen["date_to"]) if chosen.get("date_to") else date_from
    _check_window(body.window_start_s, body.window_end_s, prefix)
    order = m.Order(
        tenant_id=tenant.id,
        merchant_id=merchant.id,
        status="pending",
        source="quote",
        tier=body.tier,
        date_from=date_from,
        date_to=date_to,
        window_start_s=body.window_start_s,
        window_end_s=body.window_end_s,
        weight_g=request.weight_g,
        volume_ml=request.volume_ml,
        parcels=request.parcels,
        price_cents=int(chosen.get("price_cents", 0)),
        value_cents=request.value_cents,
        collect_cents=body.collect_cents,
        reference=body.reference,
        notes=body.notes,
        quote_id=quote.id,
    )
    place = body.delivery or s.DeliveryPlace(address=request.address, lon=request.lon, lat=request.lat)
    relay = bool(chosen.get("relay"))
    if relay and body.relay_point_id is None:
        near = _nearest_relay(session, tenant, Location(lon=place.lon, lat=place.lat))
        if near is not None:
            point_id, near_place = near
            if point_id is not None:
                body = body.model_copy(update={"relay_point_id": point_id})
            else:  # a relay point of the tariff policy file, not stored as a hub
                place, relay = near_place, False
    merged = body.model_copy(update={"delivery": place})
    _place(session, order, tenant=tenant, body=merged, relay=relay, prefix=prefix)
    return order


def _nearest_relay(
    session: Session, tenant: m.Tenant, location: Location
) -> tuple[str | None, s.DeliveryPlace] | None:
    """The relay point a relay tier of a quote delivers to: a stored one, else the policy's."""
    policy, _ = tenant_policy(session, tenant.id)
    best: tuple[float, m.Hub] | None = None
    for hub in session.scalars(
        select(m.Hub).where(m.Hub.tenant_id == tenant.id, m.Hub.kind == "relay_point")
    ):
        d = great_circle_m(hub.lon, hub.lat, location.lon, location.lat)
        if d <= policy.relay_max_distance_m and (best is None or d < best[0]):
            best = (d, hub)
    if best is not None:
        hub = best[1]
        return hub.id, s.DeliveryPlace(name=hub.name, address=hub.address, lon=hub.lon, lat=hub.lat)
    near = policy.nearest_relay(location)
    if near is None:
        return None
    site = near[0].site
    return None, s.DeliveryPlace(
        name=site.name, address=site.address or site.name, lon=site.location.lon, lat=site.location.lat
    )
