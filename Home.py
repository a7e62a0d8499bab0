"""VIPMG Data Lab: the entry point. Sets the language and the global context, then routes to a page."""

import streamlit as st
from streamlit import runtime

from vipmg_core import pack
from vipmg_core import warmup
from vipmg_core.codelists import project_countries
from vipmg_core.datasets import dataset
from vipmg_core.headlines import Headline, headline_figures, immigrant_stock_by_country
from vipmg_core.i18n import fmt_change, t
from vipmg_core.maps import PreparedDeck, base_layer, bubble_layer, describe_values, offline_deck
from vipmg_ui import alt, auth, geo_route, shell, workshop
from vipmg_ui.navigation import HOME, PAGES

st.set_page_config(page_title="VIPMG Data Lab", page_icon="🌎", layout="wide")

lang = shell.language_switch()
wh = shell.warehouse()
shell.ensure_data(wh, lang)
shell.ensure_demo_accounts(wh)
if runtime.exists():  # a server, not a bare run (a spawned process re-runs its parent's __main__: this file
    warmup.start(wh)  # after an AppTest), whose exit would cut DuckDB off mid-query in the warm-up thread


# Shared by every session: the same for everyone who chose the same context, keyed by the release state.
@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def _figures(root: str, token: str, countries: tuple[str, ...], years: tuple[int, int],
             dataset_ids: tuple[str, ...]) -> list[Headline]:
    del root, token
    return headline_figures(wh, list(countries), years, list(dataset_ids))


@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def _stock_map(root: str, token: str, countries: tuple[str, ...], years: tuple[int, int], lang: str
               ) -> tuple[str | None, str | None, list[str]]:
    """The period, the map's JSON (the world's polygons and a bubble per country), written once, and the map's
    description (its text alternative)."""
    del root, token
    period, stock = immigrant_stock_by_country(wh, list(countries), years)
    if not stock:
        return period, None, []
    layers = [base_layer(lang, set(project_countries()), geo_route.polygons_url(lang)),
              bubble_layer(stock, lang, t("unit.persons", lang), period)]
    return (period, offline_deck(layers, height=420).to_json(),
            describe_values(stock, lang, t("unit.persons", lang), period))


def home() -> None:
    ctx = shell.context()
    st.title(t("app.name", lang))
    st.caption(t("app.tagline", lang))
    st.markdown(t("home.intro", lang))

    st.subheader(t("home.headlines", lang))
    st.caption(t("home.headlines_caption", lang))
    state = (str(wh.root), wh.state_token())
    figures = _figures(*state, tuple(ctx.countries), ctx.years, tuple(ctx.dataset_ids))
    if not figures:
        st.info(t("shell.no_data", lang))
    for column, fig in zip(st.columns(max(len(figures), 1)), figures):
        ds = dataset(fig.dataset_id)
        delta = t("home.change", lang, change=fmt_change(fig.change, lang), year=fig.previous_year) if fig.change is not None else None
        # The sign is a typographic minus, which Streamlit does not read as "down": say the direction.
        arrow = "off" if fig.change is None else "up" if fig.change >= 0 else "down"
        column.metric(fig.label(lang), fig.value_text(lang), delta, delta_color="off",
                      delta_arrow=arrow)
        source = f"{ds.title(lang)} ({pack.source_label(wh, ds.id, lang)})"  # publisher and edition, or demo
        column.caption(t("home.figure_caption", lang, unit=t(f"unit.{fig.unit}", lang), source=source, period=fig.year))
        if ds.counts_events:
            column.caption(t("unit.events_badge", lang))

    period, stock_map, description = _stock_map(*state, tuple(ctx.countries), ctx.years, lang)
    if stock_map is not None:
        st.subheader(t("home.map_title", lang, period=period))
        st.pydeck_chart(PreparedDeck(stock_map, height=420), height=420)
        st.caption(t("home.map_caption", lang))
        alt.map_description(description, lang)  # its text alternative (issue #20)

    st.subheader(t("home.pages", lang))
    for spec in visible:
        st.page_link(spec.file, label=t(spec.title_key, lang))
        st.caption(t(spec.help_key, lang))


account = auth.current_account()
visible = [spec for spec in PAGES if spec.visible_to(account)]
navigation = st.navigation(
    [st.Page(home, title=t(HOME.title_key, lang), url_path=HOME.url_path, default=True)]
    + [st.Page(spec.file, title=t(spec.title_key, lang), url_path=spec.url_path) for spec in visible],
    expanded=True,  # every page listed: past ten, Streamlit hides the rest (Review, Audit) behind "View more"
)
auth.sidebar_badge(account, lang)
workshop.sidebar(lang)
st.session_state["_context"] = shell.context_sidebar(wh, lang)
shell.synthetic_notice(wh, lang)
shell.run_page(navigation, lang)
shell.footer(lang)
