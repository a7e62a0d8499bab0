"""Helpers the publisher modules share: a publisher's labels to codes of the standard, counts as published."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from vipmg_core.importers.result import Note
from vipmg_core.importers.source import ImportProblem


def recode(values: pl.Series, mapping: Mapping[str, str | None], column: str, notes: list[Note]) -> pl.Series:
    """A publisher's labels to codes of the standard (matched as the country resolver matches names). A label
    the mapping does not know becomes "not stated" (null) and is named in a note, never guessed."""
    from vipmg_core.countries import normalise

    keys = {normalise(k): v for k, v in mapping.items()}
    distinct = values.drop_nulls().unique().to_list()
    known = {value: keys[normalise(value)] for value in distinct if normalise(value) in keys}
    unknown = sorted(value for value in distinct if normalise(value) not in keys)
    if unknown:
        notes.append(Note("values_not_understood", {"column": column, "values": ", ".join(unknown[:10])}))
    return values.replace_strict(known, default=None, return_dtype=pl.String)


def codes_of(labels: pl.Series, mapping: Mapping[str, str | None], column: str) -> pl.Series:
    """A closed list of a publisher's labels (case and spaces ignored) to codes; a label outside it stops the
    import, since guessing would move counts between categories."""
    labels = labels.str.to_lowercase().str.strip_chars()
    unknown = sorted(set(labels.drop_nulls().unique().to_list()) - set(mapping))
    if unknown:
        raise ImportProblem("unknown_values", column=column, values=", ".join(unknown[:5]))
    return labels.replace_strict(mapping, return_dtype=pl.String)


def tidy_count(values: pl.Series) -> pl.Series:
    """gdidata's `n` column: counts that may be written as decimals, rounded; unreadable ones null."""
    return values.str.strip_chars().cast(pl.Float64, strict=False).round().cast(pl.Int64)


def without_missing_values(frame: pl.DataFrame, notes: list[Note]) -> pl.DataFrame:
    """Rows whose count could not be read are left out, and a note says how many."""
    skipped = frame["obs_value"].null_count()
    if not skipped:
        return frame
    notes.append(Note("values_skipped", {"rows": skipped}))
    return frame.filter(pl.col("obs_value").is_not_null())


def month_of(dates: pl.Series) -> pl.Series:
    """`2024-03-01` (or `2024-03`) -> `2024-03`."""
    return dates.cast(pl.String).str.strip_chars().str.slice(0, 7)

