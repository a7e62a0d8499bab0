"""Flow map page, driven headless with AppTest through the app's own navigation."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from vipmg_core import flows as fl
from vipmg_core.datasets import dataset

from .conftest import open_page

FLOWMAP = "pages/flowmap.py"


def deck_spec(at: AppTest) -> dict:
    return json.loads(at.get("deck_gl_json_chart")[0].proto.json)


def flows_table(at: AppTest):
    return at.dataframe[0].value


def url(at: AppTest) -> dict[str, str]:
    return {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in (*at.caption, *at.warning, *at.info, *at.markdown))


@pytest.mark.parametrize("lang", ["es", "en"])
def test_flow_map_opens_with_map_table_chart_and_downloads_in_each_language(demo_dir, lang):
    at = open_page(FLOWMAP, {"lang": lang})
    assert at.title[0].value == ("Mapa de flujos" if lang == "es" else "Flow map")
    spec = deck_spec(at)
    assert [layer["id"] for layer in spec["layers"]] == ["countries", "flows", "totals"]
    assert spec["mapStyle"] == "__MAP_STYLE__" and "mapProvider" not in spec  # no basemap, nothing fetched
    assert "http" not in at.get("deck_gl_json_chart")[0].proto.json
    assert json.loads(at.get("deck_gl_json_chart")[0].proto.tooltip) == {"text": "{label}"}
    assert len(spec["layers"][1]["data"]) > 0
    assert len(flows_table(at)) == fl.DEFAULT_TOP
    assert at.get("plotly_chart")
    labels = [b.label for b in at.get("download_button")]
    assert labels == (["Descargar CSV", "Descargar Excel"] if lang == "es" else ["Download CSV", "Download Excel"])


@pytest.mark.parametrize("dataset_id", [ds.id for ds in fl.flow_datasets()])
def test_every_dataset_with_an_origin_and_destination_draws_its_flows(demo_dir, demo_wh, dataset_id):
    ds = dataset(dataset_id)
    for role in range(len(ds.flows)):
        at = open_page(FLOWMAP, {"lang": "en", "fds": dataset_id, "frl": str(role)})
        assert at.selectbox(key="fds").value == dataset_id and at.selectbox(key="frl").value == str(role)
        assert at.selectbox(key="frl").format_func(str(role)) == fl.role_label(ds, role, "en")
        if not demo_wh.releases(dataset_id):  # declared, but only real imports fill it
            assert any("There is no published data" in i.value for i in at.info)
            continue
        assert len(deck_spec(at)["layers"][1]["data"]) > 0
        unit = "events" if ds.counts_events else "persons"
        assert f"Value ({unit})" in flows_table(at).columns
        badge = "Counts events, not persons" if ds.counts_events else "Counts persons"
        assert any(badge in str(e.value) for e in (*at.warning, *at.info))


def test_the_table_shows_the_same_numbers_as_the_python_api(demo_dir, demo_wh):
    at = open_page(FLOWMAP, {"lang": "en", "fds": "migrant_stock", "fct": "CRI", "fdir": "in", "ftop": "10"})
    api = fl.flows(demo_wh, "migrant_stock", countries=["CRI"], direction="in", top=10)
    table = flows_table(at)
    assert table["Value (persons)"].tolist() == api.flows["value"].to_list()
    assert set(table["Destination"]) == {"Costa Rica"}
    arcs = deck_spec(at)["layers"][1]["data"]
    assert {(a["origin"], a["destination"]) for a in arcs} <= set(zip(api.flows["origin"], api.flows["destination"]))


def test_a_shared_link_reopens_every_choice(demo_dir, demo_wh):
    link = {"lang": "es", "fds": "arrivals_departures", "frl": "1", "fct": "PAN,CRI", "fdir": "between",
            "fper": "2023-01/2023-06", "ftop": "5", "f_sex": "F"}
    at = open_page(FLOWMAP, link)
    assert at.selectbox(key="fds").value == "arrivals_departures"
    assert at.selectbox(key="frl").value == "1"
    assert at.multiselect(key="fct").value == ["PAN", "CRI"]
    assert at.radio(key="fdir").value == "between"
    assert at.select_slider(key="ftop").value == 5
    assert at.multiselect(key="f_sex").value == ["F"]
    assert at.radio(key="_fper_mode").value == "range"
    assert at.select_slider(key="_fper_range").value == ("2023-01", "2023-06")
    api = fl.flows(demo_wh, "arrivals_departures", role=1, countries=["PAN", "CRI"], direction="between",
                   period="2023-01/2023-06", filters={"sex": ["F"]}, top=5)
    assert flows_table(at)["Valor (eventos)"].tolist() == api.flows["value"].to_list()
    kept = {k: v for k, v in link.items() if k not in ("lang", "fds")}  # defaults are left out of the link
    assert {k: v for k, v in url(at).items() if k in kept} == kept


def test_choices_go_into_the_link_as_codes(demo_dir):
    at = open_page(FLOWMAP, {"lang": "en"})
    at.selectbox(key="fds").set_value("returns").run()
    at.multiselect(key="fct").set_value(["GTM"]).run()
    at.radio(key="fdir").set_value("in").run()
    at.select_slider(key="_fper_one").set_value("2023-07").run()  # stepping through time, one month
    at.multiselect(key="f_sex").set_value(["M"]).run()
    assert not at.exception
    params = url(at)
    assert params["fds"] == "returns" and params["fct"] == "GTM" and params["fdir"] == "in" and params["f_sex"] == "M"
    assert params["fper"] == "2023-07"
    assert set(flows_table(at)["Period"]) == {"2023-07"}
    assert set(flows_table(at)["Destination"]) == {"Guatemala"}


def test_a_new_dataset_starts_from_its_own_latest_period_and_filters(demo_dir, demo_wh):
    at = open_page(FLOWMAP, {"lang": "en", "fds": "returns", "fper": "2022-03", "f_transport": "AIR"})
    assert at.select_slider(key="_fper_one").value == "2022-03"
    at.selectbox(key="fds").set_value("census").run()
    assert not at.exception
    assert at.radio(key="_fper_mode").value == "range"  # each census country's latest round
    assert at.select_slider(key="_fper_range").value == fl.default_period(demo_wh, "census")
    params = url(at)
    assert "fper" not in params and "f_transport" not in params


def test_a_broken_link_falls_back_to_defaults_without_an_error(demo_dir):
    at = open_page(FLOWMAP, {"fds": "survey", "frl": "9", "fct": "XXX", "fdir": "up", "fper": "1800", "ftop": "7",
                             "f_sex": "Q"})
    assert at.selectbox(key="fds").value == fl.flow_datasets()[0].id
    assert at.radio(key="fdir").value == "both" and at.select_slider(key="ftop").value == fl.DEFAULT_TOP
    assert len(deck_spec(at)["layers"][1]["data"]) > 0


def test_an_emptied_country_selection_in_a_link_means_every_flow(demo_dir, demo_wh):
    at = open_page(FLOWMAP, {"lang": "en", "fds": "irregular_transit", "fct": "*", "ftop": "100"})
    assert at.multiselect(key="fct").value == []
    every = fl.flows(demo_wh, "irregular_transit", top=100)
    assert len(flows_table(at)) == every.flows.height
    assert url(at)["fct"] == "*"


def test_a_selection_without_flows_says_so(demo_dir):
    at = open_page(FLOWMAP, {"lang": "en", "fds": "returns", "fct": "USA", "fdir": "in"})
    assert any("There are no flows for this selection" in i.value for i in at.info)
    assert not at.get("deck_gl_json_chart")


def test_unknown_origins_are_listed_but_said_not_drawn(demo_dir):
    at = open_page(FLOWMAP, {"lang": "en", "fds": "arrivals_departures", "fct": "CRI", "fdir": "in"})
    assert "Other countries / unknown" in set(flows_table(at)["Origin"])
    assert "are not drawn" in texts(at)


def test_census_flows_show_the_sample_count_and_hide_small_samples(demo_dir):
    at = open_page(FLOWMAP, {"lang": "en", "fds": "census", "frl": "1", "fct": "CRI"})
    table = flows_table(at)
    assert "Sample records (n)" in table.columns
    shown = table["Sample records (n)"].dropna()
    assert (shown >= 30).all()  # a weighted flow from fewer records is hidden, its n with it
    texts = [str(e.value) for e in (*at.warning, *at.info, *at.caption, *at.markdown)]
    assert any("fewer than 30 sample records" in text for text in texts)
