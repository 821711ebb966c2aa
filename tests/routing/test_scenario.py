"""Week scenarios built from the embedded Helsinki map, and synthetic ones."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tournee.domain import DAY_S, InvalidInput, Location, MapError, Profile, SiteKind
from tournee.routing.scenario import (
    DEFAULT_TIERS,
    Scenario,
    ScenarioParams,
    build_scenario,
    extract_places,
    synthetic_scenario,
)


@pytest.fixture(scope="module")
def helsinki_week(helsinki_pbf: Path) -> Scenario:
    """The demo's week on the embedded Helsinki map: 60 orders, 12 merchants, seed 0."""
    return build_scenario(helsinki_pbf)


def test_map_places_are_shops_and_addresses(helsinki_pbf: Path) -> None:
    shops, homes = extract_places(helsinki_pbf)
    assert len(shops) > 100
    assert len(homes) > 500
    assert all(p.category != "hairdresser" for p in shops)
    assert any(p.name for p in shops)
    assert any(p.address for p in homes)


def test_same_seed_gives_the_same_scenario(helsinki_pbf: Path, helsinki_week: Scenario) -> None:
    assert build_scenario(helsinki_pbf) == helsinki_week
    other = build_scenario(helsinki_pbf, params=ScenarioParams(seed=1))
    assert other.orders != helsinki_week.orders


def test_scenario_has_depot_micro_hub_relays_vans_and_bikes(helsinki_week: Scenario) -> None:
    kinds = Counter(h.site.kind for h in helsinki_week.hubs)
    assert kinds[SiteKind.DEPOT] == 1
    assert kinds[SiteKind.MICRO_HUB] == 1
    assert kinds[SiteKind.RELAY_POINT] >= 1
    profiles = Counter(v.profile for v in helsinki_week.vehicles)
    assert profiles == {Profile.VAN: 2, Profile.CARGO_BIKE: 2}
    bikes = [v for v in helsinki_week.vehicles if v.profile is Profile.CARGO_BIKE]
    assert all(v.depot_id == "micro-hub" and v.max_trips_per_day > 1 for v in bikes)
    assert len(helsinki_week.merchants) == 12
    assert all(c.name and c.phone for c in helsinki_week.customers)


def test_orders_span_every_tier_and_stay_inside_the_horizon(helsinki_week: Scenario) -> None:
    tiers = {t.code: t for t in DEFAULT_TIERS}
    assert len(helsinki_week.orders) == 60
    assert {o.tier for o in helsinki_week.orders} == set(tiers)
    days = helsinki_week.horizon.days
    relay_sites = {h.site.id for h in helsinki_week.hubs if h.site.kind is SiteKind.RELAY_POINT}
    for o in helsinki_week.orders:
        assert 0 <= o.earliest_day <= o.latest_day < days
        assert o.latest_day - o.earliest_day <= tiers[o.tier].max_days - tiers[o.tier].min_days
        for w in o.windows:
            assert o.earliest_day * DAY_S <= w.start_s <= w.end_s < (o.latest_day + 1) * DAY_S
        assert (o.delivery.id in relay_sites) == tiers[o.tier].relay
        assert o.weight_g > 0
    assert any(o.windows for o in helsinki_week.orders)
    assert any(o.skills for o in helsinki_week.orders)
    assert any(o.pickup_at_hub for o in helsinki_week.orders)


def test_every_order_site_is_near_the_map(helsinki_week: Scenario) -> None:
    for site in helsinki_week.sites():
        assert 24.93 < site.location.lon < 24.96
        assert 60.16 < site.location.lat < 60.18


@given(orders=st.integers(min_value=0, max_value=300), seed=st.integers(min_value=0, max_value=10_000))
def test_synthetic_scenarios_have_the_requested_size(orders: int, seed: int) -> None:
    params = ScenarioParams(orders=orders, seed=seed, vans=3, cargo_bikes=1)
    s = synthetic_scenario(center=Location(lon=-8.61, lat=41.15), radius_m=8_000, params=params)
    assert len(s.orders) == orders
    assert len(s.vehicles) == 4
    assert synthetic_scenario(center=Location(lon=-8.61, lat=41.15), radius_m=8_000, params=params) == s
    for o in s.orders:
        assert 0 <= o.earliest_day <= o.latest_day < params.days


def test_bad_parameters_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="orders"):
        ScenarioParams(orders=-1)
    with pytest.raises(InvalidInput, match="fleet is empty"):
        ScenarioParams(vans=0, cargo_bikes=0)
    with pytest.raises(MapError, match="no such file"):
        build_scenario(tmp_path / "absent.osm.pbf")
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(b"not a map")
    with pytest.raises(MapError, match="junk"):
        build_scenario(junk)


def test_a_map_with_few_shops_gets_producers_beside_the_roads(tmp_path: Path) -> None:
    from importlib.resources import files

    from tournee.routing.network import load_networks
    from tournee.routing.snap import Snapper

    suburban = Path(str(files("pyrosm") / "data" / "test.osm.pbf"))
    van = load_networks(suburban, profiles=(Profile.VAN,), cache_dir=tmp_path)[Profile.VAN]
    s = build_scenario(suburban, params=ScenarioParams(orders=30, merchants=12), network=van)
    assert len(s.merchants) == 12
    assert any("beside the roads" in note for note in s.notes)
    snapped = Snapper(van).snap_all([(site.id, site.location) for site in s.sites()], max_distance_m=300)
    assert not snapped.off_network  # every place the week uses is reachable by road


def test_the_week_stays_inside_the_served_area(helsinki_pbf: Path, tmp_path: Path) -> None:
    from tournee.routing.network import load_networks
    from tournee.routing.travel import haversine_m

    van = load_networks(helsinki_pbf, profiles=(Profile.VAN,), cache_dir=tmp_path)[Profile.VAN]
    s = build_scenario(helsinki_pbf, params=ScenarioParams(orders=40, area_radius_m=250), network=van)
    sites = s.sites()
    widest = max(
        haversine_m(a.location.lon, a.location.lat, b.location.lon, b.location.lat)
        for a in sites
        for b in sites
    )
    assert widest <= 2 * 250 + 2 * 20  # the disc, plus the jitter of road-sampled doors
    assert len(s.orders) == 40
