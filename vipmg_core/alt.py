"""Text alternatives of charts and maps (issue #20): what a chart shows, said in words, from the figure itself.

`describe(fig, lang)` reads a plotly figure (bars, lines, a choropleth): its title and subtitle (what it counts, the
source, the period), the values' axis, per series the highest and lowest values (a line: where it starts and ends,
and whether it rises or falls), and which points are hidden, by their labels, never their values. A chart that
leaves hidden points out records their labels with `hide_in_description`. The pages show the text under each chart
(vipmg_ui/alt.py), the bulletins' and the library's HTML as the figure's caption. Maps describe their own data:
`flows.describe_map`, `maps.describe_values`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import plotly.graph_objects as go

from vipmg_core.i18n import fmt_number, t

MAX_SERIES_DESCRIBED = 8
MAX_LABELS = 10


def _plain(text: object) -> str:
    """A plotly title or label as plain text: line breaks as spaces, no markup."""
    return " ".join(re.sub(r"<[^>]+>", " ", str(text or "")).split())


def labels(items: Sequence[str], lang: str) -> str:
    items = list(items)
    if len(items) > MAX_LABELS:
        return t("alt.and_more", lang, labels=", ".join(items[:MAX_LABELS]), count=len(items) - MAX_LABELS)
    return ", ".join(items)


def hide_in_description(fig: go.Figure, labels: Sequence[str]) -> go.Figure:
    """Record the points a chart leaves out because they are hidden (their labels, never their values), so its
    description says so (`describe`)."""
    meta = dict(fig.layout.meta or {}) if isinstance(fig.layout.meta, dict) else {}
    fig.update_layout(meta={**meta, "hidden": [str(label) for label in labels]})
    return fig


def _list(values) -> list:
    """A trace's data as a list (plotly keeps tuples, plotly express numpy arrays; None is no data)."""
    return [] if values is None else list(values)


def _points(trace) -> tuple[list[str], list[float | None]]:
    """(labels, values) of a bar, line, choropleth or map-dot trace; a hidden point's value is None."""
    if trace.type in ("choroplethmap", "scattermap"):
        texts = [str(s).split(":")[0] for s in _list(trace.text)]
        values = _list(trace.z) if trace.type == "choroplethmap" else _list(trace.marker.color)
    else:
        horizontal = getattr(trace, "orientation", None) == "h"
        labels, values = (trace.y, trace.x) if horizontal else (trace.x, trace.y)
        texts, values = [_plain(v) for v in _list(labels)], _list(values)
    return texts, [None if v is None or (isinstance(v, float) and math.isnan(v)) else abs(float(v)) for v in values]


def describe_lines(fig: go.Figure, lang: str, title: str | None = None) -> list[str]:
    """A text alternative of a chart, built from the figure itself: its title and subtitle (what it counts, the
    source, the period), the values' axis, and per series its highest and lowest value (a line: where it starts,
    where it ends, and whether it rises or falls), and which points are hidden, never what they would be.
    `title`: the chart's title where the figure has none of its own (a heading above it says it)."""
    heading = fig.layout.title
    lines = [t("alt.chart", lang, title=_plain(heading.text) if heading and heading.text else (title or ""))]
    if heading and heading.subtitle and heading.subtitle.text:
        lines.append(_plain(heading.subtitle.text) + ".")
    traces = [tr for tr in fig.data if tr.type in ("bar", "scatter", "choroplethmap", "scattermap")
              and getattr(tr, "hoverinfo", None) != "skip"]
    horizontal = any(getattr(tr, "orientation", None) == "h" for tr in traces)
    axis = (fig.layout.xaxis if horizontal else fig.layout.yaxis).title.text
    if axis:
        lines.append(t("alt.axis", lang, axis=_plain(axis)))
    every = [v for tr in traces for v in _points(tr)[1] if v is not None]
    # Whole numbers (counts, weighted estimates) without decimals; shares and means with one.
    decimals = 0 if all(float(v).is_integer() for v in every) or max(every, default=0) >= 100 else 1

    def shown(value: float) -> str:
        return fmt_number(value, lang, decimals)

    for trace in traces[:MAX_SERIES_DESCRIBED]:
        name = _plain(trace.name) or t("alt.values", lang)
        names, values = _points(trace)
        pairs = [(label, value) for label, value in zip(names, values) if value is not None]
        if not pairs:
            lines.append(t("alt.series_empty", lang, name=name))
        elif len(pairs) == 1:
            lines.append(t("alt.series_one", lang, name=name, label=pairs[0][0], value=shown(pairs[0][1])))
        elif trace.type == "scatter":
            (first_label, first), (last_label, last) = pairs[0], pairs[-1]
            high_label, high = max(pairs, key=lambda p: p[1])
            key = "alt.series_rises" if last > first else "alt.series_falls" if last < first else "alt.series_flat"
            lines.append(t(key, lang, name=name, first=shown(first), first_label=first_label, last=shown(last),
                           last_label=last_label, high=shown(high), high_label=high_label))
        elif len(pairs) <= MAX_LABELS:  # a few bars (countries compared, categories): every value
            lines.append(t("alt.series_values", lang, name=name, values="; ".join(
                f"{label}: {shown(value)}" for label, value in sorted(pairs, key=lambda p: -p[1]))))
        else:
            high_label, high = max(pairs, key=lambda p: p[1])
            low_label, low = min(pairs, key=lambda p: p[1])
            lines.append(t("alt.series_range", lang, name=name, high_label=high_label, high=shown(high),
                           low_label=low_label, low=shown(low), count=len(pairs)))
        hidden = [label for label, value in zip(names, values) if value is None]
        if hidden:
            lines.append(t("alt.hidden", lang, name=name, count=len(hidden), labels=labels(hidden, lang)))
    if len(traces) > MAX_SERIES_DESCRIBED:
        lines.append(t("alt.more_series", lang, count=len(traces) - MAX_SERIES_DESCRIBED))
    left_out = (fig.layout.meta or {}).get("hidden") if isinstance(fig.layout.meta, dict) else None
    if left_out:
        lines.append(t("alt.hidden_chart", lang, count=len(left_out), labels=labels(left_out, lang)))
    return lines


def describe(fig: go.Figure, lang: str, title: str | None = None) -> str:
    """`describe_lines` as one paragraph (a figcaption, an aria description)."""
    return " ".join(describe_lines(fig, lang, title))
