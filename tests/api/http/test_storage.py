"""Storage: migrations in code on SQLite (WAL) and PostgreSQL, settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from tournee.api.db import current_revision, make_engine, upgrade
from tournee.api.db.models import Base
from tournee.api.settings import Settings
from tournee.domain import InvalidInput


def test_migrations_create_every_model_table(backend_settings: Settings) -> None:
    engine = make_engine(backend_settings.effective_database_url)
    upgrade(engine)  # a second run is a no-op
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert current_revision(engine) == "r0001"
    engine.dispose()


def test_sqlite_file_is_created_under_the_data_dir_in_wal_mode(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    assert (tmp_path / "data" / "tournee.db").is_file()
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_tournee_db_upgrade_command(tmp_path: Path) -> None:
    from tournee.api.cli import _register, app

    _register()
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = CliRunner().invoke(app, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "r0001" in result.output
    bad = CliRunner().invoke(app, ["db", "upgrade", "--database-url", "mysql://h/db"])
    assert bad.exit_code == 2


def test_settings_read_the_tournee_environment_lazily(tmp_path: Path) -> None:
    env = {
        "TOURNEE_DATA_DIR": str(tmp_path),
        "TOURNEE_MAX_CSV_BYTES": "1234",
        "TOURNEE_QUOTE_TRAVEL": "straight",
        "TOURNEE_MIGRATE_ON_STARTUP": "0",
    }
    settings = Settings.from_env(env)
    assert settings.data_dir == tmp_path
    assert settings.max_csv_bytes == 1234
    assert settings.quote_travel == "straight"
    assert settings.migrate_on_startup is False
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'tournee.db'}"
    with pytest.raises(InvalidInput, match="TOURNEE_MAX_BODY_BYTES"):
        Settings.from_env({"TOURNEE_MAX_BODY_BYTES": "lots"})
    with pytest.raises(InvalidInput, match="only sqlite and postgresql"):
        make_engine("oracle://x/y")
