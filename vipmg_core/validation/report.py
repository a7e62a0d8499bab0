"""The validation report: the verdict, exact counts per type of problem, the problems kept, and their exports.

The problems are held as one table (`PROBLEM_SCHEMA`: severity, code, the place, then each type's typed
parameters) so a million-row file's thousands of problems cost a few columns, not thousands of objects; a row
becomes its `Problem` class (`problem_list`, `message`) only when it is shown, in the reader's language.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from vipmg_core import mapping as mp
from vipmg_core.i18n import t
from vipmg_core.readers import Detection, FileInfo
from vipmg_core.validation.problems import (
    BY_CODE,
    ERROR,
    PLACE,
    PROBLEM_SCHEMA,
    WARNING,
    Problem,
    from_row,
    message_key,
)

MAX_PER_KIND = 5_000  # problems kept per (code, column); the counts stay exact
MAX_VALUE_CHARS = 200  # a longer value is kept cut, with its full length (a 50 MB cell is not copied around)
SEVERITY_ORDER = {ERROR: 0, WARNING: 1}
_TABLE_COLUMNS = (("severity", pl.String), ("type", pl.String), ("row", pl.Int64), ("column", pl.String),
                  ("value", pl.String), ("message", pl.String), ("fix", pl.String))


def as_problem(problem: Problem | MappingType[str, Any]) -> Problem:
    """A problem given as its class, as a row of `Report.problems` or as one of `to_dict()`'s entries."""
    return problem if isinstance(problem, Problem) else from_row(problem)


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

    def problem_list(self) -> list[Problem]:
        """The problems kept, as their classes, errors first."""
        found: dict[int, Problem] = {}
        numbered = self.problems.with_row_index("__at")
        for code in numbered["code"].unique().to_list():
            # Only the columns the type has: most of the table's columns are other types' parameters.
            kind = BY_CODE[code]
            part = numbered.filter(pl.col("code") == code).select("__at", "code", *PLACE, *kind.param_names())
            for row in part.iter_rows(named=True):
                found[row["__at"]] = from_row(row)
        return [found[i] for i in range(len(found))]

    def message(self, problem: Problem | MappingType[str, Any], lang: str) -> str:
        return as_problem(problem).message(lang)

    def fix(self, problem: Problem | MappingType[str, Any], lang: str) -> str:
        return as_problem(problem).fix(lang)

    def table(self, lang: str) -> pl.DataFrame:
        """The problems as the user reads them: translated, one row each, errors first."""
        return problem_table(self.problem_list(), lang)

    def summary(self, lang: str) -> pl.DataFrame:
        """Counts by type of problem: the first thing a focal point reads after the verdict."""
        rows = self.counts.sort(pl.col("severity").replace_strict(SEVERITY_ORDER), pl.col("count"),
                                descending=[False, True]).to_dicts()
        return pl.DataFrame({
            t("report.col_severity", lang): [t(f"report.severity_{r['severity']}", lang) for r in rows],
            t("report.col_type", lang): [t(f"problem.{message_key(r['code'])}.title", lang) for r in rows],
            t("report.col_count", lang): [r["count"] for r in rows],
        }, schema={t("report.col_severity", lang): pl.String, t("report.col_type", lang): pl.String,
                   t("report.col_count", lang): pl.Int64})

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """Everything a script needs: the verdict, the file, the counts and every problem kept (its typed
        `params` and, for a reader, its message and fix in `lang`). Stored as is with a submission."""
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
                {**p.to_dict(), "message": p.message(lang), "fix": p.fix(lang)} for p in self.problem_list()
            ],  # a long value is cut; `length` gives its full length
            "checked_at": self.checked_at,
        }

    def to_json(self, lang: str = "en") -> str:
        return json.dumps(self.to_dict(lang), ensure_ascii=False, indent=2)


def problem_row(p: Problem, lang: str) -> tuple[str, str, int | None, str | None, str | None, str, str]:
    """A problem as the user reads it: severity, type, row, column, value, message and fix in `lang`."""
    return (t(f"report.severity_{p.severity}", lang), p.title(lang), p.row, p.column, p.shown_value(lang),
            p.message(lang), p.fix(lang))


def problem_table(problems: list[Problem], lang: str) -> pl.DataFrame:
    """Problems as the user reads them, one `problem_row` each."""
    return table_of([problem_row(p, lang) for p in problems], lang)


def table_of(rows: list[tuple[str, str, int | None, str | None, str | None, str, str]], lang: str) -> pl.DataFrame:
    names = [t(f"report.col_{c}", lang) for c, _type in _TABLE_COLUMNS]
    return pl.DataFrame(rows, schema={n: ty for n, (_c, ty) in zip(names, _TABLE_COLUMNS)}, orient="row")


class Collector:
    """The problems found so far: exact counts, and the first MAX_PER_KIND of each (type, column) kept."""

    def __init__(self) -> None:
        self.parts: list[pl.DataFrame] = []
        self.totals: dict[tuple[str, str], int] = {}

    def add(self, kind: type[Problem], frame: pl.DataFrame | None = None, *, column: str | None = None,
            row: int | None = None, value: str | None = None, total: int | None = None, **params: Any) -> None:
        """Count the problems of type `kind` in `frame` (columns `row`, `value` and the type's parameters), or
        the one given by `row`, `value` and `params`; keep the first MAX_PER_KIND, values cut at
        MAX_VALUE_CHARS. A parameter given in `params` holds for every row of `frame`. `total` is the exact
        count when `frame` holds only the first ones."""
        if frame is None:
            frame = pl.DataFrame({"row": [row], "value": [value]}, schema={"row": pl.Int64, "value": pl.String})
        if frame.height == 0:
            return
        names = kind.param_names()
        given = set(params) | (set(frame.columns) - {"row", "value"})
        if given - set(names):
            raise TypeError(f"{kind.__name__} has no parameter {sorted(given - set(names))}")
        self.totals[(kind.severity, kind.code)] = self.totals.get((kind.severity, kind.code), 0) + (
            total or frame.height)
        frame = frame.head(MAX_PER_KIND)
        text = (pl.col("value") if "value" in frame.columns else pl.lit(None)).cast(pl.String)
        place: dict[str, pl.Expr] = {
            "severity": pl.lit(kind.severity), "code": pl.lit(kind.code),
            "row": (pl.col("row") if "row" in frame.columns else pl.lit(None)).cast(pl.Int64),
            "column": pl.lit(column, pl.String), "value": text.str.slice(0, MAX_VALUE_CHARS),
            "length": pl.when(text.str.len_chars() > MAX_VALUE_CHARS).then(text.str.len_chars()).cast(pl.Int64),
        }

        def param(name: str, dtype: pl.DataType) -> pl.Expr:
            if name in frame.columns:
                return pl.col(name).cast(dtype)
            given = params.get(name)
            return pl.lit(list(given) if isinstance(given, tuple) else given, dtype)

        self.parts.append(frame.select(
            [(place[n] if n in place else param(n, ty)).alias(n) for n, ty in PROBLEM_SCHEMA.items()]))

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(problems, counts) for the report: problems errors first, then by row (file-wide ones first)."""
        problems = pl.concat(self.parts) if self.parts else pl.DataFrame(schema=PROBLEM_SCHEMA)
        problems = problems.sort(pl.col("severity").replace_strict(SEVERITY_ORDER, return_dtype=pl.Int8),
                                 pl.col("row"), nulls_last=False, maintain_order=True)
        counts = pl.DataFrame([{"severity": s, "code": c, "count": n} for (s, c), n in self.totals.items()],
                              schema={"severity": pl.String, "code": pl.String, "count": pl.Int64})
        return problems, counts
