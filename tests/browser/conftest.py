"""Real-browser fixtures: one `streamlit run` on 127.0.0.1 for the whole session, Debian's chromium driven by
Playwright, and pages that fail their test if the app asked for anything outside this machine.

Playwright's own browser download needs the internet, so we never `playwright install`: Debian's chromium
(`sh tools/install_chromium.sh`) is launched with the offline flags from ../shared/guide/STACK.md.
Set VIPMG_SKIP_BROWSER=1 to skip this folder on a machine that cannot run a browser.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from tools import streamlit_server
from vipmg_core.i18n import LANGS, t

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PROJECT_DIR = Path(__file__).resolve().parents[2]
BROWSER_TESTS_DIR = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-angle=swiftshader",  # software WebGL, so the deck.gl map draws without a GPU
    "--enable-unsafe-swiftshader",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LOCAL_SCHEMES = {"data", "blob"}
SERVER_START_TIMEOUT = 60.0
APP_RUN_TIMEOUT_MS = 30_000
SETTLE_MS = 300
EXPECT_TIMEOUT_MS = 15_000

SKIP_BROWSER = os.environ.get("VIPMG_SKIP_BROWSER") == "1"
_server_logs: dict[str, Path] = {}  # each server's stderr by its base URL, quoted when one of its pages fails


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test; VIPMG_SKIP_BROWSER=1 skips them before any server starts."""
    for item in items:
        if BROWSER_TESTS_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if SKIP_BROWSER:
                item.add_marker(pytest.mark.skip(reason="VIPMG_SKIP_BROWSER=1"))


# --- the server ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("streamlit") / "stderr.log"


@contextmanager
def running_app(data_dir: Path, log: Path) -> Iterator[str]:
    """`streamlit run app.py` (Home.py with its session routes) on `data_dir`, as `make run` starts it; yields
    http://127.0.0.1:PORT."""
    try:
        with streamlit_server.running("app.py", cwd=PROJECT_DIR, log=log, env={"VIPMG_DATA_DIR": str(data_dir)},
                                      timeout=SERVER_START_TIMEOUT) as base_url:
            _server_logs[base_url] = log
            yield base_url
    except streamlit_server.ServerError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def app_url(demo_dir: Path, server_log: Path) -> Iterator[str]:
    """The app on the prebuilt demo warehouse, one server for the whole session."""
    with running_app(demo_dir, server_log) as base_url:
        yield base_url


# --- the browser --------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if SKIP_BROWSER:
        pytest.skip("VIPMG_SKIP_BROWSER=1")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `sh tools/install_chromium.sh` (Debian's chromium; "
                    "`playwright install` does not work offline), or set VIPMG_SKIP_BROWSER=1 to skip "
                    "the browser tests.", pytrace=False)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)  # two busy cores: give a rerun more than the default 5 s
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or (parts.hostname or "") in LOCAL_HOSTS


@pytest.fixture
def new_page(browser: Browser, app_url: str) -> Iterator[Callable[[], Page]]:
    """Opens pages, each in a brand-new browser context (no cookies, no session: like another person).

    After the test, fails if any of them requested a URL outside this machine: the app must work offline.
    """
    contexts = []
    requested: list[str] = []

    def open_page() -> Page:
        context = browser.new_context(locale="es-ES", viewport={"width": 1400, "height": 1000},
                                      accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(APP_RUN_TIMEOUT_MS)
        page.on("request", lambda request: requested.append(request.url))
        return page

    yield open_page
    for context in contexts:
        context.close()
    outside = sorted({url for url in requested if not is_local(url)})
    assert not outside, ("the app requested URLs outside this machine (it must work offline):\n  "
                         + "\n  ".join(outside))


@pytest.fixture
def page(new_page: Callable[[], Page]) -> Page:
    return new_page()


# --- helpers the tests share --------------------------------------------------------------------------------

# Streamlit draws each element in a React Suspense whose placeholder (`stSkeleton`) stays until the element's code
# has loaded; an element the finished run did not send again is kept, marked stale, until it is removed. A page
# read before both are gone misses elements a person sees a moment later (a profile read with two of its eleven
# figures still grey placeholders).
_PAINTED = """() => !document.querySelector(
    "[data-testid='stSkeleton'], [data-testid='stAppSkeleton'], [data-testid='stElementContainer'][data-stale='true']")"""


def wait_for_app(page: Page, settle_ms: int = SETTLE_MS) -> None:
    """Waits until the script run that the last action started has finished and every element it sent is drawn,
    then lets the page paint."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=APP_RUN_TIMEOUT_MS)
    page.wait_for_function(_PAINTED, timeout=APP_RUN_TIMEOUT_MS)
    page.wait_for_timeout(settle_ms)


def assert_no_exception(page: Page) -> None:
    """No exception box, no traceback, and not the app's own "something went wrong" message."""
    exceptions = page.get_by_test_id("stException")
    assert exceptions.count() == 0, f"the page shows an exception:\n{exceptions.first.inner_text()}"
    body = page.locator("body").inner_text()
    assert "Traceback" not in body, f"the page shows a traceback:\n{body[-3000:]}"
    for lang in LANGS:
        assert t("shell.error", lang) not in body, (
            f"the page shows the app's error message ({lang}); the server's stderr ends with:\n"
            + server_log_tail(page.url))


def server_log_tail(url: str) -> str:
    """The end of the stderr of the server that served `url` (several servers may run in one session)."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    log = _server_logs.get(origin)
    return streamlit_server.tail(log, 4000) if log else f"(no server log for {origin})"


def person(browser: Browser, requested: list[str]) -> Page:
    """Another person: a fresh browser context whose every request is recorded in `requested`."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.on("request", lambda request: requested.append(request.url))
    return page


def sign_in(page: Page, base_url: str, username: str, password: str, lang: str) -> None:
    """Through the Sign in page, as a person does; the session then lasts while they use the menu."""
    page.goto(f"{base_url}/login?lang={lang}")
    wait_for_app(page)
    page.get_by_label(t("auth.username", lang), exact=True).fill(username)
    page.get_by_label(t("auth.password", lang), exact=True).fill(password)
    page.get_by_role("button", name=t("auth.sign_in", lang)).click()
    wait_for_app(page)
    from playwright.sync_api import expect

    # The menu is rebuilt for the signed-in role: wait for it before anyone clicks a link in it.
    expect(page.get_by_test_id("stSidebar").get_by_text(username, exact=False).first).to_be_visible()
    wait_for_app(page)
