"""``tournee network`` and ``tournee matrices`` on the embedded Helsinki map (``demo``: test_cli_plan.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tournee.api.commands import maps as commands
from tournee.api.services.maps import demo_summary, render_demo
from tournee.domain import MapError, Profile


@pytest.fixture
def app() -> typer.Typer:
    """A typer app carrying only the map commands (isolated from other areas)."""
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """Root."""

    commands.register(app)
    return app


@pytest.fixture
def cache(tmp_path: Path) -> dict[str, str]:
    """The CLI environment with a fresh cache folder."""
    return {"TOURNEE_CACHE_DIR": str(tmp_path / "cache")}


def test_network_reports_what_each_profile_kept(app: typer.Typer, cache: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["network"], env=cache)
    assert result.exit_code == 0, result.output
    assert "van:" in result.stdout
    assert "cargo_bike:" in result.stdout
    assert "arcs kept" in result.stdout
    assert "© OpenStreetMap contributors" in result.stdout


def test_matrices_prints_sizes_timings_distances_and_attribution(
    app: typer.Typer, cache: dict[str, str], tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["matrices", "--size", "60", "--seed", "3"], env=cache)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in (
        "van:",
        "cargo_bike:",
        "60×60 matrices",
        "distance median",
        "p90",
        "min",
        "unreachable pairs",
    ):
        assert expected in out
    assert "© OpenStreetMap contributors" in out
    # The CCH topologies were cached where TOURNEE_CACHE_DIR says.
    assert any((tmp_path / "cache").glob("cch-*/done"))


def test_missing_map_is_a_clear_error_with_exit_code_2(
    app: typer.Typer, cache: dict[str, str], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.osm.pbf"
    for command in (["matrices", "--map", str(missing)], ["network", "--map", str(missing)]):
        result = CliRunner().invoke(app, command, env=cache)
        assert result.exit_code == 2
        assert "nowhere.osm.pbf" in result.stderr
        assert "no such file" in result.stderr
        assert "Traceback" not in result.output


def test_unreadable_map_is_a_clear_error(app: typer.Typer, cache: dict[str, str], tmp_path: Path) -> None:
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(b"this is not a protobuf map")
    result = CliRunner().invoke(app, ["network", "--map", str(junk)], env=cache)
    assert result.exit_code == 2
    assert "junk.osm.pbf" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_engine_is_refused(app: typer.Typer, cache: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["matrices", "--engine", "osrm"], env=cache)
    assert result.exit_code == 2
    assert "osrm" in result.stderr


def test_cache_dir_defaults_to_home_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TOURNEE_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert commands.cache_dir() == tmp_path / ".cache" / "tournee"
    monkeypatch.setenv("TOURNEE_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert commands.cache_dir() == tmp_path / "elsewhere"


def test_demo_summary_is_the_same_with_either_engine(helsinki_pbf: Path, tmp_path: Path) -> None:
    cch = demo_summary(helsinki_pbf, sample_size=40, seed=1, engine="cch", cache_dir=tmp_path)
    dij = demo_summary(helsinki_pbf, sample_size=40, seed=1, engine="dijkstra", cache_dir=tmp_path)
    assert [p.profile for p in cch.profiles] == [Profile.VAN, Profile.CARGO_BIKE]
    for a, b in zip(cch.profiles, dij.profiles, strict=True):
        assert (a.median_distance_m, a.p90_distance_m, a.median_duration_s, a.p90_duration_s) == (
            b.median_distance_m,
            b.p90_distance_m,
            b.median_duration_s,
            b.p90_duration_s,
        )
        assert a.unreachable_pairs == b.unreachable_pairs
        assert 0 < a.median_distance_m <= a.p90_distance_m
    assert "© OpenStreetMap contributors" in render_demo(cch)


def test_demo_rejects_an_empty_sample(helsinki_pbf: Path) -> None:
    from tournee.domain import InvalidInput

    with pytest.raises(InvalidInput, match="sample size"):
        demo_summary(helsinki_pbf, sample_size=0)
    with pytest.raises(MapError, match="no such file"):
        demo_summary(helsinki_pbf.with_name("absent.osm.pbf"))
