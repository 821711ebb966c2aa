"""``tournee plan``: plan a week from ``fleet.toml`` and ``orders.csv`` on an OSM map.

Formats: ``docs/formats.md``.  A bad input file prints one line naming the file, the row
or table and the column or key, and exits with code 2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from tournee.api.commands.maps import MapOption, _run, cache_dir
from tournee.api.services.plan_io import OSM_ATTRIBUTION
from tournee.api.services.planning import (
    DEFAULT_CARBON_PRICE,
    CarbonPriceRef,
    PlanRun,
    plan_files,
    summary_rows,
)
from tournee.routing.solver import SolveProgress

__all__ = ["plan", "print_run", "register", "solve_progress"]

_out = Console()
_err = Console(stderr=True)


@contextmanager
def solve_progress(
    time_limit_s: float,
) -> Iterator[tuple[Callable[[str], None], Callable[[SolveProgress], None]]]:
    """A progress bar on stderr: stage text, solver time against the budget, best objective."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[best]}"),
        TimeElapsedColumn(),
        console=_err,
        transient=True,
    ) as bar:
        task = bar.add_task("starting…", total=max(time_limit_s, 0.1), best="")

        def stage(message: str) -> None:
            bar.update(task, description=message)

        def progress(p: SolveProgress) -> None:
            # best_objective is in milli-cents (money + carbon price × CO2e).
            bar.update(
                task,
                completed=min(p.elapsed_s, time_limit_s),
                description=f"solving ({p.phase})",
                best=f"objective {p.best_objective / 100_000:,.2f}",
            )

        yield stage, progress


def print_run(run: PlanRun, *, title: str) -> None:
    """Print the summary table and the files written (stdout)."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("", style="bold")
    table.add_column("")
    for label, value in summary_rows(run.summary):
        table.add_row(label, value)
    _out.print(table)
    for note in run.notes:
        _out.print(f"note: {note}", highlight=False)
    for u in run.plan.unassigned[:10]:
        _out.print(f"unassigned {u.order_id}: {u.reason.value} — {u.detail}", highlight=False, soft_wrap=True)
    if len(run.plan.unassigned) > 10:
        _out.print(
            f"… and {len(run.plan.unassigned) - 10} more unassigned (see the plan JSON)", highlight=False
        )
    for kind, path in run.files.items():
        _out.print(f"{kind:>8}: {path}", highlight=False, soft_wrap=True)
    if "fleet" in run.files and "orders" in run.files:
        from tournee.api.services.maps import default_map_path

        on_map = "" if run.scenario.source == str(default_map_path()) else f" --map {run.scenario.source}"
        _out.print(
            f"re-plan or edit: tournee plan --orders {run.files['orders']} --fleet {run.files['fleet']}"
            f"{on_map} --out plan.json --html",
            highlight=False,
            soft_wrap=True,
        )
    _out.print(OSM_ATTRIBUTION, highlight=False)


def plan(
    orders: Annotated[Path, typer.Option("--orders", help="Orders CSV (docs/formats.md).")],
    fleet: Annotated[Path, typer.Option("--fleet", help="Fleet and operation TOML (docs/formats.md).")],
    map_path: MapOption = None,
    out: Annotated[Path, typer.Option("--out", help="Where to write the plan JSON.")] = Path("plan.json"),
    geojson: Annotated[
        bool,
        typer.Option("--geojson", help="Also write the routes along the roads as GeoJSON (beside --out)."),
    ] = False,
    html: Annotated[
        bool, typer.Option("--html", help="Also write an offline HTML map (beside --out).")
    ] = False,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, help="Solver budget for the whole week, seconds.")
    ] = 30.0,
    carbon_price: Annotated[
        float | None,
        typer.Option(
            "--carbon-price",
            min=0.0,
            help=f"Carbon price in currency units per tonne CO2e (default {DEFAULT_CARBON_PRICE.cents_per_t / 100:g}, "
            f"{DEFAULT_CARBON_PRICE.name}).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Solver seed.")] = 0,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=0,
            help="Sectors searched at once in worker processes on long plans (0: one per CPU core, 1: none).",
        ),
    ] = 0,
) -> None:
    """Plan a week: which day, which vehicle and in what order for every order."""
    price = DEFAULT_CARBON_PRICE
    if carbon_price is not None:
        price = CarbonPriceRef(
            cents_per_t=round(carbon_price * 100), name="given with --carbon-price", source="user"
        )

    def go() -> None:
        with solve_progress(time_limit) as (stage, progress):
            run = plan_files(
                map_path=map_path,
                orders=orders,
                fleet=fleet,
                out=out,
                geojson=out.with_suffix(".geojson") if geojson else None,
                html=out.with_suffix(".html") if html else None,
                time_limit_s=time_limit,
                seed=seed,
                carbon_price=price,
                cache_dir=cache_dir(),
                on_stage=stage,
                on_progress=progress,
                workers=workers,
            )
        print_run(run, title=f"Tournée plan — {run.plan.id}")

    _run(go)


def register(app: typer.Typer) -> None:
    """Add ``tournee plan`` to the app."""
    app.command("plan")(plan)
