"""The tenant's stored data as domain objects: a :class:`Scenario` for one horizon.

Site ids are stable: a hub's site id is the hub id, a merchant's ``m-<id>``, a
customer's ``c-<id>``, and a delivery place typed in for one order ``o-<id>``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from tournee.api.app.policies import tenant_policy
from tournee.api.db import models as m
from tournee.domain import (
    DAY_S,
    Customer,
    Fuel,
    Horizon,
    Hub,
    Location,
    Merchant,
    Order,
    Profile,
    Site,
    SiteKind,
    Tier,
    TimeWindow,
    Vehicle,
    VehicleType,
)
from tournee.routing.scenario import Scenario

__all__ = ["PLANNABLE", "customer_site_id", "load_scenario", "merchant_site_id"]

#: Order statuses a plan takes into account.
PLANNABLE = ("pending", "planned")


def merchant_site_id(merchant_id: str) -> str:
    return f"m-{merchant_id}"


def customer_site_id(customer_id: str) -> str:
    return f"c-{customer_id}"


def _hub(row: m.Hub) -> Hub:
    return Hub(
        id=row.id,
        name=row.name,
        site=Site(
            id=row.id,
            location=Location(lon=row.lon, lat=row.lat),
            kind=SiteKind(row.kind),
            name=row.name,
            address=row.address,
        ),
        open_s=row.open_s,
        close_s=row.close_s,
        open_weekdays=frozenset(int(d) for d in row.open_weekdays),
        handling_s=row.handling_s,
    )


def _vehicle(row: m.Vehicle, *, busy_weekdays: frozenset[int]) -> Vehicle | None:
    vtype = VehicleType(
        id=f"t-{row.id}",
        profile=Profile(row.profile),
        capacity_g=row.capacity_g,
        capacity_ml=row.capacity_ml,
        capacity_parcels=row.capacity_parcels,
        fixed_cost_cents_per_day=row.fixed_cost_cents_per_day,
        cost_cents_per_km=row.cost_cents_per_km,
        cost_cents_per_hour=row.cost_cents_per_hour,
        fuel=Fuel(row.fuel),
        fuel_ml_per_100km=row.fuel_ml_per_100km,
        energy_wh_per_100km=row.energy_wh_per_100km,
        skills=frozenset(str(s) for s in row.skills),
    )
    weekdays = frozenset(int(d) for d in row.working_weekdays) - busy_weekdays
    if not weekdays:
        return None
    return Vehicle(
        id=row.id,
        type=vtype,
        depot_id=row.depot_id,
        working_weekdays=weekdays,
        shift_start_s=row.shift_start_s,
        shift_end_s=row.shift_end_s,
        max_trips_per_day=row.max_trips_per_day,
    )


def _order(
    row: m.Order, horizon: Horizon, pickup: Site, customers: dict[str, m.Customer], hubs: dict[str, Hub]
) -> Order:
    first = max(0, horizon.day_of(row.date_from))
    last = min(horizon.days - 1, horizon.day_of(row.date_to))
    windows: tuple[TimeWindow, ...] = ()
    if row.window_start_s is not None and row.window_end_s is not None:
        windows = tuple(
            TimeWindow(start_s=d * DAY_S + row.window_start_s, end_s=d * DAY_S + row.window_end_s)
            for d in range(first, last + 1)
        )
    customer = customers.get(row.customer_id or "")
    if row.relay_point_id is not None and row.relay_point_id in hubs:
        delivery = hubs[row.relay_point_id].site
    elif customer is not None and (customer.lon, customer.lat) == (row.delivery_lon, row.delivery_lat):
        delivery = Site(
            id=customer_site_id(customer.id),
            location=Location(lon=customer.lon, lat=customer.lat),
            name=customer.name,
            address=customer.address,
        )
    else:
        delivery = Site(
            id=f"o-{row.id}",
            location=Location(lon=row.delivery_lon, lat=row.delivery_lat),
            name=row.delivery_name,
            address=row.delivery_address,
        )
    return Order(
        id=row.id,
        merchant_id=row.merchant_id,
        pickup=pickup,
        delivery=delivery,
        weight_g=row.weight_g,
        volume_ml=row.volume_ml,
        parcels=row.parcels,
        earliest_day=first,
        latest_day=last,
        windows=windows,
        tier=row.tier,
        customer_id=row.customer_id,
        value_cents=row.value_cents,
        collect_cents=row.collect_cents,
        notes=row.notes,
    )


def load_scenario(
    session: Session,
    tenant: m.Tenant,
    horizon: Horizon,
    *,
    exclude_order_ids: frozenset[str] = frozenset(),
    busy: dict[str, frozenset[int]] | None = None,
) -> Scenario:
    """Everything the planner needs for ``horizon``, read from the tenant's rows.

    Parameters
    ----------
    session
        Open session.
    tenant
        Whose data.
    horizon
        First day and length of the plan.
    exclude_order_ids
        Orders not to plan (those on locked routes).
    busy
        Per vehicle id, weekdays already taken by locked routes (removed from its working days).

    Returns
    -------
    Scenario
        Orders whose delivery window overlaps the horizon, with status pending or planned.
    """
    busy = busy or {}
    end = horizon.start + dt.timedelta(days=horizon.days - 1)
    hub_rows = list(session.scalars(select(m.Hub).where(m.Hub.tenant_id == tenant.id).order_by(m.Hub.id)))
    hubs = {h.id: _hub(h) for h in hub_rows}
    merchant_rows = {
        r.id: r for r in session.scalars(select(m.Merchant).where(m.Merchant.tenant_id == tenant.id))
    }
    merchants = {
        r.id: Merchant(
            id=r.id,
            name=r.name,
            phone=r.phone,
            site=Site(
                id=merchant_site_id(r.id),
                location=Location(lon=r.lon, lat=r.lat),
                kind=SiteKind.MERCHANT,
                name=r.name,
                address=r.address,
            ),
        )
        for r in merchant_rows.values()
    }
    order_rows = [
        o
        for o in session.scalars(
            select(m.Order)
            .where(
                m.Order.tenant_id == tenant.id,
                m.Order.status.in_(PLANNABLE),
                m.Order.date_to >= horizon.start,
                m.Order.date_from <= end,
            )
            .order_by(m.Order.date_from, m.Order.id)
        )
        if o.id not in exclude_order_ids
    ]
    wanted = {o.customer_id for o in order_rows if o.customer_id}
    customer_rows = {
        c.id: c
        for c in session.scalars(
            select(m.Customer).where(m.Customer.tenant_id == tenant.id, m.Customer.id.in_(wanted))
        )
    }
    orders = [
        _order(row, horizon, merchants[row.merchant_id].site, customer_rows, hubs) for row in order_rows
    ]
    customers = tuple(
        Customer(
            id=c.id,
            name=c.name,
            phone=c.phone,
            email=c.email,
            notes=c.notes,
            site=Site(
                id=customer_site_id(c.id),
                location=Location(lon=c.lon, lat=c.lat),
                name=c.name,
                address=c.address,
            ),
        )
        for c in customer_rows.values()
    )
    vehicles = []
    for v in session.scalars(
        select(m.Vehicle).where(m.Vehicle.tenant_id == tenant.id).order_by(m.Vehicle.id)
    ):
        vehicle = _vehicle(v, busy_weekdays=busy.get(v.id, frozenset()))
        if vehicle is not None:
            vehicles.append(vehicle)
    policy, _ = tenant_policy(session, tenant.id)
    tiers = {t.code: t.tier for t in policy.tiers}
    for o in orders:  # an order keeps its tier even if the policy dropped it since
        if o.tier not in tiers:
            tiers[o.tier] = Tier(code=o.tier, name=o.tier, min_days=0, max_days=31)
    return Scenario(
        name=f"{tenant.slug} {horizon.start.isoformat()}",
        horizon=horizon,
        hubs=tuple(hubs.values()),
        merchants=tuple(merchants.values()),
        customers=customers,
        vehicles=tuple(vehicles),
        orders=tuple(orders),
        tiers=tuple(tiers.values()),
        source="database",
    )
