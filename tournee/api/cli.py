"""The ``tournee`` command line.

Each area registers its commands in ``tournee.api.commands.<area>``; this module only
assembles them.  Commands print; engines log.
"""

from __future__ import annotations

import logging

import typer

from tournee import __version__

app = typer.Typer(
    name="tournee",
    help="Tournée — low-carbon last-mile delivery planning for local commerce.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each stage.")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )


@app.command()
def version() -> None:
    """Print the installed version."""
    typer.echo(__version__)


def _register() -> None:
    # Imported for their side effect of adding commands to ``app``.
    from tournee.api.commands import register_all

    register_all(app)


def main() -> None:
    """Console-script entry point."""
    _register()
    app()
