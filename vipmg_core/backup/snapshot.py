"""Taking a backup while the app runs: the catalogue snapshotted in one read, then exactly the files that snapshot
lists, each checked against its SHA-256."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from vipmg_core import catalogue_pg as pg
from vipmg_core.backup.archive import (
    CATALOGUE_FILE,
    EXCLUDED_TABLES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    TABLES_DIR,
    BackupError,
    copy_checked,
    file_sha256,
    safe_relative,
    write_atomically,
)
from vipmg_core.backup.tables import quote, sorted_rows, sqlite_has_table, table_names
from vipmg_core.catalogue import BUSY_TIMEOUT_MS, Catalogue, configured_url, now_utc
from vipmg_core.config import data_dir

Progress = Callable[[str, int, int], None]  # (stage, done, total): "snapshot" once taken, then "files"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict

    @property
    def files(self) -> int:
        return len(self.manifest["files"])

    @property
    def size(self) -> int:
        return sum(f["size"] for f in self.manifest["files"])


def backup(target: Path, root: Path | None = None, *, url: str | None = None, actor: str = "system",
           progress: Progress | None = None) -> BackupResult:
    """Back up the store in `root` (default: the data directory; its catalogue on `url` or VIPMG_CATALOGUE_URL
    when set) into the new or empty folder `target`, while the app keeps running."""
    root = Path(root) if root else data_dir()
    target = Path(target)
    url = url or configured_url()
    if not url and not (root / CATALOGUE_FILE).exists():
        raise BackupError("no_store", path=str(root))
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError("target_not_empty", path=str(target))
    if target.resolve() == root.resolve() or root.resolve() in target.resolve().parents:
        raise BackupError("inside_store", path=str(target))
    if url == configured_url():
        _swept(root)
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    try:
        if url:
            listed = snapshot_postgres(url, target)
            backend = "postgresql"
        else:
            listed = _snapshot_sqlite(root / CATALOGUE_FILE, target)
            backend = "sqlite"
        files = [*listed.catalogue_files]
        wanted = [(path, sha, "release") for path, sha in listed.releases] + \
                 [(f"blobs/{sha[:2]}/{sha}", sha, "original") for sha in listed.originals]
        if progress:
            progress("snapshot", 0, len(wanted))
        for done, (relative, sha, kind) in enumerate(wanted, 1):
            source = root / safe_relative(relative)
            if not source.is_file():
                raise BackupError("source_missing", file=relative)
            damaged = partial(BackupError, "source_damaged", file=relative)
            size = copy_checked(source, target / safe_relative(relative), sha, damaged)
            files.append({"path": relative, "size": size, "sha256": sha, "kind": kind})
            if progress:
                progress("files", done, len(wanted))
        manifest = {
            "format": FORMAT, "version": FORMAT_VERSION, "created_at": listed.taken_at, "backend": backend,
            "schema_version": listed.schema_version, "source": str(root),
            "counts": listed.counts, "excluded": list(EXCLUDED_TABLES), "files": files,
        }
        write_atomically(target / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
    except BaseException:  # nothing half-made stays: the folder is as it was (absent or empty)
        if created:
            shutil.rmtree(target, ignore_errors=True)
        else:
            for child in target.iterdir():
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        raise
    cat = Catalogue(root / CATALOGUE_FILE, url)
    with cat.transaction() as con:
        Catalogue.audit(con, actor, "backup", "store", root.name,
                        {"to": str(target), "files": len(files), "taken_at": listed.taken_at, "backend": backend})
    return BackupResult(target, manifest)


def _swept(root: Path) -> None:
    """What killed sends left (staged releases no submission names, their files) is swept first, as every process's
    first store does, so a sweep does not take a file the snapshot lists while it is being copied."""
    from vipmg_core.submissions import SubmissionStore
    from vipmg_core.warehouse import Warehouse

    SubmissionStore(Warehouse(root))


@dataclass(frozen=True)
class _Listed:
    """What a catalogue snapshot lists: its own files in the backup, release files, originals."""
    catalogue_files: list[dict]
    releases: list[tuple[str, str]]
    originals: list[str]
    schema_version: str
    counts: dict[str, int]
    taken_at: str


def _snapshot_sqlite(source: Path, target: Path) -> _Listed:
    """SQLite's online backup API, in one step: one read transaction, so one consistent state; writers go on
    (WAL). Then, in the copy, the rows a backup leaves out are removed and the file compacted."""
    copy = target / CATALOGUE_FILE
    live = sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        live.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        dest = sqlite3.connect(copy, isolation_level=None)
        try:
            live.backup(dest)  # pages=-1: every page in one step
        finally:
            dest.close()
    finally:
        live.close()
    taken_at = now_utc()
    con = sqlite3.connect(copy, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=DELETE")  # a single file; the restored store turns WAL on again
        for table in EXCLUDED_TABLES:
            if sqlite_has_table(con, table):
                con.execute(f"DELETE FROM {quote(table)}")
        con.execute("VACUUM")  # the deleted rows' pages too
        releases, originals, version, counts = _listing(lambda sql: con.execute(sql).fetchall())
    finally:
        con.close()
    entry = {"path": CATALOGUE_FILE, "size": copy.stat().st_size, "sha256": file_sha256(copy), "kind": "catalogue"}
    return _Listed([entry], releases, originals, version, counts, taken_at)


def snapshot_postgres(url: str, target: Path) -> _Listed:
    """Every table in one REPEATABLE READ, READ ONLY transaction (one consistent state; writers go on), written
    as JSON lines: the first line the column names, then one array per row."""
    folder = target / TABLES_DIR
    folder.mkdir()
    entries = []
    with pg.connect(url) as con:
        con.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            tables = table_names(con.raw, "postgresql")
            for table in tables:
                if table in EXCLUDED_TABLES:
                    continue
                cursor = con.raw.execute(f"SELECT * FROM {quote(table)}")
                columns = [c.name for c in cursor.description]
                lines = [json.dumps({"table": table, "columns": columns}, ensure_ascii=False)]
                lines += [json.dumps(list(row), ensure_ascii=False) for row in sorted_rows(cursor.fetchall())]
                path = folder / f"{table}.jsonl"
                write_atomically(path, ("\n".join(lines) + "\n").encode("utf-8"))
                entries.append({"path": f"{TABLES_DIR}/{table}.jsonl", "size": path.stat().st_size,
                                "sha256": file_sha256(path), "kind": "catalogue"})
            releases, originals, version, counts = _listing(lambda sql: con.raw.execute(sql).fetchall())
            taken_at = now_utc()
        finally:
            con.raw.execute("ROLLBACK")
    return _Listed(entries, releases, originals, version, counts, taken_at)


def _listing(read: Callable[[str], list]) -> tuple[list[tuple[str, str]], list[str], str, dict[str, int]]:
    releases = [(path, sha) for path, sha in read("SELECT path, sha256 FROM releases ORDER BY path")]
    originals = [sha for (sha,) in read("SELECT DISTINCT file_sha256 FROM submissions ORDER BY file_sha256")]
    ((version,),) = read("SELECT value FROM meta WHERE key = 'schema_version'")
    counts = {table: read(f"SELECT COUNT(*) FROM {table}")[0][0]
              for table in ("releases", "submissions", "accounts", "audit_log")}
    return releases, originals, str(version), counts

