"""Catalogue: every dataset of the standard, its definition, unit, coverage, variables and template."""

import streamlit as st

from vipmg_core import describe as view
from vipmg_core import sdmx
from vipmg_core.datasets import dataset, dataset_ids
from vipmg_core.i18n import t
from vipmg_ui import shell

ctx = shell.context()
lang = ctx.lang
wh = shell.warehouse()

st.title(t("page.catalogue", lang))
st.markdown(t("catalogue.intro", lang))

st.subheader(t("catalogue.overview", lang))
st.dataframe(view.overview(wh, lang), hide_index=True, width="stretch")

shell.url_state("ds", dataset_ids()[0], shell.parse_choice(dataset_ids()))
chosen = st.selectbox(t("catalogue.choose", lang), dataset_ids(), format_func=lambda i: dataset(i).title(lang),
                      key="ds")
shell.url_publish("ds", chosen, None)
ds = dataset(chosen)

st.header(ds.title(lang))
if ds.counts_events:
    st.warning(t("unit.events_badge", lang) + f" — {ds.unit_detail(lang)}")
else:
    st.info(t("unit.persons_badge", lang) + f" — {ds.unit_detail(lang)}")
left, right = st.columns(2)
left.markdown(f"**{t('catalogue.definition', lang)}.** {ds.definition(lang)}")
left.markdown(f"**{t('catalogue.notes', lang)}.** {ds.notes(lang)}")
right.markdown(f"**{t('catalogue.grain', lang)}.** {ds.grain(lang)}")
right.markdown(f"**{t('catalogue.source_type', lang)}.** {t(f'source_type.{ds.source_type}', lang)}"
               f" · {t(f'kind.{ds.kind}', lang)} · {t(f'time_format.{ds.time_format}', lang)}")

st.subheader(t("catalogue.coverage", lang))
grid = view.coverage_grid(wh, ds.id, lang)
if grid.empty:
    st.info(t("shell.no_data", lang))
else:
    st.dataframe(grid, width="stretch")
    caption = "catalogue.coverage_caption_micro" if ds.is_microdata else "catalogue.coverage_caption"
    st.caption(t(caption, lang, unit=t(f"unit.{ds.unit}", lang)))

st.subheader(t("catalogue.releases", lang))
st.dataframe(view.releases_table(wh, ds.id, lang), hide_index=True, width="stretch")

st.subheader(t("catalogue.variables", lang))
st.dataframe(view.variables_table(ds, lang), hide_index=True, width="stretch")

st.subheader(t("catalogue.codelists", lang))
# One codelist at a time: a grid per codelist (nine for the census) made every visit slow to draw.
tables = view.codelist_tables(ds, lang)
if tables:
    shown = st.selectbox(t("catalogue.codelist_choose", lang), range(len(tables)), key=f"codes_{ds.id}",
                         format_func=lambda i: t("catalogue.codes_count", lang, name=tables[i][0],
                                                 count=len(tables[i][1])))
    st.dataframe(tables[shown][1], hide_index=True, width="stretch")

st.subheader(t("catalogue.template", lang))
st.caption(t("catalogue.template_help", lang))
st.download_button(
    t("catalogue.template_download", lang, title=ds.title(lang)),
    data=view.template_csv(ds),
    file_name=f"{ds.id}_template.csv",
    mime="text/csv",
    on_click="ignore",
)

st.subheader(t("sdmx.page.structure", lang))
st.caption(t("sdmx.page.structure_help", lang, structure=sdmx.structure_id(ds.id)))
xml_col, json_col = st.columns(2)
xml_col.download_button(t("sdmx.page.structure_xml", lang), lambda: sdmx.structure_xml(ds.id),
                        f"{ds.id}_sdmx_structure.xml", "application/xml", on_click="ignore", width="stretch")
json_col.download_button(t("sdmx.page.structure_json", lang), lambda: sdmx.structure_json(ds.id),
                         f"{ds.id}_sdmx_structure.json", "application/json", on_click="ignore", width="stretch")
