"""The cross-tab request: what a user may ask for, checked once, and the names of the cells it gives.

`make_query` turns the loose arguments of a page, a link, the CLI or a notebook into a `CrosstabQuery` (a
frozen, hashable value: it keys caches) or raises `CrosstabError` with a message the user can act on. The
rules that depend on the request alone (which method reads it, whether a stock is read at its latest period)
live here too, so every engine asks the same question the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from vipmg_core import rules
from vipmg_core.datasets import Dataset, dataset
from vipmg_core.i18n import TranslatedError, t

TOTAL = rules.TOTAL  # SDMX code for "all categories" of a dimension
MISSING = rules.MISSING  # a null code in the data (not applicable / not stated)
PERCENTS = ("row", "col", "total")
LEVEL_ROW = "_rl"  # how many row dimensions a cell keeps (the others are totalled)
LEVEL_COL = "_cl"
CELL_COLUMNS = ("value", "base", "n", "cv", "flag", "conf")


class CrosstabError(TranslatedError):
    """A request the user can fix; `message(lang)` says how, in their language (the key is a full key)."""


@dataclass(frozen=True)
class CrosstabQuery:
    """A checked cross-tab request (made by `make_query`); hashable, so it keys caches."""

    dataset_id: str
    rows: tuple[str, ...]
    cols: tuple[str, ...] = ()
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    countries: tuple[str, ...] = ()
    years: tuple[int, int] | None = None
    measure: str = ""
    percent: str | None = None
    totals: bool = True
    subtotals: bool = False
    source: str | None = None  # where products overlap: the one to read (see Warehouse.preferring)
    pool: bool = False  # a stock's periods pooled into one estimate (a survey's years, say), not its latest

    @property
    def dims(self) -> tuple[str, ...]:
        return self.rows + self.cols

    @property
    def filter_map(self) -> dict[str, tuple[str, ...]]:
        return dict(self.filters)

    @property
    def mean_of(self) -> str | None:
        return self.measure.split(":", 1)[1] if self.measure.startswith("mean:") else None


def measures(ds: Dataset) -> list[str]:
    """The measures a dataset offers, the default first."""
    if not ds.is_microdata:
        return ["count"]
    return ["weighted", "count", *[f"mean:{c.name}" for c in ds.numeric_columns]]


def table_decimals(query: CrosstabQuery) -> int:
    """Decimals a cross-tab's values are shown and exported with: one for percentages and means, none for counts
    and weighted totals."""
    return 1 if (query.percent or query.mean_of) else 0


def measure_label(ds: Dataset, measure: str, lang: str, percent: str | None = None) -> str:
    """"Weighted estimate (persons)", "Count (events)", "Weighted mean of Age", with the percentage if any."""
    if measure.startswith("mean:"):
        base = t("crosstab.measure.mean", lang, variable=ds.column(measure[5:]).label(lang))
    elif measure == "count" and ds.is_microdata:
        base = t("crosstab.measure.records", lang)
    else:
        base = t(f"crosstab.measure.{measure}", lang, unit=t(f"unit.{ds.unit}", lang))
    return f"{t(f'crosstab.percent.{percent}', lang)} — {base}" if percent else base


def default_layout(ds: Dataset) -> tuple[list[str], list[str]]:
    """Rows and columns a first visit starts from: the reporting area by sex (or by period)."""
    names = [d.name for d in ds.dimensions]
    cols = ["sex"] if "sex" in names else [ds.time_column]
    return [ds.area_column], [c for c in cols if c != ds.area_column]


def make_query(dataset_id: str, rows: Sequence[str], cols: Sequence[str] = (), *,
               filters: Mapping[str, Iterable[str]] | None = None, countries: Iterable[str] | None = None,
               years: tuple[int, int] | None = None, measure: str | None = None, percent: str | None = None,
               totals: bool = True, subtotals: bool = False, source: str | None = None,
               pool: bool = False) -> CrosstabQuery:
    """A checked request; raises CrosstabError with a message for the user when it cannot be answered."""
    try:
        ds = dataset(dataset_id)
    except KeyError:
        raise CrosstabError("crosstab.error.dataset", dataset=dataset_id) from None
    dims = [d.name for d in ds.dimensions]
    rows, cols = tuple(rows), tuple(cols)
    if not rows:
        raise CrosstabError("crosstab.error.no_rows")
    for name in rows + cols + tuple(filters or {}):
        if name not in dims:
            raise CrosstabError("crosstab.error.dimension", name=name, dataset=ds.id, known=", ".join(dims))
    if len(set(rows + cols)) != len(rows + cols):
        raise CrosstabError("crosstab.error.twice")
    measure = measure or measures(ds)[0]
    if measure not in measures(ds):
        raise CrosstabError("crosstab.error.measure", measure=measure, known=", ".join(measures(ds)))
    if percent in ("", "none"):
        percent = None
    if percent is not None and percent not in PERCENTS:
        raise CrosstabError("crosstab.error.percent", percent=percent)
    if percent is not None and measure.startswith("mean:"):
        raise CrosstabError("crosstab.error.percent_mean")
    if years is not None:
        years = (int(years[0]), int(years[1]))
        if years[0] > years[1]:
            raise CrosstabError("crosstab.error.years")
    clean_filters = tuple((name, tuple(dict.fromkeys(str(v) for v in values)))
                          for name, values in (filters or {}).items() if values)
    return CrosstabQuery(ds.id, rows, cols, clean_filters, tuple(dict.fromkeys(countries or ())), years, measure,
                         percent, bool(totals), bool(subtotals), source or None, bool(pool))


def design(ds: Dataset) -> str | None:
    """"survey", "census" or None: how the variance of the dataset's estimates is computed (`rules.design`)."""
    return rules.design(ds)


def method(ds: Dataset, q: CrosstabQuery) -> str:
    """How a query's figures are made: "survey", "census", "unweighted", "admin" or "published"."""
    if ds.is_microdata:
        return "unweighted" if q.measure == "count" else design(ds) or "census"
    return "admin" if ds.source_type == "administrative" else "published"


def reads_latest(ds: Dataset, q: CrosstabQuery) -> bool:
    """A stock over several periods, not shown apart and not pooled on purpose: each area's latest period."""
    return rules.reads_latest(ds, q.dims) and not q.pool


def empty_cells(q: CrosstabQuery) -> pl.DataFrame:
    """The cells of a query that selects no data: no rows, every column."""
    return pl.DataFrame(schema={**{d: pl.String for d in q.dims}, LEVEL_ROW: pl.Int32, LEVEL_COL: pl.Int32,
                                "value": pl.Float64, "base": pl.Float64, "n": pl.Int64, "cv": pl.Float64,
                                "flag": pl.String, "conf": pl.String})


def weight_column(ds: Dataset) -> str:
    """The expansion weight of a microdata set (its declaration is checked to have one)."""
    if ds.weight is None:
        raise ValueError(f"{ds.id}: microdata needs a weight column")
    return ds.weight


def measure_column(ds: Dataset) -> str:
    """The measure of an aggregate dataset (its declaration is checked to have one)."""
    if ds.measure is None:
        raise ValueError(f"{ds.id}: an aggregate dataset needs a measure column")
    return ds.measure.name


def survey_columns(ds: Dataset) -> tuple[str, str]:
    """A survey's stratum and PSU columns (`design` is "survey" only when both are declared)."""
    if ds.strata is None or ds.psu is None:
        raise ValueError(f"{ds.id}: a survey design needs strata and PSU columns")
    return ds.strata, ds.psu
