"""Quotes: what delivery costs per tier, with the carbon part shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tournee.domain._check import int_field

__all__ = ["CarbonPrice", "PriceLine", "Quote", "TierQuote"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CarbonPrice:
    """A carbon price reference, printed with its date and source on every quote."""

    id: str
    name: str
    cents_per_t: int
    currency: str
    as_of: dt.date
    source: str

    def __post_init__(self) -> None:
        int_field(f"carbon price '{self.id}'", "cents_per_t", self.cents_per_t)


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceLine:
    """One line of a price breakdown (base, routing share, carbon, a rule, a tax)."""

    code: str
    label: str
    amount_cents: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TierQuote:
    """The answer for one tier: a price and date, or the reason it cannot be served."""

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
    lines: tuple[PriceLine, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    """A priced offer for one prospective order, valid until ``expires_at``."""

    id: str
    created_at: dt.datetime
    expires_at: dt.datetime
    currency: str
    tiers: tuple[TierQuote, ...]
    carbon_price: CarbonPrice
    ges_line: str = ""
