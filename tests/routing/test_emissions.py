"""Emissions of routes and their ISO 14083 / GLEC allocation to orders."""

from __future__ import annotations

from importlib.resources import files

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tournee.domain import Footprint, Fuel, InvalidInput, LegKind, Profile, VehicleType
from tournee.routing.emissions import (
    Shipment,
    allocate_footprint,
    allocate_largest_remainder,
    allocate_route,
    carbon_millicents_per_m,
    hub_handling_footprint,
    load_factor_table,
    route_footprint,
    vehicle_factor,
    volume_binds,
)


def _van(ml_per_100km: int = 8000, fuel: Fuel = Fuel.DIESEL) -> VehicleType:
    return VehicleType(
        id="van",
        profile=Profile.VAN,
        capacity_g=800_000,
        capacity_ml=6_000_000,
        capacity_parcels=100,
        fuel=fuel,
        fuel_ml_per_100km=ml_per_100km,
    )


def _ebike(wh_per_100km: int = 2500) -> VehicleType:
    return VehicleType(
        id="bike",
        profile=Profile.CARGO_BIKE,
        capacity_g=150_000,
        capacity_ml=1_000_000,
        capacity_parcels=20,
        fuel=Fuel.ELECTRIC,
        energy_wh_per_100km=wh_per_100km,
    )


def test_factor_file_ships_as_package_data_with_source_and_year_for_every_factor() -> None:
    assert (files("tournee.routing.data") / "emission_factors.toml").is_file()
    table = load_factor_table()
    for group in (table.fuels, table.grids, table.vehicle_km):
        for entry in group.values():
            assert entry.source
            assert 2000 <= entry.year <= 2030
    assert table.hub_source


def test_diesel_van_factor_comes_from_its_consumption_with_ttw_wtt_split() -> None:
    f = vehicle_factor(_van(8000))  # 8 L/100 km × 3.17 kg/L (2.51 TTW + 0.66 WTT)
    assert f.ttw_g_per_km == pytest.approx(200.8)
    assert f.wtt_g_per_km == pytest.approx(52.8)
    assert "2017" in f.source or f.year == 2017


def test_electric_factor_follows_the_selected_grid_and_is_all_well_to_tank() -> None:
    fr = vehicle_factor(_ebike(2500), grid="fr")
    eu = vehicle_factor(_ebike(2500), grid="eu")
    assert fr.ttw_g_per_km == 0
    assert eu.ttw_g_per_km == 0
    assert fr.wtt_g_per_km == pytest.approx(0.025 * 48)
    assert eu.wtt_g_per_km > fr.wtt_g_per_km


def test_unknown_grid_region_is_rejected_by_name() -> None:
    with pytest.raises(InvalidInput, match="grid"):
        vehicle_factor(_ebike(), grid="mars")


def test_route_footprint_is_distance_times_factor_per_scope() -> None:
    fp = route_footprint(10_000, vehicle_factor(_van(8000)))
    assert fp.ttw_co2e_g == 2008
    assert fp.wtt_co2e_g == 528
    assert fp.co2e_g == 2536
    assert fp.source
    assert fp.year == 2017


def test_negative_distance_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="distance_m"):
        route_footprint(-1, vehicle_factor(_van()))


def test_carbon_price_per_metre_grows_with_the_price() -> None:
    f = vehicle_factor(_van())
    assert carbon_millicents_per_m(f, 0) == 0
    assert 0 < carbon_millicents_per_m(f, 7_500) < carbon_millicents_per_m(f, 25_600)


@given(
    total=st.integers(min_value=0, max_value=10**7),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=40),
)
def test_largest_remainder_parts_sum_exactly_to_the_total(total: int, weights: list[int]) -> None:
    parts = allocate_largest_remainder(total, weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    s = sum(weights)
    if s:
        for p, w in zip(parts, weights, strict=True):
            assert abs(p - total * w / s) < 1  # never more than one gram off the exact share


@given(
    ttw=st.integers(min_value=0, max_value=10**6),
    wtt=st.integers(min_value=0, max_value=10**6),
    items=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=200_000),
            st.integers(min_value=0, max_value=2_000_000),
            st.integers(min_value=0, max_value=50_000),
        ),
        min_size=1,
        max_size=30,
    ),
    by_volume=st.booleans(),
)
def test_per_order_co2e_sums_to_the_route_co2e(
    ttw: int, wtt: int, items: list[tuple[int, int, int]], by_volume: bool
) -> None:
    route = Footprint(ttw_co2e_g=ttw, wtt_co2e_g=wtt, factor_id="f", source="s", year=2017)
    ships = [
        Shipment(order_id=f"o{i}", kind=LegKind.DOOR_TO_DOOR, weight_g=g, volume_ml=ml, sfd_m=d)
        for i, (g, ml, d) in enumerate(items)
    ]
    parts = allocate_route(route, ships, by_volume=by_volume)
    assert sum(p.ttw_co2e_g for p in parts) == ttw
    assert sum(p.wtt_co2e_g for p in parts) == wtt
    assert sum(p.co2e_g for p in parts) == route.co2e_g
    assert all(p.source == "s" and p.year == 2017 for p in parts)


def test_allocation_follows_quantity_times_shortest_feasible_distance() -> None:
    route = Footprint(ttw_co2e_g=900, wtt_co2e_g=0)
    ships = [
        Shipment(order_id="near-heavy", kind=LegKind.DOOR_TO_DOOR, weight_g=2000, volume_ml=0, sfd_m=1000),
        Shipment(order_id="far-light", kind=LegKind.DOOR_TO_DOOR, weight_g=1000, volume_ml=0, sfd_m=4000),
    ]
    a, b = allocate_route(route, ships, by_volume=False)
    assert (a.co2e_g, b.co2e_g) == (300, 600)  # 2000×1000 : 1000×4000 = 1 : 2


def test_volume_is_the_allocation_quantity_when_volume_fills_the_vehicle() -> None:
    assert volume_binds(peak_g=100_000, peak_ml=5_000_000, capacity_g=800_000, capacity_ml=6_000_000)
    assert not volume_binds(peak_g=700_000, peak_ml=1_000_000, capacity_g=800_000, capacity_ml=6_000_000)
    route = Footprint(ttw_co2e_g=100, wtt_co2e_g=0)
    ships = [
        Shipment(order_id="dense", kind=LegKind.DOOR_TO_DOOR, weight_g=9000, volume_ml=1000, sfd_m=1000),
        Shipment(order_id="bulky", kind=LegKind.DOOR_TO_DOOR, weight_g=1000, volume_ml=9000, sfd_m=1000),
    ]
    dense, bulky = allocate_route(route, ships, by_volume=True)
    assert bulky.co2e_g == 90
    assert dense.co2e_g == 10


def test_drops_at_the_depot_itself_share_by_quantity() -> None:
    route = Footprint(ttw_co2e_g=30, wtt_co2e_g=3)
    ships = [
        Shipment(order_id="a", kind=LegKind.TO_HUB, weight_g=1000, volume_ml=0, sfd_m=0),
        Shipment(order_id="b", kind=LegKind.TO_HUB, weight_g=2000, volume_ml=0, sfd_m=0),
    ]
    a, b = allocate_route(route, ships, by_volume=False)
    assert (a.ttw_co2e_g, b.ttw_co2e_g) == (10, 20)
    assert a.wtt_co2e_g + b.wtt_co2e_g == 3


def test_allocating_grams_to_no_order_is_an_error() -> None:
    with pytest.raises(InvalidInput, match="no orders"):
        allocate_largest_remainder(5, [])
    assert allocate_footprint(Footprint(ttw_co2e_g=0, wtt_co2e_g=0), []) == []


def test_hub_handling_is_its_own_element_with_a_named_factor() -> None:
    fp = hub_handling_footprint(3)
    assert fp.factor_id == "hub:micro_hub"
    assert fp.co2e_g >= 0
    assert fp.source
