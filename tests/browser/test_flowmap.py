"""The Flow map in a real browser: the map draws, hovering an arc shows its tooltip in the user's language,
clicking a country's circle selects it, and nothing is requested outside this machine (the `page` fixture)."""

from __future__ import annotations

import math
import re

import pytest
from playwright.sync_api import Page, expect

from vipmg_core import flows as fl
from vipmg_core.codelists import country_name, country_point

from .conftest import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    """Web Mercator world coordinates in [0, 1], as deck.gl's MapView projects them."""
    x = (lon + 180) / 360
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2
    return x, y


def _screen(view, box: dict, lon: float, lat: float) -> tuple[float, float]:
    """Where a point on the ground is drawn in the canvas (pitch 0, so no perspective shift at ground level)."""
    scale = 512 * 2 ** view.zoom
    cx, cy = _mercator(view.longitude, view.latitude)
    px, py = _mercator(lon, lat)
    return box["x"] + box["width"] / 2 + (px - cx) * scale, box["y"] + box["height"] / 2 + (py - cy) * scale


@pytest.mark.parametrize("lang", ["es", "en"])
def test_hovering_an_arc_shows_origin_destination_value_unit_and_period(app_url: str, page: Page, demo_wh,
                                                                       lang: str):
    # One arc, Nicaragua -> Costa Rica: the map is centred on it, so its middle is the canvas centre.
    page.goto(f"{app_url}/flowmap?lang={lang}&fds=migrant_stock&fct=CRI&fdir=in&ftop=1")
    wait_for_app(page)
    result = fl.flows(demo_wh, "migrant_stock", countries=["CRI"], direction="in", top=1)
    flow = result.flows.row(0, named=True)
    expected = fl.flow_label(flow["origin"], flow["destination"], flow["value"], flow["last_period"],
                             result.unit, lang)

    canvas = page.get_by_test_id("stDeckGlJsonChart").locator("canvas").first
    canvas.scroll_into_view_if_needed()
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    tooltip = page.locator(".deck-tooltip")
    for dy in (0, -3, 3, -6, 6):  # the arc is a few pixels wide: look around the centre
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + dy)
        page.wait_for_timeout(300)
        if tooltip.count() and tooltip.first.is_visible() and \
                tooltip.first.inner_text().startswith(("Origen:", "Origin:")):
            break
    expect(tooltip.first).to_be_visible()
    text = tooltip.first.inner_text()
    assert text == expected, text
    assert ("Origen: Nicaragua" if lang == "es" else "Origin: Nicaragua") in text
    assert ("personas" if lang == "es" else "persons") in text and flow["last_period"] in text
    assert_no_exception(page)


def test_clicking_a_country_selects_it_and_keeps_it_in_the_link(app_url: str, page: Page, demo_wh):
    page.goto(f"{app_url}/flowmap?lang=en&fds=migrant_stock&fct=CRI&fdir=in&ftop=1")
    wait_for_app(page)
    result = fl.flows(demo_wh, "migrant_stock", countries=["CRI"], direction="in", top=1)
    origin = result.flows["origin"][0]  # Nicaragua: its circle sits at the far end of the arc
    view = fl.flow_deck(result, "en").initial_view_state

    canvas = page.get_by_test_id("stDeckGlJsonChart").locator("canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = _screen(view, box, *country_point(origin))
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    tooltip = page.locator(".deck-tooltip").first
    expect(tooltip).to_contain_text("In: ")  # the country's circle, with its totals
    assert tooltip.inner_text().startswith(f"{country_name(origin, 'en')}\nIn: ")
    page.mouse.click(x, y)
    expect(page).to_have_url(re.compile(rf"[?&]fct={origin}(&|$)"))
    wait_for_app(page)
    chosen = page.get_by_test_id("stMultiSelect").filter(has_text="Selected countries").locator("[data-tag]")
    expect(chosen).to_have_text([country_name(origin, "en")])
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    assert_no_exception(page)
