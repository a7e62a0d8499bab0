"""Country profile: the main facts of a country (or of the region) at a glance, its charts, and its bulletin."""

import streamlit as st

from vipmg_core import bulletins as bl
from vipmg_core import charts, guide, links, maps
from vipmg_core import downloads as dl
from vipmg_core import flows as fl
from vipmg_core import profiles as pr
from vipmg_core.datasets import dataset
from vipmg_core.i18n import t
from vipmg_ui import alt, api_routes, geo_route, shell

Link = links.ProfileLink
AREA, POOL = Link.PARAMS["area"], Link.PARAMS["pool"]  # widget keys, also the link's parameters (codes only)
COLUMNS = 4

ctx = shell.context()
lang = ctx.lang
wh = shell.warehouse()


@st.cache_data(ttl=600, max_entries=8, show_spinner=False)
def _codes(root: str, token: str) -> tuple[list[str], tuple[int, int]]:
    del root, token  # cache keys: a new publication refreshes the list
    current = shell.warehouse()
    return pr.area_codes(current), current.year_bounds()


def _profile(root: str, token: str, code: str, first: int | None, last: int, pool: int) -> pr.Profile:
    del root, token  # kept_profile keys by the warehouse's own state: one computation for every session
    return pr.kept_profile(shell.warehouse(), code, pr.Period(first, last), pool)


@st.cache_data(ttl=3600, max_entries=32, show_spinner=False)
def _flow_map(root: str, token: str, code: str, first: int | None, last: int, pool: int, lang: str) -> str:
    """The flow map's JSON, written once for everyone who opens the same profile in the same language."""
    computed = _profile(root, token, code, first, last, pool)
    return fl.flow_deck(computed.flow_map, lang, height=420, polygons_url=geo_route.polygons_url(lang)).to_json()


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def _bulletin_html(root: str, token: str, code: str, first: int | None, last: int, pool: int, lang: str) -> bytes:
    computed = _profile(root, token, code, first, last, pool)
    return bl.to_html(bl.bulletin(shell.warehouse(), code, computed.period, lang, computed=computed)).encode("utf-8")


# Figures are objects nobody changes after building (st.plotly_chart copies them): one set per profile and
# language serves every session, since building plotly figures was most of the page's server time.
@st.cache_resource(ttl=3600, max_entries=32, show_spinner=False)
def _figures(root: str, token: str, code: str, first: int | None, last: int, pool: int, lang: str) -> dict:
    computed = _profile(root, token, code, first, last, pool)
    name = pr.area(code).name(lang)
    built = {f"trend_{unit}": charts.trend_chart(computed, lang, unit) for unit in ("events", "persons")}
    if computed.pyramid is not None:
        built["pyramid"] = charts.pyramid_chart(computed.pyramid, lang, name)
    for side, result in (("in", computed.origins), ("out", computed.destinations)):
        if result is not None:
            built[side] = charts.flows_bar(result, lang, side, name, computed.flows_synthetic)
    if computed.permits is not None:
        built["permits"] = charts.permits_chart(computed.permits, lang, name)
    if computed.conditions is not None:
        for key in ("labour_status", "education", "remittances"):
            built[key] = charts.condition_chart(computed.conditions, key, lang, name)
    return built


def _chart(fig, name: str) -> None:
    st.plotly_chart(fig, width="stretch", config=charts.plotly_config(name))
    alt.chart_description(fig, lang)  # its text alternative (issue #20)


st.title(t("page.profile", lang))
st.caption(t("profiles.intro", lang))

codes = _codes(str(wh.root), wh.state_token())[0]
url = shell.FromUrl(lambda params: Link.from_params(params, wh, ctx))  # what a shared link asks for
top = st.columns([3, 2])
code = top[0].selectbox(t("profiles.choose_area", lang), codes, format_func=lambda c: pr.area(c).name(lang),
                        key=shell.bind(AREA, lambda: url().area, codes, Link.defaults(ctx, codes).area))
pool = top[1].select_slider(t("profiles.pool", lang), pr.POOLS, key=shell.bind(POOL, lambda: url().pool))
link = Link(ctx, code, pool)
shell.publish(link)

# The sidebar's years: figures are read at the end of the range; the whole range means "the latest trends".
code, period, pool = link.query()  # what the library's embedded views show for the same link
area = pr.area(code)
name = area.name(lang)
with st.spinner():
    profile = _profile(str(wh.root), wh.state_token(), code, period.first_year, period.last_year, pool)
stem = f"{code}_{period.label().replace('–', '-') or 'latest'}"
figures = _figures(str(wh.root), wh.state_token(), code, period.first_year, period.last_year, pool, lang)

if not profile.figures:
    st.info(t("profiles.no_data", lang, area=name))
    st.stop()

st.header(name)
st.subheader(t("profiles.headlines", lang))
for start in range(0, len(profile.figures), COLUMNS):
    for column, fig in zip(st.columns(COLUMNS), profile.figures[start:start + COLUMNS]):
        delta = pr.change_text(fig, lang)
        arrow = "off" if fig.change is None else "up" if fig.change >= 0 else "down"
        column.metric(pr.figure_label(fig.key, lang), pr.figure_value(fig, lang), delta, delta_color="off",
                      delta_arrow=arrow, chart_data=profile.sparkline(fig.key), chart_type="line",
                      help=guide.dataset_help(dataset(fig.dataset_id), lang))
        column.caption(pr.figure_caption(fig, lang))
for key in profile.notes:
    st.caption(t("profiles.not_additive", lang, figure=pr.figure_label(key, lang)))
st.caption(t("profiles.png_hint", lang))

st.subheader(t("profiles.trends", lang))
for unit in ("events", "persons"):
    figure = figures[f"trend_{unit}"]
    if figure is not None:
        _chart(figure, f"{stem}_trend_{unit}")

if profile.pyramid is not None:
    st.subheader(t("profiles.population", lang))
    _chart(figures["pyramid"], f"{stem}_pyramid")
    st.caption(" ".join(pr.pyramid_notes(profile.pyramid, lang)))

if profile.origins is not None or profile.destinations is not None:
    st.subheader(t("profiles.origins_destinations", lang))
    sides = st.columns(2)
    for side, result, place in (("in", profile.origins, sides[0]), ("out", profile.destinations, sides[1])):
        if result is not None:
            with place:
                _chart(figures[side], f"{stem}_{side}")
if profile.flow_map is not None:
    st.subheader(t("profiles.flow_map", lang))
    st.pydeck_chart(maps.PreparedDeck(_flow_map(str(wh.root), wh.state_token(), code, period.first_year,
                                                period.last_year, pool, lang), height=420), height=420)
    shell.svg_image(fl.legend_svg(profile.flow_map, lang))
    st.caption(pr.flow_map_note(profile, lang))
    alt.map_description(fl.describe_map(profile.flow_map, lang), lang)

if profile.permits is not None:
    st.subheader(t("profiles.permits", lang))
    _chart(figures["permits"], f"{stem}_permits")

if profile.conditions is not None:
    cond = profile.conditions
    st.subheader(t("profiles.conditions", lang))
    st.caption(t("profiles.conditions_caption", lang, period=cond.period,
                 source=pr.source_text([cond.dataset_id], cond.synthetic, lang)))
    for key in ("labour_status", "education", "remittances"):
        figure = figures[key]
        if figure is not None:
            _chart(figure, f"{stem}_{key}")
    st.caption(" ".join(pr.conditions_notes(cond, lang)))
    with st.expander(t("profiles.quality_table", lang)):
        st.markdown(guide.flags_help(lang))
        st.dataframe(pr.conditions_table(cond, lang), hide_index=True, width="stretch")

st.subheader(t("profiles.bulletin", lang))
st.caption(t("profiles.bulletin_help", lang))
args = (str(wh.root), wh.state_token(), code, period.first_year, period.last_year, pool, lang)
buttons = st.columns(2)
buttons[0].download_button(  # built only when clicked: a bulletin embeds plotly.js (a few MB)
    t("profiles.download_html", lang), lambda: _bulletin_html(*args),
    file_name=f"{t('bulletin.file', lang)}_{stem}_{lang}.html", mime="text/html", on_click="ignore")
if bl.pdf_available():
    buttons[1].download_button(
        t("profiles.download_pdf", lang), lambda: bl.to_pdf(_bulletin_html(*args).decode("utf-8")),
        file_name=f"{t('bulletin.file', lang)}_{stem}_{lang}.pdf", mime="application/pdf", on_click="ignore")
else:
    buttons[1].info(t("profiles.pdf_unavailable", lang, path=", ".join(bl.CHROMIUM_CANDIDATES)))

# The headline figures as data, with how to cite them (the same file as /api/v1/profile.csv?<this link>).
link = api_routes.page_link("profile", st.query_params.to_dict(), st.context.url)
st.download_button(t("downloads.profile_csv", lang), lambda: dl.profile_file(profile, lang, dl.CSV, link),
                   file_name=f"{stem}_{lang}.csv", mime="text/csv", on_click="ignore")  # made when clicked
if twin := api_routes.data_twin("profile", st.query_params.to_dict()):
    st.caption(f"{t('api.data_url', lang)} [{twin}]({twin})")
