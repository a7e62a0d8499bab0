"""Cross-tabs of any dataset: weighted, with quality, suppression, totals recomputed from the data.

The same call serves the Cross-tab page, the CLI and a notebook::

    from vipmg_core.crosstab import crosstab
    xt = crosstab("survey", rows=["ref_area"], cols=["sex"], countries=["GTM", "HND"],
                  years=(2022, 2024), measure="weighted", percent="row", totals=True)
    xt.cells                     # Polars, one row per cell (codes, "_T" where a dimension is totalled):
                                 # value, n (unweighted), cv (%), flag, conf (SDMX CONF_STATUS)
    xt.table("es").numeric       # the wide table as shown on the page (labels in Spanish)
    xt.unit_label("en"), xt.method_note("en"), xt.flags_legend("en"), xt.notes("en")

Arguments: `rows` / `cols` are dimension names of the dataset declaration, in order; `filters` maps a
dimension to the codes to keep; `countries` filters the dataset's reporting area; `years` an inclusive
(first, last) range on the period; `measure` is "weighted" (microdata: weighted estimate), "count"
(aggregates: sum of the reported counts, events or persons; microdata: unweighted number of records) or
"mean:VAR" (microdata: weighted mean of a numeric variable); `percent` is None, "row", "col" or "total";
`totals` and `subtotals` switch the grand totals and the intermediate totals independently.

How it is computed: DuckDB filters the published rows and aggregates them in one GROUP BY down to the
cells' detail (and, for the variance, down to stratum and PSU); Polars builds every total and subtotal
from those sums (never from rounded or percentage cells), the shares, the variances, and the pivot.
Identifiers in SQL come only from the dataset declaration; every value is a query parameter.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from vipmg_core import cube as cubes
from vipmg_core import disclosure, palette, quality, rules
from vipmg_core.datasets import Dataset, dataset
from vipmg_core.i18n import TranslatedError, fmt_number, t
from vipmg_core.quality import CAUTION, CONF_FREE, CONF_PRIMARY, CONF_SECONDARY, RELIABLE, SUPPRESSED, Constraint
from vipmg_core.warehouse import Release, Warehouse, _q

TOTAL = rules.TOTAL  # SDMX code for "all categories" of a dimension
MISSING = rules.MISSING  # a null code in the data (not applicable / not stated)
PERCENTS = ("row", "col", "total")
LEVEL_ROW = "_rl"  # how many row dimensions a cell keeps (the others are totalled)
LEVEL_COL = "_cl"
CELL_COLUMNS = ("value", "base", "n", "cv", "flag", "conf")


class CrosstabError(TranslatedError):
    """A request the user can fix; `message(lang)` says how, in their language (the key is a full key)."""


# --- the request ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CrosstabQuery:
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


def crosstab(dataset_id: str, rows: Sequence[str], cols: Sequence[str] = (), *,
             filters: Mapping[str, Iterable[str]] | None = None, countries: Iterable[str] | None = None,
             years: tuple[int, int] | None = None, measure: str | None = None, percent: str | None = None,
             totals: bool = True, subtotals: bool = False, source: str | None = None, pool: bool = False,
             warehouse: Warehouse | None = None) -> Crosstab:
    """Compute a cross-tab (see the module docstring for the arguments; `source` picks, where published
    products overlap, the one to read: `Warehouse.sources` lists them; `pool`: a stock's periods chosen are
    pooled into one estimate, as a profile pools survey years, instead of each area's latest)."""
    query = make_query(dataset_id, rows, cols, filters=filters, countries=countries, years=years,
                       measure=measure, percent=percent, totals=totals, subtotals=subtotals, source=source,
                       pool=pool)
    return compute(query, warehouse or Warehouse())


# --- the result -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Crosstab:
    query: CrosstabQuery
    cells: pl.DataFrame  # every level (all totals and subtotals), suppressed values already removed
    method: str  # "survey", "census", "admin", "published" or "unweighted"
    synthetic: bool = False
    provenance: tuple[str, ...] = ()
    rules: quality.Rules = field(default_factory=quality.rules)
    latest: tuple[tuple[str, str], ...] = ()  # a stock over several periods: (area, the period read) per area
    source: str | None = None  # the product chosen where several hold the same slice (None: the default)
    set_aside: tuple[tuple[str, str], ...] = ()  # (source key, name) of other products holding these figures
    # How many hidden cells are complements. Kept here, never in `cells`: the output marks every hidden cell
    # alike (CONF_STATUS "C", the same symbol), so nobody learns which ones are primary.
    complementary: int = 0
    # The first and last period read where the table adds periods up without showing them (what an SDMX file says
    # its figures cover); None where the period is shown or a stock is read at each area's latest period.
    periods: tuple[str, str] | None = None

    @property
    def dataset(self) -> Dataset:
        return dataset(self.query.dataset_id)

    @property
    def has_quality(self) -> bool:
        return self.method in ("survey", "census")

    # -- words -------------------------------------------------------------------------------------------

    def measure_label(self, lang: str) -> str:
        return measure_label(self.dataset, self.query.measure, lang, self.query.percent)

    def unit_label(self, lang: str) -> str:
        """What the numbers count, with the events-not-persons warning where it applies."""
        ds = self.dataset
        badge = t("unit.events_badge" if ds.counts_events else "unit.persons_badge", lang)
        return f"{badge} — {ds.unit_detail(lang)}"

    def method_note(self, lang: str) -> str:
        return t(f"crosstab.method.{self.method}", lang, min_count=self.rules.admin_min_count,
                 unit=t(f"unit.{self.dataset.unit}", lang))

    def flags_legend(self, lang: str) -> dict[str, str]:
        r = self.rules
        legend = {}
        if self.has_quality and self.query.measure != "count":
            legend[r.symbol_suppressed] = t("crosstab.flag.suppressed_estimate", lang, cv=fmt_number(r.cv_caution_max, lang),
                                            n=r.min_unweighted_n)
            legend[r.symbol_caution] = t("crosstab.flag.caution", lang, low=fmt_number(r.cv_reliable_max, lang),
                                         high=fmt_number(r.cv_caution_max, lang))
        elif self.method == "admin" and r.admin_min_count > 0:
            legend[r.symbol_suppressed] = t("crosstab.flag.suppressed_count", lang, min_count=r.admin_min_count,
                                            unit=t(f"unit.{self.dataset.unit}", lang))
        marks = set(self.cells["mark"].drop_nulls().to_list()) if "mark" in self.cells.columns else set()
        if "redacted" in marks:
            legend[rules.REDACTED_SYMBOL] = t("crosstab.flag.redacted", lang)
        if "lower_bound" in marks:
            legend[rules.LOWER_BOUND_MARK] = t("crosstab.flag.lower_bound", lang)
        legend[r.symbol_empty] = t("crosstab.flag.empty", lang)
        return legend

    def notes(self, lang: str) -> list[str]:
        notes = [self.method_note(lang)]
        if self.latest:
            notes.append(self.latest_note(lang))
        if self.query.pool and rules.reads_latest(self.dataset, self.query.dims):
            notes.append(t("crosstab.note.pooled", lang))
        if self.set_aside:
            notes.append(t("crosstab.note.set_aside", lang, products="; ".join(
                f"{name} ({key})" for key, name in self.set_aside)))
        marks = set(self.cells["mark"].drop_nulls().to_list()) if "mark" in self.cells.columns else set()
        if "redacted" in marks:
            notes.append(t("crosstab.note.redacted", lang, symbol=rules.REDACTED_SYMBOL))
        if "lower_bound" in marks:
            notes.append(t("crosstab.note.lower_bound", lang, mark=rules.LOWER_BOUND_MARK))
        if self.complementary:
            r = self.rules
            notes.append(t("crosstab.note.complementary", lang, symbol=r.symbol_suppressed,
                           upper=r.protection_count_upper, lower=r.protection_count_lower,
                           percent=fmt_number(r.protection_estimate_percent, lang)))
        if self.query.percent:
            notes.append(t("crosstab.note.percent", lang))
        return notes

    def latest_note(self, lang: str) -> str:
        """"A stock is not added over periods: each country is read at its latest period (CRI 2022; ...)"."""
        ds = self.dataset
        periods = "; ".join(f"{code_label(ds, ds.area_column, area, lang)} {period}" for area, period in self.latest)
        return t("crosstab.note.latest", lang, periods=periods)

    def filters_for_people(self, lang: str) -> dict[str, list[str]]:
        """Chosen filters as label -> names, for notes and exports."""
        q, ds = self.query, self.dataset
        out: dict[str, list[str]] = {}
        if q.countries:
            out[ds.column(ds.area_column).label(lang)] = [code_label(ds, ds.area_column, c, lang, True)
                                                          for c in q.countries]
        if q.years:
            first, last = q.years
            out[ds.column(ds.time_column).label(lang)] = [str(first) if first == last else f"{first}–{last}"]
        for name, values in q.filters:
            out[ds.column(name).label(lang)] = [code_label(ds, name, v, lang, True) for v in values]
        return out

    # -- shapes -----------------------------------------------------------------------------------------

    def shown_cells(self, view: View | None = None) -> pl.DataFrame:
        """The cells the table shows: totals and subtotals as switched, top-N applied, in display order."""
        view = view or View()
        q = self.query
        R, C = len(q.rows), len(q.cols)
        row_levels = _levels(R, q.totals, q.subtotals)
        col_levels = _levels(C, q.totals, q.subtotals)
        cells = self.cells.filter(pl.col(LEVEL_ROW).is_in(row_levels) & pl.col(LEVEL_COL).is_in(col_levels))
        row_order = self._row_order(view)
        cells = cells.join(row_order, on=list(q.rows), how="inner") if q.rows else cells.with_columns(
            pl.lit(0).alias("_ro"))
        col_order = _order_frame(self.dataset, q.cols, self.cells.filter(pl.col(LEVEL_ROW) == 0)
                                 .select(q.cols).unique()) if q.cols else None
        if col_order is not None:
            cells = cells.join(col_order.rename({"_o": "_co"}), on=list(q.cols), how="left")
        else:
            cells = cells.with_columns(pl.lit(0).alias("_co"))
        return cells.sort("_ro", "_co")

    def _row_order(self, view: View) -> pl.DataFrame:
        """Row keys with their display position (`_ro`), after sorting and top-N."""
        q, ds = self.query, self.dataset
        keys = self.cells.filter(pl.col(LEVEL_COL) == 0).select(*q.rows, LEVEL_ROW, pl.col("base").alias("value"))
        order = _order_frame(ds, q.rows, keys.select(q.rows))
        keys = keys.join(order, on=list(q.rows))
        first = q.rows[0]
        if view.sort == "value" or view.top_n:
            # Rank first-level groups (and, within them, every level) by their total, largest first.
            ranks = []
            for level in range(1, len(q.rows) + 1):
                level_keys = list(q.rows[:level])
                ranked = (keys.filter(pl.col(LEVEL_ROW) == level)
                          .select(*level_keys, pl.col("value").fill_null(-math.inf).alias(f"_v{level}")))
                keys = keys.join(ranked, on=level_keys, how="left")
                ranks.append(f"_v{level}")
            if view.top_n:
                groups = (keys.filter(pl.col(LEVEL_ROW) == 1).filter(pl.col(first) != TOTAL)
                          .sort("_v1", descending=True).head(view.top_n).select(first))
                keep = groups[first].to_list() + [TOTAL]
                keys = keys.filter(pl.col(first).is_in(keep))
            if view.sort == "value":
                # A total or subtotal stays after the rows it adds up.
                sort_cols, desc = [], []
                for level, name in enumerate(q.rows, start=1):
                    sort_cols += [(pl.col(name) == TOTAL), pl.col(f"_v{level}"), pl.col(name)]
                    desc += [False, True, False]
                keys = keys.sort(sort_cols, descending=desc, nulls_last=True).with_row_index("_sorted")
                keys = keys.with_columns(pl.col("_sorted").cast(pl.Int64).alias("_o"))
        return keys.select(*q.rows, pl.col("_o").alias("_ro"))

    def row_groups(self) -> int:
        """How many first-level row groups the full table has (for "showing N of M")."""
        if not self.query.rows:
            return 0
        first = self.query.rows[0]
        return self.cells.filter((pl.col(LEVEL_ROW) >= 1) & (pl.col(first) != TOTAL))[first].n_unique()

    def table(self, lang: str, view: View | None = None) -> Table:
        """The wide table as the page shows it, with labels in `lang`."""
        view = view or View()
        q, ds = self.query, self.dataset
        cells = self.shown_cells(view)
        r = self.rules
        decimals = table_decimals(q)
        row_headers = [ds.column(d).label(lang) for d in q.rows]
        cells = cells.with_columns(
            _label_expr(ds, q.cols, lang, view.codes, self.measure_label(lang)).alias("_col"),
            *[_code_label_expr(ds, d, lang, view.codes).alias(f"_lab_{d}") for d in q.rows],
        )
        col_names = cells.sort("_co").unique(subset=["_col"], maintain_order=True)["_col"].to_list()
        clash = set(col_names) & set(row_headers)
        if clash:  # a column key named like a row header: keep both apart
            cells = cells.with_columns(pl.col("_col") + " ")
            col_names = [c + " " for c in col_names]
        keys = ["_ro", *[f"_lab_{d}" for d in q.rows]]
        if not q.rows:
            cells = cells.with_columns(pl.lit(t("crosstab.total", lang)).alias("_lab_all"))
            keys = ["_ro", "_lab_all"]
            row_headers = [""]
        shown = cells.with_columns(pl.col("value").alias("v"), _display_expr(lang, decimals, r).alias("d"))
        if "mark" in shown.columns:  # values its publisher hid: never shown as 0 (`rules`)
            shown = shown.with_columns(
                pl.when((pl.col("mark") == "redacted") & pl.col("value").is_null() & (pl.col("flag") != SUPPRESSED))
                .then(pl.lit(rules.REDACTED_SYMBOL))
                .when((pl.col("mark") == "lower_bound") & pl.col("value").is_not_null())
                .then(pl.lit(rules.LOWER_BOUND_MARK + " ") + pl.col("d")).otherwise(pl.col("d")).alias("d"))
        else:
            shown = shown.with_columns(pl.lit(None, pl.String).alias("mark"))
        numeric = _pivot(shown, keys, "v", col_names)
        display = _pivot(shown, keys, "d", col_names)
        flags = _pivot(shown, keys, "flag", col_names)
        R, C = len(q.rows), len(q.cols)
        is_total = _pivot(shown.with_columns(((pl.col(LEVEL_ROW) < R) | (pl.col(LEVEL_COL) < C)).alias("_tot")),
                          keys, "_tot", col_names)
        marks = _pivot(shown, keys, "mark", col_names)
        n_names: list[str] = []
        cv_names: list[str] = []
        if view.quality and self.has_quality and q.measure != "count":
            n_cols = _pivot(shown, keys, "n", col_names)
            cv_cols = _pivot(shown.with_columns(pl.col("cv").round(1)), keys, "cv", col_names)
            numeric, display, n_names, cv_names = _interleave(numeric, display, n_cols, cv_cols, col_names, keys, lang)
        rename = dict(zip(keys[1:], row_headers))
        numeric = numeric.sort("_ro").drop("_ro").rename(rename)
        display = display.sort("_ro").drop("_ro").rename(rename)
        flags = flags.sort("_ro").drop("_ro").rename(rename)
        is_total = is_total.sort("_ro").drop("_ro").rename(rename)
        marks = marks.sort("_ro").drop("_ro").rename(rename)
        return Table(numeric=numeric, display=display, flags=flags, totals=is_total, row_headers=row_headers,
                     value_columns=col_names, n_columns=n_names, cv_columns=cv_names, decimals=decimals,
                     lang=lang, rules=r, marks=marks)

    def long(self, view: View | None = None) -> pl.DataFrame:
        """One row per shown cell, codes only, with the quality columns (the CLI's JSON cells; SDMX: `vipmg_core.sdmx`)."""
        q = self.query
        cells = self.shown_cells(view)
        measure = q.measure.upper().replace(":", "_")
        if q.percent:
            measure = f"PCT_{q.percent.upper()}_{measure}"
        unit = "PC" if q.percent else ("YR" if q.mean_of == "age" else self.dataset.unit.upper())
        return cells.select(
            *[pl.col(d) for d in q.dims],
            pl.lit(measure).alias("MEASURE"),
            pl.col("value").alias("OBS_VALUE"),
            pl.lit(unit).alias("UNIT_MEASURE"),
            pl.col("conf").alias("CONF_STATUS"),
            pl.col("flag").str.to_uppercase().alias("QUALITY"),
            pl.col("n").alias("N_UNWEIGHTED"),
            pl.col("cv").round(2).alias("CV_PERCENT"),
        )

    def export_meta(self, lang: str, view: View | None = None):
        from vipmg_core.exports import ExportMeta

        notes = [self.unit_label(lang), *self.notes(lang)[1:]]
        if view and view.top_n and self.row_groups() > view.top_n:
            notes.append(t("crosstab.note.top_n", lang, shown=view.top_n, total=self.row_groups()))
        title = f"{self.measure_label(lang)} — {self.dataset.title(lang)}"
        return ExportMeta(self.dataset.id, lang, title=title, filters=self.filters_for_people(lang),
                          method=self.method_note(lang), notes=tuple(notes),
                          flags_legend=self.flags_legend(lang), synthetic=self.synthetic,
                          provenance=self.provenance)

    def export_frame(self, lang: str, view: View | None = None):
        """The table as on screen, for CSV and Excel: numbers stay numbers (rounded as shown), a hidden
        value is its symbol, a value to use with caution carries its mark."""
        table = self.table(lang, view)
        r = self.rules
        out: dict[str, list] = {}
        for name in table.numeric.columns:
            values = table.numeric[name].to_list()
            if name in table.row_headers:
                out[name] = values
            elif name in table.n_columns:
                out[name] = [r.symbol_empty if v is None else int(v) for v in values]
            elif name in table.cv_columns:
                out[name] = [r.symbol_empty if v is None else round(v, 1) for v in values]
            else:
                flags = table.flags[name].to_list()
                marks = table.marks[name].to_list() if table.marks is not None else [None] * len(values)
                column: list = []
                for value, flag, mark in zip(values, flags, marks):
                    if value is None:
                        column.append(r.symbol_suppressed if flag == SUPPRESSED else
                                      rules.REDACTED_SYMBOL if mark == "redacted" else r.symbol_empty)
                        continue
                    number = round(value, table.decimals) if table.decimals else int(round(value))
                    if mark == "lower_bound":
                        number = f"{rules.LOWER_BOUND_MARK} {number}"
                    column.append(f"{number} {r.symbol_caution}" if flag == CAUTION else number)
                out[name] = column
        import pandas as pd

        return pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in out.items()})

    def chart(self, lang: str, kind: str = "bar", view: View | None = None):
        """A plotly figure of the same cells (detail level, no totals): bars, stacked bars or lines."""
        import plotly.graph_objects as go

        view = view or View()
        q, ds = self.query, self.dataset
        R, C = len(q.rows), len(q.cols)
        cells = self.shown_cells(view).filter((pl.col(LEVEL_ROW) == R) & (pl.col(LEVEL_COL) == C))
        x_dims, series_dims = list(q.rows), list(q.cols)
        if kind == "line" and ds.time_column in q.cols and ds.time_column not in q.rows:
            x_dims, series_dims = series_dims, x_dims
            cells = cells.sort("_co", "_ro")
        cells = cells.with_columns(
            _label_expr(ds, x_dims, lang, view.codes, t("crosstab.total", lang)).alias("_x"),
            _label_expr(ds, series_dims, lang, view.codes, self.measure_label(lang)).alias("_s"),
        )
        fig = go.Figure()
        for i, ((series,), part) in enumerate(cells.group_by("_s", maintain_order=True)):
            hover = [t(f"crosstab.flag_{f}", lang) for f in part["flag"].to_list()]
            colour, dash, hatch = palette.series_style(i)  # past seven series a colour comes back dashed/hatched
            common = {"x": part["_x"].to_list(), "y": part["value"].to_list(), "name": str(series),
                      "customdata": hover,
                      "hovertemplate": "%{x}<br>%{y:,.1f}<br>%{customdata}<extra>%{fullData.name}</extra>"}
            fig.add_trace(go.Scatter(mode="lines+markers", line={"color": colour, "dash": dash}, **common)
                          if kind == "line" else
                          go.Bar(marker={"color": colour, "pattern": {"shape": hatch}}, **common))
        if kind == "stacked":
            fig.update_layout(barmode="stack")
        elif kind == "bar":
            fig.update_layout(barmode="group")
        title = self.measure_label(lang)
        if ds.counts_events:
            title += f" ({t('unit.events_badge', lang).lower()})"
        # The figure itself says its source and unit: a PNG saved from it travels without the page around it.
        source = f"{ds.title(lang)} ({t('profiles.demo', lang)})" if self.synthetic else ds.title(lang)
        years = f"{q.years[0]}–{q.years[1]}" if q.years else ""
        note = " · ".join(x for x in (f"{t('export.source', lang)}: {source}", years, self.unit_label(lang)) if x)
        fig.update_layout(title={"text": title, "subtitle": {"text": note, "font": {"size": 11, "color": "#555"}}},
                          yaxis_title=title if len(title) < 60 else None, legend_title_text=None,
                          margin={"l": 10, "r": 10, "t": 80, "b": 10}, height=440)
        return fig


@dataclass(frozen=True)
class View:
    """How the table is shown; it never changes the numbers, only which rows and in which order."""

    top_n: int | None = None
    sort: str = "label"  # "label" (codelist order) or "value" (largest total first)
    codes: bool = False  # "Name (CODE)" instead of the name
    quality: bool = False  # n and CV (%) beside each value


@dataclass(frozen=True)
class Table:
    numeric: pl.DataFrame  # labels + numbers (None where hidden or empty)
    display: pl.DataFrame  # labels + formatted text with symbols
    flags: pl.DataFrame  # labels + flag per value column
    totals: pl.DataFrame  # labels + whether each value is a total or subtotal
    row_headers: list[str]
    value_columns: list[str]  # the estimates (not the n and CV columns)
    n_columns: list[str]
    cv_columns: list[str]
    decimals: int
    lang: str
    rules: quality.Rules
    marks: pl.DataFrame | None = None  # labels + "redacted" / "lower_bound" / None per value column

    def styler(self, shading: bool = False):
        """A pandas Styler of the text as shown (symbols included: a browser table shows no text for an
        empty number), with optional heat-map shading computed from the numbers."""
        display = self.display.to_pandas()
        styler = display.style
        if shading and self.value_columns:
            numeric = self.numeric.to_pandas()
            totals = self.totals.to_pandas()
            styler = styler.apply(lambda _: _shades(numeric, self.value_columns, totals), axis=None)
        return styler

    @property
    def number_columns(self) -> list[str]:
        return [*self.value_columns, *self.n_columns, *self.cv_columns]


# --- computing ---------------------------------------------------------------------------------------------

def compute(query: CrosstabQuery, wh: Warehouse) -> Crosstab:
    ds = dataset(query.dataset_id)
    if query.source:
        known = [key for key, _ in wh.sources(ds.id)]
        if query.source not in known:
            raise CrosstabError("crosstab.error.source", source=query.source, dataset=ds.id,
                                known=", ".join(known) or "–")
    wh = wh.preferring(query.source)
    design = _design(ds)
    method = _method(ds, query)
    releases = wh.releases(ds.id)
    cube = _cube(wh, ds, design, releases)
    latest = _latest_periods(cube, wh, ds, query) if _reads_latest(ds, query) else {}
    cells = _dense_cells(cube, ds, query, method, design) if cube is not None and DENSE else None
    if cells is None:
        fine = _aggregate_cube(cube, ds, query, design) if cube is not None else _aggregate_sql(wh, ds, query, design)
        if fine.is_empty():
            cells = _empty_cells(query)
        else:
            n_h = _stratum_sizes(cube, wh, ds, query, design, fine) if design else None
            sets = [(rk, ck) for rk in range(len(query.rows), -1, -1) for ck in range(len(query.cols), -1, -1)]
            levels = {s: _level(fine, ds, query, design, n_h, *s) for s in sets}
            cells = _finish(ds, query, method, levels, design, n_h, fine)
    cells = _mark_redacted(wh, ds, query, cells)
    cells, complementary = _public_marks(cells)
    used, aside = wh.selection_sources(ds.id, query.countries, query.years, latest or None)
    provenance = tuple(f"{r.publisher} · {r.edition or ''} · {r.source_file or ''} · v{r.version} · "
                       f"SHA-256 {r.sha256[:16]}…" for r in used)
    periods = _periods_read(wh, ds, query) if not latest and ds.time_column not in query.dims else None
    return Crosstab(query, cells, method, synthetic=any(r.synthetic for r in used), provenance=provenance,
                    latest=tuple(sorted(latest.items())), source=query.source,
                    set_aside=tuple((r.product, f"{r.publisher} · {r.edition or ''}") for r in aside),
                    complementary=complementary, periods=periods)


def _periods_read(wh: Warehouse, ds: Dataset, q: CrosstabQuery) -> tuple[str, str] | None:
    """The first and last period among the rows a query reads."""
    where, params = _where(ds, q)
    time = f"CAST({_q(ds.time_column)} AS VARCHAR)"
    (first, last), = wh.query(ds.id, f"SELECT MIN({time}), MAX({time}) FROM data{where}", params).rows()
    return (first, last) if first is not None else None


def _reads_latest(ds: Dataset, q: CrosstabQuery) -> bool:
    """A stock over several periods, not shown apart and not pooled on purpose: each area's latest period."""
    return rules.reads_latest(ds, q.dims) and not q.pool


def _latest_periods(cube: cubes.Cube | None, wh: Warehouse, ds: Dataset, q: CrosstabQuery) -> dict[str, str]:
    """A stock over several periods: each reporting area's latest period among the selected rows."""
    if cube is not None:
        cube = cube.covering([*(name for name, _ in q.filters), ds.area_column, ds.time_column])
        rows = _positions(cube, cube.select(_cube_selection(cube, ds, q)))
        rows = rows[cube.sums["n"][rows] > 0]
        return rules.latest_periods(cube.codes[ds.area_column][rows], cube.codes[ds.time_column][rows],
                                    cube.labels[ds.area_column], cube.labels[ds.time_column])
    where, params = _where(ds, q)
    area, time = _q(ds.area_column), f"CAST({_q(ds.time_column)} AS VARCHAR)"
    frame = wh.query(ds.id, f"SELECT {area} AS a, MAX({time}) AS p FROM data{where} GROUP BY ALL", params)
    return {a: p for a, p in frame.iter_rows() if a is not None and p is not None}


def _positions(cube: cubes.Cube, rows: cubes.Selection) -> np.ndarray:
    if rows is None:
        return np.arange(cube.height)
    if isinstance(rows, list):
        return (np.concatenate([np.arange(p.start, p.stop) for p in rows]) if rows
                else np.zeros(0, np.int64))
    return rows


def _select(cube: cubes.Cube, ds: Dataset, q: CrosstabQuery) -> cubes.Selection:
    """The cube rows a query reads: its filters, and for a stock over several periods (the period not shown)
    only each area's latest period among them (stocks never add up over time: `rules`)."""
    rows = cube.select(_cube_selection(cube, ds, q))
    if not _reads_latest(ds, q):
        return rows
    positions = _positions(cube, rows)
    keep = rules.latest_mask(cube.codes[ds.area_column][positions], cube.codes[ds.time_column][positions],
                             cube.sums["n"][positions] > 0)
    return positions[keep]


def _mark_redacted(wh: Warehouse, ds: Dataset, q: CrosstabQuery, cells: pl.DataFrame) -> pl.DataFrame:
    """`mark` per cell: "redacted" where every value in it was hidden by its publisher (shown with the
    redaction symbol, never as 0), "lower_bound" where some were (the figure is at least the one shown)."""
    if not rules.can_be_redacted(ds) or cells.is_empty():
        return cells.with_columns(pl.lit(None, pl.String).alias("mark"))
    select = [f"{rules.cell_code_sql(_q(d))} AS {_q(d)}" for d in q.dims]
    stats = ["COUNT(*) AS _rows", f"COUNT(*) - COUNT({_q(ds.measure.name)}) AS _hidden"]
    where, params = _where(ds, q)
    source = f"SELECT * FROM data{where}"
    if _reads_latest(ds, q):
        source = rules.latest_sql(ds, source)
    group = f" GROUP BY {', '.join(str(i) for i in range(1, len(select) + 1))}" if select else ""
    fine = wh.query(ds.id, f"SELECT {', '.join(select + stats)} FROM ({source}){group}", params)
    if fine.is_empty() or not fine["_hidden"].sum():
        return cells.with_columns(pl.lit(None, pl.String).alias("mark"))
    levels = []
    for rk in range(len(q.rows), -1, -1):
        for ck in range(len(q.cols), -1, -1):
            keys = list(q.rows[:rk]) + list(q.cols[:ck])
            sums = [pl.col("_rows").sum(), pl.col("_hidden").sum()]
            level = fine.group_by(keys).agg(sums) if keys else fine.select(sums)
            levels.append(level.with_columns(*[pl.lit(TOTAL).alias(d) for d in q.rows[rk:] + q.cols[ck:]],
                                             pl.lit(rk, pl.Int32).alias(LEVEL_ROW),
                                             pl.lit(ck, pl.Int32).alias(LEVEL_COL)).select(
                *q.dims, LEVEL_ROW, LEVEL_COL, "_rows", "_hidden"))
    counts = pl.concat(levels)
    cells = cells.join(counts, on=[*q.dims, LEVEL_ROW, LEVEL_COL], how="left")
    mark = rules.redaction_mark(pl.col("_rows"), pl.col("_hidden"))
    hide = (mark == rules.REDACTED).fill_null(False) & (pl.col("flag") != SUPPRESSED)
    return cells.with_columns(
        mark.alias("mark"),
        pl.when(hide).then(None).otherwise(pl.col("value")).alias("value"),
        pl.when(hide).then(None).otherwise(pl.col("base")).alias("base"),
    ).drop("_rows", "_hidden")


def _public_marks(cells: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Every hidden cell marked alike (CONF_STATUS "C"), its unweighted n hidden with it (a small n would tell
    a primary cell from a complement), and the number of complements, which stays internal."""
    if cells.is_empty() or "conf" not in cells.columns:
        return cells, 0
    complementary = int((cells["conf"] == CONF_SECONDARY).sum())
    hidden = pl.col("conf") != CONF_FREE
    return cells.with_columns(
        pl.when(hidden).then(pl.lit(CONF_PRIMARY)).otherwise(pl.col("conf")).alias("conf"),
        disclosure.public_n_expr(pl.col("n"), hidden).alias("n"),
    ), complementary


def _empty_cells(q: CrosstabQuery) -> pl.DataFrame:
    return pl.DataFrame(schema={**{d: pl.String for d in q.dims}, LEVEL_ROW: pl.Int32, LEVEL_COL: pl.Int32,
                                "value": pl.Float64, "base": pl.Float64, "n": pl.Int64, "cv": pl.Float64,
                                "flag": pl.String, "conf": pl.String})


def _design(ds: Dataset) -> str | None:
    return rules.design(ds)


def _method(ds: Dataset, q: CrosstabQuery) -> str:
    if ds.is_microdata:
        return "unweighted" if q.measure == "count" else _design(ds) or "census"
    return "admin" if ds.source_type == "administrative" else "published"


def _where(ds: Dataset, q: CrosstabQuery, *, design_only: bool = False) -> tuple[str, dict]:
    """WHERE clause and parameters. `design_only`: only the country and period choices (whole strata)."""
    clauses, params = [], {}

    def among(column: str, values: Sequence[str], tag: str) -> None:
        names = []
        for i, value in enumerate(values):
            params[f"{tag}{i}"] = value
            names.append(f"${tag}{i}")
        clauses.append(f"{rules.cell_code_sql(_q(column))} IN ({', '.join(names)})")

    if q.countries:
        among(ds.area_column, q.countries, "c")
    if q.years:
        params["y0"], params["y1"] = q.years
        clauses.append(f"TRY_CAST(SUBSTR(CAST({_q(ds.time_column)} AS VARCHAR), 1, 4) AS INTEGER) BETWEEN $y0 AND $y1")
    for k, (name, values) in enumerate(q.filters):
        if design_only and name not in (ds.area_column, ds.time_column):
            continue
        among(name, values, f"f{k}_")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _stratum_columns(ds: Dataset, design: str) -> list[str]:
    # Each country's survey round (or census round) is its own sample: strata are taken within country and
    # period. The key is grouped on as separate columns in DuckDB and joined into one text in Polars, on the
    # small aggregated result (building text for every row would cost more than the whole aggregation).
    return [ds.area_column, ds.time_column] + ([ds.strata] if design == "survey" else [])


def _stratum_select(ds: Dataset, design: str) -> list[str]:
    return [f"CAST({_q(c)} AS VARCHAR) AS _s{i}" for i, c in enumerate(_stratum_columns(ds, design))]


def _stratum_key(frame: pl.DataFrame) -> pl.DataFrame:
    parts = sorted(c for c in frame.columns if c.startswith("_s") and c[2:].isdigit())
    return frame.with_columns(pl.concat_str([pl.col(c).fill_null("") for c in parts], separator="|")
                              .alias("_s")).drop(parts)


# --- the per-release cube of sums (vipmg_core.cube) -------------------------------------------------------

USE_CUBE = True  # tests switch it off to check the cube and a direct GROUP BY give the same numbers
DENSE = True  # tests switch it off to check the NumPy and the Polars re-aggregation give the same cells


def _cube(wh: Warehouse, ds: Dataset, design: str | None, releases: Sequence[Release] | None = None
          ) -> cubes.Cube | None:
    return cubes.cube(wh, ds, design, releases) if USE_CUBE else None


def _year_mask(labels: np.ndarray, years: tuple[int, int]) -> np.ndarray:
    first = np.array([int(text[:4]) if text[:4].isdigit() else -1 for text in labels])
    return (first >= years[0]) & (first <= years[1])


def _cube_selection(cube: cubes.Cube, ds: Dataset, q: CrosstabQuery, *, design_only: bool = False) -> dict:
    allowed: dict[str, np.ndarray] = {}

    def keep(column: str, mask: np.ndarray) -> None:
        allowed[column] = allowed[column] & mask if column in allowed else mask

    if q.countries:
        keep(ds.area_column, cube.allowed(ds.area_column, q.countries))
    if q.years:
        keep(ds.time_column, _year_mask(cube.labels[ds.time_column], q.years))
    for name, values in q.filters:
        if design_only and name not in (ds.area_column, ds.time_column):
            continue
        keep(name, cube.allowed(name, values))
    return allowed


def _cube_part(cube: cubes.Cube, ds: Dataset, q: CrosstabQuery, *, design_only: bool = False) -> pl.DataFrame:
    """The cube's rows a query keeps, as the Polars frame the Polars path re-aggregates."""
    if design_only:
        return cube.frame_of(cube.select(_cube_selection(cube, ds, q, design_only=True)))
    return cube.frame_of(_select(cube, ds, q))


def _design_keys(ds: Dataset, design: str | None) -> list[pl.Expr]:
    if design is None:
        return []
    keys = [pl.col(ds.area_column).alias("_s0"), pl.col(ds.time_column).alias("_s1")]
    if design == "survey":
        keys += [pl.col("_strata").alias("_s2"), pl.col("_p")]
    return keys


def _aggregate_cube(cube: cubes.Cube, ds: Dataset, q: CrosstabQuery, design: str | None) -> pl.DataFrame:
    part = _cube_part(cube, ds, q)
    tag = f"__{q.mean_of}" if q.mean_of else ""
    names = ["n", "y"] + (["x"] if q.mean_of else []) + (["yy"] if design == "census" else []) + (
        ["xx", "yx"] if design == "census" and q.mean_of else [])
    sums = [pl.col(f"{name}{tag}").sum().alias(name) for name in names]
    keys = [pl.col(d) for d in q.dims] + _design_keys(ds, design)
    fine = part.group_by(keys).agg(sums) if keys else part.select(sums)
    fine = fine.with_columns(pl.col(pl.Categorical).cast(pl.String))
    if design:
        fine = _stratum_key(fine)
    if q.mean_of:  # cells with no value of the variable are not cells of a mean
        fine = fine.filter(pl.col("n") > 0)
    return fine.with_columns(pl.col("n").cast(pl.Int64))


def _aggregate_sql(wh: Warehouse, ds: Dataset, q: CrosstabQuery, design: str | None) -> pl.DataFrame:
    """One GROUP BY over the filtered rows, to the cells' detail (and stratum / PSU for the variance)."""
    select = [f"{rules.cell_code_sql(_q(d))} AS {_q(d)}" for d in q.dims]
    if design:
        select += _stratum_select(ds, design)
    if design == "survey":
        select.append(f"CAST({_q(ds.psu)} AS VARCHAR) AS _p")
    group = len(select)
    if ds.is_microdata:
        w = f"CAST({_q(ds.weight)} AS DOUBLE)"
        if q.mean_of:
            v = f"CAST({_q(q.mean_of)} AS DOUBLE)"
            wx = f"CASE WHEN {v} IS NOT NULL THEN {w} END"
            stats = [f"COUNT({v}) AS n", f"SUM({w} * {v}) AS y", f"SUM({wx}) AS x"]
            if design == "census":
                stats += [f"SUM({w} * {w} * {v} * {v}) AS yy", f"SUM({wx} * {wx}) AS xx", f"SUM({w} * {w} * {v}) AS yx"]
        else:
            stats = ["COUNT(*) AS n", f"SUM({w}) AS y"]
            if design == "census":
                stats.append(f"SUM({w} * {w}) AS yy")
    else:
        stats = ["COUNT(*) AS n", f"SUM(CAST({_q(ds.measure.name)} AS DOUBLE)) AS y"]
    where, params = _where(ds, q)
    group_by = f" GROUP BY {', '.join(str(i) for i in range(1, group + 1))}" if group else ""
    source = "data"
    if _reads_latest(ds, q):  # a stock over several periods: each area's latest period only
        source, where = f"({rules.latest_sql(ds, f'SELECT * FROM data{where}')})", ""
    sql = f"SELECT {', '.join(select + stats)} FROM {source}{where}{group_by}"
    fine = wh.query(ds.id, sql, params)
    if design:
        fine = _stratum_key(fine)
    if q.mean_of:  # cells with no value of the variable are not cells of a mean
        fine = fine.filter(pl.col("n") > 0)
    fill = [c for c in ("y", "x", "yy", "xx", "yx") if c in fine.columns]
    return fine.with_columns(pl.col(fill).fill_null(0.0), pl.col("n").cast(pl.Int64))


def _stratum_sizes(cube: cubes.Cube | None, wh: Warehouse, ds: Dataset, q: CrosstabQuery, design: str,
                   fine: pl.DataFrame) -> pl.DataFrame:
    """PSUs per stratum in the whole sample as chosen by country and period (domains keep every PSU)."""
    domain_filters = [name for name, _ in q.filters if name not in (ds.area_column, ds.time_column)]
    if not domain_filters and not q.mean_of:
        if design == "survey":
            return fine.group_by("_s").agg(pl.col("_p").n_unique().alias("n_h"))
        return fine.group_by("_s").agg(pl.col("n").sum().alias("n_h"))
    if cube is not None:
        part = _cube_part(cube, ds, q, design_only=True)
        counted = pl.col("_p").n_unique() if design == "survey" else pl.col("n").sum()
        sizes = part.group_by(_design_keys(ds, design)[:3 if design == "survey" else 2]).agg(counted.alias("n_h"))
        return _stratum_key(sizes.with_columns(pl.col(pl.Categorical).cast(pl.String)))
    count = f"COUNT(DISTINCT {_q(ds.psu)})" if design == "survey" else "COUNT(*)"
    where, params = _where(ds, q, design_only=True)
    keys = _stratum_select(ds, design)
    sizes = wh.query(ds.id, f"SELECT {', '.join(keys)}, {count} AS n_h FROM data{where} GROUP BY ALL", params)
    return _stratum_key(sizes)


@dataclass
class _Level:
    keys: list[str]  # dimensions kept
    est: pl.DataFrame  # keys + n, y (+ x)
    moments: pl.DataFrame | None  # keys + _s + sy, syy (+ sx, sxx, syx) for the variance
    psu: pl.DataFrame | None  # survey: keys + _s + _p + y (+ x)


def _level(fine: pl.DataFrame, ds: Dataset, q: CrosstabQuery, design: str | None, n_h, rk: int, ck: int) -> _Level:
    keys = list(q.rows[:rk]) + list(q.cols[:ck])
    ratio = q.mean_of is not None
    sums = [pl.col("n").sum(), pl.col("y").sum()] + ([pl.col("x").sum()] if ratio else [])
    est = fine.group_by(keys).agg(sums) if keys else fine.select(sums)
    if design is None:
        return _Level(keys, est, None, None)
    psu = None
    if design == "survey":
        psu = fine.group_by(keys + ["_s", "_p"]).agg(pl.col("y").sum(), *([pl.col("x").sum()] if ratio else []))
        moments = psu.group_by(keys + ["_s"]).agg(
            pl.col("y").sum().alias("sy"), (pl.col("y") ** 2).sum().alias("syy"),
            *([pl.col("x").sum().alias("sx"), (pl.col("x") ** 2).sum().alias("sxx"),
               (pl.col("x") * pl.col("y")).sum().alias("syx")] if ratio else []))
    else:  # census: every row its own PSU, so the squares were summed row by row in DuckDB
        moments = fine.group_by(keys + ["_s"]).agg(
            pl.col("y").sum().alias("sy"), pl.col("yy").sum().alias("syy"),
            *([pl.col("x").sum().alias("sx"), pl.col("xx").sum().alias("sxx"),
               pl.col("yx").sum().alias("syx")] if ratio else []))
    return _Level(keys, est, moments, psu)


def _variance(level: _Level, n_h: pl.DataFrame, ratio: pl.DataFrame | None = None) -> pl.DataFrame:
    """Variance per cell of `level`: of the total, or (with `ratio`: keys + r) of y - R x (not yet / X^2)."""
    moments = level.moments.join(n_h, on="_s", how="left")
    if ratio is not None:
        moments = moments.join(ratio, on=level.keys, how="left") if level.keys else moments.join(ratio, how="cross")
    keys = level.keys or ["_all"]
    if not level.keys:
        moments = moments.with_columns(pl.lit(0).alias("_all"))
    out = quality.stratum_variance(moments, keys)
    return out.drop("_all") if not level.keys else out


def _share_variance(cell: _Level, den: _Level, n_h: pl.DataFrame, design: str, r: pl.DataFrame) -> pl.DataFrame:
    """Linearised variance numerator of cell / den, over every stratum of the denominator's domain.

    A PSU of the denominator with no member in the cell still counts (its linearised value is -R x).
    """
    den_keys = den.keys
    den_m = den.moments.select(*den_keys, "_s", pl.col("sy").alias("sx"), pl.col("syy").alias("sxx"))
    cell_m = cell.moments.select(*cell.keys, "_s", "sy", "syy")
    if design == "survey":
        cross = (cell.psu.join(den.psu.select(*den_keys, "_s", "_p", pl.col("y").alias("_x")),
                               on=den_keys + ["_s", "_p"], how="inner")
                 .group_by(cell.keys + ["_s"]).agg((pl.col("y") * pl.col("_x")).sum().alias("syx")))
        cell_m = cell_m.join(cross, on=cell.keys + ["_s"], how="left")
    else:  # a census row of the cell is in the denominator with the same weight: sum w^2 over the cell
        cell_m = cell_m.with_columns(pl.col("syy").alias("syx"))
    cell_keys = cell.est.select(cell.keys) if cell.keys else pl.DataFrame({"_all": [0]})
    frame = (cell_keys.join(den_m, on=den_keys, how="inner") if den_keys
             else cell_keys.join(den_m, how="cross"))
    frame = frame.join(cell_m, on=cell.keys + ["_s"], how="left") if cell.keys else frame.join(
        cell_m, on="_s", how="left")
    frame = frame.with_columns(pl.col("sy", "syy", "syx").fill_null(0.0)).join(n_h, on="_s", how="left")
    keys = cell.keys or ["_all"]
    if not cell.keys:
        r = r.with_columns(pl.lit(0).alias("_all"))
    frame = frame.join(r, on=keys, how="left")
    out = quality.stratum_variance(frame, keys)
    return out.drop("_all") if not cell.keys else out


def _den_level(q: CrosstabQuery, rk: int, ck: int) -> tuple[int, int]:
    return {"row": (rk, 0), "col": (0, ck), "total": (0, 0)}[q.percent]


def _finish(ds: Dataset, q: CrosstabQuery, method: str, levels: dict, design: str | None, n_h, fine) -> pl.DataFrame:
    rule = quality.rules()
    frames = []
    for (rk, ck), level in levels.items():
        est = level.est
        if q.mean_of:
            est = est.with_columns((pl.col("y") / pl.col("x")).alias("value"), pl.col("x").alias("weight_base"))
        elif q.measure == "count" and ds.is_microdata:
            est = est.with_columns(pl.col("n").cast(pl.Float64).alias("value"))
        else:
            est = est.with_columns(pl.col("y").alias("value"))
        est = est.with_columns(pl.col("y").alias("total"))
        if design and q.measure != "count":
            if q.mean_of:
                r = est.select(*level.keys, pl.col("value").alias("r"))
                v = _variance(level, n_h, r)
                est = (est.join(v, on=level.keys, how="left") if level.keys else est.with_columns(v["v"]))
                est = est.with_columns((pl.col("v") / pl.col("x") ** 2).alias("v"))
            else:
                v = _variance(level, n_h)
                est = est.join(v, on=level.keys, how="left") if level.keys else est.with_columns(v["v"])
            est = est.with_columns(quality.cv_percent(pl.col("value"), pl.col("v")).alias("cv"))
        else:
            est = est.with_columns(pl.lit(None, pl.Float64).alias("v"), pl.lit(None, pl.Float64).alias("cv"))
        fill = [pl.lit(TOTAL).alias(d) for d in q.rows[rk:] + q.cols[ck:]]
        est = est.with_columns(*fill, pl.lit(rk).alias(LEVEL_ROW), pl.lit(ck).alias(LEVEL_COL))
        frames.append(est)
    cells = pl.concat([f.select(*q.dims, LEVEL_ROW, LEVEL_COL, "n", "total", "value", "cv",
                                *(["weight_base"] if q.mean_of else []))
                       for f in frames], how="vertical") if frames else pl.DataFrame()
    if not q.dims:
        cells = cells.head(1)
    # Flags of the base figure (the total, the count or the mean).
    if method in ("survey", "census"):
        cells = cells.with_columns(quality.estimate_flag(pl.col("cv"), pl.col("n"), rule).alias("flag"))
    elif method == "admin":
        cells = cells.with_columns(quality.small_count_flag(pl.col("total"), rule).alias("flag"))
    elif method == "unweighted":  # sample records: the n rule (for a census, the n is the count)
        cells = cells.with_columns(quality.sample_count_flag(pl.col("n"), rule).alias("flag"))
    else:
        cells = cells.with_columns(pl.lit(RELIABLE).alias("flag"))
    # A fixed order, so the same request always gets the same complementary cells (two different patterns
    # for one table, seen one after the other, could together give a cell away).
    cells = cells.sort([LEVEL_ROW, LEVEL_COL, *q.dims], descending=[True, True, *[False] * len(q.dims)])
    cells = cells.with_row_index("_id")
    hidden, primary = _suppress(cells, q, method, rule)
    cells = cells.with_columns(
        pl.Series("_hidden", hidden),
        pl.Series("conf", np.where(primary, CONF_PRIMARY, np.where(hidden, CONF_SECONDARY, CONF_FREE))),
    )
    # `base`: the figure behind the value (the total behind a percentage), hidden with its cell; it ranks rows.
    base = pl.col("value") if (q.mean_of or (q.measure == "count" and ds.is_microdata)) else pl.col("total")
    cells = cells.with_columns(pl.when(pl.col("_hidden")).then(None).otherwise(base).alias("base"))
    if q.percent:
        cells = _shares(cells, ds, q, levels, design, n_h, rule)
    cells = cells.with_columns(
        pl.when(pl.col("_hidden")).then(pl.lit(SUPPRESSED)).otherwise(pl.col("flag")).alias("flag"),
        pl.when(pl.col("_hidden")).then(None).otherwise(pl.col("value")).alias("value"),
        pl.when(pl.col("_hidden")).then(None).otherwise(pl.col("cv")).alias("cv"),
        pl.col("n").cast(pl.Int64),
    )
    if not ds.is_microdata:
        cells = cells.with_columns(pl.lit(None, pl.Int64).alias("n"))
    return cells.select(*q.dims, LEVEL_ROW, LEVEL_COL, *CELL_COLUMNS)


def _constraints(cells: pl.DataFrame, q: CrosstabQuery, coef: str | None) -> list[Constraint]:
    """Each total equals the sum of the cells one level down, along rows and along columns."""
    out: list[Constraint] = []
    for axis, dims, level_col, other_col in (("row", q.rows, LEVEL_ROW, LEVEL_COL), ("col", q.cols, LEVEL_COL, LEVEL_ROW)):
        for k in range(len(dims)):
            parents = cells.filter(pl.col(level_col) == k)
            children = cells.filter(pl.col(level_col) == k + 1)
            keys = [d for d in q.dims if d != dims[k]]
            grouped = (children.group_by([*keys, other_col])
                       .agg(pl.col("_id").alias("_kids"), *([pl.col(coef).alias("_kc")] if coef else [])))
            joined = parents.join(grouped, on=[*keys, other_col], how="inner")
            for row in joined.iter_rows(named=True):
                kids = np.asarray(row["_kids"], dtype=np.int64)
                if coef:
                    out.append(Constraint(int(row["_id"]), kids, float(row[coef] or 0.0),
                                          np.asarray(row["_kc"], dtype=float)))
                else:
                    out.append(Constraint(int(row["_id"]), kids))
    return out


def _suppress(cells: pl.DataFrame, q: CrosstabQuery, method: str, rule: quality.Rules
              ) -> tuple[np.ndarray, np.ndarray]:
    primary = (cells["flag"] == SUPPRESSED).to_numpy()
    if not primary.any():
        return primary, primary
    coef = "weight_base" if q.mean_of else None
    # Complementary cells are chosen by total, or for means by the size of their domain; the audit works on
    # the values the table's lines add up (totals, or means weighted by their domains).
    size = "weight_base" if q.mean_of else "n" if method == "unweighted" else "total"
    truth = cells["value" if q.mean_of else size].to_numpy().astype(float)
    hidden = quality.protect(cells[size].to_numpy().astype(float), primary,
                             _constraints(cells, q, coef), protection=_protection(method, truth, rule))
    return hidden, primary


def _protection(method: str, truth: np.ndarray, rule: quality.Rules) -> quality.Protection:
    """Counts are protected by the small-count threshold, estimates and means by a share of their value."""
    if method in ("admin", "unweighted"):  # events, or sample records (persons, for a census)
        return quality.count_protection(truth, rule)
    return quality.estimate_protection(truth, rule)


def _shares(cells: pl.DataFrame, ds: Dataset, q: CrosstabQuery, levels: dict, design, n_h, rule) -> pl.DataFrame:
    """Percent of row / column / total, each with its own (ratio) variance and flag.

    A share is hidden when its cell or its denominator is hidden (either would give the other away).
    """
    parts = []
    for (rk, ck), level in levels.items():
        drk, dck = _den_level(q, rk, ck)
        den_keys = list(q.rows[:drk]) + list(q.cols[:dck])
        den = levels[(drk, dck)]
        base = "y" if not (q.measure == "count" and ds.is_microdata) else "n"
        share = level.est.select(*level.keys, pl.col(base).cast(pl.Float64).alias("_num"))
        den_est = den.est.select(*den_keys, pl.col(base).cast(pl.Float64).alias("_den"))
        share = share.join(den_est, on=den_keys, how="left") if den_keys else share.join(den_est, how="cross")
        share = share.with_columns((pl.col("_num") / pl.col("_den")).alias("r"))
        if design and q.measure != "count":
            v = _share_variance(level, den, n_h, design, share.select(*level.keys, "r"))
            share = share.join(v, on=level.keys, how="left") if level.keys else share.with_columns(v["v"])
            share = share.with_columns((pl.col("v") / pl.col("_den") ** 2).alias("_var"))
        else:
            share = share.with_columns(pl.lit(None, pl.Float64).alias("_var"))
        fill = [pl.lit(TOTAL).alias(d) for d in q.rows[rk:] + q.cols[ck:]]
        den_fill = [pl.lit(TOTAL).alias(f"_d_{d}") for d in q.dims if d not in den_keys]
        share = share.with_columns(*fill, *den_fill, *[pl.col(d).alias(f"_d_{d}") for d in den_keys],
                                   pl.lit(rk).alias(LEVEL_ROW), pl.lit(ck).alias(LEVEL_COL),
                                   pl.lit(drk).alias("_drl"), pl.lit(dck).alias("_dcl"))
        parts.append(share.select(*q.dims, LEVEL_ROW, LEVEL_COL, *[f"_d_{d}" for d in q.dims], "_drl", "_dcl",
                                  "r", "_var"))
    shares = pl.concat(parts, how="vertical")
    cells = cells.join(shares, on=[*q.dims, LEVEL_ROW, LEVEL_COL], how="left")
    den_hidden = cells.select(*[pl.col(d).alias(f"_d_{d}") for d in q.dims], pl.col(LEVEL_ROW).alias("_drl"),
                              pl.col(LEVEL_COL).alias("_dcl"), pl.col("_hidden").alias("_den_hidden"))
    cells = cells.join(den_hidden, on=[*[f"_d_{d}" for d in q.dims], "_drl", "_dcl"], how="left")
    cells = cells.with_columns((pl.col("r") * 100).alias("value"),
                               quality.cv_percent(pl.col("r"), pl.col("_var")).alias("cv"))
    if design and q.measure != "count":
        own = quality.estimate_flag(pl.col("cv"), pl.col("n"), rule)
        cells = cells.with_columns(
            pl.when(own == SUPPRESSED).then(pl.lit(CONF_PRIMARY)).when(pl.col("_den_hidden") & ~pl.col("_hidden"))
            .then(pl.lit(CONF_SECONDARY)).otherwise(pl.col("conf")).alias("conf"),
            (pl.col("_hidden") | pl.col("_den_hidden").fill_null(False) | (own == SUPPRESSED)).alias("_hidden"),
            own.alias("flag"),
        )
    else:
        cells = cells.with_columns(
            pl.when(pl.col("_den_hidden") & ~pl.col("_hidden")).then(pl.lit(CONF_SECONDARY))
            .otherwise(pl.col("conf")).alias("conf"),
            (pl.col("_hidden") | pl.col("_den_hidden").fill_null(False)).alias("_hidden"))
    return cells


# --- the dense path: the same cells from the cube with NumPy ---------------------------------------------------
#
# The cube's selected rows (its roll-up's, when the table needs none of the many-label dimensions) are summed
# with one bincount per sum onto a dense grid (one axis per dimension, plus the stratum for the census
# variance); every total and subtotal is then a sum over axes, and variances, flags, complementary suppression
# and shares are array operations. A survey's variance is computed one country at a time from its PSU totals
# (`_survey_variance`). It gives the same cells, in the same order, as the Polars path (tests check it), in a
# small fraction of the time. Grids too large to hold densely take the Polars path.

_F_RELIABLE, _F_SUPPRESSED = quality.FLAGS.index(RELIABLE), quality.FLAGS.index(SUPPRESSED)
_CONF_NAMES = [CONF_FREE, CONF_PRIMARY, CONF_SECONDARY]
_C_FREE, _C_PRIMARY, _C_SECONDARY = 0, 1, 2


def _dense_cells(cube: cubes.Cube, ds: Dataset, q: CrosstabQuery, method: str, design: str | None
                 ) -> pl.DataFrame | None:
    rule = quality.rules()
    variance = design is not None and q.measure != "count"
    census, survey = variance and design == "census", variance and design == "survey"
    ratio = q.mean_of is not None
    count_rows = q.measure == "count" and ds.is_microdata
    tag = f"__{q.mean_of}" if ratio else ""
    names = ["n", "y"] + (["x"] if ratio else []) + (["yy"] if census else []) + (
        ["xx", "yx"] if census and ratio else [])
    cube = cube.covering([*q.dims, *(name for name, _ in q.filters), ds.area_column, ds.time_column])
    rows = _select(cube, ds, q)
    if not cubes.size(rows, cube):
        return _empty_cells(q)
    # A census's variance needs a last axis, the stratum (each country and round one stratum of records); a
    # survey's is computed per country from its PSU totals (`_survey_variance`). Domains keep every PSU (record)
    # of the country and period chosen, so the stratum sizes count those, whatever the other filters.
    extra = None
    if census:
        chosen = _cube_selection(cube, ds, q, design_only=True)
        strata = [ds.area_column, ds.time_column]
        sizes = cube.table(strata, "n")
        for axis, column in enumerate(strata):
            if column in chosen:
                sizes = sizes * np.expand_dims(chosen[column], 1 - axis)
        sizes = sizes.ravel()
        in_sample = sizes > 0
        n_h = sizes[in_sample]
        extra = (cube.combined(strata), np.cumsum(in_sample) - 1)
    grid = cubes.dense_sums(cube, q.dims, rows, [f"{name}{tag}" for name in names], extra)
    if grid is None:
        return None
    R, C = len(q.rows), len(q.cols)
    dim_labels = grid.labels
    sizes = tuple(len(labels) for labels in dim_labels)
    last = len(n_h) if census else 0
    if math.prod(size + 1 for size in sizes) * max(last, 1) * len(names) > cubes.DENSE_MAX_VALUES:
        return None  # the grid with its totals would be too large to hold: the Polars path

    # Every total and subtotal: one more position on each dimension's axis holds the sum over that axis.
    ext = _extended(np.stack([grid.sums[f"{name}{tag}"] for name in names], axis=-1), R + C)
    ext = ext.reshape(-1, last, len(names)) if census else ext.reshape(-1, len(names))
    layout = _layout(sizes, R, C)
    n_all = ext[layout.positions, ..., 0]
    present = (n_all.sum(axis=1) if census else n_all) > 0
    pos, rl, cl = layout.positions[present], layout.rl[present], layout.cl[present]
    picked = ext[pos]  # per cell (and stratum, for a census), then per sum
    g = {name: picked[..., i] for i, name in enumerate(names)}

    def cell(a: np.ndarray) -> np.ndarray:  # sum over strata
        return a.sum(axis=1) if census else a

    with np.errstate(divide="ignore", invalid="ignore"):
        n, y = cell(g["n"]), cell(g["y"])
        x = cell(g["x"]) if ratio else None
        value = y / x if ratio else (n.astype(float) if count_rows else y)
        if variance:  # a census: each record its own PSU, so per-stratum sums and squares are enough
            if survey:
                v = _survey_variance(cube, ds, q, rows, layout, pos, tag, mean_r=value if ratio else None)
                if v is None:
                    return None
            elif ratio:
                r = value[:, None]
                v = quality.ultimate_cluster(g["y"] - r * g["x"], g["yy"] - 2 * r * g["yx"] + r * r * g["xx"], n_h)
            else:
                v = quality.ultimate_cluster(g["y"], g["yy"], n_h)
            cv = quality.cv_values(value, v / (x * x) if ratio else v)
        else:
            cv = np.full(len(n), np.nan)
    if method in ("survey", "census"):
        flag = quality.estimate_flag_codes(cv, n, rule)
    elif method == "admin":
        flag = quality.small_count_flag_codes(y, rule)
    elif method == "unweighted":  # sample records: the n rule (for a census, the n is the count)
        flag = quality.sample_count_flag_codes(n, rule)
    else:
        flag = np.full(len(n), _F_RELIABLE)
    primary = flag == _F_SUPPRESSED
    ids = np.full(math.prod(layout.shape), -1, np.int64)
    ids[pos] = np.arange(len(pos))
    size = x if ratio else n.astype(float) if count_rows else y
    hidden = (quality.protect(size, primary, _grid_lines(layout, ids, size if ratio else None),
                              protection=_protection(method, value if ratio else size, rule))
              if primary.any() else primary)
    conf = np.where(primary, _C_PRIMARY, np.where(hidden, _C_SECONDARY, _C_FREE))
    base = value if (ratio or count_rows) else y
    base_hidden = hidden
    if q.percent:
        # The denominator of a share is the cell with the other side's dimensions totalled.
        totalled = {"row": range(R, R + C), "col": range(R), "total": range(R + C)}[q.percent]
        den_pos = pos.copy()
        for axis in totalled:
            coord = (pos // layout.strides[axis]) % layout.shape[axis]
            den_pos += (sizes[axis] - coord) * layout.strides[axis]
        den = ids[den_pos]
        num = n.astype(float) if count_rows else y
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio_value = num / num[den]
            if variance:  # linearised: y - R y_den per PSU, over every stratum of the denominator's domain
                rr = ratio_value[:, None]
                if survey:
                    var = _survey_variance(cube, ds, q, rows, layout, pos, tag, share=(ratio_value, den_pos))
                    if var is None:
                        return None
                else:  # census: a record of the cell is in the denominator with the same weight
                    var = quality.ultimate_cluster(g["y"] - rr * g["y"][den],
                                                   g["yy"] - 2 * rr * g["yy"] + rr * rr * g["yy"][den], n_h)
                var = var / num[den] ** 2
            else:
                var = np.full(len(n), np.nan)
        den_hidden = hidden[den]
        value, cv = ratio_value * 100, quality.cv_values(ratio_value, var)
        if variance:
            own = quality.estimate_flag_codes(cv, n, rule)
            conf = np.where(own == _F_SUPPRESSED, _C_PRIMARY, np.where(den_hidden & ~hidden, _C_SECONDARY, conf))
            hidden = hidden | den_hidden | (own == _F_SUPPRESSED)
            flag = own
        else:
            conf = np.where(den_hidden & ~hidden, _C_SECONDARY, conf)
            hidden = hidden | den_hidden
    flag = np.where(hidden, _F_SUPPRESSED, flag)
    coords = np.unravel_index(pos, layout.shape)  # a coordinate one past the labels stands for _T

    def without(name: str, values: np.ndarray, mask: np.ndarray) -> pl.Series:  # null where hidden, NaN kept
        if np.isnan(values).any():
            return pl.Series(name, values, dtype=pl.Float64).scatter(np.flatnonzero(mask), None)
        return pl.Series(name, np.where(mask, np.nan, values), dtype=pl.Float64, nan_to_null=True)

    return pl.DataFrame([
        *[pl.Series(d, [*dim_labels[i].tolist(), TOTAL], dtype=pl.String)[coords[i]] for i, d in enumerate(q.dims)],
        pl.Series(LEVEL_ROW, rl), pl.Series(LEVEL_COL, cl),
        without("value", value, hidden), without("base", base, base_hidden),
        pl.Series("n", n.astype(np.int64)) if ds.is_microdata else pl.Series("n", [None] * len(n), dtype=pl.Int64),
        pl.Series("cv", np.where(hidden, np.nan, cv), nan_to_null=True),
        pl.Series("flag", quality.FLAGS, dtype=pl.String)[flag],
        pl.Series("conf", _CONF_NAMES, dtype=pl.String)[conf],
    ])


def _extended(array: np.ndarray, axes: int) -> np.ndarray:
    """The grid with one more position on each of its first `axes` axes, holding the sum over that axis."""
    for axis in range(axes):
        array = np.concatenate([array, array.sum(axis=axis, keepdims=True)], axis=axis)
    return array


def _area_rows(cube: cubes.Cube, rows: cubes.Selection, area: int) -> cubes.Selection | None:
    """The selected rows of one country (None: none)."""
    lo, hi = int(cube.area_bounds[area]), int(cube.area_bounds[area + 1])
    if rows is None:
        return [slice(lo, hi)] if hi > lo else None
    if isinstance(rows, list):
        part = [piece for piece in rows if piece.start == lo and piece.stop > lo]
        return part or None
    part = rows[np.searchsorted(rows, lo):np.searchsorted(rows, hi)]
    return part if len(part) else None


def _survey_variance(cube: cubes.Cube, ds: Dataset, q: CrosstabQuery, rows: cubes.Selection, layout: _Layout,
                     pos: np.ndarray, tag: str, *, mean_r: np.ndarray | None = None,
                     share: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray | None:
    """Ultimate-cluster variance per cell (at `pos` on the table's extended grid) of a total, of a mean's
    numerator y - R x (`mean_r`: R per cell) or of a share's numerator y - r y_den (`share`: r per cell and the
    denominator's position); None when a country's PSU grid would be too large to hold.

    Computed one country at a time: PSUs never cross countries, so a country's grid of PSU totals (with the
    country axis, if any, reduced to that country and the total) holds every PSU value of its strata, for
    every cell, totals over countries included; contributions of disjoint strata add up.
    """
    area, dims = ds.area_column, list(q.dims)
    row_psu, psu_area, psu_time, psu_stratum = cube.psus(area, ds.time_column)
    chosen = _cube_selection(cube, ds, q, design_only=True)
    keep = np.ones(len(psu_area), bool)
    for column, codes in ((area, psu_area), (ds.time_column, psu_time)):
        if column in chosen:
            keep &= chosen[column][codes]
    names = [f"y{tag}"] + ([f"x{tag}"] if mean_r is not None else [])
    country_axis = dims.index(area) if area in dims else None
    coords = np.unravel_index(pos, layout.shape)
    den_coords = np.unravel_index(share[1], layout.shape) if share is not None else None
    v = np.zeros(len(pos))
    for a in np.unique(psu_area[keep]):
        piece = _area_rows(cube, rows, int(a))
        if piece is None:  # nothing chosen in this country: every PSU value is 0, and so is its part
            continue
        in_country = keep & (psu_area == a)
        of_stratum = psu_stratum[in_country]
        starts = np.flatnonzero(np.diff(of_stratum, prepend=-1))
        n_h = np.diff(np.append(starts, len(of_stratum))).astype(float)
        fixed = {area: int(a)} if country_axis is not None else None
        grid = cubes.dense_sums(cube, dims, piece, names, (row_psu, np.cumsum(in_country) - 1), fixed=fixed)
        shape = [len(labels) + 1 for labels in grid.labels] if grid is not None else []
        if grid is None or math.prod(shape) * len(n_h) * len(names) > cubes.DENSE_MAX_VALUES:
            return None
        ext = _extended(np.stack([grid.sums[name] for name in names], axis=-1), len(dims))
        ext = ext.reshape(-1, int(in_country.sum()), len(names))

        def local(cs, a=a, shape=shape) -> np.ndarray:  # table grid position -> this country's (-1: not in it)
            at = np.zeros(len(cs[0]), np.int64)
            inside = np.ones(len(cs[0]), bool)
            for i, c in enumerate(cs):
                if i == country_axis:  # this country, or the total over countries
                    inside &= (c == a) | (c == layout.shape[i] - 1)
                    c = (c != a).astype(np.int64)
                at = at * shape[i] + c
            return np.where(inside, at, -1)

        def part(z: np.ndarray, starts=starts, n_h=n_h) -> np.ndarray:  # PSU values -> this country's part
            return quality.ultimate_cluster(np.add.reduceat(z, starts, axis=1), np.add.reduceat(z * z, starts, axis=1),
                                            n_h)

        at = local(coords)
        ok = at >= 0  # a cell of another country has no PSU here: its part is 0 ...
        z = ext[at[ok], :, 0]
        if mean_r is not None:
            z = z - mean_r[ok, None] * ext[at[ok], :, 1]
        elif share is not None:
            den_at = local(den_coords)
            z = z - share[0][ok, None] * ext[den_at[ok], :, 0]
            # ... unless a share's denominator spans countries: there y - r y_den is -r y_den, whose part is
            # r^2 times the denominator's own part (worked out once per denominator).
            away = np.flatnonzero(~ok & (den_at >= 0))
            if len(away):
                dens, which = np.unique(den_at[away], return_inverse=True)
                v[away] += share[0][away] ** 2 * part(ext[dens, :, 0])[which]
        v[ok] += part(z)
    return v


@dataclass(frozen=True, eq=False)
class _Layout:
    R: int
    C: int
    shape: tuple[int, ...]  # each dimension's labels plus one position for its total
    strides: np.ndarray
    positions: np.ndarray  # flat positions of every cell of every level, in the table's order
    rl: np.ndarray
    cl: np.ndarray
    _lines: list = field(default_factory=list, repr=False)  # the full layout's lines, once made (small layouts)

    def lines(self) -> quality.Lines:
        if self._lines:
            return self._lines[0]
        lines = _layout_lines(self)
        if len(lines.members) <= 1_000_000:  # 8 MB; larger ones are made again each time rather than kept
            self._lines.append(lines)
        return lines


@functools.lru_cache(maxsize=128)
def _layout(sizes: tuple[int, ...], R: int, C: int) -> _Layout:
    """Where the cells of each level sit on the extended grid: levels from the most detailed (rows, then
    columns, most kept first), cells within a level in code order, as the Polars path sorts them."""
    shape = tuple(size + 1 for size in sizes)
    strides = np.array([int(np.prod(shape[axis + 1:])) for axis in range(len(shape))], dtype=np.int64)
    positions, rls, cls = [], [], []
    for rk in range(R, -1, -1):
        for ck in range(C, -1, -1):
            kept = {*range(rk), *range(R, R + ck)}
            flat = np.zeros(1, np.int64)
            for axis in range(R + C):
                coords = np.arange(sizes[axis]) if axis in kept else np.array([sizes[axis]])
                flat = (flat[:, None] * shape[axis] + coords[None, :]).ravel()
            positions.append(flat)
            rls.append(np.full(len(flat), rk, np.int32))
            cls.append(np.full(len(flat), ck, np.int32))
    return _Layout(R, C, shape, strides, np.concatenate(positions), np.concatenate(rls), np.concatenate(cls))


def _grid_lines(layout: _Layout, ids: np.ndarray, weight: np.ndarray | None) -> quality.Lines:
    """Each total and the cells one level down that add up to it, along rows then columns (as `_constraints`),
    for the cells present (`ids`: grid position -> cell, -1 for none). A line whose total is absent has
    no part present either (the total's count is the sum of theirs): it is dropped whole."""
    full = layout.lines()
    member_ids = ids[full.members]
    keep = member_ids >= 0
    members = member_ids[keep]
    counts = np.bincount(full.line_of[keep], minlength=len(full))
    ptr = np.concatenate(([0], np.cumsum(counts[counts > 0])))
    coefs = np.nan_to_num(weight[members]) if weight is not None else np.ones(len(members))
    coefs[ptr[:-1]] *= -1
    return quality.Lines(ptr, members, coefs)


def _layout_lines(layout: _Layout) -> quality.Lines:
    """Every line of the full layout, members as grid positions: for the k-th row (then column) dimension, each
    cell of level k (that dimension totalled) followed by the cells with each of that dimension's labels."""
    members, counts = [], []
    for axis, level, k in [*[(k, layout.rl, k) for k in range(layout.R)],
                           *[(layout.R + k, layout.cl, k) for k in range(layout.C)]]:
        totals = layout.positions[level == k]
        size = layout.shape[axis] - 1
        parts = totals[:, None] + (np.arange(size) - size) * layout.strides[axis]
        members.append(np.concatenate([totals[:, None], parts], axis=1).ravel())
        counts.append(np.full(len(totals), size + 1))
    if not members:
        return quality.Lines.of([])
    ptr = np.concatenate(([0], np.cumsum(np.concatenate(counts))))
    return quality.Lines(ptr, np.concatenate(members), np.ones(int(ptr[-1])))


# --- helpers for the table and the page ---------------------------------------------------------------------

def _levels(count: int, totals: bool, subtotals: bool) -> list[int]:
    if count == 0:
        return [0]
    levels = [count]
    if subtotals:
        levels += list(range(1, count))
    if totals:
        levels.append(0)
    return levels


def code_order(ds: Dataset, column: str) -> dict[str, int]:
    col = ds.column(column)
    return {code.code: i for i, code in enumerate(col.codelist)} if col.codelist else {}


def _order_frame(ds: Dataset, dims: Sequence[str], keys: pl.DataFrame) -> pl.DataFrame:
    """Display position of each key: codelist order (periods in time order), totals after their rows."""
    sort_cols = []
    frame = keys
    for d in dims:
        order = code_order(ds, d)
        frame = frame.with_columns(
            pl.when(pl.col(d) == TOTAL).then(pl.lit(2)).when(pl.col(d) == MISSING).then(pl.lit(1))
            .otherwise(pl.lit(0)).alias(f"_t_{d}"),
            pl.col(d).replace_strict(order, default=len(order), return_dtype=pl.Int64).alias(f"_k_{d}"),
        )
        sort_cols += [f"_t_{d}", f"_k_{d}", d]
    frame = frame.sort(sort_cols).with_row_index("_o")
    return frame.select(*dims, pl.col("_o").cast(pl.Int64))


def code_label(ds: Dataset, column: str, code: str, lang: str, codes: bool = False) -> str:
    if code == TOTAL:
        return t("crosstab.total", lang)
    col = ds.column(column)
    cl = col.codelist
    if cl is not None and code in cl:
        name = cl.name(code, lang)
        return f"{name} ({code})" if codes else name
    if code == MISSING:
        return t("crosstab.missing", lang)
    if code == rules.UNSPLIT:
        return t("crosstab.unsplit", lang)
    return code


def _code_label_expr(ds: Dataset, column: str, lang: str, codes: bool) -> pl.Expr:
    col = ds.column(column)
    mapping = {MISSING: t("crosstab.missing", lang), rules.UNSPLIT: t("crosstab.unsplit", lang)}
    if col.codelist is not None:
        mapping |= {c.code: (f"{c.name(lang)} ({c.code})" if codes else c.name(lang)) for c in col.codelist}
    mapping[TOTAL] = t("crosstab.total", lang)
    return pl.col(column).replace_strict(mapping, default=pl.col(column), return_dtype=pl.String)


def _label_expr(ds: Dataset, dims: Sequence[str], lang: str, codes: bool, single: str) -> pl.Expr:
    if not dims:
        return pl.lit(single)
    return pl.concat_str([_code_label_expr(ds, d, lang, codes) for d in dims], separator=" · ")


def _display_expr(lang: str, decimals: int, rule: quality.Rules) -> pl.Expr:
    def fmt(value: float | None) -> str:
        return fmt_number(value, lang, decimals)

    text = pl.col("value").map_elements(fmt, return_dtype=pl.String)
    return (pl.when(pl.col("flag") == SUPPRESSED).then(pl.lit(rule.symbol_suppressed))
            .when(pl.col("value").is_null()).then(pl.lit(rule.symbol_empty))
            .when(pl.col("flag") == CAUTION).then(text + f" {rule.symbol_caution}")
            .otherwise(text))


def _pivot(cells: pl.DataFrame, keys: list[str], value: str, columns: list[str]) -> pl.DataFrame:
    wide = cells.pivot(on="_col", index=keys, values=value, aggregate_function=None,
                       sort_columns=False)
    for name in columns:
        if name not in wide.columns:
            wide = wide.with_columns(pl.lit(None).alias(name))
    return wide.select(*keys, *columns)


def _interleave(numeric, display, n_cols, cv_cols, col_names, keys, lang):
    n_label, cv_label = t("crosstab.n", lang), t("crosstab.cv", lang)
    num_parts, disp_parts = [numeric.select(keys)], [display.select(keys)]
    for name in col_names:
        num_parts.append(numeric.select(name))
        disp_parts.append(display.select(name))
        n_name, cv_name = f"{name} · {n_label}", f"{name} · {cv_label}"
        num_parts += [n_cols.select(pl.col(name).alias(n_name)), cv_cols.select(pl.col(name).alias(cv_name))]
        disp_parts += [n_cols.select(pl.col(name).map_elements(lambda v: fmt_number(v, lang), return_dtype=pl.String)
                                     .fill_null("–").alias(n_name)),
                       cv_cols.select(pl.col(name).map_elements(lambda v: fmt_number(v, lang, 1), return_dtype=pl.String)
                                      .fill_null("–").alias(cv_name))]
    n_names = [f"{name} · {n_label}" for name in col_names]
    cv_names = [f"{name} · {cv_label}" for name in col_names]
    return (pl.concat(num_parts, how="horizontal"), pl.concat(disp_parts, how="horizontal"), n_names, cv_names)


def _shades(frame, value_columns: list[str], totals):
    """Heat-map background of the detail cells: white to dark blue by their share of the largest detail cell
    (totals are left plain, or they would wash out every other colour)."""
    import pandas as pd

    css = pd.DataFrame("", index=frame.index, columns=frame.columns)
    values = frame[value_columns].apply(pd.to_numeric, errors="coerce").abs()
    detail = values.where(~totals[value_columns].fillna(False).astype(bool))
    top = detail.max().max()
    if not top or pd.isna(top):
        return css
    for c in value_columns:
        for i, v in detail[c].items():
            if pd.isna(v):
                continue
            share = min(float(v) / top, 1.0)
            r, g, b = palette.heat(share)
            css.loc[i, c] = f"background-color: rgb({r},{g},{b}); color: {'#ffffff' if share > 0.55 else '#000000'}"
    return css


def dimension_values(wh: Warehouse, dataset_id: str, column: str, countries: Sequence[str] = (),
                     years: tuple[int, int] | None = None) -> list[str]:
    """Codes present in the published data for one dimension (codelist order), for filter pickers."""
    ds = dataset(dataset_id)
    if column not in [d.name for d in ds.dimensions]:
        raise CrosstabError("crosstab.error.dimension", name=column, dataset=ds.id,
                            known=", ".join(d.name for d in ds.dimensions))
    q = CrosstabQuery(ds.id, (column,), countries=tuple(countries), years=years)
    where, params = _where(ds, q)
    found = wh.query(ds.id, f"SELECT DISTINCT {rules.cell_code_sql(_q(column))} AS v FROM data{where}",
                     params)["v"].to_list()
    order = code_order(ds, column)
    return sorted(found, key=lambda c: (c == MISSING, order.get(c, len(order)), c))
