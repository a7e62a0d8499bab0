"""Reading a whole file, as the upload page, the CLI and the importers do: the format sniffed from the bytes,
then the text, spreadsheet or statistics reader. The bytes read, and their SHA-256 (computed once, beside the
parse), stay with the result: what is validated is what is stored."""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from vipmg_core.readers.excel import first_sheet_with_data, read_excel, workbook
from vipmg_core.readers.limits import UPLOADS, Limits, check_size
from vipmg_core.readers.result import FileBytes, FileInfo, ReadError, ReadResult, safe_name, sha256_of
from vipmg_core.readers.stat import read_stat
from vipmg_core.readers.text import read_text

TEXT_FORMATS = ("csv",)
EXCEL_FORMATS = ("xlsx", "xls")
STAT_FORMATS = ("sav", "dta")
ACCEPTED_EXTENSIONS = ("csv", "tsv", "txt", "xlsx", "xlsm", "xls", "sav", "zsav", "dta")


def read_path(path: str, *, sheet: str | None = None, header_row: int | None = None, encoding: str | None = None,
              delimiter: str | None = None, limits: Limits = UPLOADS) -> ReadResult:
    """Read a file from disk (the CLI); the size is checked before a byte is loaded."""
    try:
        size = os.stat(path).st_size
    except OSError:
        raise ReadError("not_found", name=safe_name(path)) from None
    check_size(size, limits)
    with open(path, "rb") as handle:
        data = handle.read()
    return read_upload(data, os.path.basename(path), sheet=sheet, header_row=header_row, encoding=encoding,
                       delimiter=delimiter, limits=limits)


def sheet_names(data: bytes, name: str, limits: Limits = UPLOADS) -> list[str]:
    """The sheets of a workbook, for the user to pick from ([] for other formats)."""
    fmt = sniff_format(data, name)
    if fmt not in EXCEL_FORMATS:
        return []
    return list(workbook(data, fmt, limits).sheet_names)


def default_sheet(data: bytes, name: str, limits: Limits = UPLOADS) -> str | None:
    """The sheet read when the user picks none: the first one with a table (not a cover or notes sheet)."""
    fmt = sniff_format(data, name)
    if fmt not in EXCEL_FORMATS:
        return None
    book = workbook(data, fmt, limits)
    return first_sheet_with_data(data, fmt, book, list(book.sheet_names)) if book.sheet_names else None


def read_upload(data: bytes | FileBytes, name: str, *, sheet: str | None = None, header_row: int | None = None,
                encoding: str | None = None, delimiter: str | None = None, limits: Limits = UPLOADS) -> ReadResult:
    """Read a file held in memory. `header_row` (1-based, as the user sees it) and the others override what
    would be detected. Given `FileBytes`, their SHA-256 is reused, not computed again."""
    known = data.sha256 if isinstance(data, FileBytes) else None
    raw = data.data if isinstance(data, FileBytes) else data
    check_size(len(raw), limits)
    if not raw[:65536].strip() and not raw.strip():  # look at the start first: no copy of a big file
        raise ReadError("empty")
    fmt = sniff_format(raw, name)
    info = FileInfo(name=safe_name(name), size=len(raw), sha256="", format=fmt)
    # The file is hashed beside the parse: hashlib, like Polars, releases the GIL.
    with ThreadPoolExecutor(max_workers=1) as beside:
        digest: Future[str] | None = beside.submit(sha256_of, raw) if known is None else None
        if fmt in EXCEL_FORMATS:
            read = read_excel(raw, info, sheet, header_row, limits)
        elif fmt in STAT_FORMATS:
            read = read_stat(raw, info, limits)
        else:
            read = read_text(raw, info, header_row, encoding, delimiter, limits)
        sha256 = digest.result() if digest is not None else known
    return replace(read, info=replace(read.info, sha256=sha256 or ""), data=raw)


def sniff_format(data: bytes, name: str) -> str:
    """The format from the bytes themselves; the extension only decides between look-alikes."""
    ext = safe_name(name).rsplit(".", 1)[-1].lower() if "." in safe_name(name) else ""
    head = data[:16]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"  # OLE2: legacy Excel (or a password-protected xlsx, refused later)
    if head.startswith((b"$FL2", b"$FL3")):
        return "sav"
    if head.startswith(b"<stata_dta>") or (ext == "dta" and head[:1] in (b"\x71", b"\x72", b"\x73")):
        return "dta"
    if ext in ("xlsx", "xlsm", "xls"):
        raise ReadError("not_excel")
    if ext in ("sav", "zsav", "dta"):
        raise ReadError("not_stat", ext=ext)
    return "csv"
