"""A figure's yearly points for the trend charts, through the same gates as the figure itself."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from vipmg_core import disclosure
from vipmg_core import rules as data_rules
from vipmg_core.i18n import t
from vipmg_core.profiles.gate import hidden_by_crosstab
from vipmg_core.profiles.periods import Period
from vipmg_core.profiles.series import Series
from vipmg_core.quality import rules
from vipmg_core.warehouse import Warehouse

TREND_YEARS = 10  # how far back the trends go when the period does not say


HIDDEN_SMALL = "small_count"  # a trend point hidden by the disclosure gate (`disclosure.shown`)


def yearly(s: Series, period: Period, areas: Sequence[str] | None = None, wh: Warehouse | None = None
           ) -> pl.DataFrame:
    """Year, value, whether the year is incomplete (fewer than 12 months published), its mark (`rules.
    redaction_mark`: every part or some parts hidden by their publisher) and why a point is a gap (`hidden`:
    HIDDEN_SMALL where the one disclosure gate hides it, the same gate as the headline figure's), within the
    period. A stock is read at each area's latest date of the year (stocks never add up over periods). With
    `wh`, a point the cross-tab of the same cells would hide is hidden too (`hidden_by_crosstab`)."""
    ds = s.dataset
    adds = data_rules.adds_over_time(ds)  # events add up over a year; a stock is read at its latest date
    frame = s.frame if areas is None else s.frame.filter(pl.col("area").is_in(list(areas)))
    bound_year, bound_month = period.bound()
    first = period.first_year if period.first_year is not None else None
    rows = frame.filter(pl.col("value").is_not_null() | (pl.col("redacted") > 0)).with_columns(
        pl.col("period").str.slice(0, 4).cast(pl.Int32).alias("year"),
        (pl.col("period").str.slice(5, 2).cast(pl.Int32, strict=False) if ds.time_format == "month"
         else pl.lit(12)).alias("month"))
    if ds.time_format != "month":
        bound_month = 12
    rows = rows.filter((pl.col("year") < bound_year) | ((pl.col("year") == bound_year)
                                                        & (pl.col("month") <= bound_month)))
    if first is not None:
        rows = rows.filter(pl.col("year") >= first)
    sums = [pl.col("value").sum(), pl.col("rows").sum(), pl.col("redacted").sum()]
    if not adds:
        rows = rows.filter(pl.col("period") == pl.col("period").max().over("area", "year"))
    # Each area's own point of the year: a sum over areas is hidden where one of them is (disclosure.sum_shown).
    own = rows.group_by("year", "area").agg(pl.col("value").sum())
    parts_hidden = {year for (year,), group in own.group_by("year")
                    if not disclosure.sum_shown(ds, group["value"].to_list())} if own["area"].n_unique() > 1 else set()
    if wh is not None:
        for (year,), group in rows.group_by("year"):
            if set(group["area"].to_list()) & hidden_by_crosstab(wh, s, group["period"].to_list()):
                parts_hidden.add(year)
    if adds:
        out = rows.group_by("year").agg(*sums, pl.col("month").n_unique().alias("months"))
        out = out.with_columns((pl.col("months") < 12 if ds.time_format == "month" else pl.lit(False))
                               .alias("partial"))
    else:
        out = rows.group_by("year").agg(*sums, pl.lit(12).alias("months"), pl.lit(False).alias("partial"))
    out = out.sort("year").with_columns(data_rules.redaction_mark(pl.col("rows"), pl.col("redacted")).alias("mark"))
    out = out.with_columns(pl.when(pl.col("mark") == data_rules.REDACTED).then(None).otherwise(pl.col("value"))
                           .alias("value"))
    gated = [disclosure.shown(ds, v) if v is not None and year not in parts_hidden else None
             for year, v in zip(out["year"].to_list(), out["value"].to_list())]
    hidden = [HIDDEN_SMALL if v is not None and g is None else None for v, g in zip(out["value"].to_list(), gated)]
    out = out.with_columns(pl.Series("value", gated, dtype=pl.Float64), pl.Series("hidden", hidden, dtype=pl.String))
    out = out.with_columns(pl.when(pl.col("hidden").is_not_null()).then(None).otherwise(pl.col("mark")).alias("mark"))
    if first is None and adds:
        out = out.filter(pl.col("year") > pl.col("year").max() - TREND_YEARS)
    return out.select("year", "value", "partial", pl.col("months").cast(pl.Int32), "mark", "hidden")


def trend_notes(trends: pl.DataFrame, lang: str) -> list[str]:
    """What a trend chart or table must say about its points: gaps hidden by the small-count rule, values
    hidden by their publisher, lower bounds."""
    notes = []
    if trends.height and trends["hidden"].eq(HIDDEN_SMALL).any():
        notes.append(t("profiles.trend_hidden", lang, minimum=rules().admin_min_count))
    marks = set(trends["mark"].drop_nulls().to_list()) if trends.height else set()
    if data_rules.REDACTED in marks:
        notes.append(t("profiles.trend_redacted", lang, symbol=data_rules.REDACTED_SYMBOL))
    if data_rules.LOWER_BOUND in marks:
        notes.append(t("profiles.trend_lower_bound", lang, mark=data_rules.LOWER_BOUND_MARK))
    return notes
