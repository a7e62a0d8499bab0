"""The bar chart of the largest flows, for people who read numbers rather than maps."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from vipmg_core import alt, palette
from vipmg_core.codelists import country_name
from vipmg_core.flows.result import FlowResult
from vipmg_core.flows.tables import period_label
from vipmg_core.i18n import fmt_number, t


def flows_chart(result: FlowResult, lang: str, limit: int = 15) -> go.Figure:
    """Horizontal bars of the largest flows, for people who read numbers rather than maps (hidden ones left out)."""
    shown = result.flows.filter(pl.col("value").is_not_null()).head(limit)
    labels = [f"{country_name(o, lang)} → {country_name(d, lang)}"
              for o, d in zip(shown["origin"], shown["destination"])]
    values = shown["value"].to_list()
    unit = t(f"unit.{result.unit}", lang)
    texts = [fmt_number(v, lang) for v in values]
    figure = go.Figure(go.Bar(
        x=values[::-1], y=labels[::-1], orientation="h", text=texts[::-1], textposition="auto",
        marker_color=palette.FLOW_BAR,
        hovertext=[f"{label}: {text} {unit}" for label, text in zip(labels[::-1], texts[::-1])],
        hoverinfo="text",
    ))
    axis = t("flows.chart_axis", lang, unit=unit)
    if result.unit == "events":
        axis += f" — {t('unit.events_badge', lang)}"
    # The figure itself says its source, period and unit: a PNG saved from it travels without the page.
    period = period_label(*result.query.period) if result.query.period else "–"  # a result always has one
    note = " · ".join((f"{t('export.source', lang)}: {result.dataset.title(lang)}", period,
                       t("unit.events_badge" if result.unit == "events" else "unit.persons_badge", lang)))
    figure.update_layout(
        title={"text": t("flows.chart_title", lang, count=len(labels)),
               "subtitle": {"text": note, "font": {"size": 11, "color": "#555"}}},
        xaxis_title=axis, yaxis_title=None, height=max(260, 32 * len(labels) + 150),
        margin={"l": 10, "r": 10, "t": 80, "b": 40}, showlegend=False,
    )
    hidden = result.flows.filter(pl.col("value").is_null())
    return alt.hide_in_description(figure, [f"{country_name(o, lang)} → {country_name(d, lang)}"
                                            for o, d in zip(hidden["origin"], hidden["destination"])])
