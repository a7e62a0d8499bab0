"""Who is signed in, for the pages. Decisions come from vipmg_core.permissions; this only keeps the session.

A sign-in lives in the Streamlit session and, when the app runs with its session routes (`app.py`), in an
HttpOnly cookie as well, so it survives a reload or a typed URL (vipmg_ui/session_cookie.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

import streamlit as st

from vipmg_core import accounts, web_sessions
from vipmg_core.accounts import Account, AuthError
from vipmg_core.codelists import country_name
from vipmg_core.i18n import t
from vipmg_core.permissions import Action, allowed
from vipmg_ui import session_cookie, shell

SESSION_KEY = "_username"
WEB_SESSION_KEY = "_web_session"  # the id of this sign-in's server-side session
GRANT_KEY = "_session_grant"  # the one-time grant the page still has to exchange for its cookie
DROP_COOKIE_KEY = "_drop_session_cookie"  # signed out: the browser still has to delete the cookie
PROXY_ENV = "VIPMG_BEHIND_PROXY"


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
    web_session = st.session_state.get(WEB_SESSION_KEY)
    if username is not None and web_session is not None and not web_sessions.is_live(cat, web_session):
        _forget()  # revoked elsewhere: password reset, account disabled, signed out in another tab
        username = None
    if username is None:
        username = web_sessions.user_of_cookie(cat, _cookie())
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
        account = accounts.authenticate(shell.warehouse().catalogue, username, password, channel="app",
                                        source=_source())
    except AuthError as exc:
        return t(f"auth.error_{exc.code}", shell.lang(), **exc.values)
    st.session_state[SESSION_KEY] = account.username
    if session_cookie.mounted():
        st.session_state[WEB_SESSION_KEY], st.session_state[GRANT_KEY] = web_sessions.issue_grant(
            shell.warehouse().catalogue, account.username)
    return None


def keep_signed_in() -> None:
    """Once after a sign-in: the page exchanges its one-time grant for the HttpOnly session cookie."""
    grant = st.session_state.pop(GRANT_KEY, None)
    if grant:
        _post(session_cookie.SESSION_PATH, grant)


def drop_cookie() -> None:
    """Once after a sign-out: the browser deletes the (already revoked) session cookie."""
    if st.session_state.pop(DROP_COOKIE_KEY, False):
        _post(session_cookie.SIGN_OUT_PATH, "")


def _post(path: str, body: str) -> None:
    st.html(f"<script>fetch({json.dumps(path)}, {{method: 'POST', credentials: 'same-origin', "
            f"body: {json.dumps(body)}}});</script>", unsafe_allow_javascript=True)


def sign_out() -> None:
    """Ends the session here and on the server, so neither a reload nor the cookie signs anyone back in."""
    cat = shell.warehouse().catalogue
    web_sessions.revoke(cat, session_id=st.session_state.get(WEB_SESSION_KEY), cookie=_cookie())
    _forget()
    if session_cookie.mounted():
        st.session_state[DROP_COOKIE_KEY] = True
    if oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def _source() -> str:
    """Where a sign-in comes from, for throttling: the browser's address (None when it is this machine)."""
    try:
        address, headers = st.context.ip_address, st.context.headers
    except Exception:  # no request behind this run (AppTest)
        address, headers = None, {}
    return source_of(address, headers, behind_proxy())


def behind_proxy() -> bool:
    """`VIPMG_BEHIND_PROXY=1`: the app is reached only through a reverse proxy that sets X-Real-IP
    (docs/operations.md); every connection then comes from the proxy's address."""
    return os.environ.get(PROXY_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def source_of(address: str | None, headers: Mapping[str, str], proxied: bool) -> str:
    """The throttling source of a sign-in: behind the proxy, the browser's address the proxy saw (its
    X-Real-IP, which it overwrites, so a browser cannot choose it), else the connection's own address. Without
    this, behind a proxy every person would be one source, and one person's wrong passwords would slow all."""
    if proxied:
        forwarded = next((value for name, value in headers.items() if name.lower() == "x-real-ip"), "")
        address = forwarded.strip() or address
    return f"ip:{address}" if isinstance(address, str) and address else "ip:local"


def _cookie() -> str | None:
    try:
        cookie = st.context.cookies.get(web_sessions.COOKIE_NAME)
    except Exception:  # no request behind this run (a bare script)
        return None
    return cookie if isinstance(cookie, str) else None  # AppTest has no real request either


def _forget() -> None:
    for key in (SESSION_KEY, WEB_SESSION_KEY, GRANT_KEY):
        st.session_state.pop(key, None)


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
