"""The flow view publishes only what the cross-tab of the same cells publishes (issue #15: every figure right on
every surface). A user who opens the Cross-tab page on origin by destination, with the flows' filters and
periods, and the Flow map beside it, must learn nothing from the second that the first hides:

- every flow shown is the cross-tab's cell, with the same value; every cell the cross-tab hides is hidden;
- every total the flow view shows (a country's incoming or outgoing flows, the selection's total) is fixed by
  what the cross-tab shows: the smallest and the largest value its hidden cells allow (a linear program over the
  cross-tab's own totals, hidden values at least 0) are both the value shown.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import sparse
from scipy.optimize import linprog

from vipmg_core import crosstab as xt
from vipmg_core import flows as fl
from vipmg_core.crosstab import TOTAL
from vipmg_core.warehouse import Warehouse

CASES = [  # admin counts with small counts, and the census (weighted: its sample-count and CV rules)
    ("residence_permits", {"period": "2023"}),
    ("returns", {"period": "2023-11"}),
    ("irregular_transit", {}),
    ("irregular_transit", {"period": "2023-11", "countries": ["PAN", "CRI"], "direction": "both"}),
    ("census", {}),
    ("census", {"role": 1, "countries": ["CRI"], "direction": "in"}),
]


def same_cells(wh: Warehouse, result: fl.FlowResult, **extra) -> xt.Crosstab:
    """The cross-tab a user builds for these flows: origin by destination, the role's reading (arrivals or
    departures), the flows' filters, and their periods as a filter on the time column."""
    ds, query = result.dataset, result.query
    spec = ds.flows[query.role]
    first, last = query.period
    read = [p for p in fl.periods(wh, ds.id, query.role) if first <= p <= last]
    filters = {column: (code,) for column, code in spec.when.items()} | dict(query.filters) | {ds.time_column: read}
    return xt.crosstab(ds.id, [spec.origin], [spec.destination], filters=filters, warehouse=wh, **extra)


def cell_frame(table: xt.Crosstab, origin: str, destination: str) -> pl.DataFrame:
    return table.cells.select(pl.col(origin).alias("o"), pl.col(destination).alias("d"), "value", "conf")


def bounds_of(cells: pl.DataFrame, members: list[tuple[str, str]]) -> tuple[float, float]:
    """The smallest and largest sum of the detail cells `members` that the cross-tab's published cells allow:
    visible cells at their values, hidden ones (detail or total) at least 0, each total the sum of its parts."""
    keys = [(o, d) for o, d in cells.select("o", "d").iter_rows()]
    index = {key: i for i, key in enumerate(keys)}
    value = cells["value"].to_numpy().astype(float)
    hidden = (cells["conf"] != "F").to_numpy()
    var = np.full(len(keys), -1)
    var[hidden] = np.arange(int(hidden.sum()))
    known = sum(value[index[m]] for m in members if not hidden[index[m]])
    goal = np.zeros(int(hidden.sum()))
    for m in members:
        if hidden[index[m]]:
            goal[var[index[m]]] += 1
    if not goal.any():
        return known, known
    lines: dict[tuple[tuple[str, str], str], list[int]] = {}  # (total, the dimension summed) -> its parts
    for i, (o, d) in enumerate(keys):
        if o != TOTAL:
            lines.setdefault(((TOTAL, d), "o"), []).append(i)
        if d != TOTAL:
            lines.setdefault(((o, TOTAL), "d"), []).append(i)
    rows, cols, coefs, rhs = [], [], [], []
    for (total, _), parts in lines.items():
        parent = index[total]
        members_ = [(parent, -1.0)] + [(p, 1.0) for p in parts]
        if not any(hidden[m] for m, _ in members_):
            continue
        b = 0.0
        for m, coef in members_:
            if hidden[m]:
                rows.append(len(rhs))
                cols.append(var[m])
                coefs.append(coef)
            else:
                b -= coef * np.nan_to_num(value[m])
        rhs.append(b)
    matrix = sparse.csr_array((coefs, (rows, cols)), shape=(len(rhs), len(goal)))
    scale = max(1.0, float(np.nanmax(np.abs(value))))
    ends = []
    for sign in (1, -1):
        res = linprog(sign * goal, A_eq=matrix, b_eq=np.asarray(rhs) / scale, bounds=(0, None), method="highs")
        assert res.status in (0, 3), res.message
        ends.append(np.inf if res.status == 3 else sign * res.fun * scale)
    return known + ends[0], known + ends[1]


def not_given_by(result: fl.FlowResult, cells: pl.DataFrame, every: fl.FlowResult | None = None) -> list[str]:
    """What the flow view shows that the cross-tab's published `cells` (o, d, value, conf) do not give (`every`:
    the same flows with no country chosen, whose pairs the country totals add up; default `result`)."""
    detail = cells.filter((pl.col("o") != TOTAL) & (pl.col("d") != TOTAL))
    problems = []
    flows = result.flows.join(detail, left_on=["origin", "destination"], right_on=["o", "d"], how="left",
                              suffix="_xt")
    for row in flows.iter_rows(named=True):
        pair = (row["origin"], row["destination"])
        if row["value"] is not None and row["conf"] is None:
            problems.append(f"{pair}: shown as {row['value']}, not a cell of the cross-tab")
        elif row["conf"] not in (None, "F") and row["value"] is not None:
            problems.append(f"{pair}: shown as {row['value']}, hidden by the cross-tab")
        elif row["value"] is not None and row["value"] != pytest.approx(row["value_xt"], rel=1e-9):
            problems.append(f"{pair}: shown as {row['value']}, {row['value_xt']} in the cross-tab")
    pairs = list(zip(result.flows["origin"], result.flows["destination"]))
    every_pair = list(zip((every or result).flows["origin"], (every or result).flows["destination"]))
    totals = []
    for row in result.totals.iter_rows(named=True):
        for side, end in (("incoming", 1), ("outgoing", 0)):
            if row[side] is not None:
                totals.append((f"{side} {row['country']}", [p for p in every_pair if p[end] == row["country"]],
                               row[side]))
    if result.matching_value is not None:
        totals.append(("selection", pairs, result.matching_value))  # top=None: every flow selected is listed
    for name, members, shown in totals:
        low, high = bounds_of(cells, members)
        if not (low == pytest.approx(shown, rel=1e-7, abs=1e-6) and high == pytest.approx(shown, rel=1e-7, abs=1e-6)):
            problems.append(f"{name}: shown as {shown}, the cross-tab allows [{low:g}, {high:g}]")
    return problems


@pytest.mark.parametrize(("dataset_id", "kwargs"), CASES, ids=[f"{d}-{i}" for i, (d, _) in enumerate(CASES)])
def test_the_flow_view_shows_only_what_the_crosstab_of_the_same_cells_shows(demo_wh, dataset_id, kwargs):
    everything = {k: v for k, v in kwargs.items() if k not in ("countries", "direction")}
    result = fl.flows(demo_wh, dataset_id, top=None, **kwargs)
    table = same_cells(demo_wh, result)
    spec = result.dataset.flows[result.query.role]
    cells = cell_frame(table, spec.origin, spec.destination)
    hidden = set(cells.filter(pl.col("conf") != "F").select("o", "d").iter_rows())
    all_flows = fl.flows(demo_wh, dataset_id, top=None, **everything)
    hidden_flows = {(o, d) for o, d, v in all_flows.flows.select("origin", "destination", "value").iter_rows()
                    if v is None}
    flow_pairs = set(zip(all_flows.flows["origin"], all_flows.flows["destination"]))
    assert hidden & flow_pairs, "the case should have hidden cells among the flows"
    assert hidden & flow_pairs <= hidden_flows  # every cell the cross-tab hides is hidden in the flow view
    problems = not_given_by(result, cells, all_flows)
    assert not problems, problems


def test_a_hidden_flow_comes_last_and_a_hidden_total_sorts_as_nothing(demo_wh):
    result = fl.flows(demo_wh, "census", top=None)
    values = result.flows["value"].to_list()
    first_hidden = values.index(None)
    assert all(v is None for v in values[first_hidden:]) and first_hidden > 0
    totals = result.totals
    assert totals["incoming"].is_null().any() or totals["outgoing"].is_null().any()
    order = (totals["incoming"].fill_null(0) + totals["outgoing"].fill_null(0)).to_list()
    assert order == sorted(order, reverse=True)


def test_darien_flows_into_panama_in_november_2024_agree_with_the_crosstab_of_nationality_by_period(
        realdata, tmp_path):
    from vipmg_core.importers import import_file

    wh = Warehouse(tmp_path / "wh")
    import_file(wh, realdata / "iom_gdidata_regional_series/irreg_darien_nat.csv", actor="test")
    result = fl.flows(wh, "irregular_transit", countries=["PAN"], direction="in", period="2024-11", top=None)
    # Nationality by period, Panama, November 2024: the cells of the flows into Panama, one column.
    table = xt.crosstab("irregular_transit", ["nationality"], ["time_period"], countries=["PAN"],
                        filters={"time_period": ["2024-11"]}, warehouse=wh)
    cells = table.cells.select(pl.col("nationality").alias("o"), pl.when(pl.col("time_period") == TOTAL)
                               .then(pl.lit(TOTAL)).otherwise(pl.lit("PAN")).alias("d"), "value", "conf")
    hidden = set(cells.filter((pl.col("conf") != "F") & (pl.col("o") != TOTAL) & (pl.col("d") != TOTAL))
                 .select("o", "d").iter_rows())
    assert hidden, "November 2024 should have small counts"
    shown = {(o, d): v for o, d, v in result.flows.select("origin", "destination", "value").iter_rows()}
    assert hidden <= set(shown) and all(shown[pair] is None for pair in hidden)
    problems = not_given_by(result, cells)
    assert not problems, problems


def test_darien_flows_of_each_month_of_2024_hide_what_the_year_table_of_nationality_by_month_hides(
        realdata, tmp_path):
    """The issue's table (`crosstab irregular_transit --rows nationality --cols time_period --countries PAN
    --years 2024 --totals`) and the flows of each of its months are two tables of the same cells: a flow that
    table hides (a small count, or a complement protecting one) stays hidden in the flow view, and every figure
    the flow view shows is one the table gives."""
    from vipmg_core.importers import import_file

    wh = Warehouse(tmp_path / "wh")
    import_file(wh, realdata / "iom_gdidata_regional_series/irreg_darien_nat.csv", actor="test")
    table = xt.crosstab("irregular_transit", ["nationality"], ["time_period"], countries=["PAN"], years=(2024, 2024),
                        totals=True, warehouse=wh)
    months = sorted(set(table.cells["time_period"].to_list()) - {TOTAL})
    assert len(months) == 12
    checked = 0
    for month in months:
        result = fl.flows(wh, "irregular_transit", countries=["PAN"], direction="in", period=month, top=None)
        column = table.cells.filter(pl.col("time_period").is_in([month, TOTAL]))
        cells = column.select(pl.col("nationality").alias("o"), pl.when(pl.col("time_period") == TOTAL)
                              .then(pl.lit(TOTAL)).otherwise(pl.lit("PAN")).alias("d"), "value", "conf")
        # The year's row totals are cells of the table too, but not of this month's flows: keep the month's own.
        cells = cells.filter(pl.col("d") != TOTAL)
        hidden = {o for o, conf in column.filter(pl.col("time_period") == month)
                  .select("nationality", "conf").iter_rows() if conf != "F" and o != TOTAL}
        shown = {o: v for o, v in result.flows.select("origin", "value").iter_rows()}
        leaked = sorted(o for o in hidden if shown.get(o) is not None)
        assert not leaked, f"{month}: the flow view shows {leaked}, which the year table hides"
        for o, v in shown.items():
            if v is not None:
                expected = cells.filter(pl.col("o") == o)["value"].to_list()
                assert expected and expected[0] == pytest.approx(v), (month, o)
        checked += len(hidden)
    assert checked > 0, "2024 should have hidden cells"
