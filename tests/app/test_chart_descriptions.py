"""Issue #20, item 4: every chart and map on every page has its text alternative right under it, in the page's
language ("Descripción del gráfico / Chart description", "Descripción del mapa / Map description")."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from vipmg_core.i18n import t

from .conftest import open_page

TIMEOUT = 120  # a profile draws many charts; each run may take long on two shared cores


def descriptions(at: AppTest, key: str, lang: str) -> list[str]:
    """The text inside each expander labelled with `key`'s message, in page order."""
    label = t(key, lang)
    found = []
    for expander in at.expander:
        if expander.label == label:
            found.append("\n".join(m.value for m in expander.markdown))
    return found


def plain(markdown: str) -> str:
    return markdown.replace("\\", "")


def chart_titles(at: AppTest) -> list[str]:
    titles = []
    for chart in at.get("plotly_chart"):
        title = json.loads(chart.proto.spec)["layout"].get("title", {})
        titles.append(" ".join(str(title.get("text", "") if isinstance(title, dict) else title)
                               .replace("<br>", " ").split()))
    return titles


def assert_each_chart_described(at: AppTest, lang: str, maps: int = 0) -> None:
    assert not at.exception, at.exception
    charts = chart_titles(at)
    found = descriptions(at, "alt.chart_description", lang)
    assert len(found) == len(charts) > 0
    for title, text in zip(charts, found):
        assert plain(text).startswith(f"- {t('alt.chart', lang, title=title)}")
    assert len(descriptions(at, "alt.map_description", lang)) == maps


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_chart_and_the_flow_map_of_a_profile_are_described(demo_dir, lang):
    at = open_page("pages/profile.py", {"lang": lang, "pc": "GTM"}, timeout=TIMEOUT)
    assert_each_chart_described(at, lang, maps=1)
    flow_map = plain(descriptions(at, "alt.map_description", lang)[0])
    assert flow_map.startswith(f"- {t('alt.flow_map', lang, count=0, countries=0, unit='', period='').split(':')[0]}:")


def test_the_crosstab_chart_is_described(demo_dir):
    at = open_page("pages/crosstab.py", {"lang": "en", "xds": "census", "xr": "ref_area", "xc": "sex"})
    assert_each_chart_described(at, "en")
    assert "values hidden" in plain(descriptions(at, "alt.chart_description", "en")[0]) or \
        "the highest value is" in plain(descriptions(at, "alt.chart_description", "en")[0])


def test_the_flow_map_and_the_flows_chart_are_described(demo_dir):
    at = open_page("pages/flowmap.py", {"lang": "es"})
    assert_each_chart_described(at, "es", maps=1)
    text = plain(descriptions(at, "alt.map_description", "es")[0])
    assert "Mapa de flujos:" in text and "Flujos mayores:" in text


def test_the_comparison_bars_and_map_are_described(demo_dir):
    at = open_page("pages/compare.py", {"lang": "en", "ci": "arrivals", "cc": "CRI,PAN,NIC,LCA"}, timeout=TIMEOUT)
    assert not at.exception
    bars = descriptions(at, "alt.chart_description", "en")
    choropleth = descriptions(at, "alt.map_description", "en")
    assert len(bars) == len(choropleth) == 1
    for text in (bars[0], choropleth[0]):
        assert "Costa Rica" in text and "Panama" in text


def test_the_home_map_is_described(demo_dir):
    at = open_page(None, {"lang": "es"})
    assert not at.exception
    (text,) = descriptions(at, "alt.map_description", "es")
    assert plain(text).startswith("- Mapa: un círculo por país") and "De mayor a menor:" in plain(text)


def test_the_upload_previews_are_described(demo_dir):
    from pathlib import Path

    at = open_page("pages/upload.py", {"lang": "en", "ds": "arrivals_departures", "country": "CRI"})
    data = (Path(__file__).resolve().parent.parent / "fixtures" / "upload" / "entradas_enero_cp1252.csv").read_bytes()
    at.file_uploader[0].set_value(("entradas.csv", data, "text/csv"))
    at.run()
    assert not at.exception, at.exception
    found = descriptions(at, "alt.chart_description", "en")
    assert len(found) == len(at.get("plotly_chart")) == 2
    assert plain(found[0]).startswith(f"- {t('alt.chart', 'en', title=t('upload.preview_totals', 'en'))}")
    assert plain(found[1]).startswith(f"- {t('alt.chart', 'en', title=t('upload.preview_top', 'en'))}")
