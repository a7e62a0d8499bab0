"""UN DESA International Migrant Stock: the workbooks as the Population Division publishes them, and the tidy
long series (destination, year, origin, sex).

- Origin-destination workbooks ("Table N. Total|Male|Female migrant stock at mid-year by origin and by ...
  destination, YEAR"): a title block, a two-row header (origin names under "Country of origin"), destination
  rows with UN M49 codes, regional aggregates (codes 900 and up) interleaved with countries, empty cells for
  "no estimate". Origins are named, not coded: the workbook's ANNEX gives their M49 codes. "Other North" and
  "Other South" are origins UN DESA could not attribute: they are counted as other/unknown. To `migrant_stock`.
- Destination workbooks ("Table 1: International migrant stock at mid-year by sex and by region, country or area
  of destination, 1990-2020"): years repeated under merged "both sexes / males / females" headers, `..` for
  missing, the hierarchy in leading spaces. Males and females are kept (both sexes is their sum), to
  `migrant_stock_total`; the other tables (population, shares, refugees) are not migrant stock and are skipped.
- The tidy series (`geo,t,from,sex,n,type_b,...`, ISO3 codes) to `migrant_stock`.
"""

from __future__ import annotations

import re

import polars as pl

from vipmg_core.countries import normalise
from vipmg_core.importers import (
    ImportProblem,
    Note,
    Parsed,
    Source,
    Table,
    codes_of,
    tidy_count,
    without_missing_values,
)
from vipmg_core.rules import TOTAL

PUBLISHER = "United Nations, DESA, Population Division"
KEY = "undesa"
TIDY_COLUMNS = ["geo", "t", "from", "sex", "n"]
SEXES = {"total": TOTAL, "both sexes": TOTAL, "male": "M", "males": "M", "female": "F", "females": "F"}
# Residual origins UN DESA could not place in a country: other/unknown in the standard.
RESIDUAL_ORIGINS = {"other north", "other south", "other", "unknown"}
FIRST_AGGREGATE_CODE = 900  # M49: WORLD 900, regions and groups above; countries below


def sniff(source: Source) -> bool:
    if source.is_excel:
        return bool(_stock_sheets(source))
    return source.header()[:5] == TIDY_COLUMNS


def parse(source: Source, **_options: object) -> Parsed:
    if not source.is_excel:
        return _tidy(source)
    book = source.workbook()
    sheets = _stock_sheets(source, book)
    if not sheets:
        raise ImportProblem("layout", file=source.name, kind=KEY)
    od, destination, skipped, rev, text = [], [], [], None, []
    for name, rows in sheets:
        header = _header_row(rows)
        title = _title(rows[:header] if header is not None else rows[:12])
        text.append(" ".join(str(c) for r in rows[:header or 12] for c in r if isinstance(c, str)))
        if header is None:
            skipped.append(name)
        elif re.search(r"by origin", title, re.IGNORECASE):
            od.append((name, title, rows, header))
        elif re.search(r"international migrant stock at mid-year by sex", title, re.IGNORECASE):
            destination.append((name, title, rows, header))
        else:
            skipped.append(name)
    found = re.search(r"Rev\.?\s*(\d{4})", " ".join(text))
    rev = found.group(1) if found else None
    annex = _annex(book)
    notes: list[Note] = []
    aggregates: dict[str, str] = {}
    tables, rows_read, years = [], 0, []
    if od:
        frame, labels, read, mismatches = _od_tables(od, annex, aggregates, notes)
        rows_read += read
        years += frame["time_period"].unique().to_list()
        tables.append(Table("migrant_stock", frame, labels))
        if mismatches:
            notes.append(Note("undesa_total_mismatch", {"count": mismatches}))
    if destination:
        frame, labels, read, missing = _destination_tables(destination, aggregates)
        rows_read += read
        years += frame["time_period"].unique().to_list()
        tables.append(Table("migrant_stock_total", frame, labels))
        if missing:
            notes.append(Note("undesa_missing", {"count": missing}))
    if not tables:
        raise ImportProblem("layout", file=source.name, kind=KEY)
    if skipped:
        notes.append(Note("sheets_skipped", {"sheets": ", ".join(skipped)}))
    last = max(years)
    edition = f"International Migrant Stock, Rev.{rev} (POP/DB/MIG/Stock/Rev.{rev})" if rev else \
        f"International Migrant Stock {last}"
    return Parsed(series="undesa-workbook", publisher=PUBLISHER, publisher_key=KEY, edition=edition,
                  edition_date=rev or last, tables=tables, rows_read=rows_read,
                  aggregates=sorted(aggregates.items(), key=lambda kv: int(kv[0])), notes=notes)


# -- the workbooks -------------------------------------------------------------------------------------------

def _stock_sheets(source: Source, book=None) -> list[tuple[str, list[list]]]:
    """The "Table N" sheets of a workbook whose title speaks of migrant stock, with their cells."""
    try:
        book = book or source.workbook()
    except ImportProblem:
        return []
    found = []
    for name in book.sheet_names:
        if not re.fullmatch(r"\s*table\s*\d+\s*", name, re.IGNORECASE):
            continue
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        head = " ".join(str(c) for r in rows[:15] for c in r if isinstance(c, str)).lower()
        if "migrant stock" in head:
            found.append((name, rows))
    return found


def _cell(value: object) -> str:
    return value.strip() if isinstance(value, str) else "" if value is None else str(value)


def _header_row(rows: list[list]) -> int | None:
    for i, row in enumerate(rows[:40]):
        cells = {normalise(_cell(c)) for c in row}
        if cells & {"country code", "location code"}:
            return i
    return None


def _title(rows: list[list]) -> str:
    for row in rows:
        for cell in row:
            if isinstance(cell, str) and re.match(r"\s*table\s*\d+\s*[.:]", cell, re.IGNORECASE):
                return cell.strip()
    return ""


def _code(value: object) -> int | None:
    try:
        return int(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _count(value: object) -> int | None:
    """A cell's count: Excel numbers as integers; empty cells and `..` (no estimate) as None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return round(value)
    text = str(value).strip().replace(",", "").replace(" ", "")
    return int(text) if text.isdigit() else None


def _column(header: list, *names: str) -> int:
    wanted = {normalise(n) for n in names}
    for j, cell in enumerate(header):
        if normalise(_cell(cell)) in wanted or any(w in normalise(_cell(cell)) for w in wanted):
            return j
    raise ValueError(f"no column {names}")


def _annex(book) -> dict[str, str]:
    """Normalised country name -> M49 code, from the workbook's ANNEX (classification of countries)."""
    if "ANNEX" not in book.sheet_names:
        return {}
    rows = book.get_sheet_by_name("ANNEX").to_python(skip_empty_area=False)
    for i, row in enumerate(rows[:40]):
        cells = [normalise(_cell(c)) for c in row]
        if "country code" in cells and "country or area" in cells:
            code_at, name_at = cells.index("country code"), cells.index("country or area")
            return {normalise(_cell(r[name_at])): str(_code(r[code_at])) for r in rows[i + 1:]
                    if len(r) > max(code_at, name_at) and _code(r[code_at]) is not None}
    return {}


def _od_tables(sheets, annex: dict[str, str], aggregates: dict[str, str], notes: list[Note]):
    """Origin-destination sheets to rows of migrant_stock; male and female tables win over totals."""
    by_year: dict[str, dict[str, tuple]] = {}
    for name, title, rows, header in sheets:
        found = re.search(r"(total|male|female)\s+migrant stock.*?(\d{4})\s*$", title, re.IGNORECASE)
        if not found:
            raise ImportProblem("layout", file=name, kind=KEY)
        sex, year = SEXES[found.group(1).lower()], found.group(2)
        by_year.setdefault(year, {})[sex] = (name, rows, header)
    frames: list[pl.DataFrame] = []
    labels: dict[str, str] = {}
    read = mismatches = 0
    for year, tables in sorted(by_year.items()):
        chosen = {s: v for s, v in tables.items() if s != TOTAL} if {"M", "F"} <= set(tables) else tables
        if len(chosen) < len(tables):
            notes.append(Note("undesa_sexes", {"year": year}))
        for sex, (name, rows, header) in chosen.items():
            frame, sheet_labels, sheet_read, sheet_mismatches = _od_sheet(rows, header, year, sex, annex, aggregates)
            frames.append(frame)
            labels |= sheet_labels
            read += sheet_read
            mismatches += sheet_mismatches
    return pl.concat(frames), labels, read, mismatches


def _od_sheet(rows, header: int, year: str, sex: str | None, annex: dict[str, str], aggregates: dict[str, str]):
    head, names = rows[header], rows[header + 1]
    code_at = _column(head, "country code")
    name_at = _column(head, "destination")
    first = _column(head, "country of origin")
    origins: list[tuple[int, str, str]] = []  # (column, raw value for the resolver, label)
    total_at = None
    for j in range(first, len(names)):
        label = _cell(names[j]).rstrip("*").strip()
        key = normalise(label)
        if not key:
            continue
        if key == "total":
            total_at = j
        elif key in RESIDUAL_ORIGINS:
            origins.append((j, "OOO", label))
        else:
            m49 = annex.get(key)
            origins.append((j, m49 or label, f"{label} ({m49})" if m49 else label))
    labels = {raw: label for _, raw, label in origins if raw != "OOO"}
    destination, origin, value = [], [], []
    read = mismatches = 0
    for row in rows[header + 2:]:
        code = _code(row[code_at]) if len(row) > code_at else None
        if code is None:
            continue
        read += 1
        name = _cell(row[name_at])
        if code >= FIRST_AGGREGATE_CODE:
            aggregates[str(code)] = name
            continue
        labels[str(code)] = f"{name} ({code})"
        row_sum = 0
        for j, raw, _label in origins:
            count = _count(row[j]) if j < len(row) else None
            if count is None:
                continue  # empty: no estimate for this pair
            destination.append(str(code))
            origin.append(raw)
            value.append(count)
            row_sum += count
        total = _count(row[total_at]) if total_at is not None and total_at < len(row) else None
        if total is not None and total != row_sum:
            mismatches += 1
    frame = pl.DataFrame({"destination": destination, "origin": origin, "obs_value": value},
                         schema={"destination": pl.String, "origin": pl.String, "obs_value": pl.Int64})
    frame = frame.with_columns(pl.lit(year).alias("time_period"), pl.lit(sex, pl.String).alias("sex"))
    return frame, labels, read, mismatches


def _destination_tables(sheets, aggregates: dict[str, str]):
    """'Migrant stock by sex and destination' sheets: each year under its sex's merged super-header."""
    frames, labels, read, missing = [], {}, 0, 0
    for _name, _title, rows, header in sheets:
        head = rows[header]
        code_at = _column(head, "location code")
        name_at = _column(head, "region, development group, country or area")
        blocks = []  # (first column, sex) from the merged super-headers above the years
        for row in rows[:header]:
            for j, cell in enumerate(row):
                text = _cell(cell).lower()
                for words, sex in (("both sexes", "T"), ("females", "F"), ("males", "M")):
                    if text.endswith((words, f"{words} combined")) or f"{words} " in text:
                        blocks.append((j, sex))
                        break
        blocks.sort()
        year_columns = []
        for j, cell in enumerate(head):
            number = _code(cell)
            if number and 1900 < number < 2200:
                sex = next((s for start, s in reversed(blocks) if start <= j), "T")
                year_columns.append((j, str(number), sex))
        sexes = {s for _, _, s in year_columns}
        keep = {"M", "F"} if {"M", "F"} <= sexes else {"T"}
        destination, period, sex_col, value = [], [], [], []
        for row in rows[header + 1:]:
            code = _code(row[code_at]) if len(row) > code_at else None
            if code is None:
                continue
            read += 1
            if code >= FIRST_AGGREGATE_CODE:
                aggregates[str(code)] = _cell(row[name_at])
                continue
            labels[str(code)] = f"{_cell(row[name_at])} ({code})"
            for j, year, sex in year_columns:
                if sex not in keep:
                    continue
                count = _count(row[j]) if j < len(row) else None
                if count is None:
                    missing += 1
                    continue
                destination.append(str(code))
                period.append(year)
                sex_col.append(TOTAL if sex == "T" else sex)
                value.append(count)
        frames.append(pl.DataFrame({"destination": destination, "time_period": period, "sex": sex_col,
                                    "obs_value": value},
                                   schema={"destination": pl.String, "time_period": pl.String, "sex": pl.String,
                                           "obs_value": pl.Int64}))
    return pl.concat(frames), labels, read, missing


# -- the tidy series -----------------------------------------------------------------------------------------

def _tidy(source: Source) -> Parsed:
    raw = source.csv()
    notes: list[Note] = []
    frame = raw.select(
        pl.col("geo").alias("destination"), pl.col("from").alias("origin"),
        pl.col("t").str.strip_chars().alias("time_period"),
        codes_of(raw["sex"], SEXES, "sex").alias("sex"),
        tidy_count(raw["n"]).alias("obs_value"),
    )
    frame = without_missing_values(frame, notes)
    # Where a (destination, year) has males and females, a "total" row would be counted twice: keep the parts.
    detailed = frame.filter(pl.col("sex") != TOTAL).select("destination", "time_period").unique()
    totals = frame.filter(pl.col("sex") == TOTAL)
    frame = pl.concat([frame.filter(pl.col("sex") != TOTAL),
                       totals.join(detailed, on=["destination", "time_period"], how="anti")])
    last = max(frame["time_period"].unique().to_list())
    return Parsed(series="undesa-tidy", publisher=PUBLISHER, publisher_key=KEY,
                  edition=f"International Migrant Stock {last} (tidy series compiled by IOM GDI, gdidata)",
                  edition_date=last, tables=[Table("migrant_stock", frame)], rows_read=raw.height, notes=notes)
