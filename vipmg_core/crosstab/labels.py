"""How codes are named and ordered on screen: a code's label in a language ("Name (CODE)" on request, the
total, not stated), and the display order of a dimension's codes (codelist order, totals after their rows).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from vipmg_core import rules
from vipmg_core.crosstab.query import MISSING, TOTAL
from vipmg_core.datasets import Dataset
from vipmg_core.i18n import t


def code_order(ds: Dataset, column: str) -> dict[str, int]:
    """Position of each code of `column` in its codelist (empty without one)."""
    col = ds.column(column)
    return {code.code: i for i, code in enumerate(col.codelist)} if col.codelist else {}


def order_frame(ds: Dataset, dims: Sequence[str], keys: pl.DataFrame) -> pl.DataFrame:
    """Display position of each key: codelist order (periods in time order), totals after their rows."""
    sort_cols = []
    frame = keys
    for d in dims:
        order = code_order(ds, d)
        frame = frame.with_columns(
            pl.when(pl.col(d) == TOTAL).then(pl.lit(2)).when(pl.col(d) == MISSING).then(pl.lit(1))
            .otherwise(pl.lit(0)).alias(f"_t_{d}"),
            pl.col(d).replace_strict(order, default=len(order), return_dtype=pl.Int64).alias(f"_k_{d}"),
        )
        sort_cols += [f"_t_{d}", f"_k_{d}", d]
    frame = frame.sort(sort_cols).with_row_index("_o")
    return frame.select(*dims, pl.col("_o").cast(pl.Int64))


def code_label(ds: Dataset, column: str, code: str, lang: str, codes: bool = False) -> str:
    """The name of one code in `lang` ("Name (CODE)" with `codes`)."""
    if code == TOTAL:
        return t("crosstab.total", lang)
    col = ds.column(column)
    cl = col.codelist
    if cl is not None and code in cl:
        name = cl.name(code, lang)
        return f"{name} ({code})" if codes else name
    if code == MISSING:
        return t("crosstab.missing", lang)
    if code == rules.UNSPLIT:
        return t("crosstab.unsplit", lang)
    return code


def code_label_expr(ds: Dataset, column: str, lang: str, codes: bool) -> pl.Expr:
    """`code_label` of every code of a column, as a Polars expression."""
    col = ds.column(column)
    mapping = {MISSING: t("crosstab.missing", lang), rules.UNSPLIT: t("crosstab.unsplit", lang)}
    if col.codelist is not None:
        mapping |= {c.code: (f"{c.name(lang)} ({c.code})" if codes else c.name(lang)) for c in col.codelist}
    mapping[TOTAL] = t("crosstab.total", lang)
    return pl.col(column).replace_strict(mapping, default=pl.col(column), return_dtype=pl.String)


def label_expr(ds: Dataset, dims: Sequence[str], lang: str, codes: bool, single: str) -> pl.Expr:
    """The labels of several dimensions joined ("Female · 15-24"); `single` where there are none."""
    if not dims:
        return pl.lit(single)
    return pl.concat_str([code_label_expr(ds, d, lang, codes) for d in dims], separator=" · ")
