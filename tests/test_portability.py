"""The lab runs on Windows, where most migration directorates work: nothing in the core or the UI helpers needs a
POSIX-only module to be imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
POSIX_ONLY = ("fcntl", "termios", "pwd", "grp", "resource")

# Run in a fresh interpreter: the modules are blocked before anything is imported (None in sys.modules makes
# `import fcntl` fail as it does on Windows); `__main__` modules are left out, importing one runs its program.
_IMPORT_ALL = """
import importlib, json, pkgutil, sys
for name in {blocked!r}:
    sys.modules[name] = None
imported, failed = [], []
for top in ("vipmg_core", "vipmg_ui"):
    package = importlib.import_module(top)
    imported.append(top)
    for info in pkgutil.walk_packages(package.__path__, top + ".", onerror=failed.append):
        if info.name.endswith(".__main__"):
            continue
        try:
            importlib.import_module(info.name)
            imported.append(info.name)
        except Exception as exc:
            failed.append(f"{{info.name}}: {{exc!r}}")
print(json.dumps({{"imported": imported, "failed": failed}}))
"""


def test_every_core_and_ui_module_imports_without_posix_only_modules():
    done = subprocess.run([sys.executable, "-c", _IMPORT_ALL.format(blocked=POSIX_ONLY)], cwd=PROJECT_DIR, check=False,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["failed"] == []
    # the walk reached the packages' modules, the demo's split ones included
    assert {"vipmg_core.demo.publish", "vipmg_core.warehouse", "vipmg_ui.shell"} <= set(result["imported"])


def test_bulletins_print_with_edge_where_windows_installs_it(tmp_path, monkeypatch):
    """Windows has no chromium on the PATH, but Edge (Chromium) in Program Files prints the PDF bulletin as well."""
    from vipmg_core import bulletins

    edge = tmp_path / "Microsoft" / "Edge" / "Application" / "msedge.exe"
    monkeypatch.delenv("VIPMG_CHROMIUM", raising=False)
    monkeypatch.setattr(bulletins, "CHROMIUM_CANDIDATES", ())  # none on the PATH, as on Windows
    for folder in bulletins.WINDOWS_FOLDERS:
        monkeypatch.delenv(folder, raising=False)
    monkeypatch.setenv("PROGRAMFILES(X86)", str(tmp_path))
    assert bulletins.chromium_path() is None  # not installed yet
    edge.parent.mkdir(parents=True)
    edge.write_bytes(b"MZ")
    assert bulletins.chromium_path() == str(edge) and bulletins.pdf_available()
