"""Workshop mode in the app's sidebar: the address to share and the sessions connected."""

import re

from streamlit.testing.v1 import AppTest

from vipmg_core.workshop import URL_ENV

HOME = "../../Home.py"
URL = "http://192.168.1.20:8501/"


def _sessions(at: AppTest) -> int | None:
    for caption in at.sidebar.caption:
        found = re.search(r"(?:Connected sessions|Sesiones conectadas): (\d+)", caption.value)
        if found:
            return int(found.group(1))
    return None


def test_the_sidebar_counts_each_person_who_joins(demo_dir, monkeypatch):
    monkeypatch.setenv(URL_ENV, URL)
    operator = AppTest.from_file(HOME, default_timeout=90).run()
    assert not operator.exception
    assert any(URL in caption.value for caption in operator.sidebar.caption)
    before = _sessions(operator)
    assert before is not None and before >= 1
    AppTest.from_file(HOME, default_timeout=90).run()  # someone else opens the address
    assert _sessions(operator.run()) == before + 1


def test_outside_a_workshop_the_sidebar_says_nothing_of_it(demo_dir, monkeypatch):
    monkeypatch.delenv(URL_ENV, raising=False)
    at = AppTest.from_file(HOME, default_timeout=90).run()
    assert not at.exception
    assert _sessions(at) is None
