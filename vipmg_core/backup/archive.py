"""The backup folder: its format (`manifest.json` and the files it lists) and the checked, atomic file copies
that write and read it."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from vipmg_core.blobs import file_sha256
from vipmg_core.catalogue import SCHEMA_VERSION
from vipmg_core.i18n import TranslatedError

FORMAT = "vipmg-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CATALOGUE_FILE = "catalogue.sqlite"
TABLES_DIR = "catalogue"
# Tables whose rows a backup leaves out: sign-ins (a restore must not bring back a session revoked since) and the
# back-off of failed logins (transient).
EXCLUDED_TABLES = ("web_sessions", "login_throttle")
CHUNK = 1 << 20


class BackupError(TranslatedError):
    prefix = "backup.error"


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
        path = folder / safe_relative(relative)
        if not path.is_file():
            raise BackupError("damaged", file=relative, reason="missing")
        if path.stat().st_size != size:
            raise BackupError("damaged", file=relative, reason=f"{path.stat().st_size} bytes, not {size}")
        if file_sha256(path) != sha:
            raise BackupError("damaged", file=relative, reason="SHA-256 differs")
    if int(manifest.get("schema_version", 0)) > int(SCHEMA_VERSION):
        raise BackupError("newer_schema", version=str(manifest["schema_version"]), supported=SCHEMA_VERSION)
    return manifest


def manifest_entry(manifest: dict, path: str) -> dict:
    for entry in manifest["files"]:
        if entry["path"] == path:
            return entry
    raise BackupError("damaged", file=path, reason="not in the manifest")


def safe_relative(relative: str) -> Path:
    """A path from a manifest or a catalogue, refused if it could leave the folder it is read against."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in relative:
        raise BackupError("unsafe_path", file=relative)
    return Path(*pure.parts)


def copy_checked(source: Path, destination: Path, sha256: str, error: Callable[[], BackupError]) -> int:
    """Copy through a temporary file, hashing on the way; the copy takes its name only if its SHA-256 is
    `sha256`. Returns the size."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_name(f".{destination.name}.tmp")  # what the sweep takes for a left-over
    digest, size = hashlib.sha256(), 0
    try:
        with source.open("rb") as reader, tmp.open("wb") as writer:
            for block in iter(lambda: reader.read(CHUNK), b""):
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


def write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
