"""Workshop mode in a real browser: the operator's sidebar follows people joining and leaving, unprompted."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tools.streamlit_server import free_port, healthy

from .conftest import PROJECT_DIR, is_local, wait_for_app


def _sessions(page: Page):
    return page.get_by_test_id("stSidebar").get_by_text(re.compile(r"Connected sessions: \d+"))


def test_the_operator_sees_people_join_and_leave(browser: Browser, demo_dir: Path, tmp_path: Path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "workshop.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "vipmg_core", "workshop", "--address", "127.0.0.1",
                                "--port", str(port)], cwd=PROJECT_DIR, env={**os.environ, "VIPMG_DATA_DIR": str(demo_dir)},
                               stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not healthy(url):
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("the workshop server did not start")
            time.sleep(0.25)
        requested: list[str] = []
        operator = browser.new_context().new_page()  # on the laptop itself: localhost
        operator.on("request", lambda request: requested.append(request.url))
        operator.goto(f"{url}/?lang=en")
        wait_for_app(operator)
        expect(_sessions(operator)).to_have_text("Connected sessions: 1")
        participant = browser.new_context()
        joined = participant.new_page()
        joined.on("request", lambda request: requested.append(request.url))
        joined.goto(f"{url}/catalogue?lang=en")
        wait_for_app(joined)
        expect(_sessions(operator)).to_have_text("Connected sessions: 2", timeout=20_000)  # without a click
        participant.close()
        expect(_sessions(operator)).to_have_text("Connected sessions: 1", timeout=20_000)
        assert not [u for u in requested if not is_local(u)], "the workshop app asked for something outside"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        log.close()
