"""Quotes per tier: the promises of the tariff, as properties, and the quote record."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.tariffs.conftest import DEPOT, TRAVEL, busy_route, make_plan, new_order, site
from tournee.domain import InvalidInput, Order, Plan, Quote, Vehicle
from tournee.tariffs import (
    QuoteContext,
    custom_carbon_price,
    default_policy,
    load_carbon_prices,
    order_for_tier,
    quote_order,
    quote_order_detailed,
)
from tournee.tariffs.policy import TariffPolicy, parse_policy

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
POLICY = default_policy()
ETS = load_carbon_prices().get("eu-ets-2025")
DEFAULT_TOML = Path(__file__).resolve().parents[2] / "tournee" / "tariffs" / "data" / "default_policy.toml"


def _quote(ctx: QuoteContext, order: Order, *, policy: TariffPolicy = POLICY, **kw: object) -> Quote:
    return quote_order(
        ctx, order, policy=policy, carbon_price=kw.pop("carbon_price", ETS), now=NOW, quote_id="q-1", **kw
    )  # type: ignore[arg-type]


_lon = st.floats(min_value=24.88, max_value=24.99)
_lat = st.floats(min_value=60.15, max_value=60.21)
orders = st.builds(
    lambda plon, plat, dlon, dlat, w, parcels, win: new_order(
        pickup=site("p", plon, plat),
        delivery=site("d", dlon, dlat),
        weight_g=w,
        parcels=parcels,
        windows=() if win is None else ((win[0] * 86_400 + 9 * 3600, win[0] * 86_400 + 9 * 3600 + win[1]),),
    ),
    _lon,
    _lat,
    _lon,
    _lat,
    st.integers(min_value=1, max_value=700_000),
    st.integers(min_value=1, max_value=6),
    st.one_of(st.none(), st.tuples(st.integers(0, 6), st.integers(600, 8 * 3600))),
)
route_subsets = st.sets(st.sampled_from(["mon", "tue", "thu", "bike"]), max_size=4)


def _context(fleet: tuple[Vehicle, ...], which: set[str]) -> QuoteContext:
    van1, _, bike = fleet
    routes = {
        "mon": lambda: busy_route("r-mon", van1, 0, 10),
        "tue": lambda: busy_route("r-tue", van1, 1, 6),
        "thu": lambda: busy_route("r-thu", van1, 3, 12),
        "bike": lambda: busy_route("r-bike", bike, 0, 4, weight_g=5000),
    }
    plan = make_plan([routes[k]() for k in sorted(which)])
    return QuoteContext.build(plan, vehicles=fleet, travel=TRAVEL, depots={"depot": DEPOT})


@given(order=orders, which=route_subsets)
def test_slower_tier_never_costs_more_and_relay_never_more_than_home(
    fleet: tuple[Vehicle, ...], order: Order, which: set[str]
) -> None:
    quote = _quote(_context(fleet, which), order)
    specs = {t.code: t for t in POLICY.tiers}
    avail = [t for t in quote.tiers if t.available]
    for fast in avail:
        for slow in avail:
            f, s = specs[fast.tier], specs[slow.tier]
            if f.max_days < s.max_days and f.relay == s.relay:
                assert slow.price_cents <= fast.price_cents, (fast, slow)
            if s.relay and s.variant_of == f.code:
                assert slow.price_cents <= fast.price_cents, (fast, slow)
    for t in quote.tiers:
        if t.available:
            assert t.price_cents == sum(line.amount_cents for line in t.lines)
            assert t.price_cents % POLICY.price_step_cents == 0


@given(order=orders, which=route_subsets, lo=st.integers(0, 60_000), extra=st.integers(0, 60_000))
def test_carbon_surcharge_is_non_negative_and_grows_with_the_carbon_price(
    fleet: tuple[Vehicle, ...], order: Order, which: set[str], lo: int, extra: int
) -> None:
    ctx = _context(fleet, which)
    cheap = custom_carbon_price(cents_per_t=lo, currency="EUR", as_of=dt.date(2026, 1, 1))
    dear = custom_carbon_price(cents_per_t=lo + extra, currency="EUR", as_of=dt.date(2026, 1, 1))
    a, b = _quote(ctx, order, carbon_price=cheap), _quote(ctx, order, carbon_price=dear)
    for ta, tb in zip(a.tiers, b.tiers, strict=True):
        assert ta.available == tb.available
        assert ta.co2e_g == tb.co2e_g  # the insertion does not depend on the carbon price
        assert 0 <= ta.carbon_cents <= tb.carbon_cents


@given(order=orders, which=route_subsets, v1=st.integers(0, 10**8), v2=st.integers(0, 10**8))
def test_goods_value_never_changes_the_price(
    fleet: tuple[Vehicle, ...], order: Order, which: set[str], v1: int, v2: int
) -> None:
    from dataclasses import replace

    ctx = _context(fleet, which)
    a = _quote(ctx, replace(order, value_cents=v1))
    b = _quote(ctx, replace(order, value_cents=v2))
    assert a.tiers == b.tiers


@given(order=orders, which=route_subsets)
def test_a_tier_that_cannot_serve_says_why_instead_of_a_price(
    fleet: tuple[Vehicle, ...], order: Order, which: set[str]
) -> None:
    for t in _quote(_context(fleet, which), order).tiers:
        if t.available:
            assert t.price_cents > 0
            assert t.lines
            assert t.date_from is not None
            assert not t.reason
        else:
            assert t.reason
            assert t.price_cents == 0
            assert not t.lines


def test_an_order_too_heavy_for_every_vehicle_gets_the_capacity_reason(context: QuoteContext) -> None:
    quote = _quote(context, new_order(weight_g=900_000))
    assert not any(t.available for t in quote.tiers)
    assert all("too large" in t.reason for t in quote.tiers), [t.reason for t in quote.tiers]


def test_address_outside_every_zone_has_no_circuit_and_no_relay(context: QuoteContext) -> None:
    far = site("far", 25.60, 60.40)  # ~40 km east: no zone, no relay point within 5 km
    quote = _quote(context, new_order(delivery=far))
    by = {t.tier: t for t in quote.tiers}
    assert not by["circuit"].available
    assert "no circuit zone covers" in by["circuit"].reason
    assert not by["slow-relay"].available
    assert "no relay point within 5 km" in by["slow-relay"].reason


def test_tier_beyond_the_plan_horizon_says_so(context: QuoteContext) -> None:
    late = dt.date(2026, 12, 6)  # Sunday, the plan's last day: next day is outside the plan
    quote = _quote(context, new_order(), order_date=late)
    express = next(t for t in quote.tiers if t.tier == "express")
    assert not express.available
    assert "fall outside the plan" in express.reason


def test_an_order_that_fills_a_round_costs_less_than_one_that_opens_a_vehicle_day(
    fleet: tuple[Vehicle, ...],
) -> None:
    van1, _, _ = fleet
    # rounds only on Thursday: express (Monday) must open a vehicle-day, slow slots into Thursday
    plan = make_plan([busy_route("r-thu", van1, 3, 12)])
    ctx = QuoteContext.build(plan, vehicles=fleet, travel=TRAVEL, depots={"depot": DEPOT})
    detail = quote_order_detailed(ctx, new_order(), policy=POLICY, carbon_price=ETS, now=NOW)
    by = {t.tier: t for t in detail.quote.tiers}
    assert detail.chosen["express"].new_vehicle_day
    assert not detail.chosen["slow"].new_vehicle_day
    assert detail.chosen["slow"].route_id == "r-thu"
    assert by["slow"].price_cents < by["express"].price_cents
    assert by["slow"].fill_rate_pct > by["express"].fill_rate_pct
    assert "new vehicle-day" in next(x.label for x in by["express"].lines if x.code == "routing")
    assert not by["circuit"].available  # circuit tiers do not open a vehicle-day
    assert "does not open" in by["circuit"].reason


def test_quote_record_has_id_validity_breakdown_dates_and_ges_line(context: QuoteContext) -> None:
    quote = _quote(context, new_order())
    assert quote.id == "q-1"
    assert quote.expires_at - quote.created_at == dt.timedelta(minutes=POLICY.validity_minutes)
    assert quote.currency == "EUR"
    assert quote.carbon_price.id == "eu-ets-2025"
    assert "L1431-3" in quote.ges_line
    assert "kg CO2e" in quote.ges_line
    standard = next(t for t in quote.tiers if t.tier == "standard")
    assert (standard.date_from, standard.date_to) == (dt.date(2026, 12, 1), dt.date(2026, 12, 2))
    codes = [line.code for line in standard.lines]
    assert codes[:3] == ["base", "routing", "carbon"]
    assert "under-7-days" in codes
    carbon = next(x for x in standard.lines if x.code == "carbon")
    assert "EU ETS" in carbon.label
    assert "2025-12-31" in carbon.label
    slow = next(t for t in quote.tiers if t.tier == "slow")
    assert "under-7-days" not in [line.code for line in slow.lines]


def test_weekly_circuit_waits_for_the_next_circuit_day_of_the_zone(context: QuoteContext) -> None:
    outer = site("outer-home", 24.80, 60.22)  # in the outer zone: circuits on Tuesday and Friday
    quote = _quote(context, new_order(delivery=outer))
    circuit = next(t for t in quote.tiers if t.tier == "circuit")
    assert circuit.date_from == circuit.date_to == dt.date(2026, 12, 1)  # Tuesday
    assert any(line.code == "zone" for line in circuit.lines)


def test_taxes_and_per_kg_rules_appear_on_the_breakdown(context: QuoteContext) -> None:
    doc = tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))
    doc["taxes"] = [{"code": "vat", "label": "VAT 20 %", "rate_bp": 2000}]
    doc["policy"]["price_step_cents"] = 1
    policy = parse_policy(doc)
    quote = _quote(context, new_order(weight_g=12_500, parcels=3), policy=policy)
    slow = next(t for t in quote.tiers if t.tier == "slow")
    lines = {line.code: line.amount_cents for line in slow.lines}
    assert lines["weight"] == (13 - 5) * 20
    assert lines["parcels"] == 2 * 50
    pre_tax = sum(v for k, v in lines.items() if k not in ("vat", "cap"))
    assert lines["vat"] == round(pre_tax * 0.2)


def test_currency_mismatches_are_refused(context: QuoteContext, week_plan: Plan) -> None:
    spede = load_carbon_prices().get("qc-spede-2025-11")
    with pytest.raises(InvalidInput, match="carbon price 'qc-spede-2025-11': currency CAD differs"):
        _quote(context, new_order(), carbon_price=spede)
    naive = dt.datetime(2026, 11, 29, 12, 0)
    with pytest.raises(InvalidInput, match="now must be timezone-aware"):
        quote_order(context, new_order(), policy=POLICY, carbon_price=ETS, now=naive)


def test_accepting_a_tier_gives_the_order_its_day_window(context: QuoteContext, week_plan: Plan) -> None:
    order = new_order()
    quote = _quote(context, order)
    accepted = order_for_tier(order, quote, "standard", horizon=week_plan.horizon)
    assert (accepted.tier, accepted.earliest_day, accepted.latest_day) == ("standard", 1, 2)
    with pytest.raises(InvalidInput, match="tier 'teleport' is not available"):
        order_for_tier(order, quote, "teleport", horizon=week_plan.horizon)


def test_an_empty_plan_offers_only_tiers_that_may_open_a_vehicle_day(fleet: tuple[Vehicle, ...]) -> None:
    ctx = QuoteContext.build(make_plan([]), vehicles=fleet, travel=TRAVEL, depots={"depot": DEPOT})
    detail = quote_order_detailed(ctx, new_order(), policy=POLICY, carbon_price=ETS, now=NOW)
    by = {t.tier: t for t in detail.quote.tiers}
    assert by["express"].available
    assert detail.chosen["express"].new_vehicle_day
    assert not by["slow"].available
    assert "does not open one" in by["slow"].reason


def test_a_quebec_operator_prices_in_cad_with_the_spede_price(context: QuoteContext, week_plan: Plan) -> None:
    from dataclasses import replace

    doc = tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))
    doc["policy"]["currency"] = "CAD"
    doc["policy"]["carbon_price"] = "qc-spede-2026-02"
    policy = parse_policy(doc)
    cad_plan = replace(week_plan, currency="CAD")
    ctx = QuoteContext.build(cad_plan, vehicles=tuple(context.vehicles.values()), travel=TRAVEL)
    quote = _quote(
        ctx, new_order(), policy=policy, carbon_price=load_carbon_prices().get(policy.carbon_price_id)
    )
    assert quote.currency == "CAD"
    assert quote.carbon_price.cents_per_t == 3815
    assert any(t.available for t in quote.tiers)


def test_rules_apply_in_order_and_only_to_their_tiers(context: QuoteContext) -> None:
    doc = tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))
    doc["policy"]["price_step_cents"] = 1
    doc["rules"] = [
        {
            "kind": "discount",
            "code": "loyal",
            "label": "Loyal customer",
            "percent_bp": 1000,
            "tiers": ["slow"],
        },
        {"kind": "minimum_fee", "code": "minimum", "label": "Minimum fee", "amount_cents": 5000},
    ]
    policy = parse_policy(doc)
    quote = _quote(context, new_order(), policy=policy)
    by = {t.tier: t for t in quote.tiers}
    slow_codes = [line.code for line in by["slow"].lines]
    assert slow_codes.index("loyal") < slow_codes.index("minimum")
    assert "loyal" not in [line.code for line in by["express"].lines]
    assert by["slow"].price_cents == 5000  # the minimum fee tops up the discounted subtotal
    assert by["slow-relay"].price_cents <= by["slow"].price_cents
