"""Suite ``solver``: Tournée's routing core against the literature and against PyVRP and VROOM.

    python -m benchmarks solver --set solomon --per-class 2 --time-limit 10 --json

For every selected instance of ``../shared/benchmarks`` the same integer problem (arc cost
``round(1000·d)``, travel time ``ceil(1000·d)``, windows and service ×1000, node 0 the depot, the
instance's fleet as an upper bound) is handed to

* Tournée, through its generic entry point ``tournee.routing.solver.solve_matrix_problem``;
* PyVRP (``pyvrp``, single thread by design), Li & Lim pairs as PyVRP shipments;
* VROOM (``pyvroom``, ``nb_threads=1``, exploration level 5), Li & Lim pairs as shipments;

each with the same time limit, one after the other in one process.  Every returned solution is
re-checked and re-scored in double precision by ``benchmarks/checker.py``; the report gives per
instance the distance, vehicles, gap to the best-known solution under the matching convention,
time to first solution (Tournée and PyVRP) and feasibility, and per set the mean
``cost_ratio_vs_pyvrp`` / ``cost_ratio_vs_vroom`` (Tournée distance / peer distance, over the
instances where both are feasible).

``--objective distance`` (default) minimises distance with vehicles free and compares with the
distance-only BKS where the literature has one (Solomon, CVRPLIB) — else with the hierarchical
BKS, vehicles shown beside the gap.  ``--objective hierarchical`` adds the same large fixed cost
per vehicle to every solver (vehicles first, then distance) and compares with the hierarchical BKS.

``--peers-from previous.json`` reuses the PyVRP / VROOM entries of an earlier ``--json`` run made
with the same time limit and objective (handy when tuning Tournée: only Tournée is re-run).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.checker import check_solution
from benchmarks.instances import (
    SETS,
    BestKnown,
    FloatArray,
    Instance,
    IntArray,
    distance_matrix,
    instance_class,
    instance_paths,
    load_bks,
    parse_instance,
)

DESCRIPTION = "Tournée vs PyVRP vs VROOM on Solomon / Homberger / Li & Lim / CVRPLIB X, re-checked"

SCALE = 1000  # integer units per instance unit, for every solver
SOLVERS = ("tournee", "pyvrp", "vroom")
PEERS = ("pyvrp", "vroom")
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"

Routes = list[list[int]]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class IntegerProblem:
    """The integer problem every solver receives, derived once from an :class:`Instance`.

    ``cost`` is ``round(SCALE·d)``, ``travel`` is ``ceil(SCALE·d)`` (a schedule feasible in
    integers is then feasible in real numbers), times are ×``SCALE``.  Without time windows
    (CVRP) ``ready``/``due`` are ``None``.  ``fixed_cost`` is charged per used vehicle.
    """

    instance: Instance
    dist: FloatArray
    cost: IntArray
    travel: IntArray
    ready: IntArray | None
    due: IntArray | None
    service: IntArray
    fixed_cost: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SolverRun:
    """What an adapter returns: routes (node ids, depot excluded) and timings in seconds."""

    routes: Routes
    wall_s: float
    first_solution_s: float | None
    note: str = ""


def integer_problem(instance: Instance, *, objective: str = "distance") -> IntegerProblem:
    """Scale ``instance`` to integers for the solvers.

    Parameters
    ----------
    instance
        A parsed instance.
    objective
        ``"distance"`` (no vehicle cost) or ``"hierarchical"``: each vehicle costs the length
        of serving every customer by its own round trip (an upper bound on any sensible total
        distance), so fewer vehicles always win and distance breaks ties.
    """
    d = distance_matrix(instance)
    cost = np.rint(SCALE * d).astype(np.int64)
    # The small epsilon keeps exact integer lengths (perfect squares) from rounding up on noise.
    travel = np.ceil(SCALE * d - 1e-9).astype(np.int64)
    fixed = 0
    if objective == "hierarchical":
        fixed = int(2 * cost[0, 1:].sum())
    elif objective != "distance":
        raise ValueError(f"objective must be 'distance' or 'hierarchical', got {objective!r}")
    windows = instance.has_time_windows
    return IntegerProblem(
        instance=instance,
        dist=d,
        cost=cost,
        travel=travel,
        ready=np.rint(SCALE * instance.ready).astype(np.int64) if windows else None,
        due=np.rint(SCALE * instance.due).astype(np.int64) if windows else None,
        service=np.rint(SCALE * instance.service).astype(np.int64),
        fixed_cost=fixed,
    )


# --------------------------------------------------------------------------- adapters


def solve_tournee(
    ip: IntegerProblem, *, time_limit_s: float, seed: int, options: dict[str, Any] | None = None
) -> SolverRun:
    """Solve with Tournée's generic matrix entry point (``solve_matrix_problem``).

    ``options`` are extra ``SolveParams`` fields (``--param key=value`` on the command line).
    """
    from tournee.routing import recreate
    from tournee.routing.solver import MatrixProblem, SolveParams, solve_matrix_problem

    inst = ip.instance
    v = inst.fleet
    windows = None
    vehicle_window = None
    horizon = 10**9
    if ip.ready is not None and ip.due is not None:
        windows = [None] + [[(int(ip.ready[i]), int(ip.due[i]))] for i in range(1, inst.n)]
        vehicle_window = [(int(ip.ready[0]), int(ip.due[0]))] * v
        horizon = int(ip.due[0])
    problem = MatrixProblem(
        distance_m=[ip.cost],
        duration_s=[ip.travel],
        num_vehicles=v,
        vehicle_window=vehicle_window,
        vehicle_fixed_cost=[ip.fixed_cost] * v if ip.fixed_cost else None,
        capacities=[[inst.capacity] * v],
        demands=[[int(q) for q in inst.demand]],
        time_windows=windows,
        service_s=[int(s) for s in ip.service],
        pickups_deliveries=list(inst.pairs),
        horizon_s=horizon,
    )
    recreate.warm_up()  # compiled once per install (or loaded from the disk cache): not the solver's time
    t0 = time.perf_counter()
    solution = solve_matrix_problem(
        problem, params=SolveParams(time_limit_s=time_limit_s, seed=seed, **(options or {}))
    )
    wall = time.perf_counter() - t0
    return SolverRun(
        routes=[list(r) for r in solution.routes if r],
        wall_s=wall,
        first_solution_s=solution.first_solution_s,
        note=f"status {solution.status}, {solution.solutions} solutions",
    )


def solve_pyvrp(ip: IntegerProblem, *, time_limit_s: float, seed: int) -> SolverRun:
    """Solve with PyVRP's iterated local search (single thread), pairs as shipments.

    Loads are scaled by ``SCALE`` like costs and times: PyVRP's penalty bounds assume
    comparable magnitudes (unscaled loads hit its maximum load penalty on CVRPLIB X).
    """
    import pyvrp
    from pyvrp.stop import MaxRuntime

    inst = ip.instance
    no_limit = np.iinfo(np.int64).max
    ready = ip.ready if ip.ready is not None else np.zeros(inst.n, dtype=np.int64)
    due = ip.due if ip.due is not None else np.full(inst.n, no_limit, dtype=np.int64)
    in_pair = {i for pair in inst.pairs for i in pair}
    client_nodes = [i for i in range(1, inst.n) if i not in in_pair]
    clients = [
        pyvrp.Client(
            location=i,
            delivery=[SCALE * int(inst.demand[i])],
            service_duration=int(ip.service[i]),
            tw_early=int(ready[i]),
            tw_late=int(due[i]),
        )
        for i in client_nodes
    ]
    shipments = [
        pyvrp.Shipment(
            pickup_location=p,
            delivery_location=q,
            pickup_tw_early=int(ready[p]),
            pickup_tw_late=int(due[p]),
            pickup_service_duration=int(ip.service[p]),
            delivery_tw_early=int(ready[q]),
            delivery_tw_late=int(due[q]),
            delivery_service_duration=int(ip.service[q]),
            amount=[SCALE * int(inst.demand[p])],
        )
        for p, q in inst.pairs
    ]
    vehicle_type = pyvrp.VehicleType(
        num_available=inst.fleet,
        capacity=[SCALE * inst.capacity],
        fixed_cost=ip.fixed_cost,
        tw_early=int(ready[0]),
        tw_late=int(due[0]),
    )
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(x=float(a), y=float(b)) for a, b in zip(inst.x, inst.y, strict=True)],
        clients=clients,
        depots=[pyvrp.Depot(location=0, tw_early=int(ready[0]), tw_late=int(due[0]))],
        vehicle_types=[vehicle_type],
        distance_matrices=[ip.cost],  # type: ignore[list-item]  # int64 matrix, as PyVRP wants
        duration_matrices=[ip.travel],  # type: ignore[list-item]
        shipments=shipments,
    )
    t0 = time.perf_counter()
    result = pyvrp.solve(data, stop=MaxRuntime(time_limit_s), seed=seed, collect_stats=True, display=False)
    wall = time.perf_counter() - t0
    routes: Routes = []
    for route in result.best.routes():
        nodes = []
        for act in route.schedule():
            if act.is_client():
                nodes.append(client_nodes[act.idx])
            elif act.is_pickup():
                nodes.append(inst.pairs[act.idx][0])
            elif act.is_delivery():
                nodes.append(inst.pairs[act.idx][1])
        routes.append(nodes)
    first = None
    # Statistics start with the search loop; count the set-up before it (data, initial solution).
    elapsed = max(0.0, wall - float(result.runtime))
    for runtime, datum in zip(result.stats.runtimes, result.stats.data, strict=True):
        elapsed += runtime
        if datum.best_feas:
            first = elapsed
            break
    return SolverRun(
        routes=routes, wall_s=wall, first_solution_s=first, note=f"{result.num_iterations} iterations"
    )


def solve_vroom(ip: IntegerProblem, *, time_limit_s: float, seed: int) -> SolverRun:
    """Solve with VROOM (``pyvroom``), one thread, exploration level 5, pairs as shipments.

    VROOM has no seed and stops on its own, usually well before the time limit.
    """
    import vroom

    inst = ip.instance
    problem = vroom.Input()
    problem.set_durations_matrix("car", ip.travel)
    problem.set_costs_matrix("car", ip.cost)
    depot_tw = None
    if ip.ready is not None and ip.due is not None:
        depot_tw = (int(ip.ready[0]), int(ip.due[0]))

    def windows(i: int) -> list[tuple[int, int]]:
        if ip.ready is None or ip.due is None:
            return []
        return [(int(ip.ready[i]), int(ip.due[i]))]

    problem.add_vehicle(
        [
            vroom.Vehicle(
                id=k,
                start=0,
                end=0,
                capacity=[inst.capacity],
                time_window=depot_tw,
                costs=vroom.VehicleCosts(fixed=ip.fixed_cost),
            )
            for k in range(inst.fleet)
        ]
    )
    in_pair = {i for pair in inst.pairs for i in pair}
    jobs = [
        vroom.Job(
            id=i,
            location=i,
            default_service=int(ip.service[i]),
            delivery=[int(inst.demand[i])],
            time_windows=windows(i),
        )
        for i in range(1, inst.n)
        if i not in in_pair
    ]
    if jobs:
        problem.add_job(jobs)
    for p, q in inst.pairs:
        problem.add_job(
            vroom.Shipment(
                pickup=vroom.ShipmentStep(
                    id=p, location=p, default_service=int(ip.service[p]), time_windows=windows(p)
                ),
                delivery=vroom.ShipmentStep(
                    id=q, location=q, default_service=int(ip.service[q]), time_windows=windows(q)
                ),
                amount=[int(inst.demand[p])],
            )
        )
    t0 = time.perf_counter()
    solution = problem.solve(exploration_level=5, nb_threads=1, timeout=timedelta(seconds=time_limit_s))
    wall = time.perf_counter() - t0
    frame = solution.routes
    routes: Routes = []
    for _, rows in frame.groupby("vehicle_id", sort=True):
        stops = rows[rows["type"].isin(["job", "pickup", "delivery"])]
        routes.append([int(i) for i in stops["location_index"]])
    return SolverRun(routes=routes, wall_s=wall, first_solution_s=None)


ADAPTERS: dict[str, Callable[..., SolverRun]] = {
    "tournee": solve_tournee,
    "pyvrp": solve_pyvrp,
    "vroom": solve_vroom,
}


# --------------------------------------------------------------------------- suite


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", dest="set_name", choices=sorted(SETS), required=True, help="benchmark set")
    parser.add_argument("--instances", nargs="+", default=None, help="instance names (C101 R201 … / lc101 …)")
    parser.add_argument(
        "--per-class", type=int, default=None, help="take the first K instances of each class"
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="at most N instances (after the other filters)"
    )
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per solver per instance")
    parser.add_argument(
        "--solvers",
        nargs="+",
        choices=SOLVERS,
        default=list(SOLVERS),
        help="which solvers to run (default all)",
    )
    parser.add_argument(
        "--objective",
        choices=["distance", "hierarchical"],
        default="distance",
        help="distance only (vehicles free, default) or fewest vehicles first via a fixed cost",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra Tournée SolveParams field, VALUE as JSON or a bare string (repeatable), "
        "e.g. --param first_solution=SAVINGS --param use_iterated_local_search=true",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared benchmarks folder")
    parser.add_argument(
        "--peers-from", type=Path, default=None, help="reuse PyVRP/VROOM entries of a --json run"
    )
    parser.add_argument("--routes", action="store_true", help="keep every solver's routes in the result")
    parser.add_argument("--quiet", action="store_true", help="no per-instance progress on stderr")


def parse_params(items: list[str]) -> dict[str, Any]:
    """``["key=value", …]`` → keyword arguments for ``SolveParams`` (JSON values, lists → tuples)."""
    options: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise SystemExit(f"--param {item!r}: expected KEY=VALUE")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        options[key.strip()] = tuple(value) if isinstance(value, list) else value
    return options


def select_paths(
    paths: list[Path], *, names: list[str] | None, per_class: int | None, limit: int | None
) -> list[Path]:
    """Filter instance files by name, then the first ``per_class`` of each class, then ``limit``."""
    chosen = paths
    if names:
        by_name = {p.stem.lower(): p for p in paths}
        unknown = [n for n in names if n.lower() not in by_name]
        if unknown:
            raise SystemExit(f"unknown instances {unknown}; e.g. {[p.stem for p in paths[:5]]}")
        chosen = [by_name[n.lower()] for n in names]
    if per_class is not None:
        taken: dict[str, int] = {}
        kept = []
        for p in chosen:
            cls = instance_class(p.stem)
            if taken.get(cls, 0) < per_class:
                taken[cls] = taken.get(cls, 0) + 1
                kept.append(p)
        chosen = kept
    if limit is not None:
        chosen = chosen[:limit]
    return chosen


def _pick_bks(table: dict[str, BestKnown], objective: str) -> BestKnown | None:
    order = (
        ("distance-only", "hierarchical") if objective == "distance" else ("hierarchical", "distance-only")
    )
    for convention in order:
        if convention in table:
            return table[convention]
    return None


def _load_peers(path: Path | None, *, time_limit: float, objective: str) -> dict[str, dict[str, Any]]:
    if path is None:
        return {}
    previous = json.loads(path.read_text(encoding="utf-8"))
    if previous.get("time_limit_s") != time_limit or previous.get("objective") != objective:
        raise SystemExit(
            f"{path}: was run with time limit {previous.get('time_limit_s')} s / objective "
            f"{previous.get('objective')}, not {time_limit} s / {objective}"
        )
    found: dict[str, dict[str, Any]] = {}
    for entry in previous.get("instances", []):
        for name in PEERS:
            if name in entry.get("solvers", {}):
                found.setdefault(entry["instance"], {})[name] = dict(entry["solvers"][name], reused=True)
    return found


def _run_one(
    name: str, ip: IntegerProblem, bks: BestKnown | None, args: argparse.Namespace
) -> dict[str, Any]:
    record: dict[str, Any] = {}
    try:
        extra = {"options": parse_params(args.param)} if name == "tournee" else {}
        run_ = ADAPTERS[name](ip, time_limit_s=args.time_limit, seed=args.seed, **extra)
    except Exception as exc:  # a solver failing must not stop the suite
        return {"error": f"{type(exc).__name__}: {exc}", "feasible": False}
    check = check_solution(ip.instance, run_.routes, dist=ip.dist)
    record.update(
        distance=round(check.distance, 4),
        vehicles=check.vehicles,
        feasible=check.feasible,
        gap_pct=round(100 * (check.distance / bks.distance - 1), 3) if bks else None,
        first_solution_s=None if run_.first_solution_s is None else round(run_.first_solution_s, 3),
        wall_s=round(run_.wall_s, 3),
    )
    if check.violations:
        record["violations"] = list(check.violations[:5])
    if run_.note:
        record["note"] = run_.note
    if args.routes:
        record["routes"] = run_.routes
    return record


def _ratio(entry: dict[str, Any], peer: str) -> float | None:
    ours, theirs = entry["solvers"].get("tournee"), entry["solvers"].get(peer)
    if not ours or not theirs or not ours.get("feasible") or not theirs.get("feasible"):
        return None
    return round(float(ours["distance"]) / float(theirs["distance"]), 5)


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 5) if values else None


def summarise(entries: list[dict[str, Any]], solvers: list[str]) -> dict[str, Any]:
    """Per-solver and per-class aggregates of the instance entries (ratios over comparable pairs)."""
    per_solver: dict[str, Any] = {}
    for name in solvers:
        runs = [e["solvers"][name] for e in entries if name in e["solvers"]]
        ok = [r for r in runs if r.get("feasible")]
        per_solver[name] = {
            "instances": len(runs),
            "feasible": len(ok),
            "errors": sum(1 for r in runs if "error" in r),
            "mean_gap_pct": _mean([r["gap_pct"] for r in ok if r.get("gap_pct") is not None]),
            "mean_vehicles": _mean([r["vehicles"] for r in ok]),
            "mean_first_solution_s": _mean(
                [r["first_solution_s"] for r in ok if r.get("first_solution_s") is not None]
            ),
            "mean_wall_s": _mean([r["wall_s"] for r in runs if "wall_s" in r]),
        }
    ratios: dict[str, Any] = {}
    for peer in PEERS:
        values = [e[f"cost_ratio_vs_{peer}"] for e in entries if e.get(f"cost_ratio_vs_{peer}") is not None]
        by_class: dict[str, list[float]] = {}
        for e in entries:
            if e.get(f"cost_ratio_vs_{peer}") is not None:
                by_class.setdefault(e["class"], []).append(e[f"cost_ratio_vs_{peer}"])
        ratios[peer] = {
            "mean": _mean(values),
            "geomean": round(math.exp(statistics.fmean(math.log(v) for v in values)), 5) if values else None,
            "min": min(values, default=None),
            "max": max(values, default=None),
            "compared": len(values),
            "by_class": {cls: _mean(vs) for cls, vs in by_class.items()},
        }
    return {"solvers": per_solver, "ratios": ratios}


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the selected solvers on the selected instances and collect checked figures."""
    paths = select_paths(
        instance_paths(args.data, args.set_name),
        names=args.instances,
        per_class=args.per_class,
        limit=args.limit,
    )
    parse_params(args.param)  # refuse a malformed --param before any solve
    bks_table = load_bks(args.data)
    peers = _load_peers(args.peers_from, time_limit=args.time_limit, objective=args.objective)
    # Peers reused from --peers-from join the comparison even when not re-run.
    solvers = [s for s in SOLVERS if s in args.solvers or (peers and s in PEERS)]
    entries: list[dict[str, Any]] = []
    versions = _versions()  # before any solve: the solver code that is about to be imported
    date_utc = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    started = time.perf_counter()
    for path in paths:
        instance = parse_instance(path)
        ip = integer_problem(instance, objective=args.objective)
        bks = _pick_bks(bks_table.get(instance.name, {}), args.objective)
        entry: dict[str, Any] = {
            "instance": instance.name,
            "class": instance_class(instance.name),
            "n": instance.n - 1,
            "bks": None
            if bks is None
            else {"vehicles": bks.vehicles, "distance": bks.distance, "convention": bks.convention},
            "solvers": {},
        }
        for name in solvers:
            cached = peers.get(instance.name, {}).get(name)
            if cached is not None:
                entry["solvers"][name] = cached
            elif name in args.solvers:
                entry["solvers"][name] = _run_one(name, ip, bks, args)
        for peer in PEERS:
            entry[f"cost_ratio_vs_{peer}"] = _ratio(entry, peer)
        entries.append(entry)
        if not args.quiet:
            print(_progress_line(entry), file=sys.stderr, flush=True)
    return {
        "suite": "solver",
        "set": args.set_name,
        "objective": args.objective,
        "time_limit_s": args.time_limit,
        "seed": args.seed,
        "tournee_params": {
            k: list(v) if isinstance(v, tuple) else v for k, v in parse_params(args.param).items()
        },
        "solvers": solvers,
        "command": "python -m benchmarks " + " ".join(sys.argv[1:]),
        "date_utc": date_utc,  # start of the run
        "machine": f"{platform.machine()}, {os.cpu_count()} logical cores, Python {platform.python_version()}",
        "versions": versions,
        "total_wall_s": round(time.perf_counter() - started, 1),
        "instances": entries,
        "peers_from": None if args.peers_from is None else str(args.peers_from),
        "summary": summarise(entries, solvers),
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for dist in ("ortools", "pyvrp", "pyvroom"):
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            found[dist] = "absent"
    found["tournee solver.py"] = _git_revision(
        Path(__file__).resolve().parents[1] / "tournee" / "routing" / "solver.py"
    )
    return found


def _git_revision(path: Path) -> str:
    """Last commit touching ``path``, with ``+dirty`` when the working tree differs from it."""
    import subprocess

    try:
        rev = subprocess.run(
            ["git", "log", "-1", "--format=%h", "--", path.name],
            cwd=path.parent,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", path.name],
            cwd=path.parent,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (rev or "uncommitted") + ("+dirty" if dirty else "")


def _progress_line(entry: dict[str, Any]) -> str:
    parts = [f"{entry['instance']:>12}"]
    for name, r in entry["solvers"].items():
        if "error" in r:
            parts.append(f"{name}: ERROR {r['error'][:60]}")
        else:
            flag = "" if r["feasible"] else " INFEASIBLE"
            parts.append(f"{name}: {r['vehicles']} veh {r['distance']:.2f}{flag}")
    for peer in PEERS:
        if entry.get(f"cost_ratio_vs_{peer}") is not None:
            parts.append(f"/{peer} {entry[f'cost_ratio_vs_{peer}']:.4f}")
    return "  ".join(parts)


def _cell(r: dict[str, Any] | None) -> str:
    if r is None:
        return "–"
    if "error" in r:
        return "error"
    text = f"{r['vehicles']} / {r['distance']:.2f}"
    if r.get("gap_pct") is not None:
        text += f" ({r['gap_pct']:+.2f} %)"
    if not r["feasible"]:
        text += " **infeasible**"
    return text


def _num(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def render(result: dict[str, Any]) -> str:
    """Markdown: one row per instance, then per-solver aggregates and the ratios vs the peers."""
    solvers = result["solvers"]
    lines = [
        f"### Routing quality — `{result['set']}`, {result['time_limit_s']:g} s per solver, objective {result['objective']}",
        "",
        f"`{result['command']}` — {result['date_utc']} UTC, {result['machine']}; "
        + ", ".join(f"{k} {v}" for k, v in result["versions"].items())
        + f"; total {result['total_wall_s']:g} s.",
        "",
        *(
            [f"Tournée `SolveParams` overrides: `{json.dumps(result['tournee_params'])}`.", ""]
            if result.get("tournee_params")
            else []
        ),
        *(
            [
                f"PyVRP / VROOM figures reused from `{result['peers_from']}` (same time limit and objective).",
                "",
            ]
            if result.get("peers_from")
            else []
        ),
        "Cells: vehicles / distance (gap to BKS). Distances re-scored in double precision by the benchmark's "
        "checker; ratio = Tournée distance / peer distance.",
        "",
        "| instance | BKS veh / dist | "
        + " | ".join(solvers)
        + " | Tournée first sol. (s) | vs PyVRP | vs VROOM |",
        "|---|---|" + "---|" * len(solvers) + "---|---|---|",
    ]
    for e in result["instances"]:
        bks = e["bks"]
        bks_text = (
            "–"
            if bks is None
            else f"{bks['vehicles']} / {bks['distance']:.2f}"
            + (" (h)" if bks["convention"] == "hierarchical" else "")
        )
        first = e["solvers"].get("tournee", {}).get("first_solution_s")
        lines.append(
            f"| {e['instance']} | {bks_text} | "
            + " | ".join(_cell(e["solvers"].get(s)) for s in solvers)
            + f" | {_num(first, 2)} | {_num(e.get('cost_ratio_vs_pyvrp'))} | {_num(e.get('cost_ratio_vs_vroom'))} |"
        )
    lines += [
        "",
        "(h) = hierarchical BKS (fewest vehicles first): a distance-only run may use more vehicles and land below it.",
        "",
        "| solver | feasible | mean gap to BKS | mean vehicles | mean first solution (s) | mean wall (s) |",
        "|---|---|---|---|---|---|",
    ]
    for name, s in result["summary"]["solvers"].items():
        gap = "–" if s["mean_gap_pct"] is None else f"{s['mean_gap_pct']:+.2f} %"
        lines.append(
            f"| {name} | {s['feasible']}/{s['instances']} | {gap} | {_num(s['mean_vehicles'], 2)} | "
            f"{_num(s['mean_first_solution_s'], 2)} | {_num(s['mean_wall_s'], 2)} |"
        )
    lines += [
        "",
        "| ratio | mean | geomean | min | max | compared | by class |",
        "|---|---|---|---|---|---|---|",
    ]
    for peer, r in result["summary"]["ratios"].items():
        by_class = ", ".join(f"{c} {v:.4f}" for c, v in r["by_class"].items() if v is not None)
        lines.append(
            f"| cost_ratio_vs_{peer} | {_num(r['mean'])} | {_num(r['geomean'])} | {_num(r['min'])} | "
            f"{_num(r['max'])} | {r['compared']} | {by_class or '–'} |"
        )
    return "\n".join(lines)
