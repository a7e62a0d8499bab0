"""Cross-tab page, driven headless with AppTest through the app's own navigation."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from vipmg_core.i18n import t

from .conftest import open_page

CROSSTAB = "pages/crosstab.py"


def params_of(at: AppTest) -> dict[str, str]:
    return {k: (v[0] if isinstance(v, list) else v) for k, v in dict(at.query_params).items()}


@pytest.mark.parametrize("lang", ["es", "en"])
def test_page_opens_with_a_table_and_a_chart_in_each_language(demo_dir, lang):
    at = open_page(CROSSTAB, {"lang": lang})
    assert at.title[0].value == t("page.crosstab", lang)
    table = at.dataframe[0].value
    assert len(table) > 3 and t("crosstab.total", lang) in table.iloc[:, 0].tolist()
    assert at.get("plotly_chart")
    assert len(at.get("download_button")) == 3


def test_admin_source_is_labelled_as_events_next_to_the_table_and_the_chart(demo_dir):
    at = open_page(CROSSTAB, {"lang": "en", "xds": "returns"})
    badges = [w.value for w in at.warning if "Counts events, not persons" in w.value]
    assert len(badges) == 2  # one beside the table, one beside the chart
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert "counts events, not persons" in spec["layout"]["title"]["text"].lower()


def test_choices_go_to_the_url_as_codes_and_a_link_reopens_the_same_table(demo_dir):
    at = open_page(CROSSTAB, {"lang": "en"})
    at.selectbox(key="xds").set_value("survey").run()
    at.multiselect(key="xr").set_value(["ref_area", "sex"]).run()
    at.multiselect(key="xc").set_value(["labour_status"]).run()
    at.radio(key="xp").set_value("col").run()
    at.toggle(key="xt").set_value(False).run()
    at.toggle(key="xs").set_value(True).run()
    at.multiselect(key="xf_migrant_status").set_value(["NATIVE"]).run()
    at.toggle(key="xh").set_value(True).run()
    at.toggle(key="xq").set_value(True).run()
    at.radio(key="xo").set_value("value").run()
    at.radio(key="xg").set_value("stacked").run()
    assert not at.exception
    params = params_of(at)
    assert params["xds"] == "survey" and params["xr"] == "ref_area,sex" and params["xc"] == "labour_status"
    assert params["xf_migrant_status"] == "NATIVE" and params["xp"] == "col" and params["xt"] == "0"
    shown = at.dataframe[0].value

    other = open_page(CROSSTAB, params)  # a new session, as another person opening the shared link
    assert other.multiselect(key="xr").value == ["ref_area", "sex"]
    assert other.radio(key="xp").value == "col" and other.toggle(key="xt").value is False
    assert other.multiselect(key="xf_migrant_status").value == ["NATIVE"]
    assert other.radio(key="xg").value == "stacked" and other.toggle(key="xh").value is True
    assert other.dataframe[0].value.equals(shown)


def test_the_same_link_reopens_in_the_other_language_with_translated_names(demo_dir):
    params = {"xds": "census", "xr": "country_of_birth", "xc": "sex", "cty": "CRI"}
    es = open_page(CROSSTAB, {**params, "lang": "es"}).dataframe[0].value
    en = open_page(CROSSTAB, {**params, "lang": "en"}).dataframe[0].value
    assert "Nicaragua" in es.iloc[:, 0].tolist() and "Estados Unidos" in es.iloc[:, 0].tolist()
    assert "United States" in en.iloc[:, 0].tolist()
    assert list(es.columns[1:]) == ["Mujeres", "Hombres", "Total"]
    assert list(en.columns[1:]) == ["Female", "Male", "Total"]
    assert es.shape == en.shape


def test_swap_puts_rows_on_columns_and_back(demo_dir):
    at = open_page(CROSSTAB, {"lang": "en", "xds": "census", "xr": "ref_area", "xc": "sex"})
    at.button[0].click().run()
    assert at.multiselect(key="xr").value == ["sex"] and at.multiselect(key="xc").value == ["ref_area"]
    assert params_of(at)["xr"] == "sex"
    assert list(at.dataframe[0].value.iloc[:, 0]) == ["Female", "Male", "Total"]
    assert at.dataframe[0].value.columns[1] == "Belize"


def test_survey_table_shows_suppressed_cells_with_a_symbol_and_a_footnote(demo_dir):
    at = open_page(CROSSTAB, {"lang": "en", "xds": "survey", "xr": "ref_area,migrant_status", "xc": "sex",
                              "yr": "2024-2024", "xq": "1"})
    table = at.dataframe[0].value
    shown = set(table.iloc[:, 2:].to_numpy().ravel())
    assert "x" in shown  # a hidden number is its symbol: the number itself never reaches the browser
    assert any(str(v).endswith(" *") for v in shown)
    captions = " ".join(c.value for c in at.caption)
    assert "ultimate-cluster" in captions
    assert "`x` — Suppressed" in captions and "`*` — Use with caution" in captions
    assert any(c.endswith("· n") for c in table.columns) and any(c.endswith("· CV %") for c in table.columns)


def test_a_broken_link_falls_back_to_defaults_without_an_error(demo_dir):
    at = open_page(CROSSTAB, {"lang": "en", "xds": "nope", "xr": "zzz,,", "xc": "sex,sex", "xm": "mean:nothing",
                              "xp": "diagonal", "xt": "maybe", "xn": "-3", "xf_sex": "Q"})
    assert at.selectbox(key="xds").value == "arrivals_departures"
    assert at.multiselect(key="xr").value == ["ref_area"]
    assert len(at.dataframe) == 1
    assert not at.error


def test_mean_disables_percentages_and_says_what_it_averages(demo_dir):
    at = open_page(CROSSTAB, {"lang": "en", "xds": "census", "xm": "mean:age", "xp": "row"})
    assert at.radio(key="xp").disabled
    assert at.subheader[0].value.startswith("Weighted mean of Age")
