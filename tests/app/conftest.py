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
from streamlit.testing.v1 import AppTest, app_test

from vipmg_core import demo
from vipmg_core.warehouse import Warehouse

HOME = Path(__file__).resolve().parents[2] / "Home.py"


class _WarmPagesManager(PagesManager):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


@pytest.fixture(autouse=True)
def warm_server(monkeypatch):
    monkeypatch.setattr(app_test, "PagesManager", _WarmPagesManager)


def open_page(page: str | None = None, params: dict[str, str] | None = None, *, user: str | None = None,
              timeout: float = 90) -> AppTest:
    """Open `page` ("pages/board.py"; None for Home) as a browser opens a link to it, and check it ran cleanly.

    `params` is the link's query string (lang and the page's own choices, as codes). In a browser one run of
    Home.py reads the shared context from it and routes to the page; AppTest needs two runs, so the link is set
    again before the page's run: the page reads all of it, whatever Home's run left (it drops defaults).
    `user` is signed in, as the sign-in page leaves the session. `timeout` bounds each run of the returned
    AppTest, the test's own later runs included.
    """
    at = AppTest.from_file(HOME, default_timeout=timeout)
    at.query_params.update(params or {})
    if user:
        at.session_state["_username"] = user
    at.run()
    if page:
        at.switch_page(page)
        at.query_params.update(params or {})
        at.run()
    assert not at.exception, at.exception
    return at


def own_demo(tmp_path_factory, name: str) -> Warehouse:
    """A small demo warehouse of a module's own, to publish into; serve it with own_data_dir(wh.root)."""
    wh = Warehouse(tmp_path_factory.mktemp(name))
    demo.build(wh, scale=0.05)
    return wh


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
