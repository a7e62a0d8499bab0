"""World Bank / KNOMAD Bilateral Migration Matrix: origin (rows) x destination (columns) migrant stocks.

Read from the World Bank workbook or from a text copy (often tab-separated whatever its extension says: the
delimiter is sniffed). The corner cell reads "Destination country (across)-Source country (down)"; names are
World Bank short forms ("Bahamas, The", "St. Lucia"). "Total"/"World" margins are aggregates, "Other North" and
"Other South" origins are other/unknown. Zero cells are not stored: the World Bank uses 0 both for "none" and
for "no estimate". The diagonal (born and living in the same country) is not a migrant stock and is skipped.
To `migrant_stock`, for the year the file names (or `year=`), both sexes.
"""

from __future__ import annotations

import csv
import re

import polars as pl

from vipmg_core.countries import normalise
from vipmg_core.importers import ImportProblem, Note, Parsed, Source, Table

PUBLISHER = "World Bank, Migration and Remittances Data (KNOMAD)"
KEY = "worldbank"
AGGREGATES = {"total", "world", "world total"}
RESIDUAL = {"other north", "other south"}
MAX_HEADER_ROWS = 30


def _is_corner(cell: object) -> bool:
    text = normalise(cell or "")
    return "source country" in text or ("destination" in text and "origin" in text)


def sniff(source: Source) -> bool:
    if source.is_excel:
        try:
            return _grid(source)[1] is not None
        except ImportProblem:
            return False
    return _is_corner(re.split(r"[\t,;|]", source.first_line, maxsplit=1)[0])


def _grid(source: Source) -> tuple[list[list], int | None]:
    """The cells as rows, and the index of the header row (the one whose first cell is the corner label)."""
    if source.is_excel:
        book = source.workbook()
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for i, row in enumerate(rows[:MAX_HEADER_ROWS]):
                if row and _is_corner(row[0]):
                    return rows, i
        return [], None
    line = source.first_line
    delimiter = max("\t,;|", key=line.count)
    lines: list[list] = list(csv.reader(source.text.splitlines(), delimiter=delimiter))
    for i, line_cells in enumerate(lines[:MAX_HEADER_ROWS]):
        if line_cells and _is_corner(line_cells[0]):
            return lines, i
    return lines, None


def _count(value: object) -> int | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(value)
    text = str(value or "").strip().replace(",", "").replace(" ", "")
    try:
        return round(float(text)) if text else None
    except ValueError:
        return None


def parse(source: Source, *, year: int | str | None = None, **_options: object) -> Parsed:
    rows, header = _grid(source)
    if header is None:
        raise ImportProblem("layout", file=source.name, kind=KEY)
    year = str(year) if year else _year(source, rows[:header + 1])
    if not year:
        raise ImportProblem("year_needed", file=source.name)
    destinations = [str(c).strip() for c in rows[header][1:]]
    aggregates: dict[str, str] = {}
    origin, destination, value = [], [], []
    read = zeros = diagonal = 0
    for row in rows[header + 1:]:
        name = str(row[0]).strip() if row else ""
        if not name:
            continue
        read += 1
        key = normalise(name)
        if key in AGGREGATES:
            aggregates[name] = name
            continue
        raw_origin = "OOO" if key in RESIDUAL else name
        for j, dest in enumerate(destinations, start=1):
            dest_key = normalise(dest)
            if not dest_key:
                continue
            if dest_key in AGGREGATES or dest_key in RESIDUAL:
                aggregates[dest] = dest
                continue
            count = _count(row[j]) if j < len(row) else None
            if not count:
                zeros += count == 0
                continue
            if dest_key == key:
                diagonal += 1
                continue
            origin.append(raw_origin)
            destination.append(dest)
            value.append(count)
    if not value:
        raise ImportProblem("layout", file=source.name, kind=KEY)
    frame = pl.DataFrame({"destination": destination, "origin": origin, "obs_value": value},
                         schema={"destination": pl.String, "origin": pl.String, "obs_value": pl.Int64})
    frame = frame.with_columns(pl.lit(year).alias("time_period"), pl.lit(None, pl.String).alias("sex"))
    notes = [Note("worldbank_zeros", {"cells": zeros})]
    if diagonal:
        notes.append(Note("worldbank_diagonal", {"cells": diagonal}))
    return Parsed(series="worldbank-matrix", publisher=PUBLISHER, publisher_key=KEY,
                  edition=f"Bilateral Migration Matrix {year}", edition_date=year,
                  tables=[Table("migrant_stock", frame)], rows_read=read,
                  aggregates=sorted((name, name) for name in aggregates), notes=notes)


def _year(source: Source, head: list[list]) -> str | None:
    """The year the matrix is for, when the file name or its title says it (Bilateral_Migration_Matrix_2013)."""
    text = " ".join([source.name, *(str(c) for r in head for c in r if isinstance(c, str))])
    found = re.findall(r"(?<!\d)(19[6-9]\d|20\d\d)(?!\d)", text)
    return found[0] if found else None
