"""Offline pydeck maps: our own country polygons as the base, no tiles, no map style, no outside request."""

from __future__ import annotations

import math

import pydeck as pdk

from vipmg_core.codelists import country_name, country_point
from vipmg_core.geo import countries_geojson
from vipmg_core.i18n import fmt_number

LAND = [226, 226, 220]
HIGHLIGHT = [189, 208, 230]
BORDER = [150, 150, 150]
WATER = [246, 249, 252]
BUBBLE = [200, 80, 40, 190]
# Mesoamerica and the Caribbean, with room for the USA and South America at the edges.
REGION_VIEW = pdk.ViewState(latitude=15.5, longitude=-80.0, zoom=3.1, min_zoom=1, max_zoom=8)


def base_layer(lang: str, highlight: set[str] | None = None) -> pdk.Layer:
    """Country polygons; the highlighted ones (the project countries, usually) drawn in colour."""
    highlight = highlight or set()
    geojson = countries_geojson(lang)
    for feature in geojson["features"]:
        feature["properties"]["fill"] = HIGHLIGHT if feature["properties"]["iso3"] in highlight else LAND
        feature["properties"]["label"] = feature["properties"]["name"]
    return pdk.Layer(
        "GeoJsonLayer",
        geojson,
        id="countries",
        stroked=True,
        filled=True,
        get_fill_color="properties.fill",
        get_line_color=BORDER,
        line_width_min_pixels=0.5,
        pickable=False,
    )


def bubble_layer(values: dict[str, float], lang: str, unit_label: str, period: str) -> pdk.Layer:
    """Circles at each country's point, area proportional to the value (so the eye compares areas)."""
    largest = max(values.values(), default=0) or 1
    rows = []
    for iso3, value in values.items():
        point = country_point(iso3)
        if point is None or not value:
            continue
        rows.append({
            "iso3": iso3,
            "position": list(point),
            "radius": 350_000 * math.sqrt(value / largest),
            "label": f"{country_name(iso3, lang)}: {fmt_number(value, lang)} {unit_label} ({period})",
        })
    return pdk.Layer(
        "ScatterplotLayer",
        rows,
        id="bubbles",
        get_position="position",
        get_radius="radius",
        radius_min_pixels=3,
        get_fill_color=BUBBLE,
        get_line_color=[255, 255, 255],
        line_width_min_pixels=1,
        stroked=True,
        pickable=True,
    )


def offline_deck(layers: list[pdk.Layer], view: pdk.ViewState = REGION_VIEW, height: int = 420) -> pdk.Deck:
    """A deck with no basemap: `map_provider=None` with pydeck's default `map_style` is the only combination
    that makes no request (an empty or None style makes Streamlit fetch Carto's positron style)."""
    return pdk.Deck(
        layers=layers,
        initial_view_state=view,
        map_provider=None,
        height=height,
        parameters={"clearColor": [c / 255 for c in WATER] + [1]},
        tooltip={"text": "{label}"},
    )
