"""`streamlit run app.py` (what `make run` does): the app of Home.py, plus its own HTTP routes: those that keep a
sign-in across reloads with an HttpOnly session cookie (vipmg_ui/session_cookie.py), the country polygons
every map fetches once (vipmg_ui/geo_route.py) and the data by URL under /api/v1/ (vipmg_ui/api_routes.py).
`streamlit run Home.py` still works, but a sign-in there lasts only while the page stays open, maps carry their
polygons and there is no data by URL."""

import streamlit as st

from vipmg_ui import api_routes, geo_route, session_cookie

app = st.App("Home.py", routes=session_cookie.routes() + geo_route.routes() + api_routes.routes())
