"""An indicator's values per area and period, read from its declaration (`vipmg_core.indicators`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from vipmg_core import rules as data_rules
from vipmg_core.datasets import Dataset, dataset
from vipmg_core.indicators import Indicator, filtered_columns, selection_sql
from vipmg_core.profiles.sources import known_dataset, release_sources
from vipmg_core.warehouse import Warehouse
from vipmg_core.warehouse.sql import quote as _q


def _series_sql(ds: Dataset, ind: Indicator) -> tuple[str, dict[str, list[str]]]:
    """Per area and period: the summed measure and the releases the rows come from, over the rows the
    declaration selects (`indicators.selection_sql`)."""
    measure = ds.column(ind.measure).name
    clauses, params = selection_sql(ind, ds)
    # A `_T` row stands for its parts only where no row with the same other codes and period has detail in
    # that column: the partition publication uses (`rules.total_stands_in`).
    totals = data_rules.total_columns(ds, exclude=sorted(filtered_columns(ind, ds)))
    detail, keep = data_rules.total_stands_in(ds, totals)
    sql = (f"WITH base AS (SELECT *{''.join(', ' + d for d in detail)} FROM data WHERE {' AND '.join(clauses)})"
           f" SELECT {_q(ind.area_of(ds))} AS area, CAST({_q(ds.time_column)} AS VARCHAR) AS period,"
           f" SUM(CAST({_q(measure)} AS DOUBLE)) AS value,"
           f" COUNT(*) AS rows, COUNT(*) - COUNT({_q(measure)}) AS redacted,"
           f" LIST(DISTINCT release_id ORDER BY release_id) AS releases"
           f" FROM base{' WHERE ' + ' AND '.join(keep) if keep else ''}"
           f" GROUP BY ALL ORDER BY area, period")
    return sql, params


@dataclass(frozen=True)
class Series:
    """One indicator's values per area and period, over every period the dataset publishes for the area: a period
    published with no matching row is a true zero (the standard leaves zero cells out), while a period that is
    not published at all is absent, so an incomplete year is told by its months, not by its zeros."""

    spec: Indicator
    dataset_id: str
    frame: pl.DataFrame  # area, period, value (None where every value was hidden by its publisher), rows (published
    # values summed), redacted (of them, values the publisher hid: `rules.redaction_mark`), releases

    @property
    def dataset(self) -> Dataset:
        return dataset(self.dataset_id)

    def synthetic(self, wh: Warehouse) -> bool:
        """Whether any row of the series comes from a synthetic release."""
        ids = {rid for ids in self.frame["releases"] for rid in ids}
        return any(source.synthetic for source in release_sources(wh, self.dataset_id, ids))


def series(wh: Warehouse, spec: Indicator, areas: Sequence[str]) -> Series | None:
    """The figure's values for `areas` from the first of its datasets that has any; None when none has.

    An area is part of the series only if some row matches the figure's filter: a dataset whose rows for the
    area never say (say) the minor status does not report unaccompanied minors as zero."""
    for dataset_id in spec.datasets:
        ds = known_dataset(dataset_id)
        if ds is None or not spec.reads(ds):
            continue
        area_col = spec.area_of(ds)
        sql, params = _series_sql(ds, spec)
        found = wh.query(ds.id, sql, {**params, "areas": list(areas)}, with_release=True)
        reports = pl.col("value").is_not_null() | (pl.col("redacted") > 0)
        if not found.filter(reports).height:
            continue
        coverage = wh.query(
            ds.id, f"SELECT {_q(area_col)} AS area, CAST({_q(ds.time_column)} AS VARCHAR) AS period,"
                   f" LIST(DISTINCT release_id ORDER BY release_id) AS releases FROM data"
                   f" WHERE {_q(area_col)} IN (SELECT UNNEST($areas)) GROUP BY ALL ORDER BY area, period",
            {"areas": list(areas)}, with_release=True)
        reported = found.filter(reports)["area"].unique().to_list()
        frame = (coverage.filter(pl.col("area").is_in(reported))
                 .join(found.select("area", "period", "value", "rows", "redacted", pl.lit(True).alias("_row")),
                       on=["area", "period"], how="left")
                 .with_columns(pl.when(pl.col("_row").is_null()).then(0.0).otherwise(pl.col("value")).alias("value"),
                               pl.col("rows").fill_null(0), pl.col("redacted").fill_null(0))
                 .select("area", "period", "value", "rows", "redacted", "releases"))
        return Series(spec, ds.id, frame)
    return None
