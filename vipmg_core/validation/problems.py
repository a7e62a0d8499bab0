"""The problems a validation report can hold: one class per type of problem (as frictionless's `errors/`).

Each class has a code (`unknown-code`), a severity (errors block a submission, warnings do not), a group (the
frictionless family: header, row, cell, plausibility), the place (the row as the user sees it in their file, the
column as their file names it, the value as written) and its own typed parameters (the codes suggested, the
number of cells found...). Title, message and fix are templates of the translation catalogue
(`problem.<code>.*`), filled in the reader's language only when the problem is shown; the parameters are kept
as data, never as text to be parsed again, so a column named `a|b=c` or a value `x=y` reads as written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import polars as pl

from vipmg_core.codelists import codelist
from vipmg_core.i18n import fmt_number, t

ERROR, WARNING = "error", "warning"


def plain_number(value: float | None) -> str:
    """A bound as the standard writes it: 0 rather than 0.0, "–" for no bound."""
    return "–" if value is None else str(int(value)) if float(value).is_integer() else str(value)


def _named_codes(list_id: str, codes: tuple[str, ...], lang: str) -> str:
    names = codelist(list_id)
    return "; ".join(f"{names.name(c, lang)} ({c})" for c in codes)


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One problem, where it is, and what its type needs to say it. Subclasses set the class variables and
    declare their parameters as fields; `detail` turns those into the part of the message that varies."""

    code: ClassVar[str]
    severity: ClassVar[str]
    group: ClassVar[str]

    row: int | None = None  # as in the file: the header is row 1 unless the header sits lower
    column: str | None = None  # as the file names it
    value: str | None = None  # as written; cut at MAX_VALUE_CHARS when long
    length: int | None = None  # the full length of a value kept cut

    @classmethod
    def key(cls) -> str:
        """The problem's key in the translation catalogue (`problem.<key>.title`)."""
        return cls.code.replace("-", "_")

    @classmethod
    def title(cls, lang: str) -> str:
        return t(f"problem.{cls.key()}.title", lang)

    def detail(self, lang: str) -> str:
        """The varying part of the message (`{detail}` in the template); empty for types without one."""
        return ""

    def shown_value(self, lang: str) -> str | None:
        """The value as the report shows it: a value kept cut ends with "…" and says how long it is."""
        if self.value is None or self.length is None:
            return self.value
        return self.value + t("report.value_cut", lang, length=fmt_number(self.length, lang))

    def _template_values(self, lang: str) -> dict[str, object]:
        value = self.shown_value(lang)
        return {"row": self.row if self.row is not None else "–", "column": self.column or "",
                "value": value if value is not None else "", "detail": self.detail(lang)}

    def message(self, lang: str) -> str:
        return t(f"problem.{self.key()}.message", lang, **self._template_values(lang))

    def fix(self, lang: str) -> str:
        return t(f"problem.{self.key()}.fix", lang, **self._template_values(lang))

    @classmethod
    def param_names(cls) -> tuple[str, ...]:
        """The type's own parameters (the fields after the place)."""
        return _PARAMS[cls]

    def params(self) -> dict[str, Any]:
        """The parameters as JSON values (lists, not tuples)."""
        return {name: list(v) if isinstance(v := getattr(self, name), tuple) else v for name in self.param_names()}

    def to_dict(self) -> dict[str, Any]:
        """The problem as stored with a submission and printed by `validate --json` (no language)."""
        return {"severity": self.severity, "code": self.code, "row": self.row, "column": self.column,
                "value": self.value, "length": self.length, "params": self.params()}


PLACE = ("row", "column", "value", "length")  # where a problem is, common to every type


# --- header -------------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class MissingColumn(Problem):
    code, severity, group = "missing-column", ERROR, "header"
    standard_name: str  # the column's name in the standard

    def detail(self, lang: str) -> str:
        return t("detail.column", lang, name=self.standard_name)


@dataclass(frozen=True, kw_only=True)
class DuplicateColumn(Problem):
    """The same header twice (both positions given), or one file column mapped to two standard columns."""

    code, severity, group = "duplicate-column", ERROR, "header"
    first_position: int | None = None  # 1-based, as a spreadsheet user counts columns
    again_position: int | None = None

    def detail(self, lang: str) -> str:
        if self.first_position is None or self.again_position is None:
            return t("detail.mapped_twice", lang)
        return t("detail.position", lang, first=self.first_position, again=self.again_position)


@dataclass(frozen=True, kw_only=True)
class BlankHeader(Problem):
    code, severity, group = "blank-header", WARNING, "header"


@dataclass(frozen=True, kw_only=True)
class ExtraColumn(Problem):
    code, severity, group = "extra-column", WARNING, "header"


# --- rows ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class NoRows(Problem):
    code, severity, group = "no-rows", ERROR, "row"


@dataclass(frozen=True, kw_only=True)
class ExtraCell(Problem):
    code, severity, group = "extra-cell", ERROR, "row"
    cells: int
    header_cells: int

    def detail(self, lang: str) -> str:
        return t("detail.cells", lang, found=self.cells, expected=self.header_cells)


@dataclass(frozen=True, kw_only=True)
class MissingCell(ExtraCell):
    code, severity, group = "missing-cell", WARNING, "row"


@dataclass(frozen=True, kw_only=True)
class DuplicateKey(Problem):
    code, severity, group = "duplicate-key", ERROR, "row"
    same_as_row: int  # the first row with the same key

    def detail(self, lang: str) -> str:
        return t("detail.same_as", lang, row=self.same_as_row)


@dataclass(frozen=True, kw_only=True)
class OtherCountry(Problem):
    code, severity, group = "other-country", ERROR, "row"
    country: str  # the country the user is sending for

    def detail(self, lang: str) -> str:
        return t("detail.country", lang, code=self.country)


@dataclass(frozen=True, kw_only=True)
class TotalRow(Problem):
    code, severity, group = "total-row", WARNING, "row"

    def detail(self, lang: str) -> str:
        return t("detail.excluded", lang)


# --- cells --------------------------------------------------------------------------------------------------

EXPECTED_TYPES = ("integer", "number", "period_month", "period_year")


@dataclass(frozen=True, kw_only=True)
class WrongType(Problem):
    code, severity, group = "type-error", ERROR, "cell"
    expected: str  # one of EXPECTED_TYPES

    def detail(self, lang: str) -> str:
        return t(f"detail.{self.expected}", lang)


@dataclass(frozen=True, kw_only=True)
class UnknownCode(Problem):
    code, severity, group = "unknown-code", ERROR, "cell"
    codelist: str
    # Codes that look close: none found is (), not looked for (past the first 2000 unknown values) is None.
    suggestions: tuple[str, ...] | None = None

    def detail(self, lang: str) -> str:
        if self.suggestions is None:
            return ""
        if self.suggestions:
            return t("detail.did_you_mean", lang, codes=_named_codes(self.codelist, self.suggestions, lang))
        return t("detail.codelist", lang, list=self.codelist)


@dataclass(frozen=True, kw_only=True)
class OutOfRange(Problem):
    code, severity, group = "out-of-range", ERROR, "cell"
    low: float | None = None
    high: float | None = None

    def detail(self, lang: str) -> str:
        if self.low is not None and self.high is not None:
            return t("detail.range", lang, low=plain_number(self.low), high=plain_number(self.high))
        if self.low is not None:
            return t("detail.minimum", lang, low=plain_number(self.low))
        return t("detail.maximum", lang, high=plain_number(self.high))


@dataclass(frozen=True, kw_only=True)
class FuturePeriod(Problem):
    code, severity, group = "future-period", ERROR, "cell"
    latest: str  # the latest period that can have data today

    def detail(self, lang: str) -> str:
        return t("detail.after", lang, now=self.latest)


@dataclass(frozen=True, kw_only=True)
class MissingValue(Problem):
    code, severity, group = "missing-value", ERROR, "cell"


# --- plausibility -------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class TotalMismatch(Problem):
    """A `_T` row that is not the sum of its parts, or a "total" row that is not the sum of the file's rows."""

    code, severity, group = "total-mismatch", WARNING, "plausibility"
    total_of: str  # "parts" | "rows"
    sum: int

    def detail(self, lang: str) -> str:
        return t(f"detail.sum_of_{self.total_of}", lang, sum=self.sum)


@dataclass(frozen=True, kw_only=True)
class Jump(Problem):
    code, severity, group = "jump", WARNING, "plausibility"
    uploaded: int  # the file's total for the period in `value`
    previous: int  # the total published for `previous_period`
    previous_period: str

    def detail(self, lang: str) -> str:
        return t("detail.jump", lang, value=self.uploaded, previous=self.previous, period=self.previous_period)


@dataclass(frozen=True, kw_only=True)
class CategoryMissing(Problem):
    code, severity, group = "category-missing", WARNING, "plausibility"
    codelist: str
    codes: tuple[str, ...]  # the first ten
    count: int  # all of them
    period: str  # the last published period, where they had data

    def detail(self, lang: str) -> str:
        return t("detail.category", lang, count=self.count, period=self.period,
                 codes=_named_codes(self.codelist, self.codes, lang))


# --- the taxonomy -------------------------------------------------------------------------------------------

PROBLEM_TYPES: tuple[type[Problem], ...] = (
    MissingColumn, DuplicateColumn, BlankHeader, ExtraColumn, NoRows, ExtraCell, MissingCell, DuplicateKey,
    OtherCountry, TotalRow, WrongType, UnknownCode, OutOfRange, FuturePeriod, MissingValue, TotalMismatch, Jump,
    CategoryMissing,
)
BY_CODE: dict[str, type[Problem]] = {cls.code: cls for cls in PROBLEM_TYPES}
_PARAMS = {cls: tuple(f.name for f in dataclasses.fields(cls) if f.name not in PLACE) for cls in PROBLEM_TYPES}
# The parameters a problem of each type cannot be without.
_REQUIRED = {cls: frozenset(f.name for f in dataclasses.fields(cls)
                            if f.name not in PLACE and not str(f.type).endswith("| None")) for cls in PROBLEM_TYPES}
# code -> (severity, group), in the taxonomy's order: what the guide documents.
PROBLEMS: dict[str, tuple[str, str]] = {cls.code: (cls.severity, cls.group) for cls in PROBLEM_TYPES}


def message_key(code: str) -> str:
    return BY_CODE[code].key() if code in BY_CODE else code.replace("-", "_")


# The columns of a report's problem table: the place, then every type's parameters (null where a type has none).
_DTYPES: dict[str, pl.DataType] = {
    "int": pl.Int64(), "int | None": pl.Int64(), "str": pl.String(), "str | None": pl.String(),
    "float | None": pl.Float64(), "tuple[str, ...]": pl.List(pl.String()),
    "tuple[str, ...] | None": pl.List(pl.String()),
}


def _schema() -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {"severity": pl.String(), "code": pl.String(), "row": pl.Int64(),
                                      "column": pl.String(), "value": pl.String(), "length": pl.Int64()}
    for cls in PROBLEM_TYPES:
        for f in dataclasses.fields(cls):
            if f.name in schema:
                if f.name not in PLACE and schema[f.name] != _DTYPES[str(f.type)]:
                    raise TypeError(f"problem parameter {f.name!r} has two types")
                continue
            schema[f.name] = _DTYPES[str(f.type)]
    return schema


PROBLEM_SCHEMA: dict[str, pl.DataType] = _schema()


def from_row(row: Mapping[str, Any]) -> Problem:
    """A problem from a row of a report's problem table (or from `Problem.to_dict()`'s place and params).

    Raises KeyError for an unknown code and TypeError when a parameter the type needs is missing."""
    cls = BY_CODE[row["code"]]
    params = row.get("params") or row
    values: dict[str, Any] = {name: row.get(name) for name in PLACE}
    required = _REQUIRED[cls]
    for name in _PARAMS[cls]:
        value = params.get(name)
        if value is not None or name not in required:  # a required one missing: the constructor says so
            values[name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)
