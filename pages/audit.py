"""Audit log: who did what, when. Append-only; reviewers and admins read it here."""

import streamlit as st

from vipmg_core.exports import csv_bytes
from vipmg_core.i18n import t
from vipmg_core.permissions import Action
from vipmg_ui import auth, shell
from vipmg_ui import submission_views as views

lang = shell.context().lang
st.title(t("page.audit", lang))
auth.require(Action.VIEW_AUDIT, lang)

log = views.audit_table(shell.warehouse().catalogue, lang)
actor_col, action_col = t("audit.col_actor", lang), t("audit.col_action", lang)
left, right = st.columns(2)
actors = left.multiselect(t("audit.filter_actor", lang), sorted(log[actor_col].unique()), key="audit_actor")
actions = right.multiselect(t("audit.filter_action", lang), sorted(log[action_col].unique()), key="audit_action")
shown = views.filter_rows(log, {actor_col: actors, action_col: actions})
st.dataframe(shown, hide_index=True, width="stretch")
st.download_button(t("audit.download", lang), csv_bytes(shown), file_name="vipmg_audit_log.csv", mime="text/csv",
                   on_click="ignore")
