"""Offline pydeck maps: our own country polygons as the base, no tiles, no map style, no outside request."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TypedDict

import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from vipmg_core import palette
from vipmg_core.codelists import country_name, country_point
from vipmg_core.geo import countries_geojson
from vipmg_core.i18n import fmt_number, t

# Every colour comes from `palette` (checked for colour-blind readers by tests/test_palettes.py).
LAND, HIGHLIGHT, BORDER, WATER, BUBBLE = palette.LAND, palette.HIGHLIGHT, palette.BORDER, palette.WATER, palette.BUBBLE
# Mesoamerica and the Caribbean, with room for the USA and South America at the edges.
REGION_VIEW = pdk.ViewState(latitude=15.5, longitude=-80.0, zoom=3.1, min_zoom=1, max_zoom=8)


def _country_polygons(lang: str, coloured: set[str], colour: list[int], labels: Mapping[str, str] | None) -> dict:
    """The polygons with only what a layer reads: the fill, and for a pickable layer (`labels` not None) the code
    and the tooltip label (the country's name unless `labels` says more). Every page load carries them."""
    geojson = countries_geojson(lang)
    for feature in geojson["features"]:
        props = feature["properties"]
        kept = {"fill": colour if props["iso3"] in coloured else LAND}
        if labels is not None:
            kept.update(iso3=props["iso3"], label=labels.get(props["iso3"], props["label"]))
        feature["properties"] = kept
    return geojson


# How every map draws the country polygons.
_POLYGON_STYLE = {"stroked": True, "filled": True, "get_fill_color": "properties.fill", "get_line_color": BORDER,
                  "line_width_min_pixels": 0.5}


def base_layer(lang: str, highlight: set[str] | None = None, polygons_url: str | None = None) -> pdk.Layer:
    """Country polygons; the highlighted ones (the project countries, usually) drawn in colour. With
    `polygons_url` (the polygons as a file of this server, with `iso3` properties) the browser fetches them
    once and the fill is chosen there by code; otherwise the deck carries them."""
    if polygons_url is None:
        return pdk.Layer("GeoJsonLayer", _country_polygons(lang, highlight or set(), HIGHLIGHT, None),
                         id="countries", **_POLYGON_STYLE, pickable=False)
    return pdk.Layer("GeoJsonLayer", polygons_url, id="countries", **{**_POLYGON_STYLE, "get_fill_color":
                     _fill_by_code(highlight or set(), HIGHLIGHT)}, pickable=False)


def _fill_by_code(coloured: set[str], colour: list[int]) -> str | list[int]:
    """A deck.gl accessor expression: `colour` for the countries in `coloured`, the land colour elsewhere."""
    codes = sorted(c for c in coloured if c.isalnum())  # ISO codes only: nothing else enters the expression
    if not codes:
        return LAND
    test = " || ".join(f"properties.iso3 === '{c}'" for c in codes)
    return f"({test}) ? {list(colour)} : {LAND}"


def bubble_layer(values: Mapping[str, float], lang: str, unit_label: str, period: str) -> pdk.Layer:
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


TOOLTIP = {"text": "{label}"}


class Deck(pdk.Deck):
    """pydeck's Deck written as compact JSON: pydeck indents by two spaces, which made a map with the world's
    polygons 1.2 MB on every page load instead of 0.2 MB (the same keys, in the same order)."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


class PreparedDeck(Deck):
    """A deck already written to JSON (what a cache shared by every session keeps), given to
    `st.pydeck_chart` as is: no layer is built or serialised again."""

    def __init__(self, spec: str, height: int = 420) -> None:
        super().__init__(map_provider=None, height=height, tooltip=TOOLTIP)
        self.spec = spec

    def to_json(self) -> str:
        return self.spec


def offline_deck(layers: list[pdk.Layer], view: pdk.ViewState = REGION_VIEW, height: int = 420) -> Deck:
    """A deck with no basemap: `map_provider=None` with pydeck's default `map_style` is the only combination
    that makes no request (an empty or None style makes Streamlit fetch Carto's positron style)."""
    return Deck(
        layers=layers,
        initial_view_state=view,
        map_provider=None,
        height=height,
        parameters={"clearColor": [c / 255 for c in WATER] + [1]},
        tooltip=TOOLTIP,
    )


# -- flow maps -----------------------------------------------------------------------------------------------
# Arcs fade from the origin's colour to the destination's, so direction reads without arrows; country circles
# take the colour of the end they mostly are (net in: destination colour, net out: origin colour).
ORIGIN, DESTINATION, NEUTRAL, SELECTED = palette.ORIGIN, palette.DESTINATION, palette.NEUTRAL, palette.SELECTED
ARC_MIN_PX, ARC_MAX_PX = 1.0, 14.0
ARC_MIN_ALPHA, ARC_MAX_ALPHA = 90, 235
TOTAL_MIN_RADIUS_PX, TOTAL_MAX_RADIUS_PX = 4.0, 30.0
FIT_MAX_ZOOM = 4.5
WORLD_TILE_PX = 512  # deck.gl's Web Mercator world is 512 px wide at zoom 0


def _share(value: float, largest: float) -> float:
    # Square root: migration flows are heavy-tailed, and a linear scale leaves all but the largest at the floor.
    return math.sqrt(min(max(value, 0) / largest, 1.0)) if largest > 0 else 0.0


def arc_width(value: float, largest: float) -> float:
    """Width in pixels, growing with the square root of the flow (the legend shows the scale)."""
    return round(ARC_MIN_PX + (ARC_MAX_PX - ARC_MIN_PX) * _share(value, largest), 2)


def arc_alpha(value: float, largest: float) -> int:
    """Opacity (0-255): larger flows are drawn stronger."""
    return int(ARC_MIN_ALPHA + (ARC_MAX_ALPHA - ARC_MIN_ALPHA) * _share(value, largest))


def arc_layer(flows: list[tuple[str, str, float, str]], layer_id: str = "flows") -> pdk.Layer:
    """Arcs between country points for (origin, destination, value, label); flows with an end that has no
    point (OOO) are left out: say so beside the map."""
    largest = max((value for _, _, value, _ in flows), default=0)
    rows = []
    for origin, destination, value, label in flows:
        source, target = country_point(origin), country_point(destination)
        if source is None or target is None or not value:
            continue
        alpha = arc_alpha(value, largest)
        rows.append({
            "origin": origin,
            "destination": destination,
            "source": list(source),
            "target": list(target),
            "width": arc_width(value, largest),
            "source_color": ORIGIN + [alpha],
            "target_color": DESTINATION + [alpha],
            "label": label,
        })
    rows.reverse()  # the largest last, so it is drawn (and picked) on top
    return pdk.Layer(
        "ArcLayer",
        rows,
        id=layer_id,
        get_source_position="source",
        get_target_position="target",
        get_source_color="source_color",
        get_target_color="target_color",
        get_width="width",
        great_circle=True,
        pickable=True,
        auto_highlight=True,
    )


class _Circle(TypedDict):
    """A row of `totals_layer`: what the ScatterplotLayer reads."""

    iso3: str
    position: list[float]
    radius: float
    fill: list[int]
    line: list[int]
    label: str


def totals_layer(totals: Mapping[str, tuple[float, float]], labels: Mapping[str, str], layer_id: str = "totals") -> pdk.Layer:
    """A circle per country with an area proportional to what moves in and out, coloured by the net."""
    largest = max((i + o for i, o in totals.values()), default=0) or 1
    rows: list[_Circle] = []
    for iso3, (incoming, outgoing) in totals.items():
        point = country_point(iso3)
        if point is None or not (incoming or outgoing):
            continue
        net = incoming - outgoing
        colour = DESTINATION if net > 0 else ORIGIN if net < 0 else NEUTRAL
        rows.append({
            "iso3": iso3,
            "position": list(point),
            "radius": round(TOTAL_MIN_RADIUS_PX + (TOTAL_MAX_RADIUS_PX - TOTAL_MIN_RADIUS_PX)
                            * math.sqrt((incoming + outgoing) / largest), 2),
            "fill": colour + [110],
            "line": colour + [230],
            "label": labels.get(iso3, country_name(iso3, "en")),
        })
    rows.sort(key=lambda r: -r["radius"])  # small circles on top of big ones, so each can be picked
    return pdk.Layer(
        "ScatterplotLayer",
        rows,
        id=layer_id,
        get_position="position",
        get_radius="radius",
        radius_units="'pixels'",  # the same size at every zoom, as the legend draws it
        get_fill_color="fill",
        get_line_color="line",
        line_width_min_pixels=1,
        stroked=True,
        pickable=True,
    )


def selectable_countries_layer(lang: str, selected: set[str], labels: Mapping[str, str] | None = None,
                               layer_id: str = "countries") -> pdk.Layer:
    """The country polygons as `base_layer`, but pickable (a click selects the country) with a tooltip label
    per country, and the selected countries filled in colour."""
    return pdk.Layer(
        "GeoJsonLayer",
        _country_polygons(lang, selected, SELECTED, labels or {}),
        id=layer_id,
        **_POLYGON_STYLE,
        pickable=True,
        # Picking the borders too made clicks fail in Streamlit's deck (the pointer-down pick outlasted the tap).
        _subLayerProps={"polygons-stroke": {"pickable": False}},
        auto_highlight=True,
        highlight_color=[255, 255, 255, 90],
    )


def picked_country(selection: object) -> str | None:
    """The ISO3 code of the country a user clicked, from `st.pydeck_chart(on_select=...)`'s state."""
    state = selection if isinstance(selection, dict) else getattr(selection, "selection", None)
    inner = state.get("selection", state) if isinstance(state, dict) else None
    by_layer = inner.get("objects") if isinstance(inner, dict) else None
    if not isinstance(by_layer, dict):
        return None
    for objects in by_layer.values():
        for obj in objects or ():
            if not isinstance(obj, dict):
                continue
            iso3 = obj.get("iso3") or (obj.get("properties") or {}).get("iso3")
            if iso3:
                return str(iso3)
    return None


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    lat = max(min(lat, 85.0), -85.0)
    x = (lon + 180.0) / 360.0
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2
    return x, y


def fit_view(points: list[tuple[float, float]], width: int = 540, height: int = 520,
             padding: float = 0.12) -> pdk.ViewState:
    """The view that shows every (lon, lat) point, centred on them; the region view when there are none."""
    if not points:
        return REGION_VIEW
    xs, ys = zip(*(_mercator(lon, lat) for lon, lat in points))
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    usable_w, usable_h = width * (1 - 2 * padding), height * (1 - 2 * padding)
    zoom = min(math.log2(usable_w / (span_x * WORLD_TILE_PX)) if span_x else FIT_MAX_ZOOM,
               math.log2(usable_h / (span_y * WORLD_TILE_PX)) if span_y else FIT_MAX_ZOOM)
    zoom = max(min(zoom, FIT_MAX_ZOOM), 0.5)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    longitude = cx * 360.0 - 180.0
    latitude = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * cy))))
    return pdk.ViewState(latitude=round(latitude, 4), longitude=round(longitude, 4), zoom=round(zoom, 2),
                         min_zoom=0.5, max_zoom=8)


def _rgb(colour: list[int], alpha: int = 255) -> str:
    return f"rgba({colour[0]},{colour[1]},{colour[2]},{alpha / 255:.2f})"


def flow_legend_svg(samples: list[tuple[float, str]], largest: float, origin_label: str, destination_label: str,
                    width_caption: str, circles_caption: str, net_in_label: str, net_out_label: str) -> str:
    """A small legend: sample arcs at their drawn width and colour (labelled with their values), which end is
    the origin, and what the circles' colours mean. `samples` are (value, formatted value)."""
    line_h = 26
    height = 58 + line_h * len(samples) + 52
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="340" height="{height}" role="img" '
              f'font-family="sans-serif" font-size="12">'),
             ('<defs><linearGradient id="flowgrad" gradientUnits="userSpaceOnUse" x1="4" x2="150" y1="0" y2="0">'
              f'<stop offset="0" stop-color="{_rgb(ORIGIN)}"/><stop offset="1" stop-color="{_rgb(DESTINATION)}"/>'
              '</linearGradient></defs>'),
             f'<text x="0" y="14" fill="{_rgb(ORIGIN)}">● {_escape(origin_label)}</text>',
             f'<text x="170" y="14" fill="{_rgb(DESTINATION)}">● {_escape(destination_label)}</text>',
             f'<text x="0" y="36" fill="#555">{_escape(width_caption)}</text>']
    y = 58
    for value, text in samples:
        stroke = arc_width(value, largest)
        alpha = arc_alpha(value, largest)
        parts.append(f'<line x1="4" x2="150" y1="{y}" y2="{y}" stroke="url(#flowgrad)" '
                     f'stroke-opacity="{alpha / 255:.2f}" stroke-width="{stroke}" stroke-linecap="round"/>')
        parts.append(f'<text x="165" y="{y + 4}" fill="#333">{_escape(text)}</text>')
        y += line_h
    y += 8
    parts.append(f'<text x="0" y="{y}" fill="#555">{_escape(circles_caption)}</text>')
    y += 22
    parts.append(f'<circle cx="8" cy="{y - 4}" r="7" fill="{_rgb(DESTINATION, 110)}" stroke="{_rgb(DESTINATION)}"/>'
                 f'<text x="22" y="{y}" fill="#333">{_escape(net_in_label)}</text>'
                 f'<circle cx="178" cy="{y - 4}" r="7" fill="{_rgb(ORIGIN, 110)}" stroke="{_rgb(ORIGIN)}"/>'
                 f'<text x="192" y="{y}" fill="#333">{_escape(net_out_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def legend_samples(values: list[float]) -> list[float]:
    """Up to three rounded values spanning the flows drawn (largest, middle, smallest), for the legend."""
    positive = sorted((v for v in values if v > 0), reverse=True)
    if not positive:
        return []
    picks = [positive[0], positive[len(positive) // 2], positive[-1]]
    rounded = []
    for value in picks:
        digits = max(math.floor(math.log10(value)) - 1, 0)
        nice = round(value, -digits) if digits else round(value)
        if nice > 0 and nice not in rounded:
            rounded.append(nice)
    return rounded


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def describe_values(values: Mapping[str, float], lang: str, unit_label: str, period: str, top: int = 12) -> list[str]:
    """A map of one value per country (Home's circles) in words: what the areas show, then the countries from
    the largest to the smallest, with their values (its text alternative)."""
    ranked = sorted(((v, c) for c, v in values.items() if v), reverse=True)
    shown = "; ".join(f"{country_name(c, lang)}: {fmt_number(v, lang)}" for v, c in ranked[:top])
    lines = [t("alt.bubble_map", lang, unit=unit_label, period=period, count=len(ranked))]
    if ranked:
        more = len(ranked) - top
        lines.append(t("alt.bubble_order", lang, values=shown if more <= 0 else
                       t("alt.and_more", lang, labels=shown, count=more)))
    return lines
