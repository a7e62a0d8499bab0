"""Library: the Network's articles and bulletins, with live figures, readable offline; reviewers write."""

import streamlit as st

from vipmg_core import flows as fl
from vipmg_core import library, profiles
from vipmg_core.codelists import project_countries
from vipmg_core.datasets import dataset, dataset_ids
from vipmg_core.i18n import LANGS, t
from vipmg_core.permissions import Action, allowed
from vipmg_ui import alt, auth, geo_route, shell

ctx = shell.context()
lang = ctx.lang
wh = shell.warehouse()
account = auth.current_account()
writer = allowed(account, Action.PUBLISH)
ALL = ""


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def _embed(root: str, data_token: str, link: str, lang: str) -> library.Embed:
    del root, data_token  # cache keys: figures are recomputed when the published data change
    return library.embed(shell.warehouse(), link, lang)


def show_body(body: str) -> None:
    """The Markdown with each saved view drawn live, in the reader's language, as its page shows it."""
    token = library.data_version(wh)["token"]
    for kind, value in library.segments(body):
        if kind == "markdown":
            st.markdown(value)
            continue
        try:
            with st.spinner():
                fig = _embed(str(wh.root), token, value, lang)
        except library.LibraryError as exc:
            st.error(exc.message(lang))
            continue
        with st.container(border=True):
            st.markdown(f"**{fig.title}**")
            (st.warning if fig.events else st.caption)(fig.unit)
            st.dataframe(fig.table, hide_index=True, width="stretch",
                         height="content" if fig.view.page == "profile" else "auto")  # a profile: every figure
            for chart in fig.charts:
                st.plotly_chart(chart, config={"displaylogo": False}, width="stretch")
                alt.chart_description(chart, lang)  # its text alternative (issue #20)
            if fig.flow_map is not None:
                deck = fl.flow_deck(fig.flow_map, lang, height=420, polygons_url=geo_route.polygons_url(lang))
                st.pydeck_chart(deck, height=420)
                shell.svg_image(fl.legend_svg(fig.flow_map, lang))
                st.caption(fig.map_note)
                alt.map_description(fl.describe_map(fig.flow_map, lang), lang)
            for note in fig.notes:
                st.caption(note)
            st.markdown(f"[{t('library.open_view', lang)}]({fig.view.link}&lang={lang})")


st.title(t("page.library", lang))
st.caption(t("library.intro", lang))

for message in st.session_state.pop("_library_done", []):
    st.success(message)

places = [ALL, *project_countries()]
topics = [ALL, *dataset_ids()]
shell.url_state("lc", ALL, shell.parse_choice(places))
shell.url_state("lt", ALL, shell.parse_choice(topics))
every = library.articles(wh, account)  # what this account may read, unfiltered
years = [ALL, *sorted({a.date[:4] for a in every}, reverse=True)]
shell.url_state("ly", ALL, shell.parse_choice(years))
c1, c2, c4, c3 = st.columns([2, 2, 1, 1])
country = c1.selectbox(t("library.filter_country", lang), places, key="lc",
                       format_func=lambda c: t("library.all", lang) if c == ALL else library.place_label(c, lang))
topic = c2.selectbox(t("library.filter_topic", lang), topics, key="lt",
                     format_func=lambda d: t("library.all", lang) if d == ALL else dataset(d).title(lang))
year = c4.selectbox(t("library.filter_year", lang), years, key="ly",
                    format_func=lambda y: t("library.all", lang) if y == ALL else y)
only_mine = c3.toggle(t("library.filter_language", lang), key="ll")
shell.url_publish("lc", country, ALL)
shell.url_publish("lt", topic, ALL)
shell.url_publish("ly", year, ALL)

found = library.matching(every, country=country or None, topic=topic or None, year=year or None,
                         lang=lang if only_mine else None)
if not found:
    st.info(t("library.empty", lang))
else:
    ids = [a.article_id for a in found]
    by_id = {a.article_id: a for a in found}
    if st.session_state.get("_library_open") in ids:  # what was just saved or published
        st.session_state["art"] = st.session_state.pop("_library_open")
    shell.url_state("art", ids[0], shell.parse_choice(ids))
    if st.session_state.get("art") not in ids:
        st.session_state["art"] = ids[0]
    chosen = st.selectbox(t("library.choose", lang), ids, key="art", format_func=lambda i: (
        f"{by_id[i].date} · {t(f'library.kind.{by_id[i].kind}', lang)} · {by_id[i].text(lang)['title']}"
        + (f" ({t('library.status.draft', lang)})" if by_id[i].status == "draft" else "")))
    shell.url_publish("art", chosen, ids[0])
    art = by_id[chosen]
    text = art.text(lang)

    st.header(text["title"])
    st.caption(library.byline(art, lang))
    st.caption(library.data_note(wh, art, lang))
    if text["lang"] != lang:
        st.info(t("library.only_other_language", lang, language=t(f"library.language.{text['lang']}", lang)))
    if text["summary"]:
        st.markdown(f"*{text['summary']}*")
    show_body(text["body"])

    st.download_button(t("library.download", lang), lambda: library.to_html(wh, art, lang).encode("utf-8"),
                       library.file_name(art, lang), "text/html", on_click="ignore")
    with st.expander(t("library.versions", lang)):
        for v in library.versions(wh, account, art.article_id):
            st.caption(f"v{v.version} · {t(f'library.status.{v.status}', lang)} · {v.date} · "
                       f"{v.text(lang)['title']}")

if writer:
    st.divider()
    st.subheader(t("library.write", lang))
    st.caption(t("library.write_help", lang))
    mine = [a for a in every if a.kind == "article"]
    options = [ALL, *[a.article_id for a in mine]]
    labels = {a.article_id: a.text(lang)["title"] for a in mine}
    editing = st.selectbox(t("library.edit_which", lang), options, key="lib_edit",
                           format_func=lambda i: t("library.new_article", lang) if i == ALL else labels[i])
    current = next((a for a in mine if a.article_id == editing), None)
    with st.form(f"article_{editing or 'new'}"):
        content = {}
        for tab, code in zip(st.tabs([t(f"library.language.{c}", lang) for c in LANGS]), LANGS):
            old = current.content.get(code, {}) if current else {}
            content[code] = {
                "title": tab.text_input(t("library.title", lang), old.get("title", ""), key=f"lib_title_{code}"),
                "summary": tab.text_area(t("library.summary", lang), old.get("summary", ""), key=f"lib_sum_{code}"),
                "body": tab.text_area(t("library.body", lang), old.get("body", ""), height=240,
                                      key=f"lib_body_{code}"),
            }
        chosen_countries = st.multiselect(t("library.countries", lang), project_countries(),
                                          default=list(current.countries) if current else [],
                                          format_func=lambda c: library.place_label(c, lang))
        chosen_topics = st.multiselect(t("library.topics", lang), dataset_ids(),
                                       default=list(current.topics) if current else [],
                                       format_func=lambda d: dataset(d).title(lang))
        preview, save, publish = st.columns(3)
        do_preview = preview.form_submit_button(t("library.preview", lang))
        do_save = save.form_submit_button(t("library.save", lang))
        do_publish = publish.form_submit_button(t("library.publish", lang), type="primary")
    if do_preview:  # what readers will see, live figures included, before anything is saved
        shown = library.written(content)
        if not shown:
            st.info(t("library.preview_empty", lang))
        for code, parts in shown.items():
            with st.container(border=True):
                st.caption(t("library.preview_of", lang, language=t(f"library.language.{code}", lang)))
                st.header(parts["title"])
                if parts["summary"]:
                    st.markdown(f"*{parts['summary']}*")
                show_body(parts["body"])
    if do_save or do_publish:
        try:
            saved = library.save(wh, account, content, countries=chosen_countries, topics=chosen_topics,
                                 article_id=editing or None)
            done = [t("library.saved", lang, version=saved.version)]
            if do_publish:
                saved = library.publish(wh, account, saved.article_id)
                done.append(t("library.published", lang, version=saved.version))
            st.session_state["_library_done"] = done
            st.session_state["_library_open"] = saved.article_id
            st.rerun()
        except library.LibraryError as exc:
            st.error(exc.message(lang))

    st.subheader(t("library.bulletin", lang))
    area_codes = profiles.area_codes(wh)
    b1, b2 = st.columns([3, 1])
    area = b1.selectbox(t("library.bulletin_area", lang), area_codes, key="lib_bulletin_area",
                        format_func=lambda c: profiles.area(c).name(lang))
    if b2.button(t("library.bulletin_publish", lang), width="stretch"):
        try:
            with st.spinner(t("library.bulletin", lang)):
                made = library.publish_bulletin(wh, account, area)
            st.session_state["_library_done"] = [t("library.published", lang, version=made.version)]
            st.session_state["_library_open"] = made.article_id
            st.rerun()
        except (library.LibraryError, profiles.ProfileError) as exc:
            st.error(t("library.failed", lang, reason=exc))
