"""Cross-tab lab: any dimensions of any source on rows and columns, weighted, with quality, in the URL."""

import streamlit as st

from vipmg_core import crosstab as xt
from vipmg_core import downloads as dl
from vipmg_core import guide, links, sdmx
from vipmg_core.datasets import dataset
from vipmg_core.i18n import t
from vipmg_ui import alt, api_routes, shell

ctx = shell.context()
lang = ctx.lang
wh = shell.warehouse()
TOKEN = wh.state_token()

# Widget keys are the link's parameters (codes, never translated labels), declared once in vipmg_core/links.py.
Link = links.CrosstabLink
DS, ROWS, COLS, MEASURE, PERCENT, TOTALS, SUBTOTALS, SOURCE, SHADING, CODES, QUALITY, TOP, SORT, CHART = (
    Link.PARAMS[name] for name in ("dataset", "rows", "cols", "measure", "percent", "totals", "subtotals", "source",
                                   "shading", "codes", "quality", "top", "sort", "chart"))


@st.cache_data(ttl=600, max_entries=256, show_spinner=False)
def dimension_values(root: str, token: str, dataset_id: str, column: str, countries: tuple, years: tuple) -> list:
    return Link.filter_options(wh, dataset_id, column, countries, years)


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def compute(root: str, token: str, key: str, _query: xt.CrosstabQuery) -> xt.Crosstab:
    return xt.compute(_query, wh)


def swap() -> None:
    st.session_state[ROWS], st.session_state[COLS] = st.session_state[COLS], st.session_state[ROWS]


st.title(t("page.crosstab", lang))
st.caption(t("crosstab.intro", lang))

sources = list(ctx.dataset_ids)
if not sources:
    st.info(t("crosstab.no_sources", lang))
    st.stop()
url = shell.FromUrl(lambda params: Link.from_params(params, wh, ctx))  # what a shared link asks for
key = shell.bind(DS, lambda: url().dataset, sources, Link.defaults(ctx).dataset)
ds = dataset(st.selectbox(t("crosstab.dataset", lang), sources, key=key, format_func=lambda i: dataset(i).title(lang),
                          help=guide.dataset_help(dataset(st.session_state[DS]), lang)))
first = Link.defaults(ctx, ds.id)  # this dataset's defaults

dims = [d.name for d in ds.dimensions]
label = {d: ds.column(d).label(lang) for d in dims}
left, middle, right = st.columns([5, 5, 2], vertical_alignment="bottom")
rows = left.multiselect(t("crosstab.rows", lang), dims, key=shell.bind(ROWS, lambda: list(url().rows), dims),
                        format_func=label.get)
col_dims = [d for d in dims if d not in rows]
cols = middle.multiselect(t("crosstab.cols", lang), col_dims, key=shell.bind(COLS, lambda: list(url().cols), col_dims),
                          format_func=label.get)
right.button(t("crosstab.swap", lang), on_click=swap, disabled=not cols, width="stretch",
             help=t("crosstab.swap_help", lang))

measure_options = xt.measures(ds)
c1, c2, c3 = st.columns([4, 5, 3])
measure = c1.selectbox(t("crosstab.measure_label", lang), measure_options,
                       key=shell.bind(MEASURE, lambda: url().measure, measure_options, first.measure),
                       format_func=lambda m: xt.measure_label(ds, m, lang),
                       help=guide.measures_help(ds, measure_options, lang))
is_mean = measure.startswith("mean:")
percent = c2.radio(t("crosstab.percent_label", lang), links.PERCENTS, key=shell.bind(PERCENT, lambda: url().percent),
                   horizontal=True, disabled=is_mean, format_func=lambda p: t(f"crosstab.percent.{p}", lang))
totals = c3.toggle(t("crosstab.totals", lang), key=shell.bind(TOTALS, lambda: url().totals))
subtotals = c3.toggle(t("crosstab.subtotals", lang), key=shell.bind(SUBTOTALS, lambda: url().subtotals),
                      disabled=len(rows) < 2 and len(cols) < 2)

filters: dict[str, list[str]] = {}
filterable = Link.filterable(ds.id)
with st.expander(t("crosstab.filters", lang), expanded=any(st.query_params.get(Link.FILTER + d) for d in filterable)):
    st.caption(t("crosstab.filters_help", lang))
    grid = st.columns(3)
    for i, dim in enumerate(filterable):
        options = dimension_values(str(wh.root), TOKEN, ds.id, dim, ctx.countries, ctx.years)
        key = shell.bind(Link.FILTER + dim, lambda d=dim: list(url().filter(d)), options)
        chosen = grid[i % 3].multiselect(label[dim], options, key=key,
                                         format_func=lambda c, d=dim: xt.code_label(ds, d, c, lang, True))
        if chosen:
            filters[dim] = chosen
source_options = Link.source_options(wh, ds.id)
source = ""
if len(source_options) > 1:  # several products or editions: one can be chosen
    sources_of = dict(wh.sources(ds.id))
    source = st.selectbox(t("crosstab.source", lang), source_options, help=t("crosstab.source_help", lang),
                          key=shell.bind(SOURCE, lambda: url().source, source_options, first.source),
                          format_func=lambda k: t("crosstab.source_default", lang) if not k else
                          f"{sources_of[k].publisher} · {sources_of[k].edition or ''} ({k})")

with st.expander(t("crosstab.display", lang)):
    d1, d2, d3 = st.columns(3)
    shading = d1.toggle(t("crosstab.shading", lang), key=shell.bind(SHADING, lambda: url().shading))
    codes = d1.toggle(t("crosstab.codes", lang), key=shell.bind(CODES, lambda: url().codes))
    show_quality = d1.toggle(t("crosstab.quality", lang), key=shell.bind(QUALITY, lambda: url().quality),
                             disabled=not ds.is_microdata, help=guide.flags_help(lang))
    top_n = d2.number_input(t("crosstab.top_n", lang), min_value=0, max_value=links.MAX_TOP_ROWS, step=5,
                            key=shell.bind(TOP, lambda: url().top))
    sort = d2.radio(t("crosstab.sort", lang), links.SORTS, key=shell.bind(SORT, lambda: url().sort),
                    format_func=lambda s: t(f"crosstab.sort_by.{s}", lang))
    chart_kind = d3.radio(t("crosstab.chart", lang), links.CHARTS, key=shell.bind(CHART, lambda: url().chart),
                          format_func=lambda c: t(f"crosstab.chart_kind.{c}", lang))

link = Link(ctx, ds.id, tuple(rows), tuple(cols), measure, percent, totals, subtotals, tuple(filters.items()), source,
            shading, codes, show_quality, int(top_n), sort, chart_kind)
shell.publish(link)
if not rows:
    st.info(t("crosstab.no_dimensions", lang))
    st.stop()
try:
    query, view, chart_kind = link.query()  # what the library's embedded views show for the same link
except xt.CrosstabError as error:
    st.error(error.message(lang))
    st.stop()
result = compute(str(wh.root), TOKEN, repr(query), query)

st.subheader(f"{result.measure_label(lang)} — {ds.title(lang)}")
(st.warning if ds.counts_events else st.info)(result.unit_label(lang))
if result.cells.is_empty() or result.cells["value"].is_null().all() and result.cells["n"].is_null().all():
    st.info(t("crosstab.empty", lang))
    st.stop()
table = result.table(lang, view)
st.dataframe(table.styler(shading), hide_index=True, width="stretch",
             height=min(38 + 35 * table.numeric.height, 640),
             column_config={c: st.column_config.TextColumn(alignment="right") for c in table.number_columns})
if view.top_n and result.row_groups() > view.top_n:
    st.caption(t("crosstab.showing", lang, shown=view.top_n, total=result.row_groups()))
years_text = f"{ctx.years[0]}–{ctx.years[1]}"
countries_text = ", ".join(xt.code_label(ds, ds.area_column, c, lang) for c in ctx.countries)
st.caption(t("crosstab.countries_note", lang, countries=countries_text, years=years_text))

with st.container(border=True):
    st.markdown(f"**{t('crosstab.notes_title', lang)}**")
    for note in result.notes(lang):
        st.caption(note)
    for symbol, meaning in result.flags_legend(lang).items():
        st.caption(f"`{symbol}` — {meaning}")

st.markdown(f"**{t('crosstab.downloads', lang)}**")
link = api_routes.page_link("crosstab", st.query_params.to_dict(), st.context.url)
name = f"crosstab_{ds.id}"
b1, b2, b3 = st.columns(3)
# Files are made when a button is clicked (not on every rerun), by the same function as the CLI and the API.
b1.download_button(t("crosstab.download_csv", lang), lambda: dl.crosstab_file(result, view, lang, dl.CSV, link),
                   f"{name}.csv", "text/csv", on_click="ignore", width="stretch")
b2.download_button(t("crosstab.download_xlsx", lang), lambda: dl.crosstab_file(result, view, lang, dl.XLSX, link),
                   f"{name}.xlsx", dl.MEDIA_TYPES[dl.XLSX], on_click="ignore", width="stretch")
b3.download_button(t("crosstab.download_sdmx", lang), lambda: dl.crosstab_file(result, view, lang, dl.SDMX, link),
                   f"{name}_sdmx.csv", "text/csv", on_click="ignore", width="stretch",
                   disabled=bool(sdmx.unwritable(result, lang)),
                   help=sdmx.unwritable(result, lang) or t("sdmx.page.download_help", lang))
st.caption(t("crosstab.share_link", lang))
if twin := api_routes.data_twin("crosstab", st.query_params.to_dict()):
    st.caption(f"{t('api.data_url', lang)} [{twin}]({twin})")

if chart_kind != "none":
    chart = result.chart(lang, chart_kind, view)
    st.plotly_chart(chart, config={"displaylogo": False}, width="stretch")
    alt.chart_description(chart, lang)  # its text alternative (issue #20)
    (st.warning if ds.counts_events else st.caption)(result.unit_label(lang))
