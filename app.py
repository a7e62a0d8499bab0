"""`streamlit run app.py` (what `make run` does): the app of Home.py, plus the routes that keep a sign-in across
reloads with an HttpOnly session cookie (vipmg_ui/session_cookie.py). `streamlit run Home.py` still works, but
a sign-in there lasts only while the page stays open."""

import streamlit as st

from vipmg_ui import session_cookie

app = st.App("Home.py", routes=session_cookie.routes())
