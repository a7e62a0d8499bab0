"""Workshop mode in the app: the address to share and the number of connected sessions, in the sidebar.

Shown only when the app was started by `python -m vipmg_core workshop` (which sets VIPMG_WORKSHOP_URL).
"""

from __future__ import annotations

import os
import uuid

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


def sidebar(lang: str) -> None:
    url = os.environ.get(URL_ENV)
    if not url:
        return
    box = st.sidebar.container(border=True)
    box.markdown(f"**{t('workshop.title', lang)}**")
    box.caption(t("workshop.address", lang, url=url))
    box.caption(t("workshop.sessions", lang, count=connected_sessions()))
