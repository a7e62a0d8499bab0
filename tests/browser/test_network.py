"""The Network board and the library in a real browser, in both languages, with no outside request.
Its own server and warehouse (articles, a calendar and accounts that other tests must not see)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from vipmg_core import accounts, demo, library, network
from vipmg_core.i18n import t
from vipmg_core.warehouse import Warehouse

from .conftest import assert_no_exception, is_local, person, running_app, sign_in, wait_for_app

pytestmark = pytest.mark.browser
PASSWORD = "workshop-password-1"
LINK = "/crosstab?xds=returns&xr=ref_area&xc=sex&cty=GTM,HND"
PROFILE = "/profile?pc=GTM"
CHARTS_MS = 30_000  # plotly draws after the script run; two busy cores


@pytest.fixture(scope="module")
def network_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("network_browser")
    wh = Warehouse(root / "data")
    demo.build(wh, scale=0.05)
    rev = accounts.add_user(wh.catalogue, "revisora", role="reviewer", password=PASSWORD, actor="t")
    accounts.add_user(wh.catalogue, "fp_gtm", role="focal_point", country="GTM", password=PASSWORD, actor="t",
                      institution="IGM Guatemala", email="enlace@igm.example")
    network.set_calendar(wh, rev, "returns", "monthly", due_days=30, since="2025-01")
    art = library.save(wh, rev, {"es": {"title": "Retornos recientes", "summary": "Resumen",
                                        "body": f"Texto.\n\n[[view: {LINK}]]\n\n[[view: {PROFILE}]]"},
                                 "en": {"title": "Recent returns", "summary": "Summary",
                                        "body": f"Text.\n\n[[view: {LINK}]]"}},
                       countries=["GTM", "HND"], topics=["returns"])
    library.publish(wh, rev, art.article_id)
    with running_app(wh.root, root / "server.log") as url:
        yield url


@pytest.mark.parametrize("lang", ["es", "en"])
def test_board_and_library_walk_for_the_public_and_a_reviewer(browser: Browser, network_app, lang: str):
    url = network_app
    requested: list[str] = []

    public = person(browser, requested)
    public.goto(f"{url}/board?lang={lang}")
    wait_for_app(public)
    expect(public.get_by_text(t("network.coverage", lang), exact=True)).to_be_visible()
    assert_no_exception(public)
    body = public.locator("body").inner_text()
    assert "enlace@igm.example" not in body and t("network.directory", lang) not in body

    public.goto(f"{url}/library?lang={lang}")
    wait_for_app(public)
    expect(public.get_by_role("heading", name=t("page.library", lang))).to_be_visible()
    expect(public.get_by_text("Retornos recientes" if lang == "es" else "Recent returns").first).to_be_visible()
    expect(public.get_by_test_id("stDataFrame").first).to_be_visible()
    if lang == "es":  # the Spanish text also embeds a country profile (in one language only: a browser is slow)
        expect(public.get_by_text(f"{t('page.profile', lang)} — Guatemala").first).to_be_visible()
        expect(public.locator(".js-plotly-plot .main-svg").nth(6)).to_be_attached(timeout=CHARTS_MS)
        expect(public.get_by_test_id("stDeckGlJsonChart").locator("canvas").first).to_be_attached()
    assert_no_exception(public)

    reviewer = person(browser, requested)
    sign_in(reviewer, url, "revisora", PASSWORD, lang)
    reviewer.get_by_test_id("stSidebarNav").get_by_role("link", name=t("page.board", lang), exact=True).click()
    wait_for_app(reviewer)
    expect(reviewer.get_by_text(t("network.directory", lang), exact=True)).to_be_visible()
    expect(reviewer.get_by_text(t("network.summary", lang), exact=True)).to_be_visible()
    assert_no_exception(reviewer)
    assert not [u for u in requested if not is_local(u)]
