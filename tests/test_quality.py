"""Sampling variance, CV, flags and suppression: a hand-computed example, the svy survey package on the demo
survey, and a linear-algebra check that no suppressed cell can be worked out from what a table shows."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from vipmg_core import crosstab as xt
from vipmg_core import quality
from vipmg_core.crosstab import LEVEL_COL, LEVEL_ROW, TOTAL, crosstab
from vipmg_core.datasets import dataset
from vipmg_core.quality import CAUTION, RELIABLE, SUPPRESSED, Constraint
from vipmg_core.quality.recovery import _determined
from vipmg_core.warehouse import Provenance, Warehouse

OPEN_RULES = quality.Rules(cv_reliable_max=1e9, cv_caution_max=1e9, min_unweighted_n=0, admin_min_count=0)


@pytest.fixture
def open_rules(monkeypatch):
    monkeypatch.setattr(quality, "rules", lambda path=None: OPEN_RULES)


def _publish(root: Path, dataset_id: str, rows: dict) -> Warehouse:
    ds = dataset(dataset_id)
    n = len(next(iter(rows.values())))
    defaults = {"code": "_U", "period": "2024", "string": "x", "number": 1.0, "integer": 30, "count": 1}
    frame = pl.DataFrame({c.name: rows.get(c.name, [defaults[c.type]] * n) for c in ds.columns})
    wh = Warehouse(root)
    wh.publish(dataset_id, [frame], scope="test", provenance=Provenance("test", synthetic=True), actor="test")
    return wh


# --- a survey small enough to compute by hand ------------------------------------------------------------

# Stratum A has PSUs a1, a2, a3; stratum B has b1, b2. Weights and sex per person:
HAND = {
    "strata": ["A", "A", "A", "A", "A", "B", "B", "B"],
    "psu": ["a1", "a1", "a2", "a3", "a3", "b1", "b1", "b2"],
    "sex": ["F", "M", "F", "M", "F", "F", "F", "M"],
    "weight": [10.0, 10.0, 20.0, 30.0, 10.0, 5.0, 5.0, 40.0],
    "age": [30, 40, 20, 50, 60, 10, 20, 30],
}


@pytest.fixture
def hand_wh(tmp_path) -> Warehouse:
    n = len(HAND["psu"])
    return _publish(tmp_path, "survey", {**HAND, "ref_area": ["GTM"] * n, "time_period": ["2024"] * n,
                                         "household_id": HAND["psu"]})


def test_survey_total_variance_equals_the_hand_computation(hand_wh, open_rules):
    # Women: PSU totals A = (10, 20, 10), B = (10, 0): the PSU b2 has no woman and counts with a zero total.
    # A: mean 40/3, squares 100/9 + 400/9 + 100/9 = 600/9, times n/(n-1) = 3/2 -> 100
    # B: mean 5, squares 25 + 25 = 50, times 2/1 -> 100.  Variance 200; total 50; CV = sqrt(200)/50 = 28.28 %
    result = crosstab("survey", ["sex"], warehouse=hand_wh)
    women = result.cells.filter(pl.col("sex") == "F").row(0, named=True)
    assert women["value"] == pytest.approx(50.0)
    assert women["n"] == 5
    assert women["cv"] == pytest.approx(100 * math.sqrt(200) / 50)
    everyone = result.cells.filter(pl.col("sex") == TOTAL).row(0, named=True)
    # All: A = (20, 20, 40) -> mean 80/3, squares 2400/9, times 3/2 -> 400; B = (10, 40) -> 450, times 2 -> 900
    assert everyone["value"] == pytest.approx(130.0)
    assert everyone["cv"] == pytest.approx(100 * math.sqrt(400 + 900) / 130)


def test_survey_share_variance_is_linearised_by_hand(hand_wh, open_rules):
    # Share of women R = 50/130. Linearised PSU values d = y - R x, y = women, x = everyone.
    y = {"A": [10, 20, 10], "B": [10, 0]}
    x = {"A": [20, 20, 40], "B": [10, 40]}
    r = 50 / 130
    variance = 0.0
    for h in y:
        d = np.array(y[h]) - r * np.array(x[h])
        variance += len(d) / (len(d) - 1) * ((d - d.mean()) ** 2).sum()
    variance /= 130 ** 2
    result = crosstab("survey", ["ref_area"], ["sex"], percent="row", warehouse=hand_wh)
    women = result.cells.filter((pl.col("sex") == "F") & (pl.col("ref_area") == "GTM")).row(0, named=True)
    assert women["value"] == pytest.approx(100 * r)
    assert women["cv"] == pytest.approx(100 * math.sqrt(variance) / r)
    assert women["cv"] == pytest.approx(52.915, abs=0.001)


def test_census_cv_is_the_simple_random_sampling_approximation(tmp_path, open_rules):
    # One census round, four records: women's weighted total 30 = 10 + 20; z = (10, 20, 0, 0), mean 7.5,
    # squares 6.25 + 156.25 + 56.25 + 56.25 = 275, times n/(n-1) = 4/3 -> 366.67; CV = sqrt(366.67)/30.
    wh = _publish(tmp_path, "census", {"ref_area": ["PAN"] * 4, "census_year": ["2023"] * 4,
                                       "weight": [10.0, 20.0, 30.0, 40.0], "sex": ["F", "F", "M", "M"]})
    result = crosstab("census", ["sex"], warehouse=wh)
    women = result.cells.filter(pl.col("sex") == "F").row(0, named=True)
    assert women["value"] == 30
    assert women["cv"] == pytest.approx(100 * math.sqrt(275 * 4 / 3) / 30)
    assert "APPROXIMATE" in result.method_note("en") and "APROXIMADO" in result.method_note("es")


# --- against an established survey package ----------------------------------------------------------------

@pytest.fixture(scope="module")
def svy():
    return pytest.importorskip("svy")  # requirements-dev.txt pins it; only these comparisons need it


@pytest.fixture(scope="module")
def survey_sample(demo_wh, svy):
    frame = demo_wh.query("survey", "SELECT * FROM data WHERE ref_area IN ('GTM', 'HND', 'SLV')"
                                    " AND time_period IN ('2023', '2024')")
    frame = frame.with_columns(pl.concat_str(["ref_area", "time_period", "strata"], separator="|").alias("stratum"),
                               pl.lit(1.0).alias("one"))
    return svy.Sample(frame, svy.Design(stratum="stratum", psu="psu", wgt="weight", wr=True))


SURVEY = dict(countries=["GTM", "HND", "SLV"], years=(2023, 2024), pool=True)  # two years pooled on purpose


def _by(frame: pl.DataFrame, keys: list[str]) -> dict:
    return {tuple(r[k] for k in keys): r for r in frame.iter_rows(named=True)}


def test_totals_and_cvs_by_domain_match_svy(demo_wh, survey_sample, open_rules):
    ref = _by(survey_sample.estimation.total("one", by=["sex", "migrant_status"]).to_polars(),
              ["sex", "migrant_status"])
    result = crosstab("survey", ["sex"], ["migrant_status"], warehouse=demo_wh, **SURVEY)
    leaf = result.cells.filter((pl.col(LEVEL_ROW) == 1) & (pl.col(LEVEL_COL) == 1))
    assert leaf.height == len(ref)
    for row in leaf.iter_rows(named=True):
        expected = ref[(row["sex"], row["migrant_status"])]
        assert row["value"] == pytest.approx(expected["est"], rel=1e-9)
        assert row["cv"] == pytest.approx(100 * expected["cv"], rel=1e-6)


def test_row_percentages_match_svy_proportions(demo_wh, survey_sample, open_rules):
    ref = _by(survey_sample.estimation.prop("labour_status", by="sex").to_polars(), ["sex", "labour_status"])
    result = crosstab("survey", ["sex"], ["labour_status"], percent="row", warehouse=demo_wh, **SURVEY)
    leaf = result.cells.filter((pl.col(LEVEL_ROW) == 1) & (pl.col(LEVEL_COL) == 1))
    for row in leaf.iter_rows(named=True):
        expected = ref[(row["sex"], row["labour_status"])]
        assert row["value"] == pytest.approx(100 * expected["est"], rel=1e-9)
        assert row["cv"] == pytest.approx(100 * expected["cv"], rel=1e-6)


def test_column_percentages_and_means_match_svy(demo_wh, survey_sample, open_rules):
    ref = _by(survey_sample.estimation.prop("sex", by="education").to_polars(), ["education", "sex"])
    result = crosstab("survey", ["sex"], ["education"], percent="col", warehouse=demo_wh, **SURVEY)
    leaf = result.cells.filter((pl.col(LEVEL_ROW) == 1) & (pl.col(LEVEL_COL) == 1))
    for row in leaf.iter_rows(named=True):
        expected = ref[(row["education"], row["sex"])]
        assert row["cv"] == pytest.approx(100 * expected["cv"], rel=1e-6)
    means = _by(survey_sample.estimation.mean("age", by="labour_status").to_polars(), ["labour_status"])
    result = crosstab("survey", ["labour_status"], measure="mean:age", warehouse=demo_wh, **SURVEY)
    for row in result.cells.filter(pl.col(LEVEL_ROW) == 1).iter_rows(named=True):
        assert row["value"] == pytest.approx(means[(row["labour_status"],)]["est"], rel=1e-9)
        assert row["cv"] == pytest.approx(100 * means[(row["labour_status"],)]["cv"], rel=1e-6)


def test_census_approximation_matches_svy_with_each_record_as_its_own_psu(demo_wh, svy, open_rules):
    frame = demo_wh.query("census", "SELECT * FROM data WHERE ref_area IN ('BLZ', 'LCA')").with_row_index("rid")
    frame = frame.with_columns(pl.concat_str(["ref_area", "census_year"], separator="|").alias("stratum"),
                               pl.col("rid").cast(pl.String), pl.lit(1.0).alias("one"))
    sample = svy.Sample(frame, svy.Design(stratum="stratum", psu="rid", wgt="weight", wr=True))
    ref = _by(sample.estimation.total("one", by="education").to_polars(), ["education"])
    result = crosstab("census", ["education"], countries=["BLZ", "LCA"], pool=True, warehouse=demo_wh)
    for row in result.cells.filter(pl.col(LEVEL_ROW) == 1).iter_rows(named=True):
        assert row["cv"] == pytest.approx(100 * ref[(row["education"],)]["cv"], rel=1e-6)


# --- flags and rules ----------------------------------------------------------------------------------------

def test_flags_follow_the_published_bands():
    frame = pl.DataFrame({"cv": [5.0, 15.0, 15.01, 30.0, 30.01, 5.0, None], "n": [100, 100, 100, 100, 100, 29, 100]})
    flags = frame.select(quality.estimate_flag(pl.col("cv"), pl.col("n"), quality.Rules()).alias("f"))["f"].to_list()
    assert flags == [RELIABLE, RELIABLE, CAUTION, CAUTION, SUPPRESSED, SUPPRESSED, SUPPRESSED]


def test_thresholds_come_from_one_file(tmp_path):
    shipped = quality.rules()
    assert (shipped.cv_reliable_max, shipped.cv_caution_max, shipped.min_unweighted_n) == (15.0, 30.0, 30)
    custom = tmp_path / "quality.toml"
    custom.write_text("[estimates]\ncv_reliable_max = 16.5\ncv_caution_max = 33.3\nmin_unweighted_n = 50\n"
                      "[admin]\nmin_count = 0\n")
    rules = quality.rules(custom)
    assert (rules.cv_reliable_max, rules.cv_caution_max, rules.min_unweighted_n, rules.admin_min_count) == (
        16.5, 33.3, 50, 0)
    bad = tmp_path / "bad.toml"
    bad.write_text("[estimates]\ncv_reliable_max = 40\ncv_caution_max = 30\n")
    with pytest.raises(ValueError):
        quality.rules(bad)


def test_admin_small_count_rule_is_configurable(demo_wh, monkeypatch):
    args = dict(dataset_id="returns", rows=["ref_area"], cols=["age_group"], warehouse=demo_wh)
    strict = quality.Rules(admin_min_count=50)
    monkeypatch.setattr(quality, "rules", lambda path=None: strict)
    hidden = crosstab(**args).cells.filter(pl.col("flag") == SUPPRESSED)
    assert hidden.height > 0 and hidden["value"].is_null().all()
    monkeypatch.setattr(quality, "rules", lambda path=None: quality.Rules(admin_min_count=0))
    assert crosstab(**args).cells.filter(pl.col("flag") == SUPPRESSED).is_empty()


# --- complementary suppression ----------------------------------------------------------------------------

def _grid(n_rows: int, n_cols: int) -> tuple[dict, list[Constraint]]:
    """A table with row and column totals; cell ids by (row, col), -1 standing for the total."""
    ids = {}
    for r in [*range(n_rows), -1]:
        for c in [*range(n_cols), -1]:
            ids[(r, c)] = len(ids)
    cons = [Constraint(ids[(r, -1)], np.array([ids[(r, c)] for c in range(n_cols)])) for r in [*range(n_rows), -1]]
    cons += [Constraint(ids[(-1, c)], np.array([ids[(r, c)] for r in range(n_rows)])) for c in [*range(n_cols), -1]]
    return ids, cons


def test_a_cell_bridging_two_protected_blocks_is_caught_by_the_exact_check():
    ids, cons = _grid(4, 4)
    hidden = np.zeros(len(ids), bool)
    # Two 2x2 blocks (each safe) joined by one more cell: every line has 0 or >= 2 hidden cells, yet the
    # joining cell is the sum of rows 0-1 minus columns 0-1 of the hidden cells, so it can be worked out.
    for cell in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (0, 2)]:
        hidden[ids[cell]] = True
    assert quality.recoverable(hidden, cons) == [ids[(0, 2)]]
    protected = quality.protect(np.arange(len(ids), dtype=float) + 1, hidden, cons)
    assert not quality.recoverable(protected, cons)
    assert protected[hidden].all()


def test_a_hidden_cell_in_no_equation_cannot_be_worked_out():
    ids, cons = _grid(2, 2)
    hidden = np.zeros(len(ids) + 1, bool)
    hidden[[ids[(0, 0)], ids[(0, 1)], ids[(1, 0)], ids[(1, 1)], len(ids)]] = True  # the last cell is in no line
    assert quality.recoverable(hidden, cons) == []


def test_a_lone_suppressed_cell_gets_complementary_cells_in_its_row_and_column():
    ids, cons = _grid(3, 3)
    values = np.array([50, 40, 2, 0, 60, 30, 20, 0, 10, 25, 35, 0, 0, 0, 0, 0], float)[:len(ids)]
    primary = np.zeros(len(ids), bool)
    primary[ids[(0, 2)]] = True
    hidden = quality.protect(values, primary, cons)
    assert hidden.sum() >= 4  # at least a 2x2 rectangle
    assert not quality.recoverable(hidden, cons)


@pytest.mark.parametrize("weighted", [False, True], ids=["counts", "weighted"])
def test_the_exact_check_finds_the_same_determined_cells_as_a_rank_test(weighted):
    # Random hidden patterns in a 4x5 table with totals; a mean's lines weigh each cell (here over six orders of
    # magnitude). A hidden cell is determined iff adding its unit vector to the equations does not raise the rank.
    rng = np.random.default_rng(7)
    ids, cons = _grid(4, 5)
    seen = set()
    for _ in range(60):
        cells = np.flatnonzero(rng.random(len(ids)) < 0.45)
        weight = 10.0 ** rng.uniform(0, 6, size=len(ids)) if weighted else np.ones(len(ids))
        matrix = np.array([[weight[c] * (-1 if c == con.parent else c in con.children) for c in cells] for con in cons])
        matrix = matrix[np.abs(matrix).sum(axis=1) > 0]
        rank = np.linalg.matrix_rank(matrix)
        unit = np.eye(len(cells))
        expected = [np.linalg.matrix_rank(np.vstack([matrix, unit[j]])) == rank for j in range(len(cells))]
        assert _determined(matrix).tolist() == expected
        seen |= set(expected)
    assert seen == {True, False}


def _independent_equations(cells: pl.DataFrame, query: xt.CrosstabQuery) -> list[list[int]]:
    """Every "total = sum of its parts" line of the table, found from the codes alone (parent first)."""
    rows = cells.with_row_index("i").to_dicts()
    index = {tuple(r[d] for d in query.dims): r["i"] for r in rows}
    lines = []
    for side in (query.rows, query.cols):
        for k, dim in enumerate(side):
            for r in rows:
                key = {d: r[d] for d in query.dims}
                # a parent along `dim`: dim totalled, the dimensions after it on this side totalled too
                if key[dim] != TOTAL or (k > 0 and key[side[k - 1]] == TOTAL):
                    continue
                children = [i for code_key, i in index.items()
                            if all(code_key[j] == key[d] for j, d in enumerate(query.dims) if d != dim)
                            and code_key[query.dims.index(dim)] != TOTAL]
                if children:
                    lines.append([r["i"], *children])
    return lines


def _recoverable_by_rank(hidden: np.ndarray, lines: list[list[int]]) -> list[int]:
    idx = list(np.flatnonzero(hidden))
    if not idx:
        return []
    pos = {c: j for j, c in enumerate(idx)}
    matrix = np.zeros((len(lines), len(idx)))
    for r, (parent, *children) in enumerate(lines):
        if hidden[parent]:
            matrix[r, pos[parent]] -= 1
        for c in children:
            if hidden[c]:
                matrix[r, pos[c]] += 1
    rank = np.linalg.matrix_rank(matrix)
    exposed = []
    for j, cell in enumerate(idx):
        unit = np.zeros((1, len(idx)))
        unit[0, j] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:  # the cell is a combination of the lines
            exposed.append(int(cell))
    return exposed


SUPPRESSION_CASES = [
    dict(dataset_id="survey", rows=["ref_area", "migrant_status"], cols=["sex"], years=(2024, 2024)),
    dict(dataset_id="survey", rows=["education"], cols=["labour_status", "sex"], countries=["BLZ", "LCA", "SUR"]),
    dict(dataset_id="census", rows=["country_of_birth"], cols=["age_group"], countries=["CRI"]),
    dict(dataset_id="returns", rows=["ref_area", "transport"], cols=["minor_status"]),
    dict(dataset_id="residence_permits", rows=["nationality"], cols=["permit_type"], countries=["LCA", "BLZ"]),
]


@pytest.mark.parametrize("case", SUPPRESSION_CASES, ids=lambda c: c["dataset_id"] + ":" + "x".join(c["rows"]))
def test_no_suppressed_cell_can_be_recovered_from_the_totals(demo_wh, case):
    result = crosstab(**case, totals=True, subtotals=True, warehouse=demo_wh)
    cells = result.cells
    hidden = (cells["flag"] == SUPPRESSED).to_numpy()
    assert hidden.any(), "the case should exercise suppression"
    assert cells.filter(pl.col("flag") == SUPPRESSED)["value"].is_null().all()
    assert not _recoverable_by_rank(hidden, _independent_equations(cells, result.query))


@pytest.mark.parametrize("percent", ["row", "col", "total"])
def test_a_share_is_hidden_when_its_cell_or_its_denominator_is(demo_wh, percent):
    case = SUPPRESSION_CASES[0]
    values = crosstab(**case, totals=True, warehouse=demo_wh).cells
    shares = crosstab(**case, totals=True, percent=percent, warehouse=demo_wh).cells
    keys = list(values.columns[:3])
    joined = values.join(shares, on=[*keys, LEVEL_ROW, LEVEL_COL], suffix="_pct")
    assert joined.filter(pl.col("flag") == SUPPRESSED)["value_pct"].is_null().all()
    # and the denominator: a hidden row total hides every share of that row
    if percent == "row":
        hidden_rows = joined.filter((pl.col(LEVEL_COL) == 0) & (pl.col("flag") == SUPPRESSED)).select(keys[:2])
        in_hidden_rows = joined.join(hidden_rows, on=keys[:2])
        assert in_hidden_rows["value_pct"].is_null().all()


def test_suppression_does_not_depend_on_which_totals_are_shown(demo_wh):
    case = SUPPRESSION_CASES[3]
    on = crosstab(**case, totals=True, subtotals=True, warehouse=demo_wh).cells
    off = crosstab(**case, totals=False, subtotals=False, warehouse=demo_wh).cells
    assert on.equals(off)  # all levels are computed and protected either way; the toggles only choose what to show
