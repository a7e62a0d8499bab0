"""Text alternatives under charts and maps (issue #20): a "Chart description" expander holding what the chart
shows in words (`vipmg_core.alt.describe_lines`), or a map's own description."""

from __future__ import annotations

import re

import streamlit as st

from vipmg_core import alt
from vipmg_core.i18n import t

_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>()#+\-!|~$])")


def _escape(text: str) -> str:
    """Plain text shown as Markdown exactly as written (a caution mark "*", a "$" are not markup)."""
    return _MARKDOWN.sub(r"\\\1", text)


def describe(lines: list[str], title_key: str = "alt.chart_description", lang: str = "es") -> None:
    with st.expander(t(title_key, lang)):
        st.markdown("\n".join(f"- {_escape(line)}" for line in lines))


def chart_description(fig, lang: str, title: str | None = None) -> None:
    """The chart's description, right under it (`title`: the heading above a chart that has no title itself)."""
    describe(alt.describe_lines(fig, lang, title), "alt.chart_description", lang)


def map_description(lines: list[str], lang: str) -> None:
    """A map's description (from `flows.describe_map` or `maps.describe_values`), right under it."""
    describe(lines, "alt.map_description", lang)
