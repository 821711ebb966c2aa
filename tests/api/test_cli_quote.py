"""``tournee quote``: the tier table for a prospective order, from plan.json and fleet.toml."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.tariffs.conftest import Visit, make_plan, make_route, site
from tournee.api.commands import quote as commands
from tournee.api.services.plan_io import read_fleet, write_plan
from tournee.api.services.quoting import RoadTravelLookup, emission_rates
from tournee.domain import Location, Profile, Site, SiteKind, StopKind

FLEET_TOML = """
[horizon]
start = 2026-11-30
days = 6

[[hubs]]
id = "depot"
kind = "depot"
lon = 24.9532
lat = 60.1789

[[hubs]]
id = "kiosk"
kind = "relay_point"
name = "R-Kioski Kamppi"
lon = 24.9355
lat = 60.1690
hours = "08:00-20:00"

[[merchants]]
id = "bakery"
name = "Leipomo Helsinki"
lon = 24.9480
lat = 60.1660

[[vehicle_types]]
id = "van"
profile = "van"
capacity_kg = 600
capacity_l = 4000
capacity_parcels = 80
fixed_cost_per_day = 60
cost_per_km = 0.30
cost_per_hour = 25
fuel = "diesel"
fuel_l_per_100km = 9

[[vehicles]]
id = "van-1"
type = "van"
depot = "depot"
days = "weekdays"
shift = "08:00-18:00"
"""

DEPOT = Site(id="depot", location=Location(lon=24.9532, lat=60.1789), kind=SiteKind.DEPOT)
BAKERY = site("bakery", 24.9480, 60.1660, SiteKind.MERCHANT)


@pytest.fixture
def app() -> typer.Typer:
    """A typer app carrying only the quote command."""
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """Root."""

    commands.register(app)
    return app


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """fleet.toml (one van, a relay kiosk) and a plan.json with van rounds on Monday and Thursday."""
    fleet_path = tmp_path / "fleet.toml"
    fleet_path.write_text(FLEET_TOML, encoding="utf-8")
    (van,) = read_fleet(fleet_path).vehicles
    homes = [site(f"h{k}", 24.935 + 0.004 * k, 60.163 + 0.002 * k) for k in range(6)]

    def round_(rid: str, day: int) -> object:
        picks = [Visit(StopKind.PICKUP, BAKERY, f"{rid}-{k}", 4000) for k in range(len(homes))]
        drops = [Visit(StopKind.DELIVERY, h, f"{rid}-{k}", 4000) for k, h in enumerate(homes)]
        return make_route(rid, van, day, [*picks, *drops], depot=DEPOT)

    plan = make_plan([round_("r-mon", 0), round_("r-thu", 3)], days=6)  # type: ignore[list-item]
    write_plan(plan, tmp_path / "plan.json")
    return {"plan": str(tmp_path / "plan.json"), "fleet": str(fleet_path), "dir": str(tmp_path)}


def _invoke(app: typer.Typer, files: dict[str, str], *args: str) -> object:
    env = {"TOURNEE_CACHE_DIR": str(Path(files["dir"]) / "cache")}
    return CliRunner().invoke(
        app, ["quote", "--plan", files["plan"], "--fleet", files["fleet"], *args], env=env
    )


def test_quote_prints_every_tier_with_date_price_carbon_and_ges_line(
    app: typer.Typer, files: dict[str, str]
) -> None:
    result = _invoke(
        app, files, "--order", "merchant=bakery lon=24.9350 lat=60.1650 weight_kg=3", "--straight-line"
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    out = result.stdout  # type: ignore[attr-defined]
    for tier in ("express", "standard", "circuit", "slow", "slow-relay"):
        assert f"\n{tier} " in out
    assert "€" in out
    assert "into r-mon" in out or "into r-thu" in out
    assert "EU ETS allowance (EUA), 2025 average, €75.00/t CO2e, 2025-12-31" in out
    assert "L1431-3" in out
    assert "Valid until" in out


def test_quote_reads_orders_csv_and_prices_each(
    app: typer.Typer, files: dict[str, str], tmp_path: Path
) -> None:
    csv_path = tmp_path / "new.csv"
    csv_path.write_text(
        "id,merchant,lon,lat,weight_kg,parcels,tier,value\n"
        "n-1,bakery,24.9400,60.1640,2.5,1,express,10\n"
        "n-2,bakery,24.9450,60.1700,12,3,two_weeks,900\n",
        encoding="utf-8",
    )
    result = _invoke(app, files, "--order", str(csv_path), "--straight-line", "--breakdown")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    out = result.stdout  # type: ignore[attr-defined]
    assert "order n-1: 2.5 kg, 1 parcel(s)" in out
    assert "order n-2: 12 kg, 3 parcel(s)" in out
    assert "Weight above 5 kg" in out  # the per-kg rule on n-2's breakdown
    assert "Extra parcels" in out


def test_custom_carbon_price_is_printed_as_custom(app: typer.Typer, files: dict[str, str]) -> None:
    result = _invoke(
        app, files, "--order", "merchant=bakery lon=24.94 lat=60.165 weight_kg=3", "--straight-line",
        "--carbon-price-custom", "256",
    )  # fmt: skip
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "Custom carbon price, €256.00/t CO2e" in result.stdout  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--order", "merchant=bakery colour=red", "--straight-line"], "--order: expected a CSV file or key=value"),
        (["--order", "merchant=nobody lon=24.94 lat=60.16 weight_kg=1", "--straight-line"], "merchant"),
        (["--order", "merchant=bakery lon=24.94 lat=60.16 weight_kg=-2", "--straight-line"], "weight_kg"),
        (
            ["--order", "merchant=bakery lon=24.94 lat=60.16 weight_kg=1", "--straight-line", "--carbon-price", "moon"],
            "carbon price 'moon' is unknown",
        ),
        (
            ["--order", "merchant=bakery lon=24.94 lat=60.16 weight_kg=1", "--straight-line",
             "--carbon-price", "qc-spede-2026-02"],
            "currency CAD differs from the policy's EUR",
        ),
        (["--order", "merchant=bakery lon=24.94 lat=60.16 weight_kg=1", "--ordered-on", "soon"], "--ordered-on"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_naming_what_is_wrong(
    app: typer.Typer, files: dict[str, str], args: list[str], message: str
) -> None:
    result = _invoke(app, files, *args)
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert message in " ".join(result.output.split())  # type: ignore[attr-defined]


def test_missing_plan_file_is_a_clear_error(app: typer.Typer, files: dict[str, str]) -> None:
    files = {**files, "plan": str(Path(files["dir"]) / "nope.json")}
    result = _invoke(
        app, files, "--order", "merchant=bakery lon=24.94 lat=60.16 weight_kg=1", "--straight-line"
    )
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert "nope.json" in result.output  # type: ignore[attr-defined]


def test_quote_on_the_embedded_map_uses_road_travel(app: typer.Typer, files: dict[str, str]) -> None:
    result = _invoke(app, files, "--order", "merchant=bakery lon=24.9400 lat=60.1640 weight_kg=3")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    out = result.stdout  # type: ignore[attr-defined]
    assert "Travel: roads of Helsinki.osm.pbf." in out
    assert "© OpenStreetMap contributors" in out
    assert "into r-mon" in out or "into r-thu" in out


def test_road_lookup_gives_the_planners_road_integers(helsinki_pbf: Path, tmp_path: Path) -> None:
    import numpy as np

    from tournee.api.services.maps import load_map
    from tournee.routing.matrix import RoadTravel
    from tournee.routing.snap import sample_road_points

    nets = load_map(helsinki_pbf, profiles=(Profile.VAN,), cache_dir=tmp_path)
    road = RoadTravel(nets, cache_dir=tmp_path)
    pts = sample_road_points(nets[Profile.VAN], 120, seed=4)
    plan_sites = tuple(Site(id=i, location=loc) for i, loc in pts[:117])
    new = [Site(id=i, location=loc) for i, loc in pts[117:]] + [site("far", 25.9, 60.9)]  # last: off the map
    lookup = RoadTravelLookup(road)
    d_out, t_out = lookup.legs(Profile.VAN, new, plan_sites)
    d_in, t_in = lookup.legs(Profile.VAN, plan_sites, new)
    full = road.site_matrices(Profile.VAN, [*new, *plan_sites])
    k = len(new)
    on = full.reachable
    np.testing.assert_array_equal(d_out, np.where(on[:k, k:], full.distance_m[:k, k:], -1))
    np.testing.assert_array_equal(t_out, np.where(on[:k, k:], full.duration_s[:k, k:], -1))
    np.testing.assert_array_equal(d_in, np.where(on[k:, :k], full.distance_m[k:, :k], -1))
    np.testing.assert_array_equal(t_in, np.where(on[k:, :k], full.duration_s[k:, :k], -1))
    assert (d_out[-1] == -1).all()  # off the network: no route


def test_planner_emission_factors_become_tariff_rates(files: dict[str, str]) -> None:
    (van,) = read_fleet(Path(files["fleet"])).vehicles
    rate = emission_rates([van])["van"]
    # 9 L/100 km of diesel at 3.17 kg/L WTW ≈ 285 g/km
    assert 250_000 < rate.ttw_co2e_mg_per_km + rate.wtt_co2e_mg_per_km < 320_000
    assert rate.source
