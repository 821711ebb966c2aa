"""The ``impact`` suite: Tournée against two baselines, and the tier-mix effect over several draws."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from benchmarks import impact


def _args(tmp_path: Path, *extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    impact.add_arguments(parser)
    return parser.parse_args(
        [
            "--urban-orders",
            "16",
            "--merchants",
            "3",
            "--time-limit",
            "0.5",
            "--mixes",
            "0,100",
            "--mix-draws",
            "2",
            "--plot",
            "",
            "--cache-dir",
            str(tmp_path / "cache"),
            *extra,
        ]
    )


@pytest.fixture
def urban_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No rural map (``../shared`` looked up in an empty folder): the urban week alone."""
    monkeypatch.setattr(impact, "_SHARED", tmp_path / "no-shared")


def test_the_tier_mix_is_planned_for_every_draw_and_summarised_with_its_range(
    tmp_path: Path, urban_only: None
) -> None:
    result = impact.run(_args(tmp_path))
    assert result["plot"] is None  # --plot '' draws no chart (and leaves no stray file)
    [urban] = result["settings"]
    draws = urban["mix_draws"]
    assert [(d["slow_pct"], d["draw"]) for d in draws] == [(0, 0), (0, 1), (100, 0), (100, 1)]
    for d in draws:  # nothing vanishes: every order is served or unassigned with a reason
        assert d["served"] + d["unassigned"] == 16
    # the main table keeps one row per share: its first draw
    shares = [r for r in urban["rows"] if "slow_pct" in r]
    assert [(r["slow_pct"], r["draw"]) for r in shares] == [(0, 0), (100, 0)]
    summary = urban["mix_summary"]
    assert [m["slow_pct"] for m in summary] == [0, 100]
    for m in summary:
        assert m["draws"] == 2
        same = [d for d in draws if d["slow_pct"] == m["slow_pct"]]
        km = [d["km"] for d in same]
        assert m["km"] == {"mean": sum(km) / 2, "min": min(km), "max": max(km)}
    text = impact.render(result)
    assert "Tier mix over 2 seeded draws of the tiers per share" in text
    assert "| 100 % | 2 |" in text
    assert "Tier mix effect: from 0 % to 100 % of shoppers on slow tiers, mean kg CO2e per order" in text


def test_draw_zero_is_the_single_draw_and_other_draws_differ(tmp_path: Path, urban_only: None) -> None:
    from tournee.domain import Profile
    from tournee.routing.network import load_networks
    from tournee.routing.scenario import ScenarioParams, build_scenario

    [(_, path)] = impact.default_maps(None, None)
    nets = load_networks(path, cache_dir=tmp_path / "cache")
    sc = build_scenario(
        path, params=ScenarioParams(orders=40, merchants=3, seed=7), network=nets[Profile.VAN]
    )
    tiers = {k: [o.tier for o in impact.retier(sc, 50, seed=7, draw=k).orders] for k in (0, 1)}
    assert tiers[0] == [o.tier for o in impact.retier(sc, 50, seed=7).orders]
    assert tiers[0] != tiers[1]
    assert {o.tier for o in impact.retier(sc, 100, seed=7, draw=3).orders} <= {"weekly", "two_weeks"}
    assert {o.tier for o in impact.retier(sc, 0, seed=7, draw=3).orders} <= {"express", "standard"}


@pytest.mark.parametrize(
    ("low_share", "high_share", "verdict"),
    [
        ([0.10, 0.12], [0.07, 0.08], "lower"),
        ([0.10, 0.12], [0.13, 0.15], "higher"),
        ([0.10, 0.12], [0.09, 0.11], "within the variation"),
        ([0.10], [0.07], None),  # one draw each: no spread to compare against
    ],
)
def test_the_verdict_compares_the_ranges_of_the_extreme_shares(
    low_share: list[float], high_share: list[float], verdict: str | None
) -> None:
    draws = [
        {"slow_pct": pct, "draw": k, **dict.fromkeys(impact._MIX_MEASURES, 1), "co2e_per_order_kg": kg}
        for pct, values in ((0, low_share), (60, high_share))
        for k, kg in enumerate(values)
    ]
    assert impact.mix_verdict(impact.summarise_mixes(draws)) == verdict


def test_a_draw_with_nothing_served_is_counted_but_has_no_per_order_figure() -> None:
    base = dict.fromkeys(impact._MIX_MEASURES, 1)
    draws = [
        {**base, "slow_pct": 30, "draw": 0, "co2e_per_order_kg": 0.2},
        {**base, "slow_pct": 30, "draw": 1, "co2e_per_order_kg": None},
    ]
    [row] = impact.summarise_mixes(draws)
    assert row["draws"] == 2
    assert row["per_order_draws"] == 1
    assert row["co2e_per_order_kg"] == {"mean": 0.2, "min": 0.2, "max": 0.2}


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [("--mix-draws", "0", "--mix-draws must be >= 1"), ("--mixes", "0,130", "percentages 0-100")],
)
def test_bad_mix_options_are_clear_errors(tmp_path: Path, flag: str, value: str, message: str) -> None:
    args = _args(tmp_path)
    setattr(args, flag.lstrip("-").replace("-", "_"), int(value) if flag == "--mix-draws" else value)
    with pytest.raises(SystemExit, match=message):
        impact.run(args)
