"""What a person sees in a real browser: every page in both languages, the language switch, the home page's
figures and map, a shared link, and the Catalogue's template download. Nothing may leave this machine."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from google.protobuf.message import DecodeError
from PIL import Image
from playwright.sync_api import Locator, Page, expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from vipmg_core.codelists import country_name, project_countries
from vipmg_core.datasets import dataset
from vipmg_core.i18n import DEFAULT_LANG, LANG_NAMES, t
from vipmg_ui.navigation import HOME, PAGES, PageSpec

from .conftest import APP_RUN_TIMEOUT_MS, assert_no_exception, is_local, person, running_app, wait_for_app

pytestmark = pytest.mark.browser

ALL_PAGES = (HOME, *[spec for spec in PAGES if spec.visible_to(None)])  # what the public is offered
CATALOGUE = next(spec for spec in PAGES if spec.url_path == "catalogue")
SYNTHETIC_NOTICE = {"es": "Datos sintéticos", "en": "Synthetic demo data"}


def url_of(app_url: str, spec: PageSpec, lang: str = DEFAULT_LANG) -> str:
    path = "" if spec == HOME else spec.url_path  # the home page is the default page, at the root
    query = "" if lang == DEFAULT_LANG else f"?lang={lang}"
    return f"{app_url}/{path}{query}"


def _finished_runs(page: Page) -> list[int]:
    """The count of script runs the server has finished for this page, read from its websocket: every run ends
    with a `script_finished` message. (The app's "running" attribute is no signal: React may set "running"
    and "notRunning" in one render when a run is quick, and the attribute then never changes.)"""
    counter = getattr(page, "_vipmg_finished_runs", None)
    if counter is None:
        counter = page._vipmg_finished_runs = [0]

        def frame(payload) -> None:
            if isinstance(payload, (bytes, bytearray)):
                try:
                    message = ForwardMsg.FromString(bytes(payload))
                except DecodeError:
                    return
                if message.WhichOneof("type") == "script_finished":
                    counter[0] += 1

        page.on("websocket", lambda ws: ws.on("framereceived", frame))
    return counter


def open_page(page: Page, url: str) -> None:
    _finished_runs(page)  # listening before the page's websocket opens
    page.goto(url)
    wait_for_app(page)


def click_and_wait(page: Page, target: Locator) -> None:
    """Click a widget and wait until the run that the click started has finished. (Waiting for the app to
    be "not running" right after a click can return before that run has even begun.)"""
    runs = _finished_runs(page)
    before = runs[0]
    target.click()
    deadline = time.monotonic() + APP_RUN_TIMEOUT_MS / 1000
    while runs[0] <= before:
        assert time.monotonic() < deadline, f"no script run finished within {APP_RUN_TIMEOUT_MS / 1000:.0f} s of the click"
        page.wait_for_timeout(50)  # Playwright delivers the websocket's frames while it waits
    wait_for_app(page)


def sidebar(page: Page) -> Locator:
    return page.get_by_test_id("stSidebar")


def main(page: Page) -> Locator:
    return page.get_by_test_id("stMain")


def current_nav_link(page: Page) -> Locator:
    return page.locator("[data-testid='stSidebarNavLink'][aria-current='page']")


def country_multiselect(page: Page, lang: str) -> Locator:
    return sidebar(page).get_by_test_id("stMultiSelect").filter(has_text=t("shell.countries", lang))


def selected_countries(page: Page, lang: str) -> Locator:
    return country_multiselect(page, lang).locator("[data-tag]")


def dataset_picker(page: Page) -> Locator:
    return main(page).get_by_test_id("stSelectbox").first.get_by_role("combobox")  # the page's first: the dataset


def choose_dataset(page: Page, title: str) -> None:
    dataset_picker(page).click()
    page.get_by_role("option", name=title, exact=True).click()
    wait_for_app(page)


def expect_in_language(page: Page, lang: str) -> None:
    """The shell's own texts are in `lang`: the sidebar's context heading and the synthetic-data notice."""
    expect(sidebar(page).get_by_text(t("shell.context", lang), exact=True)).to_be_visible()
    expect(page.get_by_test_id("stAlert").filter(has_text=SYNTHETIC_NOTICE[lang])).to_be_visible()


# Each public page opening from its link, in each language, with its title and the menu marking it: the walk of
# test_accessibility.py, which checks axe-core's rules on the same visit.


def test_switching_language_changes_the_texts_and_the_link_and_survives_navigation(app_url: str, page: Page):
    open_page(page, url_of(app_url, HOME))
    expect_in_language(page, "es")
    expect(main(page).get_by_text(t("home.headlines", "es"), exact=True)).to_be_visible()

    click_and_wait(page, sidebar(page).get_by_text(LANG_NAMES["en"], exact=True))
    expect_in_language(page, "en")
    expect(main(page).get_by_text(t("home.headlines", "en"), exact=True)).to_be_visible()
    expect(current_nav_link(page)).to_have_accessible_name(t(HOME.title_key, "en"))
    expect(page).to_have_url(re.compile(r"[?&]lang=en(&|$)"))

    click_and_wait(page, sidebar(page).get_by_text(LANG_NAMES["es"], exact=True))
    expect_in_language(page, "es")
    expect(main(page).get_by_text(t("home.headlines", "es"), exact=True)).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"[?&]lang=en(&|$)"))

    click_and_wait(page, sidebar(page).get_by_text(LANG_NAMES["en"], exact=True))
    page.get_by_test_id("stSidebarNavLink").filter(has_text=t("page.catalogue", "en")).click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"/catalogue\?(.*&)?lang=en(&|$)"))
    expect(main(page).locator("h1").first).to_have_text(t("page.catalogue", "en"))
    expect(sidebar(page).get_by_role("radio", name=LANG_NAMES["en"])).to_be_checked()
    expect_in_language(page, "en")
    assert_no_exception(page)


def test_the_first_click_on_a_fresh_server_counts(demo_dir: Path, browser, tmp_path: Path):
    """A fresh server runs its first session's first run in Streamlit's legacy pages/ mode, where the language
    switch had another identity than in every later run: the first person's first click on it was lost."""
    requested: list[str] = []
    with running_app(demo_dir, tmp_path / "server.log") as fresh:
        first = person(browser, requested)
        open_page(first, url_of(fresh, HOME))
        click_and_wait(first, sidebar(first).get_by_text(LANG_NAMES["en"], exact=True))
        expect(sidebar(first).get_by_role("radio", name=LANG_NAMES["en"])).to_be_checked()
        expect_in_language(first, "en")
        expect(first).to_have_url(re.compile(r"[?&]lang=en(&|$)"))
        assert_no_exception(first)
        first.context.close()
    assert all(is_local(url) for url in requested), sorted(set(requested))


def test_home_shows_the_headline_figures_and_draws_the_map(app_url: str, page: Page, tmp_path: Path):
    open_page(page, url_of(app_url, HOME))

    metrics = main(page).get_by_test_id("stMetric")
    expect(metrics.nth(2)).to_be_visible()  # at least three figures
    values = metrics.get_by_test_id("stMetricValue").all_inner_texts()
    assert all(re.search(r"\d", value) for value in values), f"a headline figure has no number: {values}"

    canvas = main(page).get_by_test_id("stDeckGlJsonChart").locator("canvas").first
    canvas.scroll_into_view_if_needed()
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, f"the map has no size: {box}"

    # WebGL draws asynchronously: wait until the picture is more than one flat colour.
    shot = tmp_path / "map.png"
    deadline = time.monotonic() + 15
    while True:
        canvas.screenshot(path=shot)
        with Image.open(shot) as image:
            pixels = image.convert("RGB")
            colours = pixels.getcolors(maxcolors=pixels.width * pixels.height)
            dominant_share = max(count for count, _ in colours) / (pixels.width * pixels.height)
        if len(colours) > 1 and dominant_share < 0.98:
            break
        assert time.monotonic() < deadline, (f"the map stayed blank ({len(colours)} colours, the commonest "
                                             f"covering {dominant_share:.1%}); screenshot at {shot}")
        page.wait_for_timeout(250)
    assert_no_exception(page)


def test_a_shared_link_reopens_the_same_dataset_and_countries(app_url: str, page: Page,
                                                             new_page: Callable[[], Page]):
    lang = DEFAULT_LANG
    returns = dataset("returns").title(lang)
    removed = country_name("MEX", lang)
    expected = [country_name(code, lang) for code in project_countries() if code != "MEX"]

    open_page(page, url_of(app_url, CATALOGUE))
    choose_dataset(page, returns)
    expect(main(page).locator("h2").filter(has_text=returns).first).to_be_visible()
    country_multiselect(page, lang).get_by_role("button", name=f"Remove {removed}").click()
    wait_for_app(page)
    expect(selected_countries(page, lang)).to_have_text(expected)
    link = page.url

    other = new_page()  # a colleague opening the link: a fresh browser context, no session
    open_page(other, link)
    expect(other.locator("h1").first).to_have_text(t("page.catalogue", lang))
    expect(main(other).locator("h2").filter(has_text=returns).first).to_be_visible()
    expect(dataset_picker(other)).to_have_value(returns)
    expect(selected_countries(other, lang)).to_have_text(expected)
    assert_no_exception(other)


def test_catalogue_template_download_has_the_standard_header(app_url: str, page: Page):
    lang = DEFAULT_LANG
    ds = dataset("returns")
    open_page(page, url_of(app_url, CATALOGUE))
    choose_dataset(page, ds.title(lang))

    button = main(page).get_by_role("button", name=t("catalogue.template_download", lang, title=ds.title(lang)))
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    raw = Path(download.path()).read_bytes()

    assert download.suggested_filename.endswith(".csv")
    assert raw.startswith(b"\xef\xbb\xbf"), "the template lacks the UTF-8 BOM that lets Excel read accents"
    header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header == ds.template_header()
    assert_no_exception(page)
