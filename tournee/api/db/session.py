"""Engines and sessions: SQLite (WAL, foreign keys on) or PostgreSQL, from one URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tournee.domain import InvalidInput

__all__ = ["make_engine", "make_sessionmaker"]


def make_engine(url: str) -> Engine:
    """Create the engine for ``url``.

    SQLite files get their folder created, WAL journaling, a busy timeout and foreign
    keys enforced; PostgreSQL URLs are used through psycopg 3.

    Raises
    ------
    InvalidInput
        If the URL is not a SQLite or PostgreSQL URL.
    """
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise InvalidInput(f"database url {url!r}: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True)
    raise InvalidInput(f"database url {url!r}: only sqlite and postgresql are supported")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine`` that keep loaded attributes after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)
