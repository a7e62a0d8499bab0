"""US Customs and Border Protection encounters by citizenship, to `encounters` (recording country USA).

- The "Nationwide Encounters" download (`Fiscal Year, Month Grouping, Month (abbv), Land Border Region, State,
  Demographic, Citizenship, Title of Authority, Encounter Count`): fiscal years (OCT of FY2021 is October
  2020), upper-case citizenship names with CBP spellings ("CHINA, PEOPLES REPUBLIC OF", "MYANMAR (BURMA)") and
  `OTHER` for the nationalities CBP does not list (Belize, Costa Rica, Panama, the Caribbean...). States are
  added up; the land border region is kept.
- The same counts as a tidy series (`t, t_fy, component, area, authority, type, demog, nat, n`, southwest
  border only, as compiled by IOM GDI's gdidata): `tidy_series`, used by the regional importer. Months before
  CBP published nationalities have an empty `nat`: kept as "nationality not stated".
Encounters are events: a person encountered twice counts twice.
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
    month_of,
    recode,
    tidy_count,
    without_missing_values,
)

PUBLISHER = "U.S. Customs and Border Protection (CBP)"
KEY = "cbp"
COLUMNS = ("fiscal year", "month abbv", "citizenship", "encounter count")
MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
                                      "DEC"), start=1)}
FISCAL_YEAR_START = 10  # October: FY2021 runs from October 2020 to September 2021
DEMOGRAPHIC = {"Single Adults": "SA", "FMUA": "FMUA", "Individuals in Family Units": "FMUA",
               "Accompanied Minors": "AM", "UC / Single Minors": "UC", "UAC": "UC",
               "Unaccompanied Children": "UC"}
AUTHORITY = {"Title 8": "T8", "Title 42": "T42"}
REGION = {"Southwest Land Border": "SOUTHWEST", "Northern Land Border": "NORTHERN", "Other": "OTHER"}


def sniff(source: Source) -> bool:
    if source.is_excel:
        return False
    header = {normalise(c) for c in source.header()}
    return all(c in header for c in COLUMNS)


def parse(source: Source, **_options: object) -> Parsed:
    raw = source.csv()
    names = {normalise(c): c for c in raw.columns}
    missing = [c for c in (*COLUMNS, "demographic", "title of authority") if c not in names]
    if missing:
        raise ImportProblem("layout", file=source.name, kind=KEY)
    notes: list[Note] = []
    month = raw[names["month abbv"]].str.strip_chars().str.to_uppercase().str.slice(0, 3)
    bad = sorted(set(month.drop_nulls().unique().to_list()) - set(MONTHS))
    if bad:
        raise ImportProblem("unknown_values", column=names["month abbv"], values=", ".join(bad[:5]))
    number = month.replace_strict(MONTHS, return_dtype=pl.Int32)
    fiscal = raw[names["fiscal year"]].str.strip_chars().cast(pl.Int32, strict=False)
    if fiscal.null_count():
        raise ImportProblem("unknown_values", column=names["fiscal year"], values="?")
    calendar_year = pl.Series(fiscal - (number >= FISCAL_YEAR_START).cast(pl.Int32))
    period = calendar_year.cast(pl.String) + "-" + number.cast(pl.String).str.zfill(2)
    region = (recode(raw[names["land border region"]], REGION, names["land border region"], notes)
              if "land border region" in names else pl.Series([None] * raw.height, dtype=pl.String))
    frame = pl.DataFrame({
        "ref_area": ["USA"] * raw.height,
        "time_period": period,
        "nationality": raw[names["citizenship"]],
        "demographic": recode(raw[names["demographic"]], DEMOGRAPHIC, names["demographic"], notes),
        "authority": recode(raw[names["title of authority"]], AUTHORITY, names["title of authority"], notes),
        "border_region": region,
        "obs_value": raw[names["encounter count"]].str.replace_all(r"[,\s]", "").cast(pl.Int64, strict=False),
    })
    frame = without_missing_values(frame, notes)
    notes.append(Note("cbp_other"))
    years = fiscal.to_list()  # no nulls: checked above
    first, last = min(years), max(years)
    return Parsed(series="cbp-nationwide-encounters", publisher=PUBLISHER, publisher_key=KEY,
                  edition=f"Nationwide Encounters FY{first}–FY{last}", edition_date=max(period),
                  tables=[Table("encounters", frame)], rows_read=raw.height, notes=notes)


def tidy_series(source: Source) -> Parsed:
    """gdidata's `irreg_usa`: CBP southwest border encounters by nationality (ISO3), calendar months."""
    raw = source.csv()
    notes: list[Note] = []
    frame = pl.DataFrame({
        "ref_area": ["USA"] * raw.height,
        "time_period": month_of(raw["t"]),
        "nationality": raw["nat"],
        "demographic": recode(raw["demog"], DEMOGRAPHIC, "demog", notes),
        "authority": recode(raw["authority"], AUTHORITY, "authority", notes),
        "border_region": ["SOUTHWEST"] * raw.height,
        "obs_value": tidy_count(raw["n"]),
    })
    frame = without_missing_values(frame, notes)
    notes.append(Note("cbp_southwest"))
    last = max(frame["time_period"])
    return Parsed(series="cbp-southwest-tidy", publisher=PUBLISHER, publisher_key=KEY, coverage="southwest-border",
                  edition=f"Southwest land border encounters {min(frame['time_period'])}–{last} "
                          "(tidy series compiled by IOM GDI, gdidata)",
                  edition_date=last, tables=[Table("encounters", frame)], rows_read=raw.height, notes=notes)
