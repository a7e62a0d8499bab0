"""An attacker who knows the rules tries to narrow every suppressed cell, from the published table alone.

The attacker reads only what a user can download (the SDMX body of the table: codes, OBS_VALUE, CONF_STATUS), finds
for themself every "total = sum of its parts" relation (a cell with "_T" in a dimension is the sum of the cells
that differ from it only in that dimension), and solves, with an integer program for counts (scipy's `milp`,
HiGHS), the smallest and largest value of each hidden cell given: visible cells at their published values,
hidden counts whole and at least 1, hidden estimates at least 0. Each cell suppressed by a rule (the test knows
which from the same table computed without suppression; the attacker does not) must keep its protection interval
from `standard/quality.toml`: largest >= value + upper protection, smallest <= max(floor, value - lower protection).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from vipmg_core import crosstab as xt
from vipmg_core import quality
from vipmg_core.crosstab import TOTAL, View
from vipmg_core.datasets import dataset, datasets
from vipmg_core.warehouse import Warehouse

DARIEN = "iom_gdidata_regional_series/irreg_darien_nat.csv"
OPEN = quality.Rules(cv_reliable_max=1e9, cv_caution_max=1e9, min_unweighted_n=0, admin_min_count=0)


def attack(published: pl.DataFrame, dims: list[str], counts: bool, targets: dict[tuple, tuple[float, float]],
           extra: Sequence[tuple[Sequence[tuple], float]] = ()) -> dict[tuple, tuple[float, float]]:
    """For each hidden cell, (smallest, largest) values consistent with the published table: exact for the cells
    in `targets` (key -> (high, low) to reach) unless a solution found on the way already reaches them (then the
    values found so far, already wide enough); other hidden cells get the values found on the way.

    `extra`: figures another surface publishes about the same cells, each the sum of some cells (their keys) and
    its value (a flow the flow view shows, a country's incoming total...): the attacker adds them to the table's."""
    keys = [tuple(row) for row in published.select(dims).iter_rows()]
    index = {key: i for i, key in enumerate(keys)}
    value = published["OBS_VALUE"].to_numpy().astype(float)
    hidden = (published["CONF_STATUS"] != "F").to_numpy()
    assert np.isnan(value[hidden]).all(), "a hidden cell shows a value"
    # A cell with "_T" in some dimensions is the sum of the cells that have codes there and agree elsewhere.
    relations: dict[tuple[int, tuple[int, ...]], list[int]] = {}
    for i, key in enumerate(keys):
        coded = [d for d in range(len(dims)) if key[d] != TOTAL]
        for size in range(1, len(coded) + 1):
            for subset in combinations(coded, size):
                parent = index.get(tuple(TOTAL if d in subset else key[d] for d in range(len(dims))))
                if parent is not None:
                    relations.setdefault((parent, subset), []).append(i)
    var = np.full(len(keys), -1)
    var[hidden] = np.arange(int(hidden.sum()))
    rows, cols, coefs, rhs = [], [], [], []
    for (parent, _), children in relations.items():
        members = [(parent, -1.0)] + [(c, 1.0) for c in children]
        if not any(hidden[m] for m, _ in members):
            continue
        b = 0.0
        for m, coef in members:
            if hidden[m]:
                rows.append(len(rhs))
                cols.append(var[m])
                coefs.append(coef)
            else:
                b -= coef * value[m]
        rhs.append(b)
    for members, total in extra:
        ids = [index[key] for key in members]
        if not any(hidden[m] for m in ids):
            continue
        b = float(total)
        for m in ids:
            if hidden[m]:
                rows.append(len(rhs))
                cols.append(var[m])
                coefs.append(1.0)
            else:
                b -= value[m]
        rhs.append(b)
    n = int(hidden.sum())
    if not n:
        return {}
    scale = 1.0 if counts else max(1.0, float(np.nanmax(np.abs(value))) if (~hidden).any() else 1.0)
    matrix = sparse.csr_array((coefs, (rows, cols)), shape=(len(rhs), n))
    b = np.asarray(rhs) / scale
    constraints = [LinearConstraint(matrix, b, b)] if len(rhs) else []
    bounds = Bounds(np.full(n, 1.0 if counts else 0.0), np.full(n, np.inf))
    integrality = np.ones(n) if counts else None
    unknown = np.flatnonzero(hidden)
    most, least = np.full(n, -np.inf), np.full(n, np.inf)  # the largest and smallest value found so far
    goal_high = np.full(n, np.inf)
    goal_low = np.full(n, -np.inf)
    for i in unknown:
        if keys[i] in targets:
            goal_high[var[i]], goal_low[var[i]] = targets[keys[i]]

    def seen(x: np.ndarray) -> None:  # every feasible solution is a value each hidden cell can take
        np.maximum(most, x * scale, out=most)
        np.minimum(least, x * scale, out=least)

    def solve(c: np.ndarray):
        res = milp(c, constraints=constraints, bounds=bounds)  # a whole-number optimum of the relaxation is
        if res.status == 0 and counts and np.abs(res.x - np.round(res.x)).max() > 1e-6:  # the integer optimum
            res = milp(c, constraints=constraints, bounds=bounds, integrality=integrality)
        if res.status == 4:  # HiGHS's presolve may say "infeasible or unbounded": the relaxation tells which
            res = milp(c, constraints=constraints, bounds=bounds)
        return res

    aimed = np.flatnonzero(np.isfinite(goal_high))
    for v in aimed:
        for sign in (-1, 1):  # largest, then smallest
            if (most[v] >= goal_high[v]) if sign == -1 else (least[v] <= goal_low[v]):
                continue  # a solution found for another cell already takes this one far enough
            c = np.zeros(n)
            c[v] = sign
            res = solve(c)
            if res.status == 3:
                most[v] = np.inf
                continue
            assert res.status == 0, f"the published table is inconsistent for the attacker: {res.message}"
            seen(res.x)
    return {keys[i]: (least[var[i]], most[var[i]]) for i in unknown}


def truth_of(query: xt.CrosstabQuery, wh: Warehouse, monkeypatch) -> pl.DataFrame:
    """The same table with nothing suppressed: the true value (and n, CV) of every cell."""
    with monkeypatch.context() as patch:
        patch.setattr(quality, "rules", lambda path=None: OPEN)
        return xt.compute(query, wh).cells


def primary_cells(result: xt.Crosstab, truth: pl.DataFrame, rule: quality.Rules) -> pl.DataFrame:
    """Cells a rule suppresses (small counts; estimates from too few records or too variable)."""
    if result.method == "admin":
        return truth.filter((pl.col("value") > 0) & (pl.col("value") < rule.admin_min_count))
    if result.method in ("survey", "census"):
        return truth.filter((pl.col("n") < rule.min_unweighted_n) | pl.col("cv").is_null()
                            | (pl.col("cv") > rule.cv_caution_max))
    return truth.clear()


def narrow_cells(query: xt.CrosstabQuery, wh: Warehouse, monkeypatch,
                 extra: Sequence[tuple[Sequence[tuple], float]] = ()) -> tuple[list[str], int]:
    """Primary cells the attacker confines to less than their protection interval, and how many were attacked
    (`extra`: what another surface publishes about the same cells, see `attack`)."""
    rule = quality.rules()
    result = xt.compute(query, wh)
    published = result.long(View())
    assert set(published["CONF_STATUS"].unique()) <= {"F", "C"}, "primary and complementary cells look different"
    truth = truth_of(query, wh, monkeypatch)
    dims = list(query.dims)
    counts = result.method == "admin"
    shown = {tuple(r) for r in published.select(dims).iter_rows()}
    # A hidden count is at least 1, so a total is at least the number of its non-zero detail cells whatever is
    # shown: the least any protection can leave it (the lower protection asks for no less).
    least: dict[tuple, int] = {}
    if counts:
        detail = truth.filter(pl.all_horizontal([pl.col(d) != TOTAL for d in dims]) & (pl.col("value") > 0))
        for key in detail.select(dims).iter_rows():
            for size in range(len(dims) + 1):
                for subset in combinations(range(len(dims)), size):
                    masked = tuple(TOTAL if d in subset else key[d] for d in range(len(dims)))
                    least[masked] = least.get(masked, 0) + 1
    hidden = {tuple(r) for r in published.filter(pl.col("CONF_STATUS") != "F").select(dims).iter_rows()}
    goals = {}
    for cell in primary_cells(result, truth, rule).iter_rows(named=True):
        key = tuple(cell[d] for d in dims)
        if key not in shown:
            continue  # a level the table does not show
        assert key in hidden, f"{key} is suppressed by the rules but published"
        a = float(cell["value"])
        if counts:
            upper, lower, floor = rule.protection_count_upper, rule.protection_count_lower, float(least.get(key, 1))
        else:
            upper = lower = abs(a) * rule.protection_estimate_percent / 100
            floor = 0.0
        tol = 1e-6 * max(1.0, abs(a))
        goals[key] = (a, a + upper - tol, max(floor, a - lower) + tol)
    intervals = attack(published, dims, counts, {key: (high, low) for key, (_, high, low) in goals.items()}, extra)
    problems = []
    for key, (a, high, low) in goals.items():
        lo, hi = intervals[key]
        if hi < high or lo > low:
            problems.append(f"{key}: {a:g} in [{lo:g}, {hi:g}]")
    return problems, len(goals)


@pytest.fixture(scope="module")
def darien_wh(realdata_dir: Path, tmp_path_factory) -> Warehouse:
    from vipmg_core.importers import import_file

    path = realdata_dir / DARIEN
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    wh = Warehouse(tmp_path_factory.mktemp("darien"))
    import_file(wh, path, actor="test")
    return wh


def test_darien_suppressed_transits_cannot_be_narrowed_below_the_protection_interval(darien_wh, monkeypatch):
    query = xt.make_query("irregular_transit", ["nationality"], ["time_period"], countries=["PAN"], years=(2024, 2024),
                          totals=True)
    problems, attacked = narrow_cells(query, darien_wh, monkeypatch)
    assert attacked >= 10, "the table should have small counts"
    assert not problems, problems


TABLES = [
    dict(dataset_id="census", rows=["sex", "age_group"], cols=["education", "urban_rural"],
         countries=["GTM", "HND", "SLV"], measure="weighted", totals=True, subtotals=True),
    dict(dataset_id="census", rows=["country_of_birth"], cols=["age_group"], countries=["CRI"], totals=True),
    dict(dataset_id="survey", rows=["ref_area", "migrant_status"], cols=["sex"], years=(2024, 2024), totals=True,
         subtotals=True),
    dict(dataset_id="survey", rows=["education"], cols=["labour_status", "sex"], countries=["BLZ", "LCA", "SUR"],
         totals=True, subtotals=True),
    dict(dataset_id="residence_permits", rows=["nationality"], cols=["permit_type"], countries=["LCA", "BLZ"],
         totals=True),
]


@pytest.mark.parametrize("case", TABLES, ids=lambda c: c["dataset_id"] + ":" + "x".join(c["rows"] + c["cols"]))
def test_census_survey_and_count_tables_with_totals_and_subtotals_keep_their_protection(demo_wh, monkeypatch, case):
    problems, attacked = narrow_cells(xt.make_query(**case), demo_wh, monkeypatch)
    assert attacked, "the case should have suppressed cells"
    assert not problems, problems


def random_query(rng: random.Random, frames: dict[str, pl.DataFrame]) -> xt.CrosstabQuery:
    """A random table of values (no percentages, no means: the attacker works on what adds up), of up to three
    dimensions for one to three countries and one year (the size of a published table; the test runs in seconds)."""
    ds = rng.choice([d for d in datasets() if frames[d.id].height])
    df = frames[ds.id]
    dims = [d.name for d in ds.dimensions]
    rng.shuffle(dims)
    n_rows, n_cols = rng.randint(1, 2), rng.randint(0, 1)
    countries = sorted(c for c in df[ds.area_column].unique().to_list() if c)
    countries = rng.sample(countries, min(len(countries), rng.randint(1, 3)))
    years = sorted({int(str(p)[:4]) for p in df[ds.time_column].unique().to_list() if p is not None})
    first = rng.choice(years)
    measure = "weighted" if ds.is_microdata else "count"
    return xt.make_query(ds.id, dims[:n_rows], dims[n_rows:n_rows + n_cols], countries=countries, measure=measure,
                         years=(first, first), totals=rng.random() < 0.8,
                         subtotals=rng.random() < 0.5)


@pytest.fixture(scope="module")
def frames(demo_wh) -> dict[str, pl.DataFrame]:
    return {ds.id: demo_wh.frame(ds.id) for ds in datasets()}


@pytest.mark.parametrize("block", range(10))
def test_two_hundred_random_tables_keep_their_protection(demo_wh, frames, monkeypatch, block):
    attacked, failures = 0, []
    for seed in range(block * 20, block * 20 + 20):
        query = random_query(random.Random(seed), frames)
        problems, n = narrow_cells(query, demo_wh, monkeypatch)
        attacked += n
        failures += [f"seed {seed} {query}: {p}" for p in problems]
    assert not failures, failures[:5]


# -- one gate for every surface --------------------------------------------------------------------------------

def test_a_single_figure_under_the_rules_is_not_shown_on_any_surface():
    from vipmg_core import disclosure

    rule = quality.rules()
    assert disclosure.shown(dataset("returns"), rule.admin_min_count - 1) is None  # a headline, a point
    assert disclosure.shown(dataset("returns"), rule.admin_min_count) == rule.admin_min_count
    assert disclosure.shown(dataset("census"), 1234.5, n=rule.min_unweighted_n - 1) is None
    assert disclosure.shown(dataset("migrant_stock"), 1) == 1  # UN DESA's published estimates stay as published


def test_a_breakdown_beside_its_total_hides_a_small_part_with_a_complement():
    from vipmg_core import disclosure

    hidden = disclosure.gate_parts(dataset("residence_permits"), np.array([1.0, 50.0, 60.0, 7.0]))
    assert hidden[0] and hidden.sum() >= 2  # never one alone beside the total
    assert not disclosure.gate_parts(dataset("residence_permits"), np.array([10.0, 50.0])).any()


def test_the_home_figures_follow_the_same_small_count_rule(demo_wh, monkeypatch):
    from vipmg_core import headlines

    countries = ["CRI", "GTM", "HND", "PAN"]
    shown = headlines.headline_figures(demo_wh, countries, (2020, 2024))
    assert shown and all(fig.value is not None for fig in shown)
    # A threshold above every figure: each headline of counts is then hidden, as a cross-tab cell would be.
    strict = quality.Rules(admin_min_count=10**12)
    monkeypatch.setattr(quality, "rules", lambda path=None: strict)
    hidden = headlines.headline_figures(demo_wh, countries, (2020, 2024))
    for fig in hidden:
        if dataset(fig.dataset_id).source_type == "administrative":
            assert fig.value is None and fig.change is None


# -- the flow view beside the cross-tab of the same cells ----------------------------------------------------------

def same_cells(wh: Warehouse, result) -> xt.CrosstabQuery:
    """The cross-tab a user builds for the flows shown: origin by destination, the role's reading, the filters and
    the periods of the flows (as a filter on the time column)."""
    from vipmg_core import flows as fl

    ds, query = result.dataset, result.query
    spec = ds.flows[query.role]
    first, last = query.period
    read = [p for p in fl.periods(wh, ds.id, query.role) if first <= p <= last]
    filters = {column: (code,) for column, code in spec.when.items()} | dict(query.filters) | {ds.time_column: read}
    return xt.make_query(ds.id, [spec.origin], [spec.destination], filters=filters)


def flow_view_figures(result) -> list[tuple[list[tuple], float]]:
    """Every figure the flow view publishes (all flows, top=None), as the cells of the cross-tab it adds up."""
    pairs = list(zip(result.flows["origin"], result.flows["destination"]))
    figures = [([pair], value) for pair, value in zip(pairs, result.flows["value"].to_list()) if value is not None]
    for row in result.totals.iter_rows(named=True):
        for side, end in (("incoming", 1), ("outgoing", 0)):
            if row[side] is not None:
                figures.append(([pair for pair in pairs if pair[end] == row["country"]], row[side]))
    if result.matching_value is not None:
        figures.append((pairs, result.matching_value))
    return figures


@pytest.mark.parametrize(("dataset_id", "kwargs"), [("residence_permits", {"period": "2023"}), ("census", {}),
                                                    ("census", {"role": 1})])
def test_the_flow_view_and_the_crosstab_of_the_same_cells_together_keep_the_protection(
        demo_wh, monkeypatch, dataset_id, kwargs):
    from vipmg_core import flows as fl

    result = fl.flows(demo_wh, dataset_id, top=None, **kwargs)
    problems, attacked = narrow_cells(same_cells(demo_wh, result), demo_wh, monkeypatch, flow_view_figures(result))
    assert attacked, "the case should have suppressed cells"
    assert not problems, problems
