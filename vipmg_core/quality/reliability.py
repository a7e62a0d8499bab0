"""Reliability flags of a published cell: reliable / use with caution / suppressed from its CV and unweighted n, and
the small-count rules for event counts and sample records; on Polars expressions and, for the cross-tab's dense
path, on NumPy arrays (as positions in FLAGS)."""

from __future__ import annotations

import numpy as np
import polars as pl

from vipmg_core.quality.thresholds import CAUTION, FLAGS, RELIABLE, SUPPRESSED, Rules, rules


def estimate_flag(cv: pl.Expr, n: pl.Expr, rule: Rules | None = None) -> pl.Expr:
    """reliable (CV <= 15 %), caution (15-30 %), suppressed (CV > 30 % or unweighted n < 30)."""
    rule = rule or rules()
    return (pl.when((n < rule.min_unweighted_n) | cv.is_null() | (cv > rule.cv_caution_max)).then(pl.lit(SUPPRESSED))
            .when(cv > rule.cv_reliable_max).then(pl.lit(CAUTION))
            .otherwise(pl.lit(RELIABLE)))


def small_count_flag(value: pl.Expr, rule: Rules | None = None) -> pl.Expr:
    """Admin counts: more than zero but fewer than `min_count` events is suppressed (0 turns the rule off)."""
    rule = rule or rules()
    if rule.admin_min_count <= 0:
        return pl.lit(RELIABLE)
    return pl.when((value > 0) & (value < rule.admin_min_count)).then(pl.lit(SUPPRESSED)).otherwise(pl.lit(RELIABLE))


def sample_count_flag(n: pl.Expr, rule: Rules | None = None) -> pl.Expr:
    """Counts of sample records (a microdata table's unweighted n, whether shown as the value or beside it): more
    than zero but fewer than `min_unweighted_n` records is suppressed. For a census the records are the persons
    counted, so a small n is the small count itself (`disclosure.public_n`)."""
    rule = rule or rules()
    return (pl.when((n > 0) & (n < rule.min_unweighted_n)).then(pl.lit(SUPPRESSED))
            .otherwise(pl.lit(RELIABLE)))


def estimate_flag_codes(cv: np.ndarray, n: np.ndarray, rule: Rules) -> np.ndarray:
    """`estimate_flag` on arrays, as positions in FLAGS."""
    with np.errstate(invalid="ignore"):
        out = np.where(cv > rule.cv_reliable_max, FLAGS.index(CAUTION), FLAGS.index(RELIABLE))
        return np.where((n < rule.min_unweighted_n) | np.isnan(cv) | (cv > rule.cv_caution_max),
                        FLAGS.index(SUPPRESSED), out)


def small_count_flag_codes(value: np.ndarray, rule: Rules) -> np.ndarray:
    """`small_count_flag` on arrays, as positions in FLAGS."""
    if rule.admin_min_count <= 0:
        return np.full(len(value), FLAGS.index(RELIABLE))
    return np.where((value > 0) & (value < rule.admin_min_count), FLAGS.index(SUPPRESSED), FLAGS.index(RELIABLE))


def sample_count_flag_codes(n: np.ndarray, rule: Rules) -> np.ndarray:
    """`sample_count_flag` on arrays, as positions in FLAGS."""
    return np.where((n > 0) & (n < rule.min_unweighted_n), FLAGS.index(SUPPRESSED), FLAGS.index(RELIABLE))

