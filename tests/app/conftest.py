"""AppTest as a browser sees the app.

AppTest starts every run in Streamlit's legacy `pages/`-folder mode (it resets the flag that a server clears
once any session has called st.navigation), so each page would first run alone. A running server does that
only for its very first request (tests/browser/test_first_start.py covers that case); here we start every
run as a warmed-up server does.
"""

import os
from contextlib import contextmanager
from pathlib import Path

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


@contextmanager
def own_data_dir(root: Path):
    """Point the app at a module's own warehouse (tests that publish must not touch the shared demo)."""
    previous = os.environ.get("VIPMG_DATA_DIR")
    os.environ["VIPMG_DATA_DIR"] = str(root)
    try:
        yield root
    finally:
        if previous is None:
            os.environ.pop("VIPMG_DATA_DIR", None)
        else:
            os.environ["VIPMG_DATA_DIR"] = previous
