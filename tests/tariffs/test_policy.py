"""The tariff policy and carbon price files: defaults load, bad files name the key."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tournee.domain import CarbonPrice, InvalidInput, UnknownTier
from tournee.tariffs import (
    carbon_surcharge_cents,
    custom_carbon_price,
    default_policy,
    load_carbon_prices,
    load_policy,
    settle_invoice_cents,
)
from tournee.tariffs.policy import InvoiceDifference, Rounding, parse_carbon_prices, parse_policy, round_cents

DEFAULT_TOML = Path(__file__).resolve().parents[2] / "tournee" / "tariffs" / "data" / "default_policy.toml"


def _default_doc() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))


def test_default_policy_offers_express_to_two_weeks_each_with_a_relay_variant() -> None:
    policy = default_policy()
    codes = [t.code for t in policy.tiers]
    assert codes == [
        "express",
        "express-relay",
        "standard",
        "standard-relay",
        "circuit",
        "circuit-relay",
        "slow",
        "slow-relay",
    ]
    slow = policy.tier("slow")
    assert (slow.min_days, slow.max_days) == (1, 14)
    relay = policy.tier("standard-relay")
    assert relay.relay
    assert relay.variant_of == "standard"
    assert relay.base_cents == policy.tier("standard").base_cents - policy.relay_discount_cents
    assert policy.invoice_difference is InvoiceDifference.HONOUR_QUOTE
    assert policy.currency == "EUR"


def test_unknown_tier_is_a_named_error() -> None:
    with pytest.raises(UnknownTier, match="tier 'teleport' is not in the tariff policy"):
        default_policy().tier("teleport")


def test_carbon_price_references_carry_value_date_and_source() -> None:
    prices = load_carbon_prices()
    assert prices.get().id == "eu-ets-2025"
    assert prices.get("eu-ets-2025").cents_per_t == 7500
    assert prices.get("fr-vac-2025").cents_per_t == 25600
    spede = prices.get("qc-spede-2025-11")
    assert (spede.cents_per_t, spede.currency) == (3964, "CAD")
    for p in prices.prices.values():
        assert p.source
        assert isinstance(p.as_of, dt.date)
    with pytest.raises(InvalidInput, match="carbon price 'nope' is unknown"):
        prices.get("nope")


def _mutate(path: str, value: Any) -> dict[str, Any]:
    doc = _default_doc()
    node: Any = doc
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if k.isdigit() else node[k]
    last = keys[-1]
    if value is _DELETE:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return doc


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("tiers.2.max_days", 0, r"policy tiers\[2\]\.max_days: must be >= min_days \(1\)"),
        (
            "tiers.1.max_days",
            1,
            r"policy tiers\[1\]\.max_days: must be >= min_days \(2\): the day window is empty",
        ),
        ("tiers.0.base_cents", -5, r"policy tiers\[0\]\.base_cents: must be >= 0, got -5"),
        ("tiers.0.base_cents", 6.9, r"policy tiers\[0\]\.base_cents: must be an integer, got 6\.9"),
        ("tiers.3.code", "express", r"policy tiers\[3\]\.code: is already used by another tier"),
        ("tiers.0.colour", "red", r"policy tiers\[0\]\.colour: unknown key"),
        ("tiers.0.code", _DELETE, r"policy tiers\[0\]\.code: is required"),
        ("policy.currency", "euro", r"policy policy\.currency: must be an ISO 4217 code"),
        (
            "policy.rounding",
            "bankers",
            r"policy policy\.rounding: must be one of half_up, half_even, up, down",
        ),
        ("policy.invoice_difference", "haggle", r"policy policy\.invoice_difference: must be one of"),
        ("policy.price_step_cents", 0, r"policy policy\.price_step_cents: must be >= 1"),
        ("relay.tiers", ["express", "warp"], r"policy relay\.tiers\[1\]: names an unknown tier"),
        ("relay.close_s", 100, r"policy relay\.close_s: must be after open_s"),
        ("zones.1.circuit_weekdays", [1, 9], r"policy zones\[1\]\.circuit_weekdays: must hold weekdays"),
        ("zones.0.lat", 123.0, r"policy zones\[0\]\.lat: must be a number within"),
        ("rules.0.kind", "bribe", r"policy rules\[0\]\.kind: must be one of"),
        ("rules.1.cents_per_kg", "20", r"policy rules\[1\]\.cents_per_kg: must be an integer"),
        ("rules.0.tiers", ["express", "nope"], r"policy rules\[0\]\.tiers: names unknown tier 'nope'"),
        ("tiers", [], r"policy tiers: must define at least one tier"),
    ],
)
def test_bad_policy_is_rejected_naming_the_key(path: str, value: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_policy(_mutate(path, value))


def test_policy_file_missing_or_not_toml_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"policy file .*nowhere\.toml: not found"):
        load_policy(tmp_path / "nowhere.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[policy\ncurrency = 'EUR'", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"policy file .*bad\.toml: not valid TOML"):
        load_policy(bad)


def test_policy_file_round_trips_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(DEFAULT_TOML.read_text(encoding="utf-8").replace('currency = "EUR"', 'currency = "CAD"'))
    assert load_policy(path).currency == "CAD"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {
                "prices": [
                    {
                        "id": "x",
                        "name": "X",
                        "value_per_t": 10,
                        "currency": "EUR",
                        "as_of": "2025",
                        "source": "s",
                    }
                ]
            },
            r"carbon prices prices\[0\]\.as_of: must be a TOML date",
        ),
        (
            {
                "prices": [
                    {
                        "id": "x",
                        "name": "X",
                        "value_per_t": -1,
                        "currency": "EUR",
                        "as_of": dt.date(2025, 1, 1),
                        "source": "s",
                    }
                ]
            },
            r"carbon prices prices\[0\]\.value_per_t: must be a number within",
        ),
        (
            {
                "prices": [
                    {
                        "id": "x",
                        "name": "X",
                        "value_per_t": 1,
                        "currency": "EUR",
                        "as_of": dt.date(2025, 1, 1),
                    }
                ]
            },
            r"carbon prices prices\[0\]\.source: is required",
        ),
        (
            {
                "default": "y",
                "prices": [
                    {
                        "id": "x",
                        "name": "X",
                        "value_per_t": 1,
                        "currency": "EUR",
                        "as_of": dt.date(2025, 1, 1),
                        "source": "s",
                    }
                ],
            },
            r"carbon prices default: must be the id of a listed price",
        ),
    ],
)
def test_bad_carbon_price_file_is_rejected_naming_the_key(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_carbon_prices(doc)


@pytest.mark.parametrize(
    ("amount", "rounding", "expected"),
    [
        (2.5, Rounding.HALF_UP, 3),
        (2.5, Rounding.HALF_EVEN, 2),
        (2.1, Rounding.UP, 3),
        (2.9, Rounding.DOWN, 2),
        (-2.5, Rounding.HALF_UP, -3),
    ],
)
def test_rounding_rule_is_explicit(amount: float, rounding: Rounding, expected: int) -> None:
    from fractions import Fraction

    assert round_cents(Fraction(amount), rounding) == expected


_PRICE = CarbonPrice(
    id="t", name="t", cents_per_t=7500, currency="EUR", as_of=dt.date(2025, 1, 1), source="t"
)


@given(
    co2e_a=st.integers(0, 10**8),
    co2e_b=st.integers(0, 10**8),
    price_a=st.integers(0, 10**6),
    price_b=st.integers(0, 10**6),
    rounding=st.sampled_from(list(Rounding)),
)
def test_carbon_surcharge_is_non_negative_and_non_decreasing(
    co2e_a: int, co2e_b: int, price_a: int, price_b: int, rounding: Rounding
) -> None:
    lo_c, hi_c = sorted((co2e_a, co2e_b))
    lo_p, hi_p = sorted((price_a, price_b))
    p_lo = custom_carbon_price(cents_per_t=lo_p, currency="EUR", as_of=dt.date(2026, 1, 1))
    p_hi = custom_carbon_price(cents_per_t=hi_p, currency="EUR", as_of=dt.date(2026, 1, 1))
    assert carbon_surcharge_cents(lo_c, p_lo, rounding=rounding) >= 0
    assert carbon_surcharge_cents(lo_c, p_lo, rounding=rounding) <= carbon_surcharge_cents(
        hi_c, p_lo, rounding=rounding
    )
    assert carbon_surcharge_cents(lo_c, p_lo, rounding=rounding) <= carbon_surcharge_cents(
        lo_c, p_hi, rounding=rounding
    )


def test_carbon_surcharge_order_of_magnitude_matches_the_note() -> None:
    # 2 kg CO2e: €0.15 at €75/t and €0.51 at €256/t
    prices = load_carbon_prices()
    assert carbon_surcharge_cents(2000, prices.get("eu-ets-2025")) == 15
    assert carbon_surcharge_cents(2000, prices.get("fr-vac-2025")) == 51


def test_negative_co2e_is_refused() -> None:
    with pytest.raises(InvalidInput, match="co2e_g must be an integer >= 0"):
        carbon_surcharge_cents(-1, _PRICE)


@pytest.mark.parametrize(
    ("difference", "expected"),
    [("honour_quote", 500), ("charge_allocated", 620), ("lower_of", 500)],
)
def test_final_invoice_follows_the_difference_policy(difference: str, expected: int) -> None:
    doc = _default_doc()
    doc["policy"]["invoice_difference"] = difference
    policy = parse_policy(doc)
    assert settle_invoice_cents(quoted_cents=500, allocated_cents=620, policy=policy) == expected


@given(
    num=st.integers(-(10**12), 10**12), den=st.integers(1, 10**7), rounding=st.sampled_from(list(Rounding))
)
def test_integer_rounding_agrees_with_decimal_rounding(num: int, den: int, rounding: Rounding) -> None:
    from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext

    from tournee.tariffs.policy import round_ratio

    mode = {
        Rounding.HALF_UP: ROUND_HALF_UP,
        Rounding.HALF_EVEN: ROUND_HALF_EVEN,
        Rounding.UP: ROUND_CEILING,
        Rounding.DOWN: ROUND_FLOOR,
    }[rounding]
    with localcontext() as ctx:
        ctx.prec = 60
        expected = int((Decimal(num) / Decimal(den)).quantize(Decimal(1), rounding=mode))
    assert round_ratio(num, den, rounding) == expected


def test_policy_naming_an_unknown_carbon_price_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        DEFAULT_TOML.read_text(encoding="utf-8").replace(
            'carbon_price = "eu-ets-2025"', 'carbon_price = "moon"'
        )
    )
    with pytest.raises(InvalidInput, match=r"policy policy\.carbon_price: must name a reference"):
        load_policy(path)
