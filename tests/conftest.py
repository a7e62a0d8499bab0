"""Shared fixtures: a demo warehouse built once per test session in its own directory."""

from __future__ import annotations

import os
import sys
import uuid
from functools import cache
from pathlib import Path

import pytest

from vipmg_core.catalogue import URL_VARIABLE
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


# -- the catalogue on SQLite and on PostgreSQL -------------------------------------------------------------------
# `make test` starts a local PostgreSQL (tools/start_postgres.sh) and passes its URL in VIPMG_TEST_PG_URL; each test
# (or module) gets a schema of its own there, dropped afterwards. Without a server the PostgreSQL runs skip, except
# in CI (CI=true), where they fail: CI must prove both back ends.
PG_TEST_URL = os.environ.get("VIPMG_TEST_PG_URL") or "postgresql://vipmg_test@127.0.0.1:55432/vipmg_test"
BACKENDS = ["sqlite", "postgresql"]


@cache
def _postgres_missing() -> str | None:
    """Why the PostgreSQL runs cannot happen here, or None."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install -r requirements.txt)"
    try:
        with psycopg.connect(PG_TEST_URL, connect_timeout=3) as con:
            con.execute("SELECT 1")
    except psycopg.Error as error:
        return (f"no PostgreSQL for the tests at {PG_TEST_URL} ({str(error).strip().splitlines()[0]}); "
                "start one with `sh tools/start_postgres.sh` (make test does)")
    return None


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _backend(backend: str, mp: pytest.MonkeyPatch):
    """Point VIPMG_CATALOGUE_URL (read by every Catalogue made meanwhile, here and in the processes a test starts)
    at a fresh PostgreSQL schema, or unset it for SQLite; yields the back end's name."""
    if backend == "sqlite":
        mp.delenv(URL_VARIABLE, raising=False)
        yield backend
        return
    missing = _postgres_missing()
    if missing:
        if _in_ci():
            pytest.fail(f"CI must run the catalogue tests on PostgreSQL too: {missing}")
        pytest.skip(missing)
    import psycopg

    from vipmg_core.catalogue_pg import close_pool

    schema = f"test_{uuid.uuid4().hex[:16]}"
    url = f"{PG_TEST_URL}{'&' if '?' in PG_TEST_URL else '?'}schema={schema}"
    mp.setenv(URL_VARIABLE, url)
    try:
        yield backend
    finally:
        close_pool(url)
        with psycopg.connect(PG_TEST_URL, autocommit=True) as con:
            con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=BACKENDS)
def catalogue_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """The test runs once on each back end of the catalogue (a fresh PostgreSQL schema per test)."""
    yield from _backend(request.param, monkeypatch)


@pytest.fixture(scope="module", params=BACKENDS)
def module_catalogue_backend(request: pytest.FixtureRequest):
    """The module's tests run once on each back end (one PostgreSQL schema for the module's shared fixtures)."""
    with pytest.MonkeyPatch.context() as mp:
        yield from _backend(request.param, mp)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: computes from what is stored rather than storing it, so the "
                            "catalogue's back end does not matter: its PostgreSQL run is deselected")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_pg = "postgresql" in (params.get("catalogue_backend"), params.get("module_catalogue_backend"))
        (drop if on_pg and item.get_closest_marker("sqlite_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
