"""From a grid of cells to a table: the header row found, blank columns and rows dropped, title and note lines
and "Total" rows set aside, every row keeping the number it has in the user's file. Shared by every format."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import replace

import polars as pl

from vipmg_core.readers.result import ROW, Detection, FileInfo, ReadError, ReadResult

HEAD_ROWS = 60  # rows looked at to find the header and the delimiter
# Missing-value markers statistics offices use; shown as written in the report, treated as empty.
MISSING_MARKERS = frozenset({"", "..", "...", "-", "--", "—", "–", "na", "n/a", "n.a.", "nd", "n.d.", "s.d.",
                             "sd", "s/d", "null", "none", "nan", "x", ":"})
TOTAL_RE = re.compile(r"^\s*(total(es)?|sub-?total(es)?|gran total|total general|grand total|monthly total"
                      r"|yearly total|suma)\b", re.IGNORECASE)


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


def from_grid(grid: pl.DataFrame, info: FileInfo, header_row: int | None, detections: list[Detection],
              ragged: list[tuple[int, int]] | None = None,
              notes: list[tuple[int, str]] | None = None) -> ReadResult:
    """The table in `grid` (String columns plus ROW) as the user laid it out (see the module docstring)."""
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
