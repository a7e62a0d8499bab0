"""The process-wide in-memory DuckDB that reads the warehouse's Parquet files, and quoting for the SQL built over it."""

from __future__ import annotations

import threading

import duckdb

from vipmg_core.sqltext import literal, quote

__all__ = ["duck", "literal", "quote"]

_duck_lock = threading.Lock()
_duck: duckdb.DuckDBPyConnection | None = None


def duck() -> duckdb.DuckDBPyConnection:
    """A cursor on the process-wide in-memory DuckDB; one per query, so Streamlit sessions never collide."""
    global _duck
    with _duck_lock:
        if _duck is None:
            _duck = duckdb.connect(config={"autoinstall_known_extensions": False,
                                           "autoload_known_extensions": False})
        return _duck.cursor()



