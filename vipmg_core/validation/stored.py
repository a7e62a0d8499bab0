"""Reports stored with submissions, read back as problems in the reader's language.

A submission keeps `Report.to_dict()` as JSON: each problem with its typed `params`. Reports stored before
December 2026 kept a `detail` string instead (`@cells|found=9|expected=8`); they are converted on read, so a
submission stored then still shows every problem in either language. A stored problem that cannot be read
back (a type since retired) shows the message and fix stored with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from vipmg_core.i18n import t
from vipmg_core.validation.problems import BY_CODE, Problem, from_row, message_key
from vipmg_core.validation.report import problem_row, problem_table, table_of


def _number(text: str) -> float | None:
    return None if text in ("", "–") else float(text)


def _codes(text: str) -> tuple[str, ...]:
    return tuple(c for c in text.split(",") if c)


# Old detail key -> the typed parameters it meant.
_LEGACY: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
    "cells": lambda a: {"cells": int(a["found"]), "header_cells": int(a["expected"])},
    "column": lambda a: {"standard_name": a["name"]},
    "position": lambda a: {"first_position": int(a["first"]), "again_position": int(a["again"])},
    "mapped_twice": lambda a: {},
    "country": lambda a: {"country": a["code"]},
    "period_month": lambda a: {"expected": "period_month"},
    "period_year": lambda a: {"expected": "period_year"},
    "integer": lambda a: {"expected": "integer"},
    "number": lambda a: {"expected": "number"},
    "after": lambda a: {"latest": a["now"]},
    "range": lambda a: {"low": _number(a["low"]), "high": _number(a["high"])},
    "minimum": lambda a: {"low": _number(a["low"])},
    "maximum": lambda a: {"high": _number(a["high"])},
    "did_you_mean": lambda a: {"codelist": a["list"], "suggestions": _codes(a["codes"])},
    "codelist": lambda a: {"codelist": a["list"], "suggestions": ()},
    "same_as": lambda a: {"same_as_row": int(a["row"])},
    "sum_of_parts": lambda a: {"total_of": "parts", "sum": int(a["sum"])},
    "sum_of_rows": lambda a: {"total_of": "rows", "sum": int(a["sum"])},
    "excluded": lambda a: {},
    "jump": lambda a: {"uploaded": int(a["value"]), "previous": int(a["previous"]),
                       "previous_period": a["period"]},
    "category": lambda a: {"codelist": a["list"], "codes": _codes(a["codes"]), "count": int(a["count"]),
                           "period": a["period"]},
}


def legacy_params(detail: str | None) -> dict[str, Any]:
    """The typed parameters an old `@key|name=value|...` detail string stood for."""
    if not detail or not detail.startswith("@"):
        return {}
    key, *args = detail[1:].split("|")
    return _LEGACY[key](dict(arg.split("=", 1) for arg in args))


def stored_problem(entry: Mapping[str, Any]) -> Problem | None:
    """A problem of a stored report as its class, or None when it cannot be read back."""
    if entry.get("code") not in BY_CODE:
        return None
    try:
        if "params" not in entry:
            entry = {**entry, "params": legacy_params(entry.get("detail"))}
        return from_row(entry)
    except (KeyError, ValueError, TypeError):
        return None


def stored_table(report: Mapping[str, Any], lang: str) -> pl.DataFrame:
    """The problems of a stored report as `Report.table` shows them, in `lang`."""
    entries = report.get("problems")
    if not isinstance(entries, list):
        return problem_table([], lang)
    rows = []
    for entry in entries:
        problem = stored_problem(entry) if isinstance(entry, Mapping) else None
        if problem is not None:
            rows.append(problem_row(problem, lang))
        elif isinstance(entry, Mapping):  # as stored, in the language it was stored in
            code = str(entry.get("code", ""))
            severity = entry.get("severity")
            rows.append((t(f"report.severity_{severity}", lang) if severity in ("error", "warning") else "",
                         t(f"problem.{message_key(code)}.title", lang) if code in BY_CODE else code,
                         entry.get("row"), entry.get("column"), entry.get("value"),
                         str(entry.get("message", "")), str(entry.get("fix", ""))))
    return table_of(rows, lang)


def stored_counts(report: Mapping[str, Any]) -> tuple[int, int]:
    """The errors and warnings of a stored report, as `Report.to_dict` keeps them (0 where absent)."""
    counts = [report.get(key, 0) for key in ("errors", "warnings")]
    return counts[0] if isinstance(counts[0], int) else 0, counts[1] if isinstance(counts[1], int) else 0
