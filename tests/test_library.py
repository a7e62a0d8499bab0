"""The publications library: versions, drafts kept from the public, live figures from saved cross-tab, flow map
and country profile views."""

import json
import re

import polars as pl
import pytest

from vipmg_core import accounts, charts, demo, library
from vipmg_core import crosstab as xt
from vipmg_core import flows as fl
from vipmg_core import profiles as pr
from vipmg_core.codelists import project_countries
from vipmg_core.i18n import t
from vipmg_core.library import LibraryError
from vipmg_core.permissions import Forbidden
from vipmg_core.warehouse import Provenance, Warehouse

PASSWORD = "a-long-password-1"
VIEW = "/crosstab?xds=returns&xr=ref_area&xc=sex&cty=GTM,HND&yr=2023-2024"
PROFILE = "/profile?pc=GTM&yr=2020-2024&ppool=2&lang=es"  # as the Profile page shares it


@pytest.fixture(scope="module")
def lib(tmp_path_factory, module_catalogue_backend):
    wh = Warehouse(tmp_path_factory.mktemp("library"))
    demo.build(wh, scale=0.05)
    cat = wh.catalogue
    people = {
        "rev": accounts.add_user(cat, "rev", role="reviewer", password=PASSWORD, actor="t"),
        "rev2": accounts.add_user(cat, "rev2", role="reviewer", password=PASSWORD, actor="t"),
        "fp": accounts.add_user(cat, "fp", role="focal_point", country="GTM", password=PASSWORD, actor="t"),
    }
    return wh, people


def article(title="Retornos 2024", body=f"Los retornos.\n\n[[view: http://127.0.0.1:8501{VIEW}]]\n\nFin."):
    return {"es": {"title": title, "summary": "Resumen", "body": body}}


def test_drafts_are_visible_to_their_author_and_reviewers_only(lib):
    wh, who = lib
    draft = library.save(wh, who["rev"], article("Borrador secreto"), countries=["GTM"], topics=["returns"])
    assert draft.status == "draft" and draft.version == 1
    assert [a.article_id for a in library.articles(wh, who["rev2"])].count(draft.article_id) == 1
    assert draft.article_id not in [a.article_id for a in library.articles(wh, None)]
    assert draft.article_id not in [a.article_id for a in library.articles(wh, who["fp"])]
    for account in (None, who["fp"]):
        with pytest.raises(Forbidden):
            library.get(wh, account, draft.article_id)


def test_only_reviewers_write_and_publish(lib):
    wh, who = lib
    for account in (None, who["fp"]):
        with pytest.raises(Forbidden):
            library.save(wh, account, article())


def test_publishing_keeps_versions_and_the_data_version(lib):
    wh, who = lib
    v1 = library.save(wh, who["rev"], article("Primera"), countries=["GTM"], topics=["returns"])
    library.publish(wh, who["rev"], v1.article_id)
    library.save(wh, who["rev"], article("Segunda"), countries=["GTM"], topics=["returns"], article_id=v1.article_id)
    # The public still reads version 1 while version 2 is a draft; then version 2 once published.
    assert library.get(wh, None, v1.article_id).text("es")["title"] == "Primera"
    published = library.publish(wh, who["rev"], v1.article_id)
    assert published.version == 2 and published.data_version == library.data_version(wh)
    assert [(v.version, v.status) for v in library.versions(wh, None, v1.article_id)] == [(1, "published"),
                                                                                          (2, "published")]
    with pytest.raises(LibraryError):
        library.publish(wh, who["rev"], v1.article_id)  # nothing new to publish


def test_the_public_browses_by_country_topic_and_language(lib):
    wh, who = lib
    a = library.save(wh, who["rev"], {"en": {"title": "Permits in Belize", "summary": "", "body": "Text"}},
                     countries=["BLZ"], topics=["residence_permits"])
    library.publish(wh, who["rev"], a.article_id)
    ids = lambda **kw: [x.article_id for x in library.articles(wh, None, **kw)]
    assert a.article_id in ids(country="BLZ") and a.article_id not in ids(country="GTM")
    assert a.article_id in ids(topic="residence_permits") and a.article_id not in ids(topic="returns")
    assert a.article_id in ids(lang="en") and a.article_id not in ids(lang="es")
    assert a.article_id in ids(year=a.date[:4]) and a.article_id not in ids(year="1999")
    # Asked in Spanish, an English-only article is read in English.
    assert library.get(wh, None, a.article_id).text("es")["lang"] == "en"


@pytest.mark.sqlite_only
def test_an_embedded_view_has_the_numbers_of_the_same_crosstab(lib):
    wh, _ = lib
    fig = library.embed(wh, VIEW, "en")
    same = xt.crosstab("returns", ["ref_area"], ["sex"], countries=["GTM", "HND"], years=(2023, 2024),
                       warehouse=wh).table("en")
    assert fig.numeric.equals(same.numeric.to_pandas())
    assert set(fig.table.iloc[:, 0]) >= {"Guatemala", "Honduras"}


@pytest.mark.sqlite_only
def test_an_embedded_flow_map_view_has_the_numbers_of_the_same_flows(lib):
    wh, _ = lib
    fig = library.embed(wh, "/flowmap?fds=returns&fct=GTM&fdir=in&fper=2024&ftop=5", "en")
    same = fl.flow_table(fl.flows(wh, "returns", countries=("GTM",), direction="in", period="2024", top=5), "en")
    assert fig.events and len(fig.table) == len(same) <= 5
    assert fig.table.iloc[:, -1].tolist() == same[fig.table.columns[-1]].tolist()


@pytest.mark.sqlite_only
def test_a_view_link_without_countries_or_years_uses_the_crosstab_page_defaults(lib):
    wh, _ = lib
    query, _, _ = library.view_query(wh, library.saved_view("/crosstab?xds=returns"))
    assert query.countries == tuple(project_countries()) and query.years == wh.year_bounds()
    assert (query.rows, query.cols, query.totals) == (("ref_area",), ("sex",), True)


def test_a_broken_view_is_refused_when_saving(lib):
    wh, who = lib
    with pytest.raises(LibraryError) as bad:
        library.save(wh, who["rev"], article(body="[[view: /catalogue?ds=returns]]"))
    assert "Cross-tab" in str(bad.value)
    with pytest.raises(LibraryError):
        library.save(wh, who["rev"], article(body="[[view: /crosstab?xds=nothing]]"))


@pytest.mark.sqlite_only
def test_the_offline_html_holds_the_text_and_the_live_table_and_asks_nothing_from_outside(lib):
    wh, who = lib
    a = library.save(wh, who["rev"], article("Retornos <2024>"), countries=["GTM"], topics=["returns"])
    html = library.to_html(wh, library.get(wh, who["rev"], a.article_id), "es")
    assert "Retornos &lt;2024&gt;" in html and "<table" in html and "Guatemala" in html
    assert "Datos sintéticos" in html
    markup = re.sub(r"<script>.*?</script>", "", html, flags=re.DOTALL)  # plotly.js itself is inline
    assert "<script src" not in html and "<link" not in markup and "http" not in markup


def test_a_generated_bulletin_is_published_in_one_click_in_both_languages(lib):
    wh, who = lib
    with pytest.raises(Forbidden):
        library.publish_bulletin(wh, who["fp"], "GTM")
    made = library.publish_bulletin(wh, who["rev"], "GTM")
    assert made.kind == "bulletin" and made.status == "published" and made.countries == ("GTM",)
    assert made.languages == ("es", "en") and "Guatemala" in made.text("en")["title"]
    assert made.article_id in [a.article_id for a in library.articles(wh, None, kind="bulletin", country="GTM")]
    html = library.to_html(wh, made, "en")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html


def test_the_cli_lists_and_writes_published_articles_and_refuses_drafts_to_the_public(lib, monkeypatch, capsys,
                                                                                         tmp_path):
    import io
    import sys

    from vipmg_core import cli

    wh, who = lib
    draft = library.save(wh, who["rev"], article("Solo para revisores"))
    monkeypatch.setenv("VIPMG_DATA_DIR", str(wh.root))
    assert cli.main(["library", "list"]) == 0
    assert "Solo para revisores" not in capsys.readouterr().out
    assert cli.main(["library", "html", draft.article_id]) != 0
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    out = tmp_path / "a.html"
    assert cli.main(["library", "html", draft.article_id, "--user", "rev", "--password-stdin", "--out", str(out)]) == 0
    assert "Solo para revisores" in out.read_text(encoding="utf-8")


# -- country profile views -------------------------------------------------------------------------------------

def chart_titles(figures) -> list[str]:
    return [json.loads(f.to_json())["layout"]["title"]["text"] for f in figures]


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.sqlite_only
def test_an_embedded_profile_view_has_the_headline_figures_and_charts_of_the_same_profile(lib, lang):
    wh, _ = lib
    fig = library.embed(wh, f"http://127.0.0.1:8501{PROFILE}", lang)
    same = pr.profile(wh, "GTM", pr.Period(2020, 2024), pool=2)
    assert same.figures and len(fig.table) == len(same.figures)
    figure, value, about = (t(f"bulletin.col_{c}", lang) for c in ("figure", "value", "notes"))
    # The words and numbers the Profile page puts in its metrics and their captions, one row per figure.
    assert fig.table[figure].tolist() == [pr.figure_label(f.key, lang) for f in same.figures]
    assert fig.table[value].tolist() == [pr.figure_value(f, lang) for f in same.figures]
    assert fig.table[about].tolist() == [pr.figure_caption(f, lang) for f in same.figures]
    hidden = float("nan")  # a value the profile hides (None) is an empty cell
    assert fig.numeric["value"].tolist() == pytest.approx(
        [hidden if f.value is None else f.value for f in same.figures], nan_ok=True)
    events = fig.numeric["unit"] == "events"
    assert events.any() and fig.events
    assert all(t("unit.events_badge", lang) in c for c in fig.table[about][events])
    assert all(t("unit.persons_badge", lang) in c for c in fig.table[about][~events])
    flagged = fig.numeric["flag"].notna()
    assert flagged.any()  # the foreign-born share: a survey estimate, with its reliability said
    assert all(t(f"profiles.flag.{f}", lang) in c for f, c in zip(fig.numeric["flag"][flagged],
                                                                fig.table[about][flagged]))
    shown = {"events_trend", "stock_trend", "pyramid", "origins", "destinations", "permits", "labour_status",
             "education", "remittances"}
    expected = [f for name, f in charts.profile_charts(same, lang) if name in shown]
    assert len(fig.charts) == len(expected) >= 6
    assert sorted(chart_titles(fig.charts)) == sorted(chart_titles(expected))
    assert fig.flow_map is not None and fig.flow_map.flows.equals(same.flow_map.flows)
    assert "Guatemala" in fig.title and "2020–2024" in fig.title


@pytest.mark.sqlite_only
def test_a_profile_link_without_years_reads_the_latest_data_as_the_page_does(lib):
    wh, _ = lib
    code, period, pool = library.profile_view(wh, library.saved_view("/profile?pc=REGION&ppool=7"))
    assert (code, period, pool) == ("REGION", pr.Period(None, wh.year_bounds()[1]), pr.DEFAULT_POOL)


def test_an_embedded_profile_reads_only_published_data(lib):
    wh, _ = lib
    before = library.embed(wh, PROFILE, "en").numeric
    rows = wh.query("returns", "SELECT * FROM data WHERE ref_area = 'GTM' AND time_period LIKE '2024-%'")
    staged = wh.stage("returns", [rows.with_columns(pl.col("obs_value") * 1000)], scope="GTM:2024",
                      provenance=Provenance(publisher="test"), actor="t")
    try:
        after = library.embed(wh, PROFILE, "en").numeric
        assert after.equals(before)
    finally:
        wh.withdraw(staged.release_id, actor="t")


@pytest.mark.parametrize("link", ["/profile?pc=XYZ", "/profile?pc=gtm", "/profile?lang=es", "/profile?pc=OOO"])
def test_a_broken_profile_link_is_refused_when_saving_with_a_message_in_both_languages(lib, link):
    wh, who = lib
    with pytest.raises(LibraryError) as bad:
        library.save(wh, who["rev"], article(body=f"Texto.\n\n[[view: http://127.0.0.1:8501{link}]]"))
    es, en = bad.value.message("es"), bad.value.message("en")
    assert "perfil" in es and "profile" in en and es != en
    code = link.partition("pc=")[2] or "–"
    assert f"«{code}»" in es and f"“{code}”" in en


@pytest.mark.sqlite_only
def test_the_offline_html_holds_the_profile_figures_and_charts_and_no_outside_url(lib):
    wh, who = lib
    a = library.save(wh, who["rev"], article("Perfil de Guatemala", body=f"Cifras.\n\n[[view: {PROFILE}]]"),
                     countries=["GTM"])
    html = library.to_html(wh, library.get(wh, who["rev"], a.article_id), "es")
    same = pr.profile(wh, "GTM", pr.Period(2020, 2024), pool=2)
    for f in same.figures:
        assert f">{pr.figure_label(f.key, 'es')}</td>" in html
        assert f">{pr.figure_value(f, 'es')}</td>" in html
    assert t("unit.events_badge", "es") in html and t("unit.persons_badge", "es") in html
    assert html.count('class="plotly-graph-div"') == len(library.embed(wh, PROFILE, "es").charts) >= 6
    assert t("library.flow_map_in_app", "es") in html and "Datos sintéticos" in html
    bundle = re.search(r"<script>/\*\*\s*\* plotly\.js.*?</script>", html, flags=re.DOTALL)  # inline, once
    assert bundle and html.count("plotly.js v") == 1
    rest = html.replace(bundle.group(0), "")  # the charts' own scripts are checked too
    assert not re.search(r"https?://|//cdn|<script[^>]*\bsrc=|<link|@import|url\(", rest)


def test_a_saved_view_line_cannot_add_links_to_the_article():
    """The page links each embedded view as `[Open the view](LINK&lang=..)`: a raw query used to close that link
    and open others (`&x=)[Click](http://elsewhere.example)`)."""
    from markdown_it import MarkdownIt

    view = library.saved_view("/crosstab?xds=returns&xr=sex&x=)[Click here](http://elsewhere.example/steal)")
    rendered = MarkdownIt("commonmark").render(f"[Open the view]({view.link}&lang=es)")
    assert rendered.count("<a ") == 1 and "elsewhere.example" not in rendered.split('"')[0]
    assert 'href="http' not in rendered
    assert view.params["xds"] == "returns" and view.params["xr"] == "sex"


def test_the_offline_html_describes_each_chart_beside_its_table(lib):
    """Issue #20: a chart in an article's HTML carries its text alternative."""
    wh, who = lib
    a = library.save(wh, who["rev"], article("Retornos descritos"), countries=["GTM"], topics=["returns"])
    html = library.to_html(wh, library.get(wh, who["rev"], a.article_id), "es")
    charts_drawn = html.count("class=\"plotly-graph-div\"")
    assert charts_drawn
    assert html.count("<p class='note description'><strong>Descripción del gráfico:</strong> Gráfico: ") == charts_drawn
