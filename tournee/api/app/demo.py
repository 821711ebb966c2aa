"""Helsinki demo data: a tenant, its users (tokens printed once), merchants, customers, fleet, orders.

Built from the map itself (:func:`~tournee.routing.scenario.build_scenario`): shops
become merchants, addresses become customers, a depot, a micro-hub and relay points are
placed, two vans and two cargo bikes work the week starting next Monday, and a week of
orders is drawn across the tariff policy's tiers.  Loading it again keeps the data and
gives the demo users new tokens.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tournee.api.app.bootstrap import create_tenant
from tournee.api.app.security import hash_token, new_token
from tournee.api.db import models as m
from tournee.domain import DAY_S, Profile, SiteKind
from tournee.routing.graph import RoadNetwork
from tournee.routing.scenario import ScenarioParams, build_scenario

__all__ = ["DEMO_SLUG", "DemoLoad", "load_demo"]

DEMO_SLUG = "helsinki-demo"
_TIME_ZONE = "Europe/Helsinki"
# The scenario's tier codes → the default policy's.
_TIERS = {"weekly": "circuit", "two_weeks": "slow", "relay": "standard-relay"}


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoLoad:
    """What the demo loaded, and one token per role (shown once)."""

    slug: str
    created: bool
    tokens: dict[str, str]
    orders: int
    start: dt.date


def _next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)


def _rotate_tokens(session: Session, tenant_id: str) -> dict[str, str]:
    tokens: dict[str, str] = {}
    for user in session.scalars(
        select(m.User).where(m.User.tenant_id == tenant_id, m.User.name.like("demo %"))
    ):
        token = new_token()
        user.token_hash = hash_token(token)
        tokens[user.role] = token
    session.commit()
    return tokens


def load_demo(
    session: Session, *, map_path: Path, network: RoadNetwork | None, orders: int = 40, seed: int = 0
) -> DemoLoad:
    """Load (or refresh the tokens of) the Helsinki demo tenant.

    Parameters
    ----------
    session
        Open session.
    map_path
        The OSM extract the scenario is drawn from (the embedded Helsinki map).
    network
        Its van network (places too far from a road are skipped).
    orders
        Orders to draw over the week.
    seed
        Scenario seed.
    """
    existing = session.scalar(select(m.Tenant).where(m.Tenant.slug == DEMO_SLUG))
    if existing is not None:
        count = len(list(session.scalars(select(m.Order.id).where(m.Order.tenant_id == existing.id))))
        return DemoLoad(slug=DEMO_SLUG, created=False, tokens=_rotate_tokens(session, existing.id), orders=count,
                        start=_next_monday(dt.datetime.now(zoneinfo.ZoneInfo(_TIME_ZONE)).date()))  # fmt: skip
    start = _next_monday(dt.datetime.now(zoneinfo.ZoneInfo(_TIME_ZONE)).date())
    scenario = build_scenario(
        map_path,
        params=ScenarioParams(
            orders=orders, merchants=8, vans=2, cargo_bikes=2, start=start, days=6, seed=seed
        ),
        network=network,
    )
    new = create_tenant(session, slug=DEMO_SLUG, name="Tournée Helsinki (demo)", currency="EUR",
                        time_zone=_TIME_ZONE, language="en")  # fmt: skip
    tid = new.tenant_id
    hub_ids: dict[str, str] = {}
    for h in scenario.hubs:
        row = m.Hub(tenant_id=tid, kind=h.site.kind.value, name=h.name or h.site.name, address=h.site.address,
                    lon=h.site.location.lon, lat=h.site.location.lat, open_s=h.open_s, close_s=h.close_s,
                    open_weekdays=sorted(h.open_weekdays), handling_s=h.handling_s)  # fmt: skip
        session.add(row)
        session.flush()
        hub_ids[h.id] = row.id
    merchant_ids: dict[str, str] = {}
    for mer in scenario.merchants:
        row_m = m.Merchant(tenant_id=tid, name=mer.name, phone=mer.phone, address=mer.site.address,
                           lon=mer.site.location.lon, lat=mer.site.location.lat)  # fmt: skip
        session.add(row_m)
        session.flush()
        merchant_ids[mer.id] = row_m.id
    customer_ids: dict[str, str] = {}
    for c in scenario.customers:
        row_c = m.Customer(tenant_id=tid, name=c.name, phone=c.phone, email=c.email, address=c.site.address,
                           lon=c.site.location.lon, lat=c.site.location.lat, notes=c.notes)  # fmt: skip
        session.add(row_c)
        session.flush()
        customer_ids[c.id] = row_c.id
    vehicle_ids: dict[str, str] = {}
    for v in scenario.vehicles:
        t = v.type
        row_v = m.Vehicle(
            tenant_id=tid, name=v.id, profile=t.profile.value, fuel=t.fuel.value, capacity_g=t.capacity_g,
            capacity_ml=t.capacity_ml, capacity_parcels=t.capacity_parcels, fuel_ml_per_100km=t.fuel_ml_per_100km,
            energy_wh_per_100km=t.energy_wh_per_100km, fixed_cost_cents_per_day=t.fixed_cost_cents_per_day,
            cost_cents_per_km=t.cost_cents_per_km, cost_cents_per_hour=t.cost_cents_per_hour,
            depot_id=hub_ids[v.depot_id], working_weekdays=sorted(v.working_weekdays),
            shift_start_s=v.shift_start_s, shift_end_s=min(v.shift_end_s, DAY_S),
            max_trips_per_day=v.max_trips_per_day, skills=sorted(t.skills),
        )  # fmt: skip
        session.add(row_v)
        session.flush()
        vehicle_ids[v.id] = row_v.id
    horizon = scenario.horizon
    count = 0
    for o in scenario.orders:
        if o.merchant_id not in merchant_ids:
            continue
        relay = o.delivery.kind is SiteKind.RELAY_POINT and o.delivery.id in hub_ids
        window = o.windows[0] if o.windows else None
        row_o = m.Order(
            tenant_id=tid, merchant_id=merchant_ids[o.merchant_id],
            customer_id=customer_ids.get(o.customer_id or ""),
            relay_point_id=hub_ids[o.delivery.id] if relay else None,
            reference=o.id, status="pending", source="staff", tier=_TIERS.get(o.tier, o.tier),
            date_from=horizon.date_of(o.earliest_day), date_to=horizon.date_of(o.latest_day),
            window_start_s=window.start_s % DAY_S if window and window.end_s // DAY_S == window.start_s // DAY_S else None,
            window_end_s=(window.end_s - (window.start_s // DAY_S) * DAY_S)
            if window and window.end_s // DAY_S == window.start_s // DAY_S else None,
            delivery_name=o.delivery.name, delivery_address=o.delivery.address,
            delivery_lon=o.delivery.location.lon, delivery_lat=o.delivery.location.lat,
            weight_g=o.weight_g, volume_ml=o.volume_ml, parcels=o.parcels, value_cents=o.value_cents,
            collect_cents=o.collect_cents, notes=o.notes,
        )  # fmt: skip
        if row_o.customer_id is not None:
            customer = session.get(m.Customer, row_o.customer_id)
            if customer is not None:
                row_o.delivery_name, row_o.delivery_phone = customer.name, customer.phone
        session.add(row_o)
        count += 1
    first_merchant = next(iter(merchant_ids.values()), None)
    bike = next((vehicle_ids[v.id] for v in scenario.vehicles if v.profile is Profile.CARGO_BIKE), None)
    for role, extra in (
        ("admin", {}),
        ("planner", {}),
        ("staff", {}),
        ("merchant", {"merchant_id": first_merchant}),
        ("courier", {"vehicle_id": bike}),
    ):
        if role == "admin":
            admin = session.scalar(select(m.User).where(m.User.tenant_id == tid, m.User.role == "admin"))
            assert admin is not None
            admin.name = "demo admin"
            continue
        session.add(
            m.User(tenant_id=tid, name=f"demo {role}", role=role, token_hash=hash_token(new_token()), **extra)
        )
    session.commit()
    return DemoLoad(
        slug=DEMO_SLUG, created=True, tokens=_rotate_tokens(session, tid), orders=count, start=start
    )
