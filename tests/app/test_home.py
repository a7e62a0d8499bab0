"""Home page, driven headless with Streamlit's AppTest, in both languages."""

import json

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

HOME = "../../Home.py"


@pytest.fixture
def app(demo_dir) -> AppTest:
    return AppTest.from_file(HOME, default_timeout=60)


def _texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.header, *at.subheader, *at.markdown, *at.caption, *at.warning,
                               *at.info)]
    return "\n".join(str(p) for p in parts)


def test_home_opens_in_spanish_with_figures_a_map_and_the_synthetic_notice(app: AppTest):
    at = app.run()
    assert not at.exception
    assert at.title[0].value == "VIPMG Data Lab"
    labels = [m.label for m in at.metric]
    assert "Población inmigrante" in labels and "Entradas registradas" in labels
    assert any("Datos sintéticos" in w.value for w in at.warning)
    assert "Cuenta eventos, no personas" in _texts(at)


def test_home_in_english_from_the_link(app: AppTest):
    app.query_params["lang"] = "en"
    at = app.run()
    assert not at.exception
    assert "Immigrant population" in [m.label for m in at.metric]
    assert any("Synthetic demo data" in w.value for w in at.warning)
    assert "Headline figures" in _texts(at)


def test_switching_language_changes_the_texts(app: AppTest):
    at = app.run()
    at.radio(key="lang").set_value("en").run()
    assert "Recorded arrivals" in [m.label for m in at.metric]
    at.radio(key="lang").set_value("es").run()
    assert "Entradas registradas" in [m.label for m in at.metric]


def test_the_map_is_drawn_offline_from_our_own_polygons(app: AppTest):
    at = app.run()
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert spec.get("mapStyle") == "__MAP_STYLE__" and "mapProvider" not in spec  # what requests no tiles
    layer_ids = [layer["id"] for layer in spec["layers"]]
    assert layer_ids == ["countries", "bubbles"]
    assert len(spec["layers"][1]["data"]) >= 12  # a circle for every project country


def test_headline_equals_an_independent_count_over_the_exported_data(app: AppTest, demo_wh, tmp_path):
    at = app.run()
    at.multiselect(key="cty").set_value(["CRI", "PAN"]).run()
    assert not at.exception
    demo_wh.export("arrivals_departures", "parquet", tmp_path / "ad.parquet")
    data = pl.read_parquet(tmp_path / "ad.parquet")
    last_year = data["time_period"].str.slice(0, 4).max()
    expected = data.filter(pl.col("ref_area").is_in(["CRI", "PAN"]), pl.col("flow") == "ARR",
                           pl.col("time_period").str.starts_with(last_year))["obs_value"].sum()
    arrivals = next(m for m in at.metric if m.label == "Entradas registradas")
    assert int(arrivals.value.replace("\u202f", "")) == expected


def test_narrowing_the_years_moves_the_headline_period(app: AppTest):
    at = app.run()
    low, high = at.slider(key="yr").value
    at.slider(key="yr").set_value((low, high - 1)).run()
    assert not at.exception
    captions = _texts(at)
    assert f"· {high - 1}" in captions
