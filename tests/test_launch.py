"""`python -m vipmg_core serve` and `test`: the README's two commands with nothing but Python (no make), on Windows
too, creating the project's own virtual environment when asked."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from vipmg_core import launch
from vipmg_core.config import PROJECT_DIR


def test_the_virtual_environment_interpreter_is_where_each_system_puts_it(tmp_path):
    assert launch.venv_python(tmp_path / ".venv", windows=True) == tmp_path / ".venv" / "Scripts" / "python.exe"
    assert launch.venv_python(tmp_path / ".venv", windows=False) == tmp_path / ".venv" / "bin" / "python"
    if sys.prefix != sys.base_prefix:  # run from a virtual environment: the default is this system's layout
        assert launch.venv_python(Path(sys.prefix)).exists()


def test_serve_starts_on_a_bare_python_before_anything_is_installed():
    """-S: no site-packages at all, as on a fresh Python: serve and test still parse and explain themselves."""
    for command, option in (("serve", "--port"), ("test", "--install")):
        done = subprocess.run([sys.executable, "-S", "-m", "vipmg_core", command, "--help"], cwd=PROJECT_DIR,
                              check=False, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        assert option in done.stdout and "--install" in done.stdout


def test_install_runs_only_when_a_requirements_file_changed_as_make_decides(tmp_path, monkeypatch):
    venv = tmp_path / ".venv"
    python = launch.venv_python(venv)
    python.parent.mkdir(parents=True)
    python.touch()  # an existing environment: not created again
    installed: list[str] = []
    monkeypatch.setattr(launch.subprocess, "run", lambda command, **kw: installed.append(command[-1]))

    assert launch.ensure_venv(venv=venv) == python and installed == ["requirements.txt"]
    launch.ensure_venv(venv=venv)
    assert installed == ["requirements.txt"]  # stamped: nothing to do
    launch.ensure_venv(dev=True, venv=venv)
    assert installed == ["requirements.txt", "requirements-dev.txt"]
    later = time.time() + 60
    os.utime(venv / ".runtime", (later, later))  # runtime reinstalled since: the dev stamp is stale again
    launch.ensure_venv(dev=True, venv=venv)
    assert installed == ["requirements.txt", "requirements-dev.txt", "requirements-dev.txt"]


def test_the_commands_are_the_makefiles():
    makefile = (PROJECT_DIR / "Makefile").read_text(encoding="utf-8")
    run_line = re.search(r"^run:.*\n\t\$\(PY\) (.+)$", makefile, re.MULTILINE)
    pytest_lines = re.findall(r"^\t\$\(PY\) -m ((?:ruff|mypy|pytest).*)$", makefile, re.MULTILINE)
    assert run_line and launch.serve_command("py", 8501)[1:] == shlex.split(run_line[1].replace("$(PORT)", "8501"))
    assert [command[2:] for command in launch.test_commands("py")] == [shlex.split(line) for line in pytest_lines]
    assert launch.test_commands("py", ["-x", "tests/test_demo.py"]) == [["py", "-m", "pytest", "-x",
                                                                         "tests/test_demo.py"]]
    scripts = re.findall(r"sh (tools/\S+\.sh)", makefile.split("\ntest:")[1].split("\n\n")[0])
    assert sorted(scripts) == sorted(launch.SHELL_STEPS)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        return opener.open(f"{url}_stcore/health", timeout=2).read() == b"ok"
    except OSError:
        return False


@pytest.mark.slow
def test_serve_answers_on_its_port_and_stopping_it_stops_the_app(tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "VIPMG_DATA_DIR": str(tmp_path / "data"), "VIPMG_DEMO": "0"}  # no demo build to wait for
    process = subprocess.Popen([sys.executable, "-m", "vipmg_core", "serve", "--address", "127.0.0.1",
                                "--port", str(port)], cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _health(url):
            assert process.poll() is None, "serve stopped"
            time.sleep(0.3)
        assert _health(url), f"nothing answered at {url}"
        process.terminate()  # serve only, not its process group: it stops the app it started
        assert process.wait(timeout=20) is not None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _health(url):
            time.sleep(0.3)
        assert not _health(url), "the app outlived serve"
    finally:
        if process.poll() is None:
            process.kill()
        if hasattr(os, "killpg"):  # whatever is left of its session, if a check above failed
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        process.wait(timeout=20)
