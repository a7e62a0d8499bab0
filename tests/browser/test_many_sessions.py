"""A room at once: eight people open different pages and datasets at the same moment, on one server. Each must
see exactly the numbers the lab's Python API gives for their view, computed alone in this process: the
cross-tab cells of six datasets, a country profile's headline figures, and the home page's headlines.

Before each query got its own view of the data, sessions read each other's datasets: pages showed other
datasets' cells or the app's error message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from vipmg_core import crosstab as xt
from vipmg_core import profiles as pr
from vipmg_core.headlines import headline_figures
from vipmg_core.i18n import t
from vipmg_core.warehouse import Warehouse

from .conftest import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser

RUN_TIMEOUT_MS = 180_000  # eight sessions' first runs share two cores


@dataclass(frozen=True)
class Crosstab:
    dataset_id: str
    rows: str
    cols: str
    countries: tuple[str, ...]
    lang: str

    def url(self, base: str) -> str:
        return (f"{base}/crosstab?lang={self.lang}&xds={self.dataset_id}&xr={self.rows}&xc={self.cols}"
                f"&cty={','.join(self.countries)}")

    def expected(self, wh: Warehouse) -> tuple[list[str], list[str]]:
        """The table's headers and cells as the API says the page shows them (the page's defaults: every
        year, the dataset's first measure, totals)."""
        table = xt.crosstab(self.dataset_id, [self.rows], [self.cols], countries=self.countries,
                            years=wh.year_bounds(), warehouse=wh).table(self.lang)
        cells = [text or "" for row in table.display.rows() for text in row]
        return list(table.display.columns), cells

    def shown(self, page: Page) -> tuple[list[str], list[str]]:
        grid = page.get_by_test_id("stMain").get_by_test_id("stDataFrame").first
        settle(page, grid.locator("[role='gridcell']").first)
        return (grid.locator("[role='columnheader']").all_inner_texts(),
                grid.locator("[role='gridcell']").all_inner_texts())


@dataclass(frozen=True)
class Profile:
    code: str
    lang: str

    def url(self, base: str) -> str:
        return f"{base}/profile?lang={self.lang}&pc={self.code}"

    def expected(self, wh: Warehouse) -> list[str]:
        bounds = wh.year_bounds()
        profile = pr.profile(wh, self.code, pr.period_for_years(bounds, bounds), pr.DEFAULT_POOL)
        return [pr.figure_value(fig, self.lang) for fig in profile.figures]

    def shown(self, page: Page) -> list[str]:
        return metric_values(page)


@dataclass(frozen=True)
class Home:
    countries: tuple[str, ...]
    lang: str

    def url(self, base: str) -> str:
        return f"{base}/?lang={self.lang}&cty={','.join(self.countries)}"

    def expected(self, wh: Warehouse) -> list[str]:
        figures = headline_figures(wh, list(self.countries), wh.year_bounds())
        return [fig.value_text(self.lang) for fig in figures]

    def shown(self, page: Page) -> list[str]:
        return metric_values(page)


def metric_values(page: Page) -> list[str]:
    values = page.get_by_test_id("stMain").get_by_test_id("stMetricValue")
    settle(page, values.first)
    return values.all_inner_texts()


def settle(page: Page, shown: Locator) -> None:
    """Wait until the page shows `shown` or fails (an exception, or the app's error message), and its run
    has ended; a failure is reported with the server's log."""
    failed = page.get_by_test_id("stException").or_(page.get_by_text(t("shell.error", "es"))) \
        .or_(page.get_by_text(t("shell.error", "en")))
    expect(shown.or_(failed).first).to_be_attached(timeout=RUN_TIMEOUT_MS)
    wait_for_app(page)
    assert_no_exception(page)


VIEWS = (
    Crosstab("returns", "ref_area", "sex", ("GTM", "HND", "SLV", "BLZ"), "es"),
    Crosstab("arrivals_departures", "ref_area", "flow", ("CRI", "PAN", "BLZ"), "en"),
    Crosstab("refugees", "asylum", "population_type", ("CRI", "MEX", "PAN", "BLZ"), "es"),
    Crosstab("census", "ref_area", "sex", ("CRI", "MEX", "PAN", "BLZ"), "en"),
    Crosstab("survey", "ref_area", "migrant_status", ("GTM", "HND", "SLV", "BLZ"), "es"),
    Crosstab("residence_permits", "permit_type", "sex", ("CRI", "PAN", "BLZ"), "en"),
    Profile("HND", "en"),
    Home(("CRI", "GTM", "PAN", "BLZ"), "es"),
)


def test_eight_people_at_once_each_see_their_own_numbers(app_url: str, demo_dir: Path,
                                                         new_page: Callable[[], Page]):
    wh = Warehouse(demo_dir)
    expected = [view.expected(wh) for view in VIEWS]  # one caller alone, through the Python API
    assert all(expected), "every view has numbers to show"

    pages = [new_page() for _ in VIEWS]
    for page, view in zip(pages, VIEWS):  # each load returns at once; the eight script runs overlap
        page.goto(view.url(app_url))
    shown = [view.shown(page) for page, view in zip(pages, VIEWS)]

    wrong = {type(view).__name__ + " " + view.url(""): (want, got)
             for view, want, got in zip(VIEWS, expected, shown) if want != got}
    assert not wrong, "sessions showed other numbers than the API gives alone:\n" + "\n".join(
        f"{name}:\n  expected {want}\n  shown    {got}" for name, (want, got) in wrong.items())
