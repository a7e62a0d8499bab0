"""Spreadsheets (.xlsx, .xls): the workbook opened only after its zip is checked, the sheet's extent found by
streaming its XML so that a sheet too large is refused before it is loaded, then its cells read as text."""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import polars as pl

from vipmg_core.readers.grid import from_grid
from vipmg_core.readers.limits import Limits, check_extent, check_zip
from vipmg_core.readers.result import ROW, Detection, FileInfo, ReadError, ReadResult

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook

def workbook(data: bytes, fmt: str, limits: Limits) -> CalamineWorkbook:
    """The workbook's list of sheets (python-calamine opens a workbook without reading its sheets); an .xlsx
    only once its zip passed `limits.check_zip`."""
    from python_calamine import CalamineWorkbook

    if fmt == "xlsx":
        check_zip(data, limits)
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - calamine raises its own types for broken or encrypted workbooks
        raise ReadError("bad_excel", detail=str(exc)[:120]) from None


_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_RELATION_TAG = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
# The first cell holding a value: calamine's range (and so fastexcel's table) starts there, not at A1 nor at the
# <dimension> the writer declared (formatted empty cells count there).
_FIRST_VALUE = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="[A-Z]+(\d+)"[^>]*?(?<!/)>\s*'
                          rb'(?:<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*)?<(?:\w+:)?(?:v|is)\b')
_SCAN_CHUNK = 1 << 20
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b")  # its prefix (x: from some writers) is the rows' and cells'


def _attribute(tag: bytes, name: bytes) -> str | None:
    found = re.search(rb'\s' + name + rb'="([^"]*)"', tag)
    return html.unescape(found.group(1).decode("utf-8", errors="replace")) if found else None


def _sheet_members(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML part in the zip, read from the workbook and its relationships (small files)."""
    try:
        workbook = archive.read("xl/workbook.xml")
        relations = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {}
    for tag in _RELATION_TAG.findall(relations):
        target = _attribute(tag, b"Target") or ""
        targets[_attribute(tag, b"Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    members = {}
    for tag in _SHEET_TAG.findall(workbook):
        name, rid = _attribute(tag, b"name"), _attribute(tag, b"r:id") or _attribute(tag, rb"\w+:id")
        if name is not None and rid in targets:
            members[name] = targets[rid]
    return members


@dataclass(frozen=True)
class _Extent:
    first_row: int  # 1-based, the first row with a value
    rows: int  # from the first row with a value to the last row
    columns: int  # the widest column a cell names (cells named by reference) or the most cells in a row


def _sheet_extent(data: bytes, sheet: str, limits: Limits) -> _Extent | None:
    """Where a sheet's cells lie, found by streaming its XML (a few MB at a time) without parsing it, so a
    sheet too large to hold is refused before it is read. None when the sheet's part cannot be found."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        member = _sheet_members(archive).get(sheet)
        if member is None or member not in archive.namelist():
            return None
        first_row = last_row = row_count = columns = 0
        tail, prefix = b"", None
        with archive.open(member) as stream:
            while True:
                chunk = stream.read(_SCAN_CHUNK)
                text = tail + chunk
                cut = text.rfind(b"row>") + len(b"row>") if chunk else len(text)  # at the end of a row tag
                if cut < len(b"row>"):  # not one row tag yet
                    tail = text
                    continue
                text, tail = text[:cut], text[cut:]
                if prefix is None:  # literal tags: a regular expression with an optional prefix is 3x slower
                    prefix = (found.group(1) or b"") if (found := _SHEET_DATA.search(text)) else b""
                    row_tag, cell_tag = b"<" + prefix + b"row", b"<" + prefix + b"c"
                    row_number = re.compile(re.escape(row_tag) + rb'\b[^>]*?\sr="(\d+)"')
                    cell_column = re.compile(re.escape(cell_tag) + rb' r="([A-Z]{1,3})')
                if not first_row and (found := _FIRST_VALUE.search(text)):
                    first_row = int(found.group(1))
                row_count += text.count(row_tag + b" ") + text.count(row_tag + b">")
                if numbers := row_number.findall(text[text.rfind(row_tag + b" "):]):
                    last_row = max(last_row, int(numbers[-1]))
                letters = set(cell_column.findall(text))
                if letters:
                    columns = max(columns, _column_index(max(letters, key=lambda x: (len(x), x)).decode()) + 1)
                elif cell_tag + b">" in text or cell_tag + b" " in text:  # cells named by no reference: count
                    rows = pl.Series("r", [text.decode("utf-8", errors="replace")])
                    rows = rows.str.split(f"</{prefix.decode()}row>")
                    widest = rows.explode().str.count_matches(re.escape(cell_tag.decode()) + r"[\s>/]").max()
                    columns = max(columns, int(widest or 0))  # type: ignore[arg-type]
                if not chunk or _too_big(_extent(first_row, last_row, row_count, columns), limits):
                    break  # a sheet already too big is refused without reading the rest
    return _extent(first_row, last_row, row_count, columns)


def _extent(first_row: int, last_row: int, row_count: int, columns: int) -> _Extent:
    first_row = first_row or 1
    last_row = max(last_row, first_row - 1 + row_count)
    return _Extent(first_row=first_row, rows=max(0, last_row - first_row + 1), columns=columns)


def _too_big(extent: _Extent, limits: Limits) -> bool:
    return extent.columns > limits.columns or extent.rows * extent.columns > limits.excel_cells


def _column_index(letters: str) -> int:
    """"A" -> 0, "AB" -> 27."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def read_excel(data: bytes, info: FileInfo, sheet: str | None, header_row: int | None, limits: Limits) -> ReadResult:
    """The sheet as text columns straight from calamine into Arrow (fastexcel), never a Python object per cell.

    fastexcel's table starts at the first cell with a value; the rows and columns before it are put back so
    that row numbers and column letters are the ones the user sees in Excel."""
    import fastexcel

    book = workbook(data, info.format, limits)
    names = list(book.sheet_names)
    if not names:
        raise ReadError("no_sheets")
    if sheet is not None and sheet not in names:
        raise ReadError("no_such_sheet", sheet=sheet, sheets=", ".join(names))
    chosen = sheet or first_sheet_with_data(data, info.format, book, names)
    try:
        if info.format == "xlsx" and (extent := _sheet_extent(data, chosen, limits)) is not None:
            first_row = extent.first_row
            check_extent(extent.rows, extent.columns, limits)
        else:  # .xls (at most 65 536 x 256 cells): calamine says where the cells are
            handle = book.get_sheet_by_name(chosen)
            first_row = handle.start[0] + 1 if handle.start else 1
            check_extent(handle.height - (handle.start[0] if handle.start else 0),
                         handle.width - (handle.start[1] if handle.start else 0), limits)
            del handle
        del book
        loaded = fastexcel.read_excel(data).load_sheet(chosen, header_row=None, dtypes="string")
        check_extent(loaded.height, loaded.width, limits)
        first_column = min((c.absolute_index for c in loaded.available_columns()), default=0)
        table = loaded.to_polars()
    except ReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - calamine's and fastexcel's own error types: the file is broken
        raise ReadError("bad_excel", detail=str(exc)[:120]) from None
    del loaded
    # Dates come as "2024-01-05 00:00:00": a date without a time is written as the date alone.
    grid = table.select(pl.col(c).str.strip_suffix(" 00:00:00").alias(f"column_{first_column + i}")
                        for i, c in enumerate(table.columns))
    del table
    if first_column:
        grid = grid.select(*[pl.lit(None, pl.String).alias(f"column_{i}") for i in range(first_column)], pl.all())
    grid = grid.with_row_index(ROW, offset=first_row).with_columns(pl.col(ROW).cast(pl.Int64))
    info = replace(info, sheet=chosen, sheets=tuple(names))
    detections = [Detection("sheet", {"sheet": chosen, "count": len(names)})] if len(names) > 1 else []
    return from_grid(grid, info, header_row, detections)


def first_sheet_with_data(data: bytes, fmt: str, book: CalamineWorkbook, names: list[str]) -> str:
    """The biggest sheet: workbooks put a cover, contents or notes sheet before the table more often than not.
    In an .xlsx, sizes are those of the sheets' XML (no sheet is read to choose); in an .xls, cells."""
    if fmt == "xlsx":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = _sheet_members(archive)
            sizes = {m.filename: m.file_size for m in archive.infolist()}
        if all(members.get(n) in sizes for n in names):
            return max((sizes[members[n]], -i, n) for i, n in enumerate(names))[2]
    found: list[tuple[int, int, str]] = []
    for name in names:
        handle = book.get_sheet_by_name(name)
        found.append((handle.width * handle.height if handle.width >= 2 else 0, -len(found), name))
    return max(found)[2]

