"""The Cross-tab page in a real browser: a copied link reopens the same table in another browser, the table
and the downloads say the same, admin counts are labelled as events, in both languages and offline."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Locator, Page, expect

from vipmg_core.i18n import t

from .conftest import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser


def grid(page: Page) -> Locator:
    return page.get_by_test_id("stMain").get_by_test_id("stDataFrame").first


def table_text(page: Page) -> tuple[list[str], list[str]]:
    """Headers and cell texts of the cross-tab, as the browser's accessible table exposes them."""
    table = grid(page)
    expect(table.locator("[role='gridcell']").first).to_be_attached()  # the accessible copy sits off-screen
    headers = table.locator("[role='columnheader']").all_inner_texts()
    cells = table.locator("[role='gridcell']").all_inner_texts()
    return headers, cells


def open_url(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)
    assert_no_exception(page)


def test_a_copied_link_reopens_the_same_table_in_another_browser(app_url: str, new_page):
    first = new_page()
    # Opened once first so this test does not depend on being the server's first request
    # (that case is covered by tests/browser/test_first_start.py).
    open_url(first, f"{app_url}/?lang=en")
    open_url(first, f"{app_url}/crosstab?lang=en&xds=survey&xr=ref_area&xc=labour_status&cty=GTM,HND,SLV")
    first.get_by_test_id("stRadio").filter(has_text=t("crosstab.percent_label", "en")) \
        .get_by_text(t("crosstab.percent.col", "en"), exact=True).click()
    wait_for_app(first)
    expect(first).to_have_url(re.compile(r"xp=col"))
    # The URL changes before the table is redrawn: wait until the column shares are on screen.
    for _attempt in range(60):
        headers, cells = table_text(first)
        if cells[-1] == "100.0":
            break
        first.wait_for_timeout(250)
    assert cells[-1] == "100.0"
    assert headers[:2] == ["Survey country", "Employed"]
    assert "Guatemala" in cells and "x" not in cells[:1]
    link = first.url

    other = new_page()  # another browser: no cookies, no session, only the link
    open_url(other, link)
    assert table_text(other) == (headers, cells)
    expect(other.get_by_test_id("stRadio").filter(has_text=t("crosstab.percent_label", "en"))
           .locator("input[type='radio']:checked")).to_have_value("2")  # the third option, "% of column"


def test_spanish_admin_table_is_labelled_as_events_and_its_csv_matches_the_screen(app_url: str, page: Page):
    open_url(page, f"{app_url}/crosstab?xds=returns&xr=ref_area&xc=transport&cty=GTM,HND,SLV,CRI")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stAlert").filter(has_text=t("unit.events_badge", "es")).first).to_be_visible()
    headers, cells = table_text(page)
    assert headers == ["País que recibe a sus nacionales", "Aérea", "Terrestre", "Total"]
    with page.expect_download() as download:
        main.get_by_role("button", name=t("crosstab.download_csv", "es"), exact=True).click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert "# Advertencia: Datos sintéticos de demostración" in text
    assert re.search(r"# Unidad: eventos — Cuenta eventos, no personas", text)
    body = list(csv.reader(io.StringIO("\n".join(l for l in text.splitlines() if not l.startswith("#")))))
    assert body[0] == headers
    def same(text: str) -> str:  # "151 552" on screen (narrow no-break spaces), 151552 in the file
        return re.sub(r"(?<=\d)\s(?=\d)", "", text)

    assert [c for row in body[1:] for c in row] == [same(c) for c in cells]
