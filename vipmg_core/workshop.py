"""Workshop mode: the lab served to a room over the local network, from one laptop.

    .venv/bin/python -m vipmg_core workshop [--port 8501] [--address 192.168.1.20]
    make workshop

Binds the laptop's address on the local network (not 0.0.0.0: with no explicit address Streamlit asks an
outside service for the public IP) and keeps every other setting of `.streamlit/config.toml` that stops a
request leaving the machine (no usage statistics, no tiles, no web fonts). Prints the address to share and a
QR code of it in the terminal; the app's sidebar then says how many sessions are connected.

Nothing here sends a packet: the LAN address is read from the route the system would use (a UDP socket that is
"connected" but never sends), and the QR code is drawn locally by `segno`.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable

from vipmg_core.config import PROJECT_DIR

DEFAULT_PORT = 8501
URL_ENV = "VIPMG_WORKSHOP_URL"  # set for the app by `serve`: the sidebar shows the address and the sessions
# A private address to ask the routing table about; a UDP connect() sends nothing.
_PROBE = ("10.255.255.255", 1)


def lan_address() -> str:
    """This machine's IPv4 address on the local network (the one its default route leaves from);
    127.0.0.1 when it has no network, so a workshop can still be tried alone."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(_PROBE)
            address = probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"
    return address if address and address != "0.0.0.0" else "127.0.0.1"


def share_url(address: str, port: int = DEFAULT_PORT) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}/"


def streamlit_command(address: str, port: int = DEFAULT_PORT, python: str = sys.executable) -> list[str]:
    """`streamlit run app.py` (Home.py with the sign-in route) bound to `address`. The project's
    `.streamlit/config.toml` stays in force (it is
    read from the project directory); only the address and port are overridden, and the offline settings that
    matter most are repeated so no command-line default can undo them."""
    return [
        python, "-m", "streamlit", "run", "app.py",
        "--server.address", address,
        "--server.port", str(port),
        "--browser.serverAddress", address,  # the address Streamlit prints and accepts connections for
        "--browser.serverPort", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]


def qr_matrix(url: str) -> tuple[tuple[int, ...], ...]:
    """The QR code of `url` (1 = dark module), without the quiet zone."""
    import segno

    return tuple(tuple(row) for row in segno.make(url, error="m", micro=False).matrix)


def qr_text(url: str) -> str:
    """The QR code of `url` for a terminal (two modules per character line, with its quiet zone)."""
    import segno

    out = io.StringIO()
    segno.make(url, error="m", micro=False).terminal(out=out, compact=True, border=2)
    return out.getvalue()


def banner(url: str) -> str:
    return (f"\nVIPMG Data Lab - workshop mode\n\nShare this address (same Wi-Fi or network):\n\n    {url}\n\n"
            f"{qr_text(url)}\nCompartir esta dirección (misma red): {url}\n"
            "The app's sidebar shows how many sessions are connected. Ctrl+C stops the server.\n")


def serve(address: str | None = None, port: int = DEFAULT_PORT) -> int:
    """Print the address and its QR code, then run the app for the room until Ctrl+C; the server's exit code."""
    address = address or lan_address()
    url = share_url(address, port)
    print(banner(url), flush=True)
    env = {**os.environ, URL_ENV: url}
    process = subprocess.Popen(streamlit_command(address, port), cwd=PROJECT_DIR, env=env)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait()


class Sessions:
    """The browser sessions connected to this server. Each session registers on every run of the app with its
    own key (kept in its session state) and its Streamlit session id; one the server no longer knows (its tab
    was closed) is dropped when counting. Thread-safe: every session's thread registers here."""

    def __init__(self) -> None:
        self._sessions: dict[str, str] = {}  # the session's own key -> its Streamlit session id
        self._lock = threading.Lock()

    def seen(self, key: str, session_id: str) -> None:
        with self._lock:
            self._sessions[key] = session_id

    def count(self, is_active: Callable[[str], bool]) -> int:
        with self._lock:
            self._sessions = {key: sid for key, sid in self._sessions.items() if is_active(sid)}
            return len(self._sessions)
