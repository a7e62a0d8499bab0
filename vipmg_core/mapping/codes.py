"""Which shared code a national value means: matched by the code itself, the codelist's names,
`standard/code_synonyms.toml`, SPSS/Stata value labels, age ranges ("0 a 4 años") and, for countries, the
shared resolver; "did you mean" suggestions when unsure. Also the distinct values of a file column, computed
once per file, that every code table and check reads."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache

import polars as pl

from vipmg_core import countries
from vipmg_core.codelists import codelist
from vipmg_core.config import STANDARD_DIR
from vipmg_core.datasets import Column, dataset
from vipmg_core.mapping.model import Mapping
from vipmg_core.readers import ReadResult, missing_expr

MAX_CODE_CHARS = 200  # a longer text is no code, name or label: it is not matched (a 50 MB cell)
SMALL_CODELIST = 4096  # up to this many distinct texts, `value_codes` lists them one by one


def norm(text: object) -> str:
    """A name or code as compared: lower case, no accents, `_` as a space, spaces collapsed."""
    return countries.normalise(str(text).replace("_", " "))


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
        for written in filter(None, (value, label)):
            match = countries.resolve(written)
            if match.found:
                return CodeSuggestion(value, match.iso3, match.method)
        return CodeSuggestion(value, None, "none", countries.suggestions(label or value))
    known = codelist(list_id)
    spellings: tuple[tuple[str | None, str | None], ...] = ((label, "label"), (value, None))
    for text, via in spellings:
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
        highest = row.max()  # the largest code (None: no text at all)
        if not isinstance(highest, int) or highest < SMALL_CODELIST:  # few texts: read them from the Categories
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

