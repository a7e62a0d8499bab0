"""What a file may be before anything is parsed in full: size, zip bombs (an .xlsx is a zip), widths and cells.

One set of limits, `UPLOADS`, protects the app and the CLI from what a focal point (or anyone) uploads. The
importers of published files use the same checks; a caller that must accept bigger files passes its own
`Limits` (named, with the reason), never a second implementation of the checks.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from vipmg_core.readers.result import ReadError

MAX_FILE_BYTES = 200 * 1024 * 1024  # same as server.maxUploadSize
MAX_COLUMNS = 1_000
MAX_TEXT_CELLS = 15_000_000  # about 60 bytes a cell at worst once read and validated: 1.9 million rows of 8 columns
MAX_EXCEL_CELLS = 4_000_000  # a sheet is held whole while read (~100 bytes a cell); a bigger one: save as CSV
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024
MAX_SHARED_TEXT_BYTES = 128 * 1024 * 1024  # an .xlsx's table of texts (sharedStrings.xml), unzipped
MAX_ZIP_RATIO = 200  # xlsx XML compresses well (20-50x); a bomb is thousands
RATIO_CHECKED_FROM = 20 * 1024 * 1024  # a small workbook inflates to little whatever its ratio


@dataclass(frozen=True)
class Limits:
    """The most a file may hold; every check of this module reads one of these."""

    file_bytes: int = MAX_FILE_BYTES
    columns: int = MAX_COLUMNS
    text_cells: int = MAX_TEXT_CELLS
    excel_cells: int = MAX_EXCEL_CELLS
    unzipped_bytes: int = MAX_UNZIPPED_BYTES
    shared_text_bytes: int = MAX_SHARED_TEXT_BYTES
    zip_ratio: int = MAX_ZIP_RATIO
    ratio_checked_from: int = RATIO_CHECKED_FROM


# Uploads and published files alike: the largest real published workbooks here (UN DESA, USBP) unzip to a few
# MB at ratios under 10, far inside these.
UPLOADS = Limits()


def check_size(size: int, limits: Limits = UPLOADS) -> None:
    if size > limits.file_bytes:
        raise ReadError("too_large", size_mb=round(size / 1024 / 1024), limit_mb=limits.file_bytes // 1024 // 1024)


def check_zip(data: bytes, limits: Limits = UPLOADS) -> None:
    """An .xlsx is a zip: refuse one that is not, or that would inflate to gigabytes, before opening it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ReadError("not_excel") from None
    with archive:
        members = archive.infolist()
        names = {m.filename for m in members}
        if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
            raise ReadError("zip_not_excel")
        total = sum(m.file_size for m in members)
        worst = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
        if total > limits.unzipped_bytes or (worst > limits.zip_ratio and total > limits.ratio_checked_from):
            raise ReadError("zip_bomb")
        # calamine holds every shared text in memory (about twice its XML) before a sheet is read
        texts = sum(m.file_size for m in members if m.filename.lower() == "xl/sharedstrings.xml")
        if texts > limits.shared_text_bytes:
            raise ReadError("too_much_text", size_mb=round(texts / 1024 / 1024),
                            limit_mb=limits.shared_text_bytes // 1024 // 1024)


def check_extent(rows: int, columns: int, limits: Limits = UPLOADS) -> None:
    """A sheet is held whole while it is read (about 100 bytes a cell): refuse one too large before that."""
    if columns > limits.columns:
        raise ReadError("too_many_columns", columns=columns, limit=limits.columns)
    if rows * columns > limits.excel_cells:
        raise ReadError("too_many_cells", millions=limits.excel_cells // 1_000_000)


def check_cells(rows: int, columns: int, limits: Limits = UPLOADS) -> None:
    """A table of text (a CSV, an SPSS or Stata file) with more cells than can be held and validated."""
    if rows * columns > limits.text_cells:
        raise ReadError("too_many_rows", rows=grouped(rows), columns=columns, millions=limits.text_cells // 1_000_000)


def check_width(columns: int, limits: Limits = UPLOADS) -> None:
    if columns > limits.columns:
        raise ReadError("too_many_columns", columns=columns, limit=limits.columns)


def grouped(number: int) -> str:
    """1234567 -> "1 234 567": digits grouped as both languages read them."""
    return f"{number:,}".replace(",", "\u202f")
