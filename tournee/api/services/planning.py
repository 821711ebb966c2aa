"""The "plan a week" use case, shared by the CLI (``tournee plan``, ``tournee demo``) and the API.

load the map → one road network per profile → :class:`RoadTravel` → :func:`plan_week`
→ plan JSON, GeoJSON along the roads, offline HTML map, and a summary.

``plan_files`` reads the operator's ``fleet.toml`` and ``orders.csv``
(``docs/formats.md``); ``plan_demo`` builds a seeded scenario from the map itself
(:func:`~tournee.routing.scenario.build_scenario`).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from tournee.api.services.maps import default_map_path, load_map
from tournee.api.services.mapview import render_html, write_html
from tournee.api.services.plan_io import (
    plan_geojson,
    read_fleet,
    read_orders,
    route_lines,
    write_inputs,
    write_plan,
)
from tournee.domain import InvalidInput, MapError, Plan, Profile
from tournee.routing import recreate
from tournee.routing.graph import RoadNetwork
from tournee.routing.matrix import RoadTravel
from tournee.routing.scenario import Scenario, ScenarioParams, build_scenario
from tournee.routing.solver import SolveProgress
from tournee.routing.week import WeekParams, WeekProblem, plan_week, week_search

__all__ = [
    "DEFAULT_CARBON_PRICE",
    "CarbonPriceRef",
    "PlanRun",
    "PlanSummary",
    "plan_demo",
    "plan_files",
    "plan_scenario",
    "summarise",
    "summary_rows",
]

log = logging.getLogger(__name__)

Stage = Callable[[str], None]
Progress = Callable[[SolveProgress], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class CarbonPriceRef:
    """The carbon price the objective uses, with where it comes from."""

    cents_per_t: int
    name: str
    source: str


#: EU ETS allowance, 2025 average: €75/t (Veyt, "2025 EU ETS year in review").
DEFAULT_CARBON_PRICE = CarbonPriceRef(
    cents_per_t=7_500, name="EU ETS 2025 average", source="Veyt, 2025 EU ETS year in review"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanSummary:
    """What the CLI prints at the end of a plan (integers in base units)."""

    orders: int
    served: int
    unassigned_by_reason: dict[str, int]
    routes_per_day: dict[str, int]  # "Mon 2026-11-30" -> routes
    routes: int
    distance_m: int
    duration_s: int
    co2e_g: int
    cost_cents: int
    cost_per_order_cents: int
    fill_rate_pct: int  # mean of the routes' peak fill rates
    solve_s: float
    status: str
    currency: str
    carbon_price: CarbonPriceRef


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanRun:
    """A finished plan with its inputs, its travel model and the files written."""

    plan: Plan
    scenario: Scenario
    summary: PlanSummary
    files: dict[str, Path] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def summarise(
    plan: Plan, scenario: Scenario, *, carbon_price: CarbonPriceRef = DEFAULT_CARBON_PRICE
) -> PlanSummary:
    """The figures of ``plan`` a person reads first.

    Parameters
    ----------
    plan : Plan
        The plan.
    scenario : Scenario
        Its inputs (for the number of orders).
    carbon_price : CarbonPriceRef
        The price the plan was made with (printed with its source).

    Returns
    -------
    PlanSummary
    """
    served = len(plan.served_order_ids)
    per_day: Counter[int] = Counter(r.day for r in plan.routes)
    fills = [r.fill_rate_pct for r in plan.routes]
    return PlanSummary(
        orders=len(scenario.orders),
        served=served,
        unassigned_by_reason=dict(Counter(u.reason.value for u in plan.unassigned).most_common()),
        routes_per_day={
            f"{plan.horizon.date_of(d).strftime('%a')} {plan.horizon.date_of(d).isoformat()}": per_day[d]
            for d in sorted(per_day)
        },
        routes=len(plan.routes),
        distance_m=plan.distance_m,
        duration_s=plan.duration_s,
        co2e_g=plan.co2e_g,
        cost_cents=plan.cost_cents,
        cost_per_order_cents=round(plan.cost_cents / served) if served else 0,
        fill_rate_pct=round(sum(fills) / len(fills)) if fills else 0,
        solve_s=plan.stats.wall_s,
        status=plan.stats.status,
        currency=plan.currency,
        carbon_price=carbon_price,
    )


def _money(cents: int, currency: str) -> str:
    sign = "€" if currency == "EUR" else f"{currency} "
    return f"{sign}{cents / 100:,.2f}"


def _status(status: str) -> str:
    """OR-Tools' status name as words (``ROUTING_SUCCESS`` → ``success``)."""
    known = {
        "ROUTING_SUCCESS": "local optimum reached",
        "ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED": "stopped at the time limit",
        "ROUTING_OPTIMAL": "optimal",
    }
    words = [
        known.get(p.strip(), p.strip().removeprefix("ROUTING_").replace("_", " ").lower())
        for p in status.split(",")
    ]
    return "; ".join(dict.fromkeys(w for w in words if w)) or "—"


def summary_rows(s: PlanSummary) -> list[tuple[str, str]]:
    """The summary as (label, value) rows, for the CLI table and the HTML page."""
    rows = [
        ("orders served", f"{s.served} / {s.orders}"),
        ("routes (vehicle-day trips)", str(s.routes)),
        ("routes per day", ", ".join(f"{day[:3]} {n}" for day, n in s.routes_per_day.items()) or "—"),
        ("distance", f"{s.distance_m / 1000:,.1f} km"),
        ("driving and service time", f"{s.duration_s / 3600:,.1f} h"),
        ("emissions (WTW)", f"{s.co2e_g / 1000:,.2f} kg CO2e"),
        ("cost", _money(s.cost_cents, s.currency)),
        ("cost per order served", _money(s.cost_per_order_cents, s.currency)),
        ("mean fill rate (peak load)", f"{s.fill_rate_pct} %"),
        (
            "carbon price",
            f"{_money(s.carbon_price.cents_per_t, s.currency)}/t ({s.carbon_price.name})",
        ),
        ("solver", f"{_status(s.status)}, {s.solve_s:.1f} s"),
    ]
    if s.unassigned_by_reason:
        rows.insert(
            1,
            (
                "unassigned",
                ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in s.unassigned_by_reason.items()),
            ),
        )
    return rows


def plan_scenario(
    scenario: Scenario,
    networks: dict[Profile, RoadNetwork],
    *,
    out: Path | None = None,
    geojson: Path | None = None,
    html: Path | None = None,
    time_limit_s: float = 10.0,
    seed: int = 0,
    carbon_price: CarbonPriceRef = DEFAULT_CARBON_PRICE,
    cache_dir: Path | None = None,
    plan_id: str | None = None,
    workers: int = 0,
    on_stage: Stage | None = None,
    on_progress: Progress | None = None,
) -> PlanRun:
    """Plan ``scenario`` on road networks and write the requested outputs.

    Parameters
    ----------
    scenario : Scenario
        Horizon, hubs, merchants, fleet, tiers and orders.
    networks : dict of Profile to RoadNetwork
        One network per profile the fleet uses.
    out, geojson, html : Path, optional
        Where to write the plan JSON, the GeoJSON and the offline HTML map.
    time_limit_s : float, default 10
        Solver budget for the whole week, seconds.
    seed : int
        Solver seed.
    carbon_price : CarbonPriceRef
        Price of a tonne of CO2e in the objective.
    cache_dir : Path, optional
        CCH topology cache.
    plan_id : str, optional
        Id of the plan (default: the scenario's name).
    on_stage, on_progress : callable, optional
        Stage descriptions and solver progress, for display.
    workers : int, default 0
        Sectors searched at once in worker processes on long plans
        (:class:`~tournee.routing.week.WeekParams`; 0: one per CPU core, 1: none).

    Returns
    -------
    PlanRun

    Raises
    ------
    InvalidInput
        If the fleet uses a profile the map has no network for, or the problem is invalid.
    Infeasible
        If the solver fails.
    """
    stage = on_stage or (lambda _msg: None)
    missing = {v.profile for v in scenario.vehicles} - set(networks)
    if missing:
        raise MapError(f"map: no {', '.join(sorted(p.value for p in missing))} network for the fleet")
    if not isinstance(time_limit_s, (int, float)) or isinstance(time_limit_s, bool) or time_limit_s <= 0:
        raise InvalidInput(f"plan: time limit must be > 0 seconds, got {time_limit_s!r}")
    travel = RoadTravel(networks, cache_dir=cache_dir)
    problem = WeekProblem(
        horizon=scenario.horizon,
        hubs=scenario.hubs,
        vehicles=scenario.vehicles,
        orders=scenario.orders,
        tiers=scenario.tiers,
        merchants=scenario.merchants,
        carbon_price_cents_per_t=carbon_price.cents_per_t,
        id=plan_id or scenario.name,
    )
    if travel.uses_kernels(len(scenario.sites())):  # compiled once per install: not in the time limit
        stage("preparing the road-matrix kernels")
        travel.prepare_kernels()
    stage("preparing the ruin-and-recreate kernels")  # compiled once per install: not in the time limit
    recreate.warm_up()
    stage(f"planning {len(scenario.orders)} orders over {scenario.horizon.days} days")
    t0 = time.perf_counter()
    plan = plan_week(
        problem,
        travel=travel,
        params=WeekParams(solve=week_search(float(time_limit_s), seed=seed), workers=workers),
        progress=on_progress,
    )
    log.info("plan %s: %.2f s", plan.id, time.perf_counter() - t0)
    summary = summarise(plan, scenario, carbon_price=carbon_price)
    files: dict[str, Path] = {}
    if out is not None:
        files["plan"] = write_plan(plan, out)
    if geojson is not None or html is not None:
        stage("drawing the routes along the roads")
        lines = route_lines(plan, travel)
        sites = {s.id: s for s in scenario.sites()}
        gj = plan_geojson(plan, sites=sites, orders=scenario.orders, lines=lines)
        if geojson is not None:
            geojson.parent.mkdir(parents=True, exist_ok=True)
            geojson.write_text(json.dumps(gj, ensure_ascii=False) + "\n", encoding="utf-8")
            files["geojson"] = geojson
        if html is not None:
            stage("writing the offline map")
            page = render_html(
                plan,
                geojson=gj,
                networks=networks,
                title=f"Tournée — {scenario.name}",
                summary=summary_rows(summary),
            )
            files["html"] = write_html(html, page)
    return PlanRun(plan=plan, scenario=scenario, summary=summary, files=files, notes=scenario.notes)


def plan_files(
    *,
    map_path: Path | None,
    orders: Path,
    fleet: Path,
    out: Path,
    geojson: Path | None = None,
    html: Path | None = None,
    time_limit_s: float = 10.0,
    seed: int = 0,
    carbon_price: CarbonPriceRef = DEFAULT_CARBON_PRICE,
    cache_dir: Path | None = None,
    on_stage: Stage | None = None,
    on_progress: Progress | None = None,
    workers: int = 0,
) -> PlanRun:
    """``tournee plan``: read fleet.toml and orders.csv, plan the week on a map, write outputs.

    Raises
    ------
    InvalidInput
        For a bad input file (naming file, row or table, and column or key).
    MapError
        For a missing or unusable map.
    """
    stage = on_stage or (lambda _msg: None)
    stage(f"reading {Path(fleet).name} and {Path(orders).name}")
    scenario = read_orders(orders, read_fleet(fleet))
    path = Path(map_path) if map_path is not None else default_map_path()
    stage(f"loading {path.name}")
    profiles = tuple(sorted({v.profile for v in scenario.vehicles}, key=lambda p: p.value))
    networks = load_map(path, profiles=profiles, cache_dir=cache_dir)
    return plan_scenario(
        scenario,
        networks,
        out=out,
        geojson=geojson,
        html=html,
        time_limit_s=time_limit_s,
        seed=seed,
        carbon_price=carbon_price,
        cache_dir=cache_dir,
        plan_id=Path(out).stem,
        on_stage=on_stage,
        on_progress=on_progress,
        workers=workers,
    )


def plan_demo(
    *,
    map_path: Path | None = None,
    out_dir: Path = Path("tournee-demo"),
    params: ScenarioParams | None = None,
    time_limit_s: float = 10.0,
    carbon_price: CarbonPriceRef = DEFAULT_CARBON_PRICE,
    cache_dir: Path | None = None,
    on_stage: Stage | None = None,
    on_progress: Progress | None = None,
) -> PlanRun:
    """``tournee demo``: a seeded week built from the map, planned, written to ``out_dir``.

    Writes the scenario as ``fleet.toml`` and ``orders.csv`` (so ``tournee plan`` can
    replay or edit it), then ``plan.json``, ``plan.geojson`` and ``plan.html`` (offline
    map) in ``out_dir``.

    Raises
    ------
    MapError
        For a missing or unusable map.
    """
    stage = on_stage or (lambda _msg: None)
    path = Path(map_path) if map_path is not None else default_map_path()
    stage(f"loading {path.name}")
    networks = load_map(path, cache_dir=cache_dir)
    if Profile.VAN not in networks:
        raise MapError(f"map {str(path)!r}: no van network")
    stage("building the week's scenario from the map")
    params = params or ScenarioParams()
    scenario = build_scenario(path, params=params, network=networks[Profile.VAN])
    out_dir = Path(out_dir)
    inputs = write_inputs(scenario, out_dir)
    run = plan_scenario(
        scenario,
        networks,
        out=out_dir / "plan.json",
        geojson=out_dir / "plan.geojson",
        html=out_dir / "plan.html",
        time_limit_s=time_limit_s,
        seed=params.seed,
        carbon_price=carbon_price,
        cache_dir=cache_dir,
        on_stage=on_stage,
        on_progress=on_progress,
    )
    return replace(run, files={**inputs, **run.files})
