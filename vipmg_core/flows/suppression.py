"""Which flows and totals are hidden: the flows are the cells of the cross-tab of origin by destination, so the
flow view hides what that cross-tab hides (and what a reporting country's cross-tab of the same flows over time
hides), and shows a total only where the cross-tab's visible figures give it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from vipmg_core import crosstab as xt
from vipmg_core import disclosure, quality, rules
from vipmg_core.datasets import Dataset
from vipmg_core.flows.result import TOTAL_CODE
from vipmg_core.flows.roles import flow_role, is_stock
from vipmg_core.warehouse import Warehouse


def crosstab_query(ds: Dataset, role: int, read: Sequence[str], filters: dict[str, tuple[str, ...]]
                   ) -> xt.CrosstabQuery:
    """The cross-tab whose cells are these flows: the role's origin by its destination, with the role's reading
    (arrivals: `flow` = ARR), the user's filters, and the periods `read` (those of the range that hold flows).

    The cross-tab's `years` take whole years, so the periods go in as a filter on the time column. Events: the
    cross-tab adds the filtered periods up, as the flows do. A stock: the period is neither a row nor a column,
    so the cross-tab reads each reporting country at its latest filtered period, as the flows do (they differ
    only for a country whose latest period in the range holds nothing but same-country rows, which the flows
    skip; such a country's flows then find no visible cell and stay hidden, see `publish`). The cross-tab's
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


def hidden_by_period_tables(wh: Warehouse, ds: Dataset, role: int, everything: pl.DataFrame, read: Sequence[str],
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
        hidden_ends = disclosure.hidden_over_periods(table.cells, other, ds.time_column, read_here,
                                                     not is_stock(ds))
        closed |= {(country, end) for end in hidden_ends}
    ends = everything[other_end].replace(TOTAL_CODE, rules.UNSPLIT).to_list()
    return np.array([(country, end) in closed for country, end in zip(everything[reporting_end].to_list(), ends)],
                    dtype=bool)


def publish(everything: pl.DataFrame, ds: Dataset, role: int, selected: np.ndarray, table: xt.Crosstab | None,
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
