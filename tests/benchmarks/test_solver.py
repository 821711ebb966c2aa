"""The solver suite's integer scaling, instance selection and report (no peer solver needed)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.instances import instance_paths, parse_instance
from benchmarks.solver import (
    add_arguments,
    integer_problem,
    parse_params,
    render,
    run,
    select_paths,
    summarise,
)


def test_integer_travel_never_undershoots_the_real_distance(shared_benchmarks: Path) -> None:
    ip = integer_problem(parse_instance(shared_benchmarks / "solomon" / "R101.txt"))
    assert np.all(ip.travel >= 1000 * ip.dist - 1e-6)
    assert np.all(ip.travel - 1000 * ip.dist < 1)
    assert np.all(np.abs(ip.cost - 1000 * ip.dist) <= 0.5)
    assert ip.due is not None
    assert ip.due[0] == 230_000
    assert ip.fixed_cost == 0


def test_hierarchical_objective_charges_more_per_vehicle_than_any_sensible_total(
    shared_benchmarks: Path,
) -> None:
    ip = integer_problem(parse_instance(shared_benchmarks / "solomon" / "C101.txt"), objective="hierarchical")
    assert ip.fixed_cost >= 2 * ip.cost[0, 1:].sum()


def test_unknown_objective_is_refused(shared_benchmarks: Path) -> None:
    with pytest.raises(ValueError, match="objective"):
        integer_problem(parse_instance(shared_benchmarks / "solomon" / "C101.txt"), objective="speed")


def test_per_class_takes_the_first_of_each_class_then_limit(shared_benchmarks: Path) -> None:
    paths = instance_paths(shared_benchmarks, "solomon")
    chosen = [p.stem for p in select_paths(paths, names=None, per_class=2, limit=None)]
    assert chosen == [
        "C101",
        "C102",
        "C201",
        "C202",
        "R101",
        "R102",
        "R201",
        "R202",
        "RC101",
        "RC102",
        "RC201",
        "RC202",
    ]
    assert len(select_paths(paths, names=None, per_class=2, limit=3)) == 3
    assert [p.stem for p in select_paths(paths, names=["r201", "C101"], per_class=None, limit=None)] == [
        "R201",
        "C101",
    ]
    with pytest.raises(SystemExit, match="unknown instances"):
        select_paths(paths, names=["Z999"], per_class=None, limit=None)


def test_cli_options_parse_with_their_defaults() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--set", "lilim", "--time-limit", "5"])
    assert (args.set_name, args.time_limit, args.objective, args.solvers) == (
        "lilim",
        5.0,
        "distance",
        ["tournee", "pyvrp", "vroom"],
    )


def test_ratios_skip_infeasible_runs_and_the_report_shows_them() -> None:
    def run(distance: float, feasible: bool = True) -> dict[str, object]:
        return {
            "distance": distance,
            "vehicles": 3,
            "feasible": feasible,
            "gap_pct": 1.0,
            "first_solution_s": 0.1,
            "wall_s": 1.0,
        }

    entries = [
        {
            "instance": "A1",
            "class": "A",
            "bks": {"vehicles": 3, "distance": 99.0, "convention": "hierarchical"},
            "solvers": {"tournee": run(101), "pyvrp": run(100), "vroom": run(50, feasible=False)},
            "cost_ratio_vs_pyvrp": 1.01,
            "cost_ratio_vs_vroom": None,
        }
    ]
    summary = summarise(entries, ["tournee", "pyvrp", "vroom"])
    assert summary["ratios"]["pyvrp"]["mean"] == pytest.approx(1.01)
    assert summary["ratios"]["vroom"]["compared"] == 0
    assert summary["solvers"]["vroom"]["feasible"] == 0
    text = render(
        {
            "set": "x",
            "time_limit_s": 1.0,
            "objective": "distance",
            "command": "python -m benchmarks solver --set x",
            "date_utc": "2026-01-01 00:00",
            "machine": "test",
            "versions": {},
            "total_wall_s": 3.0,
            "solvers": ["tournee", "pyvrp", "vroom"],
            "instances": entries,
            "summary": summary,
        }
    )
    assert "**infeasible**" in text
    assert "| cost_ratio_vs_pyvrp | 1.0100 |" in text


def _args(data: Path, **overrides: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--set", "solomon", "--data", str(data), "--quiet"])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


def test_suite_runs_tournee_on_c101_and_rechecks_its_solution(shared_benchmarks: Path) -> None:
    result = run(_args(shared_benchmarks, instances=["C101"], time_limit=1.0, solvers=["tournee"]))
    (entry,) = result["instances"]
    tournee = entry["solvers"]["tournee"]
    assert "error" not in tournee, tournee
    assert tournee["feasible"], tournee.get("violations")
    assert tournee["vehicles"] >= 10
    assert tournee["gap_pct"] >= -1e-6  # C101's BKS is optimal
    assert "C101" in render(result)


@pytest.mark.parametrize("peer", ["pyvrp", "vroom"])
def test_peer_adapter_solves_a_pickup_and_delivery_instance_feasibly(
    shared_benchmarks: Path, peer: str
) -> None:
    pytest.importorskip(peer)
    args = _args(shared_benchmarks, set_name="lilim", instances=["lc101"], time_limit=0.5, solvers=[peer])
    (entry,) = run(args)["instances"]
    outcome = entry["solvers"][peer]
    assert outcome["feasible"], outcome
    assert outcome["distance"] >= 828.93


def test_peers_from_a_previous_run_are_reused_without_solving_again(
    shared_benchmarks: Path, tmp_path: Path
) -> None:
    previous = {
        "time_limit_s": 10.0,
        "objective": "distance",
        "instances": [
            {
                "instance": "C101",
                "solvers": {"pyvrp": {"distance": 828.94, "vehicles": 10, "feasible": True, "wall_s": 10.0}},
            }
        ],
    }
    path = tmp_path / "previous.json"
    path.write_text(json.dumps(previous))
    result = run(_args(shared_benchmarks, instances=["C101"], time_limit=10.0, solvers=[], peers_from=path))
    (entry,) = result["instances"]
    assert entry["solvers"] == {"pyvrp": {**previous["instances"][0]["solvers"]["pyvrp"], "reused": True}}
    assert result["solvers"] == ["pyvrp", "vroom"]
    assert "reused from" in render(result)
    with pytest.raises(SystemExit, match="time limit"):
        run(_args(shared_benchmarks, instances=["C101"], time_limit=5.0, solvers=[], peers_from=path))


def test_param_options_parse_json_values_and_refuse_a_missing_equals_sign() -> None:
    assert parse_params(
        ["first_solution=SAVINGS", "use_iterated_local_search=true", 'extra_first_solutions=["A"]']
    ) == {
        "first_solution": "SAVINGS",
        "use_iterated_local_search": True,
        "extra_first_solutions": ("A",),
    }
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        parse_params(["oops"])
