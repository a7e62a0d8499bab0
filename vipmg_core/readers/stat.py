"""SPSS (.sav) and Stata (.dta) files: cases as text, value labels kept, the size checked before a case is read."""

from __future__ import annotations

import io

import polars as pl

from vipmg_core.readers.limits import Limits, check_cells, check_width
from vipmg_core.readers.result import ROW, Detection, FileInfo, ReadError, ReadResult


def read_stat(data: bytes, info: FileInfo, limits: Limits) -> ReadResult:
    import pyreadstat

    reader = pyreadstat.read_sav if info.format == "sav" else pyreadstat.read_dta
    try:
        _empty, meta = reader(io.BytesIO(data), metadataonly=True)  # the size, before any case is read
        rows, columns = meta.number_rows or 0, meta.number_columns or 0
        check_cells(rows, columns, limits)
        frame, meta = reader(io.BytesIO(data), output_format="polars", apply_value_formats=False)
    except ReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyreadstat's ReadstatError and friends
        raise ReadError("bad_stat", detail=str(exc)[:120]) from None
    check_width(frame.width, limits)
    text = frame.select(_as_text(frame[c]).alias(c) for c in frame.columns)
    labels = {
        col: {_code_text(code): str(label) for code, label in mapping.items()}
        for col, mapping in (meta.variable_value_labels or {}).items()
    }
    # Case numbers as SPSS/Stata show them in their data views.
    text = text.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    detections = [Detection("value_labels", {"count": len(labels)})] if labels else []
    return ReadResult(info=info, frame=text, headers=tuple(frame.columns), totals=text.clear(),
                      value_labels=labels, detections=tuple(detections))


def _code_text(code: object) -> str:
    if isinstance(code, float) and code == int(code):
        return str(int(code))
    return str(code)


def _as_text(series: pl.Series) -> pl.Expr:
    if series.dtype.is_float():
        # Codes come back as floats (1.0); write whole numbers without the ".0", as the user typed them.
        col = pl.col(series.name)
        return (pl.when(col == col.round(0)).then(col.cast(pl.Int64, strict=False).cast(pl.String))
                .otherwise(col.cast(pl.String)))
    return pl.col(series.name).cast(pl.String)

