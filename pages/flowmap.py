"""Flow map: origin-destination flows on an offline map, with the table and a chart of the largest flows."""

from functools import partial

import streamlit as st

from vipmg_core import flows as fl
from vipmg_core import guide
from vipmg_core.codelists import codelist, country_name, partner_countries, project_countries
from vipmg_core.datasets import dataset
from vipmg_core.exports import csv_bytes, excel_bytes
from vipmg_core.i18n import fmt_number, fmt_percent, t
from vipmg_core.maps import picked_country
from vipmg_ui import shell

MAP_KEY, MAP_CLICKS = "flowmap_map", "_flowmap_clicks"
TOP_CHOICES = (1, 3, 5, 10, 15, 25, 50, 100, 200)
# Widget keys are also the URL's parameter names (codes only, see shell.url_state).
DATASET, ROLE, DIRECTION, COUNTRIES, PERIOD, TOP = "fds", "frl", "fdir", "fct", "fper", "ftop"
PERIOD_MODE, PERIOD_ONE, PERIOD_RANGE = "_fper_mode", "_fper_one", "_fper_range"
FILTER_PREFIX = "f_"
EVERY_COUNTRY = "*"  # in the link, an empty country selection (which means every flow)

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
def _flows(root: str, token: str, dataset_id: str, **query) -> fl.FlowResult:
    del root, token
    return fl.flows(shell.warehouse(), dataset_id, **query)


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


def _parse_countries(raw: str) -> list[str] | None:
    if raw == EVERY_COUNTRY:  # the user emptied the selection on purpose: every flow
        return []
    return [c for c in raw.split(",") if c in codelist("country")] or None


def _parse_top(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and int(raw) in TOP_CHOICES else None


st.title(t("page.flowmap", lang))
st.markdown(t("flows.intro", lang))

choices = [ds.id for ds in fl.flow_datasets() if ds.id in ctx.dataset_ids] or [ds.id for ds in fl.flow_datasets()]
if not choices:
    st.info(t("flows.no_flow_datasets", lang))
    st.stop()

top_row = st.columns([3, 3, 2])
shell.url_state(DATASET, choices[0], shell.parse_choice(choices))
if st.session_state[DATASET] not in choices:
    st.session_state[DATASET] = choices[0]
dataset_id = top_row[0].selectbox(t("flows.dataset", lang), choices, key=DATASET,
                                  format_func=lambda i: dataset(i).title(lang),
                                  help=guide.dataset_help(dataset(st.session_state[DATASET]), lang),
                                  on_change=_forget, args=(ROLE, PERIOD_MODE, PERIOD_ONE, PERIOD_RANGE))
shell.url_publish(DATASET, dataset_id, choices[0])
ds = dataset(dataset_id)

roles = [str(i) for i in range(len(ds.flows))]
shell.url_state(ROLE, "0", shell.parse_choice(roles))
if st.session_state[ROLE] not in roles:
    st.session_state[ROLE] = "0"
role_code = top_row[1].selectbox(t("flows.role", lang), roles, key=ROLE, disabled=len(roles) == 1,
                                 format_func=lambda r: fl.role_label(ds, int(r), lang),
                                 on_change=_forget, args=(PERIOD_MODE, PERIOD_ONE, PERIOD_RANGE))
shell.url_publish(ROLE, role_code, "0")
role = int(role_code)

shell.url_state(TOP, fl.DEFAULT_TOP, _parse_top)
top = top_row[2].select_slider(t("flows.top", lang), TOP_CHOICES, key=TOP)
shell.url_publish(TOP, top, fl.DEFAULT_TOP)

if ds.counts_events:
    st.warning(f"{t('unit.events_badge', lang)} — {ds.unit_detail(lang)}")
else:
    st.info(f"{t('unit.persons_badge', lang)} — {ds.unit_detail(lang)}")

available, default_span, codes = _options(str(wh.root), wh.state_token(), ds.id, role)
in_years = [p for p in available if ctx.years[0] <= int(p[:4]) <= ctx.years[1]]
periods = in_years or available
if not periods:
    st.info(t("shell.no_data", lang))
    st.stop()

# Countries and direction: as flowmap.blue, incoming, outgoing, both, or only between the selected ones.
places = project_countries() + [c for c in partner_countries() if c not in project_countries()]
places += sorted(c for c in codelist("country").codes if c not in places)
middle = st.columns([3, 2])
shell.url_state(COUNTRIES, list(ctx.countries), _parse_countries)
countries = middle[0].multiselect(t("flows.countries", lang), places, key=COUNTRIES,
                                  format_func=lambda c: country_name(c, lang), help=t("flows.countries_help", lang))
shell.url_publish(COUNTRIES, countries, list(ctx.countries), lambda codes: shell.dump_codes(codes) or EVERY_COUNTRY)
shell.url_state(DIRECTION, fl.DEFAULT_DIRECTION, shell.parse_choice(list(fl.DIRECTIONS)))
direction = middle[1].radio(t("flows.direction", lang), fl.DIRECTIONS, key=DIRECTION, horizontal=True,
                            format_func=lambda d: t(f"flows.direction_{d}", lang))
shell.url_publish(DIRECTION, direction, fl.DEFAULT_DIRECTION)

# Period: one (the slider steps through time) or a range, kept in the URL as "2024" or "2021-01/2024-12".
default = default_span if default_span and default_span[0] in periods and default_span[1] in periods \
    else (periods[-1], periods[-1])
if PERIOD_MODE not in st.session_state:
    raw = st.query_params.get(PERIOD)
    try:
        first, last = fl.resolve_period(raw, periods) if raw else default
    except fl.FlowError:
        first, last = default
    st.session_state[PERIOD_MODE] = "range" if first != last else "one"
    st.session_state[PERIOD_ONE] = last
    st.session_state[PERIOD_RANGE] = (first, last) if first != last else (periods[0], last)
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
shell.url_publish(PERIOD, span, default, lambda s: s[0] if s[0] == s[1] else f"{s[0]}{fl.RANGE_SEPARATOR}{s[1]}")

# Sex first (everyone asks for it), the other dimensions folded away.
chosen_filters: dict[str, list[str]] = {}
filter_cols = [c for c in codes if codes[c]]
visible = [c for c in filter_cols if ds.column(c).codelist_id == "sex"][:1]
folded = [c for c in filter_cols if c not in visible]


def _filter(area, column: str) -> None:
    col = ds.column(column)
    key = f"{FILTER_PREFIX}{column}"
    shell.url_state(key, [], shell.parse_codes(codes[column]))
    picked = area.multiselect(col.label(lang), codes[column], key=key, placeholder=t("flows.filter_all", lang),
                              format_func=lambda c: col.codelist.name(c, lang) if col.codelist else c)
    shell.url_publish(key, picked, [], shell.dump_codes)
    if picked:
        chosen_filters[column] = picked


for column in visible:
    _filter(st, column)
if folded:
    more = st.expander(t("flows.filters", lang))
    for column in folded:
        _filter(more, column)

try:
    result = _flows(str(wh.root), wh.state_token(), ds.id, role=role, countries=tuple(countries),
                    direction=direction, period=span, filters=chosen_filters, top=top)
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
    meta = fl.export_meta(result, lang, wh.has_synthetic([ds.id]))
    name = f"flows_{ds.id}_{period_text.replace('–', '_')}"
    buttons = st.columns(2)
    # Files are made when a button is clicked, not on every rerun.
    buttons[0].download_button(t("flows.download_csv", lang), lambda: csv_bytes(table, meta), f"{name}.csv",
                               "text/csv", on_click="ignore")
    buttons[1].download_button(t("flows.download_excel", lang), lambda: excel_bytes(table, meta), f"{name}.xlsx",
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               on_click="ignore")

st.plotly_chart(fl.flows_chart(result, lang), width="stretch")

with st.expander(t("flows.totals", lang)):
    st.caption(t("flows.totals_caption", lang))
    st.dataframe(fl.totals_table(result, lang), hide_index=True, width="stretch")
