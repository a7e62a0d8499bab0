"""Imported real data in a real browser: after `import` of UN DESA's 2015 origin-destination table, the cross-tab
and the flow map show UN DESA's own figure for Nicaraguans in Costa Rica (299,340), not the demo's, and the
cross-tab's download names the source file. A server of its own (imports must not reach other tests), offline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from vipmg_core import demo
from vipmg_core.i18n import t
from vipmg_core.importers import import_file
from vipmg_core.warehouse import Warehouse

from .conftest import APP_RUN_TIMEOUT_MS, assert_no_exception, is_local, running_app, wait_for_app

pytestmark = pytest.mark.browser

UNDESA_OD = "undesa_ims2015_od_table16/UN_MigrantStockByOriginAndDestination_2015.xlsx"
NIC_IN_CRI = re.compile(r"299[\s.,\u202f\u00a0]?340")  # 299,340 / 299.340 / 299 340, as the locale writes it


@pytest.fixture(scope="module")
def imported_url(realdata_dir: Path, tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("imported_app")
    wh = Warehouse(root / "wh")
    demo.build(wh, scale=0.05)
    import_file(wh, realdata_dir / UNDESA_OD, actor="test")
    with running_app(wh.root, root / "server.log") as base_url:
        yield base_url


@pytest.fixture
def offline_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(APP_RUN_TIMEOUT_MS)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    yield page
    context.close()
    assert not [url for url in requested if not is_local(url)], "the app requested URLs outside this machine"


def test_imported_stock_appears_in_the_cross_tab_and_its_download_names_the_source(imported_url, offline_page):
    page = offline_page
    page.goto(f"{imported_url}/crosstab?lang=en&xds=migrant_stock&xr=origin&xc=time_period&cty=CRI"
              f"&yr=2015-2015&xf_origin=NIC")
    wait_for_app(page)
    assert_no_exception(page)
    table = page.get_by_test_id("stMain").get_by_test_id("stDataFrame").first
    expect(table.locator("[role='gridcell']").first).to_be_attached()
    cells = table.locator("[role='gridcell']").all_inner_texts()
    assert "Nicaragua" in cells
    assert any(NIC_IN_CRI.fullmatch(c.strip()) for c in cells), cells
    with page.expect_download() as download:
        page.get_by_role("button", name=t("crosstab.download_csv", "en"), exact=True).click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "UN_MigrantStockByOriginAndDestination_2015.xlsx" in text
    assert "United Nations, DESA, Population Division" in text


def test_imported_stock_draws_on_the_flow_map(imported_url, offline_page):
    page = offline_page
    page.goto(f"{imported_url}/flowmap?lang=en&fds=migrant_stock&fct=CRI&fdir=in&ftop=5&fper=2015")
    wait_for_app(page)
    assert_no_exception(page)
    expect(page.get_by_test_id("stDeckGlJsonChart").locator("canvas").first).to_be_visible()
    table = page.get_by_test_id("stMain").get_by_test_id("stDataFrame").first
    expect(table.locator("[role='gridcell']").first).to_be_attached()
    cells = [c.strip() for c in table.locator("[role='gridcell']").all_inner_texts()]
    assert "Nicaragua" in cells
    assert any(NIC_IN_CRI.fullmatch(c) for c in cells), cells
