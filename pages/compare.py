"""Regional comparison: one indicator for several countries, side by side (bars, map, table), saying where
the countries' figures do not compare."""

import streamlit as st

from vipmg_core import charts, links
from vipmg_core import compare as cp
from vipmg_core import profiles as pr
from vipmg_core.codelists import country_name
from vipmg_core.exports import csv_bytes, excel_bytes
from vipmg_core.i18n import t
from vipmg_ui import alt, shell

Link = links.CompareLink
INDICATOR, COUNTRIES = Link.PARAMS["indicator"], Link.PARAMS["countries"]  # widget keys, also the link's parameters

ctx = shell.context()
lang = ctx.lang
wh = shell.warehouse()


@st.cache_data(ttl=600, max_entries=8, show_spinner=False)
def _places(root: str, token: str) -> tuple[list[str], tuple[int, int]]:
    del root, token
    current = shell.warehouse()
    areas = pr.area_codes(current)
    return [c for c in areas if pr.area(c).is_country], current.year_bounds()


def _compare(root: str, token: str, indicator: str, countries: tuple[str, ...], first: int | None, last: int
             ) -> cp.Comparison:
    del root, token  # kept_comparison keys by the warehouse's own state: one computation for every session
    return cp.kept_comparison(shell.warehouse(), indicator, countries, pr.Period(first, last))


# Plotly figures are objects nobody changes after building (st.plotly_chart copies them): built once per
# comparison and language for every session (the map's polygons made it most of the page's server time).
@st.cache_resource(ttl=3600, max_entries=32, show_spinner=False)
def _charts(root: str, token: str, indicator: str, countries: tuple[str, ...], first: int | None, last: int,
            lang: str) -> tuple:
    computed = _compare(root, token, indicator, countries, first, last)
    title, subtitle, axis = computed.title(lang), computed.subtitle(lang), computed.axis(lang)
    return (charts.compare_bars(computed.rows, title, subtitle, axis, lang, computed.percent),
            charts.compare_map(computed.rows, title, subtitle, axis, lang, computed.percent))


st.title(t("page.compare", lang))
st.markdown(t("compare.intro", lang))

keys = cp.indicators()
places = _places(str(wh.root), wh.state_token())[0]
top = st.columns([2, 3])
url = shell.FromUrl(lambda params: Link.from_params(params, wh, ctx))  # what a shared link asks for
indicator = top[0].selectbox(t("compare.indicator", lang), keys, key=shell.bind(INDICATOR, lambda: url().indicator),
                             format_func=lambda k: pr.figure_label(k, lang))
countries = top[1].multiselect(t("compare.countries", lang), places,
                               key=shell.bind(COUNTRIES, lambda: list(url().countries), places),
                               format_func=lambda c: country_name(c, lang))
link = Link(ctx, tuple(countries), indicator)
shell.publish(link)
if not countries:
    st.info(t("profiles.error.no_countries", lang))
    st.stop()

indicator, countries, period = link.query()
result = _compare(str(wh.root), wh.state_token(), indicator, tuple(countries), period.first_year, period.last_year)

with st.container(border=True):
    st.markdown(f"**{t('compare.caveats', lang)}**")
    for caveat in result.caveats:
        st.markdown(f"- {caveat.message(lang)}")

if result.rows.is_empty():
    st.info(t("compare.no_data", lang))
    st.stop()

name = f"compare_{indicator}_{result.periods_label().replace(' … ', '_')}"
bars, choropleth = _charts(str(wh.root), wh.state_token(), indicator, tuple(countries), period.first_year,
                           period.last_year, lang)
left, right = st.columns(2)
with left:
    st.subheader(t("compare.bars", lang))
    st.plotly_chart(bars, width="stretch", config=charts.plotly_config(f"{name}_bars"))
    alt.chart_description(bars, lang)  # its text alternative (issue #20)
with right:
    st.subheader(t("compare.map", lang))
    st.plotly_chart(choropleth, width="stretch", config=charts.plotly_config(f"{name}_map"))
    alt.map_description(charts.describe_lines(choropleth, lang), lang)
st.caption(t("profiles.png_hint", lang))

st.subheader(t("compare.table", lang))
table = cp.table(result, lang)
st.dataframe(table, hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(format="localized") for c in table.columns
                            if table[c].dtype.kind in "if"})
meta = cp.export_meta(result, lang)
buttons = st.columns(2)
# Files are made when a button is clicked, not on every rerun.
buttons[0].download_button(t("compare.download_csv", lang), lambda: csv_bytes(table, meta), f"{name}.csv",
                           "text/csv", on_click="ignore")
buttons[1].download_button(t("compare.download_excel", lang), lambda: excel_bytes(table, meta), f"{name}.xlsx",
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore")
