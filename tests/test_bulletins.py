"""Bulletins: the profile's numbers in a self-contained document, the main changes written from the data, in
Spanish and English, from the app or the command line; PDF where Chromium can print it."""

import re

import polars as pl
import pytest

from vipmg_core import bulletins as bl
from vipmg_core import cli
from vipmg_core import profiles as pr
from vipmg_core.i18n import fmt_number, t
from vipmg_core.warehouse import Provenance


@pytest.fixture(scope="module")
def cri(demo_wh) -> pr.Profile:
    return pr.profile(demo_wh, "CRI", pr.parse_period("2024"))


@pytest.fixture(scope="module")
def pages(demo_wh, cri) -> dict[str, tuple[bl.Bulletin, str]]:
    out = {}
    for lang in ("es", "en"):
        b = bl.bulletin(demo_wh, "CRI", pr.parse_period("2024"), lang, computed=cri)
        out[lang] = (b, bl.to_html(b))
    return out


def visible_text(html: str) -> str:
    body = html.split("<body>", 1)[1]
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", body))  # keeps the narrow no-break spaces


@pytest.mark.parametrize("lang, title", [("es", "Boletín migratorio: Costa Rica"),
                                         ("en", "Migration bulletin: Costa Rica")])
def test_a_bulletin_names_the_country_and_period_and_shows_the_profiles_numbers(pages, cri, lang, title):
    b, html = pages[lang]
    text = visible_text(html)
    assert f"<h1>{title}</h1>" in html and f"<title>{title} — 2024</title>" in html
    assert ("Período: 2024" if lang == "es" else "Period: 2024") in text
    for fig in cri.figures:
        assert pr.figure_value(fig, lang) in text, fig.key
        assert pr.figure_label(fig.key, lang) in text
    changed = sorted((f for f in cri.figures if f.change is not None and f.key != pr.SHARE_KEY),
                     key=lambda f: -abs(f.change))[:bl.MAX_CHANGES]
    for fig, sentence in zip(changed, b.sentences):
        assert fmt_number(fig.value, lang) in sentence and f"{abs(fig.change) * 100:.1f} %" in sentence
    assert 4 <= len(b.charts) <= 6
    assert ("datos sintéticos de demostración" if lang == "es" else "synthetic demo data") in text


def test_every_chart_of_the_bulletin_says_its_unit_source_and_period(pages):
    b, _ = pages["en"]
    for name, fig in b.charts:
        subtitle = fig.layout.title.subtitle.text
        assert "Source: " in subtitle and "(demo data)" in subtitle, name
        assert "Counts events, not persons" in subtitle or "Counts persons" in subtitle, name
        assert re.search(r"\d{4}", subtitle), name


def test_the_html_needs_nothing_from_the_network(pages):
    _, html = pages["es"]
    markup = re.sub(r"<script>.*?</script>", "<script></script>", html, flags=re.S)  # the code itself aside
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", markup, flags=re.I)
    assert "<script src" not in html and "<link" not in markup and "@import" not in markup
    assert "cdn.plot.ly" not in markup and "http" not in markup.split("<body>")[1]
    assert html.count("<script") == 1 + 6  # plotly.js once, inline, then one small script per chart
    assert "Plotly.newPlot" in html and len(html) > 3_000_000  # plotly.js itself is embedded
    assert "@page" in html and "break-inside: avoid" in html  # prints cleanly to A4


def _arrivals(per_month: dict[int, int]) -> pl.DataFrame:
    return pl.DataFrame({
        "ref_area": "PAN", "time_period": [f"{y}-{m:02d}" for y in per_month for m in range(1, 13)],
        "flow": "ARR", "nationality": "COL", "sex": "M", "age_group": "Y30T34", "border_type": "AIR",
        "obs_value": [v for y, v in per_month.items() for _ in range(12)]})


@pytest.mark.parametrize("lang, expected", [
    ("en", "Arrivals rose 12.0 % on 2023, to 1,344 events in 2024."),
    ("es", "Las entradas aumentaron un 12.0 % respecto de 2023: 1\u202f344 eventos en 2024."),
])
def test_changes_are_written_from_the_data(empty_wh, lang, expected):
    empty_wh.publish("arrivals_departures", [_arrivals({2023: 100, 2024: 112})], scope="t",
                     provenance=Provenance("t"), actor="t")
    assert bl.sentences(pr.profile(empty_wh, "PAN"), lang)[0] == expected


def test_falls_and_stable_figures_read_as_such(empty_wh):
    empty_wh.publish("arrivals_departures", [_arrivals({2023: 200, 2024: 150})], scope="t",
                     provenance=Provenance("t"), actor="t")
    fig = pr.profile(empty_wh, "PAN").figure("arrivals")
    assert bl.change_sentence(fig, "en") == "Arrivals fell 25.0 % on 2023, to 1,800 events in 2024."
    stable = pr.Figure("immigrant_stock", "migrant_stock", "persons", "2024", 1001, "2020", 1000)
    assert bl.change_sentence(stable, "es") == ("La población inmigrante se mantuvo estable respecto de 2020: "
                                                "1\u202f001 personas en 2024.")


def test_the_main_changes_come_largest_first(cri):
    changes = [f for f in cri.figures if f.change is not None and f.key != pr.SHARE_KEY]
    largest = max(changes, key=lambda f: abs(f.change))
    assert bl.sentences(cri, "en")[0] == bl.change_sentence(largest, "en")


def test_the_region_bulletin_explains_what_it_leaves_out(demo_wh):
    b = bl.bulletin(demo_wh, pr.REGION, pr.parse_period("2024-06"), "en", chart_count=4)
    html = bl.to_html(b)
    assert b.period_label == "Jan–Jun 2024" and "Region (every project country)" in html
    assert "Recorded irregular transits: not added across countries" in visible_text(html)
    assert len(b.charts) == 4
    assert b.profile.figure("arrivals").period == "2024-01/2024-06"


@pytest.mark.skipif(not bl.pdf_available(), reason="Chromium is not installed: the PDF cannot be printed here")
def test_the_bulletin_prints_to_pdf_without_network(pages):
    _, html = pages["en"]
    pdf = bl.to_pdf(html)
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 2


def test_without_chromium_the_pdf_refuses_with_a_clear_message(pages, monkeypatch):
    monkeypatch.setenv("VIPMG_CHROMIUM", "/nonexistent/chromium")
    assert not bl.pdf_available()
    with pytest.raises(bl.BulletinError) as caught:
        bl.to_pdf(pages["en"][1])
    assert "Chromium was not found" in caught.value.message("en") and "imprímalo" in caught.value.message("es")


# --- the command line ---------------------------------------------------------------------------------------

def test_the_command_line_writes_the_same_bulletin(demo_dir, cri, tmp_path, capsys):
    out = tmp_path / "boletin.html"
    assert cli.main(["bulletin", "--country", "CRI", "--period", "2024", "--lang", "en", "--out", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{out}: Migration bulletin: Costa Rica · 2024;") and line.endswith("(demo data)")
    text = visible_text(out.read_text(encoding="utf-8"))
    assert all(pr.figure_value(f, "en") in text for f in cri.figures)


def test_the_command_line_takes_a_country_name_or_the_region(demo_dir, tmp_path, capsys):
    assert cli.main(["bulletin", "--country", "St. Lucia", "--out", str(tmp_path / "lca.html")]) == 0
    assert "Boletín migratorio: Santa Lucía" in capsys.readouterr().out
    assert cli.main(["bulletin", "--country", "REGION", "--lang", "en", "--out", str(tmp_path / "r.html")]) == 0
    assert "Migration bulletin: Region" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--country", "XXX"], "'XXX' is not a country"),
    (["--country", "CRI", "--period", "2024-15"], "Invalid period '2024-15'"),
])
def test_bad_input_ends_with_one_line_and_a_non_zero_exit(demo_dir, tmp_path, capsys, args, message):
    code = cli.main(["bulletin", *args, "--lang", "en", "--out", str(tmp_path / "b.html")])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE and message in err and err.count("\n") == 1
    assert not (tmp_path / "b.html").exists()


def test_the_command_line_refuses_an_unknown_file_kind(demo_dir, tmp_path, capsys):
    assert cli.main(["bulletin", "--country", "CRI", "--out", str(tmp_path / "b.docx")]) == cli.EXIT_USAGE
    assert "give a file ending in .html" in capsys.readouterr().err


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_chart_of_the_bulletin_has_its_description_as_caption(pages, lang):
    """Issue #20: each chart's text alternative is its figure's caption and its accessible description."""
    import html as html_

    from vipmg_core import charts

    b, html = pages[lang]
    found = re.findall(r"<figure aria-describedby='([^']+)'>.*?<figcaption id='([^']+)' class='small'>(.*?)</figcaption>",
                       html, flags=re.DOTALL)
    assert len(found) == len(b.charts) > 0
    for (described, caption, text), (_, fig) in zip(found, b.charts):
        assert described == caption
        assert text == html_.escape(charts.describe(fig, lang), quote=True)
        assert text.startswith(t("alt.chart", lang, title="").split(":")[0])
