"""The README's first command on a fresh machine: an empty data directory, and the very first request a
shared deep link. The app loads the public data pack, builds the synthetic demo for the datasets the pack has no
series for, and opens the linked view, offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from vipmg_core import pack
from vipmg_core.warehouse import Warehouse

from .conftest import assert_no_exception, is_local, running_app, wait_for_app

pytestmark = pytest.mark.browser


def test_fresh_start_on_a_deep_link_loads_the_real_pack_and_the_demo_and_opens_the_linked_view(browser: Browser,
                                                                                                tmp_path: Path):
    data_dir = tmp_path / "fresh"
    with running_app(data_dir, tmp_path / "server.log") as base_url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.set_default_timeout(90_000)
        page.goto(f"{base_url}/catalogue?lang=en&ds=returns")
        wait_for_app(page)
        expect(page.get_by_role("heading", name="Returns", exact=True)).to_be_visible()
        notice = page.get_by_test_id("stAlert").filter(has_text="Synthetic demo data")
        expect(notice).to_be_visible()  # census and survey stay synthetic, and the notice names only them
        expect(notice).to_contain_text("Population census (sample)")
        expect(notice).not_to_contain_text("Returns")
        assert_no_exception(page)
        # The next interaction keeps the linked language (it once fell back to Spanish here).
        page.get_by_test_id("stSelectbox").filter(has_text="Dataset").click()
        page.get_by_role("option", name="Irregular transit").click()
        wait_for_app(page)
        expect(page.get_by_role("heading", name="Irregular transit", exact=True)).to_be_visible()
        assert "lang=en" in page.url and "ds=irregular_transit" in page.url
        context.close()
    assert not [url for url in requested if not is_local(url)]
    built = Warehouse(data_dir)
    assert {r.dataset_id for r in built.releases()} >= {"returns", "census", "survey", "migrant_stock"}
    real = set(pack.datasets_in())
    assert {"returns", "migrant_stock", "irregular_transit"} <= real
    assert all(r.synthetic != (r.dataset_id in real) for r in built.releases())
