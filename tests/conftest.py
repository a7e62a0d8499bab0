"""Shared fixtures: a demo warehouse built once per test session in its own directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vipmg_core.warehouse import Warehouse

# The app warms each release in the background (vipmg_core/warmup.py); the suite's many small warehouses, and the
# servers it starts, build the cubes only, so a warm-up never competes with the tests for the machine.
os.environ.setdefault("VIPMG_WARMUP", "cubes")

PROJECT_DIR = Path(__file__).resolve().parent.parent
REALDATA = PROJECT_DIR.parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse holding the default demo data; VIPMG_DATA_DIR points at it for the whole session."""
    from vipmg_core import demo

    root = tmp_path_factory.mktemp("warehouse")
    demo.build(Warehouse(root))
    os.environ["VIPMG_DATA_DIR"] = str(root)
    return root


@pytest.fixture(scope="session")
def demo_wh(demo_dir: Path) -> Warehouse:
    return Warehouse(demo_dir)


@pytest.fixture
def empty_wh(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "empty")


@pytest.fixture
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip(f"real public data folder {REALDATA} is absent (it sits beside the project in ../shared)")
    return REALDATA


@pytest.fixture(scope="session")
def realdata_dir() -> Path:
    """The same folder as `realdata`, for module- and session-scoped fixtures (which cannot use `realdata`)."""
    if not REALDATA.is_dir():
        pytest.skip(f"real public data folder {REALDATA} is absent (it sits beside the project in ../shared)")
    return REALDATA
