"""Start the lab, or its tests, with nothing but Python: the README's two commands without `make`, on Windows too.

    python -m vipmg_core serve --install      # make run: its own .venv, requirements.txt, then the app
    python -m vipmg_core serve [--port 8501] [--address 127.0.0.1]
    python -m vipmg_core test --install       # make test: requirements-dev.txt, then the suite as make runs it

Only the standard library is imported here, and `vipmg_core/__main__.py` hands these two commands over before
the CLI (which needs pandas and the rest) is imported: this module runs on a fresh Python before anything is
installed. `--install` creates the project's virtual environment `.venv` (its interpreter is `Scripts\\python.exe`
on Windows, `bin/python` elsewhere), installs the pinned requirements into it (again only when a requirements
file changed since: the same `.venv/.runtime` and `.venv/.dev` stamps `make` keeps), and runs from it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

PROJECT_DIR = Path(__file__).resolve().parent.parent
VENV_DIR = PROJECT_DIR / ".venv"
DEFAULT_PORT = 8501
MIN_PYTHON = (3, 11)
COMMANDS = ("serve", "test")
# What `make run` and `make test` install: requirement files, and the stamp that says they are installed.
RUNTIME = (("requirements.txt", "constraints.txt"), ".runtime")
DEV = (("requirements-dev.txt",), ".dev")
# The Makefile's test steps that need a POSIX shell: Debian's chromium and axe-core for the browser tests, a local
# PostgreSQL for the catalogue tests (without it those skip).
SHELL_STEPS = ("tools/install_chromium.sh", "tools/install_axe.sh", "tools/start_postgres.sh")


def venv_python(venv: Path = VENV_DIR, *, windows: bool = os.name == "nt") -> Path:
    """The interpreter of the virtual environment `venv`."""
    return venv / "Scripts" / "python.exe" if windows else venv / "bin" / "python"


def _stale(venv: Path, files: Sequence[str], stamp: str, after: Sequence[str] = ()) -> bool:
    """Whether `files` (or an earlier stamp in `after`) changed since `stamp` was written, as make decides."""
    mark = venv / stamp
    if not mark.exists():
        return True
    sources = [PROJECT_DIR / f for f in files] + [venv / s for s in after]
    return any(s.exists() and s.stat().st_mtime > mark.stat().st_mtime for s in sources)


def ensure_venv(*, dev: bool = False, venv: Path = VENV_DIR) -> Path:
    """Create `venv` if it has no interpreter, install requirements.txt (and requirements-dev.txt with `dev`) into
    it unless already installed; its interpreter."""
    python = venv_python(venv)
    if not python.exists():
        if sys.version_info < MIN_PYTHON:
            wanted = ".".join(map(str, MIN_PYTHON))
            raise SystemExit(f"Python {wanted} or newer is needed; this is {sys.version.split()[0]}")
        print(f"Creating the virtual environment {venv} ...", flush=True)
        import venv as venv_module

        venv_module.EnvBuilder(with_pip=True).create(venv)
    steps = [RUNTIME] + ([DEV] if dev else [])
    for i, (files, stamp) in enumerate(steps):
        if _stale(venv, files, stamp, after=[s for _, s in steps[:i]]):
            print(f"Installing {files[0]} into {venv} (a few minutes the first time) ...", flush=True)
            subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                            "-r", files[0]], cwd=PROJECT_DIR, check=True)
            (venv / stamp).touch()
    return python


def _interpreter(install: bool, *, dev: bool = False) -> Path | str:
    """The Python to run with: the project's .venv when asked to install, or when this one lacks the packages."""
    if install:
        return ensure_venv(dev=dev)
    if importlib.util.find_spec("pytest" if dev else "streamlit") is not None:
        return sys.executable
    if venv_python().exists():
        return venv_python()
    raise SystemExit("The packages are not installed for this Python. Run it with --install once: it creates the "
                     f"virtual environment {VENV_DIR} and installs them there.")


def serve_command(python: Path | str, port: int = DEFAULT_PORT, address: str | None = None) -> list[str]:
    """`make run`'s command: the app on the demo data (built on first start), at the project's settings
    (.streamlit/config.toml: 127.0.0.1, offline); `address` binds another one."""
    command = [str(python), "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    if address:
        command += ["--server.address", address]
    return command


def test_commands(python: Path | str, pytest_args: Sequence[str] = ()) -> list[list[str]]:
    """`make test`'s runs: ruff and mypy on the core (`make lint`), the tests without a browser on two processes (a
    file stays on one), then the browser tests one at a time. With `pytest_args`, one run of just those."""
    pytest = [str(python), "-m", "pytest"]
    if pytest_args:
        return [pytest + list(pytest_args)]
    return [[str(python), "-m", "ruff", "check", "vipmg_core"], [str(python), "-m", "mypy"],
            pytest + ["-n", "2", "--dist", "loadfile", "-m", "not browser"], pytest + ["-m", "browser"]]


def _run_to_the_end(command: list[str]) -> int:
    """Run `command` in the project folder until it ends; Ctrl+C, or this process being terminated, stops it too."""
    process = subprocess.Popen(command, cwd=PROJECT_DIR)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve(port: int = DEFAULT_PORT, address: str | None = None, *, install: bool = False) -> int:
    return _run_to_the_end(serve_command(_interpreter(install), port, address))


def run_tests(pytest_args: Sequence[str] = (), *, install: bool = False) -> int:
    python = _interpreter(install, dev=True)
    # The scripts install with Debian's apt: not on Windows, even where Git brings a `sh`.
    shell = shutil.which("sh") if os.name != "nt" else None
    if not pytest_args and shell is None:
        os.environ.setdefault("VIPMG_SKIP_BROWSER", "1")  # the browser tests drive Debian's chromium
        print(f"{', '.join(SHELL_STEPS)} skipped here: the browser tests skip (VIPMG_SKIP_BROWSER="
              f"{os.environ['VIPMG_SKIP_BROWSER']}), and so do the catalogue tests on PostgreSQL.", flush=True)
    elif not pytest_args and shell is not None:
        for script in SHELL_STEPS:
            quiet = script.endswith("start_postgres.sh")  # it prints the server's URL, the tests' default
            subprocess.run([shell, script], cwd=PROJECT_DIR, check=True, stdout=subprocess.DEVNULL if quiet else None)
    code = 0
    for command in test_commands(python, pytest_args):
        code = _run_to_the_end(command)
        if code:
            break
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m vipmg_core", description="Start VIPMG Data Lab, or its tests, "
                                     "with nothing but Python (what `make run` and `make test` do).")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="start the app on the demo data (make run)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    p.add_argument("--address", help="the address to bind (default: the project's setting, 127.0.0.1)")
    p.add_argument("--install", action="store_true",
                   help="create the virtual environment .venv and install requirements.txt into it first")
    p = sub.add_parser("test", help="run the test suite as `make test` does")
    p.add_argument("--install", action="store_true",
                   help="create the virtual environment .venv and install requirements-dev.txt into it first")
    p.epilog = "Any other arguments run pytest with them instead, e.g. `test -x tests/test_demo.py`."
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "serve" and extra:
        parser.error(f"unrecognised arguments: {' '.join(extra)}")
    try:
        if args.command == "serve":
            return serve(args.port, args.address, install=args.install)
        return run_tests(extra, install=args.install)
    except subprocess.CalledProcessError as failed:
        print(f"Stopped: {' '.join(map(str, failed.cmd))} failed (exit {failed.returncode})", file=sys.stderr)
        return failed.returncode or 1
