"""The result of a cross-tab: its cells (every level, suppressed values removed) with the words around them
(unit, method, flags legend, notes) and the shapes they are shown in (the cells shown after sorting and
top-N, the wide table, the long SDMX-like form, exports and the chart).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from vipmg_core import quality, rules
from vipmg_core.crosstab import chart as charts
from vipmg_core.crosstab import table as tables
from vipmg_core.crosstab.labels import code_label, order_frame
from vipmg_core.crosstab.query import LEVEL_COL, LEVEL_ROW, TOTAL, CrosstabQuery, measure_label
from vipmg_core.crosstab.table import Table, View
from vipmg_core.datasets import Dataset, dataset
from vipmg_core.i18n import fmt_number, t

if TYPE_CHECKING:
    import pandas as pd

    from vipmg_core.exports import ExportMeta


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
        col_order = order_frame(self.dataset, q.cols, self.cells.filter(pl.col(LEVEL_ROW) == 0)
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
        order = order_frame(ds, q.rows, keys.select(q.rows))
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
        return tables.build(self, lang, view or View())

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

    def export_meta(self, lang: str, view: View | None = None) -> ExportMeta:
        """Title, filters, method, notes and legend of the table, for the files it is saved to."""
        from vipmg_core.exports import ExportMeta

        notes = [self.unit_label(lang), *self.notes(lang)[1:]]
        if view and view.top_n and self.row_groups() > view.top_n:
            notes.append(t("crosstab.note.top_n", lang, shown=view.top_n, total=self.row_groups()))
        title = f"{self.measure_label(lang)} — {self.dataset.title(lang)}"
        return ExportMeta(self.dataset.id, lang, title=title, filters=self.filters_for_people(lang),
                          method=self.method_note(lang), notes=tuple(notes),
                          flags_legend=self.flags_legend(lang), synthetic=self.synthetic,
                          provenance=self.provenance)

    def export_frame(self, lang: str, view: View | None = None) -> pd.DataFrame:
        """The table as on screen, for CSV and Excel: numbers stay numbers (rounded as shown), a hidden
        value is its symbol, a value to use with caution carries its mark."""
        return tables.export_frame(self.table(lang, view))

    def chart(self, lang: str, kind: str = "bar", view: View | None = None) -> Any:
        """A plotly figure of the same cells (detail level, no totals): bars, stacked bars or lines."""
        return charts.figure(self, lang, kind, view or View())


def _levels(count: int, totals: bool, subtotals: bool) -> list[int]:
    """The levels of an axis of `count` dimensions the table shows (detail, subtotals, total as switched)."""
    if count == 0:
        return [0]
    levels = [count]
    if subtotals:
        levels += list(range(1, count))
    if totals:
        levels.append(0)
    return levels
