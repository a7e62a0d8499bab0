"""Catalogue page, driven headless with AppTest through the app's own navigation."""

import pytest

from vipmg_core.codelists import project_countries
from vipmg_core.datasets import dataset, datasets

from .conftest import open_page

CATALOGUE = "pages/catalogue.py"


@pytest.mark.parametrize("lang", ["es", "en"])
def test_catalogue_lists_every_dataset_with_its_unit(demo_dir, lang):
    at = open_page(CATALOGUE, {"lang": lang})
    assert at.title[0].value == ("Catálogo" if lang == "es" else "Catalogue")
    overview = at.dataframe[0].value
    assert len(overview) == len(datasets())
    assert set(overview.iloc[:, 0]) == {ds.title(lang) for ds in datasets()}


def test_admin_dataset_says_it_counts_events(demo_dir):
    at = open_page(CATALOGUE, {"lang": "en"})
    at.selectbox(key="ds").set_value("returns").run()
    assert at.header[0].value == "Returns"
    assert any("Counts events, not persons" in w.value for w in at.warning)


def test_coverage_grid_shows_all_twelve_project_countries(demo_dir):
    at = open_page(CATALOGUE, {"lang": "es"})
    at.selectbox(key="ds").set_value("survey").run()
    grid = at.dataframe[1].value
    names = set(grid.index)
    assert {dataset("survey").column("ref_area").codelist.name(c, "es") for c in project_countries()} <= names
    assert "Santa Lucía" in names


def test_variables_and_codelists_follow_the_declaration(demo_dir):
    at = open_page(CATALOGUE, {"lang": "es"})
    at.selectbox(key="ds").set_value("arrivals_departures").run()
    variables = at.dataframe[3].value
    assert list(variables.iloc[:, 0]) == dataset("arrivals_departures").column_names
    codes = at.selectbox(key="codes_arrivals_departures")
    assert any("Movimiento" in label for label in codes.options)  # every codelist offered, one grid at a time
    movement = next(i for i, label in enumerate(codes.options) if "Movimiento" in label)
    codes.set_value(movement).run()
    assert set(at.dataframe[4].value.iloc[:, 0]) == {c.code for c in dataset("arrivals_departures").column("flow").codelist}


def test_template_download_is_offered_for_the_chosen_dataset(demo_dir):
    # The file's content is checked in the browser test, where the download really happens.
    at = open_page(CATALOGUE, {"lang": "es"})
    at.selectbox(key="ds").set_value("census").run()
    button = at.get("download_button")[0]
    assert button.label == "Descargar plantilla CSV de Censo de población (muestra)"
    assert button.proto.url.endswith(".csv")
    # and its SDMX structure, in both formats (tests/test_sdmx.py loads them with sdmx1 and pysdmx)
    assert [b.label for b in at.get("download_button")[1:]] == ["Estructura SDMX-ML 2.1 (XML)",
                                                                 "Estructura SDMX-JSON 2.0"]
    assert any("VIPMG:DSD_CENSUS(1.0)" in c.value for c in at.caption)


def test_a_shared_link_reopens_the_chosen_dataset(demo_dir):
    at = open_page(CATALOGUE, {"lang": "en", "ds": "irregular_transit", "cty": "PAN,CRI"})
    assert at.header[0].value == "Irregular transit"


def test_a_broken_link_falls_back_to_defaults_without_an_error(demo_dir):
    at = open_page(params={"lang": "fr", "cty": "XXX,,", "yr": "abc", "src": "nope"})
    assert at.radio(key="lang").value == "es"
    assert len(at.multiselect(key="cty").value) == 12
