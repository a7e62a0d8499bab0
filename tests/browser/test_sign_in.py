"""Sign-in in a real browser survives a reload and a typed URL (an HttpOnly session cookie), and ends for good
on sign-out and on a password reset. Its own server (started as `make run` does) and warehouse."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from vipmg_core import accounts, demo, web_sessions
from vipmg_core.i18n import t
from vipmg_core.warehouse import Warehouse

from .conftest import assert_no_exception, is_local, person, running_app, wait_for_app

pytestmark = pytest.mark.browser

PASSWORD = "workshop-password-1"
LANG = "es"


@pytest.fixture(scope="module")
def sign_in_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("sign_in")
    wh = Warehouse(root / "data")
    demo.build(wh, scale=0.05)
    accounts.add_user(wh.catalogue, "fp_cri", role="focal_point", country="CRI", password=PASSWORD, actor="t")
    log = root / "server.log"
    with running_app(wh.root, log) as url:
        yield url, wh, log


def sign_in_keeping_the_cookie(page: Page, url: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/login?lang={LANG}")
    wait_for_app(page)
    page.get_by_label(t("auth.username", LANG), exact=True).fill("fp_cri")
    page.get_by_label(t("auth.password", LANG), exact=True).fill(password)
    with page.expect_response(lambda r: r.url.endswith("/vipmg/session")) as answer:
        page.get_by_role("button", name=t("auth.sign_in", LANG)).click()
    assert answer.value.status == 204
    wait_for_app(page)


def badge(page: Page):
    return page.get_by_test_id("stSidebar").get_by_text(t("auth.signed_in_as", LANG, who="fp_cri"), exact=False)


def test_a_sign_in_survives_a_reload_and_a_typed_url_until_sign_out(browser: Browser, sign_in_app):
    url, wh, log = sign_in_app
    requested: list[str] = []
    page = person(browser, requested)
    sign_in_keeping_the_cookie(page, url)
    (cookie,) = [c for c in page.context.cookies() if c["name"] == web_sessions.COOKIE_NAME]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    assert page.evaluate("document.cookie").find(web_sessions.COOKIE_NAME) == -1  # scripts cannot read it

    page.reload()
    wait_for_app(page)
    expect(badge(page).first).to_be_visible()
    page.goto(f"{url}/my_submissions?lang={LANG}")  # typed: a new Streamlit session, the cookie signs it in
    wait_for_app(page)
    expect(page.get_by_text(t("auth.sign_in_first", LANG))).to_have_count(0)
    expect(badge(page).first).to_be_visible()
    assert_no_exception(page)

    page.goto(f"{url}/login?lang={LANG}")
    wait_for_app(page)
    with page.expect_response(lambda r: r.url.endswith("/vipmg/sign-out")) as answer:
        page.get_by_role("button", name=t("auth.sign_out", LANG)).click()
    assert answer.value.status == 204
    wait_for_app(page)
    assert not [c for c in page.context.cookies() if c["name"] == web_sessions.COOKIE_NAME]
    page.reload()
    wait_for_app(page)
    expect(page.get_by_label(t("auth.username", LANG), exact=True)).to_be_visible()
    expect(badge(page)).to_have_count(0)
    # the old cookie, even sent again by hand, signs no one in
    assert not wh.catalogue.query("SELECT 1 FROM web_sessions WHERE username = 'fp_cri' AND revoked_at IS NULL"
                                  " AND cookie_hash IS NOT NULL")
    assert all(is_local(u) for u in requested)
    assert "Static file serving is enabled" not in log.read_text(errors="replace")


def test_a_password_reset_signs_every_browser_out(browser: Browser, sign_in_app):
    url, wh, _ = sign_in_app
    page = person(browser, [])
    sign_in_keeping_the_cookie(page, url)
    accounts.reset_password(wh.catalogue, "fp_cri", "another-password-2", actor="admin")
    page.reload()
    wait_for_app(page)
    expect(page.get_by_label(t("auth.username", LANG), exact=True)).to_be_visible()
    expect(badge(page)).to_have_count(0)
    accounts.reset_password(wh.catalogue, "fp_cri", PASSWORD, actor="admin")
