"""Plausibility: a file compared with what is already published for its dataset and country.

Warnings only (a sharp change from the last published period, a category that disappears), and the views the
upload page draws from the same numbers: the file's totals by period next to the published ones, and its
largest categories. `_T` rows are left out everywhere (`rules.detail_rows`), so nothing is counted twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from vipmg_core import rules as data_rules
from vipmg_core.datasets import Dataset, dataset
from vipmg_core.validation import problems as pb

if TYPE_CHECKING:
    from vipmg_core.validation.report import Collector, Report
    from vipmg_core.warehouse import Warehouse

JUMP_RATIO = 5.0


def _published_totals(wh: Warehouse, ds: Dataset, country: str) -> pl.DataFrame:
    from vipmg_core.warehouse.sql import quote as _q

    value = f"SUM({_q(ds.measure.name)})" if ds.measure else f"SUM({_q(ds.weight)})" if ds.weight else "COUNT(*)"
    not_total = data_rules.detail_rows_sql(ds)
    return wh.query(ds.id, f"SELECT CAST({_q(ds.time_column)} AS VARCHAR) AS period, CAST({value} AS DOUBLE) AS value"
                           f" FROM data WHERE {_q(ds.area_column)} = $country AND {not_total}"
                           f" GROUP BY 1 ORDER BY 1", {"country": country})


def _upload_value(ds: Dataset) -> pl.Expr:
    if ds.measure:
        return pl.col(ds.measure.name).cast(pl.Float64).sum()
    if ds.weight:
        return pl.col(ds.weight).cast(pl.Float64).sum()
    return pl.len().cast(pl.Float64)


def upload_totals(ds: Dataset, data: pl.DataFrame) -> pl.DataFrame:
    """period -> value of the uploaded rows (no `_T` rows, so nothing is counted twice)."""
    return (data.filter(data_rules.detail_rows(ds) & pl.col(ds.time_column).is_not_null())
            .group_by(pl.col(ds.time_column).alias("period")).agg(_upload_value(ds).alias("value")).sort("period"))


def check_published(wh: Warehouse, ds: Dataset, country: str, data: pl.DataFrame, out: Collector) -> None:
    """A period whose total is JUMP_RATIO times (or a JUMP_RATIO-th of) the last one published before it,
    and the categories the last published period had that the file no longer has."""
    published = _published_totals(wh, ds, country)
    if published.height == 0 or data.height == 0:
        return
    uploaded = upload_totals(ds, data)
    known = published.rows()
    for period, value in uploaded.rows():
        before = [(p, v) for p, v in known if p < period]
        if not before or not value or not before[-1][1]:
            continue
        prev_period, prev_value = before[-1]
        ratio = value / prev_value
        if ratio >= JUMP_RATIO or ratio <= 1 / JUMP_RATIO:
            out.add(pb.Jump, column=ds.time_column, value=period, uploaded=int(value), previous=int(prev_value),
                    previous_period=prev_period)
    _check_categories(wh, ds, country, data, out, known[-1][0])


def _check_categories(wh: Warehouse, ds: Dataset, country: str, data: pl.DataFrame, out: Collector, last: str) -> None:
    """A category with data in the last published period that the file no longer has."""
    from vipmg_core.warehouse.sql import quote as _q

    value = _q(ds.measure.name) if ds.measure else _q(ds.weight) if ds.weight else "1"
    for col in ds.dimensions:
        if col.type != "code" or col.name == ds.area_column or col.codelist_id is None:
            continue
        before = wh.query(ds.id, f"SELECT DISTINCT CAST({_q(col.name)} AS VARCHAR) AS code FROM data"
                                 f" WHERE {_q(ds.area_column)} = $country AND CAST({_q(ds.time_column)} AS VARCHAR)"
                                 f" = $last AND {value} > 0", {"country": country, "last": last})["code"].to_list()
        now = set(data[col.name].drop_nulls().unique().to_list())
        if not now:
            continue
        gone = sorted(set(before) - now - {data_rules.TOTAL})
        if gone:
            # One warning per column, listing the categories, so a short file does not drown the report.
            out.add(pb.CategoryMissing, column=col.name, value=", ".join(gone[:10]) + (" …" if len(gone) > 10 else ""),
                    codelist=col.codelist_id, codes=tuple(gone[:10]), count=len(gone), period=last)


# --- views for the page -------------------------------------------------------------------------------------

def period_comparison(report: Report, wh: Warehouse | None) -> pl.DataFrame:
    """period, series (uploaded | published), value: the file's totals next to what is already published."""
    ds = dataset(report.dataset_id)
    uploaded = upload_totals(ds, report.data).with_columns(pl.lit("uploaded").alias("series"))
    frames = [uploaded.select("period", "series", "value")]
    if wh is not None and uploaded.height:
        # What is published from two years before the file's first period on: enough to see the trend.
        published = _published_totals(wh, ds, report.country).with_columns(pl.lit("published").alias("series"))
        earlier = published.filter(pl.col("period") < uploaded["period"].min())["period"].to_list()
        start = earlier[-24] if len(earlier) >= 24 else (earlier[0] if earlier else uploaded["period"].min())
        frames.append(published.filter(pl.col("period") >= start).select("period", "series", "value"))
    return pl.concat(frames).sort("period", "series")


def top_categories(report: Report, column: str, limit: int = 10) -> pl.DataFrame:
    """code, value: the largest categories of one dimension in the file."""
    ds = dataset(report.dataset_id)
    return (report.data.filter(data_rules.detail_rows(ds) & pl.col(column).is_not_null())
            .group_by(pl.col(column).alias("code")).agg(_upload_value(ds).alias("value"))
            .sort("value", "code", descending=[True, False]).head(limit))
