"""Display pieces of the upload page's report: the file's size, and a sample of the rows with errors as they
are in the file, the wrong cells shaded."""

from __future__ import annotations

from typing import Any

import polars as pl

from vipmg_core.i18n import fmt_number, t
from vipmg_core.readers import ROW, ReadResult
from vipmg_core.validation import ERROR, Report


def fmt_size(size: int, lang: str) -> str:
    if size < 1024 * 1024:
        return f"{fmt_number(size / 1024, lang, 1)} KB"
    return f"{fmt_number(size / 1024 / 1024, lang, 1)} MB"


def affected_sample(report: Report, read: ReadResult, limit: int = 30) -> tuple[pl.DataFrame, dict[int, set[str]]]:
    """Some of the rows with errors as they are in the file, and which of their cells are wrong."""
    rows = report.affected_rows()[:limit]
    sample = read.frame.filter(pl.col(ROW).is_in(rows)).head(limit)
    cells: dict[int, set[str]] = {}
    for p in report.problems.filter(pl.col("row").is_in(rows) & (pl.col("severity") == ERROR)).iter_rows(named=True):
        cells.setdefault(p["row"], set()).add(p["column"])
    return sample, cells


def highlighted(sample: pl.DataFrame, cells: dict[int, set[str]], lang: str) -> Any:
    """The sample as a pandas Styler with the wrong cells shaded, the row number first as in the file."""
    table = sample.select(ROW, pl.exclude(ROW)).rename({ROW: t("report.col_row", lang)}).to_pandas()
    row_label = t("report.col_row", lang)

    def shade(frame: Any) -> Any:
        styles = frame.copy().astype(object)
        for i, row in frame.iterrows():
            bad = cells.get(int(row[row_label]), set())
            for column in frame.columns:
                styles.at[i, column] = "background-color: #f8d7da; color: #58151c" if column in bad else ""
        return styles

    return table.style.apply(shade, axis=None)
