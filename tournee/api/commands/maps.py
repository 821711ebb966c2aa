"""``tournee network``, ``tournee matrices`` and ``tournee demo`` (the README's main command).

``demo`` builds a seeded week from the embedded Helsinki map (shops as merchants,
addresses as customers, a depot, a micro-hub, vans and cargo bikes), plans it, writes
``plan.json``, ``plan.geojson`` and an offline ``plan.html`` and prints the summary.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from tournee.api.services import maps as service
from tournee.domain import InvalidInput, Profile, TourneeError

T = TypeVar("T")

_err = Console(stderr=True)


def cache_dir() -> Path:
    """The CLI's cache folder: ``$TOURNEE_CACHE_DIR`` or ``~/.cache/tournee``."""
    env = os.environ.get("TOURNEE_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tournee"


@contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    """A spinner on stderr whose text each long step updates."""
    with _err.status("starting…") as status:

        def stage(message: str) -> None:
            status.update(message)

        yield stage


def _run(action: Callable[[], T]) -> T:
    """Run ``action``; a domain error prints its message and exits with code 2."""
    try:
        return action()
    except TourneeError as exc:
        _err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None


_MAP_HELP = "OSM .pbf extract (default: the embedded central-Helsinki map)."


MapOption = Annotated[Path | None, typer.Option("--map", help=_MAP_HELP)]


def network(map_path: MapOption = None) -> None:
    """Load a map and report, per profile, what the road network kept and dropped."""
    path = map_path or service.default_map_path()

    def load() -> str:
        with _progress() as stage:
            stage(f"loading {path.name}")
            nets = service.load_map(path, cache_dir=cache_dir())
        return service.render_network_report(
            [nets[p].report for p in (Profile.VAN, Profile.CARGO_BIKE) if p in nets]
        )

    typer.echo(_run(load))


def matrices(
    map_path: MapOption = None,
    size: Annotated[int, typer.Option("--size", min=1, help="How many seeded locations to place.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Sample seed.")] = 0,
    engine: Annotated[str, typer.Option("--engine", help="Matrix engine: cch or dijkstra.")] = "cch",
) -> None:
    """Road matrices for both profiles on a seeded sample of locations beside the roads."""

    def go() -> str:
        if engine not in ("cch", "dijkstra"):
            raise InvalidInput(f"--engine must be 'cch' or 'dijkstra', got {engine!r}")
        with _progress() as stage:
            summary = service.demo_summary(
                map_path,
                sample_size=size,
                seed=seed,
                engine=engine,  # type: ignore[arg-type]
                cache_dir=cache_dir(),
                on_stage=stage,
            )
        return service.render_demo(summary)

    typer.echo(_run(go))


def demo(
    map_path: MapOption = None,
    out: Annotated[
        Path, typer.Option("--out", help="Output folder for plan.json, plan.geojson, plan.html.")
    ] = Path("tournee-demo"),
    orders: Annotated[int, typer.Option("--orders", min=0, help="Orders in the week.")] = 60,
    vans: Annotated[int, typer.Option("--vans", min=0, help="Vans (from the depot).")] = 2,
    bikes: Annotated[int, typer.Option("--bikes", min=0, help="Cargo bikes (from the micro-hub).")] = 2,
    seed: Annotated[int, typer.Option("--seed", help="Scenario and solver seed.")] = 0,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, help="Solver budget for the whole week, seconds.")
    ] = 10.0,
) -> None:
    """Plan a realistic week on the map (embedded Helsinki by default) and write plan JSON, GeoJSON and an offline HTML map."""
    from tournee.api.commands.plan import print_run, solve_progress
    from tournee.api.services.planning import plan_demo
    from tournee.routing.scenario import ScenarioParams

    def go() -> None:
        params = ScenarioParams(orders=orders, vans=vans, cargo_bikes=bikes, seed=seed)
        with solve_progress(time_limit) as (stage, progress):
            run = plan_demo(
                map_path=map_path,
                out_dir=out,
                params=params,
                time_limit_s=time_limit,
                cache_dir=cache_dir(),
                on_stage=stage,
                on_progress=progress,
            )
        print_run(run, title=f"Tournée demo — {run.scenario.name}")
        typer.echo(
            "\nDelivery tiers quoted against this week's rounds for a few customers "
            "(date, price, carbon surcharge, kg CO2e):\n"
        )
        typer.echo(_demo_quotes(run, map_path))

    _run(go)


def _demo_quotes(run: object, map_path: Path | None) -> str:
    """The tier table of a few of the demo's customers, priced on the same roads as the plan."""
    from tournee.api.services.planning import PlanRun
    from tournee.api.services.quoting import RoadTravelLookup, sample_quote_table
    from tournee.routing.matrix import RoadTravel

    assert isinstance(run, PlanRun)
    nets = service.load_map(map_path or service.default_map_path(), cache_dir=cache_dir())
    travel = RoadTravelLookup(RoadTravel(nets, cache_dir=cache_dir()))
    return sample_quote_table(run.plan, run.scenario, travel=travel)


def register(app: typer.Typer) -> None:
    """Add the map commands to the ``tournee`` app."""
    app.command("network")(network)
    app.command("matrices")(matrices)
    app.command("demo")(demo)
