"""Backups of a store while the app runs, and their restore.

A backup is a folder laid out like the data directory, plus `manifest.json`:

    manifest.json             what the backup holds: every file with its size and SHA-256, the back end, the
                              catalogue's schema version, counts; written last (a folder without it is unfinished)
    catalogue.sqlite          the catalogue (SQLite back end), or
    catalogue/<table>.jsonl   its tables as JSON lines (PostgreSQL back end: portable, loads into either back end)
    warehouse/<ds>/<id>.parquet  every release file the catalogue lists (all versions, as the store keeps them)
    blobs/<xx>/<sha256>       the original of every submission the catalogue lists

Consistency while writers run: the catalogue is snapshotted first, in one read (SQLite's online backup API in a
single step; on PostgreSQL one REPEATABLE READ transaction), and then exactly the files *that snapshot* lists
are copied. Release files and originals are immutable and written before any record names them, so copying
after the snapshot is consistent: a publication committed meanwhile is wholly absent, one committed before
wholly there. Each copy's SHA-256 is checked against the catalogue's.

Not in a backup: web sessions and login throttling (a restore signs everyone out, and a session revoked after
the backup cannot come back), files no record names (left-overs the sweep removes), and caches (derived from
the data, rebuilt on first use). The public data pack and reference files ship with the code.

Before the snapshot, what killed sends left is swept (as every process's first store does), so no sweep takes a
listed file mid-copy. A backup that fails (a file missing or not matching its SHA-256 in the store) leaves its
folder as it found it.

A restore checks every file against the manifest before it writes anything, refuses a target that already
holds a store unless told to replace it (the catalogue replaced is kept aside in the data folder), writes the
files and then the catalogue (a restore cut short names nothing), and records itself in the restored audit log.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from vipmg_core import catalogue_pg as pg
from vipmg_core.catalogue import (
    BUSY_TIMEOUT_MS,
    SCHEMA_VERSION,
    Catalogue,
    base_scripts,
    configured_url,
    migration_steps,
    now_utc,
)
from vipmg_core.config import data_dir
from vipmg_core.i18n import TranslatedError

FORMAT = "vipmg-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CATALOGUE_FILE = "catalogue.sqlite"
TABLES_DIR = "catalogue"
# Tables whose rows a backup leaves out: sign-ins (a restore must not bring back a session revoked since) and the
# back-off of failed logins (transient).
EXCLUDED_TABLES = ("web_sessions", "login_throttle")
_CHUNK = 1 << 20

Progress = Callable[[str, int, int], None]  # (stage, done, total): "snapshot" once taken, then "files"


class BackupError(TranslatedError):
    prefix = "backup.error"


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


# -- taking a backup ---------------------------------------------------------------------------------------------

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
            listed = _snapshot_postgres(url, target)
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
            source = root / _safe_relative(relative)
            if not source.is_file():
                raise BackupError("source_missing", file=relative)
            damaged = lambda f=relative: BackupError("source_damaged", file=f)
            size = _copy_checked(source, target / _safe_relative(relative), sha, damaged)
            files.append({"path": relative, "size": size, "sha256": sha, "kind": kind})
            if progress:
                progress("files", done, len(wanted))
        manifest = {
            "format": FORMAT, "version": FORMAT_VERSION, "created_at": listed.taken_at, "backend": backend,
            "schema_version": listed.schema_version, "source": str(root),
            "counts": listed.counts, "excluded": list(EXCLUDED_TABLES), "files": files,
        }
        _write_atomically(target / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
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
            if _sqlite_has_table(con, table):
                con.execute(f"DELETE FROM {_q(table)}")
        con.execute("VACUUM")  # the deleted rows' pages too
        releases, originals, version, counts = _listing(lambda sql: con.execute(sql).fetchall())
    finally:
        con.close()
    entry = {"path": CATALOGUE_FILE, "size": copy.stat().st_size, "sha256": _sha256(copy), "kind": "catalogue"}
    return _Listed([entry], releases, originals, version, counts, taken_at)


def _snapshot_postgres(url: str, target: Path) -> _Listed:
    """Every table in one REPEATABLE READ, READ ONLY transaction (one consistent state; writers go on), written
    as JSON lines: the first line the column names, then one array per row."""
    folder = target / TABLES_DIR
    folder.mkdir()
    entries = []
    with pg.connect(url) as con:
        con.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            tables = _pg_tables(con)
            for table in tables:
                if table in EXCLUDED_TABLES:
                    continue
                cursor = con.raw.execute(f"SELECT * FROM {_q(table)}")
                columns = [c.name for c in cursor.description]
                lines = [json.dumps({"table": table, "columns": columns}, ensure_ascii=False)]
                lines += [json.dumps(list(row), ensure_ascii=False) for row in _sorted_rows(cursor.fetchall())]
                path = folder / f"{table}.jsonl"
                _write_atomically(path, ("\n".join(lines) + "\n").encode("utf-8"))
                entries.append({"path": f"{TABLES_DIR}/{table}.jsonl", "size": path.stat().st_size,
                                "sha256": _sha256(path), "kind": "catalogue"})
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


# -- restoring ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RestoreResult:
    root: Path
    manifest: dict
    backend: str
    replaced: Path | None  # where the catalogue that was there went (with `replace`)


def read_manifest(folder: Path) -> dict:
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError("not_a_backup", path=str(folder)) from None
    except (ValueError, UnicodeDecodeError):
        raise BackupError("damaged", file=MANIFEST, reason="not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("files"),
                                                                                             list):
        raise BackupError("not_a_backup", path=str(folder))
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError("format_version", version=str(manifest.get("version")), supported=str(FORMAT_VERSION))
    return manifest


def verify(folder: Path) -> dict:
    """The manifest, once every file it lists is there, whole (size and SHA-256), and inside the backup; a damaged
    backup raises BackupError naming the first bad file."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    for entry in manifest["files"]:
        try:
            relative, size, sha = entry["path"], int(entry["size"]), str(entry["sha256"])
        except (KeyError, TypeError, ValueError):
            raise BackupError("damaged", file=MANIFEST, reason="a file entry lacks path, size or sha256") from None
        path = folder / _safe_relative(relative)
        if not path.is_file():
            raise BackupError("damaged", file=relative, reason="missing")
        if path.stat().st_size != size:
            raise BackupError("damaged", file=relative, reason=f"{path.stat().st_size} bytes, not {size}")
        if _sha256(path) != sha:
            raise BackupError("damaged", file=relative, reason="SHA-256 differs")
    if int(manifest.get("schema_version", 0)) > int(SCHEMA_VERSION):
        raise BackupError("newer_schema", version=str(manifest["schema_version"]), supported=SCHEMA_VERSION)
    return manifest


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
        destination = root / _safe_relative(entry["path"])
        if destination.is_file() and _sha256(destination) == entry["sha256"]:
            continue  # immutable and content-checked: already there
        _copy_checked(folder / entry["path"], destination, entry["sha256"],
                      lambda f=entry["path"]: BackupError("damaged", file=f, reason="SHA-256 differs"))

    replaced = None
    if backend == "sqlite":
        replaced = _set_aside(root) if occupied else _remove_empty_catalogue(root)
        if manifest["backend"] == "sqlite":
            tmp = root / f".{CATALOGUE_FILE}.restore.tmp"
            _copy_checked(folder / CATALOGUE_FILE, tmp, _entry(manifest, CATALOGUE_FILE)["sha256"],
                          lambda: BackupError("damaged", file=CATALOGUE_FILE, reason="SHA-256 differs"))
            os.replace(tmp, root / CATALOGUE_FILE)
            cat = Catalogue(root / CATALOGUE_FILE, None)  # brings an older schema up to date
            with cat.transaction() as con:
                _audit_restore(con, actor, root, manifest, replaced)
            return RestoreResult(root, manifest, backend, replaced)
    elif occupied:  # PostgreSQL: its tables as they were, as JSON lines, before they are emptied
        replaced = root / f"catalogue.before-restore-{_stamp()}"
        replaced.mkdir()
        _snapshot_postgres(url, replaced)
    cat = Catalogue(root / CATALOGUE_FILE, url)
    with cat.transaction() as con:
        if occupied:
            for table in reversed(_ordered(_tables(con, backend))):
                if table != "meta":
                    con.execute(f"DELETE FROM {_q(table)}")
        _load_tables(con, backend, _backup_tables(folder, manifest))
        _audit_restore(con, actor, root, manifest, replaced)
    return RestoreResult(root, manifest, backend, replaced)


def _audit_restore(con, actor: str, root: Path, manifest: dict, replaced: Path | None) -> None:
    Catalogue.audit(con, actor, "restore", "store", root.name,
                    {"backup_taken_at": manifest["created_at"], "from_backend": manifest["backend"],
                     "source": manifest.get("source", ""), "files": len(manifest["files"]),
                     "replaced": str(replaced) if replaced else None})


def _entry(manifest: dict, path: str) -> dict:
    for entry in manifest["files"]:
        if entry["path"] == path:
            return entry
    raise BackupError("damaged", file=path, reason="not in the manifest")


def _catalogue_in_use(root: Path, url: str | None) -> bool:
    """Whether the target catalogue holds anything beyond an empty schema."""
    if url:
        cat = Catalogue(root / CATALOGUE_FILE, url)
        with cat.connect() as con:
            return any(con.execute(f"SELECT 1 FROM {_q(t)} LIMIT 1").fetchone()
                       for t in _tables(con, "postgresql") if t != "meta")
    path = root / CATALOGUE_FILE
    if not path.exists():
        return False
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        return any(con.execute(f"SELECT 1 FROM {_q(t)} LIMIT 1").fetchone()
                   for t in _tables(con, "sqlite") if t != "meta")
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
    try:
        dest = sqlite3.connect(kept)
        try:
            live.backup(dest)
        finally:
            dest.close()
    except sqlite3.DatabaseError:  # not a catalogue at all: kept as it is
        kept.unlink(missing_ok=True)
        os.replace(path, kept)
    finally:
        live.close()
    _remove_empty_catalogue(root)
    return kept


def _stamp() -> str:
    return now_utc().replace(":", "").replace("+0000", "Z")


def _remove_empty_catalogue(root: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (root / f"{CATALOGUE_FILE}{suffix}").unlink(missing_ok=True)


# -- tables, portable ----------------------------------------------------------------------------------------

def _tables(con, backend: str) -> list[str]:
    if backend == "sqlite":
        rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    else:
        rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                           " AND table_type = 'BASE TABLE'")
    return [row[0] for row in rows.fetchall()]


def _pg_tables(con) -> list[str]:
    return _tables(con.raw, "postgresql")


def _ordered(tables: Iterable[str]) -> list[str]:
    """Tables in the order the schema creates them, so a table comes after those it references."""
    order: list[str] = []
    scripts = [*base_scripts(), *(p for step in sorted(migration_steps().items()) for p in step[1].values())]
    for script in scripts:
        if script.suffix != ".sql":
            continue
        for statement in pg.split_script(script.read_text(encoding="utf-8")):
            code = "\n".join(line for line in statement.splitlines() if not line.strip().startswith("--"))
            words = code.replace("(", " ").split()
            upper = [w.upper() for w in words]
            if upper[:2] == ["CREATE", "TABLE"]:
                name = words[5] if upper[2:5] == ["IF", "NOT", "EXISTS"] else words[2]
                if name not in order:
                    order.append(name)
    tables = list(tables)
    return [t for t in order if t in tables] + sorted(t for t in tables if t not in order)


def _backup_tables(folder: Path, manifest: dict) -> dict[str, tuple[list[str], list[list]]]:
    """{table: (columns, rows)} of a backup, from its SQLite file or its JSON lines."""
    out: dict[str, tuple[list[str], list[list]]] = {}
    if manifest["backend"] == "sqlite":
        con = sqlite3.connect(f"file:{folder / CATALOGUE_FILE}?mode=ro", uri=True)
        try:
            for table in _tables(con, "sqlite"):
                cursor = con.execute(f"SELECT * FROM {_q(table)}")
                out[table] = ([c[0] for c in cursor.description], [list(r) for r in cursor.fetchall()])
        finally:
            con.close()
        return out
    for entry in manifest["files"]:
        if entry["kind"] != "catalogue":
            continue
        lines = (folder / entry["path"]).read_text(encoding="utf-8").splitlines()
        head = json.loads(lines[0])
        out[head["table"]] = (head["columns"], [json.loads(line) for line in lines[1:] if line])
    return out


def _load_tables(con, backend: str, tables: dict[str, tuple[list[str], list[list]]]) -> None:
    """Insert a backup's rows into the (empty) catalogue of `con`, parents first; `meta` is the target's own."""
    present = set(_tables(con, backend))
    for table in _ordered(tables):
        if table == "meta" or table in EXCLUDED_TABLES:
            continue
        if table not in present:
            raise BackupError("schema_differs", version=table, current=SCHEMA_VERSION)
        columns, rows = tables[table]
        if rows:
            names = ", ".join(_q(c) for c in columns)
            marks = ", ".join("?" for _ in columns)
            con.executemany(f"INSERT INTO {_q(table)} ({names}) VALUES ({marks})", [tuple(r) for r in rows])


def _sqlite_has_table(con: sqlite3.Connection, table: str) -> bool:
    return con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is not None


def _sorted_rows(rows: list) -> list:
    return sorted(rows, key=lambda r: json.dumps(list(r), ensure_ascii=False, default=str))


# -- files ---------------------------------------------------------------------------------------------------

def _safe_relative(relative: str) -> Path:
    """A path from a manifest or a catalogue, refused if it could leave the folder it is read against."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in relative:
        raise BackupError("unsafe_path", file=relative)
    return Path(*pure.parts)


def _copy_checked(source: Path, destination: Path, sha256: str, error: Callable[[], BackupError]) -> int:
    """Copy through a temporary file, hashing on the way; the copy takes its name only if its SHA-256 is
    `sha256`. Returns the size."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_name(f".{destination.name}.tmp")  # what the sweep takes for a left-over
    digest, size = hashlib.sha256(), 0
    try:
        with source.open("rb") as reader, tmp.open("wb") as writer:
            for block in iter(lambda: reader.read(_CHUNK), b""):
                digest.update(block)
                writer.write(block)
                size += len(block)
            writer.flush()
            os.fsync(writer.fileno())
        if digest.hexdigest() != sha256:
            raise error()
        os.replace(tmp, destination)
    finally:
        tmp.unlink(missing_ok=True)
    return size


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
