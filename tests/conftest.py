"""Shared fixtures: a demo warehouse built once per test session in its own directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from vipmg_core.warehouse import Warehouse

# The app warms each release in the background (vipmg_core/warmup.py); the suite's many small warehouses, and the
# servers it starts, build the cubes only, so a warm-up never competes with the tests for the machine.
os.environ.setdefault("VIPMG_WARMUP", "cubes")

PROJECT_DIR = Path(__file__).resolve().parent.parent
REALDATA = PROJECT_DIR.parent / "shared" / "realdata"


_MAIN = sys.modules["__main__"]


@pytest.fixture(autouse=True)
def _pytest_stays_main():
    """An AppTest runs the page as `__main__` and leaves it there; a process the next test spawns would then run
    Home.py again before its own work (seconds per child, and a warm-up cut at exit). Pytest is `__main__` again
    after every test."""
    yield
    sys.modules["__main__"] = _MAIN


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
