"""The domain types validate themselves and name the object and field that is wrong."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tournee.domain import (
    Fuel,
    Horizon,
    InvalidInput,
    Location,
    Order,
    Profile,
    Site,
    Tier,
    TimeWindow,
    VehicleType,
)


def _site(site_id: str = "s1") -> Site:
    return Site(id=site_id, location=Location(lon=24.94, lat=60.17))


def _order(**changes: object) -> Order:
    base = Order(id="o-17", merchant_id="m1", pickup=_site("shop"), delivery=_site("home"), weight_g=1200)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_valid_order_is_frozen() -> None:
    order = _order()
    with pytest.raises(dataclasses.FrozenInstanceError):
        order.weight_g = 5  # type: ignore[misc]


def test_negative_weight_names_order_and_field() -> None:
    with pytest.raises(InvalidInput, match=r"order 'o-17': weight_g must be >= 0, got -200"):
        _order(weight_g=-200)


def test_float_weight_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="weight_g must be an integer"):
        _order(weight_g=1.5)


def test_empty_day_window_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="latest_day must be >= earliest_day"):
        _order(earliest_day=4, latest_day=2)


@pytest.mark.parametrize(("lon", "lat"), [(181.0, 0.0), (0.0, -91.0), (float("nan"), 0.0)])
def test_out_of_range_coordinates_are_rejected(lon: float, lat: float) -> None:
    with pytest.raises(InvalidInput, match="location"):
        Location(lon=lon, lat=lat)


def test_window_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="end_s"):
        TimeWindow(start_s=3600, end_s=60)


def test_tier_with_empty_day_window_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="tier 'slow': max_days"):
        Tier(code="slow", name="Slow", min_days=5, max_days=2)


def test_diesel_vehicle_needs_a_consumption() -> None:
    with pytest.raises(InvalidInput, match="fuel_ml_per_100km"):
        VehicleType(
            id="van", profile=Profile.VAN, capacity_g=1, capacity_ml=1, capacity_parcels=1, fuel=Fuel.DIESEL
        )


def test_horizon_maps_days_to_dates_and_weekdays() -> None:
    horizon = Horizon(start=dt.date(2026, 11, 30), days=7)  # a Monday
    assert horizon.date_of(3) == dt.date(2026, 12, 3)
    assert horizon.weekday_of(0) == 0
    assert horizon.end_s == 7 * 86_400
