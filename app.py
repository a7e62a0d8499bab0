"""`streamlit run app.py` (what `make run` does): the app of Home.py, plus its own HTTP routes: those that keep a
sign-in across reloads with an HttpOnly session cookie (vipmg_ui/session_cookie.py) and the country polygons
every map fetches once (vipmg_ui/geo_route.py). `streamlit run Home.py` still works, but a sign-in there lasts
only while the page stays open and maps carry their polygons."""

import streamlit as st

from vipmg_ui import geo_route, session_cookie

app = st.App("Home.py", routes=session_cookie.routes() + geo_route.routes())
