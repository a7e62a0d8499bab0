"""Restoring a backup: every file checked against the manifest before anything is written, the store's files
first and the catalogue that names them last."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from vipmg_core import catalogue_pg as pg
from vipmg_core.backup.archive import (
    CATALOGUE_FILE,
    BackupError,
    copy_checked,
    file_sha256,
    manifest_entry,
    safe_relative,
    verify,
)
from vipmg_core.backup.snapshot import snapshot_postgres
from vipmg_core.backup.tables import load_tables, ordered, quote, read_backup_tables, table_names
from vipmg_core.catalogue import BUSY_TIMEOUT_MS, SCHEMA_VERSION, Catalogue, configured_url, now_utc
from vipmg_core.config import data_dir


@dataclass(frozen=True)
class RestoreResult:
    root: Path
    manifest: dict
    backend: str
    replaced: Path | None  # where the catalogue that was there went (with `replace`)


def restore(folder: Path, into: Path | None = None, *, url: str | None = None, replace: bool = False,
            actor: str = "system") -> RestoreResult:
    """Bring the backup in `folder` back into the data directory `into` (default: the configured one; its
    catalogue on `url` or VIPMG_CATALOGUE_URL when set). The target must hold no store unless `replace`; stop the
    app while restoring."""
    folder = Path(folder)
    root = Path(into) if into else data_dir()
    url = url or configured_url()
    manifest = verify(folder)
    backend = "postgresql" if url else "sqlite"
    store_files = [e for e in manifest["files"] if e["kind"] != "catalogue"]
    loads_rows = backend != manifest["backend"] or backend == "postgresql"
    if loads_rows and manifest["schema_version"] != SCHEMA_VERSION:  # rows go in as they are: same tables needed
        raise BackupError("schema_differs", version=str(manifest["schema_version"]), current=SCHEMA_VERSION)
    occupied = _catalogue_in_use(root, url)  # files no catalogue names are left-overs (of a restore cut short)
    if occupied and not replace:
        raise BackupError("target_not_empty_store", path=str(url and pg.redact(url) or root))

    root.mkdir(parents=True, exist_ok=True)
    for entry in store_files:  # first the files, then the catalogue that names them: a cut restore names nothing
        destination = root / safe_relative(entry["path"])
        if destination.is_file() and file_sha256(destination) == entry["sha256"]:
            continue  # immutable and content-checked: already there
        copy_checked(folder / entry["path"], destination, entry["sha256"],
                     partial(BackupError, "damaged", file=entry["path"], reason="SHA-256 differs"))

    replaced = None
    if not url:  # SQLite
        if occupied:
            replaced = _set_aside(root)
        else:
            _remove_empty_catalogue(root)
        if manifest["backend"] == "sqlite":
            tmp = root / f".{CATALOGUE_FILE}.restore.tmp"
            copy_checked(folder / CATALOGUE_FILE, tmp, manifest_entry(manifest, CATALOGUE_FILE)["sha256"],
                         partial(BackupError, "damaged", file=CATALOGUE_FILE, reason="SHA-256 differs"))
            os.replace(tmp, root / CATALOGUE_FILE)
            cat = Catalogue(root / CATALOGUE_FILE, None)  # brings an older schema up to date
            with cat.transaction() as con:
                _audit_restore(con, actor, root, manifest, replaced)
            return RestoreResult(root, manifest, backend, replaced)
    elif occupied:  # PostgreSQL: its tables as they were, as JSON lines, before they are emptied
        replaced = root / f"catalogue.before-restore-{_stamp()}"
        replaced.mkdir()
        snapshot_postgres(url, replaced)
    cat = Catalogue(root / CATALOGUE_FILE, url)
    with cat.transaction() as con:
        if occupied:
            for table in reversed(ordered(table_names(con, backend))):
                if table != "meta":
                    con.execute(f"DELETE FROM {quote(table)}")
        load_tables(con, backend, read_backup_tables(folder, manifest))
        _audit_restore(con, actor, root, manifest, replaced)
    return RestoreResult(root, manifest, backend, replaced)


def _audit_restore(con, actor: str, root: Path, manifest: dict, replaced: Path | None) -> None:
    Catalogue.audit(con, actor, "restore", "store", root.name,
                    {"backup_taken_at": manifest["created_at"], "from_backend": manifest["backend"],
                     "source": manifest.get("source", ""), "files": len(manifest["files"]),
                     "replaced": str(replaced) if replaced else None})


def _catalogue_in_use(root: Path, url: str | None) -> bool:
    """Whether the target catalogue holds anything beyond an empty schema."""
    if url:
        cat = Catalogue(root / CATALOGUE_FILE, url)
        with cat.connect() as con:
            return any(con.execute(f"SELECT 1 FROM {quote(t)} LIMIT 1").fetchone()
                       for t in table_names(con, "postgresql") if t != "meta")
    path = root / CATALOGUE_FILE
    if not path.exists():
        return False
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        return any(con.execute(f"SELECT 1 FROM {quote(t)} LIMIT 1").fetchone()
                   for t in table_names(con, "sqlite") if t != "meta")
    except sqlite3.DatabaseError:  # not a catalogue: something is there, not to be overwritten unasked
        return True
    finally:
        con.close()


def _set_aside(root: Path) -> Path | None:
    """Keep the catalogue being replaced as `catalogue.before-restore-<time>.sqlite` (whole, WAL included)."""
    path = root / CATALOGUE_FILE
    if not path.exists():
        return None
    kept = root / f"catalogue.before-restore-{_stamp()}.sqlite"
    live = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    damaged = False
    try:
        dest = sqlite3.connect(kept)
        try:
            live.backup(dest)
        finally:
            dest.close()
    except sqlite3.DatabaseError:  # not a catalogue at all: kept as it is
        damaged = True
    finally:
        live.close()
    if damaged:  # moved only once closed: Windows cannot rename a file that is open
        kept.unlink(missing_ok=True)
        os.replace(path, kept)
    _remove_empty_catalogue(root)
    return kept


def _stamp() -> str:
    return now_utc().replace(":", "").replace("+0000", "Z")


def _remove_empty_catalogue(root: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (root / f"{CATALOGUE_FILE}{suffix}").unlink(missing_ok=True)

