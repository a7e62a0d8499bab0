"""Which cells a cross-tab hides and how hidden cells are marked.

The statistical rule itself lives in `quality` (`protect`, the protection intervals) and `disclosure` (the public
n); this module only states a cross-tab's lines (each total and the cells that add up to it) for the Polars
path, picks the protection for the method, marks what the publisher redacted, and gives every hidden cell the
same public mark so a primary cell cannot be told from a complement.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from vipmg_core import disclosure, quality, rules
from vipmg_core.crosstab.query import LEVEL_COL, LEVEL_ROW, TOTAL, CrosstabQuery, measure_column, reads_latest
from vipmg_core.crosstab.sql import where_clause
from vipmg_core.datasets import Dataset
from vipmg_core.quality import CONF_FREE, CONF_PRIMARY, CONF_SECONDARY, SUPPRESSED, Constraint
from vipmg_core.warehouse import Warehouse
from vipmg_core.warehouse.sql import quote as _q


def constraints(cells: pl.DataFrame, q: CrosstabQuery, coef: str | None) -> list[Constraint]:
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


def suppress(cells: pl.DataFrame, q: CrosstabQuery, method: str, rule: quality.Rules
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
                             constraints(cells, q, coef), protection=protection(method, truth, rule))
    return hidden, primary


def protection(method: str, truth: np.ndarray, rule: quality.Rules) -> quality.Protection:
    """Counts are protected by the small-count threshold, estimates and means by a share of their value."""
    if method in ("admin", "unweighted"):  # events, or sample records (persons, for a census)
        return quality.count_protection(truth, rule)
    return quality.estimate_protection(truth, rule)


def mark_redacted(wh: Warehouse, ds: Dataset, q: CrosstabQuery, cells: pl.DataFrame) -> pl.DataFrame:
    """`mark` per cell: "redacted" where every value in it was hidden by its publisher (shown with the
    redaction symbol, never as 0), "lower_bound" where some were (the figure is at least the one shown)."""
    if not rules.can_be_redacted(ds) or cells.is_empty():
        return cells.with_columns(pl.lit(None, pl.String).alias("mark"))
    select = [f"{rules.cell_code_sql(_q(d))} AS {_q(d)}" for d in q.dims]
    stats = ["COUNT(*) AS _rows", f"COUNT(*) - COUNT({_q(measure_column(ds))}) AS _hidden"]
    where, params = where_clause(ds, q)
    source = f"SELECT * FROM data{where}"
    if reads_latest(ds, q):
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


def public_marks(cells: pl.DataFrame) -> tuple[pl.DataFrame, int]:
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
