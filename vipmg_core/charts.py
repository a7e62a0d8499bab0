"""Plotly figures of profiles and comparisons, shared by the pages and the bulletins.

Every figure carries, under its title, what it counts (events or persons), its source (and whether it is demo
data) and its period, so a PNG downloaded from the chart's own toolbar still says so. Estimates to use with
caution are drawn pale; hidden ones are left out and counted in the notes. Maps are `choropleth_map` on a
blank style with our own country polygons: no tiles, no topojson, nothing fetched.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from plotly.subplots import make_subplots

from vipmg_core import alt, maps, palette
from vipmg_core import flows as fl
from vipmg_core.codelists import codelist, country_name, country_point
from vipmg_core.datasets import dataset
from vipmg_core.geo import countries_geojson
from vipmg_core.i18n import fmt_number, fmt_percent, t
from vipmg_core.profiles import (
    CONDITIONS,
    Breakdown,
    Conditions,
    Profile,
    Pyramid,
    figure_label,
    period_text,
    source_text,
    trend_notes,
    unit_badge,
)
from vipmg_core.quality import CAUTION, SUPPRESSED
from vipmg_core.rules import LOWER_BOUND, LOWER_BOUND_MARK, marked

# Every colour comes from `palette` (checked for colour-blind readers by tests/test_palettes.py).
NATIVE, FOREIGN, BAR, PALE, SERIES = palette.NATIVE, palette.FOREIGN, palette.BAR, palette.PALE, palette.SERIES
LAND = palette.LAND_CSS
HEIGHT = 400
WIDTH_PRINT = 680  # bulletins fix the width so a printed A4 page holds the chart
_PNG = {"format": "png", "scale": 2}  # the toolbar's download: a PNG at twice the screen's resolution
CONFIG = {"displaylogo": False, "toImageButtonOptions": _PNG}
REGION_BOX = (-125.0, -60.0, -25.0, 50.0)  # lon/lat box of the polygons a regional map draws


def _lean_template(name: str = "plotly_white") -> go.layout.Template:
    """`plotly_white` with only what our charts read: the look of 2-D axes and text, and the bars' outline (every
    colour scale is set by the chart itself). The whole template (defaults for colour scales, 3-D scenes, polar
    and ternary axes and 24 trace types) cost more to attach to each figure (0.1-0.2 s, validated every time)
    than the chart itself, on every page load."""
    full = pio.templates[name].to_plotly_json()
    layout = {k: v for k, v in full["layout"].items()
              if k in ("font", "paper_bgcolor", "plot_bgcolor", "xaxis", "yaxis", "hoverlabel", "hovermode",
                       "colorway", "title", "autotypenumbers")}
    layout["colorway"] = list(palette.SERIES)
    data = {k: v for k, v in full["data"].items() if k == "bar"}
    return go.layout.Template(layout=layout, data=data)


TEMPLATE = _lean_template()


def plotly_config(name: str) -> dict:
    """`st.plotly_chart(config=...)`: the PNG download (toImage) stays, with a file name; no plotly logo."""
    return {**CONFIG, "toImageButtonOptions": {**_PNG, "filename": name}}


def wrap(text: str, width: int = 95) -> str:
    """Plotly titles do not wrap: break long ones into lines at word boundaries."""
    return "<br>".join(textwrap.wrap(text, width)) if len(text) > width else text


def note(source: str, period: str, unit: str, lang: str) -> str:
    return t("profiles.chart.note", lang, source=source, period=period_text(period, lang), unit=unit_badge(unit, lang))


def _finish(fig: go.Figure, title: str, subtitle: str, height: int = HEIGHT) -> go.Figure:
    title, subtitle = wrap(title, 80), wrap(subtitle, 110)
    lines = title.count("<br>") + subtitle.count("<br>")
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15},
               "subtitle": {"text": subtitle, "font": {"size": 11, "color": "#555"}}},
        template=TEMPLATE, height=height + 15 * lines,
        margin={"l": 10, "r": 10, "t": 90 + 15 * lines, "b": 60},
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0, "xanchor": "left"},
        font={"family": "sans-serif"},
    )
    return fig


def _opacity(flags: Sequence[str | None]) -> list[float]:
    return [PALE if f == CAUTION else 1.0 for f in flags]


def _flag_text(flags: Sequence[str | None], lang: str) -> list[str]:
    return [t(f"profiles.flag.{f}", lang) if f else "" for f in flags]


# --- profile charts -----------------------------------------------------------------------------------------

def trend_chart(profile: Profile, lang: str, unit: str) -> go.Figure | None:
    """Yearly values of every figure counting `unit`. Events (sizes apart by thousands: crossings against
    returns of minors) get one small panel each with its own scale; stocks of persons share one panel."""
    frame = profile.trends.filter(pl.col("unit") == unit)
    if frame.is_empty():
        return None
    keys = frame["key"].unique(maintain_order=True).to_list()
    panels = unit == "events" and len(keys) > 1
    rows = math.ceil(len(keys) / 2) if panels else 1
    fig = make_subplots(rows=rows, cols=2 if panels else 1, vertical_spacing=0.12 if rows > 1 else 0.1,
                        horizontal_spacing=0.1,
                        subplot_titles=[wrap(figure_label(k, lang), 38) for k in keys] if panels else None)
    for i, key in enumerate(keys):
        part = frame.filter(pl.col("key") == key).sort("year")
        hover = [" ".join(filter(None, (t("profiles.chart.partial_year", lang, months=m) if p else "",
                                         LOWER_BOUND_MARK if mark == LOWER_BOUND else "")))
                 for p, m, mark in zip(part["partial"], part["months"], part["mark"])]
        where = {"row": i // 2 + 1, "col": i % 2 + 1} if panels else {"row": 1, "col": 1}
        fig.add_trace(go.Scatter(
            x=part["year"].to_list(), y=part["value"].to_list(), name=figure_label(key, lang), mode="lines+markers",
            line={"color": palette.series_style(i)[0], "dash": palette.series_style(i)[1]}, showlegend=not panels,
            marker={"symbol": ["circle-open" if p else "circle" for p in part["partial"]], "size": 8},
            customdata=hover, hovertemplate="%{x}: %{y:,.0f} %{customdata}<extra>%{fullData.name}</extra>"), **where)
    years = frame["year"].drop_nulls().unique().sort().to_list()
    sources = source_text(frame["dataset_id"].unique(maintain_order=True), bool(frame["synthetic"].any()), lang)
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    title = t("profiles.chart.events_trend" if unit == "events" else "profiles.chart.stock_trend", lang)
    fig.update_yaxes(rangemode="tozero", tickformat="~s")
    fig.update_xaxes(dtick=1 if len(years) <= 10 else None)
    if not panels:
        axis = t("profiles.chart.events_axis" if unit == "events" else "profiles.chart.persons_axis", lang)
        fig.update_layout(xaxis_title=t("profiles.chart.year", lang), yaxis_title=axis)
    if bool(frame["partial"].any()):
        sources += " · " + t("profiles.chart.open_marker", lang)
    for text in trend_notes(frame, lang):  # gaps and lower bounds say why, in the chart and its download
        sources += " · " + text
    height = 90 + 210 * rows if panels else HEIGHT
    fig = _finish(fig, f"{title} — {profile.area.name(lang)}", note(sources, span, unit, lang), height)
    if panels:  # room for the first row's panel titles under the subtitle
        fig.update_layout(margin={"t": fig.layout.margin.t + 25}, height=fig.layout.height + 25)
    return fig


def _nice_step(largest: float) -> float:
    if largest <= 0:
        return 1.0
    raw = largest / 3
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def pyramid_chart(pyr: Pyramid, lang: str, area_name: str) -> go.Figure:
    """Two pyramids side by side (native-born, foreign-born), men to the left, women to the right, each
    with its own scale so the shapes compare; pale bars are estimates to use with caution."""
    ds = dataset(pyr.dataset_id)
    ages = codelist("age_group")
    order = {code: i for i, code in enumerate(ages.codes)}
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.06,
                        subplot_titles=[t("profiles.birth.native", lang), t("profiles.birth.foreign", lang)])
    for col, birth in enumerate(("native", "foreign"), start=1):
        part = pyr.cells.filter(pl.col("birth") == birth)
        groups = sorted(part["age_group"].unique().to_list(), key=lambda c: order.get(c, 99))
        labels = [ages.name(c, lang) for c in groups]
        largest = max((v for v in part["value"].to_list() if v is not None), default=0.0)
        for sex, sign, colour in (("M", -1, NATIVE if birth == "native" else FOREIGN),
                                  ("F", 1, NATIVE if birth == "native" else FOREIGN)):
            cells = {r["age_group"]: r for r in part.filter(pl.col("sex") == sex).iter_rows(named=True)}
            values = [cells.get(g, {}).get("value") for g in groups]
            flags = [cells.get(g, {}).get("flag") for g in groups]
            fig.add_trace(go.Bar(
                y=labels, x=[sign * v if v is not None else None for v in values], orientation="h",
                name=f"{t(f'profiles.sex.{sex}', lang)} — {t(f'profiles.birth.{birth}', lang)}",
                marker={"color": colour, "opacity": _opacity(flags),
                        "line": {"color": "white", "width": 0.5}, "pattern": {"shape": "" if sex == "M" else "/"}},
                customdata=[[fmt_number(v, lang) if v is not None else "x", f] for v, f in
                            zip(values, _flag_text(flags, lang))],
                hovertemplate=f"%{{y}} · {t(f'profiles.sex.{sex}', lang)}: %{{customdata[0]}} (%{{customdata[1]}})"
                              "<extra></extra>",
                showlegend=False), row=1, col=col)
        step = _nice_step(largest)
        ticks = [k * step for k in range(-3, 4) if abs(k * step) <= largest * 1.15 or k == 0]
        fig.update_xaxes(tickvals=ticks, ticktext=[fmt_number(abs(v), lang) for v in ticks], row=1, col=col,
                         title_text=f"← {t('profiles.sex.M', lang)} · {t('profiles.sex.F', lang)} →")
    fig.update_layout(barmode="relative", bargap=0.08)
    fig.update_yaxes(categoryorder="array", categoryarray=[ages.name(c, lang) for c in ages.codes])
    source = source_text([ds.id], pyr.synthetic, lang)
    subtitle = note(source, pyr.period, "persons", lang)
    hidden = pyr.hidden("native") + pyr.hidden("foreign")
    if hidden:
        subtitle += " · " + t("profiles.chart.hidden", lang, count=hidden)
    height = 460 if pyr.grouping == "five_year" else 340
    fig = _finish(fig, t("profiles.chart.pyramid", lang, period=pyr.period) + f" — {area_name}", subtitle, height)
    fig.update_layout(margin={"t": fig.layout.margin.t + 20})
    return fig


def flows_bar(result: fl.FlowResult, lang: str, side: str, area_name: str, synthetic: bool) -> go.Figure:
    """Top countries of birth of the immigrants ("in") or destinations of the emigrants ("out")."""
    end = "origin" if side == "in" else "destination"
    names = [country_name(c, lang) for c in result.flows[end]][::-1]
    values = result.flows["value"].to_list()[::-1]
    fig = go.Figure(go.Bar(x=values, y=names, orientation="h", marker_color=BAR,
                           text=[fmt_number(v, lang) for v in values], textposition="auto",
                           hovertemplate="%{y}: %{text}<extra></extra>"))
    period = fl.period_label(*(result.query.period or ("", "")))  # always set on an answer
    key = "profiles.chart.origins" if side == "in" else "profiles.chart.destinations"
    fig.update_layout(xaxis_title=t("profiles.chart.persons_axis", lang), showlegend=False)
    return _finish(fig, t(key, lang, period=period) + f" — {area_name}",
                   note(source_text([result.query.dataset_id], synthetic, lang), period, result.unit, lang),
                   max(260, 30 * len(names) + 110))


def permits_chart(permits: Breakdown, lang: str, area_name: str) -> go.Figure:
    ds = dataset(permits.dataset_id)
    col = ds.column(permits.column)
    codes = col.require_codelist()
    names = [codes.name(c, lang) for c in permits.frame["code"]]
    values = permits.frame["value"].to_list()
    fig = go.Figure(go.Bar(x=names, y=values, marker_color=BAR, text=[fmt_number(v, lang) for v in values],
                           textposition="auto", hovertemplate="%{x}: %{text}<extra></extra>"))
    fig.update_layout(yaxis_title=f"{t('profiles.chart.events_axis', lang)} ({ds.unit_detail(lang)})", showlegend=False)
    return _finish(fig, t("profiles.chart.permits", lang, period=permits.period) + f" — {area_name}",
                   note(source_text([ds.id], permits.synthetic, lang), permits.period, ds.unit, lang))


def condition_chart(cond: Conditions, key: str, lang: str, area_name: str) -> go.Figure | None:
    """Share of the native-born and of the foreign-born in each category of one condition."""
    cells = cond.of(key)
    if cells.is_empty():
        return None
    ds = dataset(cond.dataset_id)
    column = next(s.column for s in CONDITIONS if s.key == key)
    codes = ds.column(column).require_codelist()
    order = [c.code for c in codes if c.code in set(cells["code"])]
    fig = go.Figure()
    for birth, colour in (("native", NATIVE), ("foreign", FOREIGN)):
        part = {r["code"]: r for r in cells.filter(pl.col("birth") == birth).iter_rows(named=True)}
        values = [part.get(c, {}).get("value") for c in order]
        flags = [part.get(c, {}).get("flag") for c in order]
        texts = [fmt_percent(v, lang) if v is not None else "x" for v in values]
        fig.add_trace(go.Bar(
            x=[wrap(codes.name(c, lang), 18) for c in order], y=values, name=t(f"profiles.birth.{birth}", lang),
            marker={"color": colour, "opacity": _opacity(flags)}, text=texts, textposition="outside",
            customdata=[[text, flag, part.get(c, {}).get("n")]
                        for text, flag, c in zip(texts, _flag_text(flags, lang), order)],
            hovertemplate="%{x}: %{customdata[0]} (%{customdata[1]}, n = %{customdata[2]})"
                          "<extra>%{fullData.name}</extra>"))
    fig.update_layout(barmode="group", yaxis={"title": t("profiles.chart.percent_axis", lang), "rangemode": "tozero"})
    subtitle = note(source_text([ds.id], cond.synthetic, lang), cond.period, "persons", lang)
    hidden = cells.filter(pl.col("flag") == SUPPRESSED).height
    if hidden:
        subtitle += " · " + t("profiles.chart.hidden", lang, count=hidden)
    return _finish(fig, t("profiles.chart.condition", lang, condition=t(f"profiles.condition.{key}", lang),
                          period=cond.period) + f" — {area_name}", subtitle)


def profile_charts(profile: Profile, lang: str, limit: int | None = None) -> list[tuple[str, go.Figure]]:
    """The profile's charts in reading order, as (name, figure); the bulletin takes the first `limit`."""
    name = profile.area.name(lang)
    charts: list[tuple[str, go.Figure | None]] = [
        ("events_trend", trend_chart(profile, lang, "events")),
        ("origins", flows_bar(profile.origins, lang, "in", name, profile.flows_synthetic) if profile.origins else None),
        ("pyramid", pyramid_chart(profile.pyramid, lang, name) if profile.pyramid else None),
        ("labour_status", condition_chart(profile.conditions, "labour_status", lang, name)
         if profile.conditions else None),
        ("stock_trend", trend_chart(profile, lang, "persons")),
        ("destinations", flows_bar(profile.destinations, lang, "out", name, profile.flows_synthetic)
         if profile.destinations else None),
        ("permits", permits_chart(profile.permits, lang, name) if profile.permits else None),
        ("education", condition_chart(profile.conditions, "education", lang, name) if profile.conditions else None),
        ("remittances", condition_chart(profile.conditions, "remittances", lang, name)
         if profile.conditions else None),
    ]
    found = [(key, fig) for key, fig in charts if fig is not None]
    return found[:limit] if limit else found


# --- comparison charts --------------------------------------------------------------------------------------

def compare_bars(rows: pl.DataFrame, title: str, subtitle: str, axis: str, lang: str, percent: bool) -> go.Figure:
    """One bar per country, largest on top; pale where the estimate is to use with caution."""
    shown = rows.filter(pl.col("value").is_not_null()).sort("value")
    names = [country_name(c, lang) for c in shown["country"]]
    values = shown["value"].to_list()
    marks = shown["mark"].to_list() if "mark" in shown.columns else [None] * len(values)
    texts = [marked(fmt_percent(v, lang) if percent else fmt_number(v, lang), m) for v, m in zip(values, marks)]
    flags = shown["flag"].to_list() if "flag" in shown.columns else [None] * len(values)
    fig = go.Figure(go.Bar(
        x=values, y=names, orientation="h", marker={"color": BAR, "opacity": _opacity(flags)}, text=texts,
        textposition="auto", customdata=[[p, f] for p, f in zip(shown["period"], _flag_text(flags, lang))],
        hovertemplate="%{y}: %{text} (%{customdata[0]}) %{customdata[1]}<extra></extra>"))
    fig.update_layout(xaxis_title=axis, showlegend=False)
    hide_in_description(fig, [country_name(c, lang) for c in rows.filter(pl.col("value").is_null())["country"]])
    return _finish(fig, title, subtitle, max(280, 34 * len(names) + 120))


def _geojson_near(lang: str, box: tuple[float, float, float, float]) -> dict:
    """The shipped polygons that touch `box` (lon0, lat0, lon1, lat1): a regional map needs no more."""
    geo = countries_geojson(lang)
    lon0, lat0, lon1, lat1 = box

    def points(geometry: dict):
        rings = geometry["coordinates"] if geometry["type"] == "Polygon" else \
            [ring for poly in geometry["coordinates"] for ring in poly]
        for ring in rings:
            yield from ring

    keep = []
    for feature in geo["features"]:
        if any(lon0 <= x <= lon1 and lat0 <= y <= lat1 for x, y in points(feature["geometry"])):
            keep.append(feature)
    return {"type": "FeatureCollection", "features": keep}


def compare_map(rows: pl.DataFrame, title: str, subtitle: str, unit_title: str, lang: str, percent: bool
                ) -> go.Figure:
    """A choropleth of the compared countries over the land of the region, drawn from our own polygons on a
    blank map style (no request). Countries too small for the polygons (Saint Lucia) get a dot."""
    geo = _geojson_near(lang, REGION_BOX)
    with_polygon = {f["properties"]["iso3"] for f in geo["features"]}
    shown = rows.filter(pl.col("value").is_not_null())
    values = dict(zip(shown["country"], shown["value"]))
    marks = dict(zip(shown["country"], shown["mark"])) if "mark" in shown.columns else {}
    texts = {c: marked(fmt_percent(v, lang) if percent else fmt_number(v, lang), marks.get(c))
             for c, v in values.items()}
    fig = go.Figure()
    every = sorted(with_polygon)
    fig.add_trace(go.Choroplethmap(
        geojson=geo, featureidkey="properties.iso3", locations=every, z=[0] * len(every),
        colorscale=[[0, LAND], [1, LAND]], showscale=False, marker={"line": {"color": "white", "width": 0.6}},
        hoverinfo="skip", name=""))
    drawn = [c for c in values if c in with_polygon]
    if drawn:
        fig.add_trace(go.Choroplethmap(
            geojson=geo, featureidkey="properties.iso3", locations=drawn, z=[values[c] for c in drawn],
            coloraxis="coloraxis", marker={"line": {"color": "white", "width": 0.8}},
            text=[f"{country_name(c, lang)}: {texts[c]}" for c in drawn], hovertemplate="%{text}<extra></extra>",
            name=""))
    dots = {c: point for c in values if c not in with_polygon and (point := country_point(c)) is not None}
    if dots:
        fig.add_trace(go.Scattermap(
            lon=[lon for lon, _ in dots.values()], lat=[lat for _, lat in dots.values()], mode="markers",
            marker={"size": 13, "color": [values[c] for c in dots], "coloraxis": "coloraxis"},
            text=[f"{country_name(c, lang)}: {texts[c]} — {t('profiles.chart.no_polygon', lang)}" for c in dots],
            hovertemplate="%{text}<extra></extra>", name=""))
    points = [point for c in rows["country"] if (point := country_point(c)) is not None]
    view = maps.fit_view(points, width=420, height=380, padding=0.2)  # the plot area beside the colour bar
    fig.update_layout(
        map={"style": "white-bg", "center": {"lat": view.latitude, "lon": view.longitude}, "zoom": view.zoom},
        coloraxis={"colorscale": [list(stop) for stop in palette.CHOROPLETH],  # the lowest still blue, not the
                   "colorbar": {"title": {"text": wrap(unit_title, 14)}, "thickness": 12}},  # land's grey
        showlegend=False)
    hide_in_description(fig, [country_name(c, lang) for c in rows.filter(pl.col("value").is_null())["country"]])
    return _finish(fig, title, subtitle, 460)



# Text alternatives (issue #20): `describe(fig, lang)` under every chart; see vipmg_core/alt.py.
describe, describe_lines, hide_in_description = alt.describe, alt.describe_lines, alt.hide_in_description
