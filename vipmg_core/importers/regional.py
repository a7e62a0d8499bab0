"""Regional administrative series in tidy form (as IOM GDI's gdidata compiles them from the national sources).

| series              | columns                         | national source                     | to                |
|---------------------|---------------------------------|-------------------------------------|-------------------|
| `darien`            | t, q, nat, n                    | Panamá, SNM                         | irregular_transit |
| `honduras`          | t, nat, n (file irreg_honduras*) | Honduras, INM                       | irregular_transit |
| `mexico_presented`  | t, nat, n (file irreg_mexico*)   | México, UPM (SEGOB), table 3.1.1    | encounters        |
| `mexico_returns`    | t, nat, type, n                 | México, UPM (SEGOB), table 3.2.4    | returns           |
| `guatemala_returns` | t, sex, age, origin, n          | Instituto Guatemalteco de Migración | returns           |
| `usa_encounters`    | t, t_fy, component, ..., nat, n | US CBP (see cbp.py)                 | encounters        |

Nationalities are ISO3 with the pseudo-codes `OOO` (other) and `XKX` (Kosovo, not in ISO 3166: reported as
unresolved). `t` is the first day of the month; Darién's 2010-2019 rows are yearly totals (one row per year on
1 January) and are stored as the year. The series by sex or age only (`irreg_*_dmg`) and the totals without
nationality repeat the same people as the by-nationality files: they are refused with a message, not added.
"""

from __future__ import annotations

import polars as pl

from vipmg_core.importers import (
    ImportProblem,
    Note,
    Parsed,
    Source,
    Table,
    cbp,
    month_of,
    recode,
    tidy_count,
    without_missing_values,
)

COMPILED = "tidy series compiled by IOM GDI, gdidata"
SERIES = {
    "darien": (("t", "q", "nat", "n"), None),
    "honduras": (("t", "nat", "n"), "hond"),
    "mexico_presented": (("t", "nat", "n"), "mex"),
    "mexico_returns": (("t", "nat", "type", "n"), None),
    "guatemala_returns": (("t", "sex", "age", "origin", "n"), None),
    "usa_encounters": (("t", "t_fy", "component", "area", "authority", "type", "demog", "nat", "n"), None),
}
# Same people, another breakdown: importing them beside the by-nationality series would count them twice.
WITHOUT_NATIONALITY = {("t", "n"), ("t", "demog", "n"), ("t", "q", "demog", "n"), ("t", "sex", "age", "n")}
PUBLISHERS = {
    "darien": ("Servicio Nacional de Migración de Panamá (SNM)", "pan-snm", "Irregular transits through Darién"),
    "honduras": ("Instituto Nacional de Migración de Honduras (INM)", "hnd-inm", "Irregular migration flow"),
    "mexico_presented": ("Unidad de Política Migratoria, SEGOB, México (UPM)", "mex-upm",
                         "Foreigners presented to the INM, by nationality (Boletín, table 3.1.1)"),
    "mexico_returns": ("Unidad de Política Migratoria, SEGOB, México (UPM)", "mex-upm",
                       "Deportations and assisted returns by nationality (Boletín, table 3.2.4)"),
    "guatemala_returns": ("Instituto Guatemalteco de Migración (IGM)", "gtm-igm",
                          "Guatemalans returned from Mexico and the United States"),
}
SEX = {"male": "M", "female": "F", "men": "M", "women": "F"}
MINOR = {"adult": "ADULT", "accompanied child": "ACCOMPANIED", "unaccompanied child": "UNACCOMPANIED"}


def _columns(source: Source) -> tuple[str, ...]:
    return tuple(c.strip().lower() for c in source.header())


def sniff(source: Source) -> bool:
    if source.is_excel:
        return False
    columns = _columns(source)
    return columns in WITHOUT_NATIONALITY or any(columns == spec for spec, _ in SERIES.values())


def series_of(source: Source) -> str:
    """Which series a file is, from its columns and, where two series share them, its name."""
    columns = _columns(source)
    if columns in WITHOUT_NATIONALITY:
        raise ImportProblem("regional_no_nationality", file=source.name)
    candidates = [name for name, (spec, _) in SERIES.items() if spec == columns]
    if len(candidates) > 1:
        named = [name for name in candidates if (hint := SERIES[name][1]) and hint in source.name.lower()]
        if len(named) != 1:
            raise ImportProblem("series_needed", file=source.name, series=", ".join(candidates))
        candidates = named
    if not candidates:
        raise ImportProblem("layout", file=source.name, kind="regional")
    return candidates[0]


def parse(source: Source, *, series: str | None = None, **_options: object) -> Parsed:
    if series is not None and series not in SERIES:
        raise ImportProblem("unknown_series", series=series, known=", ".join(SERIES))
    series = series or series_of(source)
    if _columns(source) != SERIES[series][0]:
        raise ImportProblem("series_columns", file=source.name, series=series,
                            columns=", ".join(SERIES[series][0]))
    if series == "usa_encounters":
        return cbp.tidy_series(source)
    raw = source.csv()
    notes: list[Note] = []
    value = tidy_count(raw["n"])
    if series in ("darien", "honduras"):
        frame = pl.DataFrame({"ref_area": "PAN" if series == "darien" else "HND", "time_period": _periods(raw["t"]),
                              "nationality": raw["nat"], "sex": None, "age_group": None, "obs_value": value},
                             schema_overrides={"sex": pl.String, "age_group": pl.String})
        dataset_id = "irregular_transit"
        if frame["time_period"].str.len_chars().min() == 4:
            notes.append(Note("regional_yearly", {"years": ", ".join(sorted(
                {p for p in frame["time_period"] if len(p) == 4}))}))
    elif series == "mexico_presented":
        frame = pl.DataFrame({"ref_area": "MEX", "time_period": month_of(raw["t"]), "nationality": raw["nat"],
                              "demographic": None, "authority": None, "border_region": None, "obs_value": value},
                             schema_overrides={c: pl.String for c in ("demographic", "authority", "border_region")})
        dataset_id = "encounters"
    elif series == "mexico_returns":
        # The country receiving its nationals is their nationality; deportations and assisted returns add up
        # (the returns dataset has no return-type column).
        frame = pl.DataFrame({"ref_area": raw["nat"], "time_period": month_of(raw["t"]), "returned_from": "MEX",
                              "sex": None, "age_group": None, "minor_status": None, "transport": None,
                              "obs_value": value},
                             schema_overrides={c: pl.String for c in ("sex", "age_group", "minor_status", "transport")})
        dataset_id = "returns"
        notes.append(Note("regional_return_types", {"types": ", ".join(sorted(raw["type"].drop_nulls().unique()))}))
    else:  # guatemala_returns
        frame = pl.DataFrame({"ref_area": "GTM", "time_period": month_of(raw["t"]), "returned_from": raw["origin"],
                              "sex": recode(raw["sex"], SEX, "sex", notes), "age_group": None,
                              "minor_status": recode(raw["age"], MINOR, "age", notes), "transport": None,
                              "obs_value": value},
                             schema_overrides={"age_group": pl.String, "transport": pl.String})
        dataset_id = "returns"
    frame = without_missing_values(frame, notes)
    publisher, key, title = PUBLISHERS[series]
    first, last = min(frame["time_period"]), max(frame["time_period"])
    return Parsed(series=f"regional-{series}", publisher=publisher, publisher_key=key,
                  edition=f"{title}, {first}–{last} ({COMPILED})", edition_date=last,
                  tables=[Table(dataset_id, frame)], rows_read=raw.height, notes=notes)


def _periods(dates: pl.Series) -> pl.Series:
    """Months, except years given as one row on 1 January before the series turns monthly: those are years."""
    months = month_of(dates)
    years = months.str.slice(0, 4)
    per_year = pl.DataFrame({"y": years, "m": months}).group_by("y").agg(pl.col("m").n_unique().alias("k"),
                                                                         pl.col("m").min().alias("first"))
    monthly = per_year.filter(pl.col("k") > 1)["y"]
    first_monthly = monthly.min() if monthly.len() else None
    yearly = {row["y"] for row in per_year.iter_rows(named=True)
              if row["k"] == 1 and row["first"].endswith("-01") and first_monthly and row["y"] < first_monthly}
    return pl.Series([y if y in yearly else m for y, m in zip(years, months)], dtype=pl.String)
