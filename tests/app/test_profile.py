"""Profile and comparison pages, driven headless with AppTest through the app's own navigation."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from vipmg_core import compare as cp
from vipmg_core import profiles as pr
from vipmg_core.codelists import country_name, project_countries
from vipmg_core.i18n import t

from .conftest import open_page

PROFILE, COMPARE = "pages/profile.py", "pages/compare.py"
TIMEOUT = 120  # a profile draws many charts; each run may take long on two shared cores


def url(at: AppTest) -> dict[str, str]:
    return {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in (*at.caption, *at.warning, *at.info, *at.markdown, *at.subheader))


def assert_profile_shown(at: AppTest, demo_wh, code: str, lang: str) -> None:
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    assert at.title[0].value == t("page.profile", lang)
    assert at.header[0].value == pr.area(code).name(lang)
    expected = pr.profile(demo_wh, code, pr.Period(None, 2024))
    shown = {m.label: m.value for m in at.metric}
    assert shown == {pr.figure_label(f.key, lang): pr.figure_value(f, lang) for f in expected.figures}
    captions = texts(at)
    assert t("unit.events_badge", lang) in captions and t("unit.persons_badge", lang) in captions
    assert f"({t('profiles.demo', lang)})" in captions
    assert len(at.get("plotly_chart")) >= 6 and len(at.get("deck_gl_json_chart")) == 1
    assert [b.label for b in at.get("download_button")][0] == t("profiles.download_html", lang)


def test_every_country_profile_renders_and_the_language_switches_on_the_way(demo_dir, demo_wh):
    """Every country once, alternating the language (every text is checked in both languages elsewhere; each
    profile's figures are the same in either): a switch keeps the chosen country."""
    at = open_page(PROFILE, {"lang": "es"}, timeout=TIMEOUT)
    for i, code in enumerate(project_countries()):
        lang = ("es", "en")[i % 2]
        at.selectbox(key="pc").set_value(code).run()
        if at.radio(key="lang").value != lang:
            at.radio(key="lang").set_value(lang).run()
            assert at.selectbox(key="pc").value == code
        assert_profile_shown(at, demo_wh, code, lang)
        assert url(at)["pc"] == code


def test_a_shared_link_reopens_the_country_and_the_pooled_years(demo_dir):
    at = open_page(PROFILE, {"lang": "en", "pc": "GTM", "ppool": "1"}, timeout=TIMEOUT)
    assert at.selectbox(key="pc").value == "GTM" and at.select_slider(key="ppool").value == 1
    assert "Labour status (aged 15 and over), 2024 — Guatemala" in {
        json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")}
    assert url(at)["pc"] == "GTM" and url(at)["ppool"] == "1"


def test_a_broken_link_falls_back_to_the_first_chosen_country(demo_dir):
    at = open_page(PROFILE, {"pc": "XXX", "ppool": "9"}, timeout=TIMEOUT)
    assert at.selectbox(key="pc").value == project_countries()[0]
    assert at.select_slider(key="ppool").value == pr.DEFAULT_POOL


def test_the_region_profile_says_what_it_does_not_add_up(demo_dir, demo_wh):
    at = open_page(PROFILE, {"lang": "en", "pc": pr.REGION}, timeout=TIMEOUT)
    assert_profile_shown(at, demo_wh, pr.REGION, "en")
    assert "Recorded irregular transits: not added across countries" in texts(at)


def test_charts_keep_plotlys_png_download_and_say_their_source(demo_dir):
    at = open_page(PROFILE, {"lang": "es", "pc": "CRI"}, timeout=TIMEOUT)
    for chart in at.get("plotly_chart"):
        config = json.loads(chart.proto.config)
        assert config["displaylogo"] is False and config["toImageButtonOptions"]["format"] == "png"
        assert "modeBarButtonsToRemove" not in config
        subtitle = json.loads(chart.proto.spec)["layout"]["title"]["subtitle"]["text"]
        assert subtitle.startswith("Fuente: ") and "(datos de demostración)" in subtitle


def test_the_flow_map_is_drawn_offline(demo_dir):
    at = open_page(PROFILE, {"lang": "en", "pc": "CRI"}, timeout=TIMEOUT)
    deck = at.get("deck_gl_json_chart")[0].proto
    spec = json.loads(deck.json)
    assert spec["mapStyle"] == "__MAP_STYLE__" and "mapProvider" not in spec and "http" not in deck.json
    assert len(spec["layers"][1]["data"]) > 0


def test_the_comparison_shows_bars_map_table_and_caveats(demo_dir, demo_wh):
    at = open_page(COMPARE, {"lang": "en", "ci": "arrivals", "cc": "CRI,PAN,NIC,LCA"}, timeout=TIMEOUT)
    assert at.title[0].value == "Regional comparison"
    bars, chart_map = (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
    expected = cp.compare(demo_wh, "arrivals", ["CRI", "PAN", "NIC", "LCA"], pr.Period(None, 2024))
    assert sorted(bars["data"][0]["x"]) == sorted(expected.rows["value"].to_list())
    assert chart_map["layout"]["map"]["style"] == "white-bg"  # no tiles, no style fetched
    assert [d["type"] for d in chart_map["data"]] == ["choroplethmap", "choroplethmap", "scattermap"]  # LCA: a dot
    assert "http" not in json.dumps(chart_map)
    table = at.dataframe[0].value
    assert list(table["Country"]) == [country_name(c, "en") for c in ["CRI", "PAN", "NIC", "LCA"]]
    assert list(table["Value (events)"]) == expected.rows["value"].to_list()
    assert "Definitions of border post and resident differ between countries." in texts(at)
    assert [b.label for b in at.get("download_button")] == ["Download CSV", "Download Excel"]
    assert url(at)["ci"] == "arrivals" and url(at)["cc"] == "CRI,PAN,NIC,LCA"


def test_choices_on_the_comparison_go_into_the_link_as_codes(demo_dir):
    at = open_page(COMPARE, {"lang": "es"}, timeout=TIMEOUT)
    at.selectbox(key="ci").set_value(pr.SHARE_KEY).run()
    at.multiselect(key="cc").set_value(["MEX", "GTM"]).run()
    assert not at.exception
    assert url(at)["ci"] == pr.SHARE_KEY and url(at)["cc"] == "MEX,GTM"
    assert "% de la población" in at.dataframe[0].value.columns[1]


def test_an_empty_country_choice_asks_for_one(demo_dir):
    at = open_page(COMPARE, {"lang": "en"}, timeout=TIMEOUT)
    at.multiselect(key="cc").set_value([]).run()
    assert any("Choose at least one country." in i.value for i in at.info)
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_comparison_opens_in_each_language(demo_dir, lang):
    at = open_page(COMPARE, {"lang": lang}, timeout=TIMEOUT)
    assert at.title[0].value == t("page.compare", lang)
    assert len(at.get("plotly_chart")) == 2
