"""Issue #20, item 5: no unweighted n beside a cell hidden for small n (or as its complement), on any surface.

For a census the sample records are the persons counted: a cell's n is the count itself, so an n of 1 or 3 beside
a hidden cell gives the hidden figure away, and a table of sample records ("count") must hide its small counts
like any count, with complements that its totals cannot undo.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import polars as pl
import pytest

from vipmg_core import crosstab as xt
from vipmg_core import disclosure, quality
from vipmg_core.cli import main
from vipmg_core.i18n import t

CENSUS = {"dataset_id": "census", "rows": ["country_of_birth"], "cols": ["sex"], "countries": ["MEX"],
          "years": (2020, 2020)}


def _table(demo_wh, measure: str, percent: str | None = None, engine: xt.Engine = xt.FASTEST) -> xt.Crosstab:
    return xt.crosstab(CENSUS["dataset_id"], CENSUS["rows"], CENSUS["cols"], countries=CENSUS["countries"],
                       years=CENSUS["years"], measure=measure, percent=percent, warehouse=demo_wh, engine=engine)


def _true_counts(demo_wh) -> dict[tuple[str, str], int]:
    """The sample records of every cell and total, read from the data (what the attacker wants to learn)."""
    fine = demo_wh.query("census", "SELECT country_of_birth AS b, sex AS s, COUNT(*) AS n FROM data "
                                   "WHERE ref_area = 'MEX' AND census_year = '2020' GROUP BY ALL")
    counts: dict[tuple[str, str], int] = {}
    for b, s, n in fine.iter_rows():
        for key in ((b, s), (b, "_T"), ("_T", s), ("_T", "_T")):
            counts[key] = counts.get(key, 0) + int(n)
    return counts


def test_public_n_is_never_given_beside_a_hidden_figure():
    assert disclosure.public_n(3, hidden=True) is None
    assert disclosure.public_n(1, hidden=True) is None
    assert disclosure.public_n(412, hidden=False) == 412
    frame = pl.DataFrame({"n": [1, 3, 400], "hidden": [True, None, False]})
    assert frame.select(disclosure.public_n_expr(pl.col("n"), pl.col("hidden")).alias("n"))["n"].to_list() == [None, None, 400]


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("measure,percent", [("weighted", None), ("weighted", "row"), ("count", None),
                                             ("count", "col"), ("mean:age", None)])
def test_no_census_cell_hidden_for_small_n_carries_its_n(demo_wh, dense, measure, percent):
    result = _table(demo_wh, measure, percent, xt.Engine(dense=dense))
    cells = result.cells
    hidden = cells.filter(pl.col("conf") != quality.CONF_FREE)
    assert hidden.height, "the census demo has small cells in this table: the test must see some hidden"
    assert hidden["n"].null_count() == hidden.height
    assert hidden["value"].null_count() == hidden.height
    shown = cells.filter(pl.col("conf") == quality.CONF_FREE)
    # Nothing shown rests on fewer sample records than the rule asks (as a value, or as the n beside one).
    assert shown.filter(pl.col("n") < quality.rules().min_unweighted_n).is_empty()
    if measure == "count" and percent is None:
        assert shown.filter(pl.col("value") < quality.rules().min_unweighted_n).is_empty()


def test_a_table_of_sample_records_hides_the_small_counts_the_weighted_table_hides(demo_wh):
    counts = _true_counts(demo_wh)
    small = {key for key, n in counts.items() if 0 < n < quality.rules().min_unweighted_n}
    assert any(n in (1, 2, 3) for key, n in counts.items() if key in small)  # the n of 1 and 3
    cells = _table(demo_wh, "count").cells.filter(pl.col(xt.LEVEL_ROW) == 1)
    shown = {(b, s): v for b, s, v in cells.select("country_of_birth", "sex", "value").iter_rows()
             if v is not None}
    assert not small & set(shown), "a small count of sample records is published as the value"


def test_the_page_table_the_download_and_the_sdmx_show_no_n_beside_a_hidden_value(demo_wh):
    result = _table(demo_wh, "weighted")
    view = xt.View(quality=True)
    table = result.table("en", view)
    assert table.n_columns
    symbol = result.rules.symbol_suppressed
    for value_col, n_col in zip(table.value_columns, table.n_columns):
        pairs = list(zip(table.display[value_col].to_list(), table.display[n_col].to_list()))
        hidden_pairs = [(v, n) for v, n in pairs if v == symbol]
        assert hidden_pairs
        assert all(n == result.rules.symbol_empty for _, n in hidden_pairs)
    frame = result.export_frame("en", view)
    for value_col, n_col in zip(table.value_columns, table.n_columns):
        for value, n in zip(frame[value_col], frame[n_col]):
            if value == symbol:
                assert n == result.rules.symbol_empty
    sdmx = result.long(view)
    assert sdmx.filter(pl.col("OBS_VALUE").is_null() & pl.col("N_UNWEIGHTED").is_not_null()).is_empty()


def test_the_cli_prints_no_n_beside_a_hidden_value(demo_wh, capsys, tmp_path):
    out = tmp_path / "census.csv"
    code = main(["crosstab", "census", "--rows", "country_of_birth", "--cols", "sex", "--countries", "MEX",
                 "--years", "2020-2020", "--quality", "--format", "csv", "--lang", "en", "--out", str(out)])
    capsys.readouterr()
    assert code == 0
    text = out.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO("\n".join(l for l in text.splitlines() if not l.startswith("#")))))
    header, body = rows[0], rows[1:]
    n_cols = [i for i, name in enumerate(header) if name.endswith("· n")]
    assert n_cols
    hidden = 0
    for row in body:
        for i in n_cols:
            if row[i - 1] == "x":
                hidden += 1
                assert row[i] == "–", f"{row[0]}: n {row[i]} beside a hidden value"
    assert hidden


def _lines(cells: pl.DataFrame) -> tuple[list[tuple[str, str]], list[quality.Constraint]]:
    """The published table's equations, written out as the attacker would: each row and column total is the sum
    of its cells (origin by sex, with totals)."""
    keys = list(zip(cells["country_of_birth"], cells["sex"]))
    index = {key: i for i, key in enumerate(keys)}
    births = sorted({b for b, _ in keys if b != "_T"})
    sexes = sorted({s for _, s in keys if s != "_T"})
    lines = []
    for b in [*births, "_T"]:
        kids = [index[(b, s)] for s in sexes if (b, s) in index]
        if (b, "_T") in index and kids:
            lines.append(quality.Constraint(index[(b, "_T")], np.array(kids)))
    for s in [*sexes, "_T"]:
        kids = [index[(b, s)] for b in births if (b, s) in index]
        if ("_T", s) in index and kids:
            lines.append(quality.Constraint(index[("_T", s)], np.array(kids)))
    return keys, lines


@pytest.mark.parametrize("measure", ["count", "weighted"])
def test_an_attacker_cannot_read_a_hidden_count_from_the_n_published(demo_wh, measure):
    """Everything published about the records (the count table's values, or the n beside each weighted figure,
    totals included) and the table's sums: no hidden small count can be pinned within the count protection."""
    counts = _true_counts(demo_wh)
    cells = _table(demo_wh, measure).cells
    keys, lines = _lines(cells)
    truth = np.array([counts.get(key, 0) for key in keys], dtype=float)
    hidden = (cells["conf"] != quality.CONF_FREE).to_numpy()
    published_n = cells["value" if measure == "count" else "n"].to_list()
    for key, n, hide, true in zip(keys, published_n, hidden, truth):
        if not hide:
            assert n == true, f"{key}: the test reads the truth wrong"
    primary = (truth > 0) & (truth < quality.rules().min_unweighted_n)
    assert (primary & hidden).any()
    assert not (primary & ~hidden).any()
    # A hidden total of hidden parts is at least their number (each at least 1): the attacker knows it, and the
    # rules ask no protection below it (standard/quality.toml).
    protection = quality.structural_floor(quality.count_protection(truth), quality.Lines.of(lines))
    confined, _ = quality.audit(hidden, primary, lines, protection)
    assert confined == []
    # Both tables together (the count table's values and the n beside the weighted figures): only what both hide
    # stays unknown, and that still protects every small count.
    other = _table(demo_wh, "weighted" if measure == "count" else "count").cells
    assert list(zip(other["country_of_birth"], other["sex"])) == keys
    both = hidden & (other["conf"] != quality.CONF_FREE).to_numpy()
    assert not (primary & ~both).any()
    assert quality.audit(both, primary, lines, protection)[0] == []
    # The attack reads a small count hidden alone (no complement) from its row's total: it can fail.
    lone = np.zeros(len(keys), bool)
    lone[int(np.flatnonzero(primary)[0])] = True
    assert quality.audit(lone, lone, lines, protection)[0] == [int(np.flatnonzero(lone)[0])]


def test_a_profile_shows_no_n_beside_its_hidden_census_and_survey_figures(demo_wh):
    """The profile's pyramid (a census), its conditions (a survey), their table and the chart's hover."""
    from vipmg_core import charts
    from vipmg_core import profiles as pr

    pyramid = pr.pyramid(demo_wh, ["MEX"], pr.Period())
    hidden = pyramid.cells.filter(pl.col("flag") == quality.SUPPRESSED)
    assert hidden.height and hidden["n"].null_count() == hidden.height
    cond = pr.conditions(demo_wh, ["MEX"], pr.Period())
    hidden = cond.cells.filter(pl.col("flag") == quality.SUPPRESSED)
    assert hidden.height and hidden["n"].null_count() == hidden.height
    table = pr.conditions_table(cond, "en")
    quality_col, n_col = t("profiles.col.quality", "en"), t("profiles.col.n", "en")
    suppressed = table[table[quality_col] == t("profiles.flag.suppressed", "en")]
    assert len(suppressed) and suppressed[n_col].isna().all()
    fig = charts.condition_chart(cond, "labour_status", "en", "Mexico")
    for trace in fig.data:
        for (text, _, n) in trace.customdata:
            assert n is None or text != "x"
