"""The Library page, headless: the public reads published articles whose figures match the Cross-tab, Flow map
and Country profile pages; reviewers preview live figures before saving."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from vipmg_core import accounts, library
from vipmg_core import profiles as pr
from vipmg_core.i18n import t
from vipmg_core.warehouse import Warehouse

from . import conftest
from .conftest import own_data_dir, own_demo

PASSWORD = "a-long-password-1"
VIEW = {"xds": "returns", "xr": "ref_area", "xc": "sex", "cty": "GTM,HND", "yr": "2023-2024"}
LINK = "/crosstab?" + "&".join(f"{k}={v}" for k, v in VIEW.items())


@pytest.fixture(scope="module")
def lib_dir(tmp_path_factory):
    wh = own_demo(tmp_path_factory, "library_page")
    rev = accounts.add_user(wh.catalogue, "rev", role="reviewer", password=PASSWORD, actor="t")
    body = f"Los retornos desde Estados Unidos y México.\n\n[[view: {LINK}]]\n\nFin del artículo."
    pub = library.save(wh, rev, {"es": {"title": "Retornos en el norte de Centroamérica", "summary": "Cifras vivas",
                                        "body": body}}, countries=["GTM", "HND"], topics=["returns"])
    library.publish(wh, rev, pub.article_id)
    library.save(wh, rev, {"es": {"title": "Borrador interno", "summary": "", "body": "No publicar"}})
    with own_data_dir(wh.root) as root:
        yield root


def open_page(page, lang="es", user=None, params=None) -> AppTest:
    return conftest.open_page(page, {"lang": lang, **(params or {})}, user=user)


def test_the_public_reads_the_published_article_but_never_the_draft(lib_dir):
    at = open_page("pages/library.py", params={"lc": "GTM"})
    options = at.selectbox(key="art").options
    assert any("Retornos en el norte" in o for o in options)
    assert not any("Borrador interno" in o for o in open_page("pages/library.py").selectbox(key="art").options)
    assert at.header[0].value == "Retornos en el norte de Centroamérica"
    assert "Fin del artículo." in [m.value for m in at.markdown]
    assert not [b for b in at.button if b.label == "Guardar borrador"]  # no writing for the public


def test_the_embedded_figure_shows_the_same_numbers_as_the_crosstab_page(lib_dir):
    article = open_page("pages/library.py", "en", params={"lc": "GTM"})
    crosstab = open_page("pages/crosstab.py", "en", params=VIEW)
    embedded = article.dataframe[0].value
    shown = crosstab.dataframe[0].value
    assert list(embedded.columns) == list(shown.columns)
    assert embedded.astype(str).values.tolist() == shown.astype(str).values.tolist()


def test_an_embedded_flow_map_shows_the_same_flows_as_the_flow_map_page(lib_dir):
    flows = {"fds": "returns", "fct": "GTM", "fdir": "in", "ftop": "5"}
    link = "/flowmap?" + "&".join(f"{k}={v}" for k, v in flows.items())
    wh = Warehouse(lib_dir)
    rev = accounts.get_user(wh.catalogue, "rev")
    art = library.save(wh, rev, {"en": {"title": "Flows", "summary": "", "body": f"[[view: {link}]]"}})
    library.publish(wh, rev, art.article_id)
    article = open_page("pages/library.py", "en", params={"art": art.article_id})
    page = open_page("pages/flowmap.py", "en", params=flows)
    embedded, shown = article.dataframe[0].value, page.dataframe[0].value
    value = embedded.columns[-1]
    assert len(embedded) == len(shown) and embedded[value].tolist() == shown[value].tolist()


def test_an_english_reader_is_told_the_article_is_in_spanish_only(lib_dir):
    at = open_page("pages/library.py", "en", params={"lc": "GTM"})  # browsing by country
    assert any("written in Spanish only" in i.value for i in at.info)


def test_a_reviewer_sees_drafts_and_publishes_a_new_article(lib_dir):
    at = open_page("pages/library.py", "en", user="rev")
    assert any("Borrador interno" in o for o in at.selectbox(key="art").options)
    at.text_input(key="lib_title_en").input("Permits in Belize")
    at.text_area(key="lib_body_en").input("Short text.")
    next(b for b in at.button if b.label == "Publish the latest version").click().run()
    assert not at.exception
    assert at.header[0].value == "Permits in Belize"
    assert any("Published (version 1)" in s.value for s in at.success)
    public = open_page("pages/library.py", "en")
    assert any("Permits in Belize" in o for o in public.selectbox(key="art").options)


def chart_titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_an_embedded_profile_shows_the_same_figures_and_charts_as_the_profile_page(lib_dir):
    view = {"pc": "GTM", "yr": "2020-2024"}
    wh = Warehouse(lib_dir)
    rev = accounts.get_user(wh.catalogue, "rev")
    art = library.save(wh, rev, {"en": {"title": "Guatemala at a glance", "summary": "",
                                        "body": "[[view: /profile?pc=GTM&yr=2020-2024]]"}})
    library.publish(wh, rev, art.article_id)
    article = open_page("pages/library.py", "en", params={"art": art.article_id})
    page = open_page("pages/profile.py", "en", params=view)
    embedded = article.dataframe[0].value
    figures = dict(zip(embedded[t("bulletin.col_figure", "en")], embedded[t("bulletin.col_value", "en")]))
    assert figures == {m.label: m.value for m in page.metric}
    computed = pr.profile(wh, "GTM", pr.Period(2020, 2024))
    assert figures == {pr.figure_label(f.key, "en"): pr.figure_value(f, "en") for f in computed.figures}
    # Units, events-versus-persons and reliability: the captions under the page's metrics, word for word.
    assert set(embedded[t("bulletin.col_notes", "en")]) <= {c.value for c in page.caption}
    assert any(t("unit.events_badge", "en") in c for c in embedded[t("bulletin.col_notes", "en")])
    assert t("library.profile_units", "en") in [w.value for w in article.warning]
    assert chart_titles(article) == chart_titles(page) and len(chart_titles(page)) >= 6
    assert len(article.get("deck_gl_json_chart")) == len(page.get("deck_gl_json_chart")) == 1


def test_a_reviewer_previews_a_profile_embed_and_a_broken_profile_link_is_refused(lib_dir):
    wh = Warehouse(lib_dir)
    rev = accounts.get_user(wh.catalogue, "rev")
    before = len(library.articles(wh, rev))
    at = open_page("pages/library.py", "es", user="rev")
    at.text_input(key="lib_title_es").input("Guatemala en cifras")
    at.text_area(key="lib_body_es").input("Las cifras vivas.\n\n[[view: /profile?pc=GTM]]")
    next(b for b in at.button if b.label == t("library.preview", "es")).click().run()
    assert not at.exception and not at.error
    assert any(h.value == "Guatemala en cifras" for h in at.header)
    previewed = at.dataframe[-1].value
    assert pr.figure_label("returns", "es") in previewed[t("bulletin.col_figure", "es")].tolist()
    assert len(library.articles(wh, rev)) == before  # a preview saves nothing

    at.text_area(key="lib_body_es").input("[[view: /profile?pc=XYZ]]")
    next(b for b in at.button if b.label == t("library.save", "es")).click().run()
    assert [e.value for e in at.error] == [t("library.error.view_area", "es", area="XYZ")]
    assert len(library.articles(wh, rev)) == before
