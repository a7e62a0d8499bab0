"""UNHCR population statistics: the PopStats "persons of concern" export and the Refugee Data Finder long form.

- PopStats (`Year, Country of asylum or residence, Origin, Refugees, Asylum-seekers (pending cases), ...`):
  one column per population type, UNHCR short names ("Dem. Rep. of the Congo", "Various/Unknown"), `*` for a
  value of 1 to 4 persons that UNHCR hides, empty for "not applicable". A `*` is stored without a value and
  marked redacted (never zero, never dropped); `Total Population` is not stored (it is the sum of the types)
  but checked against them.
- Refugee Data Finder long form (`geo,t,from,group,n` with ISO3 codes, as compiled by IOM GDI's gdidata).
Both to `refugees`.
"""

from __future__ import annotations

import polars as pl

from vipmg_core.countries import normalise
from vipmg_core.importers import (
    ImportProblem,
    Note,
    Parsed,
    Source,
    Table,
    codes_of,
    tidy_count,
    without_missing_values,
)

PUBLISHER = "UNHCR, the UN Refugee Agency"
KEY = "unhcr"
REDACTED = "*"
# PopStats column (normalised) -> population type of the standard.
POPSTATS_TYPES = {
    "refugees": "REF",
    "asylum seekers pending cases": "ASY",
    "returned refugees": "RET",
    "internally displaced persons idps": "IDP",
    "returned idps": "RDP",
    "stateless persons": "STA",
    "others of concern": "OOC",
}
LONG_TYPES = {"refugee": "REF", "asylum": "ASY", "refugee return": "RET", "idp": "IDP", "idp return": "RDP",
              "stateless": "STA", "other": "OOC"}
LONG_COLUMNS = ["geo", "t", "from", "group", "n"]


def sniff(source: Source) -> bool:
    if source.is_excel:
        return False
    header = [normalise(c) for c in source.header()]
    return header[:5] == LONG_COLUMNS or ("year" in header and "country of asylum or residence" in header)


def parse(source: Source, **_options: object) -> Parsed:
    header = [normalise(c) for c in source.header()]
    return _long(source) if header[:5] == LONG_COLUMNS else _popstats(source)


def _popstats(source: Source) -> Parsed:
    raw = source.csv()
    names = {normalise(c): c for c in raw.columns}
    types = {names[k]: code for k, code in POPSTATS_TYPES.items() if k in names}
    if not types or "origin" not in names:
        raise ImportProblem("layout", file=source.name, kind=KEY)
    base = raw.select(pl.col(names["year"]).str.strip_chars().alias("time_period"),
                      pl.col(names["country of asylum or residence"]).alias("asylum"),
                      pl.col(names["origin"]).alias("origin"),
                      *[pl.col(c).str.strip_chars().alias(c) for c in types],
                      pl.col(names["total population"]).str.strip_chars().alias("_total")
                      if "total population" in names else pl.lit(None, pl.String).alias("_total"))
    long = (base.unpivot(index=["time_period", "asylum", "origin"], on=list(types), variable_name="column",
                         value_name="raw")
            .filter(pl.col("raw").is_not_null() & (pl.col("raw") != "")))
    numeric = pl.col("raw").str.replace_all(r"[,\s]", "").cast(pl.Int64, strict=False)
    long = long.with_columns(
        pl.col("column").replace_strict(types, return_dtype=pl.String).alias("population_type"),
        pl.when(pl.col("raw") == REDACTED).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("redacted"),
        numeric.alias("obs_value"),
    )
    odd = long.filter((pl.col("raw") != REDACTED) & pl.col("obs_value").is_null())
    frame = long.filter((pl.col("raw") == REDACTED) | pl.col("obs_value").is_not_null()).select(
        "asylum", "origin", "time_period", "population_type", "redacted", "obs_value")
    notes = [Note("unhcr_redacted", {"cells": int((long["raw"] == REDACTED).sum())})]
    if odd.height:
        notes.append(Note("values_skipped", {"rows": odd.height}))
    mismatches = _total_mismatches(base, list(types))
    if mismatches:
        notes.append(Note("unhcr_total_mismatch", {"rows": mismatches}))
    first, last = min(frame["time_period"]), max(frame["time_period"])
    return Parsed(series="unhcr-popstats", publisher=PUBLISHER, publisher_key=KEY,
                  edition=f"UNHCR Population Statistics (PopStats), persons of concern {first}–{last}",
                  edition_date=last, tables=[Table("refugees", frame)], rows_read=raw.height, notes=notes)


def _total_mismatches(base: pl.DataFrame, columns: list[str]) -> int:
    """Rows with no hidden value whose types do not add up to UNHCR's own total."""
    if base["_total"].null_count() == base.height:
        return 0
    parts = [pl.col(c).str.replace_all(r"[,\s]", "").cast(pl.Int64, strict=False).fill_null(0) for c in columns]
    hidden = pl.any_horizontal([pl.col(c) == REDACTED for c in [*columns, "_total"]]).fill_null(False)
    total = pl.col("_total").str.replace_all(r"[,\s]", "").cast(pl.Int64, strict=False)
    checked = base.filter(~hidden & total.is_not_null())
    return checked.filter(pl.sum_horizontal(parts) != total).height


def _long(source: Source) -> Parsed:
    raw = source.csv()
    frame = raw.select(
        pl.col("geo").alias("asylum"), pl.col("from").alias("origin"),
        pl.col("t").str.strip_chars().alias("time_period"),
        codes_of(raw["group"], LONG_TYPES, "group").alias("population_type"),
        pl.lit("N").alias("redacted"),
        tidy_count(raw["n"]).alias("obs_value"),
    )
    notes: list[Note] = []
    frame = without_missing_values(frame, notes)
    first, last = min(frame["time_period"]), max(frame["time_period"])
    return Parsed(series="unhcr-refugee-data-finder", publisher=PUBLISHER, publisher_key=KEY,
                  edition=f"UNHCR Refugee Data Finder {first}–{last} (tidy series compiled by IOM GDI, gdidata)",
                  edition_date=last, tables=[Table("refugees", frame)], rows_read=raw.height, notes=notes)
