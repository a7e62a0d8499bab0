"""Validate a file: the upload page driven headless with AppTest through the app's own navigation."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from vipmg_core.i18n import t

from .conftest import open_page

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "upload"


@pytest.fixture
def upload_page(demo_dir):
    def open_(lang: str = "es", dataset_id: str = "arrivals_departures", country: str = "CRI") -> AppTest:
        return open_page("pages/upload.py", {"lang": lang, "ds": dataset_id, "country": country})

    return open_


def upload(at: AppTest, name: str, data: bytes | None = None, mime: str = "text/csv") -> AppTest:
    at.file_uploader[0].set_value((name, data if data is not None else (FIXTURES / name).read_bytes(), mime))
    at.run()
    assert not at.exception, at.exception
    return at


def texts(elements) -> str:
    return "\n".join(e.value for e in elements)


@pytest.mark.parametrize("lang", ["es", "en"])
def test_page_opens_in_each_language_and_says_it_only_validates(upload_page, lang):
    at = upload_page(lang)
    assert at.title[0].value == t("page.upload", lang)
    assert t("upload.validate_only", lang) in texts(at.info)
    assert t("unit.events_badge", lang) in texts(at.warning)


@pytest.mark.parametrize("lang", ["es", "en"])
def test_messy_file_becomes_ready_once_the_misspelt_country_is_mapped(upload_page, lang):
    at = upload(upload_page(lang), "entradas_enero_cp1252.csv")
    assert t("upload.verdict_not_ready", lang, errors=1, warnings=0).split("(")[0] in texts(at.error)
    fix = next(s for s in at.selectbox if "Hondura" in s.label)
    assert fix.options[1].startswith("HND")  # "did you mean" first
    fix.set_value("HND").run()
    assert not at.exception
    verdict = texts(at.success)
    assert t("upload.verdict_ready", lang, warnings=0).split("(")[0] in verdict


def test_report_shows_counts_problems_with_rows_and_a_highlighted_sample(upload_page):
    at = upload(upload_page("en"), "errores.csv")
    assert "**Not ready.** 7 errors" in texts(at.error)
    frames = [f.value for f in at.dataframe]
    problems = next(f for f in frames if "What is wrong" in f.columns)
    errors = problems[problems["Severity"] == "Error"]
    assert set(errors["Row"]) == {3, 4, 5, 6, 7, 8, 9}
    assert "Row 5, column \"cantidad\": -3 is outside the allowed range" in " ".join(errors["What is wrong"])
    summary = next(f for f in frames if list(f.columns) == ["Severity", "Problem type", "Count"])
    assert summary["Count"].sum() >= 7
    assert "Sample of rows with errors (wrong cells highlighted)" in [s.value for s in at.subheader]
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download the report (Excel)", "Download the report (CSV)"]


def test_problem_table_filters_by_type(upload_page):
    at = upload(upload_page("en"), "errores.csv")
    at.multiselect(key="filter_type_en").set_value(["Unknown code"]).run()
    problems = next(f.value for f in at.dataframe if "What is wrong" in f.value.columns)
    assert list(problems["Problem type"].unique()) == ["Unknown code"]
    assert list(problems["Value"]) == ["Narnia"]


@pytest.mark.parametrize("name, key", [
    ("empty.csv", "empty"), ("garbage.csv", "binary"), ("not_a_zip.xlsx", "not_excel"),
    ("zip_not_excel.xlsx", "zip_not_excel"), ("unclosed_quote.csv", "unclosed_quote"),
])
def test_a_file_that_cannot_be_read_gets_one_clear_message_and_the_page_keeps_working(upload_page, name, key):
    at = upload(upload_page("es"), name)
    assert len(at.error) == 1
    assert at.error[0].value.split(" ")[:3] == t(f"read_error.{key}", "es", row=3).split(" ")[:3]
    at.selectbox(key="ds").set_value("returns").run()  # still alive
    assert not at.exception


def test_workbook_sheets_can_be_picked(upload_page):
    at = upload(upload_page("en", "residence_permits"), "permisos_2024.xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = next(s for s in at.selectbox if s.label == "Sheet")
    assert sheet.options == ["Notas", "Datos 2024"] and sheet.value == "Datos 2024"
    assert "**Ready to send.**" in texts(at.success)
    sheet.set_value("Notas").run()
    assert not at.exception
    assert "**Not ready.**" in texts(at.error)


def test_spss_value_labels_map_codes_without_help(upload_page):
    at = upload(upload_page("es", "residence_permits"), "permisos.sav", mime="application/octet-stream")
    assert "**Listo para enviar.**" in texts(at.success)


def test_saving_a_profile_needs_a_focal_point_of_that_country(upload_page):
    at = upload(upload_page("en"), "errores.csv")
    at.text_input[0].set_value("monthly")
    at.button[0].click().run()
    assert "sign in as a focal point of Costa Rica" in texts(at.warning)


def test_a_focal_point_saves_a_profile_and_picks_it_next_month(upload_page, demo_wh):
    from vipmg_core import accounts

    if "fp_upload_cri" not in {a.username for a in accounts.list_users(demo_wh.catalogue)}:
        accounts.add_user(demo_wh.catalogue, "fp_upload_cri", role="focal_point", country="CRI",
                          password="a long pass phrase 42", actor="test")
    at = upload_page("en")
    at.session_state["_username"] = "fp_upload_cri"
    at = upload(at, "entradas_enero_cp1252.csv")
    next(s for s in at.selectbox if "Hondura" in s.label).set_value("HND").run()
    at.text_input[0].set_value("DGME monthly")
    at.button[0].click().run()
    assert "Profile \"DGME monthly\" saved" in texts(at.success)

    again = upload(upload_page("en"), "entradas_enero_cp1252.csv")
    profile = next(s for s in again.selectbox if s.label == "Saved mapping profile")
    assert "DGME monthly" in profile.options
    profile.set_value("DGME monthly").run()
    assert "**Ready to send.**" in texts(again.success)  # the correction came with the profile


def test_a_file_is_read_and_hashed_once_however_often_the_page_reruns(upload_page, monkeypatch):
    """Every widget change reruns the page: the file's bytes and SHA-256 are kept in the session, and the table is
    read again only when a reading option (here the header row) changes, from the same bytes, not hashed again."""
    from vipmg_core import readers

    hashed, reads = [], []
    real_of, real_read = readers.FileBytes.of, readers.read_upload
    monkeypatch.setattr(readers.FileBytes, "of", classmethod(lambda cls, data, name: hashed.append(name)
                                                             or real_of(data, name)))
    monkeypatch.setattr(readers, "read_upload", lambda data, name, **options: reads.append(data)
                        or real_read(data, name, **options))
    at = upload(upload_page("en"), "errores.csv")
    at.multiselect(key="filter_type_en").set_value(["Unknown code"]).run()
    at.run()
    assert not at.exception and len(hashed) == 1 and len(reads) == 1
    at.number_input[0].set_value(1).run()
    assert not at.exception and len(hashed) == 1 and len(reads) == 2
    assert all(isinstance(data, readers.FileBytes) for data in reads)
    sha = readers.sha256_of((FIXTURES / "errores.csv").read_bytes())
    assert {data.sha256 for data in reads} == {sha} and sha in texts(at.markdown)
