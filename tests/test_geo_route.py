"""The country polygons every map draws come from the app's own route: fetched once per browser, not sent inside
every page (that was ~0.3 s of each page with a map), and with only what a map reads."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.requests import Request

from vipmg_core import maps
from vipmg_core.geo import countries_geojson
from vipmg_ui import geo_route


def _get(lang: str, etag: str | None = None):
    headers = [(b"if-none-match", etag.encode())] if etag else []
    scope = {"type": "http", "method": "GET", "path": f"/vipmg/geo/countries_{lang}.geojson",
             "path_params": {"lang": lang}, "headers": headers, "query_string": b""}
    # In a thread of its own: after the browser tests, this thread may already run Playwright's event loop.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, geo_route.polygons(Request(scope))).result()


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_route_serves_every_country_with_its_code_and_name_in_the_language_and_lets_browsers_keep_it(lang):
    response = _get(lang)
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    served = json.loads(response.body)
    shipped = countries_geojson(lang)
    assert len(served["features"]) == len(shipped["features"])
    names = {f["properties"]["iso3"]: f["properties"]["label"] for f in served["features"]}
    assert names["MEX"] == ("México" if lang == "es" else "Mexico")
    assert all(set(f["properties"]) == {"iso3", "label"} for f in served["features"])
    again = _get(lang, etag=response.headers["etag"])  # the browser asks again: nothing is sent
    assert again.status_code == 304 and not again.body


def test_an_unknown_language_is_not_found():
    assert _get("fr").status_code == 404


def test_the_url_names_the_files_version_and_only_when_the_route_is_served(monkeypatch):
    monkeypatch.setattr(geo_route, "_mounted", False)
    assert geo_route.polygons_url("es") is None  # `streamlit run Home.py`: maps carry their polygons
    monkeypatch.setattr(geo_route, "_mounted", True)
    url = geo_route.polygons_url("es")
    assert url.startswith("/vipmg/geo/countries_es.geojson?v=") and geo_route.polygons_url("fr") is None


def test_a_map_reading_the_route_colours_the_chosen_countries_by_code():
    layer = json.loads(maps.offline_deck([maps.base_layer("en", {"PAN", "CRI"}, "/vipmg/geo/x.geojson")]).to_json())
    spec = layer["layers"][0]
    assert spec["data"] == "/vipmg/geo/x.geojson"
    fill = spec["getFillColor"]
    assert "properties.iso3 === 'CRI'" in fill and "properties.iso3 === 'PAN'" in fill
    assert "'MEX'" not in fill
    # Only codes enter the expression deck.gl evaluates.
    odd = json.loads(maps.offline_deck([maps.base_layer("en", {"X' || 1", "GTM"}, "/u")]).to_json())
    assert "X'" not in odd["layers"][0]["getFillColor"] and "'GTM'" in odd["layers"][0]["getFillColor"]
    inline = json.loads(maps.offline_deck([maps.base_layer("en", {"PAN"})]).to_json())["layers"][0]
    assert isinstance(inline["data"], dict) and len(inline["data"]["features"]) > 150
