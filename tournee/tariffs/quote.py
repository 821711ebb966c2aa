"""Delay-tiered quotes priced from the plan, with a carbon surcharge.

``quote_order`` answers, for every tier of the policy, a price and a delivery date range
(or why the tier cannot serve the order):

    price = base + routing share × marginal cost + carbon surcharge + rules (+ taxes)

* the marginal cost is the cheapest feasible insertion into the plan's rounds on the
  vehicle-days the tier allows, or the cost of opening a vehicle-day when the tier may;
* the carbon surcharge is the CO2e the order would be allocated (ISO 14083 / GLEC, the
  planner's rule) × the chosen carbon price — never the goods' value;
* each line is exact, then rounded once to a whole cent by the policy's rounding rule;
  the total is rounded up to the policy's price step;
* promises: a tier is never dearer than a tier at least as fast and at least as good
  (home ≥ relay) — when the plan would say otherwise the tier is capped at that price,
  shown as a ``cap`` line.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from tournee.domain import (
    DAY_S,
    CarbonPrice,
    Horizon,
    InvalidInput,
    Order,
    PriceLine,
    Quote,
    Site,
    TierQuote,
    TimeWindow,
    UnassignedReason,
)
from tournee.tariffs.insertion import Candidate, QuoteContext
from tournee.tariffs.policy import (
    InvoiceDifference,
    Rounding,
    RuleKind,
    TariffPolicy,
    TierSpec,
    Zone,
    round_ratio,
)

__all__ = [
    "QuoteDetail",
    "carbon_surcharge_cents",
    "format_money",
    "ges_information_line",
    "order_for_tier",
    "quote_order",
    "quote_order_detailed",
    "settle_invoice_cents",
]

log = logging.getLogger(__name__)


def carbon_surcharge_cents(co2e_g: int, price: CarbonPrice, *, rounding: Rounding = Rounding.HALF_UP) -> int:
    """Carbon surcharge: grams CO2e × price per tonne, rounded to a cent.

    Parameters
    ----------
    co2e_g
        Emissions allocated to the order, grams CO2e (>= 0).
    price
        The carbon price reference (cents per tonne).
    rounding
        The policy's rounding rule.

    Returns
    -------
    int
        Cents (>= 0; non-decreasing in ``co2e_g`` and in the price).
    """
    if isinstance(co2e_g, bool) or not isinstance(co2e_g, int) or co2e_g < 0:
        raise InvalidInput(f"carbon surcharge: co2e_g must be an integer >= 0, got {co2e_g!r}")
    return round_ratio(co2e_g * price.cents_per_t, 1_000_000, rounding)


def format_money(cents: int, currency: str) -> str:
    """``1234, "EUR"`` → ``"€12.34"``; other currencies as ``"12.34 CAD"``."""
    sign = "-" if cents < 0 else ""
    amount = f"{abs(cents) // 100}.{abs(cents) % 100:02d}"
    if currency == "EUR":
        return f"{sign}€{amount}"
    return f"{sign}{amount} {currency}"


def _kg(co2e_g: int, *, decimal: str = ".") -> str:
    return f"{co2e_g / 1000:.2f}".replace(".", decimal)


def ges_information_line(tiers: Sequence[TierQuote]) -> str:
    """The greenhouse-gas information owed in France (Code des transports, art. L1431-3)."""
    parts = [f"{t.name} : {_kg(t.co2e_g, decimal=',')} kg CO2e" for t in tiers if t.available]
    if not parts:
        return ""
    return (
        "Information GES (Code des transports, art. L1431-3) — "
        + " ; ".join(parts)
        + ". Estimation ISO 14083 (GLEC v3) : émissions de la tournée réparties selon masse × distance."
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class QuoteDetail:
    """A quote with, per available tier, the insertion it was priced from."""

    quote: Quote
    chosen: Mapping[str, Candidate]
    zone: Zone | None
    relay_site_id: str | None


def _tier_days(spec: TierSpec, *, offset: int, horizon: Horizon, zone: Zone | None) -> tuple[int, int] | str:
    """The horizon days the tier allows, or the reason it allows none."""
    lo = max(offset + spec.min_days, 0)
    hi = min(offset + spec.max_days, horizon.days - 1)
    if lo > hi:
        return (
            f"its days ({horizon.date_of(offset + spec.min_days)} – {horizon.date_of(offset + spec.max_days)}) "
            f"fall outside the plan ({horizon.start} – {horizon.date_of(horizon.days - 1)})"
        )
    if not spec.circuit:
        return lo, hi
    if zone is None:
        return "no circuit zone covers the delivery address"
    for d in range(lo, hi + 1):
        if horizon.weekday_of(d) in zone.circuit_weekdays:
            return d, d
    return f"no circuit day of zone '{zone.id}' between {horizon.date_of(lo)} and {horizon.date_of(hi)}"


_REASON_TEXT = {
    UnassignedReason.CAPACITY: "too large for the room left on every vehicle-day of the tier",
    UnassignedReason.TIME_WINDOW: "its time windows cannot be met on any vehicle-day of the tier",
    UnassignedReason.SKILL: "no vehicle working in the tier has the skills it needs",
    UnassignedReason.UNREACHABLE: "no road joins its pickup or delivery to the rounds of the tier",
    UnassignedReason.LOCKED_OUT: "the rounds of the tier are locked (already dispatched)",
}


def _why_not(spec: TierSpec, on_days: Sequence[Candidate]) -> tuple[UnassignedReason, str]:
    if not on_days:
        return UnassignedReason.NO_VEHICLE_DAY, "no vehicle works on the tier's days"
    rounds = [c for c in on_days if not c.new_vehicle_day]
    if not spec.new_vehicle_day and not rounds:
        return (
            UnassignedReason.NO_VEHICLE_DAY,
            "no round runs on the tier's days and this tier does not open one",
        )
    if not spec.new_vehicle_day and any(c.feasible for c in on_days):
        return (
            UnassignedReason.NO_VEHICLE_DAY,
            "every round on the tier's days is full or out of time, and this tier does not open a new vehicle-day",
        )
    reasons = [
        c.reason for c in on_days if c.reason is not None and (spec.new_vehicle_day or not c.new_vehicle_day)
    ]
    if not reasons:
        return (
            UnassignedReason.NO_VEHICLE_DAY,
            "no round runs on the tier's days and this tier does not open one",
        )
    for r in (
        UnassignedReason.LOCKED_OUT,
        UnassignedReason.SKILL,
        UnassignedReason.CAPACITY,
        UnassignedReason.UNREACHABLE,
    ):
        if reasons and all(x is r for x in reasons):
            return r, _REASON_TEXT[r]
    if UnassignedReason.CAPACITY in reasons and UnassignedReason.TIME_WINDOW not in reasons:
        return UnassignedReason.CAPACITY, _REASON_TEXT[UnassignedReason.CAPACITY]
    return UnassignedReason.TIME_WINDOW, _REASON_TEXT[UnassignedReason.TIME_WINDOW]


def _ranked(pool: Sequence[Candidate]) -> list[Candidate]:
    """Feasible candidates, cheapest first (then least CO2e, earliest day, vehicle id)."""
    return sorted(
        (c for c in pool if c.feasible), key=lambda c: (c.cost_mcents, c.co2e_g, c.day, c.vehicle_id)
    )


def _relay_windows(horizon: Horizon, open_s: int, close_s: int) -> tuple[TimeWindow, ...]:
    return tuple(
        TimeWindow(start_s=d * DAY_S + open_s, end_s=d * DAY_S + close_s) for d in range(horizon.days)
    )


def _price_lines(
    spec: TierSpec,
    cand: Candidate,
    *,
    order: Order,
    policy: TariffPolicy,
    carbon_price: CarbonPrice,
    zone: Zone | None,
) -> list[PriceLine]:
    rnd = policy.rounding
    cur = policy.currency
    lines = [PriceLine(code="base", label=f"Base price, {spec.name}", amount_cents=spec.base_cents)]
    share = round_ratio(cand.cost_mcents * policy.routing_share_pct, 100 * 1000, rnd)
    where = (
        "a new vehicle-day (fixed cost included)"
        if cand.new_vehicle_day
        else f"round {cand.route_id} filled to {cand.fill_rate_pct} %"
    )
    lines.append(
        PriceLine(
            code="routing",
            label=f"Routing: {policy.routing_share_pct} % of the marginal cost, {where}",
            amount_cents=share,
        )
    )
    lines.append(
        PriceLine(
            code="carbon",
            label=(
                f"Carbon: {_kg(cand.co2e_g)} kg CO2e × {format_money(carbon_price.cents_per_t, cur)}/t "
                f"({carbon_price.name}, {carbon_price.as_of})"
            ),
            amount_cents=carbon_surcharge_cents(cand.co2e_g, carbon_price, rounding=rnd),
        )
    )
    subtotal = sum(line.amount_cents for line in lines)
    for rule in policy.rules:
        if not rule.applies_to(spec):
            continue
        amount = 0
        label = rule.label
        if rule.kind is RuleKind.LEAD_TIME_SURCHARGE:
            amount = rule.amount_cents if spec.max_days < rule.under_days else 0
        elif rule.kind is RuleKind.PER_KG:
            started_kg = -(-order.weight_g // 1000)
            amount = max(0, started_kg - rule.free_kg) * rule.cents_per_kg
        elif rule.kind is RuleKind.PER_PARCEL:
            amount = max(0, order.parcels - rule.free_parcels) * rule.cents_per_parcel
        elif rule.kind is RuleKind.ZONE_SUPPLEMENT:
            if zone is not None:
                amount = zone.supplement_cents
                label = f"{rule.label} ({zone.name})"
        elif rule.kind is RuleKind.MINIMUM_FEE:
            amount = max(0, rule.amount_cents - subtotal)
        elif rule.kind is RuleKind.SURCHARGE:
            amount = rule.amount_cents + round_ratio(subtotal * rule.percent_bp, 10_000, rnd)
        elif rule.kind is RuleKind.DISCOUNT:
            amount = -min(subtotal, rule.amount_cents + round_ratio(subtotal * rule.percent_bp, 10_000, rnd))
        if amount:
            lines.append(PriceLine(code=rule.code, label=label, amount_cents=amount))
            subtotal += amount
    pre_tax = subtotal
    for tax in policy.taxes:
        amount = round_ratio(pre_tax * tax.rate_bp, 10_000, rnd)
        lines.append(PriceLine(code=tax.code, label=tax.label, amount_cents=amount))
        subtotal += amount
    step = policy.price_step_cents
    rounded = -(-subtotal // step) * step
    if rounded != subtotal:
        lines.append(
            PriceLine(
                code="rounding",
                label=f"Rounded up to a multiple of {format_money(step, cur)}",
                amount_cents=rounded - subtotal,
            )
        )
    return lines


def quote_order_detailed(
    context: QuoteContext,
    order: Order,
    *,
    policy: TariffPolicy,
    carbon_price: CarbonPrice,
    order_date: dt.date | None = None,
    now: dt.datetime | None = None,
    quote_id: str | None = None,
) -> QuoteDetail:
    """:func:`quote_order`, also returning the insertion each tier was priced from."""
    plan = context.plan
    horizon = plan.horizon
    if carbon_price.currency != policy.currency:
        raise InvalidInput(
            f"carbon price '{carbon_price.id}': currency {carbon_price.currency} differs from the policy's "
            f"{policy.currency}",
            pointer="/carbon_price",
        )
    if plan.currency != policy.currency:
        raise InvalidInput(
            f"plan '{plan.id}': currency {plan.currency} differs from the policy's {policy.currency}",
            pointer="/currency",
        )
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise InvalidInput(f"quote: now must be timezone-aware, got {now!r}", pointer="/now")
    order_date = order_date or horizon.start - dt.timedelta(days=1)
    offset = horizon.day_of(order_date)

    home_zone = policy.zone_for(order.delivery.location)
    relay_choice = policy.nearest_relay(order.delivery.location)
    relay: list[Candidate] = []
    relay_zone: Zone | None = None
    drops: list[tuple[Site, tuple[TimeWindow, ...]]] = [(order.delivery, order.windows)]
    if relay_choice is not None and any(t.relay for t in policy.tiers):
        point, _ = relay_choice
        relay_zone = policy.zone_for(point.site.location)
        drops.append((point.site, _relay_windows(horizon, point.open_s, point.close_s)))
    found = context.candidates_for(order, drops)
    home = found[0]
    if len(found) > 1:
        relay = found[1]

    ranked_home, ranked_relay = _ranked(home), _ranked(relay)
    priced: dict[str, tuple[TierSpec, TierQuote]] = {}
    chosen: dict[str, Candidate] = {}
    for spec in policy.tiers:
        zone = relay_zone if spec.relay else home_zone
        base = TierQuote(tier=spec.code, name=spec.name, relay=spec.relay, available=False)
        if spec.relay and relay_choice is None:
            priced[spec.code] = (
                spec,
                replace(
                    base,
                    available=False,
                    reason=f"no relay point within {policy.relay_max_distance_m / 1000:g} km of the delivery address",
                ),
            )
            continue
        days = _tier_days(spec, offset=offset, horizon=horizon, zone=zone)
        if isinstance(days, str):
            priced[spec.code] = (spec, replace(base, available=False, reason=days))
            continue
        lo, hi = days
        # the cheapest feasible candidate on the tier's days (candidates are ranked once)
        best = next(
            (
                c
                for c in (ranked_relay if spec.relay else ranked_home)
                if lo <= c.day <= hi and (spec.new_vehicle_day or not c.new_vehicle_day)
            ),
            None,
        )
        if spec.circuit:
            date_from = date_to = horizon.date_of(lo)
        else:
            date_from = order_date + dt.timedelta(days=spec.min_days)
            date_to = order_date + dt.timedelta(days=spec.max_days)
        if best is None:
            on_days = [c for c in (relay if spec.relay else home) if lo <= c.day <= hi]
            _, why = _why_not(spec, on_days)
            priced[spec.code] = (spec, replace(base, available=False, reason=why))
            continue
        chosen[spec.code] = best
        lines = _price_lines(spec, best, order=order, policy=policy, carbon_price=carbon_price, zone=zone)
        priced[spec.code] = (
            spec,
            replace(
                base,
                available=True,
                date_from=date_from,
                date_to=date_to,
                price_cents=sum(line.amount_cents for line in lines),
                carbon_cents=next(line.amount_cents for line in lines if line.code == "carbon"),
                co2e_g=best.co2e_g,
                fill_rate_pct=best.fill_rate_pct,
                lines=tuple(lines),
            ),
        )

    # promises: never dearer than a tier at least as fast and at least as good (home ≥ relay)
    done: list[tuple[TierSpec, TierQuote]] = []
    for spec in sorted(policy.tiers, key=lambda s: (s.max_days, s.min_days, s.relay)):
        _, tq = priced[spec.code]
        if tq.available:
            caps = [
                (u, uq)
                for u, uq in done
                if uq.available and u.max_days <= spec.max_days and (spec.relay or not u.relay)
            ]
            if caps:
                u, uq = min(caps, key=lambda x: x[1].price_cents)
                if uq.price_cents < tq.price_cents:
                    cap = PriceLine(
                        code="cap",
                        label=f"Capped at the price of {u.name} (a slower or relay tier never costs more)",
                        amount_cents=uq.price_cents - tq.price_cents,
                    )
                    tq = replace(tq, price_cents=uq.price_cents, lines=(*tq.lines, cap))
                    priced[spec.code] = (spec, tq)
        done.append((spec, tq))

    tiers = tuple(priced[s.code][1] for s in policy.tiers)
    quote = Quote(
        id=quote_id or f"q-{uuid.uuid4().hex[:12]}",
        created_at=now,
        expires_at=now + dt.timedelta(minutes=policy.validity_minutes),
        currency=policy.currency,
        tiers=tiers,
        carbon_price=carbon_price,
        ges_line=ges_information_line(tiers),
    )
    log.info("quote %s: %d of %d tiers available", quote.id, sum(t.available for t in tiers), len(tiers))
    return QuoteDetail(
        quote=quote,
        chosen=chosen,
        zone=home_zone,
        relay_site_id=relay_choice[0].site.id if relay_choice else None,
    )


def quote_order(
    context: QuoteContext,
    order: Order,
    *,
    policy: TariffPolicy,
    carbon_price: CarbonPrice,
    order_date: dt.date | None = None,
    now: dt.datetime | None = None,
    quote_id: str | None = None,
) -> Quote:
    """Price a prospective order in every tier of the policy, from the current plan.

    Parameters
    ----------
    context
        The plan read for quoting (:meth:`QuoteContext.build`).
    order
        The prospective order; its ``tier``, ``earliest_day``/``latest_day`` and
        ``value_cents`` are ignored (the goods' value never prices delivery).
    policy
        Tier catalogue, rules, taxes, rounding and currency.
    carbon_price
        The carbon price reference (same currency as the policy).
    order_date
        The day the order is placed (default: the day before the plan's first day);
        tier windows count days after it.
    now
        Timezone-aware creation time (default: now, UTC); the quote expires
        ``policy.validity_minutes`` later.
    quote_id
        The quote's id (default: a random ``q-…``).

    Returns
    -------
    Quote
        One :class:`TierQuote` per tier, in policy order: a price in integer cents with
        its breakdown, the delivery date range, kg CO2e and fill rate — or the reason
        the tier cannot serve the order.

    Raises
    ------
    InvalidInput
        Currencies disagree, or ``now`` is naive.
    """
    return quote_order_detailed(
        context,
        order,
        policy=policy,
        carbon_price=carbon_price,
        order_date=order_date,
        now=now,
        quote_id=quote_id,
    ).quote


def order_for_tier(order: Order, quote: Quote, tier: str, *, horizon: Horizon) -> Order:
    """The order to plan once the customer accepts ``tier`` of ``quote``.

    Raises
    ------
    InvalidInput
        The tier is not in the quote or is unavailable.
    """
    tq = next((t for t in quote.tiers if t.tier == tier), None)
    if tq is None or not tq.available or tq.date_from is None or tq.date_to is None:
        raise InvalidInput(f"quote '{quote.id}': tier {tier!r} is not available", pointer="/tier")
    return replace(
        order,
        tier=tier,
        earliest_day=max(0, horizon.day_of(tq.date_from)),
        latest_day=max(0, horizon.day_of(tq.date_to)),
    )


def settle_invoice_cents(*, quoted_cents: int, allocated_cents: int, policy: TariffPolicy) -> int:
    """What the final invoice charges, given the quote and the price from the allocated figures.

    ``honour_quote`` (default) charges the quote; ``charge_allocated`` the recomputed
    price; ``lower_of`` whichever is lower.
    """
    if policy.invoice_difference is InvoiceDifference.HONOUR_QUOTE:
        return quoted_cents
    if policy.invoice_difference is InvoiceDifference.CHARGE_ALLOCATED:
        return allocated_cents
    return min(quoted_cents, allocated_cents)
