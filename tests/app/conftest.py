"""AppTest as a browser sees the app.

AppTest starts every run in Streamlit's legacy `pages/`-folder mode (it resets the flag that a server clears
once any session has called st.navigation), so each page would first run alone. A running server does that
only for its very first request (tests/browser/test_first_start.py covers that case); here we start every
run as a warmed-up server does.
"""

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import app_test


class _WarmPagesManager(PagesManager):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


@pytest.fixture(autouse=True)
def warm_server(monkeypatch):
    monkeypatch.setattr(app_test, "PagesManager", _WarmPagesManager)
