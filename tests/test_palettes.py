"""Issue #20, item 4: every chart and map stays readable with the common colour-vision deficiencies.

The colours are read back from the figures and decks the code builds on the demo warehouse (profile charts, the
comparison's bars and choropleth, cross-tab charts, the flows' bars and map, Home's stock map, the cross-tab's
shading), not from a list of constants. Each is seen as with protanopia, deuteranopia and tritanopia (Machado et al.
2009, severity 1, in linear RGB) and normal vision: every two categories drawn together differ by at least MIN_DELTA
(CIEDE2000) or by a dash/hatch; every mark differs as much from what it is drawn on; sequential scales darken
monotonically.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import pytest

from vipmg_core import charts, compare, headlines, maps, palette, profiles
from vipmg_core import crosstab as xt
from vipmg_core import flows as fl
from vipmg_core.codelists import project_countries

MIN_DELTA = 10.0  # CIEDE2000: two categories (or a mark and its ground) at least this far apart, for every viewer
DEFICIENCIES = palette.DEFICIENCIES  # normal, protanopia, deuteranopia, tritanopia


@dataclass(frozen=True)
class Mark:
    name: str
    colour: tuple[float, float, float]
    alpha: float  # the lowest opacity the mark is drawn with (pale bars, faint arcs)
    cue: str = ""  # what else tells it apart: a dash, a hatch


def _seen(colour, alpha: float, ground) -> np.ndarray:
    return palette.over(list(colour), ground, alpha)


def categorical_failures(marks: list[Mark], ground, min_delta: float = MIN_DELTA) -> list[str]:
    """Pairs of marks drawn together that some viewer cannot tell apart (neither by colour nor by a cue), and marks
    too close to the ground they are drawn on."""
    found = []
    for mark in marks:
        for alpha in {1.0, mark.alpha}:
            for d in DEFICIENCIES:
                delta = palette.delta_e(_seen(mark.colour, alpha, ground), ground, d)
                if delta < min_delta:
                    found.append(f"{mark.name} on its ground ({d}, opacity {alpha}): ΔE {delta:.1f}")
    for a, b in itertools.combinations(marks, 2):
        if a.name == b.name:
            continue
        if a.colour == b.colour:
            if a.cue == b.cue:
                found.append(f"{a.name} / {b.name}: same colour, nothing else tells them apart")
            continue
        for alpha in {1.0, min(a.alpha, b.alpha)}:
            for d in DEFICIENCIES:
                delta = palette.delta_e(_seen(a.colour, alpha, ground), _seen(b.colour, alpha, ground), d)
                if delta < min_delta:
                    found.append(f"{a.name} / {b.name} ({d}, opacity {alpha}): ΔE {delta:.1f}")
    return found


def lightness_failures(colours: list, ground=palette.BACKGROUND) -> list[str]:
    """A sequential scale (lowest first) whose lightness does not fall at every step, for some viewer."""
    found = []
    for d in DEFICIENCIES:
        lightness = [palette.lab(palette.simulate(palette.over(c, ground), d))[0] for c in colours]
        if any(b >= a for a, b in itertools.pairwise(lightness)):
            found.append(f"{d}: L* {[round(v, 1) for v in lightness]}")
    return found


# --- reading the colours back ------------------------------------------------------------------------------------

def _first(value):
    if isinstance(value, (list, tuple)) and value and not isinstance(value[0], (int, float)):
        distinct = {str(v) for v in value if v is not None}
        assert len(distinct) <= 1, f"one trace, several colours: {distinct}"
        return next(iter(distinct), None)
    return value


def plotly_marks(fig: go.Figure) -> list[Mark]:
    """Each trace of a bar or line chart as drawn: colour, lowest opacity, dash or hatch."""
    marks = []
    for i, trace in enumerate(fig.data):
        if trace.type == "bar":
            colour = _first(trace.marker.color)
            if colour is None:  # the template's colourway, in trace order
                colour = fig.layout.template.layout.colorway[i % len(fig.layout.template.layout.colorway)]
            opacity = trace.marker.opacity
            alpha = min(opacity) if isinstance(opacity, (list, tuple)) else (opacity if opacity is not None else 1.0)
            cue = (trace.marker.pattern.shape or "") if trace.marker.pattern else ""
        elif trace.type == "scatter":
            colour, alpha, cue = trace.line.color, 1.0, trace.line.dash or "solid"
            assert colour is not None, "a line without its own colour"
        else:
            continue
        rgb, own_alpha = palette.parse(colour)
        marks.append(Mark(trace.name or f"trace {i}", rgb, alpha * own_alpha, cue))
    return marks


def _deck(deck) -> dict:
    return json.loads(deck.to_json() if hasattr(deck, "to_json") else deck)


def _colours_in(expression: str) -> list[list[int]]:
    return [[int(v) for v in m.split(",")] for m in re.findall(r"\[(\d+,\s*\d+,\s*\d+(?:,\s*\d+)?)\]", expression)]


def deck_parts(deck: dict) -> tuple[list[int], list[int], list[list[int]], list[Mark]]:
    """(water, land, other area fills, marks) of an offline deck, from its JSON."""
    water = [round(v * 255) for v in deck["parameters"]["clearColor"][:3]]
    fills: list[list[int]] = []
    marks: list[Mark] = []
    for layer in deck["layers"]:
        kind = layer["@@type"]
        if kind == "GeoJsonLayer":
            accessor = layer["getFillColor"]
            if isinstance(accessor, str) and accessor == "@@=properties.fill":
                fills += [f["properties"]["fill"] for f in layer["data"]["features"]]
            elif isinstance(accessor, str):
                fills += _colours_in(accessor)
            else:
                fills.append(accessor)
        elif kind == "ArcLayer":
            for row in layer["data"]:
                for end in ("source_color", "target_color"):
                    marks.append(Mark(f"arc {end}", tuple(row[end][:3]), row[end][3] / 255))
        elif kind == "ScatterplotLayer":
            accessor = layer["getFillColor"]
            rows = layer.get("data") or []
            colours = [r["fill"] for r in rows] if accessor == "@@=fill" else [accessor]
            for c in colours:
                marks.append(Mark(f"circle {c[:3]}", tuple(c[:3]), (c[3] if len(c) > 3 else 255) / 255))
    counts: dict[tuple, int] = {}
    for f in fills:
        counts[tuple(f[:3])] = counts.get(tuple(f[:3]), 0) + 1
    land = list(max(counts, key=counts.get))
    others = [list(c) for c in counts if list(c) != land]
    return water, land, others, marks


def deck_failures(deck: dict) -> list[str]:
    water, land, others, marks = deck_parts(deck)
    found = []
    for fill in others:  # the project or chosen countries against the rest
        found += categorical_failures([Mark(f"area {fill}", tuple(fill), 1.0)], land)
    # Arcs and circles against the land and the sea; distinct mark colours against each other.
    distinct = {}
    for mark in marks:
        key = mark.colour
        if key not in distinct or mark.alpha < distinct[key].alpha:
            distinct[key] = Mark(f"{mark.name} {list(key)}", key, mark.alpha)
    for ground in (land, water, *others):
        found += categorical_failures(list(distinct.values()), ground)
    return found


# --- the figures the app builds ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gtm(demo_wh) -> profiles.Profile:
    return profiles.kept_profile(demo_wh, "GTM")


def test_the_checks_fail_on_a_red_green_palette():
    red, green = Mark("red", (255, 0, 0), 1.0), Mark("green", (0, 160, 0), 1.0)
    failures = categorical_failures([red, green], palette.BACKGROUND)
    assert any("deuteranopia" in f for f in failures)
    assert not any("normal" in f for f in failures)  # to normal vision they are far apart
    assert categorical_failures([red, Mark("same", red.colour, 1.0)], palette.BACKGROUND)  # no other cue
    assert lightness_failures(["#08306b", "#c6dbef"])  # dark to light is not "more is darker"
    assert lightness_failures(["#fde725", "#21918c", "#5ec962"])  # lightness going back up
    # Machado's matrices keep white and greys as they are (each row adds up to 1); a protanope's red is olive
    for d in DEFICIENCIES:
        assert np.allclose(palette.simulate((255, 255, 255), d), (255, 255, 255), atol=1)
        assert np.allclose(palette.simulate((119, 119, 119), d), (119, 119, 119), atol=1)
    r, g, b = palette.simulate((255, 0, 0), "protanopia")
    assert r > 90 and g > 80 and b < 5
    # CIEDE2000 against Sharma, Wu and Dalal's reference pairs
    assert palette.delta_e_lab((50, 2.6772, -79.7751), (50, 0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)
    assert palette.delta_e_lab((50, 2.5, 0), (73, 25, -18)) == pytest.approx(27.1492, abs=1e-4)


def test_profile_charts_keep_their_categories_apart(gtm):
    built = charts.profile_charts(gtm, "es")
    assert {"pyramid", "labour_status", "events_trend"} <= {name for name, _ in built}
    for name, fig in built:
        marks = plotly_marks(fig)
        assert marks, name
        assert categorical_failures(marks, palette.BACKGROUND) == [], name


def test_cross_tab_charts_with_many_series_stay_apart(demo_wh):
    result = xt.crosstab("census", ["ref_area"], ["country_of_birth"], years=(2020, 2024), warehouse=demo_wh)
    for kind in ("bar", "stacked", "line"):
        fig = result.chart("en", kind)
        marks = plotly_marks(fig)
        assert len(marks) > len(palette.SERIES), "the test needs more series than colours"
        assert categorical_failures(marks, palette.BACKGROUND) == [], kind


def test_comparison_bars_and_choropleth(demo_wh):
    result = compare.compare(demo_wh, "immigrant_share", ["CRI", "GTM", "MEX", "PAN", "BLZ"])
    bars = charts.compare_bars(result.rows, "t", "s", "a", "en", result.percent)
    assert categorical_failures(plotly_marks(bars), palette.BACKGROUND) == []
    choropleth = charts.compare_map(result.rows, "t", "s", "a", "en", result.percent)
    scale = [colour for _, colour in choropleth.layout.coloraxis.colorscale]
    assert lightness_failures(scale) == []
    land = palette.parse(choropleth.data[0].colorscale[0][1])[0]
    # The lowest value is still told from the land it is not.
    assert categorical_failures([Mark("lowest", palette.parse(scale[0])[0], 1.0)], land) == []


def test_flow_bars_and_flow_map(demo_wh):
    result = fl.flows(demo_wh, "census", countries=["MEX"])
    assert categorical_failures(plotly_marks(fl.flows_chart(result, "en")), palette.BACKGROUND) == []
    deck = _deck(fl.flow_deck(result, "en"))
    _, _, _, marks = deck_parts(deck)
    assert {m.colour for m in marks} >= {tuple(palette.ORIGIN), tuple(palette.DESTINATION)}
    assert deck_failures(deck) == []
    # The profile's map: polygons fetched by URL, the project countries coloured by an expression.
    assert deck_failures(_deck(fl.flow_deck(result, "en", polygons_url="/app/static/countries.json"))) == []


def test_home_stock_map(demo_wh):
    period, stock = headlines.immigrant_stock_by_country(demo_wh, project_countries(), (2000, 2030))
    assert stock
    deck = _deck(maps.offline_deck([maps.base_layer("en", set(project_countries()), "/app/static/c.json"),
                                    maps.bubble_layer(stock, "en", "persons", period)]))
    _, _, others, marks = deck_parts(deck)
    assert others and marks
    assert deck_failures(deck) == []


def test_cross_tab_shading_darkens_with_the_value(demo_wh):
    table = xt.crosstab("census", ["ref_area"], ["sex"], warehouse=demo_wh).table("en")
    styler = table.styler(shading=True)
    styler._compute()
    numeric = table.numeric.to_pandas()
    shaded = []
    for (row, col), props in styler.ctx.items():
        background = dict(props).get("background-color")
        if background:
            shaded.append((float(numeric.iloc[row, col]), background))
    assert len(shaded) > 5
    shaded.sort()
    ladder = [colour for _, colour in shaded]
    distinct = [c for i, c in enumerate(ladder) if i == 0 or c != ladder[i - 1]]
    assert lightness_failures(distinct) == []


def test_the_bulletins_text_colours_read_on_white():
    """The bulletin's HTML (printed, embedded in the library) keeps its text at WCAG AA contrast."""
    from vipmg_core import bulletins

    colours = re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})", bulletins._CSS)
    assert len(colours) >= 4
    for colour in colours:
        assert palette.contrast(palette.parse(colour)[0], palette.BACKGROUND) >= 4.5, colour
    assert palette.contrast(palette.parse("#2c7fb8")[0], palette.BACKGROUND) < 4.5  # the old accent failed
