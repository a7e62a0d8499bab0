"""What reading a file gives: the table as text (`ReadResult`), facts about the file (`FileInfo`), what the reader
decided on the user's behalf (`Detection`), the file's bytes with their SHA-256 (`FileBytes`), and `ReadError`
for a file that cannot be read at all."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath

import polars as pl

from vipmg_core.i18n import TranslatedError

ROW = "__row__"  # the row number as the user sees it in their file (header rows counted)


class ReadError(TranslatedError):
    """The file cannot be read at all. `key` names a message in locales/upload.toml (`read_error.<key>`)."""

    prefix = "read_error"


def safe_name(name: str | None) -> str:
    """A file name fit to show and to reuse: no directories, no control characters, not too long."""
    base = PureWindowsPath(PurePosixPath(str(name or "").replace("\x00", "")).name).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return (base or "upload")[:120]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, eq=False)
class FileBytes:
    """A file as received, byte for byte, with its SHA-256 computed once: what is read, validated and stored."""

    name: str
    data: bytes = field(repr=False)
    sha256: str

    @classmethod
    def of(cls, data: bytes, name: str) -> FileBytes:
        return cls(name=safe_name(name), data=data, sha256=sha256_of(data))

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Detection:
    """Something the reader decided on the user's behalf (message key `detect.<key>`)."""

    key: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FileInfo:
    name: str
    size: int
    sha256: str
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    header_row: int = 1  # as the user sees it (1-based)
    sample_line: str = ""


@dataclass(frozen=True)
class ReadResult:
    """The file's table as text: `frame` has one String column per header cell plus ROW (Int64).

    `data` keeps the bytes that were read (their SHA-256 is `info.sha256`): a submission stores exactly those,
    never a second read of the file."""

    info: FileInfo
    frame: pl.DataFrame
    headers: tuple[str, ...]  # as written in the file (may be blank or repeated)
    totals: pl.DataFrame  # "Total" rows set aside (same columns), checked against the sum of the rows
    notes: tuple[tuple[int, str], ...] = ()  # (row, text) of title and note lines set aside
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)  # SPSS/Stata: column -> code -> label
    ragged: tuple[tuple[int, int], ...] = ()  # (row, number of cells) of rows whose length differs
    header_width: int = 0  # cells in the header up to its last filled one
    cache: dict = field(default_factory=dict, compare=False, repr=False)  # per-file results (distinct values)
    detections: tuple[Detection, ...] = ()
    data: bytes = field(default=b"", compare=False, repr=False)  # set by `files.read_upload`

    @property
    def columns(self) -> list[str]:
        return [c for c in self.frame.columns if c != ROW]

    @property
    def height(self) -> int:
        return self.frame.height

    @property
    def file(self) -> FileBytes:
        """The bytes read, with their name and SHA-256 (no second hash)."""
        return FileBytes(name=self.info.name, data=self.data, sha256=self.info.sha256)
