"""Cross-tab lab: any dimensions of any source on rows and columns, weighted, with quality, in the URL."""

import streamlit as st

from vipmg_core import crosstab as xt
from vipmg_core import guide
from vipmg_core.datasets import dataset
from vipmg_core.exports import csv_bytes, excel_bytes, sdmx_csv_bytes
from vipmg_core.i18n import t
from vipmg_ui import alt, shell

ctx = shell.context()
lang = ctx.lang
wh = shell.warehouse()
TOKEN = wh.state_token()

# Query parameter names (short: they travel in links). Each holds codes, never translated labels.
DS, ROWS, COLS, MEASURE, PERCENT = "xds", "xr", "xc", "xm", "xp"
TOTALS, SUBTOTALS, SHADING, CODES, QUALITY, TOP, SORT, CHART = "xt", "xs", "xh", "xk", "xq", "xn", "xo", "xg"
FILTER = "xf_"
SOURCE = "xsrc"  # where published products overlap, the one to read (a product, or an edition of one)
PERCENTS = ["none", *xt.PERCENTS]
CHARTS = ["bar", "stacked", "line", "none"]
SORTS = ["label", "value"]


@st.cache_data(ttl=600, max_entries=256, show_spinner=False)
def dimension_values(root: str, token: str, dataset_id: str, column: str, countries: tuple, years: tuple) -> list:
    return xt.dimension_values(wh, dataset_id, column, countries, years)


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def compute(root: str, token: str, key: str, _query: xt.CrosstabQuery) -> xt.Crosstab:
    return xt.compute(_query, wh)


def parse_bool(raw: str) -> bool | None:
    return {"1": True, "0": False}.get(raw)


def dump_bool(value: object) -> str:
    return "1" if value else "0"


def parse_int(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and int(raw) <= 10_000 else None


def keep_valid(key: str, allowed: list[str]) -> None:
    """A value left from another source (or another country choice) keeps only what still applies."""
    current = st.session_state.get(key)
    if isinstance(current, list):
        kept = list(dict.fromkeys(c for c in current if c in allowed))
        if kept != current:
            st.session_state[key] = kept


def swap() -> None:
    st.session_state[ROWS], st.session_state[COLS] = st.session_state[COLS], st.session_state[ROWS]


st.title(t("page.crosstab", lang))
st.caption(t("crosstab.intro", lang))

sources = ctx.dataset_ids
if not sources:
    st.info(t("crosstab.no_sources", lang))
    st.stop()
shell.url_state(DS, sources[0], shell.parse_choice(sources))
if st.session_state[DS] not in sources:
    st.session_state[DS] = sources[0]
ds = dataset(st.selectbox(t("crosstab.dataset", lang), sources, key=DS, format_func=lambda i: dataset(i).title(lang),
                          help=guide.dataset_help(dataset(st.session_state[DS]), lang)))
shell.url_publish(DS, ds.id, sources[0])

dims = [d.name for d in ds.dimensions]
label = {d: ds.column(d).label(lang) for d in dims}
default_rows, default_cols = xt.default_layout(ds)
shell.url_state(ROWS, default_rows, shell.parse_codes(dims))
shell.url_state(COLS, default_cols, shell.parse_codes(dims))
keep_valid(ROWS, dims)
left, middle, right = st.columns([5, 5, 2], vertical_alignment="bottom")
rows = left.multiselect(t("crosstab.rows", lang), dims, key=ROWS, format_func=label.get)
keep_valid(COLS, [d for d in dims if d not in rows])
cols = middle.multiselect(t("crosstab.cols", lang), [d for d in dims if d not in rows], key=COLS,
                          format_func=label.get)
right.button(t("crosstab.swap", lang), on_click=swap, disabled=not cols, width="stretch",
             help=t("crosstab.swap_help", lang))
shell.url_publish(ROWS, rows, default_rows, shell.dump_codes)
shell.url_publish(COLS, cols, default_cols, shell.dump_codes)

measure_options = xt.measures(ds)
shell.url_state(MEASURE, measure_options[0], shell.parse_choice(measure_options))
if st.session_state[MEASURE] not in measure_options:
    st.session_state[MEASURE] = measure_options[0]
shell.url_state(PERCENT, "none", shell.parse_choice(PERCENTS))
shell.url_state(TOTALS, True, parse_bool)
shell.url_state(SUBTOTALS, False, parse_bool)
c1, c2, c3 = st.columns([4, 5, 3])
measure = c1.selectbox(t("crosstab.measure_label", lang), measure_options, key=MEASURE,
                       format_func=lambda m: xt.measure_label(ds, m, lang),
                       help=guide.measures_help(ds, measure_options, lang))
is_mean = measure.startswith("mean:")
percent = c2.radio(t("crosstab.percent_label", lang), PERCENTS, key=PERCENT, horizontal=True, disabled=is_mean,
                   format_func=lambda p: t(f"crosstab.percent.{p}", lang))
totals = c3.toggle(t("crosstab.totals", lang), key=TOTALS)
subtotals = c3.toggle(t("crosstab.subtotals", lang), key=SUBTOTALS,
                      disabled=len(rows) < 2 and len(cols) < 2)
for key, value, default, dump in ((MEASURE, measure, measure_options[0], str), (PERCENT, percent, "none", str),
                                  (TOTALS, totals, True, dump_bool), (SUBTOTALS, subtotals, False, dump_bool)):
    shell.url_publish(key, value, default, dump)

filters: dict[str, list[str]] = {}
filterable = [d for d in dims if d != ds.area_column]
with st.expander(t("crosstab.filters", lang), expanded=any(st.query_params.get(FILTER + d) for d in filterable)):
    st.caption(t("crosstab.filters_help", lang))
    grid = st.columns(3)
    for i, dim in enumerate(filterable):
        options = dimension_values(str(wh.root), TOKEN, ds.id, dim, tuple(ctx.countries), tuple(ctx.years))
        key = FILTER + dim
        shell.url_state(key, [], shell.parse_codes(options))
        keep_valid(key, options)
        chosen = grid[i % 3].multiselect(label[dim], options, key=key,
                                         format_func=lambda c, d=dim: xt.code_label(ds, d, c, lang, True))
        shell.url_publish(key, chosen, [], shell.dump_codes)
        if chosen:
            filters[dim] = chosen
for stale in [k for k in st.query_params if k.startswith(FILTER) and k[len(FILTER):] not in filterable]:
    del st.query_params[stale]
sources = dict(wh.sources(ds.id))
source = ""
if len({r.release_id for r in sources.values()}) > 1:  # several products or editions: one can be chosen
    choices = ["", *sources]
    shell.url_state(SOURCE, "", shell.parse_choice(choices))
    if st.session_state.get(SOURCE) not in choices:  # left from another dataset
        st.session_state[SOURCE] = ""
    source = st.selectbox(t("crosstab.source", lang), choices, key=SOURCE, help=t("crosstab.source_help", lang),
                          format_func=lambda k: t("crosstab.source_default", lang) if not k else
                          f"{sources[k].publisher} · {sources[k].edition or ''} ({k})")
    shell.url_publish(SOURCE, source, "", str)
elif SOURCE in st.query_params:
    del st.query_params[SOURCE]

shell.url_state(SHADING, False, parse_bool)
shell.url_state(CODES, False, parse_bool)
shell.url_state(QUALITY, False, parse_bool)
shell.url_state(TOP, 0, parse_int)
shell.url_state(SORT, "label", shell.parse_choice(SORTS))
shell.url_state(CHART, "bar", shell.parse_choice(CHARTS))
with st.expander(t("crosstab.display", lang)):
    d1, d2, d3 = st.columns(3)
    shading = d1.toggle(t("crosstab.shading", lang), key=SHADING)
    codes = d1.toggle(t("crosstab.codes", lang), key=CODES)
    show_quality = d1.toggle(t("crosstab.quality", lang), key=QUALITY, disabled=not ds.is_microdata,
                             help=guide.flags_help(lang))
    top_n = d2.number_input(t("crosstab.top_n", lang), min_value=0, max_value=10_000, step=5, key=TOP)
    sort = d2.radio(t("crosstab.sort", lang), SORTS, key=SORT, format_func=lambda s: t(f"crosstab.sort_by.{s}", lang))
    chart_kind = d3.radio(t("crosstab.chart", lang), CHARTS, key=CHART,
                          format_func=lambda c: t(f"crosstab.chart_kind.{c}", lang))
for key, value, default, dump in ((SHADING, shading, False, dump_bool), (CODES, codes, False, dump_bool),
                                  (QUALITY, show_quality, False, dump_bool), (TOP, int(top_n), 0, str),
                                  (SORT, sort, "label", str), (CHART, chart_kind, "bar", str)):
    shell.url_publish(key, value, default, dump)

if not rows:
    st.info(t("crosstab.no_dimensions", lang))
    st.stop()
try:
    query = xt.make_query(ds.id, rows, cols, filters=filters, countries=ctx.countries, years=ctx.years,
                          measure=measure, percent=None if (percent == "none" or is_mean) else percent,
                          totals=totals, subtotals=subtotals, source=source or None)
except xt.CrosstabError as error:
    st.error(error.message(lang))
    st.stop()
result = compute(str(wh.root), TOKEN, repr(query), query)
view = xt.View(top_n=int(top_n) or None, sort=sort, codes=codes, quality=show_quality)

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
meta = result.export_meta(lang, view)
name = f"crosstab_{ds.id}"
b1, b2, b3 = st.columns(3)
# Files are made when a button is clicked (not on every rerun): the same table, the same metadata.
b1.download_button(t("crosstab.download_csv", lang), lambda: csv_bytes(result.export_frame(lang, view), meta),
                   f"{name}.csv", "text/csv", on_click="ignore", width="stretch")
b2.download_button(t("crosstab.download_xlsx", lang), lambda: excel_bytes(result.export_frame(lang, view), meta),
                   f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   on_click="ignore", width="stretch")
b3.download_button(t("crosstab.download_sdmx", lang),
                   lambda: sdmx_csv_bytes(result.long(view), ds.id, attributes=xt.SDMX_ATTRIBUTES),
                   f"{name}_sdmx.csv", "text/csv", on_click="ignore", width="stretch")
st.caption(t("crosstab.share_link", lang))

if chart_kind != "none":
    chart = result.chart(lang, chart_kind, view)
    st.plotly_chart(chart, config={"displaylogo": False}, width="stretch")
    alt.chart_description(chart, lang)  # its text alternative (issue #20)
    (st.warning if ds.counts_events else st.caption)(result.unit_label(lang))
