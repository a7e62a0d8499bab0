"""My submissions: what a focal point's country sent, its status, report, versions, and the original file."""

import streamlit as st

from vipmg_core.i18n import t
from vipmg_core.permissions import Action
from vipmg_core.submissions import SubmissionStore
from vipmg_ui import auth, shell
from vipmg_ui import submission_views as views

lang = shell.context().lang
st.title(t("page.my_submissions", lang))
signed_in = auth.current_account()
account = auth.require(Action.SUBMIT, lang, signed_in.country if signed_in else None)
store = SubmissionStore(shell.warehouse())

subs = store.list(account)
if not subs:
    st.info(t("subs.none", lang))
    st.stop()
st.dataframe(views.table(subs, lang), hide_index=True, width="stretch")

shell.url_state("sub", subs[0].submission_id, shell.parse_choice([s.submission_id for s in subs]))
chosen = st.selectbox(t("subs.choose", lang), [s.submission_id for s in subs], key="sub",
                      format_func=views.labeller(subs, lang))
shell.url_publish("sub", chosen, None)
views.details(store, account, chosen, lang)
