"""Tariffs: delay-tiered delivery quotes priced from the plan, with a carbon surcharge.

Imports only :mod:`tournee.domain`.  The caller supplies travel data through
:class:`~tournee.tariffs.travel.TravelLookup` (the API adapts the routing engine's road
matrices to it).
"""

from tournee.tariffs.insertion import Candidate, EmissionRate, QuoteContext, allocate_co2e_g
from tournee.tariffs.policy import (
    CarbonPrices,
    TariffPolicy,
    TierSpec,
    custom_carbon_price,
    default_policy,
    load_carbon_prices,
    load_policy,
)
from tournee.tariffs.quote import (
    QuoteDetail,
    carbon_surcharge_cents,
    order_for_tier,
    quote_order,
    quote_order_detailed,
    settle_invoice_cents,
)
from tournee.tariffs.travel import StraightLineTravel, TravelLookup

__all__ = [
    "Candidate",
    "CarbonPrices",
    "EmissionRate",
    "QuoteContext",
    "QuoteDetail",
    "StraightLineTravel",
    "TariffPolicy",
    "TierSpec",
    "TravelLookup",
    "allocate_co2e_g",
    "carbon_surcharge_cents",
    "custom_carbon_price",
    "default_policy",
    "load_carbon_prices",
    "load_policy",
    "order_for_tier",
    "quote_order",
    "quote_order_detailed",
    "settle_invoice_cents",
]
