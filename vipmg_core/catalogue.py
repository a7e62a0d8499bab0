"""The catalogue: a small transactional store shared by every process: SQLite in WAL mode by default, or
PostgreSQL when `VIPMG_CATALOGUE_URL=postgresql://...` is set (vipmg_core/catalogue_pg.py).

The app (several processes), the CLI and imports read and write it at the same time; SQLite's WAL gives
readers a consistent snapshot while one writer commits, and the busy timeout queues writers instead of
failing; on PostgreSQL an advisory lock queues writers the same way. DuckDB never holds this file.

The schema: catalogue.sql and catalogue_*.sql are version 1 (CREATE ... IF NOT EXISTS, portable SQL); every
later change is a numbered step in vipmg_core/migrations/ (see its README), applied in order on opening, all in
one write transaction, and recorded in meta.schema_version.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vipmg_core import catalogue_pg as pg
from vipmg_core.config import PACKAGE_DIR

BUSY_TIMEOUT_MS = 30_000
URL_VARIABLE = "VIPMG_CATALOGUE_URL"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
# A step: 0002_what_it_does.sql (both back ends), 0002_what_it_does.sqlite.sql / .postgresql.sql (one each), or
# 0002_what_it_does.py defining upgrade(con, backend).
_STEP = re.compile(r"^(\d{4})_[A-Za-z0-9_]+(?:\.(sqlite|postgresql))?\.(sql|py)$")

Connection = Any  # sqlite3.Connection, or catalogue_pg.Connection: both take `?` SQL and give rows by name


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_id() -> str:
    """Unique and time-ordered, so the audit log sorts in the order things happened."""
    return f"{time.time_ns():016x}{secrets.token_hex(4)}"


def configured_url() -> str | None:
    """The PostgreSQL catalogue this deployment uses, or None for the SQLite file in the data folder."""
    return os.environ.get(URL_VARIABLE, "").strip() or None


def base_scripts() -> list[Path]:
    """Version 1 of the schema: catalogue.sql first (releases, audit log), then each feature's tables."""
    return [PACKAGE_DIR / "catalogue.sql", *sorted(PACKAGE_DIR.glob("catalogue_*.sql"))]


def migration_steps(folder: Path = MIGRATIONS_DIR) -> dict[int, dict[str | None, Path]]:
    """The steps after version 1, by number: {number: {None or back end: file}}."""
    steps: dict[int, dict[str | None, Path]] = {}
    for path in sorted(Path(folder).glob("*")) if Path(folder).is_dir() else []:
        match = _STEP.match(path.name)
        if not match:
            continue
        number, backend = int(match.group(1)), match.group(2)
        if number < 2:
            raise ValueError(f"{path.name}: version 1 is catalogue*.sql; steps start at 0002")
        if backend in steps.setdefault(number, {}):
            raise ValueError(f"two migration steps {number:04d} for {backend or 'both back ends'}")
        steps[number][backend] = path
    return steps


def latest_version(folder: Path = MIGRATIONS_DIR) -> int:
    return max([1, *migration_steps(folder)])


SCHEMA_VERSION = str(latest_version())
_installed: set[tuple] = set()  # PostgreSQL catalogues this process has already brought up to date
_installed_lock = threading.Lock()


class Catalogue:
    def __init__(self, path: Path, url: str | None = None, *, migrations: Path = MIGRATIONS_DIR):
        """The catalogue at `url` (PostgreSQL), else at VIPMG_CATALOGUE_URL, else the SQLite file `path`."""
        self.path = Path(path)
        self.url = url or configured_url()  # None exactly when the back end is SQLite
        if self.url and not pg.is_postgres_url(self.url):
            raise ValueError(f"{URL_VARIABLE} must be a postgresql:// URL, not {pg.redact(self.url)!r}")
        self.backend = "postgresql" if self.url else "sqlite"
        self.migrations = Path(migrations)
        # One read-only connection watching for commits, shared by every thread (Streamlit runs each rerun on a
        # new thread: a connection per thread would make every rerun look like a change).
        self._watch_lock = threading.Lock()
        self._watcher: tuple[tuple[int, int], sqlite3.Connection, int] | None = None
        if self.backend == "sqlite":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._install()
        else:
            key = (os.getpid(), self.url, str(self.migrations.resolve()))
            with _installed_lock:
                if key not in _installed:
                    self._install()
                    _installed.add(key)

    def _install(self) -> None:
        """Create version 1 where missing and apply the steps after the stored version, in one write transaction
        (two processes opening a new catalogue at once queue; a failing step leaves the catalogue as it was)."""
        steps = migration_steps(self.migrations)
        latest = max([1, *steps])
        with self._write(count=False) as con:
            for script in base_scripts():
                for statement in pg.split_script(script.read_text(encoding="utf-8")):
                    con.execute(statement)
            con.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1') ON CONFLICT (key) DO NOTHING")
            if self.backend == "postgresql":
                con.execute("INSERT INTO meta (key, value) VALUES ('changes', '0') ON CONFLICT (key) DO NOTHING")
            (stored,), = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
            current = int(stored)
            if current > latest:
                raise RuntimeError(f"the catalogue is at schema version {current}, newer than this code's {latest}:"
                                   " update the code")
            for number in sorted(n for n in steps if n > current):
                path = steps[number].get(self.backend) or steps[number].get(None)
                if path is None:
                    raise RuntimeError(f"migration step {number:04d} has no file for {self.backend}")
                _apply(con, path, self.backend)
            if latest > current:
                con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(latest),))
                self.audit(con, "system", "migrate", "catalogue", "schema", {"from": current, "to": latest})

    @staticmethod
    def exists(path: Path) -> bool:
        """Whether a catalogue is there to open (a configured PostgreSQL one always is)."""
        return configured_url() is not None or Path(path).exists()

    _watchers = itertools.count()

    def changes(self) -> tuple:
        """A token that changes whenever anything is committed to the catalogue, by any connection of any
        process; cheap (SQLite: no table is read; PostgreSQL: one row, moved by every write transaction), so
        readers keep what they derived from it until it changes."""
        if self.url is not None:
            return pg.changes(self.url)
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
    def connect(self) -> Iterator[Connection]:
        """A short-lived connection (autocommit: each statement on its own; write in `transaction()`)."""
        if self.url is not None:
            with pg.connect(self.url) as pg_con:
                yield pg_con
            return
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
    def transaction(self) -> Iterator[Connection]:
        """BEGIN IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking (on
        PostgreSQL an advisory lock taken first does the same); commits on success, rolls back on error."""
        with self._write() as con:
            yield con

    @contextmanager
    def _write(self, count: bool = True) -> Iterator[Connection]:
        if self.url is not None:
            with pg.transaction(self.url, count=count) as pg_con:
                yield pg_con
            return
        with self.connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        """Rows read by index or by column name (sqlite3.Row, or catalogue_pg.Row on PostgreSQL)."""
        with self.connect() as con:
            return con.execute(sql, params).fetchall()

    @staticmethod
    def audit(con: Connection, actor: str, action: str, object_type: str, object_id: str,
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


def _apply(con: Connection, path: Path, backend: str) -> None:
    """One migration step, inside the caller's transaction."""
    if path.suffix == ".py":
        spec = importlib.util.spec_from_file_location(f"vipmg_migration_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load the migration step {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.upgrade(con, backend)
    else:
        for statement in pg.split_script(path.read_text(encoding="utf-8")):
            con.execute(statement)
