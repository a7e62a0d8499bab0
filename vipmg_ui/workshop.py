"""Workshop mode in the app: the address to share and the number of connected sessions, in the sidebar.

Shown only when the app was started by `python -m vipmg_core workshop` (which sets VIPMG_WORKSHOP_URL).
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from vipmg_core.i18n import t
from vipmg_core.workshop import URL_ENV, Sessions

SESSIONS = Sessions()  # one per server process: every session's run registers here
KEY = "_workshop_session"


def connected_sessions() -> int:
    """Sessions that ran the app and are still connected, as Streamlit's runtime knows them."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        key = st.session_state.setdefault(KEY, uuid.uuid4().hex)
        SESSIONS.seen(key, ctx.session_id)
    runtime = Runtime.instance() if Runtime.exists() else None
    return SESSIONS.count(runtime.is_active_session if runtime is not None else lambda _session_id: True)


def _is_operator(url: str) -> bool:
    """The browser on the laptop that serves the room: it connects from the address it serves on, or from
    localhost (for which Streamlit gives no address)."""
    address = st.context.ip_address
    return address is None or address == urlsplit(url).hostname


@st.fragment(run_every=5)
def _live_count(lang: str) -> None:
    st.caption(t("workshop.sessions", lang, count=connected_sessions()))


def sidebar(lang: str) -> None:
    """The address and the sessions connected; on the operator's own screen the count follows people joining
    and leaving (every 5 s), for everyone else it is read at each of their own runs."""
    url = os.environ.get(URL_ENV)
    if not url:
        return
    with st.sidebar.container(border=True):
        st.markdown(f"**{t('workshop.title', lang)}**")
        st.caption(t("workshop.address", lang, url=url))
        if _is_operator(url):
            _live_count(lang)
        else:
            st.caption(t("workshop.sessions", lang, count=connected_sessions()))
