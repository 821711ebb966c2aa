"""Request and response bodies: ``…Create`` for input, ``…Public`` for output.

Input models forbid unknown fields and are strict about types (a weight given as the
string ``"12"`` is rejected, not coerced); ranges are declared here so the OpenAPI
document states them and a violation names the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Lat",
    "Lon",
]

Lon = Annotated[
    float,
    Field(strict=True, ge=-180.0, le=180.0, allow_inf_nan=False, description="WGS84 longitude, degrees"),
]
Lat = Annotated[
    float, Field(strict=True, ge=-90.0, le=90.0, allow_inf_nan=False, description="WGS84 latitude, degrees")
]
Grams = Annotated[int, Field(strict=True, ge=0, le=10_000_000, description="grams")]
Millilitres = Annotated[int, Field(strict=True, ge=0, le=100_000_000, description="millilitres")]
Cents = Annotated[
    int, Field(strict=True, ge=0, le=1_000_000_000, description="cents of the tenant's currency")
]
DaySeconds = Annotated[int, Field(strict=True, ge=0, le=86_400, description="seconds since local midnight")]
Weekday = Annotated[int, Field(strict=True, ge=0, le=6, description="0 = Monday … 6 = Sunday")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Phone = Annotated[str, Field(max_length=40)]
Address = Annotated[str, Field(max_length=400)]
Id = Annotated[str, Field(min_length=1, max_length=64)]
Role = Literal["admin", "planner", "staff", "merchant", "courier"]


class In(BaseModel):
    """Base of input bodies: unknown fields rejected; numbers are strict (no "12" for 12)."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """Base of output bodies, built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


# --- tenants and users ------------------------------------------------------------


class TenantCreate(In):
    slug: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
    name: Name
    currency: Literal["EUR", "CAD"]
    time_zone: Annotated[str, Field(min_length=1, max_length=64, examples=["Europe/Paris"])]
    language: Literal["fr", "en"] = "fr"


class TenantPublic(Out):
    id: str
    slug: str
    name: str
    currency: str
    time_zone: str
    language: str


class UserCreate(In):
    name: Name
    role: Role
    merchant_id: Id | None = None
    vehicle_id: Id | None = None


class UserPublic(Out):
    id: str
    name: str
    role: str
    merchant_id: str | None
    vehicle_id: str | None


class UserWithToken(BaseModel):
    """A new user and its token — shown once, never stored in clear."""

    user: UserPublic
    token: str


class TenantCreated(BaseModel):
    tenant: TenantPublic
    admin: UserWithToken


# --- places and parties -----------------------------------------------------------


class MerchantCreate(In):
    name: Name
    phone: Phone = ""
    address: Address = ""
    lon: Lon
    lat: Lat


class MerchantPublic(Out):
    id: str
    name: str
    phone: str
    address: str
    lon: float
    lat: float


class CustomerCreate(In):
    name: Name
    phone: Phone = ""
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    address: Address = ""
    lon: Lon
    lat: Lat
    notes: Annotated[str, Field(max_length=2000)] = ""


class CustomerPublic(Out):
    id: str
    name: str
    phone: str
    email: str | None
    address: str
    lon: float
    lat: float
    notes: str


class HubCreate(In):
    kind: Literal["depot", "micro_hub"] = "depot"
    name: Name
    address: Address = ""
    lon: Lon
    lat: Lat
    open_s: DaySeconds = 0
    close_s: DaySeconds = 86_400
    open_weekdays: Annotated[list[Weekday], Field(max_length=7)] = Field(
        default_factory=lambda: list(range(7))
    )
    handling_s: Annotated[int, Field(strict=True, ge=0, le=86_400)] = 0


class RelayPointCreate(In):
    name: Name
    address: Address = ""
    lon: Lon
    lat: Lat
    open_s: DaySeconds = 0
    close_s: DaySeconds = 86_400
    open_weekdays: Annotated[list[Weekday], Field(max_length=7)] = Field(
        default_factory=lambda: list(range(7))
    )


class HubPublic(Out):
    id: str
    kind: str
    name: str
    address: str
    lon: float
    lat: float
    open_s: int
    close_s: int
    open_weekdays: list[int]
    handling_s: int


class VehicleCreate(In):
    name: Name
    profile: Literal["van", "cargo_bike"]
    fuel: Literal["diesel", "petrol", "electric", "muscle"]
    capacity_g: Annotated[int, Field(strict=True, ge=1, le=100_000_000)]
    capacity_ml: Annotated[int, Field(strict=True, ge=1, le=1_000_000_000)]
    capacity_parcels: Annotated[int, Field(strict=True, ge=1, le=100_000)]
    fuel_ml_per_100km: Annotated[int, Field(strict=True, ge=0, le=1_000_000)] = 0
    energy_wh_per_100km: Annotated[int, Field(strict=True, ge=0, le=10_000_000)] = 0
    fixed_cost_cents_per_day: Cents = 0
    cost_cents_per_km: Cents = 0
    cost_cents_per_hour: Cents = 0
    depot_id: Id
    working_weekdays: Annotated[list[Weekday], Field(min_length=1, max_length=7)] = Field(
        default_factory=lambda: list(range(5))
    )
    shift_start_s: DaySeconds = 8 * 3600
    shift_end_s: DaySeconds = 18 * 3600
    max_trips_per_day: Annotated[int, Field(strict=True, ge=1, le=20)] = 1
    skills: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=20)] = Field(
        default_factory=list
    )


class VehiclePublic(Out):
    id: str
    name: str
    profile: str
    fuel: str
    capacity_g: int
    capacity_ml: int
    capacity_parcels: int
    fuel_ml_per_100km: int
    energy_wh_per_100km: int
    fixed_cost_cents_per_day: int
    cost_cents_per_km: int
    cost_cents_per_hour: int
    depot_id: str
    working_weekdays: list[int]
    shift_start_s: int
    shift_end_s: int
    max_trips_per_day: int
    skills: list[str]


# --- tariff policy ----------------------------------------------------------------


class TariffPolicyUpdate(In):
    format: Literal["toml", "json"] = "toml"
    text: Annotated[str, Field(min_length=1, max_length=200_000)]


class TierPublic(BaseModel):
    code: str
    name: str
    min_days: int
    max_days: int
    relay: bool


class TariffPolicyPublic(BaseModel):
    format: str
    text: str
    tiers: list[TierPublic]
    updated_at: dt.datetime | None


# --- orders -------------------------------------------------------------------------

OrderStatus = Literal["pending", "planned", "delivered", "failed", "cancelled"]


class DeliveryPlace(In):
    """Where to deliver when it is not the customer's own address."""

    name: Annotated[str, Field(max_length=200)] = ""
    phone: Phone = ""
    address: Address = ""
    lon: Lon
    lat: Lat


class OrderCreate(In):
    """A phone or back-office order, or the acceptance of a quote (``quote_id`` + ``tier``).

    With ``quote_id``, the goods, place, dates and price come from the quote and only
    ``tier``, the customer and the notes are read from this body.
    """

    quote_id: Id | None = None
    merchant_id: Id | None = None
    customer_id: Id | None = None
    delivery: DeliveryPlace | None = None
    relay_point_id: Id | None = None
    tier: Annotated[str, Field(min_length=1, max_length=40)]
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    window_start_s: DaySeconds | None = None
    window_end_s: DaySeconds | None = None
    weight_g: Grams | None = None
    volume_ml: Millilitres = 0
    parcels: Annotated[int, Field(strict=True, ge=1, le=1000)] = 1
    price_cents: Cents | None = None
    value_cents: Cents = 0
    collect_cents: Cents = 0
    reference: Annotated[str, Field(max_length=100)] = ""
    notes: Annotated[str, Field(max_length=2000)] = ""


class OrderPublic(Out):
    id: str
    merchant_id: str
    customer_id: str | None
    relay_point_id: str | None
    reference: str
    status: str
    source: str
    tier: str
    date_from: dt.date
    date_to: dt.date
    window_start_s: int | None
    window_end_s: int | None
    delivery_name: str
    delivery_phone: str
    delivery_address: str
    delivery_lon: float
    delivery_lat: float
    weight_g: int
    volume_ml: int
    parcels: int
    price_cents: int
    value_cents: int
    collect_cents: int
    notes: str
    quote_id: str | None
    standing_order_id: str | None
    created_at: dt.datetime


class StandingOrderCreate(In):
    merchant_id: Id
    customer_id: Id
    rrule: Annotated[
        str,
        Field(
            min_length=5, max_length=400, examples=["FREQ=WEEKLY;BYDAY=TU", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"]
        ),
    ]
    dtstart: dt.date
    tier: Annotated[str, Field(min_length=1, max_length=40)]
    weight_g: Grams
    volume_ml: Millilitres = 0
    parcels: Annotated[int, Field(strict=True, ge=1, le=1000)] = 1
    window_start_s: DaySeconds | None = None
    window_end_s: DaySeconds | None = None
    collect_cents: Cents = 0
    notes: Annotated[str, Field(max_length=2000)] = ""


class StandingOrderPublic(Out):
    id: str
    merchant_id: str
    customer_id: str
    rrule: str
    dtstart: dt.date
    tier: str
    weight_g: int
    volume_ml: int
    parcels: int
    window_start_s: int | None
    window_end_s: int | None
    collect_cents: int
    notes: str
    active: bool


class ExpandRequest(In):
    start: dt.date
    days: Annotated[int, Field(strict=True, ge=1, le=31)] = 7


class ExpandResult(BaseModel):
    created: list[OrderPublic]
    skipped_existing: int


class ImportRowError(BaseModel):
    row: int = Field(description="1-based data row (the header is row 0)")
    column: str
    pointer: str
    detail: str


class ImportReport(BaseModel):
    imported: int
    errors: list[ImportRowError]
    order_ids: list[str]


# --- quotes -------------------------------------------------------------------------


class QuoteRequest(In):
    """An order draft: where from, where to, how much."""

    merchant_id: Id
    lon: Lon
    lat: Lat
    address: Address = ""
    weight_g: Annotated[int, Field(strict=True, ge=1, le=10_000_000)]
    volume_ml: Millilitres = 0
    parcels: Annotated[int, Field(strict=True, ge=1, le=1000)] = 1
    value_cents: Cents = 0
    order_date: dt.date | None = None


class PriceLinePublic(BaseModel):
    code: str
    label: str
    amount_cents: int


class TierQuotePublic(BaseModel):
    tier: str
    name: str
    relay: bool
    available: bool
    reason: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    price_cents: int = 0
    carbon_cents: int = 0
    co2e_g: int = 0
    fill_rate_pct: int = 0
    lines: list[PriceLinePublic] = Field(default_factory=list)


class CarbonPricePublic(BaseModel):
    id: str
    name: str
    cents_per_t: int
    currency: str
    as_of: dt.date
    source: str


class QuotePublic(BaseModel):
    id: str
    created_at: dt.datetime
    expires_at: dt.datetime
    currency: str
    tiers: list[TierQuotePublic]
    carbon_price: CarbonPricePublic | None = None
    ges_line: str = ""


# --- plans ----------------------------------------------------------------------------


class PlanJobCreate(In):
    start: dt.date
    days: Annotated[int, Field(strict=True, ge=1, le=31)] = 7
    time_limit_s: Annotated[float, Field(strict=True, gt=0, le=600)] | None = None


class ReplanRequest(In):
    time_limit_s: Annotated[float, Field(strict=True, gt=0, le=600)] | None = None


class PlanJobPublic(Out):
    id: str
    status: str
    phase: str
    elapsed_s: float
    best_objective: int | None
    horizon_start: dt.date
    days: int
    base_plan_id: str | None
    plan_id: str | None
    error: str


class PlanSummary(Out):
    id: str
    version: int
    horizon_start: dt.date
    days: int
    parent_id: str | None
    created_at: dt.datetime


class PlanPublic(PlanSummary):
    body: dict[str, Any]
    locked_route_ids: list[str]


class LockCreate(In):
    route_id: Annotated[str, Field(min_length=1, max_length=100)]


class AddressHit(BaseModel):
    label: str
    street: str
    housenumber: str
    postcode: str
    city: str
    lon: float
    lat: float
    source: Literal["osm", "geocoder"]


class PublicOrderCreate(In):
    """A shopper accepting a quote at checkout."""

    quote_id: Id
    tier: Annotated[str, Field(min_length=1, max_length=40)]
    name: Name
    phone: Annotated[str, Field(min_length=3, max_length=40)]
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    relay_point_id: Id | None = None
    notes: Annotated[str, Field(max_length=2000)] = ""


class PublicOrderConfirmation(BaseModel):
    """What the shopper gets back: no other data than their own order."""

    order_id: str
    tier: str
    date_from: dt.date
    date_to: dt.date
    price_cents: int
    currency: str
    ges_line: str = ""
