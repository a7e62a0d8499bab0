"""The app shell: language switch, the global context kept in the URL, and notices every page shows."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from vipmg_core import demo
from vipmg_core.codelists import country_name, project_countries
from vipmg_core.config import data_dir
from vipmg_core.datasets import dataset, dataset_ids
from vipmg_core.i18n import DEFAULT_LANG, LANG_NAMES, LANGS, normalise_lang, t
from vipmg_core.warehouse import Warehouse

# Query parameter names: short, since they end up in links people paste into e-mails.
LANG_KEY = "lang"
SOURCES_KEY = "src"
COUNTRIES_KEY = "cty"
YEARS_KEY = "yr"


@dataclass(frozen=True)
class Context:
    """What the user chose once, kept across pages and in the URL."""

    lang: str
    dataset_ids: list[str]
    countries: list[str]
    years: tuple[int, int]


@st.cache_resource(max_entries=4)
def _warehouse(root: str) -> Warehouse:
    return Warehouse(root)


def warehouse() -> Warehouse:
    return _warehouse(str(data_dir()))


def lang() -> str:
    return normalise_lang(st.session_state.get(LANG_KEY, DEFAULT_LANG))


def language_switch() -> str:
    """Spanish first; switching reruns the page in the other language and keeps everything else."""
    if st.session_state.get(LANG_KEY) not in LANGS:
        st.session_state[LANG_KEY] = DEFAULT_LANG
    st.sidebar.radio(
        "Idioma / Language",
        LANGS,
        format_func=LANG_NAMES.get,
        key=LANG_KEY,
        horizontal=True,
        bind="query-params",
    )
    return lang()


def ensure_data(wh: Warehouse, current_lang: str) -> None:
    """First start on an empty data directory: build the synthetic demo warehouse, showing progress."""
    if not wh.is_empty() or not demo.demo_on_empty():
        return
    bar = st.progress(0.0, text=t("shell.building_demo", current_lang))

    def progress(message: str, fraction: float) -> None:
        bar.progress(min(fraction, 1.0), text=f"{t('shell.building_demo', current_lang)} {message}")

    demo.ensure_demo(wh, progress=progress)
    bar.empty()


@st.cache_data(ttl=30, max_entries=64)
def _year_bounds(root: str, token: str) -> tuple[int, int]:
    del token  # part of the cache key only: a new publication refreshes the bounds
    return Warehouse(root).year_bounds()


def context_sidebar(wh: Warehouse, current_lang: str) -> Context:
    """Sources, countries and years, chosen once in the sidebar and bound to the URL."""
    sidebar = st.sidebar
    sidebar.subheader(t("shell.context", current_lang))
    ids = dataset_ids()
    sources = sidebar.multiselect(
        t("shell.sources", current_lang), ids, default=ids,
        format_func=lambda i: dataset(i).title(current_lang), key=SOURCES_KEY, bind="query-params",
    )
    countries = sidebar.multiselect(
        t("shell.countries", current_lang), project_countries(), default=project_countries(),
        format_func=lambda c: country_name(c, current_lang), key=COUNTRIES_KEY, bind="query-params",
    )
    low, high = _year_bounds(str(wh.root), wh.state_token())
    if low < high:
        years = sidebar.slider(t("shell.years", current_lang), low, high, (low, high), key=YEARS_KEY,
                               bind="query-params")
    else:
        years = (low, high)
    return Context(current_lang, list(sources) or ids, list(countries) or project_countries(),
                   (int(years[0]), int(years[1])))


def context() -> Context:
    """The context as the sidebar left it; pages call this instead of reading widgets."""
    return st.session_state["_context"]


def synthetic_notice(wh: Warehouse, current_lang: str) -> None:
    if wh.has_synthetic():
        st.warning(t("shell.synthetic_notice", current_lang), icon="⚠️")


def footer(current_lang: str) -> None:
    st.divider()
    st.caption(t("shell.footer", current_lang))
