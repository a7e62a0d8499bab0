"""What a cross-tab asks DuckDB: the WHERE of a query, the direct GROUP BY over the published rows (when no
cube is kept), the periods read, and the codes present for a filter picker.

Identifiers in SQL come only from the dataset declaration; every value is a query parameter.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from vipmg_core import rules
from vipmg_core.crosstab.labels import code_order
from vipmg_core.crosstab.query import (
    MISSING,
    CrosstabError,
    CrosstabQuery,
    measure_column,
    reads_latest,
    survey_columns,
    weight_column,
)
from vipmg_core.datasets import Dataset, dataset
from vipmg_core.warehouse import Warehouse
from vipmg_core.warehouse.sql import quote as _q


def where_clause(ds: Dataset, q: CrosstabQuery, *, design_only: bool = False) -> tuple[str, dict[str, object]]:
    """WHERE clause and parameters. `design_only`: only the country and period choices (whole strata)."""
    clauses: list[str] = []
    params: dict[str, object] = {}

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


def stratum_columns(ds: Dataset, design: str) -> list[str]:
    # Each country's survey round (or census round) is its own sample: strata are taken within country and
    # period. The key is grouped on as separate columns in DuckDB and joined into one text in Polars, on the
    # small aggregated result (building text for every row would cost more than the whole aggregation).
    return [ds.area_column, ds.time_column] + ([survey_columns(ds)[0]] if design == "survey" else [])


def stratum_select(ds: Dataset, design: str) -> list[str]:
    return [f"CAST({_q(c)} AS VARCHAR) AS _s{i}" for i, c in enumerate(stratum_columns(ds, design))]


def stratum_key(frame: pl.DataFrame) -> pl.DataFrame:
    """The stratum columns `_s0`, `_s1`... joined into one text key `_s`."""
    parts = sorted(c for c in frame.columns if c.startswith("_s") and c[2:].isdigit())
    return frame.with_columns(pl.concat_str([pl.col(c).fill_null("") for c in parts], separator="|")
                              .alias("_s")).drop(parts)

def aggregate(wh: Warehouse, ds: Dataset, q: CrosstabQuery, design: str | None) -> pl.DataFrame:
    """One GROUP BY over the filtered rows, to the cells' detail (and stratum / PSU for the variance)."""
    select = [f"{rules.cell_code_sql(_q(d))} AS {_q(d)}" for d in q.dims]
    if design:
        select += stratum_select(ds, design)
    if design == "survey":
        select.append(f"CAST({_q(survey_columns(ds)[1])} AS VARCHAR) AS _p")
    group = len(select)
    if ds.is_microdata:
        w = f"CAST({_q(weight_column(ds))} AS DOUBLE)"
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
        stats = ["COUNT(*) AS n", f"SUM(CAST({_q(measure_column(ds))} AS DOUBLE)) AS y"]
    where, params = where_clause(ds, q)
    group_by = f" GROUP BY {', '.join(str(i) for i in range(1, group + 1))}" if group else ""
    source = "data"
    if reads_latest(ds, q):  # a stock over several periods: each area's latest period only
        source, where = f"({rules.latest_sql(ds, f'SELECT * FROM data{where}')})", ""
    sql = f"SELECT {', '.join(select + stats)} FROM {source}{where}{group_by}"
    fine = wh.query(ds.id, sql, params)
    if design:
        fine = stratum_key(fine)
    if q.mean_of:  # cells with no value of the variable are not cells of a mean
        fine = fine.filter(pl.col("n") > 0)
    fill = [c for c in ("y", "x", "yy", "xx", "yx") if c in fine.columns]
    return fine.with_columns(pl.col(fill).fill_null(0.0), pl.col("n").cast(pl.Int64))


def periods_read(wh: Warehouse, ds: Dataset, q: CrosstabQuery) -> tuple[str, str] | None:
    """The first and last period among the rows a query reads."""
    where, params = where_clause(ds, q)
    time = f"CAST({_q(ds.time_column)} AS VARCHAR)"
    (first, last), = wh.query(ds.id, f"SELECT MIN({time}), MAX({time}) FROM data{where}", params).rows()
    return (first, last) if first is not None else None


def latest_periods(wh: Warehouse, ds: Dataset, q: CrosstabQuery) -> dict[str, str]:
    """A stock over several periods: each reporting area's latest period among the selected rows."""
    where, params = where_clause(ds, q)
    area, time = _q(ds.area_column), f"CAST({_q(ds.time_column)} AS VARCHAR)"
    frame = wh.query(ds.id, f"SELECT {area} AS a, MAX({time}) AS p FROM data{where} GROUP BY ALL", params)
    return {a: p for a, p in frame.iter_rows() if a is not None and p is not None}


def dimension_values(wh: Warehouse, dataset_id: str, column: str, countries: Sequence[str] = (),
                     years: tuple[int, int] | None = None) -> list[str]:
    """Codes present in the published data for one dimension (codelist order), for filter pickers."""
    ds = dataset(dataset_id)
    if column not in [d.name for d in ds.dimensions]:
        raise CrosstabError("crosstab.error.dimension", name=column, dataset=ds.id,
                            known=", ".join(d.name for d in ds.dimensions))
    q = CrosstabQuery(ds.id, (column,), countries=tuple(countries), years=years)
    where, params = where_clause(ds, q)
    found = wh.query(ds.id, f"SELECT DISTINCT {rules.cell_code_sql(_q(column))} AS v FROM data{where}",
                     params)["v"].to_list()
    order = code_order(ds, column)
    return sorted(found, key=lambda c: (c == MISSING, order.get(c, len(order)), c))
