"""The Polars path: the cells of a cross-tab from grouped sums, for tables too large for a dense grid and for
datasets without a cube.

The "fine" sums (to the cells' detail, and to stratum and PSU for the variance) come from the cube's selected
rows re-grouped by Polars, or from one GROUP BY in DuckDB (`sql.aggregate`); Polars then builds every total
and subtotal from those sums (never from rounded or percentage cells), the variances (`quality`), the flags,
the complementary suppression (`suppression`) and the shares. The NumPy path (`dense`) gives the same cells,
in the same order; tests compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from vipmg_core import quality
from vipmg_core.crosstab import sql
from vipmg_core.crosstab.cube import PSU, STRATUM, Cube, query_frame
from vipmg_core.crosstab.query import (
    CELL_COLUMNS,
    LEVEL_COL,
    LEVEL_ROW,
    TOTAL,
    CrosstabQuery,
    empty_cells,
    survey_columns,
)
from vipmg_core.crosstab.suppression import suppress
from vipmg_core.datasets import Dataset
from vipmg_core.quality import CONF_FREE, CONF_PRIMARY, CONF_SECONDARY, RELIABLE, SUPPRESSED
from vipmg_core.warehouse import Warehouse
from vipmg_core.warehouse.sql import quote as _q


def cells(cube: Cube | None, wh: Warehouse, ds: Dataset, q: CrosstabQuery, method: str, design: str | None
          ) -> pl.DataFrame:
    """Every cell of every level of the table, suppressed values removed (as `dense.cells`)."""
    fine = _aggregate_cube(cube, ds, q, design) if cube is not None else sql.aggregate(wh, ds, q, design)
    if fine.is_empty():
        return empty_cells(q)
    n_h = _stratum_sizes(cube, wh, ds, q, design, fine) if design else None
    sets = [(rk, ck) for rk in range(len(q.rows), -1, -1) for ck in range(len(q.cols), -1, -1)]
    levels = {s: _level(fine, q, design, *s) for s in sets}
    return _finish(ds, q, method, levels, design, n_h)


def _design_keys(ds: Dataset, design: str | None) -> list[pl.Expr]:
    """The cube's stratum columns (country, period, and a survey's stratum and PSU) as the Polars path names them."""
    if design is None:
        return []
    keys = [pl.col(ds.area_column).alias("_s0"), pl.col(ds.time_column).alias("_s1")]
    if design == "survey":
        keys += [pl.col(STRATUM).alias("_s2"), pl.col(PSU)]
    return keys


def _aggregate_cube(cube: Cube, ds: Dataset, q: CrosstabQuery, design: str | None) -> pl.DataFrame:
    """The fine sums from the cube's selected rows, as `sql.aggregate` gives them from the data."""
    part = query_frame(cube, ds, q)
    tag = f"__{q.mean_of}" if q.mean_of else ""
    names = ["n", "y"] + (["x"] if q.mean_of else []) + (["yy"] if design == "census" else []) + (
        ["xx", "yx"] if design == "census" and q.mean_of else [])
    sums = [pl.col(f"{name}{tag}").sum().alias(name) for name in names]
    keys = [pl.col(d) for d in q.dims] + _design_keys(ds, design)
    fine = part.group_by(keys).agg(sums) if keys else part.select(sums)
    fine = fine.with_columns(pl.col(pl.Categorical).cast(pl.String))
    if design:
        fine = sql.stratum_key(fine)
    if q.mean_of:  # cells with no value of the variable are not cells of a mean
        fine = fine.filter(pl.col("n") > 0)
    return fine.with_columns(pl.col("n").cast(pl.Int64))


def _stratum_sizes(cube: Cube | None, wh: Warehouse, ds: Dataset, q: CrosstabQuery, design: str,
                   fine: pl.DataFrame) -> pl.DataFrame:
    """PSUs per stratum in the whole sample as chosen by country and period (domains keep every PSU)."""
    domain_filters = [name for name, _ in q.filters if name not in (ds.area_column, ds.time_column)]
    if not domain_filters and not q.mean_of:
        if design == "survey":
            return fine.group_by("_s").agg(pl.col("_p").n_unique().alias("n_h"))
        return fine.group_by("_s").agg(pl.col("n").sum().alias("n_h"))
    if cube is not None:
        part = query_frame(cube, ds, q, design_only=True)
        counted = pl.col("_p").n_unique() if design == "survey" else pl.col("n").sum()
        sizes = part.group_by(_design_keys(ds, design)[:3 if design == "survey" else 2]).agg(counted.alias("n_h"))
        return sql.stratum_key(sizes.with_columns(pl.col(pl.Categorical).cast(pl.String)))
    count = f"COUNT(DISTINCT {_q(survey_columns(ds)[1])})" if design == "survey" else "COUNT(*)"
    where, params = sql.where_clause(ds, q, design_only=True)
    keys = sql.stratum_select(ds, design)
    sizes = wh.query(ds.id, f"SELECT {', '.join(keys)}, {count} AS n_h FROM data{where} GROUP BY ALL", params)
    return sql.stratum_key(sizes)


@dataclass
class _Level:
    keys: list[str]  # dimensions kept
    est: pl.DataFrame  # keys + n, y (+ x)
    moments: pl.DataFrame | None  # keys + _s + sy, syy (+ sx, sxx, syx) for the variance
    psu: pl.DataFrame | None  # survey: keys + _s + _p + y (+ x)

    def needed(self, part: pl.DataFrame | None) -> pl.DataFrame:
        """`moments` or `psu`, which a variance cannot do without."""
        if part is None:
            raise ValueError("a variance needs the sampling design's sums of the level")
        return part


def _level(fine: pl.DataFrame, q: CrosstabQuery, design: str | None, rk: int, ck: int) -> _Level:
    """The sums of one level (the first `rk` row and `ck` column dimensions kept), with what its variance needs."""
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
    moments = level.needed(level.moments).join(n_h, on="_s", how="left")
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
    den_m = den.needed(den.moments).select(*den_keys, "_s", pl.col("sy").alias("sx"), pl.col("syy").alias("sxx"))
    cell_m = cell.needed(cell.moments).select(*cell.keys, "_s", "sy", "syy")
    if design == "survey":
        cross = (cell.needed(cell.psu).join(den.needed(den.psu).select(*den_keys, "_s", "_p", pl.col("y").alias("_x")),
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
    """The level of a share's denominator: the other side's dimensions totalled."""
    if q.percent is None:
        raise ValueError("only a share has a denominator")
    return {"row": (rk, 0), "col": (0, ck), "total": (0, 0)}[q.percent]


def _finish(ds: Dataset, q: CrosstabQuery, method: str, levels: dict[tuple[int, int], _Level], design: str | None,
            n_h: pl.DataFrame | None) -> pl.DataFrame:
    """The cells of every level: values, CVs, flags, suppression (primary and complementary) and shares."""
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
        if design and n_h is not None and q.measure != "count":
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
    hidden, primary = suppress(cells, q, method, rule)
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


def _shares(cells: pl.DataFrame, ds: Dataset, q: CrosstabQuery, levels: dict[tuple[int, int], _Level],
            design: str | None, n_h: pl.DataFrame | None, rule: quality.Rules) -> pl.DataFrame:
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
        if design and n_h is not None and q.measure != "count":
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

