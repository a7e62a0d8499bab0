"""Validate a file: a focal point uploads what their office produces and sees what to fix before sending.

Validate-only: the file lives in this session's memory while it is checked; nothing is stored, except a
mapping profile when the user asks for one to be saved.
"""

from dataclasses import replace

import plotly.express as px
import streamlit as st

from vipmg_core import guide, palette, readers
from vipmg_core import mapping as mp
from vipmg_core import validation as val
from vipmg_core.codelists import codelist, country_name, project_countries
from vipmg_core.datasets import dataset, dataset_ids
from vipmg_core.exports import ExportMeta, csv_bytes, excel_bytes
from vipmg_core.i18n import fmt_number, t
from vipmg_core.permissions import Action, allowed
from vipmg_ui import alt, auth, shell, submission_views, upload_report

lang = shell.context().lang
wh = shell.warehouse()
account = auth.current_account()

st.title(t("page.upload", lang))
st.markdown(t("upload.intro", lang))
st.info(t("upload.validate_only", lang))

ids = dataset_ids()
countries = project_countries()
home = account.country if account and account.country in countries else countries[0]
left, right = st.columns(2)
with left:
    shell.url_state("ds", ids[0], shell.parse_choice(ids))
    # Before the widget runs, its state may still hold the label the browser sent (after a language switch).
    chosen = st.session_state.get("ds")
    dataset_id = st.selectbox(t("upload.dataset", lang), ids, key="ds", format_func=lambda i: dataset(i).title(lang),
                              help=guide.dataset_help(dataset(chosen), lang) if chosen in ids else None)
    shell.url_publish("ds", dataset_id, None)
with right:
    shell.url_state("country", home, shell.parse_choice(countries))
    country = st.selectbox(t("upload.country", lang), countries, key="country",
                           format_func=lambda c: country_name(c, lang))
    shell.url_publish("country", country, None)
ds = dataset(dataset_id)
if ds.counts_events:
    st.warning(t("unit.events_badge", lang) + f" — {ds.unit_detail(lang)}")

limit_mb = readers.MAX_FILE_BYTES // 1024 // 1024
upload = st.file_uploader(t("upload.file", lang), type=list(readers.ACCEPTED_EXTENSIONS), key="upload_file",
                          max_upload_size=limit_mb,
                          help=t("upload.file_help", lang, limit=limit_mb,
                                 formats=", ".join(readers.ACCEPTED_EXTENSIONS)))
if upload is None:
    for held_key in ("_upload_file", "_upload_read"):  # this session no longer holds a file it let go of
        st.session_state.pop(held_key, None)
    st.caption(t("upload.waiting", lang))
    st.stop()

# --- 1. reading ---------------------------------------------------------------------------------------------
st.header(t("upload.step_read", lang))
# Each uploaded file is read and hashed once: every widget change reruns the page, which reuses them from this
# session's own state (keyed by the uploader's file id and the size); what is sent is those same bytes.
upload_id = (upload.file_id, upload.size)
held = st.session_state.get("_upload_file")
if held is None or held[0] != upload_id:
    st.session_state.pop("_upload_read", None)
    try:
        readers.check_size(upload.size)
        file = readers.FileBytes.of(upload.getvalue(), upload.name)
        sheets = readers.sheet_names(file.data, file.name)
        first_sheet = readers.default_sheet(file.data, file.name) if sheets else None
    except readers.ReadError as exc:
        st.error(exc.message(lang))
        st.stop()
    held = (upload_id, file, sheets, first_sheet)
    st.session_state["_upload_file"] = held
_, file, sheets, first_sheet = held
name = file.name

file_key = f"{upload.file_id}"
profiles = mp.profile_names(wh.catalogue, dataset_id, country)
profile_choice = st.selectbox(t("upload.profile", lang), [""] + profiles, key=f"profile_{file_key}_{dataset_id}",
                              format_func=lambda p: p or t("upload.profile_none", lang))
profile = mp.load_profile(wh.catalogue, dataset_id, country, profile_choice) if profile_choice else None

options = st.columns(3)
sheet = None
if sheets:
    default_sheet = profile.sheet if profile and profile.sheet in sheets else first_sheet
    sheet = options[0].selectbox(t("upload.sheet", lang), sheets, key=f"sheet_{file_key}",
                                 index=sheets.index(default_sheet) if default_sheet in sheets else 0)
header_row = options[1].number_input(t("upload.header_row", lang), min_value=0, value=0, step=1,
                                     key=f"header_{file_key}", help=t("upload.header_row_help", lang))
encoding = None
if not sheets and readers.sniff_format(file.data, name) == "csv":
    choice = options[2].selectbox(t("upload.encoding", lang), ["", "utf-8", "cp1252", "latin-1"],
                                  key=f"encoding_{file_key}", format_func=lambda e: e or t("upload.encoding_auto", lang))
    encoding = choice or None

read_key = (upload_id, sheet, int(header_row) or None, encoding)
cached = st.session_state.get("_upload_read")
if cached is not None and cached[0] == read_key:
    read = cached[1]
else:
    try:
        read = readers.read_upload(file, name, sheet=sheet, header_row=int(header_row) or None, encoding=encoding)
    except readers.ReadError as exc:
        st.error(exc.message(lang))
        st.stop()
    st.session_state["_upload_read"] = (read_key, read)

st.markdown(t("upload.file_facts", lang, name=read.info.name, size=upload_report.fmt_size(read.info.size, lang),
              rows=fmt_number(read.height, lang), sha=read.info.sha256))
with st.expander(t("upload.detected", lang), expanded=False):
    for detection in read.detections:
        st.markdown(f"- {t(f'detect.{detection.key}', lang, **detection.params)}")
    if read.info.sample_line:
        st.caption(t("upload.sample_line", lang, line=read.info.sample_line))

# --- 2. columns ---------------------------------------------------------------------------------------------
st.header(t("upload.step_columns", lang))
st.caption(t("upload.columns_help", lang))
base = mp.refit(profile, read) if profile else mp.auto_mapping(read, dataset_id, country)
base = replace(base, country=country, sheet=read.info.sheet, header_row=read.info.header_row)
file_label = t("upload.col_file_column", lang)
columns = mp.column_table(read, base, lang)
edited = st.data_editor(
    columns, key=f"columns_{file_key}_{dataset_id}_{profile_choice}_{lang}",
    hide_index=True, width="stretch", disabled=[c for c in columns.columns if c != file_label],
    column_config={file_label: st.column_config.SelectboxColumn(
        file_label, options=[mp.none_label(lang)] + read.columns, required=True)},
)
mapping = mp.apply_column_table(base, edited, lang)

# --- 3. codes -----------------------------------------------------------------------------------------------
st.header(t("upload.step_codes", lang))
st.caption(t("upload.codes_help", lang))
coded = [c for c in ds.columns if c.type == "code" and mapping.source(c.name)]
if not coded:
    st.caption(t("upload.no_code_columns", lang))
code_label = t("upload.col_code", lang)
for col in coded:
    table = mp.code_editor_table(read, mapping, col.name, lang)
    unmapped = int(table[code_label].isna().sum())
    title = t("upload.codes_for", lang, column=f"{col.label(lang)} ← {mapping.source(col.name)}",
              unmapped=unmapped, total=len(table))
    with st.expander(title, expanded=unmapped > 0):
        chosen = st.data_editor(
            table, key=f"codes_{file_key}_{dataset_id}_{col.name}_{mapping.source(col.name)}_{lang}",
            hide_index=True, width="stretch", disabled=[c for c in table.columns if c != code_label],
            column_config={code_label: st.column_config.SelectboxColumn(
                code_label, options=mp.code_options(col.codelist_id, lang))},
        )
    mapping = mp.apply_code_table(mapping, col.name, chosen, lang)
    # The values still without a code, one picker each, "did you mean" suggestions first.
    for value, options in mp.unmapped_choices(read, mapping, col.name)[:20]:
        picked = st.selectbox(t("upload.fix_value", lang, value=value, column=mapping.source(col.name)),
                              [""] + options, key=f"fix_{file_key}_{col.name}_{value}",
                              format_func=lambda c, lid=col.codelist_id: mp.code_label(lid, c, lang))
        if picked:
            mapping = mp.with_code(mapping, col.name, value, picked)

with st.form(key=f"profile_form_{file_key}", border=False):
    profile_name = st.text_input(t("upload.profile_name", lang), value=profile_choice)
    save = st.form_submit_button(t("upload.profile_save", lang))
if save:
    if not allowed(account, Action.SUBMIT, country):
        st.warning(t("upload.profile_sign_in", lang, country=country_name(country, lang)))
    elif not profile_name.strip():
        st.warning(t("upload.profile_needs_name", lang))
    else:
        mp.save_profile(wh.catalogue, mapping, profile_name, actor=account.username)
        st.success(t("upload.profile_saved", lang, name=profile_name.strip(), dataset=ds.title(lang),
                     country=country_name(country, lang)))

# --- 4. the report ------------------------------------------------------------------------------------------
st.header(t("upload.step_report", lang))
bar = st.progress(0.0, text=t("upload.validating", lang))
report = val.validate(read, mapping, wh, progress=lambda fraction, _step: bar.progress(
    fraction, text=t("upload.validating", lang)))
bar.empty()

if report.ready:
    st.success(t("upload.verdict_ready", lang, warnings=report.warnings))
else:
    st.error(t("upload.verdict_not_ready", lang, errors=report.errors, warnings=report.warnings))

st.subheader(t("upload.counts", lang))
summary = report.summary(lang)
if summary.height:
    st.dataframe(summary, hide_index=True, width="stretch")

st.subheader(t("upload.problems", lang))
report_table = report.table(lang)
problems = guide.report_table(report, lang)  # each problem links to its entry in the Guide
if problems.empty:
    st.caption(t("upload.no_problems", lang))
else:
    filters = st.columns(3)
    for box, key, column in ((filters[0], "filter_severity", "report.col_severity"),
                             (filters[1], "filter_type", "report.col_type"),
                             (filters[2], "filter_column", "report.col_column")):
        values = sorted(problems[t(column, lang)].dropna().unique().tolist())
        picked = box.multiselect(t(f"upload.{key}", lang), values, key=f"{key}_{lang}")
        if picked:
            problems = problems[problems[t(column, lang)].isin(picked)]
    st.dataframe(problems, hide_index=True, width="stretch", column_config={t("guide.col_guide", lang):
                 st.column_config.LinkColumn(t("guide.col_guide", lang), display_text=t("guide.link_text", lang))})
    total = int(report.counts["count"].sum())
    st.caption(t("upload.kept", lang, shown=len(problems), total=total, limit=val.MAX_PER_KIND))

    sample, bad_cells = upload_report.affected_sample(report, read)
    if sample.height:
        st.subheader(t("upload.sample", lang))
        st.dataframe(upload_report.highlighted(sample, bad_cells, lang), hide_index=True, width="stretch")

st.markdown(t("upload.file_facts", lang, name=report.info.name, size=upload_report.fmt_size(report.info.size, lang),
              rows=fmt_number(report.rows, lang), sha=report.info.sha256))
verdict = t("upload.ready" if report.ready else "upload.not_ready", lang)
meta = ExportMeta(dataset_id=ds.id, lang=lang, title=t("upload.report_title", lang, name=report.info.name),
                  notes=(t("upload.report_note", lang, name=report.info.name, size=report.info.size,
                           sha=report.info.sha256, rows=report.rows, verdict=verdict),),
                  provenance=(f"{report.info.name} · SHA-256 {report.info.sha256}",))
stem = report.info.name.rsplit(".", 1)[0]
downloads = st.columns(2)
downloads[0].download_button(t("upload.download_excel", lang), data=excel_bytes(report_table, meta),
                             file_name=f"{stem}_validation.xlsx", on_click="ignore",
                             mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
downloads[1].download_button(t("upload.download_csv", lang), data=csv_bytes(report_table, meta),
                             file_name=f"{stem}_validation.csv", mime="text/csv", on_click="ignore")

# --- 5. preview ---------------------------------------------------------------------------------------------
st.header(t("upload.step_preview", lang))
if ds.counts_events:
    st.caption(t("unit.events_badge", lang))
comparison = val.period_comparison(report, wh)
if comparison.filter(comparison["series"] == "uploaded").height == 0:
    st.caption(t("upload.no_preview", lang))
else:
    unit = t(f"unit.{ds.unit}", lang)
    series_names = {"uploaded": t("upload.series_uploaded", lang), "published": t("upload.series_published", lang)}
    chart = comparison.with_columns(comparison["series"].replace_strict(series_names)).to_pandas()
    left, right = st.columns(2)
    with left:
        st.subheader(t("upload.preview_totals", lang))
        figure = px.line(chart, x="period", y="value", color="series", markers=True,
                         color_discrete_sequence=list(palette.SERIES),
                         labels={"period": t("upload.axis_period", lang),
                                 "value": t("upload.axis_value", lang, unit=unit), "series": ""})
        figure.update_xaxes(type="category")  # periods as labels: 2024-07 is a month, not a date
        st.plotly_chart(figure, width="stretch")
        alt.chart_description(figure, lang, t("upload.preview_totals", lang))  # its text alternative (issue #20)
    with right:
        st.subheader(t("upload.preview_top", lang))
        dims = [c for c in ds.dimensions if c.type == "code" and c.name != ds.area_column]
        dim = st.selectbox(t("upload.preview_dimension", lang), [c.name for c in dims], key="preview_dim",
                           format_func=lambda n: ds.column(n).label(lang))
        top = val.top_categories(report, dim).to_pandas()
        top["code"] = [codelist(ds.column(dim).codelist_id).name(c, lang) for c in top["code"]]
        figure = px.bar(top, x="value", y="code", orientation="h", color_discrete_sequence=[palette.BAR],
                        labels={"code": "", "value": t("upload.axis_value", lang, unit=unit)})
        figure.update_yaxes(autorange="reversed")
        st.plotly_chart(figure, width="stretch")
        alt.chart_description(figure, lang, t("upload.preview_top", lang))

# --- 6. send ------------------------------------------------------------------------------------------------
st.header(t("send.step", lang))
submission_views.send_section(report, read.data, account, lang)
