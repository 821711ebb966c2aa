"""``tournee plan`` and ``tournee demo``: files in, plan JSON / GeoJSON / offline HTML out, clear errors."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tournee.api.commands import maps, plan
from tournee.api.services import planning
from tournee.api.services.plan_io import read_plan
from tournee.domain import Plan
from tournee.routing import matrix, week

DOCS = Path(__file__).resolve().parents[2] / "docs" / "formats.md"


@pytest.fixture
def app() -> typer.Typer:
    """A typer app carrying the map and plan commands (isolated from other areas)."""
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """Root."""

    maps.register(app)
    plan.register(app)
    return app


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The CLI environment with one cache folder for the module (networks, CCH)."""
    return {"TOURNEE_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    """The documented fleet.toml and orders.csv examples (docs/formats.md), written to files."""
    text = DOCS.read_text(encoding="utf-8")
    fleet = tmp_path / "fleet.toml"
    orders = tmp_path / "orders.csv"
    fleet.write_text(re.search(r"```toml\n(.*?)```", text, re.S).group(1), encoding="utf-8")  # type: ignore[union-attr]
    orders.write_text(re.search(r"```csv\n(.*?)```", text, re.S).group(1), encoding="utf-8")  # type: ignore[union-attr]
    return fleet, orders


def test_demo_plans_a_week_and_writes_json_geojson_and_offline_html(
    app: typer.Typer, cache: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        app, ["demo", "--out", str(out), "--orders", "24", "--time-limit", "1"], env=cache
    )
    assert result.exit_code == 0, result.output
    for expected in ("orders served", "routes per day", "km", "kg CO2e", "€", "fill rate", "OpenStreetMap"):
        assert expected in result.stdout
    # A sample tier table priced against the week's rounds, with the French GES line.
    assert result.stdout.count("Quote q-") == 3
    for tier in ("express", "standard", "circuit", "slow"):
        assert tier in result.stdout
    assert "Code des transports, art. L1431-3" in result.stdout
    week = read_plan(out / "plan.json")
    # Nothing vanishes: every order is served or unassigned with a reason.
    assert len(week.served_order_ids) + len(week.unassigned) == 24
    assert week.routes
    gj = json.loads((out / "plan.geojson").read_text(encoding="utf-8"))
    routes = [f for f in gj["features"] if f["properties"]["feature_type"] == "route"]
    assert len(routes) == len(week.routes)
    assert all(len(f["geometry"]["coordinates"]) > 2 for f in routes)  # along the streets
    page = (out / "plan.html").read_text(encoding="utf-8")
    assert "Leaflet 1.9.4" in page
    assert "OpenStreetMap contributors" in page
    # Self-contained: no script, stylesheet or image is fetched from elsewhere.
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)
    # The demo's week is written as input files that `tournee plan` replays.
    replay = [
        "plan",
        *("--orders", str(out / "orders.csv"), "--fleet", str(out / "fleet.toml")),
        *("--out", str(tmp_path / "replay.json"), "--time-limit", "1"),
    ]
    again = CliRunner().invoke(app, replay, env=cache)
    assert again.exit_code == 0, again.output
    replayed = read_plan(tmp_path / "replay.json")
    assert len(replayed.served_order_ids) + len(replayed.unassigned) == 24


def test_demo_rejects_a_missing_map(app: typer.Typer, cache: dict[str, str], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--map", str(tmp_path / "nowhere.osm.pbf")], env=cache)
    assert result.exit_code == 2
    assert "nowhere.osm.pbf" in result.stderr
    assert "Traceback" not in result.output


def test_plan_from_the_documented_files(
    app: typer.Typer, cache: dict[str, str], inputs: tuple[Path, Path], tmp_path: Path, helsinki_pbf: Path
) -> None:
    fleet, orders = inputs
    out = tmp_path / "week" / "plan.json"
    args = ["plan", "--map", str(helsinki_pbf), "--orders", str(orders), "--fleet", str(fleet)]
    result = CliRunner().invoke(
        app, [*args, "--out", str(out), "--geojson", "--html", "--time-limit", "1"], env=cache
    )
    assert result.exit_code == 0, result.output
    week = read_plan(out)
    assert week.id == "plan"
    assert sorted(week.served_order_ids | {u.order_id for u in week.unassigned}) == [
        "o-1",
        "o-2",
        "o-3",
        "o-4",
    ]
    assert out.with_suffix(".geojson").is_file()
    assert out.with_suffix(".html").is_file()
    assert "orders served" in result.stdout


def test_a_large_plan_has_its_matrix_kernels_ready_before_its_time_limit_starts(
    app: typer.Typer,
    cache: dict[str, str],
    inputs: tuple[Path, Path],
    tmp_path: Path,
    helsinki_pbf: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The time limit counts from the planner's start: numba's first compilation (≈ 6 s) must come before."""
    calls: list[str] = []
    prepare = matrix.RoadTravel.prepare_kernels

    def recording_prepare() -> None:
        calls.append("kernels")
        prepare()

    def recording_plan_week(*args: Any, **kwargs: Any) -> Plan:
        calls.append("plan")
        return week.plan_week(*args, **kwargs)

    monkeypatch.setattr(matrix, "POINTS_AS_LEAVES_MIN_POINTS", 1)  # the 4 documented orders count as large
    monkeypatch.setattr(matrix.RoadTravel, "prepare_kernels", staticmethod(recording_prepare))
    monkeypatch.setattr(planning, "plan_week", recording_plan_week)
    fleet, orders = inputs
    args = ["plan", "--map", str(helsinki_pbf), "--orders", str(orders), "--fleet", str(fleet)]
    args += ["--out", str(tmp_path / "plan.json"), "--time-limit", "1"]

    def plan_calls() -> list[str]:
        calls.clear()
        result = CliRunner().invoke(app, args, env=cache)
        assert result.exit_code == 0, result.output
        return calls

    assert plan_calls() == ["kernels", "plan"]
    monkeypatch.setattr(matrix, "POINTS_AS_LEAVES_MIN_POINTS", 10**6)  # small plans do not pay for them
    assert plan_calls() == ["plan"]


@pytest.mark.parametrize(
    ("target", "old", "new", "message"),
    [
        ("orders", ",2.5,8,express", ",-2.5,8,express", "row 2, column weight_kg: must not be negative"),
        (
            "orders",
            "o-2,farm-box",
            "o-2,cheese-shop",
            "row 3, column merchant: unknown merchant 'cheese-shop'",
        ),
        ("orders", "weekdays 17:00-20:00", "weekdays 20:00-17:00", "row 2, column window: the window ends"),
        ("orders", "2026-12-03 09:00-12:00", "2026-12-24 09:00-12:00", "outside the horizon"),
        ("fleet", "[[vehicles]]", "[[retired]]", "the fleet is empty"),
        ("fleet", 'depot = "depot"', 'depot = "attic"', "unknown hub 'attic'"),
    ],
)
def test_bad_input_files_exit_2_with_the_place_of_the_error(
    app: typer.Typer,
    cache: dict[str, str],
    inputs: tuple[Path, Path],
    tmp_path: Path,
    target: str,
    old: str,
    new: str,
    message: str,
) -> None:
    fleet, orders = inputs
    path = orders if target == "orders" else fleet
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    args = ["plan", "--orders", str(orders), "--fleet", str(fleet), "--out", str(tmp_path / "p.json")]
    result = CliRunner().invoke(app, args, env=cache)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.output
    assert not (tmp_path / "p.json").exists()


def test_missing_input_file_is_a_clear_error(app: typer.Typer, cache: dict[str, str], tmp_path: Path) -> None:
    args = ["plan", "--orders", str(tmp_path / "none.csv"), "--fleet", str(tmp_path / "none.toml")]
    result = CliRunner().invoke(app, args, env=cache)
    assert result.exit_code == 2
    assert "none.toml" in result.stderr
    assert "no such file" in result.stderr


@pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")), reason="no chromium")
def test_the_offline_map_draws_roads_routes_and_stops_in_a_browser(
    app: typer.Typer, cache: dict[str, str], tmp_path: Path
) -> None:
    pytest.importorskip("selenium")
    from selenium import webdriver

    out = tmp_path / "demo"
    result = CliRunner().invoke(
        app, ["demo", "--out", str(out), "--orders", "12", "--time-limit", "1"], env=cache
    )
    assert result.exit_code == 0, result.output
    week = read_plan(out / "plan.json")
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options)
    try:
        driver.get((out / "plan.html").as_uri())
        assert driver.execute_script("return typeof L") == "object"
        assert driver.execute_script("return document.querySelectorAll('.route-row').length") == len(
            week.routes
        )
        # The canvas renderer holds the road network, the routes and the stops.
        assert (
            driver.execute_script("return document.querySelectorAll('canvas.leaflet-zoom-animated').length")
            >= 1
        )
        assert driver.execute_script("return roads.getLayers().length") > 100
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        driver.quit()


def test_error_messages_keep_their_brackets(
    app: typer.Typer, cache: dict[str, str], inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    fleet, orders = inputs
    fleet.write_text(
        fleet.read_text(encoding="utf-8").replace('type = "bike"', 'type = "[bold]trike"'), encoding="utf-8"
    )
    args = ["plan", "--orders", str(orders), "--fleet", str(fleet), "--out", str(tmp_path / "p.json")]
    result = CliRunner().invoke(app, args, env=cache)
    assert result.exit_code == 2
    assert "fleet.toml: vehicles[1].type: unknown vehicle type '[bold]trike'" in result.stderr
