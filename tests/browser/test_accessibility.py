"""Every public page, in Spanish and in English, passes axe-core's WCAG 2.1 A and AA rules in a real browser.

axe-core comes from the npm registry (`sh tools/install_axe.sh`, pinned in tests/browser/axe/package-lock.json)
and is injected from that local file: nothing is fetched while the test runs, and the `page` fixture fails the
test if the app asked for anything outside this machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from vipmg_core.i18n import LANG_NAMES, LANGS, t
from vipmg_ui.navigation import HOME

from .conftest import APP_RUN_TIMEOUT_MS, assert_no_exception
from .test_pages import (
    ALL_PAGES,
    click_and_wait,
    current_nav_link,
    expect_in_language,
    main,
    open_page,
    sidebar,
    url_of,
)

pytestmark = pytest.mark.browser

AXE_JS = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PUBLIC_PAGES = ALL_PAGES  # what a visitor without sign-in sees
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Plotly draws its figures after the script run has finished: a chart is read once its SVG is there.
_CHARTS_DRAWN = """() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")]
    .every(chart => chart.querySelector('.main-svg'))"""

_RUN_AXE = """async (tags) => {
    const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
    }));
}"""


def violations_on(page: Page) -> list[dict]:
    page.wait_for_function(_CHARTS_DRAWN, timeout=APP_RUN_TIMEOUT_MS)
    if not page.evaluate("typeof axe !== 'undefined'"):  # once: the menu changes pages within one document
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(_RUN_AXE, WCAG_21_AA)


def describe(where: str, violations: list[dict]) -> str:
    """Each violation: the rule, its impact and help, and up to five elements (the end of their CSS path) with
    the first reason axe gives."""
    lines = []
    for violation in violations:
        lines.append(f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            reasons = [line.strip() for line in node["summary"].splitlines()[1:2]]
            lines.append(f"    ...{node['target'][-110:]}  {' '.join(reasons)}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def test_every_public_page_passes_wcag_21_aa_in_both_languages(app_url: str, page: Page):
    """A visitor opens each page from its link, switches the language and walks the menu page by page: each page
    is the one the menu marks, headed by its title, in the language chosen, and passes axe-core."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `sh tools/install_axe.sh` (axe-core from the npm registry).",
                    pytrace=False)
    found = []
    for lang in LANGS:
        if lang != LANGS[0]:  # the switch on the page last opened; the menu then walks the pages in this language
            click_and_wait(page, sidebar(page).get_by_text(LANG_NAMES[lang], exact=True))
        for spec in PUBLIC_PAGES:
            title = t(spec.title_key, lang)
            if lang == LANGS[0]:  # each page opens from its own link
                open_page(page, url_of(app_url, spec, lang))
            else:
                link = sidebar(page).get_by_role("link", name=title, exact=True)
                if link.get_attribute("aria-current") != "page":
                    click_and_wait(page, link)
            expect(current_nav_link(page)).to_have_accessible_name(title)  # the menu marks this page
            if spec != HOME:  # the home page is headed by the app's name
                expect(main(page).locator("h1").first).to_have_text(title)
            expect(main(page).locator("h1").first).to_be_visible()
            expect_in_language(page, lang)
            assert_no_exception(page)
            where = f"{spec.url_path} [{lang}]"
            # WCAG 3.1.1, which axe checks only for a valid code: the page says which language it is in.
            page_lang = page.evaluate("document.documentElement.lang")
            if page_lang != lang:
                found.append(f"{where}: <html lang={page_lang!r}>, the page is in {lang!r}")
            violations = violations_on(page)
            if violations:
                found.append(describe(where, violations))
            if spec.url_path == "flowmap":  # the legend is a drawing: its alt says what it says
                legend = page.get_by_role("img", name=t("flows.legend_circles", lang), exact=False)
                if not legend.count():
                    found.append(f"{where}: no image named by the legend's text ({t('flows.legend_circles', lang)})")
    assert not found, "axe-core found WCAG 2.1 AA violations:\n" + "\n".join(found)
