"""The checks of a file against its dataset's standard: headers, rows, cells (types, codes, ranges, periods),
duplicate keys and totals. `validate` runs them (and the plausibility checks) and returns the `Report`.

A cell rule depends on the cell's text alone, so it runs once per distinct text and reaches the rows through
small integer codes; row rules (duplicate keys, totals) work on those integers too. A million-row file is
validated in well under a second, and problems are built only for the rows that broke a rule. Validation reads;
it never stores or changes anything.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from vipmg_core import mapping as mp
from vipmg_core import rules as data_rules
from vipmg_core.codelists import codelist
from vipmg_core.datasets import Column, Dataset, dataset
from vipmg_core.readers import ROW, ReadResult, missing_expr
from vipmg_core.validation import problems as pb
from vipmg_core.validation.plausibility import check_published
from vipmg_core.validation.report import MAX_PER_KIND, Collector, Report

if TYPE_CHECKING:
    from vipmg_core.warehouse import Warehouse

# A cell rule: the type of problem, the mask of texts that break it, and its parameters (an expression over the
# distinct texts, or one value for all).
CellCheck = tuple[type[pb.Problem], pl.Expr, dict[str, Any]]


@dataclass(frozen=True)
class _Cells:
    """One canonical column as the file gives it: its distinct texts checked once (`table`, see
    `_cell_table`; the last row stands for an empty cell) and, per row, its row in that table (`code`)."""

    col: Column
    source: str | None  # the file column; None when the user gave one value for every row
    shown: str  # the column as the report names it
    table: pl.DataFrame
    rules: list[tuple[type[pb.Problem], list[str]]]  # per rule: its type and its parameters' names
    code: pl.Series  # UInt32, one per row

    def values(self, read: ReadResult) -> pl.Series:
        """The value the platform would keep, per row."""
        if self.source is not None and self.col.polars_type == pl.String and \
                self.table["value"].equals(self.table["raw"], check_names=False, null_equal=True):
            # Texts that are already the standard's own values: the file's column as it is, no copy.
            return read.frame[self.source]
        return self.table["value"].gather(self.code)

    def broken_rows(self, rule: int) -> tuple[pl.Series, int]:
        """Positions of the first MAX_PER_KIND rows whose text breaks rule number `rule`, and how many do."""
        bad = self.table[f"m{rule}"].to_numpy()
        if not bad.any():
            return pl.Series([], dtype=pl.UInt32), 0
        hit = np.take(bad, self.code.to_numpy())
        total = int(np.count_nonzero(hit))
        return pl.Series(np.flatnonzero(hit)[:MAX_PER_KIND], dtype=pl.UInt32), total

    def ids(self) -> tuple[np.ndarray, int]:
        """The kept values as integers per row (see `_value_ids`)."""
        ids, size = _value_ids(self.table["value"])
        return np.take(ids, self.code.to_numpy()), size


def _current_period(time_format: str, today: dt.date) -> str:
    return str(today.year) if time_format == "year" else f"{today.year}-{today.month:02d}"


def validate(read: ReadResult, mapping: mp.Mapping, wh: Warehouse | None = None, *, today: dt.date | None = None,
             progress: Callable[[float, str], None] | None = None) -> Report:
    """Check a file read by `readers` against the dataset standard, as mapped by the user.

    `wh` (a Warehouse) enables the plausibility warnings against what is already published for the same
    dataset and country. Nothing is written anywhere.
    """
    ds = dataset(mapping.dataset_id)
    today = today or dt.date.today()
    step = progress or (lambda _fraction, _key: None)
    out = Collector()
    header = read.info.header_row

    step(0.05, "headers")
    _check_headers(read, mapping, ds, out)
    if read.height == 0:
        out.add(pb.NoRows, row=header + 1)
    for row, cells in read.ragged:
        width = read.header_width or len(read.headers)
        out.add(pb.ExtraCell if cells > width else pb.MissingCell, row=row, value=str(cells), cells=cells,
                header_cells=width)

    step(0.15, "cells")
    # Every rule here depends on one cell's text only, so each is evaluated once per distinct text (files
    # repeat the same few codes, periods and counts) and looked up for every row by its integer code.
    mapped = [(col, mapping.source(col.name), mapping.constants.get(col.name)) for col in ds.columns]
    codes, texts = mp.value_codes(read, [s for _c, s, _k in mapped if s is not None])
    columns: list[_Cells] = []
    for col, source, constant in mapped:
        if source is None and constant is None:
            continue
        values = texts[source] if source is not None else pl.Series("raw", [constant], dtype=pl.String)
        table, rules = _cell_table(read, mapping, ds, col, values, today)
        code = codes[source] if source is not None else pl.zeros(read.height, pl.UInt32, eager=True)
        columns.append(_Cells(col, source, source or col.label("es"), table, rules, code))

    step(0.35, "cells")
    for c in columns:
        for i, (kind, names) in enumerate(c.rules):
            # Counted over every row; values and parameters gathered only for the first rows kept.
            broken, total = c.broken_rows(i)
            if total:
                at = c.table.gather(c.code.gather(broken))
                out.add(kind, pl.DataFrame({"row": read.frame[ROW].gather(broken), "value": at["raw"],
                                            **{n: at[f"p{i}_{n}"] for n in names}}), column=c.shown, total=total)

    step(0.5, "cells")
    typed = {c.col.name: c.values(read) for c in columns}
    data = read.frame.select(*[pl.lit(typed[col.name]).alias(col.name) if col.name in typed
                               else pl.lit(None, col.polars_type).alias(col.name) for col in ds.columns], ROW)
    data = _derive(ds, data)

    step(0.6, "rows")
    if ds.kind == "aggregate":
        # The key columns as small integers (equal values, equal ids) for the duplicate-key check.
        ids = {c.col.name: c.ids() for c in columns if c.col.name in _keys(ds) and not c.col.derived_from}
        _check_duplicates(ds, data, mapping, out, ids)
        _check_breakdowns(ds, data, out)
    _check_total_rows(read, mapping, ds, data, out)

    step(0.8, "published")
    if wh is not None:
        check_published(wh, ds, mapping.country, data, out)

    step(1.0, "done")
    problems, counts = out.frames()
    return Report(info=read.info, dataset_id=ds.id, country=mapping.country, rows=read.height,
                  problems=problems, counts=counts, data=data, mapping=mapping, detections=read.detections)


def validate_path(path: str, dataset_id: str, country: str, wh: Warehouse | None = None, *,
                  profile: mp.Mapping | None = None, sheet: str | None = None, header_row: int | None = None,
                  encoding: str | None = None) -> tuple[ReadResult, Report]:
    """Read a file from disk, map it (with a saved profile, or automatically) and validate it.

    Raises readers.ReadError when the file cannot be read at all.
    """
    from vipmg_core.readers import read_path

    read = read_path(path, sheet=sheet or (profile.sheet if profile else None),
                     header_row=header_row or (profile.header_row if profile else None), encoding=encoding)
    mapping = mp.refit(profile, read) if profile else mp.auto_mapping(read, dataset_id, country)
    return read, validate(read, mapping, wh)


def _check_headers(read: ReadResult, mapping: mp.Mapping, ds: Dataset, out: Collector) -> None:
    header = read.info.header_row
    mapped = {s for s in mapping.columns.values() if s}
    for col in ds.columns:
        has = mapping.source(col.name) is not None or col.name in mapping.constants
        derivable = col.derived_from and mapping.source(col.derived_from) is not None
        if col.required and not has and not derivable:
            out.add(pb.MissingColumn, row=header, column=col.label("es") + f" ({col.name})",
                    standard_name=col.name)
    seen: dict[str, int] = {}
    for position, (name, written) in enumerate(zip(read.columns, read.headers)):
        if written:
            key = mp.norm(written)
            if key in seen and (name in mapped or read.columns[seen[key]] in mapped):
                out.add(pb.DuplicateColumn, row=header, column=written, value=written,
                        first_position=seen[key] + 1, again_position=position + 1)
                continue
            seen.setdefault(key, position)
        elif name not in mapped:
            out.add(pb.BlankHeader, row=header, column=name)
            continue
        if name not in mapped:
            out.add(pb.ExtraColumn, row=header, column=name, value=written)
    sources = [s for s in mapping.columns.values() if s]
    for source in {s for s in sources if sources.count(s) > 1}:
        out.add(pb.DuplicateColumn, row=header, column=source, value=source)


def _cell_table(read: ReadResult, mapping: mp.Mapping, ds: Dataset, col: Column, texts: pl.Series,
                today: dt.date) -> tuple[pl.DataFrame, list[tuple[type[pb.Problem], list[str]]]]:
    """One row per distinct text of a column: `raw`, the `value` the platform would keep and, for each rule
    (returned in order with its parameters' names), whether the text breaks it (`m<i>`) and the rule's
    parameters for that text (`p<i>_<name>`)."""
    raw, missing, parsed = pl.col("raw"), pl.col("missing"), pl.col("parsed")
    parse, value, checks = _cell_rules(read, mapping, ds, col, raw, missing, parsed, today)
    if col.required and not col.derived_from:
        checks.insert(0, (pb.MissingValue, missing, {}))
    dtypes = pb.PROBLEM_SCHEMA
    table = pl.DataFrame({"raw": texts}, schema={"raw": pl.String}).with_columns(
        parse.alias("parsed"), missing_expr("raw").alias("missing"))
    table = table.select(
        "raw", value.cast(col.polars_type, strict=False).alias("value"),
        *[mask.fill_null(False).alias(f"m{i}") for i, (_kind, mask, _params) in enumerate(checks)],
        *[(given if isinstance(given, pl.Expr) else pl.lit(given, dtypes[name])).cast(dtypes[name])
          .alias(f"p{i}_{name}") for i, (_kind, _mask, params) in enumerate(checks)
          for name, given in params.items()]).rechunk()  # one chunk: fast look-ups
    return table, [(kind, list(params)) for kind, _mask, params in checks]


def _cell_rules(read: ReadResult, mapping: mp.Mapping, ds: Dataset, col: Column, raw: pl.Expr, missing: pl.Expr,
                parsed: pl.Expr, today: dt.date) -> tuple[pl.Expr, pl.Expr, list[CellCheck]]:
    """How to parse a column's text, the value the platform would keep (in terms of `parsed`), and the checks
    on it."""
    present = ~missing
    checks: list[CellCheck] = []
    if col.type == "code":
        codes = _column_codes(read, mapping, col)
        codes = {**{k.strip(): v for k, v in codes.items()}, **codes}
        parse = raw.str.strip_chars().replace_strict(codes, default=None, return_dtype=pl.String)
        checks.append((pb.UnknownCode, present & parsed.is_null(),
                       {"codelist": col.codelist_id or "", "suggestions": _suggestions(read, mapping, col, codes)}))
        if col.name == ds.area_column:
            checks.append((pb.OtherCountry, present & parsed.is_not_null() & (parsed != mapping.country),
                           {"country": mapping.country}))
        return parse, parsed, checks
    if col.type == "period":
        checks.append((pb.WrongType, present & parsed.is_null(), {"expected": f"period_{ds.time_format}"}))
        now = _current_period(ds.time_format, today)
        checks.append((pb.FuturePeriod, parsed.is_not_null() & (parsed > now), {"latest": now}))
        return mp.period_expr(raw, ds.time_format), pl.when(parsed > now).then(None).otherwise(parsed), checks
    if col.type == "string":
        return raw, parsed, checks
    if col.type in ("count", "integer"):
        parse = mp.count_expr(raw)
        expected = "integer"
    else:
        source = mapping.source(col.name)
        decimal = mapping.decimal or (mp.detect_decimal(read.frame[source]) if source else ".")
        parse = mp.number_expr(raw, decimal)
        expected = "number"
    checks.append((pb.WrongType, present & parsed.is_null(), {"expected": expected}))
    low = col.minimum if col.minimum is not None else (0 if col.type == "count" else None)
    high = col.maximum
    value = parsed
    if low is not None or high is not None:
        outside = pl.lit(False)
        if low is not None:
            outside = outside | (parsed < low)
        if high is not None:
            outside = outside | (parsed > high)
        checks.append((pb.OutOfRange, parsed.is_not_null() & outside, {"low": low, "high": high}))
        value = pl.when(outside).then(None).otherwise(parsed)  # the platform would not hold it
    return parse, value, checks


def _column_codes(read: ReadResult, mapping: mp.Mapping, col: Column) -> dict[str, str]:
    if mapping.source(col.name) is None:
        constant = mapping.constants.get(col.name)
        if constant is None:
            return {}
        code = mp.suggest_code(constant, col.codelist_id or "").code
        return {constant: code} if code else {}
    return mp.code_map(read, mapping, col.name)


def _suggestions(read: ReadResult, mapping: mp.Mapping, col: Column, codes: dict[str, str]) -> pl.Expr | None:
    """Per text that maps to no code, the codes it may have meant ("did you mean ...": none found is an empty
    list); null past the first 2000 such texts."""
    source = mapping.source(col.name)
    if source is None:
        return None
    labels = read.value_labels.get(source, {})
    unknown = [v for v in mp.unique_values(read, source).to_list() if v not in codes and v.strip() not in codes]
    guesses: dict[str, list[str]] = {}
    for value in unknown[:2000]:
        guesses[value] = list(mp.suggest_code(value, col.codelist_id or "", label=labels.get(value))
                                      .suggestions)
    if not guesses:
        return None
    index = pl.col("raw").str.strip_chars().replace_strict(list(guesses), list(range(len(guesses))), default=None,
                                                           return_dtype=pl.UInt32)
    return pl.lit(pl.Series(list(guesses.values()), dtype=pl.List(pl.String))).gather(index)


def _derive(ds: Dataset, data: pl.DataFrame) -> pl.DataFrame:
    """Columns the standard derives (age group from age) when the file does not give them."""
    for col in ds.columns:
        if col.derived_from == "age" and data[col.name].null_count() == data.height and data.height:
            age = pl.col(col.derived_from)
            group = (pl.when(age >= 85).then(pl.lit("Y_GE85"))
                     .otherwise(pl.lit("Y") + (age // 5 * 5).cast(pl.String) + pl.lit("T")
                                + (age // 5 * 5 + 4).cast(pl.String)))
            data = data.with_columns(pl.when(age.is_not_null()).then(group).alias(col.name))
    return data


def _keys(ds: Dataset) -> list[str]:
    return [c.name for c in ds.dimensions]


def _value_ids(values: pl.Series) -> tuple[np.ndarray, int]:
    """Small integers for values, with their count n: equal values get the same id in 0..n-1, a missing
    value gets n."""
    distinct = values.drop_nulls().unique()
    ids = values.replace_strict(distinct, pl.int_range(len(distinct), dtype=pl.UInt32, eager=True),
                                default=None, return_dtype=pl.UInt32)
    return ids.fill_null(len(distinct)).to_numpy(), len(distinct)


_PACKED = 2 ** 63  # keys packed into one integer stay below this; _NO_KEY marks a key with a missing part
_NO_KEY = 2 ** 64 - 1


def _check_duplicates(ds: Dataset, data: pl.DataFrame, mapping: mp.Mapping, out: Collector,
                      ids: dict[str, tuple[np.ndarray, int]]) -> None:
    """The same combination of dimensions twice: the platform would not know which value is right.

    `ids` holds key columns already turned into integers (`_value_ids`); the others are turned here. Rows
    with a part of the key missing are not compared."""
    keys = _keys(ds)
    if not keys or data.height == 0:
        return
    parts = {k: ids.get(k) or _value_ids(data[k]) for k in keys}
    missing = np.zeros(data.height, dtype=bool)
    for k in keys:
        missing |= parts[k][0] == parts[k][1]
    if math.prod(size + 1 for _ids, size in parts.values()) < _PACKED:
        # One integer per row for the whole key; sorting a copy finds the repeated ones, and only the rows
        # holding those are looked at.
        packed = np.zeros(data.height, dtype=np.uint64)
        for k in keys:
            packed *= np.uint64(parts[k][1] + 1)
            packed += parts[k][0]
        packed[missing] = _NO_KEY
        ordered = np.sort(packed)
        repeated = np.unique(ordered[1:][(ordered[1:] == ordered[:-1]) & (ordered[1:] != _NO_KEY)])
        if repeated.size == 0:
            return
        key = pl.Series("__key", packed)
        is_candidate = key.is_in(pl.Series(repeated).implode())
    else:  # too many distinct values to pack: compare the parts
        key = pl.DataFrame({k: parts[k][0] for k in keys}).select(pl.struct(keys).alias("__key")).to_series()
        is_candidate = key.is_duplicated() & pl.Series(~missing)
    candidates = data.with_columns(key).filter(is_candidate)
    first = pl.col(ROW).min().over("__key")
    dupes = candidates.with_columns(first.alias("__first")).filter(pl.col(ROW) != pl.col("__first"))
    shown = ", ".join(mapping.source(k) or k for k in keys)
    out.add(pb.DuplicateKey, dupes.select(
        pl.col(ROW).alias("row"),
        pl.concat_str([pl.col(k) for k in keys], separator=" · ").alias("value"),
        pl.col("__first").alias("same_as_row"),
    ), column=shown)


def _parts(list_id: str, present: set[str]) -> set[str]:
    """The codes that add up to `_T` in a codelist: for ages, the five-year groups (or the broad groups)."""
    cl = codelist(list_id)
    if list_id == "age_group":
        kinds = {cl.codes[c].attrs.get("kind") for c in present if c in cl.codes}
        kind = "five_year" if "five_year" in kinds else "broad"
        return {c.code for c in cl if c.attrs.get("kind") in (kind, "unknown")}
    return {c.code for c in cl if c.code != data_rules.TOTAL}


def _check_breakdowns(ds: Dataset, data: pl.DataFrame, out: Collector) -> None:
    """A `_T` row must equal the sum of its parts (same other dimensions)."""
    measure = ds.measure
    if measure is None:
        return
    keys = _keys(ds)
    for col in map(ds.column, data_rules.total_columns(ds)):
        if col.codelist_id is None or not data.select((pl.col(col.name) == data_rules.TOTAL).any()).item():
            continue
        present = set(data[col.name].drop_nulls().unique().to_list())
        others = [k for k in keys if k != col.name]
        parts = _parts(col.codelist_id, present)
        totals = (data.filter(pl.col(col.name) == data_rules.TOTAL)
                  .select(*others, pl.col(measure.name).alias("__total"), ROW))
        sums = (data.filter(pl.col(col.name).is_in(list(parts)))
                .group_by(others).agg(pl.col(measure.name).sum().alias("__sum")))
        joined = totals.join(sums, on=others, how="inner", nulls_equal=True)
        bad = joined.filter((pl.col("__total") - pl.col("__sum")).abs() > 0.5)
        out.add(pb.TotalMismatch, bad.select(
            pl.col(ROW).alias("row"), pl.col("__total").cast(pl.String).alias("value"),
            pl.col("__sum").cast(pl.Int64).alias("sum"),
        ), column=col.name, total_of="parts")


def _check_total_rows(read: ReadResult, mapping: mp.Mapping, ds: Dataset, data: pl.DataFrame,
                      out: Collector) -> None:
    """"Total" rows set aside by the reader: said so, and compared with the sum of the rows."""
    if read.totals.height == 0:
        return
    measure = ds.measure
    source = mapping.source(measure.name) if measure else None
    expected = data[measure.name].sum() if measure else None
    for row in read.totals.iter_rows(named=True):
        written = row.get(source) if source else None
        number = pl.select(mp.count_expr(pl.lit(written, pl.String))).item() if written else None
        out.add(pb.TotalRow, row=row[ROW], column=source, value=written)
        if number is not None and expected is not None and abs(number - expected) > 0.5:
            out.add(pb.TotalMismatch, row=row[ROW], column=source, value=written, total_of="rows",
                    sum=int(expected))
