"""What the planner returns: routes of stops, per-order results, and what it could not serve."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tournee.domain._check import int_field
from tournee.domain.model import Horizon, Location, Profile

__all__ = [
    "Footprint",
    "LegKind",
    "OrderLeg",
    "Plan",
    "Route",
    "Scope",
    "SolverStats",
    "Stop",
    "StopKind",
    "Unassigned",
    "UnassignedReason",
]


class Scope(StrEnum):
    """ISO 14083 emission scopes."""

    TTW = "TTW"  # tank-to-wheel
    WTT = "WTT"  # well-to-tank
    WTW = "WTW"  # well-to-wheel = TTW + WTT


@dataclass(frozen=True, slots=True, kw_only=True)
class Footprint:
    """Greenhouse-gas emissions in grams CO2e, with the factor they come from."""

    ttw_co2e_g: int
    wtt_co2e_g: int
    factor_id: str = ""
    source: str = ""
    year: int = 0

    def __post_init__(self) -> None:
        int_field("footprint", "ttw_co2e_g", self.ttw_co2e_g)
        int_field("footprint", "wtt_co2e_g", self.wtt_co2e_g)

    @property
    def co2e_g(self) -> int:
        """Well-to-wheel total."""
        return self.ttw_co2e_g + self.wtt_co2e_g


class StopKind(StrEnum):
    START = "start"
    PICKUP = "pickup"
    DELIVERY = "delivery"
    HUB_DROP = "hub_drop"  # a van leaves goods at a micro-hub
    HUB_LOAD = "hub_load"  # a bike takes goods from its hub
    RELOAD = "reload"  # a bike returns to its hub between trips
    END = "end"


@dataclass(frozen=True, slots=True, kw_only=True)
class Stop:
    """One stop of a route, with the load carried when leaving it."""

    kind: StopKind
    site_id: str
    location: Location
    arrival_s: int
    departure_s: int
    order_ids: tuple[str, ...] = ()
    window_start_s: int | None = None
    window_end_s: int | None = None
    load_g: int = 0
    load_ml: int = 0
    load_parcels: int = 0
    distance_from_prev_m: int = 0
    duration_from_prev_s: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """One vehicle-day trip: ordered stops from its hub back to its hub."""

    id: str
    vehicle_id: str
    profile: Profile
    day: int
    stops: tuple[Stop, ...]
    distance_m: int
    duration_s: int
    cost_cents: int
    footprint: Footprint
    trip: int = 0
    fill_rate_pct: int = 0  # peak load over capacity on the binding unit
    locked: bool = False

    @property
    def co2e_g(self) -> int:
        return self.footprint.co2e_g

    @property
    def order_ids(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for s in self.stops:
            for o in s.order_ids:
                seen.setdefault(o, None)
        return tuple(seen)


class LegKind(StrEnum):
    """Which transport-chain element an order rides on (ISO 14083 TCE)."""

    DOOR_TO_DOOR = "door_to_door"  # van or bike from pickup to delivery
    TO_HUB = "to_hub"  # van from the merchant to a micro-hub
    HUB_HANDLING = "hub_handling"  # the hub itself
    FROM_HUB = "from_hub"  # cargo bike from the micro-hub to the customer


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderLeg:
    """One element of an order's transport chain, with its allocated emissions."""

    order_id: str
    kind: LegKind
    route_id: str | None
    day: int
    footprint: Footprint
    cost_cents: int = 0
    allocation_distance_m: int = 0  # shortest feasible distance used by GLEC allocation


class UnassignedReason(StrEnum):
    """Why an order is not in any route, in terms a planner can act on."""

    CAPACITY = "capacity"  # heavier or bulkier than any vehicle it may use
    NO_VEHICLE_DAY = "no_vehicle_day"  # no vehicle works inside its tier's day window
    TIME_WINDOW = "time_window"  # its windows cannot be reached within any shift
    SKILL = "skill"  # no vehicle has the required skills
    OFF_NETWORK = "off_network"  # its pickup or delivery is too far from any road
    UNREACHABLE = "unreachable"  # no route joins its locations for the profiles available
    NOT_WORTH_IT = "not_worth_it"  # servable, but costs more than the configured penalty
    LOCKED_OUT = "locked_out"  # only locked routes could have served it
    SEARCH_TIME = "search_time"  # the search ran out of time before it could place it


@dataclass(frozen=True, slots=True, kw_only=True)
class Unassigned:
    order_id: str
    reason: UnassignedReason
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SolverStats:
    status: str
    objective: int
    wall_s: float
    first_solution_s: float | None = None
    solutions: int = 0
    strategy: str = ""
    metaheuristic: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """A week plan: every order is in exactly one route or in ``unassigned``."""

    id: str
    horizon: Horizon
    routes: tuple[Route, ...]
    legs: tuple[OrderLeg, ...]
    unassigned: tuple[Unassigned, ...]
    stats: SolverStats
    carbon_price_cents_per_t: int = 0
    currency: str = "EUR"

    @property
    def distance_m(self) -> int:
        return sum(r.distance_m for r in self.routes)

    @property
    def duration_s(self) -> int:
        return sum(r.duration_s for r in self.routes)

    @property
    def cost_cents(self) -> int:
        return sum(r.cost_cents for r in self.routes)

    @property
    def co2e_g(self) -> int:
        """Total well-to-wheel emissions: the routes plus hub handling legs."""
        hub = sum(leg.footprint.co2e_g for leg in self.legs if leg.kind is LegKind.HUB_HANDLING)
        return sum(r.co2e_g for r in self.routes) + hub

    def order_co2e_g(self, order_id: str) -> int:
        return sum(leg.footprint.co2e_g for leg in self.legs if leg.order_id == order_id)

    @property
    def served_order_ids(self) -> frozenset[str]:
        return frozenset(leg.order_id for leg in self.legs)
