"""A focal point in a real browser: from their own messy file to a "ready" verdict, in Spanish and in English,
with the report downloadable; a hostile file gets a clear message and the app keeps running. Offline."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from vipmg_core.i18n import LANG_NAMES, t

from .conftest import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upload"


def open_upload(page: Page, app_url: str, lang: str) -> None:
    page.goto(f"{app_url}/upload?ds=arrivals_departures&country=CRI")
    wait_for_app(page)
    if lang != "es":  # as a person does it: the language switch in the sidebar
        page.get_by_test_id("stSidebar").get_by_text(LANG_NAMES[lang], exact=True).click()
        wait_for_app(page)
    expect(page.get_by_role("heading", name=t("page.upload", lang))).to_be_visible()


def upload(page: Page, name: str) -> None:
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(FIXTURES / name))
    wait_for_app(page, settle_ms=800)
    wait_for_app(page)


@pytest.mark.parametrize("lang", ["es", "en"])
def test_focal_point_goes_from_a_messy_file_to_ready(app_url: str, page: Page, lang: str):
    open_upload(page, app_url, lang)
    upload(page, "entradas_enero_cp1252.csv")
    main = page.get_by_test_id("stMain")
    not_ready = t("upload.verdict_not_ready", lang, errors=1, warnings=0).split("(")[0].replace("**", "").strip()
    expect(main.get_by_text(not_ready[:25])).to_be_visible()

    # "Did you mean": the picker for the misspelt country offers Honduras first.
    label = t("upload.fix_value", lang, value="Hondura", column="Nacionalidad")
    picker = main.get_by_test_id("stSelectbox").filter(has_text=label).get_by_role("combobox")
    first_suggestion = page.get_by_role("option").nth(1)
    for _attempt in range(3):  # a late rerun can close the list as it opens; open it again
        picker.click()
        try:
            expect(first_suggestion).to_have_text("HND — Honduras", timeout=3000)
            break
        except AssertionError:
            wait_for_app(page)
    first_suggestion.click()
    wait_for_app(page, settle_ms=800)
    ready = t("upload.verdict_ready", lang, warnings=0).split("(")[0].replace("**", "").strip()
    expect(main.get_by_test_id("stAlert").filter(has_text=ready[:20])).to_be_visible()
    assert_no_exception(page)

    button = main.get_by_role("button", name=t("upload.download_csv", lang))
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename == "entradas_enero_cp1252_validation.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO("\n".join(line for line in text.splitlines() if not line.startswith("#")))))
    assert rows[0][:3] == [t("report.col_severity", lang), t("report.col_type", lang), t("report.col_row", lang)]
    assert t("report.severity_error", lang) not in [r[0] for r in rows[1:]]


def test_a_binary_file_renamed_csv_gets_a_clear_message(app_url: str, page: Page):
    open_upload(page, app_url, "es")
    upload(page, "garbage.csv")
    expect(page.get_by_test_id("stMain").get_by_text(t("read_error.binary", "es")[:40])).to_be_visible()
    assert_no_exception(page)
