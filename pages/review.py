"""Review: the queue of submissions, compared with what is published, then published or rejected."""

import streamlit as st

from vipmg_core.i18n import t
from vipmg_core.permissions import Action
from vipmg_core.submissions import SubmissionError, SubmissionStore
from vipmg_ui import auth, shell
from vipmg_ui import submission_views as views

lang = shell.context().lang
st.title(t("page.review", lang))
account = auth.require(Action.REVIEW, lang)
store = SubmissionStore(shell.warehouse())

for message in st.session_state.pop("_review_done", []):
    st.success(message)

queue = store.list(account, status="submitted")
if not queue:
    st.info(t("subs.queue_empty", lang))
else:
    st.dataframe(views.table(queue, lang), hide_index=True, width="stretch")
    chosen = st.selectbox(t("subs.choose", lang), [s.submission_id for s in queue], key="review_sub",
                          format_func=views.labeller(queue, lang))
    st.subheader(t("subs.compare", lang))
    st.dataframe(views.comparison(store, account, chosen, lang), hide_index=True, width="stretch")
    views.details(store, account, chosen, lang, show_versions=True)

    left, right = st.columns(2)
    if left.button(t("subs.publish", lang), type="primary", disabled=not views.may(account, Action.PUBLISH)):
        try:
            store.publish(account, chosen)
            st.session_state["_review_done"] = [t("subs.published_ok", lang)]
            st.rerun()
        except SubmissionError as exc:
            st.error(t("subs.error", lang, reason=exc))
    with right.form("reject"):
        reason = st.text_area(t("subs.reason", lang))
        if st.form_submit_button(t("subs.reject", lang), disabled=not views.may(account, Action.REJECT)):
            try:
                store.reject(account, chosen, reason)
                st.session_state["_review_done"] = [t("subs.rejected_ok", lang)]
                st.rerun()
            except SubmissionError as exc:
                st.error(t("subs.error", lang, reason=exc))

st.divider()
st.subheader(t("page.my_submissions", lang))
everything = store.list(account)
if everything:
    st.dataframe(views.table(everything, lang), hide_index=True, width="stretch")
