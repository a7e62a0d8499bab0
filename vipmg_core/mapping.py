"""Mapping a national file to the standard: which file column is which canonical column, and which national
code is which shared code.

Columns are matched by name (the canonical name, its Spanish and English labels and the `synonyms` of the
dataset declaration) and by content (a column whose values are country names is a country column). Codes are
matched by the code itself, the codelist's names, `standard/code_synonyms.toml`, SPSS/Stata value labels, age
ranges ("0 a 4 años") and, for countries, the shared resolver. The result is a `Mapping`: a plain value the
user corrects in the page, saves as a named profile per country and dataset, and reuses next month.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache

import pandas as pd
import polars as pl

from vipmg_core import countries
from vipmg_core.codelists import codelist
from vipmg_core.config import STANDARD_DIR
from vipmg_core.datasets import Column, dataset
from vipmg_core.readers import ReadResult, missing_expr

NAME_MATCH = 100.0
MIN_SCORE = 60.0
CONTENT_SAMPLE = 200  # distinct values looked at to recognise a column by its content
MAX_CODE_CHARS = 200  # a longer text is no code, name or label: it is not matched (a 50 MB cell)
SMALL_CODELIST = 4096  # up to this many distinct texts, `value_codes` lists them one by one
MONTHS = {
    "enero": 1, "ene": 1, "january": 1, "jan": 1, "febrero": 2, "feb": 2, "february": 2, "marzo": 3, "mar": 3,
    "march": 3, "abril": 4, "abr": 4, "april": 4, "apr": 4, "mayo": 5, "may": 5, "junio": 6, "jun": 6,
    "june": 6, "julio": 7, "jul": 7, "july": 7, "agosto": 8, "ago": 8, "august": 8, "aug": 8,
    "septiembre": 9, "setiembre": 9, "sep": 9, "sept": 9, "set": 9, "september": 9, "octubre": 10, "oct": 10,
    "october": 10, "noviembre": 11, "nov": 11, "november": 11, "diciembre": 12, "dic": 12, "december": 12,
    "dec": 12,
}


@dataclass
class Mapping:
    """Everything needed to read one office's file as the standard; stored as JSON in a profile."""

    dataset_id: str
    country: str
    columns: dict[str, str | None]  # canonical column -> file column (None: not in the file)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical -> {file value: code}
    constants: dict[str, str] = field(default_factory=dict)  # canonical -> one value for every row
    decimal: str | None = None  # "," or "."; None: detect per column
    sheet: str | None = None
    header_row: int | None = None

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Mapping:
        raw = json.loads(text)
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        return cls(**known)

    def source(self, canonical: str) -> str | None:
        return self.columns.get(canonical)


@dataclass(frozen=True)
class ColumnMatch:
    canonical: str
    source: str | None
    score: float
    method: str  # name | synonym | fuzzy | content | constant | none


# --- names --------------------------------------------------------------------------------------------------

def norm(text: object) -> str:
    return countries.normalise(str(text).replace("_", " "))


def _names(col: Column) -> set[str]:
    return {norm(n) for n in (col.name, *col.labels.values(), *col.synonyms) if norm(n)}


@cache
def _code_synonyms() -> dict[str, dict[str, str]]:
    """codelist -> normalised spelling -> code."""
    with (STANDARD_DIR / "code_synonyms.toml").open("rb") as handle:
        raw = tomllib.load(handle)
    table: dict[str, dict[str, str]] = {}
    for list_id, codes in raw.items():
        known = codelist(list_id)
        spellings: dict[str, str] = {}
        for code, words in codes.items():
            if code not in known:
                raise ValueError(f"code_synonyms.toml: {code} is not in codelist {list_id}")
            for word in words:
                spellings.setdefault(norm(word), code)
        table[list_id] = spellings
    return table


@cache
def _code_names(list_id: str) -> dict[str, str]:
    """normalised code or name -> code, for a codelist."""
    names: dict[str, str] = {}
    for entry in codelist(list_id):
        names.setdefault(entry.code.lower(), entry.code)
        for name in entry.names.values():
            names.setdefault(norm(name), entry.code)
    return names


_AGE_RANGE = re.compile(r"^(?:de )?(\d{1,3}) (?:a |to |y |al )?(\d{1,3})(?: anos| years| ano| year)?$")
_AGE_OPEN = re.compile(r"^(?:de )?(\d{1,3})(?: anos)? (?:y mas|and over|or more|o mas|y mas anos|years and over"
                       r"|and more|plus)(?: anos)?$")


@cache
def _age_bounds() -> dict[tuple[int, int | None], str]:
    bounds = {}
    for entry in codelist("age_group"):
        if "lower" in entry.attrs:
            upper = entry.attrs.get("upper")
            bounds[(int(entry.attrs["lower"]), int(upper) if upper else None)] = entry.code
    return bounds


def _age_code(value: str) -> str | None:
    """"0-4", "00-04", "0 a 4 años", "85+", "85 y más" -> the age-group code with those bounds."""
    raw = str(value).strip()
    if raw.endswith("+") and raw[:-1].strip().isdigit():
        return _age_bounds().get((int(raw[:-1]), None))
    text = norm(raw)
    if match := _AGE_OPEN.match(text):
        return _age_bounds().get((int(match.group(1)), None))
    if match := _AGE_RANGE.match(text):
        return _age_bounds().get((int(match.group(1)), int(match.group(2))))
    return None


# --- codes --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CodeSuggestion:
    value: str
    code: str | None
    method: str  # code | name | synonym | label | age | iso3 | iso2 | m49 | alias | none
    suggestions: tuple[str, ...] = ()


def suggest_code(value: str, list_id: str, *, label: str | None = None, spanish_h: bool = False) -> CodeSuggestion:
    """The shared code a national value most likely means, or suggestions when unsure."""
    if len(value) > MAX_CODE_CHARS and (label is None or len(label) > MAX_CODE_CHARS):
        return CodeSuggestion(value, None, "none")  # no code or name is that long: not worth matching
    if list_id == "country":
        for text in filter(None, (value, label)):
            match = countries.resolve(text)
            if match.found:
                return CodeSuggestion(value, match.iso3, match.method)
        return CodeSuggestion(value, None, "none", countries.suggestions(label or value))
    known = codelist(list_id)
    for text, via in ((label, "label"), (value, None)):
        if not text:
            continue
        key = norm(text)
        if list_id == "sex" and spanish_h and key == "m":
            return CodeSuggestion(value, "F", via or "synonym")  # H/M files: M is mujer
        if text.strip() in known:
            return CodeSuggestion(value, text.strip(), via or "code")
        if key in _code_names(list_id):
            return CodeSuggestion(value, _code_names(list_id)[key], via or "name")
        if key in _code_synonyms().get(list_id, {}):
            return CodeSuggestion(value, _code_synonyms()[list_id][key], via or "synonym")
        if list_id == "age_group" and (code := _age_code(text)):
            return CodeSuggestion(value, code, via or "age")
    return CodeSuggestion(value, None, "none", _fuzzy_codes(label or value, list_id))


def _fuzzy_codes(value: str, list_id: str, limit: int = 3) -> tuple[str, ...]:
    from rapidfuzz import fuzz, process

    key = norm(value)
    if len(key) < 3:
        return ()
    choices = {**_code_names(list_id), **_code_synonyms().get(list_id, {})}
    found: list[str] = []
    for name, _score, _k in process.extract(key, list(choices), scorer=fuzz.WRatio, limit=limit * 3,
                                            score_cutoff=80):
        if choices[name] not in found:
            found.append(choices[name])
    return tuple(found[:limit])


def distinct_values(read: ReadResult, source: str) -> pl.DataFrame:
    """The distinct non-missing values of a file column with how many rows hold each, most frequent first."""
    key = ("distinct", source)
    if key not in read.cache:  # asked for by matching, code tables and every check: compute once per file
        read.cache[key] = (read.frame.lazy().filter(~missing_expr(source)).group_by(source)
                           .agg(pl.len().alias("rows")).sort(["rows", source], descending=[True, False]).collect())
    return read.cache[key]


def unique_values(read: ReadResult, source: str) -> pl.Series:
    """The distinct texts of a file column, missing markers included (no counts: cheaper than
    `distinct_values` on a million rows). Computed once per file."""
    key = ("unique", source)
    if key not in read.cache:
        read.cache[key] = read.frame[source].unique().drop_nulls()
    return read.cache[key]


def value_codes(read: ReadResult, sources: list[str]) -> tuple[dict[str, pl.Series], dict[str, pl.Series]]:
    """Each file column's texts as small integers, all columns in one parallel pass: (codes, texts), where
    `codes[source]` (UInt32, never null) indexes `texts[source]` and the last text is None, the code of an
    empty cell. Anything computed per distinct text is then looked up for every row by position, so a
    million rows are hashed once per column, not once per rule."""
    # A private Categories per column numbers the texts in one hashing pass; Polars drops it with the frame.
    dtypes = {s: pl.Categorical(pl.Categories.random()) for s in dict.fromkeys(sources)}
    cats = read.frame.select(pl.col(s).cast(dtype) for s, dtype in dtypes.items())
    columns: dict[str, pl.Series] = {}
    texts: dict[str, pl.Series] = {}
    for source, dtype in dtypes.items():
        row = cats[source].to_physical()
        if (row.max() or 0) < SMALL_CODELIST:  # few texts: read them straight from the Categories
            known = dtype.categories.to_series()  # a code reserved but never used reads as None
        else:
            distinct = cats[source].unique().drop_nulls()
            table = pl.DataFrame({"code": distinct.to_physical(), "text": distinct.cast(pl.String)}).sort("code")
            known = table["text"]
            if table.height and table["code"][-1] != table.height - 1:  # a code reserved but unused: renumber
                row = row.replace_strict(table["code"], pl.int_range(table.height, dtype=pl.UInt32, eager=True),
                                         default=None)
        columns[source] = row.fill_null(len(known)).alias(source)
        texts[source] = pl.concat([known, pl.Series([None], dtype=pl.String)], rechunk=True).alias(source)
        read.cache.setdefault(("unique", source), known.drop_nulls().alias(source))
    return columns, texts


def suggest_codes(read: ReadResult, source: str, col: Column) -> dict[str, CodeSuggestion]:
    uniques = unique_values(read, source)
    values = uniques.filter(~uniques.to_frame().select(missing_expr(source)).to_series()).sort().to_list()
    labels = read.value_labels.get(source, {})
    spanish_h = col.codelist_id == "sex" and {"h", "m"} <= {norm(v) for v in values}
    return {v: suggest_code(v, col.codelist_id or "", label=labels.get(v), spanish_h=spanish_h) for v in values}


def code_table(read: ReadResult, mapping: Mapping, canonical: str) -> pl.DataFrame:
    """One row per distinct value of the file column: value, its label, rows, the code now chosen, how it was
    found and suggestions; the page shows it as an editable table."""
    source = mapping.source(canonical)
    col = dataset(mapping.dataset_id).column(canonical)
    schema = {"value": pl.String, "label": pl.String, "rows": pl.Int64, "code": pl.String, "method": pl.String,
              "suggestions": pl.String}
    if source is None or col.codelist_id is None:
        return pl.DataFrame(schema=schema)
    counts = distinct_values(read, source)
    suggested = suggest_codes(read, source, col)
    chosen = mapping.codes.get(canonical, {})
    labels = read.value_labels.get(source, {})
    rows = []
    for value, count in counts.iter_rows():
        guess = suggested[value]
        code = chosen.get(value, guess.code)
        method = "user" if value in chosen and chosen[value] != guess.code else guess.method
        rows.append({"value": value, "label": labels.get(value), "rows": count, "code": code, "method": method,
                     "suggestions": ", ".join(guess.suggestions)})
    return pl.DataFrame(rows, schema=schema)


def code_map(read: ReadResult, mapping: Mapping, canonical: str) -> dict[str, str]:
    """file value -> code for every value that maps: the user's choices over the automatic ones."""
    source = mapping.source(canonical)
    col = dataset(mapping.dataset_id).column(canonical)
    if source is None or col.codelist_id is None:
        return {}
    automatic = {v: s.code for v, s in suggest_codes(read, source, col).items() if s.code}
    return {**automatic, **{k: v for k, v in mapping.codes.get(canonical, {}).items() if v}}


# --- columns ------------------------------------------------------------------------------------------------

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


# --- profiles -----------------------------------------------------------------------------------------------

def save_profile(catalogue, mapping: Mapping, name: str, actor: str) -> str:
    """Store the mapping as the named profile of its dataset and country (the only write in this feature)."""
    name = " ".join(str(name).split())[:80]
    if not name:
        raise ValueError("a profile needs a name")
    return catalogue.save_mapping_profile(name, mapping.dataset_id, mapping.country, mapping.to_json(), actor)


def load_profile(catalogue, dataset_id: str, country: str, name: str) -> Mapping:
    text = catalogue.mapping_profile(dataset_id, country, name)
    if text is None:
        known = ", ".join(p["name"] for p in catalogue.mapping_profiles(dataset_id, country)) or "-"
        raise KeyError(f"no mapping profile {name!r} for {dataset_id} and {country} (saved: {known})")
    return Mapping.from_json(text)


def profile_names(catalogue, dataset_id: str, country: str) -> list[str]:
    return [p["name"] for p in catalogue.mapping_profiles(dataset_id, country)]


# --- editable tables for the page ---------------------------------------------------------------------------

def none_label(lang: str) -> str:
    from vipmg_core.i18n import t

    return t("upload.not_in_file", lang)


def column_table(read: ReadResult, mapping: Mapping, lang: str) -> pd.DataFrame:
    """One row per canonical column: its label, whether it is required, and the file column chosen."""
    from vipmg_core.i18n import t

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
    from vipmg_core.i18n import t

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
    from vipmg_core.i18n import t

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
    from vipmg_core.i18n import t

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
    from vipmg_core.i18n import t

    if not code:
        return t("upload.choose_code", lang)
    return f"{code} — {codelist(list_id).name(code, lang)}"


def with_code(mapping: Mapping, canonical: str, value: str, code: str) -> Mapping:
    codes = {**mapping.codes, canonical: {**mapping.codes.get(canonical, {}), value: code}}
    return replace(mapping, codes=codes)


# --- values -------------------------------------------------------------------------------------------------

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
