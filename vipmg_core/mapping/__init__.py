"""Mapping a national file to the standard: which file column is which canonical column, and which national
code is which shared code.

- `model`: the `Mapping` value a profile stores;
- `columns`: file columns matched to canonical columns (by name, then content), `auto_mapping`, `refit`;
- `codes`: national values matched to shared codes, with suggestions; the distinct values of a column;
- `values`: numbers, counts and periods read as the region writes them;
- `profiles`: saved mappings per dataset and country;
- `tables`: the column and code tables the upload page edits.
"""

from vipmg_core.datasets import dataset
from vipmg_core.mapping.codes import (
    MAX_CODE_CHARS,
    SMALL_CODELIST,
    CodeSuggestion,
    code_map,
    code_table,
    distinct_values,
    norm,
    suggest_code,
    suggest_codes,
    unique_values,
    value_codes,
)
from vipmg_core.mapping.columns import (
    CONTENT_SAMPLE,
    MIN_SCORE,
    NAME_MATCH,
    ColumnMatch,
    auto_mapping,
    match_columns,
    refit,
)
from vipmg_core.mapping.model import Mapping
from vipmg_core.mapping.profiles import load_profile, profile_names, save_profile
from vipmg_core.mapping.tables import (
    apply_code_table,
    apply_column_table,
    code_editor_table,
    code_label,
    code_options,
    column_table,
    none_label,
    unmapped_choices,
    with_code,
)
from vipmg_core.mapping.values import MONTHS, count_expr, detect_decimal, number_expr, period_expr

__all__ = [
    "CONTENT_SAMPLE", "MAX_CODE_CHARS", "MIN_SCORE", "MONTHS", "NAME_MATCH", "SMALL_CODELIST", "CodeSuggestion",
    "ColumnMatch", "Mapping", "apply_code_table", "apply_column_table", "auto_mapping", "code_editor_table",
    "code_label", "code_map", "code_options", "code_table", "column_table", "count_expr", "dataset",
    "detect_decimal", "distinct_values", "load_profile", "match_columns", "none_label", "norm", "number_expr",
    "period_expr", "profile_names", "refit", "save_profile", "suggest_code", "suggest_codes", "unique_values",
    "unmapped_choices", "value_codes", "with_code",
]
