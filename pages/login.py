"""Sign in and out. Local accounts, or the institution's OpenID Connect provider where one is configured."""

import streamlit as st

from vipmg_core.accounts import DEMO_PASSWORD, demo_accounts_enabled
from vipmg_core.i18n import t
from vipmg_ui import auth, shell

lang = shell.context().lang
st.title(t("page.login", lang))
if demo_accounts_enabled():
    st.warning(t("auth.demo_notice", lang, password=DEMO_PASSWORD))

account = auth.current_account()
if account is not None:
    st.success(t("auth.welcome", lang, who=auth.describe(account, lang)))
    auth.keep_signed_in()
    if st.button(t("auth.sign_out", lang)):
        auth.sign_out()
        st.rerun()
    st.stop()

auth.drop_cookie()
st.markdown(t("auth.intro", lang))
if auth.oidc_configured():
    st.button(t("auth.sign_in_oidc", lang), on_click=st.login)
with st.form("sign_in"):
    username = st.text_input(t("auth.username", lang), key="login_user")
    password = st.text_input(t("auth.password", lang), type="password", key="login_password")
    if st.form_submit_button(t("auth.sign_in", lang), type="primary"):
        problem = auth.sign_in(username, password)
        if problem:
            st.error(problem)
        else:
            st.rerun()
