"""Alembic environment: migrations run in code on a connection the caller passes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from tournee.api.db.models import Base
from tournee.api.db.session import make_engine

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the connection given in ``config.attributes`` or open one from the URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or ""
    engine = make_engine(url)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():  # pragma: no cover - offline SQL generation is not used
    raise RuntimeError("tournee migrations run online only")
run_migrations_online()
