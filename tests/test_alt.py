"""Issue #20, item 4: every chart and map has a text alternative that carries its figures and says which points are
hidden, never what they would be."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import polars as pl
import pytest

from vipmg_core import charts, maps
from vipmg_core import crosstab as xt
from vipmg_core import flows as fl
from vipmg_core.codelists import country_name
from vipmg_core.i18n import fmt_number, t


def _census(demo_wh) -> xt.Crosstab:
    return xt.crosstab("census", ["country_of_birth"], ["sex"], countries=["MEX"], years=(2020, 2020),
                       warehouse=demo_wh)


def _true_weighted(demo_wh) -> dict[tuple[str, str], float]:
    """What each cell would be without suppression (the figures no description may give)."""
    fine = demo_wh.query("census", "SELECT country_of_birth AS b, sex AS s, SUM(weight) AS v FROM data "
                                   "WHERE ref_area = 'MEX' AND census_year = '2020' GROUP BY ALL")
    return {(b, s): v for b, s, v in fine.iter_rows()}


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_chart_description_carries_its_figures_and_names_the_hidden_points_without_their_values(demo_wh, lang):
    result = _census(demo_wh)
    fig = result.chart(lang, "bar")
    text = charts.describe(fig, lang)
    assert text.startswith(t("alt.chart", lang, title=result.measure_label(lang)).split(":")[0])
    cells = result.cells.filter((pl.col(xt.LEVEL_ROW) == 1) & (pl.col(xt.LEVEL_COL) == 1))
    truth = _true_weighted(demo_wh)
    for sex in ("F", "M"):
        part = cells.filter(pl.col("sex") == sex)
        shown = part.filter(pl.col("value").is_not_null())
        top = shown.sort("value", descending=True).row(0, named=True)
        low = shown.sort("value").row(0, named=True)
        # The highest and lowest values (every value, for a few bars), each beside its label, as drawn.
        for row in (top, low):
            name, value = country_name(row["country_of_birth"], lang), fmt_number(row["value"], lang)
            assert f"{name} ({value})" in text or f"{name}: {value}" in text
        hidden = part.filter(pl.col("value").is_null())
        assert hidden.height
        sex_name = xt.code_label(result.dataset, "sex", sex, lang)
        line = next(line for line in charts.describe_lines(fig, lang) if line.startswith(f"{sex_name}: {hidden.height} "))
        names = [country_name(code, lang) for code in hidden["country_of_birth"]]
        assert sum(name in line for name in names) == min(len(names), charts.alt.MAX_LABELS)
        for code, name in zip(hidden["country_of_birth"], names):
            assert not re.search(rf"{re.escape(name)}(: | \()\d", text)  # never a value beside a hidden point
            assert fmt_number(truth[(code, sex)], lang) not in text


def test_a_point_left_out_of_a_chart_is_said_hidden(demo_wh):
    result = fl.flows(demo_wh, "census", countries=["MEX"])
    hidden = result.flows.filter(pl.col("value").is_null())
    assert hidden.height
    text = charts.describe(fl.flows_chart(result, "en"), "en")
    assert f"{hidden.height} values hidden, not drawn" in text
    first = hidden.row(0, named=True)
    assert f"{country_name(first['origin'], 'en')} → {country_name(first['destination'], 'en')}" in text


def test_a_line_chart_says_where_it_starts_where_it_ends_and_which_way():
    fig = go.Figure([go.Scatter(x=[2020, 2021, 2022, 2023], y=[10.0, None, 30.0, 25.0], name="Returns")])
    fig.update_layout(title={"text": "Returns<br>by year"}, yaxis_title="Events")
    lines = charts.describe_lines(fig, "en")
    assert lines[0] == "Chart: Returns by year."
    assert "Values in: Events." in lines
    assert "Returns: rises from 10 (2020) to 25 (2023); highest 30 (2022)." in lines
    assert any(line.startswith("Returns: 1 values hidden") and line.endswith(": 2021.") for line in lines)
    es = charts.describe(fig, "es")
    assert "sube de 10 (2020) a 25 (2023)" in es and "1 valores ocultos" in es


def test_the_flow_map_description_names_the_largest_flows_and_counts_the_hidden_ones(demo_wh):
    result = fl.flows(demo_wh, "census", countries=["MEX"])
    lines = fl.describe_map(result, "es")
    drawn = result.flows.filter(pl.col("value").is_not_null())
    top = drawn.sort("value", descending=True).row(0, named=True)
    assert f"{country_name(top['origin'], 'es')} → {country_name(top['destination'], 'es')}: " \
           f"{fmt_number(top['value'], 'es')}" in " ".join(lines)
    hidden = result.flows["value"].is_null().sum()
    assert t("alt.flow_hidden", "es", count=hidden) in lines
    assert re.search(r"Mapa de flujos: \d+ flujos", lines[0])


def test_a_map_of_values_lists_the_countries_largest_first():
    lines = maps.describe_values({"CRI": 500.0, "MEX": 1200.0, "LCA": 80.0}, "en", "persons", "2024")
    assert lines[0] == "Map: one circle per country, its area proportional to persons (2024), in 3 countries."
    assert lines[1] == "From largest to smallest: Mexico: 1,200; Costa Rica: 500; Saint Lucia: 80."
