"""The tariff policy: tier catalogue, ordered price rules, taxes, rounding and carbon prices.

A policy is read from TOML (``data/default_policy.toml`` is shipped) and validated on
load: every error names the key, e.g. ``policy tiers[2].max_days: must be >= min_days (2),
got 1``.  Relay-point variants are expanded into tiers of their own (``standard-relay``)
right after the tier they vary.  Carbon price references live in
``data/carbon_prices.toml``, each with its value, currency, date and source.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from importlib.resources import files
from pathlib import Path
from typing import Any

from tournee.domain import CarbonPrice, InvalidInput, Location, Site, SiteKind, Tier

__all__ = [
    "CarbonPrices",
    "InvoiceDifference",
    "RelayPoint",
    "Rounding",
    "Rule",
    "RuleKind",
    "TariffPolicy",
    "Tax",
    "TierSpec",
    "Zone",
    "custom_carbon_price",
    "default_policy",
    "load_carbon_prices",
    "load_policy",
    "parse_carbon_prices",
    "parse_policy",
    "round_cents",
    "round_ratio",
]

_DATA = files("tournee.tariffs") / "data"


class Rounding(StrEnum):
    """How a fraction of a cent becomes a whole cent (each breakdown line is rounded once)."""

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    UP = "up"
    DOWN = "down"


def round_ratio(num: int, den: int, rounding: Rounding) -> int:
    """Round ``num / den`` cents to a whole cent with integer arithmetic (``den > 0``).

    ``half_up`` rounds ties away from zero, ``half_even`` to the even cent, ``up``
    towards +infinity and ``down`` towards -infinity.
    """
    if rounding is Rounding.UP:
        return -(-num // den)
    if rounding is Rounding.DOWN:
        return num // den
    q, r = divmod(abs(num), den)
    if 2 * r > den or (2 * r == den and (rounding is Rounding.HALF_UP or q % 2 == 1)):
        q += 1
    return q if num >= 0 else -q


def round_cents(amount: Fraction | int, rounding: Rounding) -> int:
    """Round an exact amount of cents to a whole cent.

    Parameters
    ----------
    amount
        Exact amount in cents (a fraction where a rate or share was applied).
    rounding
        The policy's rounding rule.

    Returns
    -------
    int
        Whole cents.
    """
    q = Fraction(amount)
    return round_ratio(q.numerator, q.denominator, rounding)


class InvoiceDifference(StrEnum):
    """What the final invoice charges when the allocated figure differs from the quote."""

    HONOUR_QUOTE = "honour_quote"  # the quoted price, whatever planning allocated
    CHARGE_ALLOCATED = "charge_allocated"  # the price recomputed from the allocated figures
    LOWER_OF = "lower_of"  # whichever is lower for the customer


class RuleKind(StrEnum):
    LEAD_TIME_SURCHARGE = "lead_time_surcharge"  # tier promises delivery in < under_days
    PER_KG = "per_kg"  # cents per started kg above free_kg
    PER_PARCEL = "per_parcel"  # cents per parcel above free_parcels
    ZONE_SUPPLEMENT = "zone_supplement"  # the customer's zone supplement
    MINIMUM_FEE = "minimum_fee"  # tops the subtotal up to amount_cents
    SURCHARGE = "surcharge"  # a fixed amount or a percentage of the subtotal
    DISCOUNT = "discount"  # a fixed amount or a percentage off the subtotal


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One ordered surcharge or discount; ``tiers``/``relay`` restrict where it applies."""

    kind: RuleKind
    code: str
    label: str
    amount_cents: int = 0
    percent_bp: int = 0  # basis points of the subtotal (surcharge/discount)
    cents_per_kg: int = 0
    free_kg: int = 0
    cents_per_parcel: int = 0
    free_parcels: int = 0
    under_days: int = 7
    tiers: frozenset[str] | None = None  # None = every tier
    relay: bool | None = None  # None = home and relay alike

    def applies_to(self, tier: TierSpec) -> bool:
        if self.tiers is not None and tier.code not in self.tiers and tier.variant_of not in self.tiers:
            return False
        return self.relay is None or self.relay == tier.relay


@dataclass(frozen=True, slots=True, kw_only=True)
class TierSpec:
    """A tier of the catalogue with its price settings.

    ``min_days``/``max_days`` count days after the order day.  ``circuit`` narrows the
    window to the next day on which the customer's zone is served.  ``new_vehicle_day``
    allows opening an unused vehicle-day (its fixed cost is then part of the marginal
    cost).  A relay variant has ``relay=True`` and ``variant_of`` its home tier.
    """

    code: str
    name: str
    min_days: int
    max_days: int
    base_cents: int
    relay: bool = False
    circuit: bool = False
    new_vehicle_day: bool = True
    variant_of: str | None = None

    @property
    def tier(self) -> Tier:
        """The domain tier (what an order records)."""
        return Tier(
            code=self.code, name=self.name, min_days=self.min_days, max_days=self.max_days, relay=self.relay
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Zone:
    """A disc around a point: its circuit weekdays (Monday = 0) and its supplement."""

    id: str
    name: str
    lon: float
    lat: float
    radius_m: int
    circuit_weekdays: frozenset[int]
    supplement_cents: int = 0

    def contains(self, location: Location) -> bool:
        return great_circle_m(self.lon, self.lat, location.lon, location.lat) <= self.radius_m


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayPoint:
    """A pickup point where relay tiers deliver."""

    site: Site
    open_s: int
    close_s: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Tax:
    """A tax added on the price before tax, in basis points (2000 = 20 %)."""

    code: str
    label: str
    rate_bp: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TariffPolicy:
    """Everything that turns a marginal cost and a CO2e figure into a price."""

    currency: str = "EUR"
    routing_share_pct: int = 100
    rounding: Rounding = Rounding.HALF_UP
    price_step_cents: int = 1
    validity_minutes: int = 30
    carbon_price_id: str = "eu-ets-2025"
    invoice_difference: InvoiceDifference = InvoiceDifference.HONOUR_QUOTE
    relay_max_distance_m: int = 5000
    relay_discount_cents: int = 0
    tiers: tuple[TierSpec, ...] = ()
    rules: tuple[Rule, ...] = ()
    zones: tuple[Zone, ...] = ()
    relay_points: tuple[RelayPoint, ...] = ()
    taxes: tuple[Tax, ...] = ()
    source: str = ""

    def tier(self, code: str) -> TierSpec:
        from tournee.domain import UnknownTier

        for t in self.tiers:
            if t.code == code:
                return t
        known = ", ".join(t.code for t in self.tiers)
        raise UnknownTier(f"tier {code!r} is not in the tariff policy (known: {known})", pointer="/tier")

    def zone_for(self, location: Location) -> Zone | None:
        """The first zone (in file order) containing ``location``."""
        for z in self.zones:
            if z.contains(location):
                return z
        return None

    def nearest_relay(self, location: Location) -> tuple[RelayPoint, int] | None:
        """The nearest relay point within ``relay_max_distance_m`` (great circle) and its distance."""
        best: tuple[RelayPoint, int] | None = None
        for p in self.relay_points:
            d = round(great_circle_m(p.site.location.lon, p.site.location.lat, location.lon, location.lat))
            if d <= self.relay_max_distance_m and (best is None or d < best[1]):
                best = (p, d)
        return best


def great_circle_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))


# ----------------------------------------------------------------------------------------
# reading TOML with errors that name the key


class _Table:
    """A TOML table with typed getters whose errors name ``<what> <path>.<key>``."""

    def __init__(self, data: Any, path: str, *, what: str = "policy") -> None:
        self.what = what
        self.path = path
        if not isinstance(data, Mapping):
            raise InvalidInput(
                f"{what} {path or 'file'}: must be a table, got {data!r}", pointer=self._ptr("")
            )
        self.data: Mapping[str, Any] = data
        self.used: set[str] = set()

    def _ptr(self, key: str) -> str:
        p = self.path.replace("[", "/").replace("]", "").replace(".", "/")
        return "/" + "/".join(x for x in (p, key) if x)

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, problem: str, value: Any) -> InvalidInput:
        return InvalidInput(
            f"{self.what} {self._name(key)}: {problem}, got {value!r}", pointer=self._ptr(key)
        )

    def get(self, key: str, default: Any = ...) -> Any:
        self.used.add(key)
        if key in self.data:
            return self.data[key]
        if default is ...:
            raise InvalidInput(f"{self.what} {self._name(key)}: is required", pointer=self._ptr(key))
        return default

    def integer(
        self, key: str, default: Any = ..., *, minimum: int | None = 0, maximum: int | None = None
    ) -> int:
        v = self.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail(key, "must be an integer", v)
        if minimum is not None and v < minimum:
            raise self.fail(key, f"must be >= {minimum}", v)
        if maximum is not None and v > maximum:
            raise self.fail(key, f"must be <= {maximum}", v)
        return v

    def number(self, key: str, default: Any = ..., *, lo: float, hi: float) -> float:
        v = self.get(key, default)
        if (
            isinstance(v, bool)
            or not isinstance(v, (int, float))
            or not math.isfinite(v)
            or not lo <= v <= hi
        ):
            raise self.fail(key, f"must be a number within [{lo}, {hi}]", v)
        return float(v)

    def text(self, key: str, default: Any = ..., *, choices: Sequence[str] | None = None) -> str:
        v = self.get(key, default)
        if not isinstance(v, str) or not v.strip():
            raise self.fail(key, "must be a non-empty string", v)
        if choices is not None and v not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}", v)
        return v

    def flag(self, key: str, default: Any = ...) -> bool:
        v = self.get(key, default)
        if not isinstance(v, bool):
            raise self.fail(key, "must be true or false", v)
        return v

    def array(self, key: str, default: Any = ...) -> list[Any]:
        v = self.get(key, default)
        if not isinstance(v, list):
            raise self.fail(key, "must be an array", v)
        return v

    def date(self, key: str) -> dt.date:
        v = self.get(key)
        if isinstance(v, dt.datetime):
            return v.date()
        if not isinstance(v, dt.date):
            raise self.fail(key, "must be a TOML date (YYYY-MM-DD)", v)
        return v

    def done(self) -> None:
        extra = sorted(set(self.data) - self.used)
        if extra:
            raise InvalidInput(
                f"{self.what} {self._name(extra[0])}: unknown key (a typo?), got {self.data[extra[0]]!r}",
                pointer=self._ptr(extra[0]),
            )


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InvalidInput(f"{what} file {path}: not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{what} file {path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise InvalidInput(f"{what} file {path}: cannot be read ({exc.strerror})") from None


def _tier(t: _Table, seen: set[str]) -> TierSpec:
    code = t.text("code")
    if code in seen:
        raise t.fail("code", "is already used by another tier", code)
    seen.add(code)
    min_days = t.integer("min_days", minimum=0, maximum=60)
    max_days = t.integer("max_days", minimum=0, maximum=60)
    if max_days < min_days:
        raise t.fail("max_days", f"must be >= min_days ({min_days}): the day window is empty", max_days)
    spec = TierSpec(
        code=code,
        name=t.text("name", code),
        min_days=min_days,
        max_days=max_days,
        base_cents=t.integer("base_cents"),
        circuit=t.flag("circuit", False),
        new_vehicle_day=t.flag("new_vehicle_day", True),
    )
    t.done()
    return spec


def _rule(t: _Table, tier_codes: set[str], zone_ids: set[str]) -> Rule:
    kind = RuleKind(t.text("kind", choices=[k.value for k in RuleKind]))
    tiers_raw = t.get("tiers", None)
    tiers: frozenset[str] | None = None
    if tiers_raw is not None:
        if not isinstance(tiers_raw, list) or not all(isinstance(x, str) for x in tiers_raw):
            raise t.fail("tiers", "must be an array of tier codes", tiers_raw)
        unknown = sorted(set(tiers_raw) - tier_codes)
        if unknown:
            raise t.fail("tiers", f"names unknown tier {unknown[0]!r}", tiers_raw)
        tiers = frozenset(tiers_raw)
    relay = t.get("relay", None)
    if relay is not None and not isinstance(relay, bool):
        raise t.fail("relay", "must be true or false", relay)
    kw: dict[str, Any] = {}
    if kind is RuleKind.LEAD_TIME_SURCHARGE:
        kw = {"under_days": t.integer("under_days", minimum=1), "amount_cents": t.integer("amount_cents")}
    elif kind is RuleKind.PER_KG:
        kw = {"cents_per_kg": t.integer("cents_per_kg"), "free_kg": t.integer("free_kg", 0)}
    elif kind is RuleKind.PER_PARCEL:
        kw = {"cents_per_parcel": t.integer("cents_per_parcel"), "free_parcels": t.integer("free_parcels", 0)}
    elif kind is RuleKind.MINIMUM_FEE:
        kw = {"amount_cents": t.integer("amount_cents")}
    elif kind in (RuleKind.SURCHARGE, RuleKind.DISCOUNT):
        kw = {
            "amount_cents": t.integer("amount_cents", 0),
            "percent_bp": t.integer("percent_bp", 0, maximum=10_000),
        }
        if kw["amount_cents"] == 0 and kw["percent_bp"] == 0:
            raise t.fail("amount_cents", "or percent_bp must be > 0", 0)
    rule = Rule(
        kind=kind,
        code=t.text("code", kind.value),
        label=t.text("label", kind.value.replace("_", " ")),
        tiers=tiers,
        relay=relay,
        **kw,
    )
    t.done()
    return rule


def _zone(t: _Table, seen: set[str]) -> Zone:
    zid = t.text("id")
    if zid in seen:
        raise t.fail("id", "is already used by another zone", zid)
    seen.add(zid)
    days = t.array("circuit_weekdays", [])
    if not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days):
        raise t.fail("circuit_weekdays", "must hold weekdays 0 (Monday) .. 6", days)
    zone = Zone(
        id=zid,
        name=t.text("name", zid),
        lon=t.number("lon", lo=-180, hi=180),
        lat=t.number("lat", lo=-90, hi=90),
        radius_m=t.integer("radius_m", minimum=1),
        circuit_weekdays=frozenset(days),
        supplement_cents=t.integer("supplement_cents", 0),
    )
    t.done()
    return zone


def parse_policy(data: Mapping[str, Any], *, source: str = "<memory>") -> TariffPolicy:
    """Validate a policy document (already parsed from TOML) into a :class:`TariffPolicy`.

    Parameters
    ----------
    data
        The TOML document as a mapping.
    source
        Where it came from, recorded on the policy.

    Returns
    -------
    TariffPolicy

    Raises
    ------
    InvalidInput
        Naming the key, e.g. ``policy tiers[2].max_days: must be >= min_days (2), got 1``.
    """
    root = _Table(data, "")
    head = _Table(root.get("policy", {}), "policy")
    currency = head.text("currency", "EUR")
    if len(currency) != 3 or not currency.isupper():
        raise head.fail("currency", "must be an ISO 4217 code such as EUR or CAD", currency)
    general: dict[str, Any] = {
        "currency": currency,
        "routing_share_pct": head.integer("routing_share_pct", 100, maximum=1000),
        "rounding": Rounding(head.text("rounding", "half_up", choices=[r.value for r in Rounding])),
        "price_step_cents": head.integer("price_step_cents", 1, minimum=1, maximum=10_000),
        "validity_minutes": head.integer("validity_minutes", 30, minimum=1),
        "carbon_price_id": head.text("carbon_price", "eu-ets-2025"),
        "invoice_difference": InvoiceDifference(
            head.text("invoice_difference", "honour_quote", choices=[v.value for v in InvoiceDifference])
        ),
        "relay_max_distance_m": head.integer("relay_max_distance_m", 5000),
    }
    head.done()

    raw_tiers = root.array("tiers")
    if not raw_tiers:
        raise root.fail("tiers", "must define at least one tier", raw_tiers)
    seen: set[str] = set()
    home = [_tier(_Table(x, f"tiers[{i}]"), seen) for i, x in enumerate(raw_tiers)]

    relay_t = _Table(root.get("relay", {}), "relay")
    relay_of = relay_t.array("tiers", [])
    discount = relay_t.integer("discount_cents", 0)
    open_s = relay_t.integer("open_s", 0, maximum=86_400)
    close_s = relay_t.integer("close_s", 86_400, maximum=86_400)
    if close_s <= open_s:
        raise relay_t.fail("close_s", f"must be after open_s ({open_s})", close_s)
    points: list[RelayPoint] = []
    for i, raw in enumerate(relay_t.array("points", [])):
        p = _Table(raw, f"relay.points[{i}]")
        site = Site(
            id=p.text("id"),
            location=Location(lon=p.number("lon", lo=-180, hi=180), lat=p.number("lat", lo=-90, hi=90)),
            kind=SiteKind.RELAY_POINT,
            name=p.text("name", p.data.get("id", "")),
        )
        p.done()
        points.append(RelayPoint(site=site, open_s=open_s, close_s=close_s))
    relay_t.done()
    by_code = {t.code: t for t in home}
    tiers: list[TierSpec] = []
    for t in home:
        tiers.append(t)
    for i, code in enumerate(relay_of):
        if code not in by_code:
            raise relay_t.fail(f"tiers[{i}]", "names an unknown tier", code)
        parent = by_code[code]
        variant = TierSpec(
            code=f"{code}-relay",
            name=f"{parent.name} — relay point",
            min_days=parent.min_days,
            max_days=parent.max_days,
            base_cents=max(0, parent.base_cents - discount),
            relay=True,
            circuit=parent.circuit,
            new_vehicle_day=parent.new_vehicle_day,
            variant_of=code,
        )
        if variant.code in by_code:
            raise relay_t.fail(
                f"tiers[{i}]", f"would create tier {variant.code!r} which already exists", code
            )
        tiers.insert(tiers.index(parent) + 1 + sum(1 for x in tiers if x.variant_of == code), variant)
    if relay_of and not points:
        raise relay_t.fail("points", "must list at least one relay point when relay tiers are offered", [])

    zone_ids: set[str] = set()
    zones = tuple(_zone(_Table(x, f"zones[{i}]"), zone_ids) for i, x in enumerate(root.array("zones", [])))
    if any(t.circuit for t in home) and not zones:
        raise root.fail("zones", "must define at least one zone when a circuit tier is offered", [])
    codes = {t.code for t in tiers}
    rules = tuple(
        _rule(_Table(x, f"rules[{i}]"), codes, zone_ids) for i, x in enumerate(root.array("rules", []))
    )
    taxes: list[Tax] = []
    for i, raw in enumerate(root.array("taxes", [])):
        tt = _Table(raw, f"taxes[{i}]")
        taxes.append(
            Tax(code=tt.text("code"), label=tt.text("label"), rate_bp=tt.integer("rate_bp", maximum=10_000))
        )
        tt.done()
    root.done()
    return TariffPolicy(
        **general,
        relay_discount_cents=discount,
        tiers=tuple(tiers),
        rules=rules,
        zones=zones,
        relay_points=tuple(points),
        taxes=tuple(taxes),
        source=source,
    )


def load_policy(path: Path | None = None) -> TariffPolicy:
    """Read and validate a tariff policy file (the shipped default when ``path`` is None).

    Raises
    ------
    InvalidInput
        The file is missing or not TOML, or a key is invalid (the message names it).
    """
    if path is None:
        with (_DATA / "default_policy.toml").open("rb") as fh:
            policy = parse_policy(tomllib.load(fh), source="default_policy.toml")
    else:
        policy = parse_policy(_read_toml(Path(path), "policy"), source=str(path))
    known = load_carbon_prices().prices
    if policy.carbon_price_id != "custom" and policy.carbon_price_id not in known:
        raise InvalidInput(
            f"policy policy.carbon_price: must name a reference of carbon_prices.toml "
            f"({', '.join(sorted(known))}) or 'custom', got {policy.carbon_price_id!r}",
            pointer="/policy/carbon_price",
        )
    return policy


def default_policy() -> TariffPolicy:
    """The shipped default policy."""
    return load_policy(None)


# ----------------------------------------------------------------------------------------
# carbon prices


@dataclass(frozen=True, slots=True, kw_only=True)
class CarbonPrices:
    """The carbon price references an operator may choose from, and the default one."""

    prices: Mapping[str, CarbonPrice] = field(default_factory=dict)
    default_id: str = ""

    def get(self, price_id: str | None = None) -> CarbonPrice:
        pid = price_id or self.default_id
        if pid not in self.prices:
            known = ", ".join(sorted(self.prices))
            raise InvalidInput(
                f"carbon price {pid!r} is unknown (known: {known}, or 'custom')", pointer="/carbon_price"
            )
        return self.prices[pid]


def parse_carbon_prices(data: Mapping[str, Any], *, what: str = "carbon prices") -> CarbonPrices:
    """Validate a carbon price document into :class:`CarbonPrices` (errors name the key)."""
    root = _Table(data, "", what=what)
    prices: dict[str, CarbonPrice] = {}
    for i, raw in enumerate(root.array("prices")):
        t = _Table(raw, f"prices[{i}]", what=what)
        pid = t.text("id")
        if pid in prices:
            raise t.fail("id", "is already used", pid)
        value = t.number("value_per_t", lo=0, hi=100_000)
        currency = t.text("currency")
        if len(currency) != 3 or not currency.isupper():
            raise t.fail("currency", "must be an ISO 4217 code such as EUR or CAD", currency)
        t.text("kind", "market price")
        prices[pid] = CarbonPrice(
            id=pid,
            name=t.text("name"),
            cents_per_t=round(value * 100),
            currency=currency,
            as_of=t.date("as_of"),
            source=t.text("source"),
        )
        t.done()
    default_id = root.text("default", next(iter(prices), ""))
    if default_id not in prices:
        raise root.fail("default", "must be the id of a listed price", default_id)
    root.done()
    return CarbonPrices(prices=prices, default_id=default_id)


def load_carbon_prices(path: Path | None = None) -> CarbonPrices:
    """Read the carbon price references (the shipped ``carbon_prices.toml`` when ``path`` is None)."""
    if path is None:
        with (_DATA / "carbon_prices.toml").open("rb") as fh:
            return parse_carbon_prices(tomllib.load(fh))
    return parse_carbon_prices(_read_toml(Path(path), "carbon prices"))


def custom_carbon_price(
    *, cents_per_t: int, currency: str, as_of: dt.date, source: str = "operator's own value"
) -> CarbonPrice:
    """A carbon price the operator sets (printed as "custom" with its date and source)."""
    if isinstance(cents_per_t, bool) or not isinstance(cents_per_t, int) or cents_per_t < 0:
        raise InvalidInput(f"custom carbon price: cents_per_t must be an integer >= 0, got {cents_per_t!r}")
    return CarbonPrice(
        id="custom",
        name="Custom carbon price",
        cents_per_t=cents_per_t,
        currency=currency,
        as_of=as_of,
        source=source,
    )
