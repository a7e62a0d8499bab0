"""The wide table a cross-tab is shown as: how it is viewed (`View`), the pivoted frames of numbers, text,
flags and marks (`Table`), the heat-map shading, and the frame CSV and Excel files are written from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from vipmg_core import palette, quality, rules
from vipmg_core.crosstab.labels import code_label_expr, label_expr
from vipmg_core.crosstab.query import LEVEL_COL, LEVEL_ROW, table_decimals
from vipmg_core.i18n import fmt_number, t
from vipmg_core.quality import CAUTION, SUPPRESSED

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler

    from vipmg_core.crosstab.result import Crosstab


@dataclass(frozen=True)
class View:
    """How the table is shown; it never changes the numbers, only which rows and in which order."""

    top_n: int | None = None
    sort: str = "label"  # "label" (codelist order) or "value" (largest total first)
    codes: bool = False  # "Name (CODE)" instead of the name
    quality: bool = False  # n and CV (%) beside each value


@dataclass(frozen=True)
class Table:
    """The wide table: one frame per aspect (numbers, text, flags, totals, marks), each with the row labels."""

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

    def styler(self, shading: bool = False) -> Styler:
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


def build(result: Crosstab, lang: str, view: View) -> Table:
    """The wide table of a cross-tab as the page shows it, with labels in `lang`."""
    q, ds = result.query, result.dataset
    cells = result.shown_cells(view)
    r = result.rules
    decimals = table_decimals(q)
    row_headers = [ds.column(d).label(lang) for d in q.rows]
    cells = cells.with_columns(
        label_expr(ds, q.cols, lang, view.codes, result.measure_label(lang)).alias("_col"),
        *[code_label_expr(ds, d, lang, view.codes).alias(f"_lab_{d}") for d in q.rows],
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
    if view.quality and result.has_quality and q.measure != "count":
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


def export_frame(table: Table) -> pd.DataFrame:
    """The table as on screen, for CSV and Excel: numbers stay numbers (rounded as shown), a hidden
    value is its symbol, a value to use with caution carries its mark."""
    r = table.rules
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
                number = round(value, table.decimals) if table.decimals else round(value)
                if mark == "lower_bound":
                    number = f"{rules.LOWER_BOUND_MARK} {number}"
                column.append(f"{number} {r.symbol_caution}" if flag == CAUTION else number)
            out[name] = column
    import pandas as pd

    return pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in out.items()})


def _display_expr(lang: str, decimals: int, rule: quality.Rules) -> pl.Expr:
    """A cell's value as shown: formatted in `lang`, or the symbol of a hidden or empty cell."""
    def fmt(value: float | None) -> str:
        return fmt_number(value, lang, decimals)

    text = pl.col("value").map_elements(fmt, return_dtype=pl.String)
    return (pl.when(pl.col("flag") == SUPPRESSED).then(pl.lit(rule.symbol_suppressed))
            .when(pl.col("value").is_null()).then(pl.lit(rule.symbol_empty))
            .when(pl.col("flag") == CAUTION).then(text + f" {rule.symbol_caution}")
            .otherwise(text))


def _pivot(cells: pl.DataFrame, keys: list[str], value: str, columns: list[str]) -> pl.DataFrame:
    """One aspect of the shown cells (`value`) spread into the table's columns, every column present."""
    wide = cells.pivot(on="_col", index=keys, values=value, aggregate_function=None,
                       sort_columns=False)
    for name in columns:
        if name not in wide.columns:
            wide = wide.with_columns(pl.lit(None).alias(name))
    return wide.select(*keys, *columns)


def _interleave(numeric: pl.DataFrame, display: pl.DataFrame, n_cols: pl.DataFrame, cv_cols: pl.DataFrame,
                col_names: list[str], keys: list[str], lang: str
                ) -> tuple[pl.DataFrame, pl.DataFrame, list[str], list[str]]:
    """Each value column followed by its n and CV columns."""
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


def _shades(frame: pd.DataFrame, value_columns: list[str], totals: pd.DataFrame) -> pd.DataFrame:
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
