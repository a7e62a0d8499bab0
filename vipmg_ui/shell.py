"""The app shell: language switch, the global context kept in the URL, and notices every page shows."""

from __future__ import annotations

import html
import json
import logging
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Generic, Protocol, TypeVar

import streamlit as st

from vipmg_core import accounts, demo, links, pack
from vipmg_core.codelists import country_name, project_countries
from vipmg_core.config import data_dir
from vipmg_core.datasets import dataset, dataset_ids
from vipmg_core.i18n import DEFAULT_LANG, LANG_NAMES, LANGS, normalise_lang, t
from vipmg_core.links import Context
from vipmg_core.warehouse import Warehouse

# Widget keys, also the link's parameters (declared in vipmg_core/links.py).
LANG_KEY, SOURCES_KEY, COUNTRIES_KEY, YEARS_KEY = links.LANG, links.SOURCES, links.COUNTRIES, links.YEARS
ROUTED_KEY = "_routed"  # set while Home.py runs the chosen page
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes (the server's log), not to the one of import time."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def server_log() -> logging.Logger:
    """The app's logger, writing to the server's stderr with a time and a level, whatever else configures
    logging. Without a handler of its own a record reached stderr only through Python's last-resort handler
    (no time, no level), and not at all as soon as anything gave the root logger a handler (pytest does)."""
    log = logging.getLogger("vipmg")
    if not any(isinstance(handler, _Stderr) for handler in log.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False  # the root logger's handlers (if any) would print it twice
    return log


@st.cache_resource(max_entries=4)
def _warehouse(root: str) -> Warehouse:
    return Warehouse(root)


def warehouse() -> Warehouse:
    return _warehouse(str(data_dir()))


def lang() -> str:
    return normalise_lang(st.session_state.get(LANG_KEY, DEFAULT_LANG))


L = TypeVar("L")


class FromUrl(Generic[L]):
    """The link the URL holds, as vipmg_core/links.py reads it (its defaults for what the link leaves out or
    cannot express). Read at most once a run, and only when a widget is new to the session: a first visit, or a
    widget a new choice brings (another dataset's filters); a rerun keeps what the person chose."""

    def __init__(self, read: Callable[[dict[str, str]], L]) -> None:
        self._read, self._link = read, None

    def __call__(self) -> L:
        if self._link is None:
            self._link = self._read(st.query_params.to_dict())
        return self._link


def bind(key: str, seed: Callable[[], object], options: Sequence | None = None, default: object = None) -> str:
    """Widget `key` starts from `seed()` (what the link says, see FromUrl) the first time it is drawn in a
    session. With `options`, a choice no longer offered (left from another dataset or context) goes: a list keeps
    what still applies (each once), a single value becomes `default` (the link's default now). Returns `key`.

    Streamlit's own `bind="query-params"` writes the *formatted* label to the URL (a country's name in the current
    language), which breaks links across languages; links hold codes instead."""
    if key not in st.session_state:
        st.session_state[key] = seed()
    elif options is not None:
        current = st.session_state[key]
        if isinstance(current, list):
            kept = list(dict.fromkeys(c for c in current if c in options))
            if kept != current:
                st.session_state[key] = kept
        elif current not in options:
            st.session_state[key] = default
    return key


class _Published(Protocol):
    def to_params(self) -> dict[str, str]: ...

    def owns(self, name: str) -> bool: ...


def publish(link: _Published) -> None:
    """Write a view's link to the URL: its parameters that differ from the defaults (links stay short); its own
    parameters it no longer holds leave the URL."""
    write(link.to_params(), link.owns)


def write(params: Mapping[str, str], owns: Callable[[str], bool]) -> None:
    for name in [k for k in st.query_params if owns(k) and k not in params]:
        del st.query_params[name]
    for name, value in params.items():
        if st.query_params.get(name) != value:
            st.query_params[name] = value


def url_state(key: str, default: object, parse: Callable[[str], object | None]) -> None:
    """Seed a widget's session value from the URL on first load, so a shared link reopens the same view: the
    single choices of pages whose state has no link in vipmg_core/links.py (board, library, catalogue, upload,
    submissions; the views' pages use bind and publish). A value the URL cannot express (a typo, an unknown
    code) falls back to the default, never an error."""
    if key in st.session_state:
        return
    raw = st.query_params.get(key)
    value = parse(raw) if raw else None
    st.session_state[key] = default if value is None else value


def url_publish(key: str, value: object, default: object, dump: Callable[[object], str] = str) -> None:
    """Write a widget's value to the URL; defaults are left out to keep links short."""
    if value == default:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != dump(value):
        st.query_params[key] = dump(value)


def parse_codes(allowed: list[str]) -> Callable[[str], list[str] | None]:
    def parse(raw: str) -> list[str] | None:
        codes = [c for c in raw.split(",") if c in allowed]
        return codes or None

    return parse


def parse_choice(allowed: list[str]) -> Callable[[str], str | None]:
    return lambda raw: raw if raw in allowed else None


def dump_codes(codes: object) -> str:
    return ",".join(codes)  # type: ignore[arg-type]


def language_switch() -> str:
    """Spanish first; switching reruns the page in the other language and keeps everything else."""
    if _legacy_run():  # before any widget: see _leave_legacy_mode
        _leave_legacy_mode()
    key = bind(LANG_KEY, lambda: links.lang_of(st.query_params.to_dict()))
    chosen = st.sidebar.radio("Idioma / Language", LANGS, format_func=LANG_NAMES.get, key=key, horizontal=True)
    write(links.lang_params(chosen), lambda name: name == LANG_KEY)
    document_language(lang())
    return lang()


# Streamlit's page is always `<html lang="en">`: a screen reader then reads the Spanish pages with English
# pronunciation (WCAG 3.1.1). Set in the browser on every language, and from a change of page or language on.
# The same script marks Streamlit's metric sparklines as decoration: Streamlit names each one only "Vega
# visualization" and leaves an empty, unnamed hover layer in it (axe: svg-img-alt); the metric's value and
# change are its text, and the profile's trend charts below show the same series.
_DOCUMENT_SCRIPT = """<script>(() => {
  document.documentElement.lang = %s;
  const hide = () => document.querySelectorAll("[data-testid='stMetricChart']:not([aria-hidden])")
    .forEach(chart => chart.setAttribute("aria-hidden", "true"));
  hide();
  if (!window.vipmgA11y) {
    window.vipmgA11y = new MutationObserver(hide);
    window.vipmgA11y.observe(document.body, {childList: true, subtree: true});
  }
})();</script>"""


# A script-only st.html draws nothing, but its empty container still took a gap of the sidebar's layout.
_NO_GAP_FOR_SCRIPTS = """<style>[data-testid='stElementContainer']:has(> [data-testid='stHtml'] > script:only-child)
{display: none}</style>"""


def document_language(current_lang: str) -> None:
    """`<html lang>` follows the chosen language (assistive technology reads the page in it)."""
    st.html(_NO_GAP_FOR_SCRIPTS)  # style only: Streamlit puts it in its event container, outside the layout
    st.sidebar.html(_DOCUMENT_SCRIPT % json.dumps(current_lang), unsafe_allow_javascript=True)


def svg_image(svg: str) -> None:
    """An SVG drawing (a legend) as an image whose text alternative is the drawing's own text, in reading
    order: a screen reader says what the legend says."""
    texts = [html.unescape(text).strip(" ●") for text in re.findall(r"<text[^>]*>(.*?)</text>", svg)]
    alt = ""
    for text in filter(None, texts):
        alt += ("" if not alt else " " if alt.endswith(":") else ", ") + text
    st.image(svg, alt=alt)


def ensure_data(wh: Warehouse, current_lang: str) -> None:
    """First start on an empty data directory: build the synthetic demo warehouse, showing progress."""
    if not wh.is_empty() or not demo.demo_on_empty():
        return
    bar = st.progress(0.0, text=t("shell.building_demo", current_lang))

    def progress(dataset_id: str, fraction: float) -> None:
        title = dataset(dataset_id).title(current_lang) if dataset_id else ""
        bar.progress(min(fraction, 1.0), text=f"{t('shell.building_demo', current_lang)} {title}")

    demo.ensure_demo(wh, progress=progress)
    bar.empty()


def ensure_demo_accounts(wh: Warehouse) -> None:
    """Workshop accounts, only when demo mode is explicitly on (VIPMG_DEMO_ACCOUNTS=1)."""
    if accounts.demo_accounts_enabled():
        _demo_accounts(str(wh.root))


@st.cache_resource(max_entries=4)
def _demo_accounts(root: str) -> bool:
    accounts.ensure_demo_accounts(Warehouse(root).catalogue, project_countries())
    return True


def context_sidebar(wh: Warehouse, current_lang: str) -> Context:
    """Sources, countries and years, chosen once in the sidebar and kept in the URL."""
    sidebar = st.sidebar
    sidebar.subheader(t("shell.context", current_lang))
    ids, countries_all = dataset_ids(), project_countries()
    url = FromUrl(lambda params: links.Context.from_params(params, wh))

    sources = sidebar.multiselect(t("shell.sources", current_lang), ids,
                                  key=bind(SOURCES_KEY, lambda: list(url().dataset_ids)),
                                  format_func=lambda i: dataset(i).title(current_lang))
    countries = sidebar.multiselect(t("shell.countries", current_lang), countries_all,
                                    key=bind(COUNTRIES_KEY, lambda: list(url().countries)),
                                    format_func=lambda c: country_name(c, current_lang))
    bounds = wh.year_bounds()  # remembered by the warehouse until a publication
    years = bounds
    if bounds[0] < bounds[1]:
        years = sidebar.slider(t("shell.years", current_lang), *bounds, key=bind(YEARS_KEY, lambda: url().years))
    chosen = Context.of(current_lang, sources, countries, years, bounds)
    write(chosen.to_params(), lambda name: name in Context.PARAMS.values())
    return chosen


def context() -> Context:
    """The context as the sidebar left it; pages call this instead of reading widgets."""
    if not st.session_state.get(ROUTED_KEY):
        _rerun_through_home()
    return st.session_state["_context"]


def run_page(navigation, current_lang: str) -> None:
    """Run the chosen page, marked as routed through Home.py, with a friendly message if it fails."""
    st.session_state[ROUTED_KEY] = True
    try:
        navigation.run()
    except Exception:  # Streamlit's own rerun/stop signals are BaseExceptions and pass through
        # The person sees a short message; the operator reads what happened, with its traceback, in the log.
        server_log().exception("page %r failed (link parameters %s)", getattr(navigation, "url_path", "?"),
                               dict(st.query_params))
        st.error(t("shell.error", current_lang))
    finally:
        st.session_state[ROUTED_KEY] = False


def _rerun_through_home() -> None:
    """On a fresh server, the first request to a deep link (/catalogue?lang=en) runs the page file alone, in
    Streamlit's legacy `pages/` mode, until some session has called st.navigation. Leave that mode and rerun
    at once (before any widget exists, so none gets a stray identity): Home.py then sets the language and
    context from the URL and routes to the same page. A first request is a page load, so no click is lost."""
    _leave_legacy_mode()


def _legacy_run() -> bool:
    """Whether this run is in Streamlit's legacy `pages/` mode, as a fresh server's first run is (Home.py run
    as one page of a menu built from pages/) until some session has called st.navigation."""
    from streamlit.runtime.scriptrunner import script_runner

    frame = sys._getframe()
    while frame is not None:
        if frame.f_code is script_runner._mpa_v1.__code__:
            return True
        frame = frame.f_back
    return False


def _leave_legacy_mode() -> None:
    """Leave the legacy mode and rerun at once, before any widget exists. A widget made in that mode has
    another identity than the same widget in every later run: a person's first click on it (the language,
    a source) was sent for a widget the next run no longer had, and was lost."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    st.rerun()


def synthetic_notice(wh: Warehouse, current_lang: str) -> None:
    notice = pack.synthetic_notice(wh, current_lang)  # names only the synthetic datasets when some are real
    if notice:
        st.warning(notice, icon="⚠️")


def footer(current_lang: str) -> None:
    st.divider()
    st.caption(t("shell.footer", current_lang))
