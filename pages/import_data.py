"""Import public data (reviewers): a publisher's file in, published data with its provenance out."""

import streamlit as st

from vipmg_core import importers
from vipmg_core.i18n import t
from vipmg_core.importers import regional
from vipmg_core.permissions import Action
from vipmg_core.readers import safe_name
from vipmg_ui import auth, shell

AUTO = ""
lang = shell.context().lang
st.title(t("page.import_data", lang))
account = auth.require(Action.IMPORT, lang)
wh = shell.warehouse()
st.markdown(t("importers.intro", lang))
for message in st.session_state.pop("_import_done", []):
    st.success(message)

upload = st.file_uploader(t("importers.file", lang), type=["csv", "tsv", "txt", "xlsx", "xls"], key="imp_file")
kind = st.selectbox(t("importers.kind", lang), [AUTO, *importers.KINDS], key="imp_kind",
                    format_func=lambda k: t(f"importers.kind_{k or 'auto'}", lang))
with st.expander(t("importers.options", lang)):
    year = st.number_input(t("importers.year", lang), min_value=0, max_value=2100, value=0, step=1, key="imp_year")
    series = st.selectbox(t("importers.series", lang), [AUTO, *regional.SERIES], key="imp_series",
                          format_func=lambda s: s or t("importers.series_auto", lang))
    force = st.checkbox(t("importers.force", lang), key="imp_force")

if st.button(t("importers.run", lang), type="primary", disabled=upload is None):
    options = {key: value for key, value in (("year", year or None), ("series", series or None)) if value}
    try:
        with st.spinner(t("importers.running", lang)):
            result = importers.import_file(wh, importers.Source(safe_name(upload.name), upload.getvalue()),
                                           kind=kind or None, actor=account.username, options=options, force=force)
    except importers.ImportProblem as exc:
        st.error(exc.message(lang))
    else:
        (st.info if result.already_imported else st.success)(
            t("importers.already" if result.already_imported else "importers.done", lang))
        st.markdown("\n".join(f"- {line}" for line in result.lines(lang)))
        if result.unresolved:
            st.subheader(t("importers.unresolved_title", lang))
            st.caption(t("importers.unresolved_caption", lang))
            st.dataframe(result.unresolved_frame(lang), hide_index=True, width="stretch")

st.subheader(t("importers.sources_title", lang))
sources = importers.sources_table(wh, lang)
if sources.height:
    st.dataframe(sources, hide_index=True, width="stretch")
else:
    st.info(t("importers.sources_none", lang))

st.subheader(t("importers.demo_title", lang))
demo = importers.demo_releases(wh)
if not demo:
    st.info(t("importers.demo_is_off", lang))
else:
    st.warning(t("importers.demo_on", lang, count=len({r.dataset_id for r in demo})))
    real = importers.has_real_data(wh)
    if not real:
        st.caption(t("importers.demo_needs_real", lang))
    sure = st.checkbox(t("importers.demo_off_confirm", lang), key="imp_demo_sure", disabled=not real)
    if st.button(t("importers.demo_off_button", lang), disabled=not (real and sure)):
        withdrawn = importers.withdraw_demo(wh, actor=account.username)
        # Run again so the whole app (the synthetic-data notice included) sees the demo gone.
        st.session_state["_import_done"] = [t("importers.demo_off_done", lang, count=len(withdrawn))]
        st.rerun()
