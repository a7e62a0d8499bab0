"""A workshop presenter in a real browser, offline: opens a country's profile, compares it with its neighbours,
and hands out its bulletin, which opens with no network at all. The `page` fixture fails on any outside request."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from vipmg_core import bulletins as bl
from vipmg_core import profiles as pr
from vipmg_core.i18n import t

from .conftest import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser
CHARTS_MS = 30_000  # plotly draws after the script run; two busy cores


def open_url(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)
    assert_no_exception(page)


def main(page: Page):
    return page.get_by_test_id("stMain")


def download_from_profile(page: Page, url: str, button_label: str, tmp_path: Path, timeout_ms: int) -> Path:
    """Opens a profile, clicks one of its download buttons and saves the file under its suggested name."""
    open_url(page, url)
    button = main(page).get_by_role("button", name=button_label)
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=timeout_ms) as info:
        button.click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    return saved


def test_a_profile_shows_its_figures_charts_and_map_offline(app_url: str, page: Page, demo_wh):
    polygons = []  # the maps' land comes from the app's own route, fetched once, not inside every page
    page.on("response", lambda r: polygons.append((r.url, r.status)) if "/vipmg/geo/" in r.url else None)
    open_url(page, f"{app_url}/?lang=en")  # warm the server's routing, as other browser tests do
    open_url(page, f"{app_url}/profile?lang=en&pc=CRI")
    expect(main(page).locator("h1").first).to_have_text("Country profile")
    expect(main(page).locator("h2").first).to_have_text("Costa Rica")
    arrivals = pr.profile(demo_wh, "CRI", pr.Period(None, 2024)).figure("arrivals")
    metric = main(page).get_by_test_id("stMetric").filter(has_text="Arrivals").first
    expect(metric.get_by_test_id("stMetricValue")).to_have_text(pr.figure_value(arrivals, "en"))
    charts = main(page).locator(".js-plotly-plot .main-svg")
    expect(charts.nth(8)).to_be_attached(timeout=CHARTS_MS)  # every chart drawn, none blank
    canvas = main(page).get_by_test_id("stDeckGlJsonChart").locator("canvas").first
    canvas.scroll_into_view_if_needed()
    expect(canvas).to_be_visible()
    expect(main(page).get_by_text("Counts events, not persons").first).to_be_attached()
    assert_no_exception(page)
    assert polygons and all(urlsplit(url).path == "/vipmg/geo/countries_en.geojson" and status in (200, 304)
                            for url, status in polygons), polygons


def test_the_comparison_draws_bars_and_an_offline_choropleth(app_url: str, page: Page):
    open_url(page, f"{app_url}/compare?lang=es&ci=immigrant_share&cc=CRI,PAN,NIC,LCA")
    expect(main(page).locator("h1").first).to_have_text(t("page.compare", "es"))
    bars = main(page).locator(".js-plotly-plot").first
    expect(bars.locator(".bars .point").nth(3)).to_be_attached(timeout=CHARTS_MS)  # one bar per country
    chart_map = main(page).locator(".js-plotly-plot").nth(1)
    expect(chart_map.locator("canvas").first).to_be_visible(timeout=CHARTS_MS)  # maplibre drew the polygons
    expect(main(page).get_by_text("Los períodos de referencia difieren", exact=False)).to_be_visible()
    assert_no_exception(page)


def test_the_downloaded_bulletin_opens_and_draws_with_no_network(app_url: str, page: Page, browser: Browser,
                                                                 tmp_path: Path):
    saved = download_from_profile(page, f"{app_url}/profile?lang=es&pc=PAN", t("profiles.download_html", "es"),
                                  tmp_path, timeout_ms=120_000)
    assert saved.name.startswith("boletin_PAN_") and saved.suffix == ".html"

    # A colleague opens the file from a USB stick: a new browser, a file:// page, nothing else allowed.
    context = browser.new_context(offline=True)
    requested: list[str] = []
    try:
        reader = context.new_page()
        reader.on("request", lambda request: requested.append(request.url))
        reader.goto(saved.as_uri())
        expect(reader.locator("h1")).to_have_text("Boletín migratorio: Panamá")
        expect(reader.locator(".js-plotly-plot .main-svg").nth(5)).to_be_attached(timeout=CHARTS_MS)
        assert "Período: 2024" in reader.locator("header").inner_text()
    finally:
        context.close()
    outside = [u for u in requested if urlsplit(u).scheme not in ("file", "data", "blob")]
    assert not outside, f"the bulletin asked the network for: {outside}"


@pytest.mark.skipif(not bl.pdf_available(), reason="Chromium is not installed: the page offers the HTML only")
def test_the_pdf_bulletin_downloads_from_the_profile(app_url: str, page: Page, tmp_path: Path):
    saved = download_from_profile(page, f"{app_url}/profile?lang=en&pc=LCA", t("profiles.download_pdf", "en"),
                                  tmp_path, timeout_ms=180_000)
    assert saved.name == "bulletin_LCA_2024_en.pdf"
    assert saved.read_bytes().startswith(b"%PDF")
