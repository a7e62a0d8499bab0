"""The Guide page and the report's links to it, driven headless through the app's own navigation."""

from pathlib import Path

import pytest

from vipmg_core import guide
from vipmg_core.quality import rules as quality_rules
from vipmg_core.datasets import dataset, datasets
from vipmg_core.i18n import t

from .conftest import open_page

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "upload"


@pytest.mark.parametrize("lang", ["es", "en"])
def test_guide_page_shows_every_dataset_with_its_example_and_the_offline_file(demo_dir, lang):
    at = open_page("pages/guide.py", {"lang": lang})
    assert at.title[0].value == t("page.guide", lang)
    headings = [h.value for h in at.subheader]
    for ds in datasets():
        assert ds.title(lang) in headings
    for term in guide.GLOSSARY:
        assert t(f"guide.glossary.{term}_term", lang) in headings
    labels = [b.label for b in at.get("download_button")]
    assert t("guide.download_html", lang) in labels
    for ds in datasets():
        assert t("guide.dataset.example_download", lang, title=ds.title(lang)) in labels
    assert [h.value for h in at.header][:1] == [t("guide.section.first_file", lang)]


def test_a_link_from_a_report_opens_the_guide_on_that_rule(demo_dir):
    at = open_page("pages/guide.py", {"lang": "en", "rule": "unknown-code"})
    assert at.info[0].value == t("guide.from_report", "en", title=t("problem.unknown_code.title", "en"))
    assert t("guide.explain.unknown_code", "en") in "\n".join(m.value for m in at.markdown)


def test_every_problem_in_the_upload_report_links_to_its_guide_entry(demo_dir):
    at = open_page("pages/upload.py", {"lang": "en", "ds": "arrivals_departures", "country": "CRI"})
    assert dataset("arrivals_departures").definition("en") in at.selectbox(key="ds").help
    at.file_uploader[0].set_value(("errores.csv", (FIXTURES / "errores.csv").read_bytes(), "text/csv"))
    at.run()
    assert not at.exception, at.exception
    problems = next(f for f in (e.value for e in at.dataframe) if "What is wrong" in f.columns)
    links = problems[t("guide.col_guide", "en")].tolist()
    assert links and all(link.startswith("guide?lang=en&rule=") for link in links)
    titles = {t(f"problem.{code.replace('-', '_')}.title", "en"): code for code in guide.rule_codes()}
    for title, link in zip(problems["Problem type"], links):
        assert link.endswith("#" + guide.rule_anchor(titles[title]))


@pytest.mark.parametrize("lang", ["es", "en"])
def test_crosstab_dataset_measure_and_flags_are_defined_one_hover_away(demo_dir, lang):
    at = open_page("pages/crosstab.py", {"lang": lang, "xds": "survey"})
    ds = dataset("survey")
    chosen = at.selectbox(key="xds")
    assert ds.definition(lang) in chosen.help and f"#{guide.dataset_anchor('survey')}" in chosen.help
    measure = at.selectbox(key="xm")
    for option in measure.options:
        assert f"**{option}**" in measure.help  # every measure offered is defined
    assert t("guide.help.weighted", lang) in measure.help
    quality = next(w for w in at.toggle if w.label == t("crosstab.quality", lang))
    rules = quality_rules()
    assert f"{rules.cv_reliable_max:g} %" in quality.help and f'"{rules.symbol_caution}"' in quality.help \
        or f"«{rules.symbol_caution}»" in quality.help
    assert t("guide.help.flags", lang) in quality.help


def test_flow_map_and_profile_define_their_datasets_one_hover_away(demo_dir):
    at = open_page("pages/flowmap.py", {"lang": "en"})
    chosen = at.selectbox(key="fds")
    assert dataset(chosen.value).definition("en") in chosen.help
    at = open_page("pages/profile.py", {"lang": "en", "pc": "CRI"})
    metrics = at.metric
    assert metrics and all("](guide?lang=en#dataset-" in m.help for m in metrics)
