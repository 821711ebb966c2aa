"""Quotes in the API: the tenant's current plan read once for quoting, then priced per order.

A :class:`QuoteContext` is built per tenant from its newest plan (or an empty plan for
the coming fortnight when it has none, or when the newest is over) and kept until the
plan, the policy or the fleet changes (or for ``ttl_s``), so one quote costs one
insertion search — not a re-plan.  Travel is on the roads of the configured map.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tournee.api.app import schemas as s
from tournee.api.app.crud import resolve_reference
from tournee.api.app.ordering import tenant_today
from tournee.api.app.planjobs import NetworkCache
from tournee.api.app.policies import tenant_carbon_price, tenant_policy
from tournee.api.app.scenario import load_scenario, merchant_site_id
from tournee.api.db import models as m
from tournee.api.services.plan_io import plan_from_json
from tournee.api.services.quoting import RoadTravelLookup, build_context
from tournee.domain import CarbonPrice, Horizon, Location, Order, Plan, Quote, Site, SiteKind, SolverStats
from tournee.routing.matrix import RoadTravel
from tournee.tariffs import (
    QuoteContext,
    StraightLineTravel,
    TariffPolicy,
    TravelLookup,
    quote_order_detailed,
)
from tournee.tariffs.policy import RelayPoint

__all__ = ["QuoteService", "quote_public"]

_EMPTY_DAYS = 14


@dataclass(frozen=True, slots=True, kw_only=True)
class _Prepared:
    key: tuple[object, ...]
    built_at: float
    checked_at: float
    context: QuoteContext
    policy: TariffPolicy
    carbon: CarbonPrice
    horizon: Horizon


class QuoteService:
    """Per-tenant quote contexts over one road travel model (thread-safe)."""

    def __init__(
        self, networks: NetworkCache, *, travel: str = "road", ttl_s: float = 300.0, recheck_s: float = 2.0
    ) -> None:
        self._networks = networks
        self._travel_kind = travel
        self._ttl_s = ttl_s
        self._recheck_s = recheck_s
        self._lock = threading.Lock()
        self._travel: TravelLookup | None = None
        self._prepared: dict[str, _Prepared] = {}
        self._tenant_locks: dict[str, threading.Lock] = {}

    def _lookup(self) -> TravelLookup:
        with self._lock:
            if self._travel is None:
                if self._travel_kind == "straight":
                    self._travel = StraightLineTravel()
                else:
                    self._travel = RoadTravelLookup(RoadTravel(self._networks.get()))
            return self._travel

    def _tenant_lock(self, tenant_id: str) -> threading.Lock:
        with self._lock:
            return self._tenant_locks.setdefault(tenant_id, threading.Lock())

    def _key(self, session: Session, tenant: m.Tenant, today: dt.date) -> tuple[object, ...]:
        plan_id = session.scalar(
            select(m.PlanVersion.id)
            .where(m.PlanVersion.tenant_id == tenant.id)
            .order_by(m.PlanVersion.version.desc())
            .limit(1)
        )
        policy_row = session.get(m.TariffPolicy, tenant.id)
        fleet = (
            session.scalar(select(func.count(m.Vehicle.id)).where(m.Vehicle.tenant_id == tenant.id)),
            session.scalar(select(func.count(m.Hub.id)).where(m.Hub.tenant_id == tenant.id)),
        )
        return (plan_id, policy_row.updated_at if policy_row else None, fleet, today)

    def prepared(self, session: Session, tenant: m.Tenant) -> _Prepared:
        """The tenant's quote context, rebuilt when its plan, policy or fleet changed."""
        today = tenant_today(tenant)
        key = self._key(session, tenant, today)
        with self._tenant_lock(tenant.id):
            current = self._prepared.get(tenant.id)
            if (
                current is not None
                and current.key == key
                and time.monotonic() - current.built_at < self._ttl_s
            ):
                return current
            prepared = self._build(session, tenant, today, key)
            self._prepared[tenant.id] = prepared
            return prepared

    def _build(
        self, session: Session, tenant: m.Tenant, today: dt.date, key: tuple[object, ...]
    ) -> _Prepared:
        policy, _ = tenant_policy(session, tenant.id)
        plan = self._base_plan(session, tenant, today)
        scenario = load_scenario(session, tenant, plan.horizon)
        relays = [h for h in scenario.hubs if h.site.kind is SiteKind.RELAY_POINT]
        if relays:
            policy = dataclasses.replace(
                policy,
                relay_points=tuple(
                    RelayPoint(site=h.site, open_s=h.open_s, close_s=h.close_s) for h in relays
                ),
            )
        if policy.currency != tenant.currency:
            policy = dataclasses.replace(policy, currency=tenant.currency)
        carbon = tenant_carbon_price(policy)
        context = build_context(plan, scenario, travel=self._lookup())
        return _Prepared(
            key=key,
            built_at=time.monotonic(),
            checked_at=time.monotonic(),
            context=context,
            policy=policy,
            carbon=carbon,
            horizon=plan.horizon,
        )

    @staticmethod
    def _base_plan(session: Session, tenant: m.Tenant, today: dt.date) -> Plan:
        row = session.scalar(
            select(m.PlanVersion)
            .where(m.PlanVersion.tenant_id == tenant.id)
            .order_by(m.PlanVersion.version.desc())
            .limit(1)
        )
        if row is not None:
            plan = plan_from_json(row.body)
            last = plan.horizon.start + dt.timedelta(days=plan.horizon.days - 1)
            if plan.horizon.start <= today + dt.timedelta(days=1) and last > today:
                return dataclasses.replace(plan, currency=tenant.currency)
        return Plan(
            id="empty",
            horizon=Horizon(start=today + dt.timedelta(days=1), days=_EMPTY_DAYS),
            routes=(),
            legs=(),
            unassigned=(),
            stats=SolverStats(status="empty", objective=0, wall_s=0.0),
            currency=tenant.currency,
        )

    def quote(self, session: Session, tenant: m.Tenant, body: s.QuoteRequest, *, validity_s: int) -> m.Quote:
        """Price ``body`` in every tier and store the quote (committed).

        Raises
        ------
        UnknownReference
            If the merchant is not the tenant's (pointer ``/merchant_id``).
        """
        merchant = resolve_reference(
            session, m.Merchant, tenant.id, body.merchant_id, what="merchant", pointer="/merchant_id"
        )
        prepared = self.prepared(session, tenant)
        quote_id = m.new_id()
        order = Order(
            id=f"quote-{quote_id}",
            merchant_id=merchant.id,
            pickup=Site(
                id=merchant_site_id(merchant.id),
                location=Location(lon=merchant.lon, lat=merchant.lat),
                kind=SiteKind.MERCHANT,
                name=merchant.name,
            ),
            delivery=Site(
                id=f"q-{quote_id}", location=Location(lon=body.lon, lat=body.lat), address=body.address
            ),
            weight_g=body.weight_g,
            volume_ml=body.volume_ml,
            parcels=body.parcels,
            earliest_day=0,
            latest_day=prepared.horizon.days - 1,
            value_cents=body.value_cents,
        )
        now = dt.datetime.now(dt.UTC)
        today = tenant_today(tenant)
        order_date = body.order_date or today
        detail = quote_order_detailed(
            prepared.context,
            order,
            policy=prepared.policy,
            carbon_price=prepared.carbon,
            order_date=max(order_date, prepared.horizon.start - dt.timedelta(days=1)),
            now=now,
            quote_id=quote_id,
        )
        public = quote_public(detail.quote)
        expires = min(detail.quote.expires_at, now + dt.timedelta(seconds=validity_s))
        public = public.model_copy(update={"expires_at": expires})
        row = m.Quote(
            id=quote_id,
            tenant_id=tenant.id,
            created_at=now,
            expires_at=expires,
            request=body.model_dump(mode="json"),
            result=public.model_dump(mode="json"),
        )
        session.add(row)
        session.commit()
        return row


def quote_public(quote: Quote) -> s.QuotePublic:
    """The domain quote as the API shows it."""
    cp = quote.carbon_price
    return s.QuotePublic(
        id=quote.id,
        created_at=quote.created_at,
        expires_at=quote.expires_at,
        currency=quote.currency,
        tiers=[
            s.TierQuotePublic(
                tier=t.tier,
                name=t.name,
                relay=t.relay,
                available=t.available,
                reason=t.reason,
                date_from=t.date_from,
                date_to=t.date_to,
                price_cents=t.price_cents,
                carbon_cents=t.carbon_cents,
                co2e_g=t.co2e_g,
                fill_rate_pct=t.fill_rate_pct,
                lines=[
                    s.PriceLinePublic(code=x.code, label=x.label, amount_cents=x.amount_cents)
                    for x in t.lines
                ],
            )
            for t in quote.tiers
        ],
        carbon_price=s.CarbonPricePublic(
            id=cp.id,
            name=cp.name,
            cents_per_t=cp.cents_per_t,
            currency=cp.currency,
            as_of=cp.as_of,
            source=cp.source,
        ),
        ges_line=quote.ges_line,
    )
