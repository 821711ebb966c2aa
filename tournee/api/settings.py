"""Settings of the HTTP API and its storage, in one place.

Read from the environment (prefix ``TOURNEE_``) only when :func:`Settings.from_env` is
called — never at import time — and overridable in tests by building a
:class:`Settings` directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from tournee.domain import InvalidInput

__all__ = ["ENV_PREFIX", "Settings"]

ENV_PREFIX = "TOURNEE_"


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "tournee"


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything the API reads from its environment.

    Attributes
    ----------
    data_dir
        Folder for the SQLite file and the address index (``TOURNEE_DATA_DIR``).
    database_url
        SQLAlchemy URL (``TOURNEE_DATABASE_URL``); default: ``sqlite:///<data_dir>/tournee.db``.
    max_body_bytes
        Largest JSON request body accepted, in bytes (``TOURNEE_MAX_BODY_BYTES``).
    max_csv_bytes
        Largest CSV upload accepted, in bytes (``TOURNEE_MAX_CSV_BYTES``).
    max_csv_rows
        Largest number of data rows in one CSV import (``TOURNEE_MAX_CSV_ROWS``).
    quote_rate_per_minute
        Anonymous quote requests allowed per client address and tenant per minute
        (``TOURNEE_QUOTE_RATE_PER_MINUTE``).
    quote_validity_s
        How long a quote stays valid, in seconds (``TOURNEE_QUOTE_VALIDITY_S``).
    plan_time_limit_s
        Solver time limit of one plan job, in seconds (``TOURNEE_PLAN_TIME_LIMIT_S``).
    plan_workers
        Worker threads running plan jobs (``TOURNEE_PLAN_WORKERS``).
    map_path
        OSM ``.pbf`` extract for address search and road travel (``TOURNEE_MAP_PATH``);
        default: the embedded central-Helsinki extract.
    geocoder_url
        Optional online geocoder (Nominatim-compatible ``/search``) used when the offline
        index finds nothing (``TOURNEE_GEOCODER_URL``); empty disables it.
    migrate_on_startup
        Run the Alembic migrations when the app starts (``TOURNEE_MIGRATE_ON_STARTUP``).
    plan_executor
        Where plan jobs run: ``thread`` (a worker thread of the server process) or
        ``process`` (a fresh process per job; needed with several server processes, whose
        supervisor restarts a worker busy with a solve) (``TOURNEE_PLAN_EXECUTOR``).
    quote_travel
        Travel used to price quotes: ``road`` (the map's roads, exact, ~5× slower) or
        ``straight`` (great circle × 1.3) (``TOURNEE_QUOTE_TRAVEL``).
    """

    data_dir: Path = field(default_factory=_default_data_dir)
    database_url: str = ""
    max_body_bytes: int = 1_000_000
    max_csv_bytes: int = 2_000_000
    max_csv_rows: int = 10_000
    quote_rate_per_minute: int = 120
    quote_validity_s: int = 1800
    plan_time_limit_s: float = 10.0
    plan_workers: int = 1
    map_path: Path | None = None
    geocoder_url: str = ""
    migrate_on_startup: bool = True
    quote_travel: str = "road"
    plan_executor: str = "thread"

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'tournee.db'}"

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some fields replaced (for tests and the CLI)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``TOURNEE_*`` variables.

        Raises
        ------
        InvalidInput
            If a variable holds a value of the wrong type.
        """
        env = os.environ if environ is None else environ
        base = cls()
        values: dict[str, object] = {}

        def get(name: str) -> str | None:
            raw = env.get(ENV_PREFIX + name.upper())
            return raw if raw not in (None, "") else None

        for name in ("max_body_bytes", "max_csv_bytes", "max_csv_rows", "quote_rate_per_minute"):
            raw = get(name)
            if raw is not None:
                values[name] = _int(name, raw)
        for name in ("quote_validity_s", "plan_workers"):
            raw = get(name)
            if raw is not None:
                values[name] = _int(name, raw)
        raw = get("plan_time_limit_s")
        if raw is not None:
            try:
                values["plan_time_limit_s"] = float(raw)
            except ValueError:
                raise InvalidInput(f"{ENV_PREFIX}PLAN_TIME_LIMIT_S must be a number, got {raw!r}") from None
        if (raw := get("data_dir")) is not None:
            values["data_dir"] = Path(raw).expanduser()
        if (raw := get("database_url")) is not None:
            values["database_url"] = raw
        if (raw := get("map_path")) is not None:
            values["map_path"] = Path(raw).expanduser()
        if (raw := get("geocoder_url")) is not None:
            values["geocoder_url"] = raw
        if (raw := get("quote_travel")) is not None:
            if raw not in ("road", "straight"):
                raise InvalidInput(f"{ENV_PREFIX}QUOTE_TRAVEL must be 'road' or 'straight', got {raw!r}")
            values["quote_travel"] = raw
        if (raw := get("plan_executor")) is not None:
            if raw not in ("thread", "process"):
                raise InvalidInput(f"{ENV_PREFIX}PLAN_EXECUTOR must be 'thread' or 'process', got {raw!r}")
            values["plan_executor"] = raw
        if (raw := get("migrate_on_startup")) is not None:
            values["migrate_on_startup"] = raw.lower() not in ("0", "false", "no", "off")
        return replace(base, **values)  # type: ignore[arg-type]


def _int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{ENV_PREFIX}{name.upper()} must be an integer, got {raw!r}") from None
    if value < 0:
        raise InvalidInput(f"{ENV_PREFIX}{name.upper()} must be >= 0, got {value}")
    return value
