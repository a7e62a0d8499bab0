"""The mapping as the upload page edits it: the column table and the code tables in the user's words (pandas
frames for `st.data_editor`), and the `Mapping` with the user's choices applied."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import polars as pl

from vipmg_core.codelists import codelist
from vipmg_core.datasets import dataset
from vipmg_core.i18n import t
from vipmg_core.mapping.codes import code_table
from vipmg_core.mapping.model import Mapping
from vipmg_core.readers import ReadResult


def none_label(lang: str) -> str:
    return t("upload.not_in_file", lang)


def column_table(read: ReadResult, mapping: Mapping, lang: str) -> pd.DataFrame:
    """One row per canonical column: its label, whether it is required, and the file column chosen."""
    ds = dataset(mapping.dataset_id)
    rows = []
    for col in ds.columns:
        source = mapping.source(col.name)
        constant = mapping.constants.get(col.name)
        note = t("upload.same_for_all", lang, value=constant) if source is None and constant else ""
        if col.derived_from and source is None:
            note = t("upload.derived_from", lang, column=ds.column(col.derived_from).label(lang))
        rows.append({
            t("upload.col_variable", lang): f"{col.label(lang)} ({col.name})",
            t("upload.col_required", lang): t("upload.yes" if col.required else "upload.no", lang),
            t("upload.col_file_column", lang): source or none_label(lang),
            t("upload.col_note", lang): note,
        })
    return pd.DataFrame(rows)


def apply_column_table(mapping: Mapping, table: pd.DataFrame, lang: str) -> Mapping:
    """The mapping with the file columns the user chose in `column_table` (same row order)."""
    ds = dataset(mapping.dataset_id)
    chosen = table[t("upload.col_file_column", lang)].tolist()
    columns = {col.name: (None if value in (None, "", none_label(lang)) else str(value))
               for col, value in zip(ds.columns, chosen)}
    constants = {k: v for k, v in mapping.constants.items() if columns.get(k) is None}
    if columns.get(ds.area_column) is None:
        constants[ds.area_column] = mapping.country
    return replace(mapping, columns=columns, constants=constants)


def code_options(list_id: str, lang: str) -> list[str]:
    return [f"{c.code} — {c.name(lang)}" for c in codelist(list_id)]


def code_editor_table(read: ReadResult, mapping: Mapping, canonical: str, lang: str) -> pd.DataFrame:
    """The code table in the user's words: value, label, rows, chosen code (as "CODE — name"), suggestions."""
    list_id = dataset(mapping.dataset_id).column(canonical).codelist_id or ""
    names = codelist(list_id)
    table = code_table(read, mapping, canonical)
    return pd.DataFrame({
        t("upload.col_value", lang): table["value"].to_list(),
        t("upload.col_label", lang): [v or "" for v in table["label"].to_list()],
        t("upload.col_rows", lang): table["rows"].to_list(),
        t("upload.col_code", lang): [f"{c} — {names.name(c, lang)}" if c else None for c in table["code"].to_list()],
        t("upload.col_suggestions", lang): [", ".join(f"{s} — {names.name(s, lang)}" for s in v.split(", ") if s)
                                            for v in table["suggestions"].to_list()],
    })


def apply_code_table(mapping: Mapping, canonical: str, table: pd.DataFrame, lang: str) -> Mapping:
    """The mapping with the codes the user chose for each value of one column."""
    values = table[t("upload.col_value", lang)].tolist()
    chosen = table[t("upload.col_code", lang)].tolist()
    codes = {str(v): str(c).split(" — ", 1)[0] for v, c in zip(values, chosen) if isinstance(c, str) and c}
    return replace(mapping, codes={**mapping.codes, canonical: codes})


def unmapped_choices(read: ReadResult, mapping: Mapping, canonical: str) -> list[tuple[str, list[str]]]:
    """(value, codes to offer) for each file value with no code yet: suggestions first, then the codelist."""
    list_id = dataset(mapping.dataset_id).column(canonical).codelist_id or ""
    table = code_table(read, mapping, canonical).filter(pl.col("code").is_null())
    every = [c.code for c in codelist(list_id)]
    out = []
    for value, suggestions in table.select("value", "suggestions").iter_rows():
        first = [s for s in suggestions.split(", ") if s]
        out.append((value, first + [c for c in every if c not in first]))
    return out


def code_label(list_id: str, code: str, lang: str) -> str:
    if not code:
        return t("upload.choose_code", lang)
    return f"{code} — {codelist(list_id).name(code, lang)}"


def with_code(mapping: Mapping, canonical: str, value: str, code: str) -> Mapping:
    codes = {**mapping.codes, canonical: {**mapping.codes.get(canonical, {}), value: code}}
    return replace(mapping, codes=codes)
