"""Origin-destination flows: who moves from where to where, aggregated by DuckDB in the warehouse.

A dataset reads as flows when its declaration says so (`flows = [{origin, destination, when}]`): arrivals
are nationality -> reporting country, departures the reverse, returns the removing country -> the country
of return, the census country of birth (or of residence five years ago) -> country of residence. Nothing
here knows a dataset by name.

- Aggregates sum their measure; microdata sum their expansion weight (persons) and keep the sample count n.
- Rows whose two ends are the same country (the native-born, nationals coming home) are not flows.
- Events (admin counts) add up over a period range. Persons are a stock counted at a date, so over a range
  each reporting country contributes its latest period in the range (its latest census, say).
- A dimension left unfiltered is summed over its detailed codes; a `_T` (total) row is used only where a
  reporting country published no detail for that period, so totals are never added to their own parts.
- Disclosure control is the cross-tab's own (`crosstab_query`, `_publish`): the flows are the cells of the
  cross-tab of origin by destination under the same filters and periods, and the flow view hides every flow
  that cross-tab hides (its small counts, its estimates from too few records or too variable, and the
  complements it chose to protect them). A country's incoming or outgoing total and the selection's total are
  shown only where the cross-tab's visible figures give them (all their flows visible, or a visible margin less
  visible cells); otherwise they are hidden (None). So the two surfaces together tell no more than the cross-tab
  alone. Hidden flows come last, and a hidden total sorts as 0 (its place would tell its size).

`flows()` is what the page, the CLI (`python -m vipmg_core flows`) and a notebook call; the table, chart and
export helpers below turn its result into what people read, in their language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import polars as pl
import pydeck as pdk

from vipmg_core import alt, disclosure, maps, palette, quality, rules
from vipmg_core import crosstab as xt
from vipmg_core.codelists import UNKNOWN_COUNTRY, codelist, country_name, country_point
from vipmg_core.datasets import Dataset, FlowRole, dataset, datasets
from vipmg_core.exports import ExportMeta
from vipmg_core.i18n import TranslatedError, fmt_number, t
from vipmg_core.warehouse import Warehouse, _q

# A weighted flow from fewer sample records than this is hidden (quality.toml's threshold, as in a cross-tab).
MIN_SAMPLE = quality.rules().min_unweighted_n
DIRECTIONS = ("in", "out", "both", "between")
DEFAULT_DIRECTION = "both"
DEFAULT_TOP = 25
MAX_TOP = 500
TOTAL_CODE = rules.TOTAL
RANGE_SEPARATOR = "/"  # ISO 8601 interval: 2021-01/2024-12


class FlowError(TranslatedError):
    """A request that cannot be answered, with its message key so each reader gets it in their language."""

    prefix = "flows.error"


@dataclass(frozen=True)
class FlowQuery:
    dataset_id: str
    role: int = 0
    countries: tuple[str, ...] = ()
    direction: str = DEFAULT_DIRECTION
    period: tuple[str, str] | None = None  # first and last period, inclusive; None = the default
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (column, codes), only the filtered columns
    top: int | None = DEFAULT_TOP  # None = every matching flow


@dataclass(frozen=True)
class FlowResult:
    query: FlowQuery  # as answered: the period resolved to codes present in the data
    unit: str  # "events" or "persons"
    weighted: bool  # microdata: values are weighted estimates and `n` is the sample count
    stock: bool  # persons at a date: a range takes each reporting country's latest period
    flows: pl.DataFrame  # the top flows: origin, destination, value, first_period, last_period[, n], suppressed
    matching: int  # flows that match the selection, before the top-N cut
    matching_value: float | None  # their sum (None: hidden, it would give a suppressed flow away)
    totals: pl.DataFrame  # country, incoming, outgoing, net: every flow under the filters and period (None: hidden)

    @property
    def dataset(self) -> Dataset:
        return dataset(self.query.dataset_id)

    @property
    def shown_value(self) -> float:
        return float(self.flows["value"].fill_null(0).sum()) if self.flows.height else 0.0

    @property
    def undrawn(self) -> pl.DataFrame:
        """Flows in the table that no map can draw: an end with no place (OOO, other/unknown)."""
        drawable = [country_point(o) is not None and country_point(d) is not None
                    for o, d in zip(self.flows["origin"], self.flows["destination"])]
        drawable = [ok or v is None for ok, v in zip(drawable, self.flows["value"])]  # hidden: not counted
        return self.flows.filter(~pl.Series(drawable, dtype=pl.Boolean))


# -- what a dataset offers -----------------------------------------------------------------------------------

def flow_datasets() -> list[Dataset]:
    """Datasets whose declaration gives them an origin and a destination."""
    return [ds for ds in datasets() if ds.flows]


def flow_role(ds: Dataset, role: int) -> FlowRole:
    if not ds.flows:
        raise FlowError("no_flows", dataset=ds.id)
    if not 0 <= role < len(ds.flows):
        raise FlowError("bad_role", role=role, count=len(ds.flows))
    return ds.flows[role]


def role_label(ds: Dataset, role: int, lang: str) -> str:
    """'Arrivals: Nationality → Reporting country', built from the declaration."""
    spec = flow_role(ds, role)
    arrow = f"{ds.column(spec.origin).label(lang)} → {ds.column(spec.destination).label(lang)}"
    conditions = [ds.column(col).codelist.name(code, lang) if ds.column(col).codelist else code
                  for col, code in spec.when.items()]
    return f"{', '.join(conditions)}: {arrow}" if conditions else arrow


def filter_columns(ds: Dataset, role: int) -> list[str]:
    """The dimensions a user may narrow the flows by: every coded dimension but the role's own columns."""
    spec = flow_role(ds, role)
    taken = {spec.origin, spec.destination, *spec.when, ds.time_column}
    return [c.name for c in ds.dimensions if c.name not in taken and c.type == "code"]


def is_stock(ds: Dataset) -> bool:
    # Events happen during a period and add up; persons are counted at a date and do not (`rules`).
    return rules.is_stock(ds)


def _role_rows(ds: Dataset, spec: FlowRole) -> tuple[list[str], dict[str, object]]:
    clauses = [f"{_q(spec.origin)} IS NOT NULL", f"{_q(spec.destination)} IS NOT NULL",
               f"{_q(spec.origin)} <> {_q(spec.destination)}"]
    if ds.measure is not None and not ds.is_microdata:
        clauses.append(f"{_q(ds.measure.name)} IS NOT NULL")  # a value the publisher hid (UNHCR's 1-4) is no flow
    params: dict[str, object] = {}
    for i, (column, code) in enumerate(spec.when.items()):
        clauses.append(f"{_q(ds.column(column).name)} = $when{i}")
        params[f"when{i}"] = code
    return clauses, params


def periods(wh: Warehouse, dataset_id: str, role: int = 0) -> list[str]:
    """The periods with at least one flow of this role, oldest first."""
    ds = dataset(dataset_id)
    clauses, params = _role_rows(ds, flow_role(ds, role))
    time = _q(ds.time_column)
    frame = wh.query(ds.id, f"SELECT DISTINCT CAST({time} AS VARCHAR) AS p FROM data"
                            f" WHERE {' AND '.join(clauses)} AND {time} IS NOT NULL ORDER BY p", params)
    return frame["p"].to_list()


def default_period(wh: Warehouse, dataset_id: str, role: int = 0) -> tuple[str, str] | None:
    """The latest picture: the last period for events; for a stock, the span that holds every reporting
    country's latest period (so each census country shows its latest round)."""
    ds = dataset(dataset_id)
    clauses, params = _role_rows(ds, flow_role(ds, role))
    time, area = f"CAST({_q(ds.time_column)} AS VARCHAR)", _q(ds.area_column)
    (first, last), = wh.query(
        ds.id,
        f"SELECT MIN(latest), MAX(latest) FROM (SELECT {area}, MAX({time}) AS latest FROM data"
        f" WHERE {' AND '.join(clauses)} GROUP BY ALL)", params,
    ).rows()
    if last is None:
        return None
    return (first, last) if is_stock(ds) else (last, last)


def dimension_codes(wh: Warehouse, dataset_id: str, role: int = 0) -> dict[str, list[str]]:
    """For each filter column, the codes present in the flows' rows, in codelist order."""
    ds = dataset(dataset_id)
    columns = filter_columns(ds, role)
    if not columns:
        return {}
    clauses, params = _role_rows(ds, flow_role(ds, role))
    lists = ", ".join(f"LIST(DISTINCT {_q(c)}) FILTER (WHERE {_q(c)} IS NOT NULL) AS {_q(c)}" for c in columns)
    row = wh.query(ds.id, f"SELECT {lists} FROM data WHERE {' AND '.join(clauses)}", params).row(0, named=True)
    found = {}
    for column in columns:
        present = set(row[column] or ())
        order = list(ds.column(column).codelist.codes) if ds.column(column).codelist else []
        found[column] = [c for c in order if c in present] + sorted(present - set(order))
    return found


def resolve_period(spec: str | tuple[str, str] | None, available: list[str]) -> tuple[str, str]:
    """A period request as the first and last periods present in the data.

    "2024" is one period, or every period that starts with it ("2024" on monthly data is its twelve months);
    "2021-01/2024-12" (or "2021/2023") is a range. A pair of periods is taken as a range.
    """
    if not available:
        raise FlowError("no_data")
    if spec is None:
        raise FlowError("no_period")
    if isinstance(spec, tuple):
        low, high = spec
    elif RANGE_SEPARATOR in spec:
        low, high = (part.strip() for part in spec.split(RANGE_SEPARATOR, 1))
    else:
        low = high = spec.strip()
    inside = [p for p in available if (p >= low or p.startswith(low)) and (p <= high or p.startswith(high))]
    if not low or not high or not inside:
        raise FlowError("bad_period", period=spec if isinstance(spec, str) else RANGE_SEPARATOR.join(spec),
                        first=available[0], last=available[-1])
    return inside[0], inside[-1]


# -- the aggregation -----------------------------------------------------------------------------------------

def _value_sql(ds: Dataset) -> str:
    if ds.is_microdata:
        return f"CAST({_q(ds.weight)} AS DOUBLE)"
    measure = ds.measure
    return f"CAST({_q(measure.name)} AS {'BIGINT' if measure.type in ('count', 'integer') else 'DOUBLE'})"


def pairs(wh: Warehouse, ds: Dataset, role: int, first: str, last: str,
          filters: dict[str, tuple[str, ...]]) -> pl.DataFrame:
    """Every origin-destination pair under the filters and period, summed in DuckDB (one row per pair)."""
    spec = flow_role(ds, role)
    clauses, params = _role_rows(ds, spec)
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
    value_type = "DOUBLE" if ds.is_microdata or ds.measure.type == "number" else "BIGINT"
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
    clauses, params = _role_rows(ds, flow_role(ds, role))
    checks = ", ".join(f"COALESCE(BOOL_OR({_q(c)} = '{TOTAL_CODE}'), FALSE) AS {_q(c)}" for c in candidates)
    row = wh.query(ds.id, f"SELECT {checks} FROM data WHERE {' AND '.join(clauses)}", params).row(0, named=True)
    return {c for c in candidates if row[c]}


def _check_filters(ds: Dataset, role: int, filters: dict[str, object] | None) -> dict[str, tuple[str, ...]]:
    allowed = filter_columns(ds, role)
    checked: dict[str, tuple[str, ...]] = {}
    for column, codes in (filters or {}).items():
        if column not in allowed:
            raise FlowError("bad_filter", column=column, allowed=", ".join(allowed) or "–")
        codes = (codes,) if isinstance(codes, str) else tuple(codes)
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
    filters: dict[str, object] | None = None,
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
        linked = _hidden_by_period_tables(wh, ds, role, everything, read, checked)
    else:
        linked = None
    everything, totals, selection_total = _publish(everything, ds, role, mask, table, linked)
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


def crosstab_query(ds: Dataset, role: int, read: Sequence[str], filters: dict[str, tuple[str, ...]]
                   ) -> xt.CrosstabQuery:
    """The cross-tab whose cells are these flows: the role's origin by its destination, with the role's reading
    (arrivals: `flow` = ARR), the user's filters, and the periods `read` (those of the range that hold flows).

    The cross-tab's `years` take whole years, so the periods go in as a filter on the time column. Events: the
    cross-tab adds the filtered periods up, as the flows do. A stock: the period is neither a row nor a column,
    so the cross-tab reads each reporting country at its latest filtered period, as the flows do (they differ
    only for a country whose latest period in the range holds nothing but same-country rows, which the flows
    skip; such a country's flows then find no visible cell and stay hidden, see `_publish`). The cross-tab's
    cells also hold what flows are not: same-country pairs, and an origin or destination not stated; they are
    cells of its margins like any other.
    """
    spec = flow_role(ds, role)
    chosen: dict[str, tuple[str, ...]] = {column: (code,) for column, code in spec.when.items()}
    chosen |= filters
    chosen[ds.time_column] = tuple(read)
    return xt.make_query(ds.id, [spec.origin], [spec.destination], filters=chosen, totals=True)


def period_queries(ds: Dataset, role: int, reporters: Sequence[str], read: Sequence[str],
                   filters: dict[str, tuple[str, ...]]) -> dict[str, xt.CrosstabQuery]:
    """Per reporting country, the cross-tab a person makes of the same flows over time: the other end by period,
    that country alone, the whole years of the periods `read`, the same filters (`crosstab irregular_transit
    --rows nationality --cols time_period --countries PAN --years 2024`). Empty when neither end of the role is
    the reporting country."""
    spec = flow_role(ds, role)
    if ds.area_column not in (spec.origin, spec.destination) or not read:
        return {}
    other = spec.destination if spec.origin == ds.area_column else spec.origin
    chosen: dict[str, tuple[str, ...]] = {column: (code,) for column, code in spec.when.items()}
    chosen |= {column: codes for column, codes in filters.items() if column not in (other, ds.area_column)}
    years = (min(int(p[:4]) for p in read), max(int(p[:4]) for p in read))
    return {country: xt.make_query(ds.id, [other], [ds.time_column], filters=chosen, countries=(country,),
                                   years=years, totals=True)
            for country in reporters}


def _hidden_by_period_tables(wh: Warehouse, ds: Dataset, role: int, everything: pl.DataFrame, read: Sequence[str],
                             filters: dict[str, tuple[str, ...]]) -> np.ndarray:
    """The flows a reporting country's cross-tab over time (`period_queries`) hides. The flows' own cross-tab
    (origin by destination) and this one are two tables of the same cells; each protects its small counts with
    complements of its own, so a flow the first shows may be a complement of the second, and showing it would
    give away what that table protects (Darién, PAN, November 2024: three such cells). A flow is shown only where
    both show it. Events: a flow over several periods is hidden if one of its periods is hidden, unless it is the
    row's total for whole years, shown. A stock: the reporting country's latest period read."""
    spec = flow_role(ds, role)
    hidden = np.zeros(everything.height, bool)
    if not everything.height:
        return hidden
    reporting_end = "origin" if spec.origin == ds.area_column else "destination"
    other_end = "destination" if reporting_end == "origin" else "origin"
    reporters = sorted(set(everything[reporting_end].to_list()) - {TOTAL_CODE})
    queries = period_queries(ds, role, reporters, read, filters)
    if not queries:
        return hidden
    other = spec.origin if reporting_end == "destination" else spec.destination  # the column of the other end
    closed: set[tuple[str, str]] = set()  # (reporting country, other end): the table over time hides the flow
    for country, query in queries.items():
        table = wh.remembered(("flows.period_table", query, quality.rules()), lambda q=query: xt.compute(q, wh))
        read_here = sorted(set(table.cells[ds.time_column].to_list()) & set(read))
        if is_stock(ds):  # the flows read a stock at the reporting country's latest period of the range
            read_here = read_here[-1:]
        ends = disclosure.hidden_over_periods(table.cells, other, ds.time_column, read_here, not is_stock(ds))
        closed |= {(country, end) for end in ends}
    ends = everything[other_end].replace(TOTAL_CODE, rules.UNSPLIT).to_list()
    return np.array([(country, end) in closed for country, end in zip(everything[reporting_end].to_list(), ends)],
                    dtype=bool)


def _publish(everything: pl.DataFrame, ds: Dataset, role: int, selected: np.ndarray, table: xt.Crosstab | None,
             linked: np.ndarray | None = None) -> tuple[pl.DataFrame, pl.DataFrame, float | None]:
    """The pairs with what the cross-tab `table` of the same cells hides hidden (value and n None, `suppressed`),
    the country totals (country, incoming, outgoing, net; None where hidden) and the total of the `selected`
    pairs (None: hidden). No `table`: nothing is hidden (figures published by others).

    A flow is shown where the cross-tab shows its cell. A total is shown where it follows from what the cross-tab
    shows: each of its flows is visible, or its hidden flows add up to a combination of visible margins (a
    country's column total less the visible cells of that column, the same-country one included, say). Any
    such total tells nothing the cross-tab does not; any other total could narrow a hidden cell.
    """
    P = everything.height
    origins, destinations = everything["origin"].to_list(), everything["destination"].to_list()
    values = everything["value"].cast(pl.Float64).fill_null(0).to_numpy()
    countries = sorted(set(origins) | set(destinations))
    at = {c: i for i, c in enumerate(countries)}
    o_idx = np.array([at[c] for c in origins], dtype=np.int64)
    d_idx = np.array([at[c] for c in destinations], dtype=np.int64)
    # Each total as the pairs it adds up: incoming per country, outgoing per country, then the selection.
    targets = [d_idx == c for c in range(len(countries))] + [o_idx == c for c in range(len(countries))]
    targets.append(np.asarray(selected, bool))
    if table is None:
        hidden = np.zeros(P, bool)
        shown_total = np.ones(len(targets), bool)
    else:
        hidden, shown_total = _follow_crosstab(everything, ds, role, table, targets)
        if linked is not None:  # hidden by the table over time too; the totals are the flows' own table's, which
            hidden = hidden | linked  # shows these flows anyway, so they stay
    weighted = "n" in everything.columns
    published = everything.with_columns(pl.Series("suppressed", hidden)).with_columns(
        pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("value")).alias("value"),
        *([disclosure.public_n_expr(pl.col("n"), pl.col("suppressed")).alias("n")] if weighted else []))
    sums = [float(values[target].sum()) for target in targets]
    value_type = everything.schema["value"]

    def margin(ids: range) -> pl.Series:
        return pl.Series([sums[i] if shown_total[i] else None for i in ids], dtype=pl.Float64).cast(value_type)

    C = len(countries)
    totals = pl.DataFrame({"country": pl.Series(countries, dtype=pl.String),
                           "incoming": margin(range(C)), "outgoing": margin(range(C, 2 * C))})
    totals = totals.with_columns((pl.col("incoming") - pl.col("outgoing")).alias("net")).sort(
        [pl.col("incoming").fill_null(0) + pl.col("outgoing").fill_null(0), pl.col("country")],
        descending=[True, False])  # a hidden total adds nothing to the order (its place would tell its size)
    return published, totals, (sums[-1] if shown_total[-1] else None)


def _follow_crosstab(everything: pl.DataFrame, ds: Dataset, role: int, table: xt.Crosstab,
                     targets: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Which pairs to hide (those whose cross-tab cell is not shown) and which totals may be shown (`targets`:
    a mask of the pairs each adds up), from the cross-tab's published cells alone: a cell is shown where it
    has a value, hidden where its CONF_STATUS is not free; a code `_T` marks its margins."""
    spec = flow_role(ds, role)
    o, d = spec.origin, spec.destination
    cells = table.cells.select(pl.col(o).alias("origin"), pl.col(d).alias("destination"), "value", "conf")
    margins = cells.filter((pl.col("origin") == TOTAL_CODE) | (pl.col("destination") == TOTAL_CODE))
    detail = cells.filter((pl.col("origin") != TOTAL_CODE) & (pl.col("destination") != TOTAL_CODE))
    unknown = detail.filter(pl.col("conf") != quality.CONF_FREE).with_row_index("_u")
    # A publisher's own `_T` row keeps its stored code in the flows; in the cross-tab it is `rules.UNSPLIT`.
    found = everything.select(pl.col("origin", "destination").replace(TOTAL_CODE, rules.UNSPLIT), "value",
                              *(["n"] if "n" in everything.columns else []))
    found = found.join(detail.select("origin", "destination", pl.col("value").alias("_cell")),
                       on=["origin", "destination"], how="left", maintain_order="left")
    found = found.join(unknown.select("origin", "destination", "_u"), on=["origin", "destination"], how="left",
                       maintain_order="left")
    rule_kind = disclosure.kind(ds)
    weighted = "n" in found.columns
    # A flow the cross-tab shows is shown; one it hides, hidden. A flow with no shown cell, or one whose own figure
    # breaks a rule (the two tables disagree, which they should not), is hidden too, and no total adds it.
    sensitive = np.array([disclosure.sensitive(rule_kind, v, n) for v, n in zip(
        found["value"].to_list(), found["n"].to_list() if weighted else [None] * found.height)], dtype=bool)
    hidden = found["_cell"].is_null().to_numpy() | sensitive
    unknown_at = found["_u"].fill_null(-1).to_numpy()  # the pair's hidden cell of the cross-tab (-1: none)
    opaque = hidden & (unknown_at < 0)  # hidden, and not a cell the cross-tab's totals add up
    shown_total = np.array([not hidden[t].any() for t in targets])
    wanted = [i for i, t in enumerate(targets) if not shown_total[i] and not opaque[t].any()]
    if not wanted:
        return hidden, shown_total
    # The rest: is the sum of its hidden cells a combination of the visible margins (each a sum of hidden cells)?
    lines = []
    for line in margins.filter(pl.col("value").is_not_null()).iter_rows(named=True):
        member = np.ones(unknown.height, bool)
        for end in ("origin", "destination"):
            if line[end] != TOTAL_CODE:
                member &= (unknown[end] == line[end]).to_numpy()
        if member.any():
            lines.append(member)
    if not lines:
        return hidden, shown_total
    spans = np.array(lines, dtype=float).T  # hidden cells x visible margins
    goal = np.zeros((unknown.height, len(wanted)))
    for k, i in enumerate(wanted):
        goal[unknown_at[targets[i] & hidden], k] = 1.0
    weights, *_ = np.linalg.lstsq(spans, goal, rcond=None)
    given = np.abs(spans @ weights - goal).max(axis=0) < 1e-6
    shown_total[np.array(wanted)[given]] = True
    return hidden, shown_total


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


# -- what people read ----------------------------------------------------------------------------------------

def period_label(first: str, last: str) -> str:
    return first if first == last else f"{first}–{last}"


def value_header(ds: Dataset, lang: str) -> str:
    return t("flows.col_value", lang, unit=t(f"unit.{ds.unit}", lang))


def flow_label(origin: str, destination: str, value: float, period: str, unit: str, lang: str) -> str:
    """The tooltip of one arc: origin, destination, value with its unit, and period, in `lang`."""
    return t("flows.arc_label", lang, origin=country_name(origin, lang), destination=country_name(destination, lang),
             value=fmt_number(value, lang), unit=t(f"unit.{unit}", lang), period=period)


def flow_table(result: FlowResult, lang: str) -> pd.DataFrame:
    """The flows shown, as on screen and in the downloads: names, value, share, period, codes (and n)."""
    ds = result.dataset
    rows = []
    total = result.matching_value
    hidden = quality.rules().symbol_suppressed
    for row in result.flows.iter_rows(named=True):
        value = row["value"]
        entry = {
            t("flows.col_origin", lang): country_name(row["origin"], lang),
            t("flows.col_destination", lang): country_name(row["destination"], lang),
            value_header(ds, lang): hidden if value is None else round(value) if result.weighted else value,
            t("flows.col_share", lang): None if value is None or not total else round(100 * value / total, 1),
            t("flows.col_period", lang): period_label(row["first_period"], row["last_period"]),
        }
        if result.weighted:
            entry[t("flows.col_n", lang)] = row["n"]
        entry[t("flows.col_origin_code", lang)] = row["origin"]
        entry[t("flows.col_destination_code", lang)] = row["destination"]
        rows.append(entry)
    columns = [t("flows.col_origin", lang), t("flows.col_destination", lang), value_header(ds, lang),
               t("flows.col_share", lang), t("flows.col_period", lang)]
    columns += [t("flows.col_n", lang)] if result.weighted else []
    columns += [t("flows.col_origin_code", lang), t("flows.col_destination_code", lang)]
    return pd.DataFrame(rows, columns=columns)


def totals_table(result: FlowResult, lang: str) -> pd.DataFrame:
    unit = t(f"unit.{result.unit}", lang)
    frame = result.totals
    return pd.DataFrame({
        t("flows.col_country", lang): [country_name(c, lang) for c in frame["country"]],
        t("flows.col_in", lang, unit=unit): frame["incoming"].to_list(),
        t("flows.col_out", lang, unit=unit): frame["outgoing"].to_list(),
        t("flows.col_net", lang, unit=unit): frame["net"].to_list(),
        t("flows.col_code", lang): frame["country"].to_list(),
    })


def flows_chart(result: FlowResult, lang: str, limit: int = 15) -> go.Figure:
    """Horizontal bars of the largest flows, for people who read numbers rather than maps (hidden ones left out)."""
    shown = result.flows.filter(pl.col("value").is_not_null()).head(limit)
    labels = [f"{country_name(o, lang)} → {country_name(d, lang)}"
              for o, d in zip(shown["origin"], shown["destination"])]
    values = shown["value"].to_list()
    unit = t(f"unit.{result.unit}", lang)
    texts = [fmt_number(v, lang) for v in values]
    figure = go.Figure(go.Bar(
        x=values[::-1], y=labels[::-1], orientation="h", text=texts[::-1], textposition="auto",
        marker_color=palette.FLOW_BAR,
        hovertext=[f"{label}: {text} {unit}" for label, text in zip(labels[::-1], texts[::-1])],
        hoverinfo="text",
    ))
    axis = t("flows.chart_axis", lang, unit=unit)
    if result.unit == "events":
        axis += f" — {t('unit.events_badge', lang)}"
    # The figure itself says its source, period and unit: a PNG saved from it travels without the page.
    note = " · ".join((f"{t('export.source', lang)}: {result.dataset.title(lang)}", period_label(*result.query.period),
                       t("unit.events_badge" if result.unit == "events" else "unit.persons_badge", lang)))
    figure.update_layout(
        title={"text": t("flows.chart_title", lang, count=len(labels)),
               "subtitle": {"text": note, "font": {"size": 11, "color": "#555"}}},
        xaxis_title=axis, yaxis_title=None, height=max(260, 32 * len(labels) + 150),
        margin={"l": 10, "r": 10, "t": 80, "b": 40}, showlegend=False,
    )
    hidden = result.flows.filter(pl.col("value").is_null())
    return alt.hide_in_description(figure, [f"{country_name(o, lang)} → {country_name(d, lang)}"
                                            for o, d in zip(hidden["origin"], hidden["destination"])])


def describe_filters(result: FlowResult, lang: str) -> dict[str, list[str]]:
    """The choices behind a result, as (label -> names) for the export's metadata."""
    ds, query = result.dataset, result.query
    chosen = {
        t("flows.role", lang): [role_label(ds, query.role, lang)],
        t("flows.period", lang): [period_label(*query.period)] if query.period else [],
        t("flows.direction", lang): [t(f"flows.direction_{query.direction}", lang)],
        t("flows.countries", lang): [country_name(c, lang) for c in query.countries] or [t("flows.all", lang)],
        t("flows.top", lang): [str(query.top) if query.top else t("flows.all", lang)],
    }
    for column, codes in query.filters:
        col = ds.column(column)
        chosen[col.label(lang)] = [col.codelist.name(c, lang) if col.codelist else c for c in codes]
    return chosen


def notes(result: FlowResult, lang: str) -> list[str]:
    """What a reader must know to read these numbers right."""
    ds = result.dataset
    found = [t("flows.note_same_country", lang)]
    if ds.counts_events:
        found.insert(0, f"{t('unit.events_badge', lang)} — {ds.unit_detail(lang)}")
    if result.stock and result.query.period and result.query.period[0] != result.query.period[1]:
        found.append(t("flows.note_stock_range", lang))
    elif not result.stock and result.query.period and result.query.period[0] != result.query.period[1]:
        found.append(t("flows.note_events_range", lang))
    if result.weighted:
        found.append(t("flows.note_weighted", lang, min=MIN_SAMPLE))
    rule_kind = disclosure.kind(ds)
    if rule_kind is not None and (result.flows["value"].is_null().any() or result.totals["incoming"].is_null().any()
                                  or result.totals["outgoing"].is_null().any() or result.matching_value is None):
        rule = quality.rules()
        key = "flows.note_suppressed_count" if rule_kind == disclosure.COUNT else "flows.note_suppressed_estimate"
        found.append(t(key, lang, symbol=rule.symbol_suppressed, min_count=rule.admin_min_count,
                       n=rule.min_unweighted_n, cv=fmt_number(rule.cv_caution_max, lang)))
    undrawn = result.undrawn
    if undrawn.height:
        found.append(t("flows.note_undrawn", lang, count=undrawn.height, value=fmt_number(undrawn["value"].sum(), lang),
                       unit=t(f"unit.{result.unit}", lang), names=country_name(UNKNOWN_COUNTRY, lang)))
    return found


def export_meta(result: FlowResult, lang: str, synthetic: bool) -> ExportMeta:
    ds = result.dataset
    method = t("flows.method_weighted" if result.weighted else "flows.method_sum", lang,
               measure=(ds.measure.label(lang) if ds.measure else ""))
    return ExportMeta(
        dataset_id=ds.id,
        lang=lang,
        title=f"{t('page.flowmap', lang)}: {ds.title(lang)}",
        filters=describe_filters(result, lang),
        method=method,
        notes=tuple(notes(result, lang)),
        synthetic=synthetic,
    )


def records(result: FlowResult) -> list[dict[str, object]]:
    """The flows as plain records (CLI JSON, notebooks): codes, value, unit, period[, n]; a hidden flow's value
    (and n) is None."""
    out = []
    for row in result.flows.iter_rows(named=True):
        record = {"origin": row["origin"], "destination": row["destination"], "value": row["value"],
                  "unit": result.unit, "first_period": row["first_period"], "last_period": row["last_period"]}
        if result.weighted:
            record["n"] = row["n"]
        out.append(record)
    return out


# -- the map -------------------------------------------------------------------------------------------------

def country_label(iso3: str, incoming: float | None, outgoing: float | None, unit: str, lang: str) -> str:
    """A country's tooltip; a hidden total (None) shows the suppression symbol, and so does the net."""
    symbol = quality.rules().symbol_suppressed

    def shown(value: float | None) -> str:
        return symbol if value is None else fmt_number(value, lang)

    if incoming is None or outgoing is None:
        net_text = symbol
    else:
        net = incoming - outgoing
        net_text = ("+" if net > 0 else "−" if net < 0 else "") + fmt_number(abs(net), lang)
    return t("flows.country_label", lang, name=country_name(iso3, lang), incoming=shown(incoming),
             outgoing=shown(outgoing), net=net_text, unit=t(f"unit.{unit}", lang))


def flow_deck(result: FlowResult, lang: str, height: int = 540, polygons_url: str | None = None) -> pdk.Deck:
    """The offline flow map: country polygons (clickable), an arc per drawable flow shown, and a circle per
    country involved sized by its in + out. Every pickable layer has a `label`, so one tooltip serves them all.
    With `polygons_url` (a map to read, not to click: profiles, articles) the polygons are fetched from there
    and are not clickable; the circles still carry each country's label."""
    unit = result.unit
    totals = {row["country"]: (row["incoming"], row["outgoing"]) for row in result.totals.iter_rows(named=True)}
    labels = {iso3: country_label(iso3, i, o, unit, lang) for iso3, (i, o) in totals.items()}
    involved = set(result.flows["origin"]) | set(result.flows["destination"]) | set(result.query.countries)
    arcs = [(row["origin"], row["destination"], row["value"],
             flow_label(row["origin"], row["destination"], row["value"],
                        period_label(row["first_period"], row["last_period"]), unit, lang))
            for row in result.flows.iter_rows(named=True) if row["value"] is not None]  # hidden: no arc
    points = [p for p in (country_point(c) for c in involved) if p is not None]
    layers = [  # circles over the arcs' ends, so a click on a country's circle picks the country
        (maps.selectable_countries_layer(lang, set(result.query.countries), labels) if polygons_url is None
         else maps.base_layer(lang, set(result.query.countries), polygons_url)),
        maps.arc_layer(arcs),
        # A hidden total draws no circle part (its size would tell it).
        maps.totals_layer({c: (i or 0, o or 0) for c, (i, o) in totals.items() if c in involved}, labels),
    ]
    return maps.offline_deck(layers, view=maps.fit_view(points, height=height), height=height)


def legend_svg(result: FlowResult, lang: str) -> str:
    values = result.flows["value"].to_list()
    drawn = [v for v, (o, d) in zip(values, zip(result.flows["origin"], result.flows["destination"]))
             if v is not None and country_point(o) is not None and country_point(d) is not None]
    largest = max(drawn, default=0)
    unit = t(f"unit.{result.unit}", lang)
    return maps.flow_legend_svg(
        [(v, fmt_number(v, lang)) for v in maps.legend_samples(drawn)], largest,
        t("flows.legend_origin", lang), t("flows.legend_destination", lang),
        t("flows.legend_width", lang, unit=unit), t("flows.legend_circles", lang),
        t("flows.legend_net_in", lang), t("flows.legend_net_out", lang),
    )


def low_sample_count(result: FlowResult) -> int:
    """How many of the flows shown rest on fewer than MIN_SAMPLE sample records (0 for aggregates)."""
    if not result.weighted or not result.flows.height:
        return 0
    return int((result.flows["n"] < MIN_SAMPLE).sum())  # 0 since such flows are hidden; kept for old callers


def describe_map(result: FlowResult, lang: str, top: int = 5) -> list[str]:
    """The flow map in words (its text alternative): how many arcs between how many countries, the largest flows
    with their values, which countries receive or send more (their totals as the circles show them), and how many
    flows are hidden or cannot be drawn (never their values)."""
    unit = t(f"unit.{result.unit}", lang)
    drawn = result.flows.filter(pl.col("value").is_not_null() & pl.col("origin").map_elements(
        lambda c: country_point(c) is not None, return_dtype=pl.Boolean) & pl.col("destination").map_elements(
        lambda c: country_point(c) is not None, return_dtype=pl.Boolean))
    countries = set(drawn["origin"]) | set(drawn["destination"])
    periods = sorted(set(drawn["first_period"]) | set(drawn["last_period"])) if drawn.height else []
    period = period_label(periods[0], periods[-1]) if periods else "–"
    lines = [t("alt.flow_map", lang, count=drawn.height, countries=len(countries), unit=unit, period=period)]
    largest = drawn.sort("value", descending=True).head(top)
    if largest.height:
        lines.append(t("alt.flow_largest", lang, flows="; ".join(
            f"{country_name(o, lang)} → {country_name(d, lang)}: {fmt_number(v, lang)}"
            for o, d, v in largest.select("origin", "destination", "value").iter_rows())))
    shown = result.totals.filter(pl.col("incoming").is_not_null() & pl.col("outgoing").is_not_null()
                                 & pl.col("country").is_in(list(countries)))
    net_in = [country_name(c, lang) for c, n in zip(shown["country"], shown["net"]) if n is not None and n > 0]
    net_out = [country_name(c, lang) for c, n in zip(shown["country"], shown["net"]) if n is not None and n < 0]
    none = t("alt.none", lang)
    lines.append(t("alt.flow_totals", lang, net_in=alt.labels(net_in, lang) or none,
                   net_out=alt.labels(net_out, lang) or none))
    hidden = int(result.flows["value"].is_null().sum())
    if hidden:
        lines.append(t("alt.flow_hidden", lang, count=hidden))
    if result.undrawn.height:
        lines.append(t("alt.flow_undrawn", lang, count=result.undrawn.height))
    return lines
