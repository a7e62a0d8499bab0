"""Reading a file's texts as the standard's values: numbers and counts as the region writes them (1.234,5;
1 234), and periods in the dataset's grain (2023-07 from "julio 2023", 07/2023, an Excel date...)."""

from __future__ import annotations

import polars as pl

MONTHS = {
    "enero": 1, "ene": 1, "january": 1, "jan": 1, "febrero": 2, "feb": 2, "february": 2, "marzo": 3, "mar": 3,
    "march": 3, "abril": 4, "abr": 4, "april": 4, "apr": 4, "mayo": 5, "may": 5, "junio": 6, "jun": 6,
    "june": 6, "julio": 7, "jul": 7, "july": 7, "agosto": 8, "ago": 8, "august": 8, "aug": 8,
    "septiembre": 9, "setiembre": 9, "sep": 9, "sept": 9, "set": 9, "september": 9, "octubre": 10, "oct": 10,
    "october": 10, "noviembre": 11, "nov": 11, "november": 11, "diciembre": 12, "dic": 12, "december": 12,
    "dec": 12,
}


def number_expr(expr: pl.Expr, decimal: str) -> pl.Expr:
    """Text -> Float64, reading thousands separators and the decimal mark as the file writes them."""
    text = expr.str.strip_chars().str.replace_all(r"[\s\u00a0\u202f']", "")
    if decimal == ",":
        text = text.str.replace_all(r"\.(\d{3})", "$1").str.replace(",", ".", literal=True)
    else:
        grouped = text.str.contains(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
        text = pl.when(grouped).then(text.str.replace_all(",", "", literal=True)).otherwise(text)
    return text.cast(pl.Float64, strict=False)


def count_expr(expr: pl.Expr) -> pl.Expr:
    """Text -> Int64 for counts: 1234, 1,234, 1.234, 1 234 and 1234.0 are all 1234; 12.5 is not a count."""
    text = expr.str.strip_chars().str.replace_all(r"[\s\u00a0\u202f']", "")
    grouped = text.str.contains(r"^-?\d{1,3}([.,]\d{3})+$")
    whole = text.str.contains(r"^-?\d+(\.0+)?$")
    return (pl.when(grouped).then(text.str.replace_all(r"[.,]", ""))
            .when(whole).then(text.str.replace(r"\.0+$", ""))
            .otherwise(None).cast(pl.Int64, strict=False))


def detect_decimal(values: pl.Series) -> str:
    """"," when the column writes decimals with a comma (1.234,5 or 12,75), "." otherwise.

    A comma or point followed by exactly three digits (1,234) could be either, so it is not counted."""
    text = values.drop_nulls().head(5000).str.strip_chars()
    comma = text.str.contains(r"^-?[\d.\s]*\d,(\d{1,2}|\d{4,})$").sum()
    point = text.str.contains(r"^-?[\d,\s]*\d\.(\d{1,2}|\d{4,})$").sum()
    return "," if comma > point else "."


def period_expr(expr: pl.Expr, time_format: str) -> pl.Expr:
    """Text -> ISO 8601 period of the dataset's grain (2023 or 2023-07), or null when it cannot be read.

    Reads 2023-07, 2023/7, 202307, 07/2023, 2023-07-15, 15/07/2023 (day first, as in the region),
    julio 2023, Jul-2023 and Excel dates; for yearly data 2023 and 2023.0.
    """
    text = expr.str.strip_chars().str.to_lowercase()
    if time_format == "year":
        year = pl.coalesce(
            text.str.extract(r"^(\d{4})(?:\.0+)?$"),
            text.str.extract(r"^(\d{4})-\d{1,2}-\d{1,2}(?:[ t].*)?$"),
        )
        return year
    month_word = text.str.extract(r"^([a-z]+)\.?[\s\-/.]*(?:de\s+)?\d{2,4}$").replace_strict(
        {k: str(v) for k, v in MONTHS.items()}, default=None)
    year_after_word = text.str.extract(r"^[a-z]+\.?[\s\-/.]*(?:de\s+)?(\d{4}|\d{2})$")
    year_after_word = pl.when(year_after_word.str.len_chars() == 2).then(pl.lit("20") + year_after_word) \
        .otherwise(year_after_word)
    word_year_first = text.str.extract(r"^(\d{4})[\s\-/.]*([a-z]+)$", 2).replace_strict(
        {k: str(v) for k, v in MONTHS.items()}, default=None)
    pairs = [
        (text.str.extract(r"^(\d{4})[-/.](\d{1,2})(?:[-/.]\d{1,2})?(?:[ t].*)?$", 1),
         text.str.extract(r"^(\d{4})[-/.](\d{1,2})(?:[-/.]\d{1,2})?(?:[ t].*)?$", 2)),
        (text.str.extract(r"^(\d{4})(\d{2})$", 1), text.str.extract(r"^(\d{4})(\d{2})$", 2)),
        (text.str.extract(r"^(\d{1,2})[-/.](\d{4})$", 2), text.str.extract(r"^(\d{1,2})[-/.](\d{4})$", 1)),
        (text.str.extract(r"^\d{1,2}[-/.](\d{1,2})[-/.](\d{4})(?:[ t].*)?$", 2),
         text.str.extract(r"^\d{1,2}[-/.](\d{1,2})[-/.](\d{4})(?:[ t].*)?$", 1)),
        (year_after_word, month_word),
        (text.str.extract(r"^(\d{4})[\s\-/.]*[a-z]+$", 1), word_year_first),
    ]
    year = pl.coalesce(*[pl.when(m.is_not_null()).then(y) for y, m in pairs])
    month = pl.coalesce(*[pl.when(y.is_not_null()).then(m) for y, m in pairs]).cast(pl.Int32, strict=False)
    valid = month.is_between(1, 12) & year.is_not_null()
    return pl.when(valid).then(year + pl.lit("-") + month.cast(pl.String).str.zfill(2)).otherwise(None)
