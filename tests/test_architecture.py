"""The code's shape the next maintainer relies on (issue #18): small modules, a Streamlit-free core, no
POSIX-only imports, each rule's table said once."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "vipmg_core"
MAX_LINES = 500


def _modules(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_core_module_is_over_the_limit():
    long = {str(p.relative_to(ROOT)): n for p in _modules(CORE)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split by concept (at most {MAX_LINES} lines): {long}"


def test_the_core_is_free_of_streamlit():
    using = [str(p.relative_to(ROOT)) for p in _modules(CORE)
             if any(name == "streamlit" or name.startswith("streamlit.") for name in _imports(p))]
    assert not using, f"vipmg_core must run without Streamlit (notebooks, the CLI): {using}"


@pytest.mark.parametrize("table", ["HEADLINES", "FIGURES", "_XT", "_FL", "_PR"])
def test_retired_rule_tables_stay_retired(table):
    # indicators live in standard/indicators.toml, link formats in links.py: a second Python table drifts
    pattern = re.compile(rf"^\s*{table}\s*(:[^=]*)?=", re.MULTILINE)
    found = [str(p.relative_to(ROOT)) for p in _modules(CORE) + _modules(ROOT / "vipmg_ui") + _modules(ROOT / "pages")
             if pattern.search(p.read_text(encoding="utf-8"))]
    assert not found, f"{table} is defined again in {found}"
