"""Fixtures for the benchmark-suite tests: the literature instances in ``../shared/benchmarks``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SHARED


@pytest.fixture(scope="session")
def shared_benchmarks() -> Path:
    """The routing benchmark instances in ``../shared/benchmarks`` (skips the test when absent)."""
    where = SHARED / "benchmarks"
    if not (where / "bks.csv").is_file():
        pytest.skip(f"{where} is absent (shared benchmark data is optional)")
    return where
