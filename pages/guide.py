"""The Guide: what each dataset is, which codes to use, a correct example file, what the validator checks.

Generated from the standard by vipmg_core.guide; a link from a validation report opens it on one rule (?rule=).
"""

import streamlit as st

from vipmg_core import guide
from vipmg_core.i18n import t
from vipmg_ui import shell

lang = shell.context().lang

st.title(t("page.guide", lang))
st.caption(t("guide.title", lang))
st.markdown(t("guide.intro", lang))
st.download_button(t("guide.download_html", lang), data=lambda: guide.to_html(lang), file_name=guide.file_name(lang),
                   mime="text/html", help=t("guide.download_help", lang), on_click="ignore")  # made on click

rule = st.query_params.get("rule")
if rule in guide.rule_codes():
    entry = guide.rule_section(rule, lang)
    st.info(t("guide.from_report", lang, title=entry.title))
    st.markdown(entry.body)

entries = guide.sections(lang)
with st.expander(t("guide.contents", lang)):
    st.markdown("\n".join(f"{'  ' if s.level > 2 else ''}- [{s.title}](#{s.anchor})" for s in entries))

for entry in entries:
    heading = st.header if entry.level == 2 else st.subheader
    heading(entry.title, anchor=entry.anchor)
    if entry.body:
        st.markdown(entry.body)
    if entry.anchor == "first-file":
        shots = list(guide.screenshots(lang).items())
        # A row of two per pair: one pair of columns for all would read (and tab) 1, 4, 6, then 3, 5.
        for column, (step, path) in zip([c for _ in shots[::2] for c in st.columns(2)], shots):
            column.image(str(path), caption=t("guide.steps.screenshot", lang, step=step),
                         alt=f"{t('guide.steps.screenshot', lang, step=step)}: "
                             f"{t(f'guide.steps.s{step}', lang).replace('**', '')}")
    if entry.download:
        file_name, data = entry.download
        st.download_button(t("guide.dataset.example_download", lang, title=entry.title), data=data,
                           file_name=file_name, mime="text/csv", on_click="ignore", key=f"example_{entry.anchor}")
