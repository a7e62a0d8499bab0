"""Network board: who sent what and when; the public sees published coverage only."""

from datetime import date

import streamlit as st

from vipmg_core import network
from vipmg_core.datasets import dataset
from vipmg_core.exports import csv_bytes
from vipmg_core.i18n import t
from vipmg_core.permissions import Action, allowed
from vipmg_ui import auth, shell

ctx = shell.context()
lang = ctx.lang
wh = shell.warehouse()
account = auth.current_account()
member = account is not None
reviewer = allowed(account, Action.REVIEW)

st.title(t("page.board", lang))
st.caption(t("network.events_note", lang))
meta = network.board_meta(t("page.board", lang), lang, wh.has_synthetic(ctx.dataset_ids))

if not member:
    st.markdown(t("network.public_intro", lang))
    table = network.coverage_table(network.coverage(wh, countries=ctx.countries, dataset_ids_=ctx.dataset_ids,
                                                    years=ctx.years), lang)
    if table.empty:
        st.info(t("network.no_cells", lang))
        st.stop()
    st.subheader(t("network.coverage", lang))
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button(t("network.download_coverage", lang), lambda: csv_bytes(table, meta), "coverage.csv",
                       "text/csv", on_click="ignore")
    st.stop()

st.markdown(t("network.intro", lang))
cal = network.calendar(wh)
if not cal:
    st.info(t("network.no_calendar", lang))

# A focal point opens the board on their own country: what they owe comes first.
countries = [account.country] if account.country and account.country in ctx.countries else ctx.countries
# Up to this year: what is due now matters even before any of it is published.
years = list(range(max(ctx.years[1], date.today().year), ctx.years[0] - 1, -1))
shell.url_state("byr", years[0], lambda raw: int(raw) if raw in {str(y) for y in years} else None)
year = st.selectbox(t("network.filter_year", lang), years, key="byr")
shell.url_publish("byr", year, years[0])

everything = network.board(wh, account, countries=countries, dataset_ids_=ctx.dataset_ids)
cells = network.in_years(everything, (year, year))
updated = network.last_updated(wh, countries=countries)

st.subheader(t("network.summary", lang))
st.caption(t("network.summary_help", lang))
st.dataframe(network.summary_table(network.summary(everything), updated, lang), hide_index=True, width="stretch")

st.subheader(t("network.owed", lang))
owed = network.owed(cells)
if owed.is_empty():
    st.success(t("network.owed_none", lang))
else:
    st.dataframe(network.board_table(owed, lang, reviewer=reviewer), hide_index=True, width="stretch",
                 column_config={t("network.col.open", lang): st.column_config.LinkColumn(
                     display_text=t("network.open", lang))})

st.subheader(t("network.cells", lang))
if cells.is_empty():
    st.info(t("network.no_cells", lang))
else:
    st.dataframe(network.board_grid(cells, lang), hide_index=True, width="stretch")
    table = network.board_table(cells, lang, reviewer=reviewer)
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={t("network.col.open", lang): st.column_config.LinkColumn(
                     display_text=t("network.open", lang))})
    st.download_button(t("network.download_csv", lang), lambda: csv_bytes(table, meta), f"board_{year}.csv",
                       "text/csv", on_click="ignore")

st.subheader(t("network.last_updated", lang))
st.dataframe(network.last_updated_table(updated, lang), hide_index=True, width="stretch")

st.subheader(t("network.calendar", lang))
st.caption(t("network.calendar_help", lang))
if cal:
    st.dataframe(network.calendar_table(cal, lang), hide_index=True, width="stretch")
if reviewer:
    with st.form("calendar"):
        ds_id = st.selectbox(t("network.calendar_dataset", lang), ctx.dataset_ids,
                             format_func=lambda i: dataset(i).title(lang))
        frequency = st.selectbox(t("network.calendar_frequency", lang), network.FREQUENCIES,
                                 format_func=lambda f: t(f"network.frequency.{f}", lang))
        due_days = st.number_input(t("network.calendar_due_days", lang), min_value=0, max_value=730, value=30)
        since = st.text_input(t("network.calendar_since", lang), value=str(ctx.years[1]))
        if st.form_submit_button(t("network.calendar_save", lang)):
            try:
                network.set_calendar(wh, account, ds_id, frequency, due_days=int(due_days), since=since)
                st.success(t("network.calendar_saved", lang))
            except network.NetworkError as exc:
                st.error(exc.message(lang))

st.subheader(t("network.directory", lang))
st.caption(t("network.directory_help", lang))
people = network.directory(wh, account)
if people:
    st.dataframe(network.directory_table(people, lang), hide_index=True, width="stretch")
else:
    st.info(t("network.directory_empty", lang))
