"""The chart of a cross-tab: its detail cells as bars, stacked bars or lines (plotly), titled with the measure
and carrying its source and unit, so a PNG saved from it travels without the page around it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from vipmg_core import palette
from vipmg_core.crosstab.labels import label_expr
from vipmg_core.crosstab.query import LEVEL_COL, LEVEL_ROW
from vipmg_core.i18n import t

if TYPE_CHECKING:
    from vipmg_core.crosstab.result import Crosstab
    from vipmg_core.crosstab.table import View


def figure(result: Crosstab, lang: str, kind: str, view: View) -> Any:
    """A plotly figure of a cross-tab's cells (detail level, no totals): bars ("bar"), stacked bars ("stacked")
    or lines ("line")."""
    import plotly.graph_objects as go

    q, ds = result.query, result.dataset
    R, C = len(q.rows), len(q.cols)
    cells = result.shown_cells(view).filter((pl.col(LEVEL_ROW) == R) & (pl.col(LEVEL_COL) == C))
    x_dims, series_dims = list(q.rows), list(q.cols)
    if kind == "line" and ds.time_column in q.cols and ds.time_column not in q.rows:
        x_dims, series_dims = series_dims, x_dims
        cells = cells.sort("_co", "_ro")
    cells = cells.with_columns(
        label_expr(ds, x_dims, lang, view.codes, t("crosstab.total", lang)).alias("_x"),
        label_expr(ds, series_dims, lang, view.codes, result.measure_label(lang)).alias("_s"),
    )
    fig = go.Figure()
    for i, ((series,), part) in enumerate(cells.group_by("_s", maintain_order=True)):
        hover = [t(f"crosstab.flag_{f}", lang) for f in part["flag"].to_list()]
        colour, dash, hatch = palette.series_style(i)  # past seven series a colour comes back dashed/hatched
        common = {"x": part["_x"].to_list(), "y": part["value"].to_list(), "name": str(series),
                  "customdata": hover,
                  "hovertemplate": "%{x}<br>%{y:,.1f}<br>%{customdata}<extra>%{fullData.name}</extra>"}
        fig.add_trace(go.Scatter(mode="lines+markers", line={"color": colour, "dash": dash}, **common)
                      if kind == "line" else
                      go.Bar(marker={"color": colour, "pattern": {"shape": hatch}}, **common))
    if kind == "stacked":
        fig.update_layout(barmode="stack")
    elif kind == "bar":
        fig.update_layout(barmode="group")
    title = result.measure_label(lang)
    if ds.counts_events:
        title += f" ({t('unit.events_badge', lang).lower()})"
    # The figure itself says its source and unit: a PNG saved from it travels without the page around it.
    source = f"{ds.title(lang)} ({t('profiles.demo', lang)})" if result.synthetic else ds.title(lang)
    years = f"{q.years[0]}–{q.years[1]}" if q.years else ""
    note = " · ".join(x for x in (f"{t('export.source', lang)}: {source}", years, result.unit_label(lang)) if x)
    fig.update_layout(title={"text": title, "subtitle": {"text": note, "font": {"size": 11, "color": "#555"}}},
                      yaxis_title=title if len(title) < 60 else None, legend_title_text=None,
                      margin={"l": 10, "r": 10, "t": 80, "b": 10}, height=440)
    return fig