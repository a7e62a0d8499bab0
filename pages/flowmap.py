"""Flow map: origin-destination flows on an offline map, with the table and a chart of the largest flows."""

from functools import partial

import streamlit as st

from vipmg_core import downloads as dl
from vipmg_core import flows as fl
from vipmg_core import guide, links
from vipmg_core.codelists import codelist, country_name, partner_countries, project_countries
from vipmg_core.datasets import dataset
from vipmg_core.i18n import fmt_number, fmt_percent, t
from vipmg_core.maps import picked_country
from vipmg_ui import alt, api_routes, shell

MAP_KEY, MAP_CLICKS = "flowmap_map", "_flowmap_clicks"
# Widget keys are the link's parameters (codes only), declared once in vipmg_core/links.py.
Link = links.FlowLink
DATASET, ROLE, DIRECTION, COUNTRIES, PERIOD, TOP = (
    Link.PARAMS[name] for name in ("dataset", "role", "direction", "countries", "period", "top"))
PERIOD_MODE, PERIOD_ONE, PERIOD_RANGE = "_fper_mode", "_fper_one", "_fper_range"
FILTER_PREFIX = Link.FILTER

ctx = shell.context()
lang = ctx.lang
wh = shell.warehouse()


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def _options(root: str, token: str, dataset_id: str, role: int):
    del root, token  # cache keys: a new publication refreshes the options
    current = shell.warehouse()
    return (fl.periods(current, dataset_id, role), fl.default_period(current, dataset_id, role),
            fl.dimension_codes(current, dataset_id, role))


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def _flows(root: str, token: str, key: str, _query: fl.FlowQuery) -> fl.FlowResult:
    del root, token, key
    return links.flows(shell.warehouse(), _query)


def _forget(*keys: str) -> None:
    """A new dataset or reading has other periods and dimensions: drop their choices, in session and URL."""
    stale = [k for k in (*keys, *st.session_state.keys()) if k in keys or str(k).startswith(FILTER_PREFIX)]
    for key in stale:
        st.session_state.pop(key, None)
        if key in st.query_params:
            del st.query_params[key]
    if PERIOD in st.query_params:
        del st.query_params[PERIOD]


def _select_clicked_country(map_key: str) -> None:
    clicked = picked_country(st.session_state.get(map_key))
    # A new map key on every click: the next map starts with nothing picked, so no stale highlight lingers.
    st.session_state[MAP_CLICKS] = st.session_state.get(MAP_CLICKS, 0) + 1
    if not clicked or clicked not in codelist("country"):
        return
    chosen = list(st.session_state.get(COUNTRIES, []))
    if st.session_state.get(DIRECTION) == "between":  # flows between several countries: a click adds or removes
        st.session_state[COUNTRIES] = [c for c in chosen if c != clicked] if clicked in chosen else chosen + [clicked]
    else:
        st.session_state[COUNTRIES] = [clicked]


st.title(t("page.flowmap", lang))
st.markdown(t("flows.intro", lang))

choices = links.flow_choices(ctx)
if not choices:
    st.info(t("flows.no_flow_datasets", lang))
    st.stop()

url = shell.FromUrl(lambda params: Link.from_params(params, wh, ctx))  # what a shared link asks for
top_row = st.columns([3, 3, 2])
dataset_id = top_row[0].selectbox(t("flows.dataset", lang), choices,
                                  key=shell.bind(DATASET, lambda: url().dataset, choices, Link.defaults(ctx).dataset),
                                  format_func=lambda i: dataset(i).title(lang),
                                  help=guide.dataset_help(dataset(st.session_state[DATASET]), lang),
                                  on_change=_forget, args=(ROLE, PERIOD_MODE, PERIOD_ONE, PERIOD_RANGE))
ds = dataset(dataset_id)
first = Link.defaults(ctx, ds.id)  # this dataset's defaults

roles = [str(i) for i in range(len(ds.flows))]
role_code = top_row[1].selectbox(t("flows.role", lang), roles, disabled=len(roles) == 1,
                                 key=shell.bind(ROLE, lambda: str(url().role), roles, str(first.role)),
                                 format_func=lambda r: fl.role_label(ds, int(r), lang),
                                 on_change=_forget, args=(PERIOD_MODE, PERIOD_ONE, PERIOD_RANGE))
role = int(role_code)

top = top_row[2].select_slider(t("flows.top", lang), links.FLOW_TOPS, key=shell.bind(TOP, lambda: url().top))

if ds.counts_events:
    st.warning(f"{t('unit.events_badge', lang)} — {ds.unit_detail(lang)}")
else:
    st.info(f"{t('unit.persons_badge', lang)} — {ds.unit_detail(lang)}")

available, default_span, codes = _options(str(wh.root), wh.state_token(), ds.id, role)
spans = links.FlowPeriods.of(available, default_span, ctx.years)
periods = list(spans.periods)
if not periods:
    shell.publish(Link(ctx, ds.id, first.countries, role=role, top=top))
    st.info(t("shell.no_data", lang))
    st.stop()

# Countries and direction: as flowmap.blue, incoming, outgoing, both, or only between the selected ones.
places = project_countries() + [c for c in partner_countries() if c not in project_countries()]
places += sorted(c for c in codelist("country").codes if c not in places)
middle = st.columns([3, 2])
countries = middle[0].multiselect(t("flows.countries", lang), places,
                                  key=shell.bind(COUNTRIES, lambda: list(url().countries)),
                                  format_func=lambda c: country_name(c, lang), help=t("flows.countries_help", lang))
direction = middle[1].radio(t("flows.direction", lang), fl.DIRECTIONS, horizontal=True,
                            key=shell.bind(DIRECTION, lambda: url().direction),
                            format_func=lambda d: t(f"flows.direction_{d}", lang))

# Period: one (the slider steps through time) or a range, kept in the URL as "2024" or "2021-01/2024-12".
default = spans.default
if PERIOD_MODE not in st.session_state:
    first_period, last_period = spans.span(url().period)
    st.session_state[PERIOD_MODE] = "range" if first_period != last_period else "one"
    st.session_state[PERIOD_ONE] = last_period
    st.session_state[PERIOD_RANGE] = (first_period, last_period) if first_period != last_period \
        else (periods[0], last_period)
if st.session_state.get(PERIOD_ONE) not in periods:
    st.session_state[PERIOD_ONE] = default[1]
if not all(p in periods for p in st.session_state.get(PERIOD_RANGE, ())):
    st.session_state[PERIOD_RANGE] = (periods[0], periods[-1])
when = st.columns([1, 4])
mode = when[0].radio(t("flows.period_mode", lang), ("one", "range"), key=PERIOD_MODE,
                     format_func=lambda m: t(f"flows.period_{m}", lang))
if len(periods) == 1:
    span = (periods[0], periods[0])
    when[1].markdown(f"**{t('flows.period', lang)}:** {periods[0]}")
elif mode == "one":
    one = when[1].select_slider(t("flows.period", lang), periods, key=PERIOD_ONE, help=t("flows.period_help", lang))
    span = (one, one)
else:
    span = tuple(when[1].select_slider(t("flows.period", lang), periods, key=PERIOD_RANGE))

# Sex first (everyone asks for it), the other dimensions folded away.
chosen_filters: dict[str, list[str]] = {}
filter_cols = [c for c in codes if codes[c]]
visible = [c for c in filter_cols if ds.column(c).codelist_id == "sex"][:1]
folded = [c for c in filter_cols if c not in visible]


def _filter(area, column: str) -> None:
    col = ds.column(column)
    key = shell.bind(f"{FILTER_PREFIX}{column}", lambda: list(url().filter(column)), codes[column])
    picked = area.multiselect(col.label(lang), codes[column], key=key, placeholder=t("flows.filter_all", lang),
                              format_func=lambda c: col.codelist.name(c, lang) if col.codelist else c)
    if picked:
        chosen_filters[column] = picked


for column in visible:
    _filter(st, column)
if folded:
    more = st.expander(t("flows.filters", lang))
    for column in folded:
        _filter(more, column)

link = Link(ctx, ds.id, tuple(countries), role=role, top=top, direction=direction, period=spans.chosen(span),
            filters=tuple(chosen_filters.items()))
shell.publish(link)
try:
    query = link.query(wh, spans)  # what the library's embedded views show for the same link
    result = _flows(str(wh.root), wh.state_token(), repr(query), query)
except fl.FlowError as exc:
    st.error(exc.message(lang))
    st.stop()

if not result.flows.height:
    st.info(t("flows.no_flows", lang))
    st.stop()

unit = t(f"unit.{result.unit}", lang)
period_text = fl.period_label(*result.query.period)
st.caption(t("flows.summary", lang, shown=result.flows.height, matching=result.matching,
             share=fmt_percent(100 * result.shown_value / (result.matching_value or 1), lang),
             total=fmt_number(result.matching_value, lang), unit=unit, period=period_text))

map_side, table_side = st.columns([3, 2])
with map_side:
    map_key = f"{MAP_KEY}{st.session_state.get(MAP_CLICKS, 0)}"
    st.pydeck_chart(fl.flow_deck(result, lang), height=540, key=map_key, selection_mode="single-object",
                    on_select=partial(_select_clicked_country, map_key))
    shell.svg_image(fl.legend_svg(result, lang))  # an SVG string, shown as a data: image (st.html drops SVG)
    st.caption(t("flows.map_caption", lang))
    alt.map_description(fl.describe_map(result, lang), lang)  # its text alternative (issue #20)
    for note in fl.notes(result, lang):
        st.caption(note)

with table_side:
    st.subheader(t("flows.table", lang))
    table = fl.flow_table(result, lang)
    codes_only = {t("flows.col_origin_code", lang), t("flows.col_destination_code", lang)}
    st.dataframe(table, hide_index=True, width="stretch", height=420,  # codes are in the downloads
                 column_order=[c for c in table.columns if c not in codes_only],
                 column_config={value: st.column_config.NumberColumn(format="localized") for value in
                                table.columns if value not in codes_only and table[value].dtype.kind in "if"})
    st.caption(t("flows.table_caption", lang))
    low = fl.low_sample_count(result)
    if low:
        st.warning(t("flows.low_n", lang, count=low, min=fl.MIN_SAMPLE))
    link = api_routes.page_link("flowmap", st.query_params.to_dict(), st.context.url)
    name = f"flows_{ds.id}_{period_text.replace('–', '_')}"
    buttons = st.columns(2)
    # Files are made when a button is clicked (not on every rerun), by the same function as the API.
    buttons[0].download_button(t("flows.download_csv", lang), lambda: dl.flows_file(result, wh, lang, dl.CSV, link),
                               f"{name}.csv", "text/csv", on_click="ignore")
    buttons[1].download_button(t("flows.download_excel", lang),
                               lambda: dl.flows_file(result, wh, lang, dl.XLSX, link), f"{name}.xlsx",
                               dl.MEDIA_TYPES[dl.XLSX], on_click="ignore")
    if twin := api_routes.data_twin("flowmap", st.query_params.to_dict()):
        st.caption(f"{t('api.data_url', lang)} [{twin}]({twin})")

flows_chart = fl.flows_chart(result, lang)
st.plotly_chart(flows_chart, width="stretch")
alt.chart_description(flows_chart, lang)

with st.expander(t("flows.totals", lang)):
    st.caption(t("flows.totals_caption", lang))
    st.dataframe(fl.totals_table(result, lang), hide_index=True, width="stretch")
