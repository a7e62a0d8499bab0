"""`flows()`: the flows a user asked for, summed by DuckDB over every origin-destination pair under the filters
and period, with what the cross-tab of the same cells hides hidden (`suppression`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from vipmg_core import crosstab as xt
from vipmg_core import disclosure, rules
from vipmg_core.codelists import codelist
from vipmg_core.datasets import Column, Dataset, dataset
from vipmg_core.flows.result import (
    DEFAULT_DIRECTION,
    DEFAULT_TOP,
    DIRECTIONS,
    MAX_TOP,
    TOTAL_CODE,
    FlowError,
    FlowQuery,
    FlowResult,
)
from vipmg_core.flows.roles import (
    default_period,
    filter_columns,
    flow_role,
    is_stock,
    periods,
    resolve_period,
    role_rows,
)
from vipmg_core.flows.suppression import crosstab_query, hidden_by_period_tables, publish
from vipmg_core.warehouse import Warehouse
from vipmg_core.warehouse.sql import quote as _q

# A filter as callers give it: {column: a code, or codes}.
Filters = Mapping[str, str | Sequence[str]]


def _measure(ds: Dataset) -> Column:
    """The column an aggregate sums (`datasets` refuses an aggregate declared without one)."""
    measure = ds.measure
    if measure is None:
        raise ValueError(f"{ds.id}: an aggregate dataset needs a measure column")
    return measure


def _value_sql(ds: Dataset) -> str:
    if ds.is_microdata:
        if ds.weight is None:  # `datasets` refuses such a declaration too
            raise ValueError(f"{ds.id}: microdata needs a weight column")
        return f"CAST({_q(ds.weight)} AS DOUBLE)"
    measure = _measure(ds)
    return f"CAST({_q(measure.name)} AS {'BIGINT' if measure.type in ('count', 'integer') else 'DOUBLE'})"


def pairs(wh: Warehouse, ds: Dataset, role: int, first: str, last: str,
          filters: dict[str, tuple[str, ...]]) -> pl.DataFrame:
    """Every origin-destination pair under the filters and period, summed in DuckDB (one row per pair)."""
    spec = flow_role(ds, role)
    clauses, params = role_rows(ds, spec)
    time, area = _q(ds.time_column), _q(ds.area_column)
    clauses.append(f"CAST({time} AS VARCHAR) BETWEEN $first AND $last")
    params |= {"first": first, "last": last}
    totals_present = _with_totals(wh, ds, role)
    # A `_T` row stands in for its parts only where the same country, period (and reading) has no detail.
    same_cell = " AND ".join(f"detail.{c} = data.{c}" for c in (area, time, *map(_q, spec.when)))
    for i, column in enumerate(filter_columns(ds, role)):
        col = _q(column)
        if filters.get(column):
            clauses.append(f"{col} IN (SELECT UNNEST($f{i}))")
            params[f"f{i}"] = list(filters[column])
        elif column in totals_present:
            clauses.append(rules.total_unless_detail(col, same_cell))
    latest = ""
    if is_stock(ds):
        latest = ", latest AS (SELECT area, MAX(period) AS period FROM base GROUP BY area)"
    value_type = "DOUBLE" if ds.is_microdata or _measure(ds).type == "number" else "BIGINT"
    sql = (
        f"WITH base AS (SELECT {_q(spec.origin)} AS origin, {_q(spec.destination)} AS destination,"
        f" CAST({time} AS VARCHAR) AS period, {area} AS area, {_value_sql(ds)} AS v"
        f" FROM data WHERE {' AND '.join(clauses)}){latest}"
        f" SELECT origin, destination, CAST(SUM(v) AS {value_type}) AS value, COUNT(*) AS n,"
        f" MIN(period) AS first_period, MAX(period) AS last_period"
        f" FROM base{' SEMI JOIN latest USING (area, period)' if latest else ''}"
        f" GROUP BY origin, destination"
    )
    return wh.query(ds.id, sql, params)


def _with_totals(wh: Warehouse, ds: Dataset, role: int) -> set[str]:
    """The filter columns that hold `_T` rows at all (one cheap scan; most data has none)."""
    candidates = [c for c in filter_columns(ds, role) if TOTAL_CODE in (ds.column(c).codelist or ())]
    if not candidates:
        return set()
    clauses, params = role_rows(ds, flow_role(ds, role))
    checks = ", ".join(f"COALESCE(BOOL_OR({_q(c)} = '{TOTAL_CODE}'), FALSE) AS {_q(c)}" for c in candidates)
    row = wh.query(ds.id, f"SELECT {checks} FROM data WHERE {' AND '.join(clauses)}", params).row(0, named=True)
    return {c for c in candidates if row[c]}


def _check_filters(ds: Dataset, role: int, filters: Filters | None) -> dict[str, tuple[str, ...]]:
    allowed = filter_columns(ds, role)
    checked: dict[str, tuple[str, ...]] = {}
    for column, given in (filters or {}).items():
        if column not in allowed:
            raise FlowError("bad_filter", column=column, allowed=", ".join(allowed) or "–")
        codes = (given,) if isinstance(given, str) else tuple(given)
        known = ds.column(column).codelist
        unknown = [c for c in codes if known is not None and c not in known]
        if unknown:
            raise FlowError("bad_code", column=column, codes=", ".join(unknown))
        if codes:
            checked[column] = codes
    return checked


def flows(
    wh: Warehouse,
    dataset_id: str,
    *,
    role: int = 0,
    countries: tuple[str, ...] | list[str] = (),
    direction: str = DEFAULT_DIRECTION,
    period: str | tuple[str, str] | None = None,
    filters: Filters | None = None,
    top: int | None = DEFAULT_TOP,
) -> FlowResult:
    """The flows to, from or between `countries` (all flows when none is given), largest first.

    `direction`: "in" (to the countries), "out" (from them), "both", or "between" (both ends among them).
    `period`: see `resolve_period`; None is the latest picture (`default_period`).
    `filters`: {column: codes} on the dimensions of `filter_columns`. `top`: keep the N largest (None: all).
    Country totals (in, out, net) cover every flow under the filters and period, whatever the selection.
    """
    try:
        ds = dataset(dataset_id)
    except KeyError:
        raise FlowError("unknown_dataset", dataset=dataset_id) from None
    flow_role(ds, role)
    if direction not in DIRECTIONS:
        raise FlowError("bad_direction", direction=direction, allowed=", ".join(DIRECTIONS))
    if top is not None and not 1 <= top <= MAX_TOP:
        raise FlowError("bad_top", top=top, max=MAX_TOP)
    places = codelist("country")
    chosen = tuple(dict.fromkeys(c.strip().upper() for c in countries if c.strip()))
    unknown = [c for c in chosen if c not in places]
    if unknown:
        raise FlowError("bad_country", codes=", ".join(unknown))
    checked = _check_filters(ds, role, filters)
    available: list[str] | None = None
    if period is None:
        span = default_period(wh, ds.id, role)
        if span is None:
            raise FlowError("no_data")
        first, last = span
    else:
        available = periods(wh, ds.id, role)
        first, last = resolve_period(period, available)

    everything = pairs(wh, ds, role, first, last, checked)
    if not ds.is_microdata:
        everything = everything.drop("n")
    mask = (everything.select(_selection(chosen, direction).alias("m"))["m"].to_numpy() if chosen
            else np.ones(everything.height, bool))
    table = None
    if disclosure.kind(ds) is not None and everything.height:  # figures published by others: shown as published
        if first == last:
            read = [first]
        else:
            read = [p for p in (available if available is not None else periods(wh, ds.id, role))
                    if first <= p <= last]
        table = xt.compute(crosstab_query(ds, role, read, checked), wh)
        linked = hidden_by_period_tables(wh, ds, role, everything, read, checked)
    else:
        linked = None
    everything, totals, selection_total = publish(everything, ds, role, mask, table, linked)
    selected = everything.filter(pl.Series(mask)).sort(
        ["value", "origin", "destination"], descending=[True, False, False], nulls_last=True)
    query = FlowQuery(ds.id, role, chosen, direction, (first, last), tuple(sorted(checked.items())), top)
    return FlowResult(
        query=query,
        unit=ds.unit,
        weighted=ds.is_microdata,
        stock=is_stock(ds),
        flows=selected.head(top) if top else selected,
        matching=selected.height,
        matching_value=selection_total if selected.height else 0.0,
        totals=totals,
    )



def _selection(countries: tuple[str, ...], direction: str) -> pl.Expr:
    if not countries:
        return pl.lit(True)
    into = pl.col("destination").is_in(countries)
    out_of = pl.col("origin").is_in(countries)
    return {"in": into, "out": out_of, "both": into | out_of, "between": into & out_of}[direction]


def country_totals(pairs_frame: pl.DataFrame) -> pl.DataFrame:
    """Per country: what flows in, what flows out, and the net (in - out); the largest movers first."""
    value_type = pairs_frame.schema["value"] if "value" in pairs_frame.columns else pl.Int64
    incoming = pairs_frame.group_by(pl.col("destination").alias("country")).agg(pl.col("value").sum().alias("incoming"))
    outgoing = pairs_frame.group_by(pl.col("origin").alias("country")).agg(pl.col("value").sum().alias("outgoing"))
    both = incoming.join(outgoing, on="country", how="full", coalesce=True).with_columns(
        pl.col("incoming").fill_null(0).cast(value_type), pl.col("outgoing").fill_null(0).cast(value_type))
    return both.with_columns((pl.col("incoming") - pl.col("outgoing")).alias("net")).sort(
        [pl.col("incoming") + pl.col("outgoing"), pl.col("country")], descending=[True, False])
