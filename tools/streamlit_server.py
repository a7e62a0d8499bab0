"""`streamlit run` on 127.0.0.1 for the tests and the benchmarks: started on a free port as `make run` starts it,
waited for until it answers its health check, stopped with every process it started.

Free of vipmg_core and of pytest, so the browser tests (tests/browser/conftest.py), the replica test
(tests/test_replicas.py) and bench/load_bench.py share it; each turns a `ServerError` into its own way of failing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

HOST = "127.0.0.1"
# Never through an http_proxy from the environment: the server is on this machine.
LOCAL_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerError(RuntimeError):
    """A server that exited, or did not answer its health check in time; the message ends with its log's tail."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def healthy(base_url: str, timeout: float = 2) -> bool:
    try:
        with LOCAL_HTTP.open(f"{base_url}/_stcore/health", timeout=timeout) as response:
            return response.read().decode().strip() == "ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def start(script: str | Path, *, cwd: Path, log: Path, env: Mapping[str, str] | None = None
          ) -> tuple[subprocess.Popen, str]:
    """`streamlit run script` from `cwd` on a free port, headless, its stderr to `log`, `env` over this process's
    environment; returns the process (in a session of its own, for `stop`) and its base URL, not yet healthy."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.address", HOST,
               "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    return process, f"http://{HOST}:{port}"


def wait_healthy(process: subprocess.Popen, base_url: str, log: Path, timeout: float) -> None:
    """Returns once the server answers its health check; ServerError when it exits first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while not healthy(base_url):
        if process.poll() is not None:
            raise ServerError(f"streamlit at {base_url} exited with code {process.returncode} before it was "
                              f"healthy:\n{tail(log)}")
        if time.monotonic() > deadline:
            raise ServerError(f"streamlit was not healthy at {base_url} after {timeout:.0f} s:\n{tail(log)}")
        time.sleep(0.25)


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM to the server's process group (streamlit and anything it started), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        pass


@contextmanager
def running(script: str | Path, *, cwd: Path, log: Path, env: Mapping[str, str] | None = None,
            timeout: float = 60.0) -> Iterator[str]:
    """A healthy server for the `with` block (its base URL), stopped after it, even when it never became healthy."""
    process, base_url = start(script, cwd=cwd, log=log, env=env)
    try:
        wait_healthy(process, base_url, log, timeout)
        yield base_url
    finally:
        stop(process)
