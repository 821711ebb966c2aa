"""The shared vocabulary: places, parties, vehicles, tiers and orders.

Conventions (see README, "Units"):

* integers with the unit in the name: ``weight_g``, ``volume_ml``, ``duration_s``,
  ``distance_m``, ``price_cents``, ``co2e_g``;
* time inside a plan is **seconds from the start of the planning horizon**
  (midnight of its first day in the tenant's time zone); days are horizon day
  indices ``0 .. days-1``; clock times within a day are seconds since midnight;
* coordinates are WGS84 degrees (``lon``, ``lat``) — the one place floats are used.

All types are frozen; derive new values with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from tournee.domain._check import fail, finite_float, int_field, non_empty_id
from tournee.domain.errors import InvalidInput

__all__ = [
    "DAY_S",
    "Customer",
    "Fuel",
    "Horizon",
    "Hub",
    "Location",
    "Merchant",
    "Order",
    "Profile",
    "Site",
    "SiteKind",
    "Tier",
    "TimeWindow",
    "Vehicle",
    "VehicleType",
]

DAY_S = 86_400


class Profile(StrEnum):
    """A travel profile: which network and matrix a vehicle uses."""

    VAN = "van"
    CARGO_BIKE = "cargo_bike"


class Fuel(StrEnum):
    """What a vehicle burns or charges; selects the emission factor."""

    DIESEL = "diesel"
    PETROL = "petrol"
    ELECTRIC = "electric"
    MUSCLE = "muscle"  # a non-assisted bike: no operational emissions


class SiteKind(StrEnum):
    MERCHANT = "merchant"
    CUSTOMER = "customer"
    DEPOT = "depot"
    MICRO_HUB = "micro_hub"
    RELAY_POINT = "relay_point"


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """A WGS84 point in degrees."""

    lon: float
    lat: float

    def __post_init__(self) -> None:
        finite_float("location", "lon", self.lon, lo=-180.0, hi=180.0)
        finite_float("location", "lat", self.lat, lo=-90.0, hi=90.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """A place where a vehicle stops: a shop, a home, a hub, a relay point."""

    id: str
    location: Location
    kind: SiteKind = SiteKind.CUSTOMER
    name: str = ""
    address: str = ""

    def __post_init__(self) -> None:
        non_empty_id("site", self.id)
        if not isinstance(self.location, Location):
            raise fail(f"site '{self.id}'", "location", "must be a Location", self.location)


@dataclass(frozen=True, slots=True, kw_only=True)
class Merchant:
    """A shop or producer whose orders are picked up at ``site``."""

    id: str
    name: str
    site: Site
    phone: str = ""

    def __post_init__(self) -> None:
        non_empty_id("merchant", self.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    """A shopper; many have a phone and no e-mail."""

    id: str
    name: str
    site: Site
    phone: str = ""
    email: str | None = None
    notes: str = ""

    def __post_init__(self) -> None:
        non_empty_id("customer", self.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeWindow:
    """A half-open interval ``[start_s, end_s]`` in seconds from the horizon start."""

    start_s: int
    end_s: int

    def __post_init__(self) -> None:
        int_field("time window", "start_s", self.start_s)
        int_field("time window", "end_s", self.end_s)
        if self.end_s < self.start_s:
            raise InvalidInput(
                f"time window: end_s ({self.end_s}) is before start_s ({self.start_s})",
                pointer="/end_s",
            )

    @property
    def day(self) -> int:
        """Horizon day on which the window opens."""
        return self.start_s // DAY_S

    def contains(self, t_s: int) -> bool:
        return self.start_s <= t_s <= self.end_s


@dataclass(frozen=True, slots=True, kw_only=True)
class Hub:
    """A depot, micro-hub or relay point.

    ``handling_s`` is the time goods spend at the hub between the van's drop and the
    earliest bike departure carrying them (unloading, sorting).
    """

    id: str
    name: str
    site: Site
    open_s: int = 0
    close_s: int = DAY_S
    open_weekdays: frozenset[int] = frozenset(range(7))
    handling_s: int = 0

    def __post_init__(self) -> None:
        non_empty_id("hub", self.id)
        what = f"hub '{self.id}'"
        int_field(what, "open_s", self.open_s)
        int_field(what, "close_s", self.close_s)
        int_field(what, "handling_s", self.handling_s)
        if not 0 <= self.open_s <= self.close_s <= DAY_S:
            raise fail(what, "close_s", "must satisfy 0 <= open_s <= close_s <= 86400", self.close_s)
        if not self.open_weekdays <= frozenset(range(7)):
            raise fail(
                what, "open_weekdays", "must hold weekdays 0 (Monday) .. 6", sorted(self.open_weekdays)
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Horizon:
    """The planning horizon: ``days`` consecutive days from ``start`` (a local date)."""

    start: dt.date
    days: int = 7

    def __post_init__(self) -> None:
        int_field("horizon", "days", self.days, minimum=1)
        if self.days > 31:
            raise fail("horizon", "days", "must be <= 31", self.days)

    @property
    def end_s(self) -> int:
        return self.days * DAY_S

    def date_of(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def weekday_of(self, day: int) -> int:
        """Monday = 0 … Sunday = 6."""
        return self.date_of(day).weekday()

    def day_of(self, date: dt.date) -> int:
        return (date - self.start).days


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleType:
    """What a kind of vehicle can carry, what it costs and what it emits.

    Energy use: ``fuel_ml_per_100km`` for diesel/petrol, ``energy_wh_per_100km`` for
    electric; the emission factors (with their source and year) live in a data file.
    """

    id: str
    profile: Profile
    capacity_g: int
    capacity_ml: int
    capacity_parcels: int
    fixed_cost_cents_per_day: int = 0
    cost_cents_per_km: int = 0
    cost_cents_per_hour: int = 0
    fuel: Fuel = Fuel.DIESEL
    fuel_ml_per_100km: int = 0
    energy_wh_per_100km: int = 0
    skills: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        non_empty_id("vehicle type", self.id)
        what = f"vehicle type '{self.id}'"
        if not isinstance(self.profile, Profile):
            raise fail(what, "profile", "must be 'van' or 'cargo_bike'", self.profile)
        for name in ("capacity_g", "capacity_ml", "capacity_parcels"):
            int_field(what, name, getattr(self, name), minimum=1)
        for name in (
            "fixed_cost_cents_per_day",
            "cost_cents_per_km",
            "cost_cents_per_hour",
            "fuel_ml_per_100km",
            "energy_wh_per_100km",
        ):
            int_field(what, name, getattr(self, name))
        if self.fuel in (Fuel.DIESEL, Fuel.PETROL) and self.fuel_ml_per_100km == 0:
            raise fail(what, "fuel_ml_per_100km", f"must be > 0 for fuel {self.fuel.value}", 0)
        if self.fuel is Fuel.ELECTRIC and self.energy_wh_per_100km == 0:
            raise fail(what, "energy_wh_per_100km", "must be > 0 for an electric vehicle", 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Vehicle:
    """One vehicle of the fleet: its type, home hub, working days and shift.

    ``working_weekdays`` are weekdays (Monday = 0); ``shift_start_s``/``shift_end_s``
    are seconds since local midnight.  ``max_trips_per_day`` > 1 lets a cargo bike
    come back to its hub to reload (``reload_s`` each time).
    """

    id: str
    type: VehicleType
    depot_id: str
    working_weekdays: frozenset[int] = frozenset(range(5))
    shift_start_s: int = 8 * 3600
    shift_end_s: int = 18 * 3600
    max_trips_per_day: int = 1
    reload_s: int = 900
    end_depot_id: str | None = None

    def __post_init__(self) -> None:
        non_empty_id("vehicle", self.id)
        what = f"vehicle '{self.id}'"
        int_field(what, "shift_start_s", self.shift_start_s)
        int_field(what, "shift_end_s", self.shift_end_s)
        if not self.shift_start_s < self.shift_end_s <= 2 * DAY_S:
            raise fail(
                what, "shift_end_s", f"must be after shift_start_s ({self.shift_start_s})", self.shift_end_s
            )
        int_field(what, "max_trips_per_day", self.max_trips_per_day, minimum=1)
        int_field(what, "reload_s", self.reload_s)
        if not self.working_weekdays or not self.working_weekdays <= frozenset(range(7)):
            raise fail(
                what,
                "working_weekdays",
                "must be a non-empty set of weekdays 0 (Monday) .. 6",
                sorted(self.working_weekdays),
            )

    @property
    def profile(self) -> Profile:
        return self.type.profile


@dataclass(frozen=True, slots=True, kw_only=True)
class Tier:
    """A delivery tier: a day window relative to the order day, home or relay point.

    ``min_days``/``max_days`` count days after the order day (express next day is
    ``1..1``; within two weeks ``1..14``).
    """

    code: str
    name: str
    min_days: int
    max_days: int
    relay: bool = False

    def __post_init__(self) -> None:
        what = f"tier '{self.code}'"
        if not isinstance(self.code, str) or not self.code.strip():
            raise InvalidInput(f"tier: code must be a non-empty string, got {self.code!r}", pointer="/code")
        int_field(what, "min_days", self.min_days)
        int_field(what, "max_days", self.max_days)
        if self.max_days < self.min_days:
            raise fail(
                what,
                "max_days",
                f"must be >= min_days ({self.min_days}): the day window is empty",
                self.max_days,
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    """One delivery: picked up at ``pickup`` and delivered to ``delivery``.

    ``earliest_day``/``latest_day`` are the horizon days its tier allows; ``windows``
    are the customer's acceptable delivery windows (seconds from the horizon start;
    empty means "any time during a shift").  ``pickup`` may be a merchant's shop or a
    hub where the goods already are (``pickup_at_hub``).  ``value_cents`` is the
    goods' value: recorded for invoices, **never** used to price delivery.
    """

    id: str
    merchant_id: str
    pickup: Site
    delivery: Site
    weight_g: int
    volume_ml: int = 0
    parcels: int = 1
    earliest_day: int = 0
    latest_day: int = 6
    windows: tuple[TimeWindow, ...] = ()
    pickup_windows: tuple[TimeWindow, ...] = ()
    service_s: int = 120
    pickup_service_s: int = 60
    skills: frozenset[str] = frozenset()
    tier: str = "standard"
    customer_id: str | None = None
    value_cents: int = 0
    collect_cents: int = 0
    notes: str = ""
    pickup_at_hub: bool = False
    extra: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        non_empty_id("order", self.id)
        what = f"order '{self.id}'"
        if not isinstance(self.merchant_id, str) or not self.merchant_id:
            raise fail(what, "merchant_id", "must be a non-empty string", self.merchant_id)
        int_field(what, "weight_g", self.weight_g)
        int_field(what, "volume_ml", self.volume_ml)
        int_field(what, "parcels", self.parcels, minimum=1)
        if self.weight_g == 0 and self.volume_ml == 0:
            raise fail(what, "weight_g", "must be > 0 (or give volume_ml)", self.weight_g)
        int_field(what, "earliest_day", self.earliest_day)
        int_field(what, "latest_day", self.latest_day)
        if self.latest_day < self.earliest_day:
            raise fail(
                what,
                "latest_day",
                f"must be >= earliest_day ({self.earliest_day}): the tier's day window is empty",
                self.latest_day,
            )
        int_field(what, "service_s", self.service_s)
        int_field(what, "pickup_service_s", self.pickup_service_s)
        int_field(what, "value_cents", self.value_cents)
        int_field(what, "collect_cents", self.collect_cents)
        for i, w in enumerate(self.windows):
            if not isinstance(w, TimeWindow):
                raise fail(what, f"windows/{i}", "must be a TimeWindow", w)
        for i, w in enumerate(self.pickup_windows):
            if not isinstance(w, TimeWindow):
                raise fail(what, f"pickup_windows/{i}", "must be a TimeWindow", w)
