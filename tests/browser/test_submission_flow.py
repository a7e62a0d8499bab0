"""The whole flow in a real browser: a focal point sends a file, a reviewer publishes it, the public sees it.
Its own server and warehouse, since it publishes. Offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from vipmg_core import accounts, demo
from vipmg_core.i18n import t
from vipmg_core.warehouse import Warehouse

from .conftest import assert_no_exception, is_local, person, running_app, sign_in, wait_for_app

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upload"
PASSWORD = "workshop-password-1"


@pytest.fixture(scope="module")
def flow_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("flow")
    wh = Warehouse(root / "data")
    demo.build(wh, scale=0.05)
    accounts.add_user(wh.catalogue, "fp_cri", role="focal_point", country="CRI", password=PASSWORD, actor="t",
                      institution="DGME Costa Rica")
    accounts.add_user(wh.catalogue, "revisora", role="reviewer", password=PASSWORD, actor="t")
    # The office's real-looking file, with its one typo already fixed at source.
    raw = (FIXTURES / "entradas_enero_cp1252.csv").read_bytes().replace(b"Hondura;", b"Honduras;")
    clean = root / "entradas_enero.csv"
    clean.write_bytes(raw)
    with running_app(wh.root, root / "server.log") as url:
        yield url, wh, clean


def signed_in(browser: Browser, requested: list[str], url: str, username: str, lang: str) -> Page:
    page = person(browser, requested)
    sign_in(page, url, username, PASSWORD, lang)
    return page


def go(page: Page, page_title: str) -> None:
    """Through the sidebar menu, as a person does: a typed URL would open a new session, signed out."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=page_title, exact=True).click()
    wait_for_app(page)


def nav_labels(page: Page) -> str:
    return page.get_by_test_id("stSidebarNav").inner_text()


def test_focal_point_sends_reviewer_publishes_public_sees(browser: Browser, flow_app):
    """The focal point works in Spanish, the reviewer in English, the public reads in both: every step of the
    flow is walked once, and each language is met on the pages that say what happened."""
    pub, fp, rev = "es", "es", "en"
    url, wh, clean = flow_app
    requested: list[str] = []

    # The public: no submission pages on offer.
    public = person(browser, requested)
    public.goto(f"{url}/?lang={pub}")
    wait_for_app(public)
    assert t("page.review", pub) not in nav_labels(public)
    assert t("page.my_submissions", pub) not in nav_labels(public)

    # The focal point of Costa Rica checks the file and sends it.
    focal = signed_in(browser, requested, url, "fp_cri", fp)
    go(focal, t("page.upload", fp))  # opens on the first dataset (arrivals) and the focal point's country
    focal.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(clean))
    wait_for_app(focal, settle_ms=800)
    wait_for_app(focal)
    focal.get_by_role("button", name=t("send.button", fp)).click()
    wait_for_app(focal)
    expect(focal.get_by_text(t("send.done", fp, version=1,
                               period="2025-01")[:30])).to_be_visible()
    assert_no_exception(focal)
    assert wh.query("arrivals_departures", "SELECT COUNT(*) FROM data WHERE time_period = '2025-01'").item() \
        == 0  # not published yet

    # The reviewer finds it in the queue and publishes it.
    reviewer = signed_in(browser, requested, url, "revisora", rev)
    go(reviewer, t("page.review", rev))
    expect(reviewer.get_by_role("button", name=t("subs.download_original", rev, name="entradas_enero.csv"))
           ).to_be_visible()
    reviewer.get_by_role("button", name=t("subs.publish", rev), exact=True).click()
    wait_for_app(reviewer)
    expect(reviewer.get_by_text(t("subs.published_ok", rev)[:25])).to_be_visible()
    assert_no_exception(reviewer)

    # The public now sees January 2025 for Costa Rica in the catalogue's coverage.
    public.goto(f"{url}/catalogue?lang=en&ds=arrivals_departures")
    wait_for_app(public)
    expect(public.get_by_test_id("stDataFrame").nth(1)).to_contain_text("2025")
    assert wh.query("arrivals_departures", "SELECT COUNT(*) FROM data WHERE time_period = '2025-01'").item() == 6
    assert not [u for u in requested if not is_local(u)]
