"""The cross-tab engine against an independent pandas computation on the demo warehouse, and its API."""

from __future__ import annotations

import io
import math
import random

import numpy as np
import openpyxl
import pandas as pd
import polars as pl
import pytest

from vipmg_core import crosstab as xt
from vipmg_core import quality, rules, sdmx
from vipmg_core.crosstab import LEVEL_COL, LEVEL_ROW, MISSING, TOTAL, View, crosstab
from vipmg_core.datasets import dataset, datasets
from vipmg_core.exports import excel_bytes

# Rules that flag nothing, so every cell can be compared with the reference.
OPEN_RULES = quality.Rules(cv_reliable_max=1e9, cv_caution_max=1e9, min_unweighted_n=0, admin_min_count=0)
POLARS = xt.Engine(dense=False)  # the cube re-aggregated with Polars instead of NumPy


@pytest.fixture
def open_rules(monkeypatch):
    monkeypatch.setattr(quality, "rules", lambda path=None: OPEN_RULES)


@pytest.fixture(scope="module")
def frames(demo_wh):
    return {ds.id: demo_wh.frame(ds.id).to_pandas() for ds in datasets()}


def reference(df: pd.DataFrame, query: xt.CrosstabQuery) -> dict[tuple, tuple[float, int]]:
    """(cell key with "_T" for totalled dimensions) -> (value, unweighted n), computed with pandas alone."""
    ds = dataset(query.dataset_id)
    keep = pd.Series(True, index=df.index)
    if query.countries:
        keep &= df[ds.area_column].isin(query.countries)
    if query.years:
        year = df[ds.time_column].astype(str).str[:4].astype(int)
        keep &= year.between(*query.years)
    for name, values in query.filters:
        keep &= df[name].fillna(MISSING).isin(values)
    data = df[keep].copy()
    if data.empty:
        return {}
    if ds.unit == "persons" and ds.time_column not in query.dims:
        # A stock is never added up over periods: each reporting area at its latest period chosen.
        period = data[ds.time_column].astype(str)
        data = data[period == period.groupby(data[ds.area_column]).transform("max")].copy()
    for name in query.dims:
        data[name] = data[name].fillna(MISSING).astype(str)
    if query.mean_of:
        v = data[query.mean_of].astype(float)
        data["_y"] = data[ds.weight] * v
        data["_x"] = data[ds.weight].where(v.notna(), 0.0)
        data["_n"] = v.notna().astype(int)
    else:
        if not ds.is_microdata:
            data["_y"] = data[ds.measure.name].astype(float)
        elif query.measure == "weighted":
            data["_y"] = data[ds.weight].astype(float)
        else:
            data["_y"] = 1.0
        data["_x"] = 0.0
        data["_n"] = 1

    def sums(keys: list[str]) -> pd.DataFrame:
        if keys:
            return data.groupby(keys, dropna=False)[["_y", "_x", "_n"]].sum()
        return pd.DataFrame([data[["_y", "_x", "_n"]].sum()], index=pd.Index([()]))

    out: dict[tuple, tuple[float, int]] = {}
    rows, cols = list(query.rows), list(query.cols)
    for rk in range(len(rows) + 1):
        for ck in range(len(cols) + 1):
            keys = rows[:rk] + cols[:ck]
            table = sums(keys)
            if query.percent:
                den_keys = {"row": rows[:rk], "col": cols[:ck], "total": []}[query.percent]
                den = sums(den_keys)
            for key, rec in table.iterrows():
                key = key if isinstance(key, tuple) else (key,)
                if query.mean_of and rec["_n"] == 0:
                    continue  # no value of the variable: not a cell of a mean
                values = dict(zip(keys, key))
                full = tuple(values.get(d, TOTAL) for d in query.dims)
                if query.mean_of:
                    value = rec["_y"] / rec["_x"] if rec["_x"] else math.nan
                else:
                    value = rec["_y"]
                if query.percent:
                    den_key = tuple(values[d] for d in den_keys)
                    den_rec = den.loc[den_key if len(den_key) != 1 else den_key[0]] if den_keys else den.iloc[0]
                    value = 100 * rec["_y"] / den_rec["_y"]
                out[full] = (value, int(rec["_n"]))
    return out


def engine(xtab: xt.Crosstab) -> dict[tuple, tuple[float, int | None]]:
    q = xtab.query
    return {tuple(r[d] for d in q.dims): (r["value"], r["n"]) for r in xtab.cells.iter_rows(named=True)}


def random_query(rng: random.Random, frames) -> xt.CrosstabQuery:
    ds = rng.choice([d for d in datasets() if len(frames[d.id])])
    df = frames[ds.id]
    dims = [d.name for d in ds.dimensions]
    rng.shuffle(dims)
    n_rows, n_cols = rng.randint(1, 2), rng.randint(0, 2)
    rows, cols = dims[:n_rows], dims[n_rows:n_rows + n_cols]
    filters = {}
    rest = dims[n_rows + n_cols:]
    if rest and rng.random() < 0.6:
        name = rng.choice(rest)
        present = sorted(df[name].fillna(MISSING).astype(str).unique())
        filters[name] = rng.sample(present, max(1, len(present) // 2))
    countries = sorted(df[ds.area_column].dropna().unique())
    countries = rng.sample(countries, rng.randint(2, 5)) if rng.random() < 0.7 else []
    years = df[ds.time_column].astype(str).str[:4].astype(int)
    span = (int(years.min()), int(years.max()))
    if rng.random() < 0.5:
        low = rng.randint(*span)
        span = (low, rng.randint(low, span[1]))
    measure = rng.choice(xt.measures(ds))
    percent = None if measure.startswith("mean:") else rng.choice([None, "row", "col", "total"])
    return xt.make_query(ds.id, rows, cols, filters=filters, countries=countries, years=span, measure=measure,
                         percent=percent, totals=rng.random() < 0.7, subtotals=rng.random() < 0.5)


@pytest.mark.parametrize("seed", range(24))
def test_every_cell_equals_an_independent_pandas_computation(demo_wh, frames, open_rules, seed):
    # Each of the three ways of computing takes a third of the seeds: the cube re-aggregated with NumPy, the
    # cube re-aggregated with Polars, and a GROUP BY over the Parquet files.
    how = xt.Engine(dense=seed % 3 == 0, cube=seed % 3 != 2)
    query = random_query(random.Random(seed), frames)
    result = xt.compute(query, demo_wh, how)
    expected = reference(frames[query.dataset_id], query)
    got = engine(result)
    assert set(got) == set(expected), query
    for key, (value, n) in expected.items():
        g_value, g_n = got[key]
        if math.isnan(value):
            assert g_value is None or math.isnan(g_value)
        else:
            assert g_value == pytest.approx(value, rel=1e-9, abs=1e-9), (query, key)
        if dataset(query.dataset_id).is_microdata:
            assert g_n == n, (query, key)


def _same_cells(a: pl.DataFrame, b: pl.DataFrame) -> None:
    assert a.columns == b.columns and a.height == b.height
    for name in a.columns:
        if a[name].dtype == pl.Float64:
            assert a[name].is_null().equals(b[name].is_null()), name
            # A CV (in %) of a mean whose values are all alike is 0 up to rounding, computed two ways.
            np.testing.assert_allclose(a[name].fill_null(0).to_numpy(), b[name].fill_null(0).to_numpy(),
                                       rtol=1e-9, atol=1e-6 if name == "cv" else 1e-9, err_msg=name)
        else:
            assert a[name].equals(b[name]), name


@pytest.mark.parametrize("seed", range(100, 116))
def test_numpy_and_polars_reaggregation_give_the_same_cells_flags_and_suppression(demo_wh, frames, seed):
    query = random_query(random.Random(seed), frames)
    fast = xt.compute(query, demo_wh).cells
    _same_cells(fast, xt.compute(query, demo_wh, POLARS).cells)


SURVEY_CASES = [
    dict(rows=["ref_area", "sex"], cols=["labour_status"], percent="row"),
    dict(rows=["time_period", "ref_area"], cols=[], percent="col", countries=["GTM", "HND", "SLV"]),
    dict(rows=["migrant_status"], cols=["ref_area", "education"], percent="total", subtotals=True),
    dict(rows=["age_group"], cols=["ref_area", "education"], measure="mean:age"),
    dict(rows=["education"], cols=["sex"], filters={"migrant_status": ["FOREIGN_BORN"]}, percent="row"),
]


@pytest.mark.parametrize("case", SURVEY_CASES, ids=lambda c: "x".join(c["rows"] + c["cols"]))
def test_survey_variance_one_country_at_a_time_equals_the_polars_path(demo_wh, case):
    query = xt.make_query("survey", **case)
    fast = xt.compute(query, demo_wh).cells
    _same_cells(fast, xt.compute(query, demo_wh, POLARS).cells)


def test_numpy_path_protects_a_census_table_like_the_polars_path(demo_wh):
    query = xt.make_query("census", ["sex", "age_group"], ["education", "urban_rural"], countries=["GTM", "HND", "SLV"],
                          measure="weighted", totals=True, subtotals=True)
    result = xt.compute(query, demo_wh)
    fast = result.cells
    assert result.complementary > 0, "the case should need complementary cells"
    assert set(fast["conf"]) == {"F", "C"}  # which hidden cells are complements is not published
    _same_cells(fast, xt.compute(query, demo_wh, POLARS).cells)


ROLLUP_CASES = [
    dict(dataset_id="census", rows=["sex", "age_group"], cols=["education", "urban_rural"],
         countries=["GTM", "HND", "SLV"], measure="weighted", totals=True, subtotals=True),
    dict(dataset_id="census", rows=["age_group"], cols=["ref_area"], measure="mean:age", filters={"sex": ["F"]}),
    dict(dataset_id="survey", rows=["ref_area", "sex"], cols=["education"], percent="row", totals=True),
]


@pytest.mark.parametrize("case", ROLLUP_CASES, ids=lambda c: c["dataset_id"] + ":" + "x".join(c["rows"] + c["cols"]))
def test_the_roll_up_without_many_label_dimensions_gives_the_same_cells(demo_wh, monkeypatch, case):
    from vipmg_core.crosstab import cube as cubes

    # The demo data is too small for the roll-up to halve the cube's rows: keep it anyway.
    monkeypatch.setattr(cubes, "ROLLUP_MAX_SHARE", 1.0)
    cubes.clear()
    try:
        query = xt.make_query(**case)
        ds = dataset(query.dataset_id)
        cube = cubes.cube(demo_wh, ds, rules.design(ds))
        rollup = cube.covering(query.dims)
        assert rollup is cube.rollup and rollup.height < cube.height
        assert "country_of_birth" not in rollup.codes and cube.covering(["country_of_birth"]) is cube
        fast = xt.compute(query, demo_wh).cells
        _same_cells(fast, xt.compute(query, demo_wh, POLARS).cells)
    finally:
        cubes.clear()


def test_a_table_too_large_for_a_dense_grid_is_computed_the_polars_way(demo_wh):
    query = xt.make_query("survey", ["ref_area", "sex"], ["labour_status"], percent="row")
    dense = xt.compute(query, demo_wh).cells
    _same_cells(dense, xt.compute(query, demo_wh, xt.Engine(dense_max_values=10)).cells)


def test_weighted_census_table_equals_pandas_pivot_table_with_margins(demo_wh, frames, open_rules):
    countries = ["GTM", "HND", "SLV"]
    result = crosstab("census", ["ref_area", "sex"], ["urban_rural", "labour_status"], countries=countries,
                      measure="weighted", totals=True, warehouse=demo_wh)
    df = frames["census"][frames["census"]["ref_area"].isin(countries)]
    # Census rounds are never added up: each country's latest round, and the table says which.
    df = df[df["census_year"] == df.groupby("ref_area")["census_year"].transform("max")]
    assert [area for area, _ in result.latest] == countries
    pivot = df.pivot_table(index=["ref_area", "sex"], columns=["urban_rural", "labour_status"], values="weight",
                           aggfunc="sum", margins=True, margins_name=TOTAL)
    got = engine(result)
    for (area, sex), row in pivot.iterrows():
        for (area_type, labour), value in row.items():
            if (area == TOTAL) != (sex == TOTAL) or (area_type == TOTAL) != (labour == TOTAL) or pd.isna(value):
                continue
            key = (area, TOTAL if area == TOTAL else sex, area_type, TOTAL if area_type == TOTAL else labour)
            assert got[key][0] == pytest.approx(value, rel=1e-12)


def test_totals_and_subtotals_switch_independently(demo_wh):
    base = dict(countries=["GTM", "HND"], years=(2024, 2024), warehouse=demo_wh)
    rows, cols = ["ref_area", "sex"], ["labour_status"]
    plain = crosstab("survey", rows, cols, totals=False, subtotals=False, **base).shown_cells()
    assert (plain[LEVEL_ROW] == 2).all() and (plain[LEVEL_COL] == 1).all()
    sub = crosstab("survey", rows, cols, totals=False, subtotals=True, **base).shown_cells()
    assert set(sub[LEVEL_ROW]) == {1, 2} and set(sub[LEVEL_COL]) == {1}
    both = crosstab("survey", rows, cols, totals=True, subtotals=True, **base).shown_cells()
    assert set(both[LEVEL_ROW]) == {0, 1, 2} and set(both[LEVEL_COL]) == {0, 1}
    # A subtotal row comes right after the rows it adds up, the grand total last.
    order = both.filter(pl.col(LEVEL_COL) == 0).select("ref_area", "sex").rows()
    assert order[-1] == (TOTAL, TOTAL)
    assert order.index(("GTM", TOTAL)) == max(i for i, r in enumerate(order) if r[0] == "GTM")


def test_percent_of_row_adds_up_to_one_hundred_from_the_data_not_from_rounded_cells(demo_wh, open_rules):
    result = crosstab("returns", ["ref_area"], ["transport"], percent="row", totals=True, warehouse=demo_wh)
    leaf = result.cells.filter((pl.col(LEVEL_ROW) == 1) & (pl.col(LEVEL_COL) == 1))
    sums = leaf.group_by("ref_area").agg(pl.col("value").sum())
    assert sums["value"].to_list() == pytest.approx([100.0] * sums.height)
    totals = result.cells.filter(pl.col(LEVEL_COL) == 0)
    assert totals["value"].to_list() == pytest.approx([100.0] * totals.height)


def test_admin_tables_say_they_count_events_everywhere(demo_wh):
    result = crosstab("arrivals_departures", ["ref_area"], ["flow"], warehouse=demo_wh)
    for lang in ("es", "en"):
        badge = {"es": "Cuenta eventos, no personas", "en": "Counts events, not persons"}[lang]
        assert badge in result.unit_label(lang)
        assert badge.lower() in result.chart(lang).layout.title.text.lower()
        meta = dict(result.export_meta(lang).rows())
        assert any(badge in v for v in meta.values())
    sdmx_data = pl.read_csv(io.BytesIO(sdmx.data_csv(result)))
    assert set(sdmx_data["UNIT_MEASURE"]) == {"EVENTS"}
    census = crosstab("census", ["ref_area"], warehouse=demo_wh)
    assert "Counts persons" in census.unit_label("en")


def test_names_follow_the_language_and_codes_are_available(demo_wh):
    result = crosstab("census", ["country_of_birth"], ["sex"], countries=["CRI"], warehouse=demo_wh)
    es = result.table("es").numeric
    en = result.table("en", View(codes=True)).numeric
    assert "Nicaragua" in es["País de nacimiento"].to_list()
    assert {"Mujeres", "Hombres", "Total"} <= set(es.columns)
    assert {"Female (F)", "Male (M)", "Total"} <= set(en.columns)
    assert "Nicaragua (NIC)" in en["Country of birth"].to_list()
    assert es.height == en.height


def test_top_n_keeps_the_largest_row_groups_and_the_total(demo_wh):
    result = crosstab("returns", ["returned_from"], ["sex"], totals=True, warehouse=demo_wh)
    table = result.table("en", View(top_n=2, sort="value")).numeric
    labels = table["Returned from"].to_list()
    assert labels == ["United States", "Mexico", "Total"]
    assert result.row_groups() > 2
    grand = result.cells.filter((pl.col(LEVEL_ROW) == 0) & (pl.col(LEVEL_COL) == 0))["value"][0]
    assert table["Total"].to_list()[-1] == grand  # the total still counts every row group


def test_mean_age_by_sex_is_a_weighted_mean(demo_wh, frames, open_rules):
    result = crosstab("census", ["sex"], measure="mean:age", countries=["PAN"], warehouse=demo_wh)
    df = frames["census"].query("ref_area == 'PAN'")
    df = df[df["census_year"] == df["census_year"].max()]  # the latest round: rounds never pool
    for sex in ("F", "M"):
        part = df[df["sex"] == sex]
        expected = np.average(part["age"], weights=part["weight"])
        got = result.cells.filter(pl.col("sex") == sex)["value"][0]
        assert got == pytest.approx(expected)


@pytest.mark.parametrize("kwargs, key", [
    (dict(dataset_id="census", rows=["nationality"]), "crosstab.error.dimension"),
    (dict(dataset_id="census", rows=["sex"], cols=["sex"]), "crosstab.error.twice"),
    (dict(dataset_id="returns", rows=["sex"], measure="weighted"), "crosstab.error.measure"),
    (dict(dataset_id="census", rows=["sex"], measure="mean:age", percent="row"), "crosstab.error.percent_mean"),
    (dict(dataset_id="census", rows=["sex"], percent="diagonal"), "crosstab.error.percent"),
    (dict(dataset_id="census", rows=[]), "crosstab.error.no_rows"),
    (dict(dataset_id="nope", rows=["sex"]), "crosstab.error.dataset"),
    (dict(dataset_id="census", rows=["sex"], years=(2024, 2000)), "crosstab.error.years"),
])
def test_bad_requests_get_a_message_in_each_language(kwargs, key):
    with pytest.raises(xt.CrosstabError) as info:
        xt.make_query(**kwargs)
    assert info.value.key == key
    assert info.value.message("es") != info.value.message("en")


def test_filter_values_are_parameters_not_sql(demo_wh):
    hostile = "F') OR 1=1 --"
    result = crosstab("census", ["sex"], filters={"sex": [hostile]}, warehouse=demo_wh)
    assert result.cells.is_empty() or result.cells["n"].sum() == 0


def test_excel_keeps_the_on_screen_layout_with_a_metadata_sheet(demo_wh):
    result = crosstab("survey", ["ref_area"], ["migrant_status"], countries=["GTM", "HND"], years=(2024, 2024),
                      warehouse=demo_wh)
    view = View(quality=True)
    frame = result.export_frame("en", view)
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes(frame, result.export_meta("en", view))))
    data, meta = book.worksheets
    header = [c.value for c in data[1]]
    assert header == list(result.table("en", view).numeric.columns)
    cells = {c.value for row in data.iter_rows(min_row=2) for c in row}
    assert "x" in cells  # suppressed cells are the symbol, not the number
    info = {row[0].value: row[1].value for row in meta.iter_rows(min_row=2)}
    assert "Synthetic demo data" in info["Warning"]
    assert "ultimate-cluster" in info["Method"]
    assert any(k.startswith("Symbol x") for k in info)
    assert info["Filter: Survey country"] == "Guatemala (GTM), Honduras (HND)"


def test_line_chart_puts_time_on_the_x_axis_and_leaves_hidden_cells_out(demo_wh):
    result = crosstab("returns", ["sex"], ["time_period"], countries=["GTM"], years=(2024, 2024), warehouse=demo_wh)
    fig = result.chart("en", "line")
    assert {trace.type for trace in fig.data} == {"scatter"}
    assert {trace.name for trace in fig.data} == {"Female", "Male"}
    assert list(fig.data[0].x) == [f"2024-{m:02d}" for m in range(1, 13)]
    bars = crosstab("returns", ["ref_area"], ["minor_status"], warehouse=demo_wh).chart("es", "stacked")
    assert bars.layout.barmode == "stack"
    assert "cuenta eventos, no personas" in bars.layout.title.text.lower()
