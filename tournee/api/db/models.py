"""Tables of the multi-tenant store (SQLAlchemy 2.x declarative models).

Every business row carries ``tenant_id``; every query the API makes filters on it, so a
caller never reads or writes another tenant's data.  Coordinates are WGS84 degrees;
other quantities are integers with their unit in the column name.  Plans are immutable
versions: a re-plan writes a new row, and route locks point at a plan's route ids.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Base",
    "Customer",
    "Hub",
    "IdempotencyRecord",
    "Merchant",
    "Order",
    "PlanJob",
    "PlanVersion",
    "Quote",
    "RouteLock",
    "RouteSheet",
    "StandingOrder",
    "TariffPolicy",
    "Tenant",
    "User",
    "Vehicle",
    "new_id",
    "utcnow",
]


def new_id() -> str:
    """A random, unguessable identifier (32 hex digits)."""
    return uuid.uuid4().hex


def utcnow() -> dt.datetime:
    """Now, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of every Tournée table."""


def _tenant_fk() -> Mapped[str]:
    return mapped_column(String(32), ForeignKey("tenants.id", ondelete="CASCADE"), index=True)


class Tenant(Base):
    """A platform or producer group running deliveries for its merchants."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    time_zone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    """A person or service account; the token is stored only as its SHA-256 hash."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = _tenant_fk()
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    merchant_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("merchants.id", ondelete="SET NULL"), nullable=True
    )
    vehicle_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("vehicles.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Merchant(Base):
    """A shop or producer whose orders are picked up at its address."""

    __tablename__ = "merchants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = _tenant_fk()
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(400), default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Customer(Base):
    """A shopper: name, phone, address with coordinates, optional e-mail."""

    __tablename__ = "customers"
    __table_args__ = (Index("ix_customers_tenant_phone", "tenant_id", "phone"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = _tenant_fk()
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    address: Mapped[str] = mapped_column(String(400), default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Hub(Base):
    """A depot, micro-hub or relay point, with opening hours (seconds since local midnight)."""

    __tablename__ = "hubs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = _tenant_fk()
    kind: Mapped[str] = mapped_column(String(16))  # depot | micro_hub | relay_point
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400), default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    open_s: Mapped[int] = mapped_column(Integer, default=0)
    close_s: Mapped[int] = mapped_column(Integer, default=86_400)
    open_weekdays: Mapped[list[Any]] = mapped_column(JSON, default=lambda: list(range(7)))
    handling_s: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Vehicle(Base):
    """One vehicle with its type's capacities, costs and energy use."""

    __tablename__ = "vehicles"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = _tenant_fk()
    name: Mapped[str] = mapped_column(String(200))
    profile: Mapped[str] = mapped_column(String(16))
    fuel: Mapped[str] = mapped_column(String(16))
    capacity_g: Mapped[int] = mapped_column(Integer)
    capacity_ml: Mapped[int] = mapped_column(Integer)
    capacity_parcels: Mapped[int] = mapped_column(Integer)
    fuel_ml_per_100km: Mapped[int] = mapped_column(Integer, default=0)
    energy_wh_per_100km: Mapped[int] = mapped_column(Integer, default=0)
    fixed_cost_cents_per_day: Mapped[int] = mapped_column(Integer, default=0)
    cost_cents_per_km: Mapped[int] = mapped_column(Integer, default=0)
    cost_cents_per_hour: Mapped[int] = mapped_column(Integer, default=0)
    depot_id: Mapped[str] = mapped_column(String(32), ForeignKey("hubs.id", ondelete="RESTRICT"))
    working_weekdays: Mapped[list[Any]] = mapped_column(JSON, default=lambda: list(range(5)))
    shift_start_s: Mapped[int] = mapped_column(Integer, default=8 * 3600)
    shift_end_s: Mapped[int] = mapped_column(Integer, default=18 * 3600)
    max_trips_per_day: Mapped[int] = mapped_column(Integer, default=1)
    skills: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TariffPolicy(Base):
    """A tenant's tariff policy, kept as the operator wrote it (TOML or JSON text)."""

    __tablename__ = "tariff_policies"

    tenant_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    format: Mapped[str] = mapped_column(String(8))  # toml | json
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StandingOrder(Base):
    """A recurring delivery (iCalendar RRULE), expanded into orders per horizon."""

    __tablename__ = "standing_orders"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = _tenant_fk()
    merchant_id: Mapped[str] = mapped_column(String(32), ForeignKey("merchants.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(String(32), ForeignKey("customers.id", ondelete="CASCADE"))
    rrule: Mapped[str] = mapped_column(String(400))
    dtstart: Mapped[dt.date] = mapped_column(Date)
    tier: Mapped[str] = mapped_column(String(40))
    weight_g: Mapped[int] = mapped_column(Integer)
    volume_ml: Mapped[int] = mapped_column(Integer, default=0)
    parcels: Mapped[int] = mapped_column(Integer, default=1)
    window_start_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    window_end_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    collect_cents: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Quote(Base):
    """A priced offer for one prospective order; ``result`` holds the tier table."""

    __tablename__ = "quotes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = _tenant_fk()
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    order_id: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Order(Base):
    """One delivery from a merchant to a customer (or a relay point)."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_tenant_status", "tenant_id", "status"),
        Index("ix_orders_tenant_date", "tenant_id", "date_from"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = _tenant_fk()
    merchant_id: Mapped[str] = mapped_column(String(32), ForeignKey("merchants.id", ondelete="RESTRICT"))
    customer_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("customers.id", ondelete="SET NULL"), nullable=True
    )
    relay_point_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("hubs.id", ondelete="SET NULL"), nullable=True
    )
    reference: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    source: Mapped[str] = mapped_column(String(16), default="staff")
    tier: Mapped[str] = mapped_column(String(40))
    date_from: Mapped[dt.date] = mapped_column(Date)
    date_to: Mapped[dt.date] = mapped_column(Date)
    window_start_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    window_end_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    delivery_name: Mapped[str] = mapped_column(String(200), default="")
    delivery_phone: Mapped[str] = mapped_column(String(40), default="")
    delivery_address: Mapped[str] = mapped_column(String(400), default="")
    delivery_lon: Mapped[float] = mapped_column(Float)
    delivery_lat: Mapped[float] = mapped_column(Float)
    weight_g: Mapped[int] = mapped_column(Integer)
    volume_ml: Mapped[int] = mapped_column(Integer, default=0)
    parcels: Mapped[int] = mapped_column(Integer, default=1)
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    value_cents: Mapped[int] = mapped_column(Integer, default=0)
    collect_cents: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    quote_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    standing_order_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("standing_orders.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IdempotencyRecord(Base):
    """The first answer to a POST carrying an ``Idempotency-Key``, replayed on retries."""

    __tablename__ = "idempotency_keys"

    tenant_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PlanJob(Base):
    """A planning run in a worker, with its progress."""

    __tablename__ = "plan_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = _tenant_fk()
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done|failed
    phase: Mapped[str] = mapped_column(String(40), default="queued")
    elapsed_s: Mapped[float] = mapped_column(Float, default=0.0)
    best_objective: Mapped[int | None] = mapped_column(Integer, nullable=True)
    horizon_start: Mapped[dt.date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    base_plan_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    plan_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PlanVersion(Base):
    """An immutable plan: one version number per tenant, the plan as JSON."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("tenant_id", "version", name="uq_plans_tenant_version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = _tenant_fk()
    version: Mapped[int] = mapped_column(Integer)
    horizon_start: Mapped[dt.date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RouteLock(Base):
    """A route of a plan that a re-plan must keep as it is (e.g. already dispatched)."""

    __tablename__ = "route_locks"

    tenant_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    plan_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    route_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RouteSheet(Base):
    """What a courier needs for one route of a plan (ordered stops, contacts, amounts)."""

    __tablename__ = "route_sheets"
    __table_args__ = (UniqueConstraint("plan_id", "route_id", name="uq_route_sheets_plan_route"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = _tenant_fk()
    plan_id: Mapped[str] = mapped_column(String(32), ForeignKey("plans.id", ondelete="CASCADE"))
    route_id: Mapped[str] = mapped_column(String(100))
    vehicle_id: Mapped[str] = mapped_column(String(32))
    date: Mapped[dt.date] = mapped_column(Date)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
