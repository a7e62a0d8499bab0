"""The Guide: generated from the declarations and the validator's rules, so it covers exactly what is checked."""

import ast
import re
import shutil
from pathlib import Path

import pytest

from vipmg_core import datasets as declarations
from vipmg_core import guide
from vipmg_core import validation as val
from vipmg_core.cli import main
from vipmg_core.config import STANDARD_DIR
from vipmg_core.datasets import dataset, dataset_ids, datasets
from vipmg_core.i18n import LANGS, t

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "upload"


def anchors(lang: str) -> dict[str, guide.Section]:
    return {s.anchor: s for s in guide.sections(lang)}


def emitted_rule_codes() -> set[str]:
    """Every rule code the validator can emit, read from its checks' source: each problem class they name
    (`pb.UnknownCode`, ...), as its code."""
    found: set[str] = set()
    for module in ("checks.py", "plausibility.py"):
        tree = ast.parse((Path(val.__file__).parent / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "pb":
                kind = getattr(val.problems, node.attr)
                if isinstance(kind, type) and issubclass(kind, val.Problem) and kind is not val.Problem:
                    found.add(kind.code)
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_every_declared_dataset_has_an_entry_with_its_columns_and_an_example(lang):
    entries = anchors(lang)
    for ds in datasets():
        entry = entries[guide.dataset_anchor(ds.id)]
        assert entry.title == ds.title(lang)
        assert ds.definition(lang) in entry.body and ds.grain(lang) in entry.body
        for col in ds.columns:
            assert f"`{col.name}`" in entry.body and col.label(lang) in entry.body
        assert t("guide.dataset.events" if ds.counts_events else "guide.dataset.persons", lang,
                 detail=ds.unit_detail(lang)) in entry.body
        name, data = entry.download
        assert name == f"{ds.id}_example.csv" and len(data.decode("utf-8-sig").splitlines()) > 2


@pytest.mark.parametrize("dataset_id", dataset_ids())
def test_each_example_file_passes_the_validator_with_no_error_or_warning(tmp_path, dataset_id):
    ds = dataset(dataset_id)
    path = tmp_path / guide.example_file_name(ds)
    path.write_bytes(guide.example_csv(ds))
    read, report = val.validate_path(str(path), dataset_id, guide.EXAMPLE_COUNTRY)
    assert report.errors == 0 and report.warnings == 0, report.problems.to_dicts()
    assert report.rows >= 4
    if ds.kind == "aggregate":
        assert report.data[ds.measure.name].sum() > 0


def test_every_rule_code_the_validator_can_emit_has_a_guide_entry_in_both_languages():
    emitted = emitted_rule_codes()
    assert {"unknown-code", "duplicate-key", "jump", "blank-header", "missing-cell"} <= emitted  # the scan works
    assert emitted <= set(val.PROBLEMS), emitted - set(val.PROBLEMS)
    assert guide.rule_codes() == list(val.PROBLEMS)
    for lang in LANGS:
        entries = anchors(lang)
        for code in emitted:
            entry = entries[guide.rule_anchor(code)]
            assert entry.title == t(f"problem.{val.message_key(code)}.title", lang)
            assert t(f"guide.explain.{val.message_key(code)}", lang) in entry.body
            assert t(f"problem.{val.message_key(code)}.fix", lang) in entry.body


@pytest.mark.parametrize("lang", LANGS)
def test_every_link_inside_the_guide_points_to_an_entry(lang):
    entries = anchors(lang)
    targets = {m for s in entries.values() for m in re.findall(r"\]\(#([a-z0-9-]+)\)", s.body)}
    assert targets and targets <= set(entries), targets - set(entries)


def test_each_problem_of_a_validation_report_links_to_its_guide_entry():
    _read, report = val.validate_path(str(FIXTURES / "errores.csv"), "arrivals_departures", "CRI")
    assert report.errors > 0
    for lang in LANGS:
        table = guide.report_table(report, lang)
        links = table[t("guide.col_guide", lang)].tolist()
        codes = report.problems["code"].to_list()
        assert len(links) == len(codes) == len(table)
        entries = anchors(lang)
        for link, code in zip(links, codes):
            assert link.startswith(f"{guide.PAGE}?lang={lang}&rule={code}")
            assert link.endswith(f"#{guide.rule_anchor(code)}") and guide.rule_anchor(code) in entries


@pytest.fixture
def throwaway_standard(tmp_path, monkeypatch):
    """The standard's datasets plus one more, declared only as a TOML file (no code)."""
    folder = tmp_path / "standard" / "datasets"
    shutil.copytree(STANDARD_DIR / "datasets", folder)
    (folder / "asylum_claims.toml").write_text('''
id = "asylum_claims"
order = 50
title = { es = "Solicitudes de asilo (prueba)", en = "Asylum claims (test)" }
unit = "events"
unit_detail = { es = "solicitudes presentadas", en = "claims lodged" }
kind = "aggregate"
grain = { es = "Conteos anuales por nacionalidad y sexo", en = "Yearly counts by nationality and sex" }
source_type = "administrative"
area_column = "ref_area"
time_column = "time_period"
time_format = "year"
definition.es = "Solicitudes de asilo presentadas ante la comisión nacional."
definition.en = "Asylum claims lodged with the national commission."

[[columns]]
name = "ref_area"
type = "code"
codelist = "country"
label = { es = "País que informa", en = "Reporting country" }

[[columns]]
name = "time_period"
type = "period"
label = { es = "Año", en = "Year" }

[[columns]]
name = "nationality"
type = "code"
codelist = "country"
label = { es = "Nacionalidad", en = "Nationality" }

[[columns]]
name = "sex"
type = "code"
codelist = "sex"
label = { es = "Sexo", en = "Sex" }

[[columns]]
name = "claims"
type = "count"
role = "measure"
label = { es = "Solicitudes", en = "Claims" }
''', encoding="utf-8")
    monkeypatch.setattr(declarations, "STANDARD_DIR", tmp_path / "standard")
    declarations._all.cache_clear()
    yield "asylum_claims"
    monkeypatch.undo()
    declarations._all.cache_clear()


def test_declaring_a_dataset_adds_its_guide_entry_and_a_valid_example_with_no_code_change(throwaway_standard,
                                                                                            tmp_path):
    assert throwaway_standard in dataset_ids()
    for lang in LANGS:
        entry = anchors(lang)[guide.dataset_anchor(throwaway_standard)]
        assert entry.title == dataset(throwaway_standard).title(lang)
        assert "`claims`" in entry.body
        assert f"id='{guide.dataset_anchor(throwaway_standard)}'" in guide.to_html(lang)
    path = tmp_path / "claims.csv"
    path.write_bytes(guide.example_csv(dataset(throwaway_standard)))
    _read, report = val.validate_path(str(path), throwaway_standard, guide.EXAMPLE_COUNTRY)
    assert report.errors == 0 and report.rows >= 4


@pytest.mark.parametrize("lang", LANGS)
def test_guide_cli_writes_one_offline_html_file_with_every_dataset_and_example(tmp_path, lang, capsys):
    out = tmp_path / f"guide_{lang}.html"
    assert main(["guide", "--lang", lang, "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert f"<html lang='{lang}'>" in page and t("guide.title", lang) in page
    for ds in datasets():
        assert f"id='{guide.dataset_anchor(ds.id)}'" in page and ds.title(lang) in page
    for code in val.PROBLEMS:
        assert f"id='{guide.rule_anchor(code)}'" in page
    assert page.count("download='") == len(datasets())
    assert not re.search(r"(src|href)=['\"]https?:", page)  # nothing fetched from outside
    for term in guide.GLOSSARY:
        assert t(f"guide.glossary.{term}_term", lang) in page


def test_guide_cli_writes_a_dataset_example_file(tmp_path):
    out = tmp_path / "r.csv"
    assert main(["guide", "--example", "returns", "--out", str(out)]) == 0
    assert out.read_bytes() == guide.example_csv(dataset("returns"))


@pytest.mark.parametrize("lang", LANGS)
def test_first_file_steps_come_with_small_real_screenshots_in_the_offline_file(lang):
    shots = guide.screenshots(lang)
    assert shots and set(shots) <= set(range(1, guide.STEPS + 1))
    for path in shots.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size < 100_000
    page = guide.to_html(lang)
    assert page.count("src='data:image/png;base64,") == len(shots)
    for step in shots:
        assert t("guide.steps.screenshot", lang, step=step) in page


def test_guide_cli_prints_the_guide_to_pdf(tmp_path):
    from vipmg_core import bulletins

    if not bulletins.pdf_available():
        pytest.skip("no chromium to print PDF with")
    out = tmp_path / "guia.pdf"
    assert main(["guide", "--lang", "es", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF") and out.stat().st_size > 10_000
