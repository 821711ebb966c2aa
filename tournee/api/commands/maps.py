"""``tournee network`` and ``tournee demo``: load a map, snap, compute road matrices."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

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
        _err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
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


def demo(
    map_path: MapOption = None,
    size: Annotated[int, typer.Option("--size", min=1, help="How many seeded locations to place.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Sample seed.")] = 0,
    engine: Annotated[str, typer.Option("--engine", help="Matrix engine: cch or dijkstra.")] = "cch",
) -> None:
    """Road matrices for both profiles on a sample of locations (the week plan comes later)."""

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


def register(app: typer.Typer) -> None:
    """Add the map commands to the ``tournee`` app."""
    app.command("network")(network)
    app.command("demo")(demo)
