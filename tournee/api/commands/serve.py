"""``tournee serve``: run the HTTP API (and the web pages) with uvicorn."""

from __future__ import annotations

import copy
import logging
import os
import re
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from tournee.api.settings import Settings


def serve(
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the Helsinki demo tenant and print its tokens.")
    ] = False,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Folder of the SQLite file and caches (TOURNEE_DATA_DIR)."),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="SQLAlchemy URL, e.g. postgresql://… (TOURNEE_DATABASE_URL)."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1, max=64, help="Server processes (rate limits and caches are per process)."
        ),
    ] = 1,
) -> None:
    """Serve the API under /v1 (OpenAPI at /docs) — SQLite under the data folder by default."""

    from tournee.api.app import create_app
    from tournee.domain import TourneeError

    settings = Settings.from_env()
    if data_dir is not None:
        settings = settings.with_overrides(data_dir=data_dir)
    if database_url:
        settings = settings.with_overrides(database_url=database_url)
    try:
        app = create_app(settings)
        if demo:
            from tournee.api.app.demo import load_demo
            from tournee.domain import Profile

            typer.echo("loading the Helsinki demo (map, scenario)…", err=True)
            networks = app.state.networks
            with app.state.sessionmaker() as session:
                loaded = load_demo(session, map_path=networks.map_path, network=networks.get()[Profile.VAN])
            state = "created" if loaded.created else "already there; new tokens"
            typer.echo(
                f"demo tenant '{loaded.slug}' ({state}): {loaded.orders} orders, week of {loaded.start}"
            )
            for role, token in sorted(loaded.tokens.items()):
                typer.echo(f"  {role:<9} {token}")
            typer.echo(f"  public checkout: POST http://{host}:{port}/v1/public/{loaded.slug}/quotes")
    except TourneeError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(code=2) from None
    url = settings.effective_database_url
    shown = url if url.startswith("sqlite") else url.split("@")[-1]
    typer.echo(f"database: {shown}")
    typer.echo(f"API: http://{host}:{port}/v1  (OpenAPI: http://{host}:{port}/docs)")
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="info", log_config=log_config())
        return
    # Several processes: each builds its app from the environment (the overrides above go there).
    if data_dir is not None:
        os.environ["TOURNEE_DATA_DIR"] = str(data_dir)
    if database_url:
        os.environ["TOURNEE_DATABASE_URL"] = database_url
    os.environ["TOURNEE_MIGRATE_ON_STARTUP"] = "0"  # done once, above
    # uvicorn's supervisor restarts a worker that a solve keeps busy: plan in processes of their own.
    os.environ["TOURNEE_PLAN_EXECUTOR"] = "process"
    uvicorn.run(
        "tournee.api.app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=log_config(),
    )


class RedactTokens(logging.Filter):
    """Hide ``token=…`` query values in uvicorn's access log (page links may carry a token)."""

    _TOKEN = re.compile(r"(?i)(\btoken=)[^&\s]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._TOKEN.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = self._TOKEN.sub(r"\1***", record.msg)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with tokens redacted from the access log."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": f"{__name__}.RedactTokens"}
    config["handlers"]["access"].setdefault("filters", []).append("redact_tokens")
    return config


db_app = typer.Typer(
    help="The database: migrations (SQLite by default, PostgreSQL with TOURNEE_DATABASE_URL)."
)


@db_app.command("upgrade")
def db_upgrade(
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="SQLAlchemy URL (default: TOURNEE_DATABASE_URL or SQLite)."),
    ] = None,
    revision: Annotated[str, typer.Option("--revision", help="Target revision.")] = "head",
) -> None:
    """Apply the Alembic migrations (the API also does this when it starts)."""
    from tournee.api.db import current_revision, make_engine, upgrade
    from tournee.domain import TourneeError

    settings = Settings.from_env()
    url = database_url or settings.effective_database_url
    try:
        engine = make_engine(url)
        upgrade(engine, revision)
        typer.echo(f"database at revision {current_revision(engine)}")
    except TourneeError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(code=2) from None


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``db`` to the ``tournee`` app."""
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
