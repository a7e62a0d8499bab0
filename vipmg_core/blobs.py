"""Content-addressed store of original files: what a focal point sent, byte for byte, forever.

A file is written under a temporary name (`.<sha256>.<pid>.tmp`) and renamed, so a blob is whole or absent.
Given the SHA-256 the file had when it was validated, `put` refuses bytes that do not match before writing any.
A blob no submission names (its sender was killed before the record) is removed by
`submissions.sweep_leftovers` once older than a grace period; `put` refreshes the time of a blob it finds,
so a blob being sent again is never taken for a leftover.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks of 1 MB (release files, the data pack, backups)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class DigestMismatch(ValueError):
    """Bytes whose SHA-256 is not the one expected; nothing was written."""

    def __init__(self, expected: str, actual: str):
        self.expected, self.actual = expected, actual
        super().__init__(f"the bytes' SHA-256 is {actual}, not the {expected} expected")


class BlobStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes, *, expected: str | None = None) -> str:
        """Store `data` (idempotent: the same bytes are stored once) and return its SHA-256. With `expected`, bytes
        of another SHA-256 raise `DigestMismatch` before anything is written."""
        digest = hashlib.sha256(data).hexdigest()
        if expected is not None and digest != expected:
            raise DigestMismatch(expected, digest)
        final = self.path(digest)
        if final.exists():
            try:
                os.utime(final)  # in use again: not a leftover for the sweep
                return digest
            except FileNotFoundError:  # swept just now: write it again
                pass
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{digest}.{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, final)
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def files(self) -> list[Path]:
        """Every file in the store: blobs and temporary files of writes in progress or killed."""
        return [p for p in self.root.glob("*/*") if p.is_file()] if self.root.exists() else []

    @staticmethod
    def is_temporary(path: Path) -> bool:
        return path.name.startswith(".") and path.name.endswith(".tmp")
