"""Sampling variance of survey estimates and their CV, on Polars expressions and on NumPy arrays.

The standard with-replacement "ultimate cluster" estimator (Taylor linearisation): for a linear statistic with PSU
totals z_hi in stratum h,
    v = sum_h n_h / (n_h - 1) * sum_i (z_hi - mean_h z)^2,
and for a ratio R = Y / X the same on the linearised values z_hi = (y_hi - R x_hi) / X. It is written here with
per-stratum moments (sum z, sum z^2), so a cell needs only its PSU totals, never the rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl


def stratum_variance(moments: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Sum over strata of the ultimate-cluster variance contribution, per `keys`.

    `moments` holds one row per (keys, stratum) with `n_h` (PSUs in the stratum: those of the whole sample
    as filtered by country and period, not only those touching the cell, since this is domain estimation
    and a PSU with no member in the cell has a zero total), `sy`, `syy` (sum and sum of squares of the
    PSU totals of the numerator) and, for a ratio, `r` (the estimate), `sx`, `sxx`, `syx` (the same for
    the denominator and the cross product). Returns `keys` + `v` (variance of the total, or of the ratio's
    numerator y - R x, still to be divided by X^2).
    Strata with a single PSU give no variance information; they contribute zero (none in the demo data).
    """
    cols = moments.columns
    r = pl.col("r") if "r" in cols else pl.lit(0.0)
    sx = pl.col("sx") if "sx" in cols else pl.lit(0.0)
    sxx = pl.col("sxx") if "sxx" in cols else pl.lit(0.0)
    syx = pl.col("syx") if "syx" in cols else pl.lit(0.0)
    n_h = pl.col("n_h").cast(pl.Float64)
    squares = pl.col("syy") - 2 * r * syx + r * r * sxx  # sum_i d_i^2 with d_i = y_i - R x_i
    total = pl.col("sy") - r * sx  # sum_i d_i
    contribution = pl.when(n_h > 1).then(n_h / (n_h - 1) * (squares - total * total / n_h)).otherwise(0.0)
    return (moments.with_columns(contribution.clip(lower_bound=0.0).alias("_v"))
            .group_by(list(keys), maintain_order=True).agg(pl.col("_v").sum().alias("v")))


def cv_percent(estimate: pl.Expr, variance: pl.Expr) -> pl.Expr:
    """100 * SE / |estimate|; null where the estimate is zero or missing."""
    return (pl.when(estimate.abs() > 0).then(100 * variance.clip(lower_bound=0).sqrt() / estimate.abs())
            .otherwise(None))


# The same on NumPy arrays, for the cross-tab's dense path (one array per cell, strata along axis 1).

def ultimate_cluster(sy: np.ndarray, syy: np.ndarray, n_h: np.ndarray) -> np.ndarray:
    """`stratum_variance` on arrays: per cell, the sum over strata of n_h / (n_h - 1) * (syy - sy^2 / n_h),
    each stratum's part clipped at 0; strata with one PSU contribute nothing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n_h > 1, n_h / np.maximum(n_h - 1, 1), 0.0)
        return (factor * np.clip(syy - sy * sy / n_h, 0, None)).sum(axis=1)


def cv_values(estimate: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """`cv_percent` on arrays: NaN where the estimate is zero or missing."""
    with np.errstate(invalid="ignore", divide="ignore"):
        size = np.abs(estimate)
        return np.where(size > 0, 100 * np.sqrt(np.clip(variance, 0, None)) / size, np.nan)

