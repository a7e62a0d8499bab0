"""The catalogue: a small transactional store (SQLite in WAL mode) shared by every process.

The app (several processes), the CLI and imports read and write it at the same time; SQLite's WAL gives
readers a consistent snapshot while one writer commits, and the busy timeout queues writers instead of
failing. DuckDB never holds this file.
"""

from __future__ import annotations

import itertools
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from vipmg_core.config import PACKAGE_DIR

SCHEMA_VERSION = "1"
BUSY_TIMEOUT_MS = 30_000


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_id() -> str:
    """Unique and time-ordered, so the audit log sorts in the order things happened."""
    return f"{time.time_ns():016x}{secrets.token_hex(4)}"


class Catalogue:
    def __init__(self, path: Path):
        self.path = Path(path)
        # One read-only connection watching for commits, shared by every thread (Streamlit runs each rerun on a
        # new thread: a connection per thread would make every rerun look like a change).
        self._watch_lock = threading.Lock()
        self._watcher: tuple[tuple[int, int], sqlite3.Connection, int] | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as con:
            # catalogue.sql first (releases, audit log), then each feature's tables (catalogue_*.sql).
            for script in [PACKAGE_DIR / "catalogue.sql", *sorted(PACKAGE_DIR.glob("catalogue_*.sql"))]:
                con.executescript(script.read_text(encoding="utf-8"))
            con.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING",
                (SCHEMA_VERSION,),
            )

    _watchers = itertools.count()

    def changes(self) -> tuple:
        """A token that changes whenever anything is committed to the catalogue, by any connection of any
        process; cheap (no table is read), so readers keep what they derived from it until it changes."""
        stat = self.path.stat()
        file = (stat.st_dev, stat.st_ino)
        with self._watch_lock:
            if self._watcher is None or self._watcher[0] != file:  # first call, or the file was replaced
                if self._watcher is not None:
                    self._watcher[1].close()
                # PRAGMA data_version moves when any *other* connection commits; this one never writes.
                con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                      check_same_thread=False)
                self._watcher = (file, con, next(self._watchers))
            _, con, serial = self._watcher
            (version,), = con.execute("PRAGMA data_version").fetchall()
        return (*file, serial, version)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A short-lived connection; commits on success, rolls back on error."""
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        con.row_factory = sqlite3.Row
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            con.execute("PRAGMA foreign_keys=ON")
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking."""
        with self.connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        with self.connect() as con:
            return con.execute(sql, params).fetchall()

    @staticmethod
    def audit(con: sqlite3.Connection, actor: str, action: str, object_type: str, object_id: str,
              details: dict | None = None) -> None:
        """Write an audit entry inside the caller's transaction, so the entry and the change land together."""
        con.execute(
            "INSERT INTO audit_log (entry_id, at, actor, action, object_type, object_id, details)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (new_id(), now_utc(), actor, action, object_type, object_id,
             json.dumps(details or {}, ensure_ascii=False, sort_keys=True)),
        )

    def audit_entries(self, object_type: str | None = None, object_id: str | None = None) -> list[dict]:
        sql = "SELECT * FROM audit_log"
        clauses, params = [], []
        if object_type:
            clauses.append("object_type = ?")
            params.append(object_type)
        if object_id:
            clauses.append("object_id = ?")
            params.append(object_id)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        rows = self.query(sql + " ORDER BY entry_id", tuple(params))
        return [{**dict(r), "details": json.loads(r["details"])} for r in rows]

    # -- mapping profiles (one office's file layout, reused every month) --------------------------------------

    def save_mapping_profile(self, name: str, dataset_id: str, country: str, mapping_json: str, actor: str) -> str:
        """Create or replace the profile `name` of (dataset, country); returns its id."""
        stamp = now_utc()
        with self.transaction() as con:
            row = con.execute("SELECT profile_id FROM mapping_profiles WHERE dataset_id = ? AND country = ?"
                              " AND name = ?", (dataset_id, country, name)).fetchone()
            profile_id = row["profile_id"] if row else new_id()
            if row:
                con.execute("UPDATE mapping_profiles SET mapping = ?, updated_at = ? WHERE profile_id = ?",
                            (mapping_json, stamp, profile_id))
            else:
                con.execute("INSERT INTO mapping_profiles (profile_id, name, dataset_id, country, mapping, created_by,"
                            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (profile_id, name, dataset_id, country, mapping_json, actor, stamp, stamp))
            self.audit(con, actor, "save_mapping_profile", "mapping_profile", profile_id,
                       {"name": name, "dataset_id": dataset_id, "country": country})
        return profile_id

    def mapping_profile(self, dataset_id: str, country: str, name: str) -> str | None:
        rows = self.query("SELECT mapping FROM mapping_profiles WHERE dataset_id = ? AND country = ? AND name = ?",
                          (dataset_id, country, name))
        return rows[0]["mapping"] if rows else None

    def mapping_profiles(self, dataset_id: str, country: str) -> list[dict]:
        rows = self.query("SELECT profile_id, name, created_by, created_at, updated_at FROM mapping_profiles"
                          " WHERE dataset_id = ? AND country = ? ORDER BY name", (dataset_id, country))
        return [dict(r) for r in rows]
