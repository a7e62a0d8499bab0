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

from vipmg_core.backup.archive import (
    CATALOGUE_FILE,
    EXCLUDED_TABLES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    TABLES_DIR,
    BackupError,
    read_manifest,
    verify,
)
from vipmg_core.backup.restoring import RestoreResult, restore
from vipmg_core.backup.snapshot import BackupResult, Progress, backup

__all__ = [
    "CATALOGUE_FILE", "EXCLUDED_TABLES", "FORMAT", "FORMAT_VERSION", "MANIFEST", "TABLES_DIR", "BackupError",
    "BackupResult", "Progress", "RestoreResult", "backup", "read_manifest", "restore", "verify",
]
