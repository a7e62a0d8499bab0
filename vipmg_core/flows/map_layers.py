"""The offline flow map: its pydeck layers (countries, arcs, circles of each country's in and out), tooltips,
legend, and the map in words (its text alternative)."""

from __future__ import annotations

import polars as pl
import pydeck as pdk

from vipmg_core import alt, maps, quality
from vipmg_core.codelists import country_name, country_point
from vipmg_core.flows.result import FlowResult
from vipmg_core.flows.tables import flow_label, period_label
from vipmg_core.i18n import fmt_number, t


def country_label(iso3: str, incoming: float | None, outgoing: float | None, unit: str, lang: str) -> str:
    """A country's tooltip; a hidden total (None) shows the suppression symbol, and so does the net."""
    symbol = quality.rules().symbol_suppressed

    def shown(value: float | None) -> str:
        return symbol if value is None else fmt_number(value, lang)

    if incoming is None or outgoing is None:
        net_text = symbol
    else:
        net = incoming - outgoing
        net_text = ("+" if net > 0 else "−" if net < 0 else "") + fmt_number(abs(net), lang)
    return t("flows.country_label", lang, name=country_name(iso3, lang), incoming=shown(incoming),
             outgoing=shown(outgoing), net=net_text, unit=t(f"unit.{unit}", lang))


def flow_deck(result: FlowResult, lang: str, height: int = 540, polygons_url: str | None = None) -> pdk.Deck:
    """The offline flow map: country polygons (clickable), an arc per drawable flow shown, and a circle per
    country involved sized by its in + out. Every pickable layer has a `label`, so one tooltip serves them all.
    With `polygons_url` (a map to read, not to click: profiles, articles) the polygons are fetched from there
    and are not clickable; the circles still carry each country's label."""
    unit = result.unit
    totals = {row["country"]: (row["incoming"], row["outgoing"]) for row in result.totals.iter_rows(named=True)}
    labels = {iso3: country_label(iso3, i, o, unit, lang) for iso3, (i, o) in totals.items()}
    involved = set(result.flows["origin"]) | set(result.flows["destination"]) | set(result.query.countries)
    arcs = [(row["origin"], row["destination"], row["value"],
             flow_label(row["origin"], row["destination"], row["value"],
                        period_label(row["first_period"], row["last_period"]), unit, lang))
            for row in result.flows.iter_rows(named=True) if row["value"] is not None]  # hidden: no arc
    points = [p for p in (country_point(c) for c in involved) if p is not None]
    layers = [  # circles over the arcs' ends, so a click on a country's circle picks the country
        (maps.selectable_countries_layer(lang, set(result.query.countries), labels) if polygons_url is None
         else maps.base_layer(lang, set(result.query.countries), polygons_url)),
        maps.arc_layer(arcs),
        # A hidden total draws no circle part (its size would tell it).
        maps.totals_layer({c: (i or 0, o or 0) for c, (i, o) in totals.items() if c in involved}, labels),
    ]
    return maps.offline_deck(layers, view=maps.fit_view(points, height=height), height=height)


def legend_svg(result: FlowResult, lang: str) -> str:
    values = result.flows["value"].to_list()
    drawn = [v for v, (o, d) in zip(values, zip(result.flows["origin"], result.flows["destination"]))
             if v is not None and country_point(o) is not None and country_point(d) is not None]
    largest = max(drawn, default=0)
    unit = t(f"unit.{result.unit}", lang)
    return maps.flow_legend_svg(
        [(v, fmt_number(v, lang)) for v in maps.legend_samples(drawn)], largest,
        t("flows.legend_origin", lang), t("flows.legend_destination", lang),
        t("flows.legend_width", lang, unit=unit), t("flows.legend_circles", lang),
        t("flows.legend_net_in", lang), t("flows.legend_net_out", lang),
    )



def describe_map(result: FlowResult, lang: str, top: int = 5) -> list[str]:
    """The flow map in words (its text alternative): how many arcs between how many countries, the largest flows
    with their values, which countries receive or send more (their totals as the circles show them), and how many
    flows are hidden or cannot be drawn (never their values)."""
    unit = t(f"unit.{result.unit}", lang)
    drawn = result.flows.filter(pl.col("value").is_not_null() & pl.col("origin").map_elements(
        lambda c: country_point(c) is not None, return_dtype=pl.Boolean) & pl.col("destination").map_elements(
        lambda c: country_point(c) is not None, return_dtype=pl.Boolean))
    countries = set(drawn["origin"]) | set(drawn["destination"])
    periods = sorted(set(drawn["first_period"]) | set(drawn["last_period"])) if drawn.height else []
    period = period_label(periods[0], periods[-1]) if periods else "–"
    lines = [t("alt.flow_map", lang, count=drawn.height, countries=len(countries), unit=unit, period=period)]
    largest = drawn.sort("value", descending=True).head(top)
    if largest.height:
        lines.append(t("alt.flow_largest", lang, flows="; ".join(
            f"{country_name(o, lang)} → {country_name(d, lang)}: {fmt_number(v, lang)}"
            for o, d, v in largest.select("origin", "destination", "value").iter_rows())))
    shown = result.totals.filter(pl.col("incoming").is_not_null() & pl.col("outgoing").is_not_null()
                                 & pl.col("country").is_in(list(countries)))
    net_in = [country_name(c, lang) for c, n in zip(shown["country"], shown["net"]) if n is not None and n > 0]
    net_out = [country_name(c, lang) for c, n in zip(shown["country"], shown["net"]) if n is not None and n < 0]
    none = t("alt.none", lang)
    lines.append(t("alt.flow_totals", lang, net_in=alt.labels(net_in, lang) or none,
                   net_out=alt.labels(net_out, lang) or none))
    hidden = int(result.flows["value"].is_null().sum())
    if hidden:
        lines.append(t("alt.flow_hidden", lang, count=hidden))
    if result.undrawn.height:
        lines.append(t("alt.flow_undrawn", lang, count=result.undrawn.height))
    return lines
