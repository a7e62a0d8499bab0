"""Which file column is which canonical column: matched by name (the canonical name, its Spanish and English
labels and the `synonyms` of the dataset declaration) and by content (a column whose values are country names
is a country column); the automatic `Mapping` of a file, and a saved one refitted to this month's file."""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from vipmg_core.codelists import codelist
from vipmg_core.datasets import Column, dataset
from vipmg_core.mapping.codes import distinct_values, norm, suggest_code
from vipmg_core.mapping.model import Mapping
from vipmg_core.mapping.values import number_expr, period_expr
from vipmg_core.readers import ReadResult

NAME_MATCH = 100.0
MIN_SCORE = 60.0
CONTENT_SAMPLE = 200  # distinct values looked at to recognise a column by its content


@dataclass(frozen=True)
class ColumnMatch:
    canonical: str
    source: str | None
    score: float
    method: str  # name | synonym | fuzzy | content | constant | none


def _names(col: Column) -> set[str]:
    return {norm(n) for n in (col.name, *col.labels.values(), *col.synonyms) if norm(n)}


def _content_score(read: ReadResult, source: str, col: Column, time_format: str) -> float:
    values = distinct_values(read, source)[source].head(CONTENT_SAMPLE).to_list()
    if not values:
        return 0.0
    if col.type == "code" and col.codelist_id:
        labels = read.value_labels.get(source, {})
        hits = sum(1 for v in values if suggest_code(v, col.codelist_id, label=labels.get(v)).code)
        share = hits / len(values)
        # Small codelists (sex: 4 codes) match numbers by accident; ask for more evidence there.
        needed = 0.8 if len(codelist(col.codelist_id)) > 10 else 0.95
        if col.codelist_id != "country" and all(v.isdigit() for v in values) and source not in read.value_labels:
            return 0.0
        return 55 + 25 * share if share >= needed else 0.0
    series = pl.Series("v", values, dtype=pl.String)
    if col.type == "period":
        share = pl.select(period_expr(pl.lit(series), time_format).is_not_null().mean()).item()
        return 60.0 if share >= 0.9 else 0.0
    if col.type in ("count", "integer", "number"):
        share = pl.select(number_expr(pl.lit(series), ".").is_not_null().mean()).item()
        return 40.0 if share >= 0.9 else 0.0
    return 0.0


def _name_score(source: str, col: Column) -> tuple[float, str]:
    from rapidfuzz import fuzz

    key = norm(source)
    names = _names(col)
    if key == norm(col.name):
        return NAME_MATCH, "name"
    if key in names:
        return NAME_MATCH - 1, "synonym"
    best = max((fuzz.ratio(key, n) for n in names), default=0.0)
    return (best * 0.9, "fuzzy") if best >= 85 else (0.0, "none")


def match_columns(read: ReadResult, dataset_id: str) -> list[ColumnMatch]:
    """Each canonical column with the file column that best fits it (or none), each file column used once.

    Names first; only the columns left over are recognised by their content (which reads the data)."""
    ds = dataset(dataset_id)
    wanted = [c for c in ds.columns if not c.derived_from]
    candidates: list[tuple[float, str, str, str]] = []
    for col in wanted:
        for source in read.columns:
            score, method = _name_score(source, col)
            if score >= MIN_SCORE:
                candidates.append((score, col.name, source, method))
    named = {(c[1], c[2]) for c in candidates if c[0] >= NAME_MATCH - 1}
    sure_sources = {s for _c, s in named}
    sure_columns = {c for c, _s in named}
    for col in wanted:
        # The reporting country is rarely a column; a column of countries is a nationality or origin.
        if col.name in sure_columns or col.name == ds.area_column:
            continue
        for source in read.columns:
            if source in sure_sources:
                continue
            content = _content_score(read, source, col, ds.time_format)
            if content >= MIN_SCORE:
                candidates.append((content, col.name, source, "content"))
    chosen: dict[str, ColumnMatch] = {}
    used: set[str] = set()
    # Best pairs first; ties go to the declaration's column order, then the file's.
    order = {c.name: i for i, c in enumerate(ds.columns)}
    position = {s: i for i, s in enumerate(read.columns)}
    for score, canonical, source, method in sorted(candidates, key=lambda c: (-c[0], order[c[1]], position[c[2]])):
        if canonical in chosen or source in used:
            continue
        chosen[canonical] = ColumnMatch(canonical, source, score, method)
        used.add(source)
    return [chosen.get(c.name, ColumnMatch(c.name, None, 0.0, "none")) for c in ds.columns]


def auto_mapping(read: ReadResult, dataset_id: str, country: str) -> Mapping:
    """The mapping proposed for a file before the user corrects anything."""
    ds = dataset(dataset_id)
    columns = {m.canonical: m.source for m in match_columns(read, dataset_id)}
    constants = {}
    if columns.get(ds.area_column) is None:
        constants[ds.area_column] = country  # national files rarely say which country they are from
    return Mapping(dataset_id=dataset_id, country=country, columns=columns, constants=constants,
                   sheet=read.info.sheet, header_row=read.info.header_row)


def refit(mapping: Mapping, read: ReadResult) -> Mapping:
    """A saved profile applied to this month's file: columns that no longer exist are dropped, the rest kept."""
    present = set(read.columns)
    columns = {k: (v if v in present else None) for k, v in mapping.columns.items()}
    auto = {m.canonical: m.source for m in match_columns(read, mapping.dataset_id)}
    used = {v for v in columns.values() if v}
    for canonical, source in auto.items():
        if columns.get(canonical) is None and source and source not in used and canonical not in mapping.constants:
            columns[canonical] = source
            used.add(source)
    return replace(mapping, columns=columns)

