"""Reading the files focal points really have: CSV/TSV/TXT, Excel (.xlsx, .xls), SPSS (.sav) and Stata (.dta).

Everything is read as text, exactly as written, with the row number each record has in the user's file, so
the validator can point at "row 12" and the user finds it. What the reader had to guess (encoding, delimiter,
header row, rows it set aside) is reported, never hidden. A file that cannot be read at all raises
`ReadError` with a message key; the page and the CLI turn it into one clear sentence.

Defences run before anything is parsed in full: size caps, binary garbage, zip bombs (an .xlsx is a zip),
and absurd widths (100 000 columns).
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import math
import re
import unicodedata
import zipfile
from array import array
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath, PureWindowsPath

import polars as pl

from vipmg_core.i18n import TranslatedError

ROW = "__row__"  # the row number as the user sees it in their file (header rows counted)
MAX_FILE_BYTES = 200 * 1024 * 1024  # same as server.maxUploadSize
MAX_COLUMNS = 1_000
MAX_TEXT_CELLS = 15_000_000  # about 60 bytes a cell at worst once read and validated: 1.9 million rows of 8 columns
MAX_EXCEL_CELLS = 4_000_000  # a sheet is held whole while read (~100 bytes a cell); a bigger one: save as CSV
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024
MAX_SHARED_TEXT_BYTES = 128 * 1024 * 1024  # an .xlsx's table of texts (sharedStrings.xml), unzipped
MAX_ZIP_RATIO = 200  # xlsx XML compresses well (20-50x); a bomb is thousands
HEAD_ROWS = 60  # rows looked at to find the header and the delimiter
DELIMITERS = (",", ";", "\t", "|")
# Missing-value markers statistics offices use; shown as written in the report, treated as empty.
MISSING_MARKERS = frozenset({"", "..", "...", "-", "--", "—", "–", "na", "n/a", "n.a.", "nd", "n.d.", "s.d.",
                             "sd", "s/d", "null", "none", "nan", "x", ":"})
TOTAL_RE = re.compile(r"^\s*(total(es)?|sub-?total(es)?|gran total|total general|grand total|monthly total"
                      r"|yearly total|suma)\b", re.IGNORECASE)
TEXT_FORMATS = ("csv",)
EXCEL_FORMATS = ("xlsx", "xls")
STAT_FORMATS = ("sav", "dta")
ACCEPTED_EXTENSIONS = ("csv", "tsv", "txt", "xlsx", "xlsm", "xls", "sav", "zsav", "dta")


# A whole line of a broken or binary file can be one "field"; never fail on the csv module's 128 KB default.
csv.field_size_limit(256 * 1024 * 1024)


class ReadError(TranslatedError):
    """The file cannot be read at all. `key` names a message in locales/upload.toml (`read_error.<key>`)."""

    prefix = "read_error"


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
    """The file's table as text: `frame` has one String column per header cell plus ROW (Int64)."""

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

    @property
    def columns(self) -> list[str]:
        return [c for c in self.frame.columns if c != ROW]

    @property
    def height(self) -> int:
        return self.frame.height


# --- entry points -------------------------------------------------------------------------------------------

def safe_name(name: str | None) -> str:
    """A file name fit to show and to reuse: no directories, no control characters, not too long."""
    base = PureWindowsPath(PurePosixPath(str(name or "").replace("\x00", "")).name).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return (base or "upload")[:120]


def check_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise ReadError("too_large", size_mb=round(size / 1024 / 1024), limit_mb=MAX_FILE_BYTES // 1024 // 1024)


def read_path(path: str, **options: object) -> ReadResult:
    """Read a file from disk (the CLI); the size is checked before a byte is loaded."""
    import os

    try:
        size = os.stat(path).st_size
    except OSError:
        raise ReadError("not_found", name=safe_name(path)) from None
    check_size(size)
    with open(path, "rb") as handle:
        data = handle.read()
    return read_upload(data, os.path.basename(path), **options)  # type: ignore[arg-type]


def sheet_names(data: bytes, name: str) -> list[str]:
    """The sheets of a workbook, for the user to pick from ([] for other formats)."""
    if sniff_format(data, name) not in EXCEL_FORMATS:
        return []
    return list(_workbook(data, sniff_format(data, name)).sheet_names)


def default_sheet(data: bytes, name: str) -> str | None:
    """The sheet read when the user picks none: the first one with a table (not a cover or notes sheet)."""
    fmt = sniff_format(data, name)
    if fmt not in EXCEL_FORMATS:
        return None
    book = _workbook(data, fmt)
    return _first_sheet_with_data(data, fmt, book, list(book.sheet_names)) if book.sheet_names else None


def read_upload(data: bytes, name: str, *, sheet: str | None = None, header_row: int | None = None,
                encoding: str | None = None, delimiter: str | None = None) -> ReadResult:
    """Read an uploaded file held in memory. `header_row` (1-based, as the user sees it) and the others
    override what would be detected."""
    check_size(len(data))
    if not data[:65536].strip() and not data.strip():  # look at the start first: no copy of a big file
        raise ReadError("empty")
    fmt = sniff_format(data, name)
    info = FileInfo(name=safe_name(name), size=len(data), sha256="", format=fmt)
    # The file is hashed beside the parse: hashlib, like Polars, releases the GIL.
    with ThreadPoolExecutor(max_workers=1) as beside:
        digest = beside.submit(lambda: hashlib.sha256(data).hexdigest())
        if fmt in EXCEL_FORMATS:
            read = _read_excel(data, info, sheet, header_row)
        elif fmt in STAT_FORMATS:
            read = _read_stat(data, info)
        else:
            read = _read_text(data, info, header_row, encoding, delimiter)
        return replace(read, info=replace(read.info, sha256=digest.result()))


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


# --- text files ---------------------------------------------------------------------------------------------

def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Text and the encoding used. UTF-8 (with or without BOM) first, then this region's legacy encodings.

    charset-normalizer's unrestricted guess for Spanish Latin-1 files is cp1250/cp1257 ("Espańa"), so the
    candidates are limited to UTF-8, Windows-1252 and Latin-1.
    """
    if encoding:
        try:
            return data.decode(encoding, errors="replace"), encoding
        except LookupError:
            raise ReadError("bad_encoding", encoding=encoding) from None
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1 << 20], cp_isolation=["utf_8", "cp1252", "latin_1"]).best()
    chosen = best.encoding if best is not None else "cp1252"
    chosen = {"utf_8": "utf-8", "latin_1": "latin-1"}.get(chosen, chosen)
    return data.decode(chosen, errors="replace"), chosen


_CONTROL_BYTES = bytes(b for b in range(256) if b < 9 or 13 < b < 32 or b == 127)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
HEAD_CHARS = 200_000  # text looked at to find the delimiter and the header


def _looks_binary(data: bytes) -> bool:
    head = data[:65536]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in head:
        return True
    control = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return control > max(8, len(head) // 100)


def detect_delimiter(lines: list[str]) -> str:
    """The candidate that splits the most lines into the same number (> 1) of cells."""
    best, best_score = ",", (-1, -1)
    for candidate in DELIMITERS:
        counts = [len(r) for r in csv.reader(lines, delimiter=candidate) if any(c.strip() for c in r)]
        counts = [c for c in counts if c > 1]
        if not counts:
            continue
        width, agreeing = Counter(counts).most_common(1)[0]
        score = (agreeing, width)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _read_text(data: bytes, info: FileInfo, header_row: int | None, encoding: str | None,
               delimiter: str | None) -> ReadResult:
    if _looks_binary(data):
        raise ReadError("binary")
    _check_text_cells(data, encoding, delimiter)
    # Most files are plain UTF-8 with Unix line ends: Polars parses (and checks) the bytes as they are and
    # only the head is decoded here. Anything else, or anything Polars refuses, takes the general path.
    head = _plain_utf8_head(data) if encoding is None else None
    if head is not None and header_row and head.count("\n") < header_row - 1:
        head = None  # the lines Polars would skip must have been checked as UTF-8 here
    if head is not None:
        read = _text_table(head, data, info, header_row, delimiter, "utf-8", careful=False)
        if read is not None:
            return read
    text, used = decode(data, encoding)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Polars reads the original bytes when they already are plain UTF-8 with Unix line ends (no copy).
    same = used == "utf-8" and b"\r" not in data
    return _text_table(text, data if same else None, info, header_row, delimiter, used, careful=True,
                       polars=not (same and head is not None))  # that same parse just failed


def _check_text_cells(data: bytes, encoding: str | None, delimiter: str | None) -> None:
    """Refuse, before parsing, a text file with more cells than can be held and validated: its lines counted
    in the bytes, its width read in its first lines."""
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if lines * MAX_COLUMNS <= MAX_TEXT_CELLS:
        return  # no width can make it too big
    head = decode(data[: 4 * HEAD_CHARS], encoding)[0].replace("\r\n", "\n").split("\n")[:HEAD_ROWS]
    sep = delimiter or detect_delimiter(head)
    width = Counter(len(r) for r in csv.reader(head, delimiter=sep) if len(r) > 1).most_common(1)
    width = width[0][0] if width else 1  # the table's width: what most of its first lines have
    if lines * width > MAX_TEXT_CELLS:
        raise ReadError("too_many_rows", rows=_grouped(lines), columns=width, millions=MAX_TEXT_CELLS // 1_000_000)


def _grouped(number: int) -> str:
    """1234567 -> "1 234 567": digits grouped as both languages read them."""
    return f"{number:,}".replace(",", "\u202f")


def _plain_utf8_head(data: bytes) -> str | None:
    """The start of the file as text when the file could be plain UTF-8 (no BOM, no carriage returns), cut
    at a line end and long enough to hold the first HEAD_CHARS characters; None otherwise."""
    if data.startswith(_BOMS) or b"\r" in data:
        return None
    size = 4 * HEAD_CHARS + 4  # bytes enough for HEAD_CHARS characters
    end = len(data) if len(data) <= size else data.rfind(b"\n", 0, size) + 1
    try:
        head = data[:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return head if end == len(data) or len(head) >= HEAD_CHARS else None


def _text_table(text: str, raw: bytes | None, info: FileInfo, header_row: int | None, delimiter: str | None,
                used: str, *, careful: bool, polars: bool = True) -> ReadResult | None:
    """`text` is the file's text (or, with `careful=False`, its head); `raw` the same as UTF-8 bytes when at
    hand. None when Polars cannot read it and `careful` is False."""
    head_lines = text[:HEAD_CHARS].split("\n")[:HEAD_ROWS]
    sep = delimiter or detect_delimiter(head_lines)
    widest = max((len(r) for r in csv.reader(head_lines, delimiter=sep)), default=0)
    if widest > MAX_COLUMNS:
        raise ReadError("too_many_columns", columns=widest, limit=MAX_COLUMNS)
    head_grid = [tuple(r) for r in csv.reader(head_lines, delimiter=sep)]
    skip = header_row - 1 if header_row else find_header(head_grid)
    detections = [Detection("encoding", {"encoding": used}), Detection("delimiter", {"delimiter": _sep_name(sep)})]
    sample = next((line for line in head_lines if any(ch.isalpha() and ord(ch) > 127 for ch in line)), "")
    info = replace(info, encoding=used, delimiter=sep, sample_line=sample[:200])
    grid = _polars_grid(raw if raw is not None else text.encode("utf-8"), sep, skip) if polars else None
    if grid is not None:
        notes = [(i + 1, " ".join(c for c in r if c.strip())) for i, r in enumerate(head_grid[:skip])
                 if any(c.strip() for c in r)]
        return _from_grid(grid, info, skip + 1, detections, notes=notes)
    if not careful:
        return None
    grid, ragged = _csv_grid(text, sep)
    return _from_grid(grid, info, header_row, detections, ragged=ragged)


def _sep_name(sep: str) -> str:
    return {"\t": "TAB", ",": ",", ";": ";", "|": "|"}.get(sep, sep)


def _polars_grid(encoded: bytes, sep: str, skip: int) -> pl.DataFrame | None:
    """The fast path: Polars reads every cell as text, from the header line on. None when the file needs
    the careful path (rows longer than the header, quotes spanning lines, not UTF-8), where exact row
    numbers matter more than speed."""
    with ThreadPoolExecutor(max_workers=1) as beside:  # lines are counted while Polars parses
        newlines = beside.submit(encoded.count, b"\n")
        try:
            grid = pl.read_csv(encoded, has_header=False, separator=sep, infer_schema=False, skip_lines=skip,
                               truncate_ragged_lines=False, raise_if_empty=False, quote_char='"')
        except pl.exceptions.PolarsError:
            return None
        lines = newlines.result() + (0 if encoded.endswith(b"\n") else 1)
    if grid.height != lines - skip or grid.width == 0:
        return None
    return grid.with_row_index(ROW, offset=skip + 1).with_columns(pl.col(ROW).cast(pl.Int64))


def _csv_grid(text: str, sep: str) -> tuple[pl.DataFrame, list[tuple[int, int]]]:
    """The careful path: Python's csv module, with each record's first line as its row number. Records are
    turned into Polars columns a block at a time, so Python holds one block of cells, never the file's."""
    reader = csv.reader(io.StringIO(text), delimiter=sep, strict=True)
    blocks: list[pl.DataFrame] = []
    filled_rows, filled_cells = array("q"), array("q")  # row number and cells of every filled record
    rows: list[list[str]] = []
    numbers: list[int] = []
    start = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error:
            raise ReadError("unclosed_quote", row=start) from None
        if len(record) > MAX_COLUMNS:
            raise ReadError("too_many_columns", columns=len(record), limit=MAX_COLUMNS)
        if any(c.strip() for c in record):
            filled_rows.append(start)
            filled_cells.append(len(record))
        rows.append(record)
        numbers.append(start)
        start = reader.line_num + 1
        if len(rows) == _CSV_BLOCK:
            blocks.append(_csv_block(rows, numbers))
            rows, numbers = [], []
    if rows or not blocks:
        blocks.append(_csv_block(rows, numbers))
    cells = pl.Series("cells", filled_cells, dtype=pl.Int64)
    # The most frequent width is the table's (the first seen if tied); other filled records are ragged.
    counts = (cells.to_frame().with_row_index("first").group_by("cells")
              .agg(pl.len().alias("count"), pl.col("first").min()).sort(["count", "first"], descending=[True, False]))
    width = counts["cells"][0] if counts.height else 0
    at = (cells != width).arg_true()
    ragged = list(zip(pl.Series(filled_rows, dtype=pl.Int64).gather(at).to_list(), cells.gather(at).to_list()))
    return pl.concat(blocks, how="diagonal", rechunk=False), ragged


_CSV_BLOCK = 50_000


def _csv_block(rows: list[list[str]], numbers: list[int]) -> pl.DataFrame:
    widest = max((len(r) for r in rows), default=0)
    columns = {f"column_{i}": [r[i] if i < len(r) and r[i].strip() else None for r in rows] for i in range(widest)}
    block = pl.DataFrame(columns, schema={name: pl.String for name in columns})
    return block.with_columns(pl.Series(ROW, numbers, dtype=pl.Int64))


# --- spreadsheets -------------------------------------------------------------------------------------------

def _check_zip(data: bytes) -> None:
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
        if total > MAX_UNZIPPED_BYTES or (worst > MAX_ZIP_RATIO and total > 20 * 1024 * 1024):
            raise ReadError("zip_bomb")
        # calamine holds every shared text in memory (about twice its XML) before a sheet is read
        texts = sum(m.file_size for m in members if m.filename.lower() == "xl/sharedstrings.xml")
        if texts > MAX_SHARED_TEXT_BYTES:
            raise ReadError("too_much_text", size_mb=round(texts / 1024 / 1024),
                            limit_mb=MAX_SHARED_TEXT_BYTES // 1024 // 1024)


def _workbook(data: bytes, fmt: str):
    """The workbook's list of sheets (python-calamine opens a workbook without reading its sheets)."""
    from python_calamine import CalamineWorkbook

    if fmt == "xlsx":
        _check_zip(data)
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for broken or encrypted workbooks
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


def _sheet_extent(data: bytes, sheet: str) -> _Extent | None:
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
                if not chunk or _too_big(_extent(first_row, last_row, row_count, columns)):
                    break  # a sheet already too big is refused without reading the rest
    return _extent(first_row, last_row, row_count, columns)


def _extent(first_row: int, last_row: int, row_count: int, columns: int) -> _Extent:
    first_row = first_row or 1
    last_row = max(last_row, first_row - 1 + row_count)
    return _Extent(first_row=first_row, rows=max(0, last_row - first_row + 1), columns=columns)


def _too_big(extent: _Extent) -> bool:
    return extent.columns > MAX_COLUMNS or extent.rows * extent.columns > MAX_EXCEL_CELLS


def _column_index(letters: str) -> int:
    """"A" -> 0, "AB" -> 27."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _check_extent(rows: int, columns: int) -> None:
    """A sheet is held whole while it is read (about 100 bytes a cell): refuse one too large before that."""
    if columns > MAX_COLUMNS:
        raise ReadError("too_many_columns", columns=columns, limit=MAX_COLUMNS)
    if rows * columns > MAX_EXCEL_CELLS:
        raise ReadError("too_many_cells", millions=MAX_EXCEL_CELLS // 1_000_000)


def _read_excel(data: bytes, info: FileInfo, sheet: str | None, header_row: int | None) -> ReadResult:
    """The sheet as text columns straight from calamine into Arrow (fastexcel), never a Python object per cell.

    fastexcel's table starts at the first cell with a value; the rows and columns before it are put back so
    that row numbers and column letters are the ones the user sees in Excel."""
    import fastexcel

    book = _workbook(data, info.format)
    names = list(book.sheet_names)
    if not names:
        raise ReadError("no_sheets")
    if sheet is not None and sheet not in names:
        raise ReadError("no_such_sheet", sheet=sheet, sheets=", ".join(names))
    chosen = sheet or _first_sheet_with_data(data, info.format, book, names)
    try:
        if info.format == "xlsx" and (extent := _sheet_extent(data, chosen)) is not None:
            first_row = extent.first_row
            _check_extent(extent.rows, extent.columns)
        else:  # .xls (at most 65 536 x 256 cells): calamine says where the cells are
            handle = book.get_sheet_by_name(chosen)
            first_row = handle.start[0] + 1 if handle.start else 1
            _check_extent(handle.height - (handle.start[0] if handle.start else 0),
                          handle.width - (handle.start[1] if handle.start else 0))
            del handle
        del book
        loaded = fastexcel.read_excel(data).load_sheet(chosen, header_row=None, dtypes="string")
        _check_extent(loaded.height, loaded.width)
        first_column = min((c.absolute_index for c in loaded.available_columns()), default=0)
        table = loaded.to_polars()
    except ReadError:
        raise
    except Exception as exc:
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
    return _from_grid(grid, info, header_row, detections)


def _first_sheet_with_data(data: bytes, fmt: str, book, names: list[str]) -> str:
    """The biggest sheet: workbooks put a cover, contents or notes sheet before the table more often than not.
    In an .xlsx, sizes are those of the sheets' XML (no sheet is read to choose); in an .xls, cells."""
    if fmt == "xlsx":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = _sheet_members(archive)
            sizes = {m.filename: m.file_size for m in archive.infolist()}
        if all(members.get(n) in sizes for n in names):
            return max((sizes[members[n]], -i, n) for i, n in enumerate(names))[2]
    found = []
    for name in names:
        handle = book.get_sheet_by_name(name)
        found.append((handle.width * handle.height if handle.width >= 2 else 0, -len(found), name))
    return max(found)[2]


# --- SPSS and Stata -----------------------------------------------------------------------------------------

def _read_stat(data: bytes, info: FileInfo) -> ReadResult:
    import pyreadstat

    reader = pyreadstat.read_sav if info.format == "sav" else pyreadstat.read_dta
    try:
        _empty, meta = reader(io.BytesIO(data), metadataonly=True)  # the size, before any case is read
        rows, columns = meta.number_rows or 0, meta.number_columns or 0
        if rows * columns > MAX_TEXT_CELLS:
            raise ReadError("too_many_rows", rows=_grouped(rows), columns=columns,
                            millions=MAX_TEXT_CELLS // 1_000_000)
        frame, meta = reader(io.BytesIO(data), output_format="polars", apply_value_formats=False)
    except ReadError:
        raise
    except Exception as exc:  # pyreadstat's ReadstatError and friends
        raise ReadError("bad_stat", detail=str(exc)[:120]) from None
    if frame.width > MAX_COLUMNS:
        raise ReadError("too_many_columns", columns=frame.width, limit=MAX_COLUMNS)
    text = frame.select(_as_text(frame[c]).alias(c) for c in frame.columns)
    labels = {
        col: {_code_text(code): str(label) for code, label in mapping.items()}
        for col, mapping in (meta.variable_value_labels or {}).items()
    }
    # Case numbers as SPSS/Stata show them in their data views.
    text = text.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    detections = [Detection("value_labels", {"count": len(labels)})] if labels else []
    return ReadResult(info=info, frame=text, headers=tuple(frame.columns), totals=text.clear(),
                      value_labels=labels, detections=tuple(detections))


def _code_text(code: object) -> str:
    if isinstance(code, float) and code == int(code):
        return str(int(code))
    return str(code)


def _as_text(series: pl.Series) -> pl.Expr:
    if series.dtype.is_float():
        # Codes come back as floats (1.0); write whole numbers without the ".0", as the user typed them.
        col = pl.col(series.name)
        return (pl.when(col == col.round(0)).then(col.cast(pl.Int64, strict=False).cast(pl.String))
                .otherwise(col.cast(pl.String)))
    return pl.col(series.name).cast(pl.String)


# --- from a grid of cells to a table ------------------------------------------------------------------------

def find_header(rows: list[tuple]) -> int:
    """Index of the header among the first rows: the first row about as wide as the table below it.

    Title rows above a header have one or two cells; the header has (nearly) as many as the data rows.
    """
    counts = [sum(1 for c in r if c is not None and str(c).strip()) for r in rows]
    wide = [c for c in counts if c >= 2]
    if not wide:
        return 0
    table_width = max(Counter(wide).most_common(), key=lambda kv: (kv[1], kv[0]))[0]
    needed = max(2, math.ceil(0.6 * table_width))
    return next((i for i, c in enumerate(counts) if c >= needed), 0)


def _from_grid(grid: pl.DataFrame, info: FileInfo, header_row: int | None, detections: list[Detection],
               ragged: list[tuple[int, int]] | None = None,
               notes: list[tuple[int, str]] | None = None) -> ReadResult:
    cells = [c for c in grid.columns if c != ROW]
    grid = grid.select(*cells, ROW)
    # Surrounding spaces matter only where the layout is read (the header); cell values are trimmed when
    # they are parsed, once per distinct value, which is much cheaper on a million rows.
    head = grid.head(HEAD_ROWS).select(*[pl.col(c).str.strip_chars().replace("", None) for c in cells], ROW)
    if grid.height == 0 or not cells:
        raise ReadError("empty")
    if header_row is not None:
        position = grid[ROW].search_sorted(header_row)
        if position >= grid.height or grid[ROW][position] != header_row:
            raise ReadError("no_such_row", row=header_row)
        index = int(position)
    else:
        index = find_header(head.select(cells).rows())
    header = head.row(index) if index < head.height else grid.row(index)
    header_number = int(grid[ROW][index])
    above = grid.head(index)
    body = grid.slice(index + 1)

    # Columns with neither a header nor any value (the empty column A of many spreadsheets) go.
    header_by_col = dict(zip(grid.columns, header))
    filled = body.select(pl.col(c).is_not_null().any() for c in cells).row(0) if body.height else [False] * len(cells)
    keep = [c for c, has_data in zip(cells, filled) if header_by_col[c] is not None or has_data]
    if not keep:
        raise ReadError("empty")
    headers = tuple(str(header_by_col[c] or "") for c in keep)
    names = _unique_names(headers)
    if keep != cells:  # selecting realigns every column's chunks: only when a column goes
        body = body.select(*keep, ROW)
    body = body.rename(dict(zip(keep, names)))

    # Blank rows go; note and source lines at the bottom (one cell in a wide table) are set aside.
    # A column with no empty cell rules out blank rows, and only the columns with empty cells can hold gaps.
    holed = [n for n in names if body[n].null_count()]
    filled_count = pl.sum_horizontal(pl.col(n).is_not_null() for n in names)
    if len(holed) == len(names) and body.select((filled_count == 0).any()).item():
        body = body.filter(filled_count > 0)
    notes = list(notes or []) + [(int(r[-1]), " ".join(str(c) for c in r[:-1] if c)) for r in above.rows()
                                 if any(c for c in r[:-1])]
    if len(names) >= 3:
        tail = min(body.height, HEAD_ROWS)  # notes sit at the very end; never walk a million rows
        tail_filled = body.tail(tail).select(filled_count).to_series().to_list()
        cut = body.height
        while cut > body.height - tail and tail_filled[cut - 1 - (body.height - tail)] <= 1:
            cut -= 1
        for row in body.slice(cut).iter_rows():
            notes.append((int(row[-1]), " ".join(str(c) for c in row[:-1] if c)))
        body = body.head(cut)

    # "Total" rows: a label like Total in the row's first filled cell, some cells left empty, and few of
    # them. A tidy row whose sex or age column reads "Total" has every cell filled: it is data.
    first_filled = pl.coalesce(*[pl.col(n) for n in names])
    holed = [n for n in holed if body[n].null_count()]
    gaps = body.gather(body.select(pl.any_horizontal(pl.col(n).is_null() for n in holed).arg_true()).to_series()) \
        if holed else body.clear()  # positions, not a filter: a few rows out of a million
    flagged_rows = gaps.filter(first_filled.str.contains("(?i)" + TOTAL_RE.pattern).fill_null(False))[ROW]
    if 0 < flagged_rows.len() <= max(3, body.height // 20):
        is_total = pl.col(ROW).is_in(flagged_rows.implode())
        totals, body = body.filter(is_total), body.filter(~is_total)
    else:
        totals = body.clear()

    in_table = set(totals[ROW].to_list())
    if ragged:
        in_table |= set(body.filter(pl.col(ROW).is_in([r for r, _ in ragged]))[ROW].to_list())
    if header_number > 1:
        detections.append(Detection("header_row", {"row": header_number}))
    if len(keep) < len(cells) and cells.index(keep[0]) > 0:
        detections.append(Detection("first_column", {"column": column_letter(cells.index(keep[0]))}))
    if notes:
        detections.append(Detection("notes", {"count": len(notes)}))
    if totals.height:
        detections.append(Detection("totals", {"rows": ", ".join(str(r) for r in totals[ROW].to_list()[:10])}))
    info = replace(info, header_row=header_number)
    return ReadResult(info=info, frame=body, headers=headers, totals=totals, notes=tuple(notes),
                      ragged=tuple((r, n) for r, n in (ragged or []) if r in in_table),
                      header_width=max((i + 1 for i, h in enumerate(headers) if h), default=0),
                      detections=tuple(detections))


def _unique_names(headers: tuple[str, ...]) -> list[str]:
    names: list[str] = []
    seen: Counter = Counter()
    for position, header in enumerate(headers):
        base = header or f"({column_letter(position)})"
        seen[base] += 1
        names.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    return names


def column_letter(index: int) -> str:
    """A spreadsheet's column letter for a 0-based index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def missing_expr(name: str) -> pl.Expr:
    """True where the cell is empty or one of the usual missing markers (`..`, `-`, `n.d.`...)."""
    col = pl.col(name)
    return col.is_null() | col.str.strip_chars().str.to_lowercase().is_in(list(MISSING_MARKERS))
