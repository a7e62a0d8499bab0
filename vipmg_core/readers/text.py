"""Text files (CSV, TSV, TXT): the encoding and delimiter found, and the cells read as written, by Polars when
the file is plain UTF-8 and by Python's csv module (the careful path, exact row numbers) otherwise."""

from __future__ import annotations

import csv
import io
from array import array
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Literal, overload

import polars as pl

from vipmg_core.readers.grid import HEAD_ROWS, find_header, from_grid
from vipmg_core.readers.limits import Limits, check_cells, check_width
from vipmg_core.readers.result import ROW, Detection, FileInfo, ReadError, ReadResult

DELIMITERS = (",", ";", "\t", "|")


# A whole line of a broken or binary file can be one "field"; never fail on the csv module's 128 KB default.
csv.field_size_limit(256 * 1024 * 1024)

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


def read_text(data: bytes, info: FileInfo, header_row: int | None, encoding: str | None,
              delimiter: str | None, limits: Limits) -> ReadResult:
    if _looks_binary(data):
        raise ReadError("binary")
    _check_text_cells(data, encoding, delimiter, limits)
    # Most files are plain UTF-8 with Unix line ends: Polars parses (and checks) the bytes as they are and
    # only the head is decoded here. Anything else, or anything Polars refuses, takes the general path.
    head = _plain_utf8_head(data) if encoding is None else None
    if head is not None and header_row and head.count("\n") < header_row - 1:
        head = None  # the lines Polars would skip must have been checked as UTF-8 here
    if head is not None:
        read = _text_table(head, data, info, header_row, delimiter, "utf-8", limits, careful=False)
        if read is not None:
            return read
    text, used = decode(data, encoding)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Polars reads the original bytes when they already are plain UTF-8 with Unix line ends (no copy).
    same = used == "utf-8" and b"\r" not in data
    return _text_table(text, data if same else None, info, header_row, delimiter, used, limits, careful=True,
                       polars=not (same and head is not None))  # that same parse just failed


def _check_text_cells(data: bytes, encoding: str | None, delimiter: str | None, limits: Limits) -> None:
    """Refuse, before parsing, a text file with more cells than can be held and validated: its lines counted
    in the bytes, its width read in its first lines."""
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if lines * limits.columns <= limits.text_cells:
        return  # no width can make it too big
    head = decode(data[: 4 * HEAD_CHARS], encoding)[0].replace("\r\n", "\n").split("\n")[:HEAD_ROWS]
    sep = delimiter or detect_delimiter(head)
    common = Counter(len(r) for r in csv.reader(head, delimiter=sep) if len(r) > 1).most_common(1)
    width = common[0][0] if common else 1  # the table's width: what most of its first lines have
    check_cells(lines, width, limits)


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


@overload
def _text_table(text: str, raw: bytes | None, info: FileInfo, header_row: int | None, delimiter: str | None,
                used: str, limits: Limits, *, careful: Literal[True], polars: bool = True) -> ReadResult: ...


@overload
def _text_table(text: str, raw: bytes | None, info: FileInfo, header_row: int | None, delimiter: str | None,
                used: str, limits: Limits, *, careful: Literal[False], polars: bool = True) -> ReadResult | None: ...


def _text_table(text: str, raw: bytes | None, info: FileInfo, header_row: int | None, delimiter: str | None,
                used: str, limits: Limits, *, careful: bool, polars: bool = True) -> ReadResult | None:
    """`text` is the file's text (or, with `careful=False`, its head); `raw` the same as UTF-8 bytes when at
    hand. None when Polars cannot read it and `careful` is False."""
    head_lines = text[:HEAD_CHARS].split("\n")[:HEAD_ROWS]
    sep = delimiter or detect_delimiter(head_lines)
    widest = max((len(r) for r in csv.reader(head_lines, delimiter=sep)), default=0)
    check_width(widest, limits)
    head_grid = [tuple(r) for r in csv.reader(head_lines, delimiter=sep)]
    skip = header_row - 1 if header_row else find_header(head_grid)
    detections = [Detection("encoding", {"encoding": used}), Detection("delimiter", {"delimiter": _sep_name(sep)})]
    sample = next((line for line in head_lines if any(ch.isalpha() and ord(ch) > 127 for ch in line)), "")
    info = replace(info, encoding=used, delimiter=sep, sample_line=sample[:200])
    grid = _polars_grid(raw if raw is not None else text.encode("utf-8"), sep, skip) if polars else None
    if grid is not None:
        notes = [(i + 1, " ".join(c for c in r if c.strip())) for i, r in enumerate(head_grid[:skip])
                 if any(c.strip() for c in r)]
        return from_grid(grid, info, skip + 1, detections, notes=notes)
    if not careful:
        return None
    grid, ragged = _csv_grid(text, sep, limits)
    return from_grid(grid, info, header_row, detections, ragged=ragged)


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


def _csv_grid(text: str, sep: str, limits: Limits) -> tuple[pl.DataFrame, list[tuple[int, int]]]:
    """The careful path: Python's csv module, with each record's first line as its row number. Records are
    turned into Polars columns a block at a time, so Python holds one block of cells, never the file's."""
    reader = csv.reader(io.StringIO(text), delimiter=sep, strict=True)
    blocks: list[pl.DataFrame] = []
    filled_rows, filled_cells = array("q"), array("q")  # row number and cells of every filled record
    rows: list[list[str]] = []
    numbers: list[int] = []
    start, widest = 1, limits.columns
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error:
            raise ReadError("unclosed_quote", row=start) from None
        if len(record) > widest:
            check_width(len(record), limits)
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

