"""The validation report: what is wrong with a file, where, and how to fix it, in plain language.

Errors are data (as in frictionless): each problem is an instance of a class per type (`problems`) with a code,
a severity (errors block a submission, warnings do not), the row as the user sees it in their file, the column
as their file names it, the value as written and its own typed parameters. Messages and fixes are looked up in
the user's language only when the report is shown.

- `problems`: the problem types, their codes and their messages;
- `report`: the `Report` (verdict, exact counts, the problems kept, table and JSON exports);
- `checks`: `validate` and the structural, type and code checks;
- `plausibility`: warnings against published data, and the page's comparison views;
- `stored`: reports kept with submissions, read back (older ones converted).
"""

from vipmg_core.validation.checks import validate, validate_path
from vipmg_core.validation.plausibility import JUMP_RATIO, period_comparison, top_categories, upload_totals
from vipmg_core.validation.problems import (
    BY_CODE,
    ERROR,
    PROBLEM_SCHEMA,
    PROBLEM_TYPES,
    PROBLEMS,
    WARNING,
    Problem,
    from_row,
    message_key,
    plain_number,
)
from vipmg_core.validation.report import MAX_PER_KIND, MAX_VALUE_CHARS, Report, problem_table
from vipmg_core.validation.stored import stored_counts, stored_problem, stored_table

__all__ = [
    "BY_CODE", "ERROR", "JUMP_RATIO", "MAX_PER_KIND", "MAX_VALUE_CHARS", "PROBLEMS", "PROBLEM_SCHEMA",
    "PROBLEM_TYPES", "WARNING", "Problem", "Report", "from_row", "message_key", "period_comparison",
    "plain_number", "problem_table", "stored_counts", "stored_problem", "stored_table", "top_categories", "upload_totals",
    "validate", "validate_path",
]
