"""Workshop mode: the command serves the app on the local network address it prints, with its QR code."""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from vipmg_core import workshop
from vipmg_core.cli import main
from vipmg_core.config import PROJECT_DIR


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_lan_address_belongs_to_this_machine():
    address = workshop.lan_address()
    assert ipaddress.ip_address(address).version == 4 and address != "0.0.0.0"
    with socket.socket() as sock:
        sock.bind((address, 0))  # only an address of one of this machine's interfaces can be bound


def test_the_command_binds_the_given_address_and_keeps_the_offline_settings():
    command = workshop.streamlit_command("192.168.1.20", 8600, python="python")
    assert command[:5] == ["python", "-m", "streamlit", "run", "app.py"]
    options = dict(zip(command[5::2], command[6::2]))
    assert options["--server.address"] == "192.168.1.20" and options["--server.port"] == "8600"
    assert options["--browser.serverAddress"] == "192.168.1.20"  # the address people are given
    assert options["--browser.gatherUsageStats"] == "false" and options["--server.headless"] == "true"
    # the project's config (read from the project directory the command runs in) keeps the rest offline
    config = tomllib.loads((PROJECT_DIR / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False and config["server"]["enableStaticServing"] is False
    assert workshop.share_url("192.168.1.20", 8600) == "http://192.168.1.20:8600/"


def test_the_qr_code_decodes_to_the_address_to_share():
    zxingcpp = pytest.importorskip("zxingcpp")
    url = workshop.share_url("192.168.1.20", 8501)
    modules = np.array(workshop.qr_matrix(url), dtype=np.uint8)
    image = np.kron(np.pad(255 * (1 - modules), 4, constant_values=255), np.ones((4, 4), dtype=np.uint8))
    assert [found.text for found in zxingcpp.read_barcodes(image)] == [url]
    # the terminal drawing has one character per module across, two modules per line
    lines = workshop.qr_text(url).splitlines()
    assert len(lines[0]) == len(modules) + 4 and len(lines) == (len(modules) + 4 + 1) // 2


def test_the_workshop_command_serves_the_app_at_the_address_it_prints(demo_dir: Path):
    port = _free_port()
    env = {**os.environ, "VIPMG_DATA_DIR": str(demo_dir), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "vipmg_core", "workshop", "--address", "127.0.0.1",
                                "--port", str(port)], cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        banner = "".join(process.stdout.readline() for _ in range(8))
        assert url in banner
        deadline = time.monotonic() + 90
        healthy = False
        while time.monotonic() < deadline and not healthy:
            assert process.poll() is None, "the workshop server stopped"
            try:
                healthy = opener.open(f"{url}_stcore/health", timeout=2).read() == b"ok"
            except OSError:
                time.sleep(0.5)
        assert healthy, f"nothing answered at {url}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        process.stdout.close()


def test_the_cli_lists_the_workshop_command(capsys):
    with pytest.raises(SystemExit):
        main(["workshop", "--help"])
    assert "--address" in capsys.readouterr().out


def test_a_closed_session_is_no_longer_counted():
    sessions = workshop.Sessions()
    for key in ("a", "b", "c"):
        sessions.seen(key, f"session-{key}")
    sessions.seen("a", "session-a")  # another run of the same session
    assert sessions.count(lambda _session_id: True) == 3
    assert sessions.count(lambda session_id: session_id != "session-b") == 2
    assert sessions.count(lambda _session_id: True) == 2  # a closed tab does not come back
