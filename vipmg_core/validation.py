"""The validation report: what is wrong with a file, where, and how to fix it, in plain language.

Errors are data (as in frictionless): each problem has a code from a small taxonomy (header, row, cell,
plausibility), a severity (errors block a submission, warnings do not), the row as the user sees it in their
file, the column as their file names it, the value as written and a detail. Messages and fixes are looked up
in the user's language only when the report is shown. Validation reads; it never stores or changes anything.

A cell rule depends on the cell's text alone, so it runs once per distinct text and reaches the rows through
small integer codes; row rules (duplicate keys, totals) work on those integers too. A million-row file is
validated in well under a second, and messages are built only for the rows that broke a rule.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from vipmg_core import mapping as mp
from vipmg_core import rules as data_rules
from vipmg_core.codelists import codelist
from vipmg_core.datasets import Column, Dataset, dataset
from vipmg_core.i18n import fmt_number, t
from vipmg_core.readers import ROW, Detection, FileInfo, ReadResult, missing_expr

ERROR, WARNING = "error", "warning"
# code -> (severity, group). The group is the frictionless family the problem belongs to.
PROBLEMS: dict[str, tuple[str, str]] = {
    "missing-column": (ERROR, "header"),
    "duplicate-column": (ERROR, "header"),
    "blank-header": (WARNING, "header"),
    "extra-column": (WARNING, "header"),
    "no-rows": (ERROR, "row"),
    "extra-cell": (ERROR, "row"),
    "missing-cell": (WARNING, "row"),
    "duplicate-key": (ERROR, "row"),
    "other-country": (ERROR, "row"),
    "total-row": (WARNING, "row"),
    "type-error": (ERROR, "cell"),
    "unknown-code": (ERROR, "cell"),
    "out-of-range": (ERROR, "cell"),
    "future-period": (ERROR, "cell"),
    "missing-value": (ERROR, "cell"),
    "total-mismatch": (WARNING, "plausibility"),
    "jump": (WARNING, "plausibility"),
    "category-missing": (WARNING, "plausibility"),
}
MAX_PER_KIND = 5_000  # problems kept per (code, column); the counts stay exact
MAX_VALUE_CHARS = 200  # a longer value is kept cut, with its full length (a 50 MB cell is not copied around)
JUMP_RATIO = 5.0
PROBLEM_SCHEMA = {"severity": pl.String, "code": pl.String, "row": pl.Int64, "column": pl.String,
                  "value": pl.String, "detail": pl.String, "length": pl.Int64}  # length: of a value kept cut
_SEVERITY_ORDER = {ERROR: 0, WARNING: 1}


def message_key(code: str) -> str:
    return code.replace("-", "_")


@dataclass(frozen=True)
class Report:
    info: FileInfo
    dataset_id: str
    country: str
    rows: int
    problems: pl.DataFrame  # PROBLEM_SCHEMA, at most MAX_PER_KIND per (code, column), values cut
    counts: pl.DataFrame  # severity, code, count: exact
    data: pl.DataFrame  # the rows as the platform would hold them (canonical columns, typed) + ROW
    mapping: mp.Mapping
    detections: tuple[Detection, ...] = ()
    checked_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))

    @property
    def errors(self) -> int:
        return int(self.counts.filter(pl.col("severity") == ERROR)["count"].sum())

    @property
    def warnings(self) -> int:
        return int(self.counts.filter(pl.col("severity") == WARNING)["count"].sum())

    @property
    def ready(self) -> bool:
        return self.errors == 0

    def count(self, code: str) -> int:
        return int(self.counts.filter(pl.col("code") == code)["count"].sum())

    def affected_rows(self) -> list[int]:
        return sorted(set(self.problems.filter(pl.col("severity") == ERROR)["row"].drop_nulls().to_list()))

    def message(self, problem: dict, lang: str) -> str:
        return t(f"problem.{message_key(problem['code'])}.message", lang, **_params(problem, lang))

    def fix(self, problem: dict, lang: str) -> str:
        return t(f"problem.{message_key(problem['code'])}.fix", lang, **_params(problem, lang))

    def table(self, lang: str) -> pl.DataFrame:
        """The problems as the user reads them: translated, one row each, errors first."""
        rows = self.problems.to_dicts()
        return pl.DataFrame({
            t("report.col_severity", lang): [t(f"report.severity_{p['severity']}", lang) for p in rows],
            t("report.col_type", lang): [t(f"problem.{message_key(p['code'])}.title", lang) for p in rows],
            t("report.col_row", lang): [p["row"] for p in rows],
            t("report.col_column", lang): [p["column"] for p in rows],
            t("report.col_value", lang): [shown_value(p, lang) for p in rows],
            t("report.col_message", lang): [self.message(p, lang) for p in rows],
            t("report.col_fix", lang): [self.fix(p, lang) for p in rows],
        }, schema={t(f"report.col_{c}", lang): ty for c, ty in
                   (("severity", pl.String), ("type", pl.String), ("row", pl.Int64), ("column", pl.String),
                    ("value", pl.String), ("message", pl.String), ("fix", pl.String))})

    def summary(self, lang: str) -> pl.DataFrame:
        """Counts by type of problem: the first thing a focal point reads after the verdict."""
        rows = self.counts.sort(pl.col("severity").replace_strict(_SEVERITY_ORDER), pl.col("count"),
                                descending=[False, True]).to_dicts()
        return pl.DataFrame({
            t("report.col_severity", lang): [t(f"report.severity_{r['severity']}", lang) for r in rows],
            t("report.col_type", lang): [t(f"problem.{message_key(r['code'])}.title", lang) for r in rows],
            t("report.col_count", lang): [r["count"] for r in rows],
        }, schema={t("report.col_severity", lang): pl.String, t("report.col_type", lang): pl.String,
                   t("report.col_count", lang): pl.Int64})

    def to_dict(self, lang: str = "en") -> dict:
        """Everything a script needs: the verdict, the file, the counts and every problem kept."""
        return {
            "ready": self.ready,
            "dataset": self.dataset_id,
            "country": self.country,
            "file": {"name": self.info.name, "size": self.info.size, "sha256": self.info.sha256,
                     "format": self.info.format, "encoding": self.info.encoding, "sheet": self.info.sheet,
                     "header_row": self.info.header_row, "rows": self.rows},
            "errors": self.errors,
            "warnings": self.warnings,
            "counts": self.counts.to_dicts(),
            "problems": [
                {**p, "message": self.message(p, lang), "fix": self.fix(p, lang)} for p in self.problems.to_dicts()
            ],  # a long value is cut; `length` gives its full length
            "checked_at": self.checked_at,
        }

    def to_json(self, lang: str = "en") -> str:
        return json.dumps(self.to_dict(lang), ensure_ascii=False, indent=2)


def shown_value(problem: dict, lang: str) -> str | None:
    """The value as the report shows it: a value kept cut ends with "…" and says how long it is."""
    value, length = problem.get("value"), problem.get("length")
    if value is None or length is None:
        return value
    return value + t("report.value_cut", lang, length=fmt_number(length, lang))


def _params(problem: dict, lang: str) -> dict:
    value = shown_value(problem, lang)
    return {"row": problem.get("row") if problem.get("row") is not None else "–",
            "column": problem.get("column") or "", "value": value if value is not None else "",
            "detail": _detail(problem.get("detail") or "", lang)}


def _detail(detail: str, lang: str) -> str:
    """Details are stored language-free: `@key|name=value|...` is a message key with its arguments; a `list`
    argument turns `code`/`codes` into names in the reader's language."""
    if not detail.startswith("@"):
        return detail
    key, *args = detail[1:].split("|")
    params = dict(arg.split("=", 1) for arg in args)
    if "list" in params:
        names = codelist(params["list"])
        if "codes" in params:
            params["codes"] = "; ".join(f"{names.name(c, lang)} ({c})" for c in params["codes"].split(","))
        if "code" in params:
            params["code"] = f"{names.name(params['code'], lang)} ({params['code']})"
    return t(f"detail.{key}", lang, **params)


# --- the checks ---------------------------------------------------------------------------------------------

class _Collector:
    def __init__(self) -> None:
        self.parts: list[pl.DataFrame] = []
        self.totals: dict[tuple[str, str], int] = {}

    def add(self, code: str, frame: pl.DataFrame | None = None, *, column: str | None = None, row: int | None = None,
            value: str | None = None, detail: str | None = None, total: int | None = None) -> None:
        """Count the problems in `frame` (or the one given by `row`, `value`, `detail`) and keep the first
        MAX_PER_KIND, values cut at MAX_VALUE_CHARS. `total` is the exact count when `frame` holds only the
        first ones."""
        severity = PROBLEMS[code][0]
        if frame is None:
            frame = pl.DataFrame({"row": [row], "value": [value], "detail": [detail]},
                                 schema={"row": pl.Int64, "value": pl.String, "detail": pl.String})
        if frame.height == 0:
            return
        self.totals[(severity, code)] = self.totals.get((severity, code), 0) + (total or frame.height)
        frame = frame.head(MAX_PER_KIND)
        value = (pl.col("value") if "value" in frame.columns else pl.lit(None)).cast(pl.String)
        detail = (pl.col("detail") if "detail" in frame.columns else pl.lit(detail)).cast(pl.String)
        self.parts.append(frame.select(
            pl.lit(severity).alias("severity"), pl.lit(code).alias("code"),
            (pl.col("row") if "row" in frame.columns else pl.lit(None)).cast(pl.Int64).alias("row"),
            pl.lit(column, pl.String).alias("column"),
            value.str.slice(0, MAX_VALUE_CHARS).alias("value"),
            detail.alias("detail"),  # language-free keys and codes, never the user's text
            pl.when(value.str.len_chars() > MAX_VALUE_CHARS).then(value.str.len_chars()).cast(pl.Int64)
            .alias("length"),
        ))

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        problems = pl.concat(self.parts) if self.parts else pl.DataFrame(schema=PROBLEM_SCHEMA)
        problems = problems.sort(pl.col("severity").replace_strict(_SEVERITY_ORDER, return_dtype=pl.Int8),
                                 pl.col("row"), nulls_last=False, maintain_order=True)
        counts = pl.DataFrame([{"severity": s, "code": c, "count": n} for (s, c), n in self.totals.items()],
                              schema={"severity": pl.String, "code": pl.String, "count": pl.Int64})
        return problems, counts


@dataclass(frozen=True)
class _Cells:
    """One canonical column as the file gives it: its distinct texts checked once (`table`, see
    `_cell_table`; the last row stands for an empty cell) and, per row, its row in that table (`code`)."""

    col: Column
    source: str | None  # the file column; None when the user gave one value for every row
    shown: str  # the column as the report names it
    table: pl.DataFrame
    rules: list[str]
    code: pl.Series  # UInt32, one per row

    def values(self, read: ReadResult) -> pl.Series:
        """The value the platform would keep, per row."""
        same = self.source is not None and self.col.polars_type == pl.String and \
            self.table["value"].equals(self.table["raw"], check_names=False, null_equal=True)
        # Texts that are already the standard's own values: the file's column as it is, no copy.
        return read.frame[self.source] if same else self.table["value"].gather(self.code)

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


def validate(read: ReadResult, mapping: mp.Mapping, wh=None, *, today: dt.date | None = None,
             progress: Callable[[float, str], None] | None = None) -> Report:
    """Check a file read by `readers` against the dataset standard, as mapped by the user.

    `wh` (a Warehouse) enables the plausibility warnings against what is already published for the same
    dataset and country. Nothing is written anywhere.
    """
    ds = dataset(mapping.dataset_id)
    today = today or dt.date.today()
    step = progress or (lambda _fraction, _key: None)
    out = _Collector()
    header = read.info.header_row

    step(0.05, "headers")
    _check_headers(read, mapping, ds, out)
    if read.height == 0:
        out.add("no-rows", row=header + 1)
    for row, cells in read.ragged:
        width = read.header_width or len(read.headers)
        out.add("extra-cell" if cells > width else "missing-cell", row=row, value=str(cells),
                detail=f"@cells|found={cells}|expected={width}")

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
        for i, rule in enumerate(c.rules):
            # Counted over every row; values and details built only for the first rows kept.
            broken, total = c.broken_rows(i)
            if total:
                at = c.table.gather(c.code.gather(broken))
                out.add(rule, pl.DataFrame({"row": read.frame[ROW].gather(broken), "value": at["raw"],
                                            "detail": at[f"d{i}"]}), column=c.shown, total=total)

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
        _check_published(wh, ds, mapping.country, data, out)

    step(1.0, "done")
    problems, counts = out.frames()
    return Report(info=read.info, dataset_id=ds.id, country=mapping.country, rows=read.height,
                  problems=problems, counts=counts, data=data, mapping=mapping, detections=read.detections)


def validate_path(path: str, dataset_id: str, country: str, wh=None, *, profile: mp.Mapping | None = None,
                  sheet: str | None = None, header_row: int | None = None, encoding: str | None = None
                  ) -> tuple[ReadResult, Report]:
    """Read a file from disk, map it (with a saved profile, or automatically) and validate it.

    Raises readers.ReadError when the file cannot be read at all.
    """
    from vipmg_core.readers import read_path

    options = {"sheet": sheet or (profile.sheet if profile else None),
               "header_row": header_row or (profile.header_row if profile else None), "encoding": encoding}
    read = read_path(path, **options)
    mapping = mp.refit(profile, read) if profile else mp.auto_mapping(read, dataset_id, country)
    return read, validate(read, mapping, wh)


def _check_headers(read: ReadResult, mapping: mp.Mapping, ds: Dataset, out: _Collector) -> None:
    header = read.info.header_row
    mapped = {s for s in mapping.columns.values() if s}
    for col in ds.columns:
        has = mapping.source(col.name) is not None or col.name in mapping.constants
        derivable = col.derived_from and mapping.source(col.derived_from) is not None
        if col.required and not has and not derivable:
            out.add("missing-column", row=header, column=col.label("es") + f" ({col.name})", value=None,
                    detail=f"@column|name={col.name}")
    seen: dict[str, int] = {}
    for position, (name, written) in enumerate(zip(read.columns, read.headers)):
        if written:
            key = mp.norm(written)
            if key in seen:
                first = read.columns[seen[key]]
                code = "duplicate-column" if (name in mapped or first in mapped) else "blank-header"
                if code == "duplicate-column":
                    out.add(code, row=header, column=written, value=written,
                            detail=f"@position|first={seen[key] + 1}|again={position + 1}")
                    continue
            seen.setdefault(key, position)
        elif name not in mapped:
            out.add("blank-header", row=header, column=name, value=None)
            continue
        if name not in mapped:
            out.add("extra-column", row=header, column=name, value=written)
    sources = [s for s in mapping.columns.values() if s]
    for source in {s for s in sources if sources.count(s) > 1}:
        out.add("duplicate-column", row=header, column=source, value=source, detail="@mapped_twice")


def _cell_table(read: ReadResult, mapping: mp.Mapping, ds: Dataset, col: Column, texts: pl.Series,
                today: dt.date) -> tuple[pl.DataFrame, list[str]]:
    """One row per distinct text of a column: `raw`, the `value` the platform would keep and, for each rule
    (codes returned in order), whether the text breaks it (`m<i>`) and the detail to show (`d<i>`)."""
    raw, missing, parsed = pl.col("raw"), pl.col("missing"), pl.col("parsed")
    parse, value, checks = _cell_rules(read, mapping, ds, col, raw, missing, parsed, today)
    if col.required and not col.derived_from:
        checks.insert(0, ("missing-value", missing, None))
    table = pl.DataFrame({"raw": texts}, schema={"raw": pl.String}).with_columns(
        parse.alias("parsed"), missing_expr("raw").alias("missing"))
    table = table.select(
        "raw", value.cast(col.polars_type, strict=False).alias("value"),
        *[mask.fill_null(False).alias(f"m{i}") for i, (_code, mask, _detail) in enumerate(checks)],
        *[(detail if isinstance(detail, pl.Expr) else pl.lit(detail, pl.String)).alias(f"d{i}")
          for i, (_code, _mask, detail) in enumerate(checks)]).rechunk()  # one chunk: fast look-ups
    return table, [code for code, _mask, _detail in checks]


def _cell_rules(read: ReadResult, mapping: mp.Mapping, ds: Dataset, col: Column, raw: pl.Expr, missing: pl.Expr,
               parsed: pl.Expr, today: dt.date
               ) -> tuple[pl.Expr, pl.Expr, list[tuple[str, pl.Expr, str | pl.Expr | None]]]:
    """How to parse a column's text, the value the platform would keep (in terms of `parsed`), and the checks
    on it: (code, mask, detail)."""
    present = ~missing
    checks: list[tuple[str, pl.Expr, str | pl.Expr | None]] = []
    if col.type == "code":
        codes = _column_codes(read, mapping, col)
        codes = {**{k.strip(): v for k, v in codes.items()}, **codes}
        parse = raw.str.strip_chars().replace_strict(codes, default=None, return_dtype=pl.String)
        hint = _hints(read, mapping, col, codes)
        detail = raw.str.strip_chars().replace_strict(hint, default=None, return_dtype=pl.String) if hint else None
        checks.append(("unknown-code", present & parsed.is_null(), detail))
        if col.name == ds.area_column:
            checks.append(("other-country", present & parsed.is_not_null() & (parsed != mapping.country),
                           f"@country|code={mapping.country}"))
        return parse, parsed, checks
    if col.type == "period":
        checks.append(("type-error", present & parsed.is_null(), f"@period_{ds.time_format}"))
        now = _current_period(ds.time_format, today)
        checks.append(("future-period", parsed.is_not_null() & (parsed > now), f"@after|now={now}"))
        return mp.period_expr(raw, ds.time_format), pl.when(parsed > now).then(None).otherwise(parsed), checks
    if col.type == "string":
        return raw, parsed, checks
    if col.type in ("count", "integer"):
        parse = mp.count_expr(raw)
        expected = "@integer"
    else:
        source = mapping.source(col.name)
        decimal = mapping.decimal or (mp.detect_decimal(read.frame[source]) if source else ".")
        parse = mp.number_expr(raw, decimal)
        expected = "@number"
    checks.append(("type-error", present & parsed.is_null(), expected))
    low = col.minimum if col.minimum is not None else (0 if col.type == "count" else None)
    high = col.maximum
    value = parsed
    if low is not None or high is not None:
        outside = pl.lit(False)
        if low is not None:
            outside = outside | (parsed < low)
        if high is not None:
            outside = outside | (parsed > high)
        bounds = (f"@range|low={_num(low)}|high={_num(high)}" if low is not None and high is not None
                  else f"@minimum|low={_num(low)}" if low is not None else f"@maximum|high={_num(high)}")
        checks.append(("out-of-range", parsed.is_not_null() & outside, bounds))
        value = pl.when(outside).then(None).otherwise(parsed)  # the platform would not hold it
    return parse, value, checks


def _num(value: float | None) -> str:
    return "–" if value is None else str(int(value)) if float(value).is_integer() else str(value)


def _column_codes(read: ReadResult, mapping: mp.Mapping, col: Column) -> dict[str, str]:
    if mapping.source(col.name) is None:
        constant = mapping.constants.get(col.name)
        if constant is None:
            return {}
        code = mp.suggest_code(constant, col.codelist_id or "").code
        return {constant: code} if code else {}
    return mp.code_map(read, mapping, col.name)


def _hints(read: ReadResult, mapping: mp.Mapping, col: Column, codes: dict[str, str]) -> dict[str, str]:
    """For each value that maps to no code: "did you mean ..." when something looks close."""
    source = mapping.source(col.name)
    if source is None:
        return {}
    hints = {}
    unknown = [v for v in mp.unique_values(read, source).to_list() if v not in codes and v.strip() not in codes]
    labels = read.value_labels.get(source, {})
    for value in unknown[:2000]:
        guess = mp.suggest_code(value, col.codelist_id or "", label=labels.get(value))
        if guess.suggestions:
            hints[value] = f"@did_you_mean|list={col.codelist_id}|codes={','.join(guess.suggestions)}"
        else:
            hints[value] = f"@codelist|list={col.codelist_id}"
    return hints


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


def _check_duplicates(ds: Dataset, data: pl.DataFrame, mapping: mp.Mapping, out: _Collector,
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
    out.add("duplicate-key", dupes.select(
        pl.col(ROW).alias("row"),
        pl.concat_str([pl.col(k) for k in keys], separator=" · ").alias("value"),
        (pl.lit("@same_as|row=") + pl.col("__first").cast(pl.String)).alias("detail"),
    ), column=shown)


def _parts(list_id: str, present: set[str]) -> set[str]:
    """The codes that add up to `_T` in a codelist: for ages, the five-year groups (or the broad groups)."""
    cl = codelist(list_id)
    if list_id == "age_group":
        kinds = {cl.codes[c].attrs.get("kind") for c in present if c in cl.codes}
        kind = "five_year" if "five_year" in kinds else "broad"
        return {c.code for c in cl if c.attrs.get("kind") in (kind, "unknown")}
    return {c.code for c in cl if c.code != data_rules.TOTAL}


def _check_breakdowns(ds: Dataset, data: pl.DataFrame, out: _Collector) -> None:
    """A `_T` row must equal the sum of its parts (same other dimensions)."""
    measure = ds.measure
    if measure is None:
        return
    keys = _keys(ds)
    for col in map(ds.column, data_rules.total_columns(ds)):
        if not data.select((pl.col(col.name) == data_rules.TOTAL).any()).item():
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
        out.add("total-mismatch", bad.select(
            pl.col(ROW).alias("row"), pl.col("__total").cast(pl.String).alias("value"),
            (pl.lit("@sum_of_parts|sum=") + pl.col("__sum").cast(pl.Int64).cast(pl.String)).alias("detail"),
        ), column=col.name)


def _check_total_rows(read: ReadResult, mapping: mp.Mapping, ds: Dataset, data: pl.DataFrame,
                      out: _Collector) -> None:
    """"Total" rows set aside by the reader: said so, and compared with the sum of the rows."""
    if read.totals.height == 0:
        return
    measure = ds.measure
    source = mapping.source(measure.name) if measure else None
    expected = data[measure.name].sum() if measure else None
    for row in read.totals.iter_rows(named=True):
        written = row.get(source) if source else None
        number = pl.select(mp.count_expr(pl.lit(written, pl.String))).item() if written else None
        out.add("total-row", row=row[ROW], column=source, value=written, detail="@excluded")
        if number is not None and expected is not None and abs(number - expected) > 0.5:
            out.add("total-mismatch", row=row[ROW], column=source, value=written,
                    detail=f"@sum_of_rows|sum={int(expected)}")


def _published_totals(wh, ds: Dataset, country: str) -> pl.DataFrame:
    from vipmg_core.warehouse import _q

    value = f"SUM({_q(ds.measure.name)})" if ds.measure else f"SUM({_q(ds.weight)})" if ds.weight else "COUNT(*)"
    not_total = data_rules.detail_rows_sql(ds)
    return wh.query(ds.id, f"SELECT CAST({_q(ds.time_column)} AS VARCHAR) AS period, CAST({value} AS DOUBLE) AS value"
                           f" FROM data WHERE {_q(ds.area_column)} = $country AND {not_total}"
                           f" GROUP BY 1 ORDER BY 1", {"country": country})


def _upload_value(ds: Dataset) -> pl.Expr:
    if ds.measure:
        return pl.col(ds.measure.name).cast(pl.Float64).sum()
    if ds.weight:
        return pl.col(ds.weight).cast(pl.Float64).sum()
    return pl.len().cast(pl.Float64)


def upload_totals(ds: Dataset, data: pl.DataFrame) -> pl.DataFrame:
    """period -> value of the uploaded rows (no `_T` rows, so nothing is counted twice)."""
    return (data.filter(data_rules.detail_rows(ds) & pl.col(ds.time_column).is_not_null())
            .group_by(pl.col(ds.time_column).alias("period")).agg(_upload_value(ds).alias("value")).sort("period"))


def _check_published(wh, ds: Dataset, country: str, data: pl.DataFrame, out: _Collector) -> None:
    published = _published_totals(wh, ds, country)
    if published.height == 0 or data.height == 0:
        return
    uploaded = upload_totals(ds, data)
    known = published.rows()
    for period, value in uploaded.rows():
        before = [(p, v) for p, v in known if p < period]
        if not before or not value or not before[-1][1]:
            continue
        prev_period, prev_value = before[-1]
        ratio = value / prev_value
        if ratio >= JUMP_RATIO or ratio <= 1 / JUMP_RATIO:
            out.add("jump", column=ds.time_column, value=period,
                    detail=f"@jump|value={int(value)}|previous={int(prev_value)}|period={prev_period}")
    _check_categories(wh, ds, country, data, out, known[-1][0])


def _check_categories(wh, ds: Dataset, country: str, data: pl.DataFrame, out: _Collector, last: str) -> None:
    """A category with data in the last published period that the file no longer has."""
    from vipmg_core.warehouse import _q

    value = _q(ds.measure.name) if ds.measure else _q(ds.weight) if ds.weight else "1"
    for col in ds.dimensions:
        if col.type != "code" or col.name == ds.area_column:
            continue
        before = wh.query(ds.id, f"SELECT DISTINCT CAST({_q(col.name)} AS VARCHAR) AS code FROM data"
                                 f" WHERE {_q(ds.area_column)} = $country AND CAST({_q(ds.time_column)} AS VARCHAR)"
                                 f" = $last AND {value} > 0", {"country": country, "last": last})["code"].to_list()
        now = set(data[col.name].drop_nulls().unique().to_list())
        if not now:
            continue
        gone = sorted(set(before) - now - {data_rules.TOTAL})
        if gone:
            # One warning per column, listing the categories, so a short file does not drown the report.
            out.add("category-missing", column=col.name, value=", ".join(gone[:10]) + (" …" if len(gone) > 10 else ""),
                    detail=f"@category|list={col.codelist_id}|codes={','.join(gone[:10])}|count={len(gone)}"
                           f"|period={last}")


# --- views for the page -------------------------------------------------------------------------------------

def period_comparison(report: Report, wh) -> pl.DataFrame:
    """period, series (uploaded | published), value: the file's totals next to what is already published."""
    ds = dataset(report.dataset_id)
    uploaded = upload_totals(ds, report.data).with_columns(pl.lit("uploaded").alias("series"))
    frames = [uploaded.select("period", "series", "value")]
    if wh is not None and uploaded.height:
        # What is published from two years before the file's first period on: enough to see the trend.
        published = _published_totals(wh, ds, report.country).with_columns(pl.lit("published").alias("series"))
        earlier = published.filter(pl.col("period") < uploaded["period"].min())["period"].to_list()
        start = earlier[-24] if len(earlier) >= 24 else (earlier[0] if earlier else uploaded["period"].min())
        frames.append(published.filter(pl.col("period") >= start).select("period", "series", "value"))
    return pl.concat(frames).sort("period", "series")


def top_categories(report: Report, column: str, limit: int = 10) -> pl.DataFrame:
    """code, value: the largest categories of one dimension in the file."""
    ds = dataset(report.dataset_id)
    return (report.data.filter(data_rules.detail_rows(ds) & pl.col(column).is_not_null())
            .group_by(pl.col(column).alias("code")).agg(_upload_value(ds).alias("value"))
            .sort("value", "code", descending=[True, False]).head(limit))


def affected_sample(report: Report, read: ReadResult, limit: int = 30) -> tuple[pl.DataFrame, dict[int, set[str]]]:
    """Some of the rows with errors as they are in the file, and which of their cells are wrong."""
    rows = report.affected_rows()[:limit]
    sample = read.frame.filter(pl.col(ROW).is_in(rows)).head(limit)
    cells: dict[int, set[str]] = {}
    for p in report.problems.filter(pl.col("row").is_in(rows) & (pl.col("severity") == ERROR)).iter_rows(named=True):
        cells.setdefault(p["row"], set()).add(p["column"])
    return sample, cells


def highlighted(sample: pl.DataFrame, cells: dict[int, set[str]], lang: str):
    """The sample as a pandas Styler with the wrong cells shaded, the row number first as in the file."""
    table = sample.select(ROW, pl.exclude(ROW)).rename({ROW: t("report.col_row", lang)}).to_pandas()
    row_label = t("report.col_row", lang)

    def shade(frame):
        styles = frame.copy().astype(object)
        for i, row in frame.iterrows():
            bad = cells.get(int(row[row_label]), set())
            for column in frame.columns:
                styles.at[i, column] = "background-color: #f8d7da; color: #58151c" if column in bad else ""
        return styles

    return table.style.apply(shade, axis=None)


def fmt_size(size: int, lang: str) -> str:
    if size < 1024 * 1024:
        return f"{fmt_number(size / 1024, lang, 1)} KB"
    return f"{fmt_number(size / 1024 / 1024, lang, 1)} MB"
