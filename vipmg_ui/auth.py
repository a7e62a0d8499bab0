"""Who is signed in, for the pages. Decisions come from vipmg_core.permissions; this only keeps the session."""

from __future__ import annotations

import streamlit as st

from vipmg_core import accounts
from vipmg_core.accounts import Account, AuthError
from vipmg_core.codelists import country_name
from vipmg_core.i18n import t
from vipmg_core.permissions import Action, allowed
from vipmg_ui import shell

SESSION_KEY = "_username"


def oidc_configured() -> bool:
    """An OpenID Connect provider in .streamlit/secrets.toml ([auth] section) turns on st.login."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises rather than returning empty
        return False


def current_account() -> Account | None:
    """Read afresh on every run, so an account disabled meanwhile loses its rights at once."""
    cat = shell.warehouse().catalogue
    username = st.session_state.get(SESSION_KEY)
    if username is None and oidc_configured() and getattr(st.user, "is_logged_in", False):
        email = str(st.user.get("email") or "")
        matches = [a for a in accounts.list_users(cat) if email and a.email.lower() == email.lower()]
        username = matches[0].username if matches else None
    if username is None:
        return None
    try:
        account = accounts.get_user(cat, username)
    except AuthError:
        return None
    return account if account.active else None


def sign_in(username: str, password: str) -> str | None:
    """None when signed in; otherwise the reason, already in the user's language."""
    try:
        account = accounts.authenticate(shell.warehouse().catalogue, username, password, channel="app")
    except AuthError as exc:
        return t(f"auth.error_{exc.code}", shell.lang())
    st.session_state[SESSION_KEY] = account.username
    return None


def sign_out() -> None:
    st.session_state.pop(SESSION_KEY, None)
    if oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def describe(account: Account, lang: str) -> str:
    role = t(f"auth.role_{account.role}", lang)
    where = f" · {country_name(account.country, lang)}" if account.country else ""
    return f"{account.display_name} ({role}{where})"


def sidebar_badge(account: Account | None, lang: str) -> None:
    if account is not None:
        st.sidebar.caption(t("auth.signed_in_as", lang, who=describe(account, lang)))


def require(action: Action, lang: str, country: str | None = None) -> Account | None:
    """Stop the page with a clear message unless the signed-in person may take `action`."""
    account = current_account()
    if not allowed(account, action, country):
        st.error(t("auth.forbidden" if account else "auth.sign_in_first", lang))
        st.stop()
    return account
