"""Survey and census estimates for a profile: which microdata can tell native- from foreign-born, and
the share of the foreign-born."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from vipmg_core import crosstab as xt
from vipmg_core import disclosure
from vipmg_core import rules as data_rules
from vipmg_core.datasets import Dataset, dataset_ids
from vipmg_core.indicators import share_indicator
from vipmg_core.profiles.figures import Figure
from vipmg_core.profiles.periods import LATEST, Period, year_sql
from vipmg_core.profiles.sources import known_dataset, releases_in
from vipmg_core.quality import SUPPRESSED, estimate_flag
from vipmg_core.warehouse import Warehouse
from vipmg_core.warehouse.sql import quote as _q

NATIVE_CODES = ("NATIVE", "RETURNED")  # migrant_status codes of persons born in the country
FOREIGN_CODES = ("FOREIGN_BORN",)
BIRTH_COLUMN = "country_of_birth"
STATUS_CODELIST = "migrant_status"


def birth_domains(wh: Warehouse, ds: Dataset, areas: Sequence[str], years: tuple[int, int]
                  ) -> dict[str, dict[str, list[str]]] | None:
    """Filters that select the native-born and the foreign-born, from what the declaration offers:
    a migrant-status column, or (for one country) the country of birth against the country itself."""
    status = next((c for c in ds.columns if c.codelist_id == STATUS_CODELIST), None)
    if status is not None:
        return {"native": {status.name: list(NATIVE_CODES)}, "foreign": {status.name: list(FOREIGN_CODES)}}
    if BIRTH_COLUMN in ds.column_names and len(areas) == 1:
        present = xt.dimension_values(wh, ds.id, BIRTH_COLUMN, list(areas), years)
        foreign = [c for c in present if c != areas[0] and not c.startswith("_")]
        if areas[0] in present and foreign:
            return {"native": {BIRTH_COLUMN: [areas[0]]}, "foreign": {BIRTH_COLUMN: foreign}}
    return None


def _common_years(wh: Warehouse, ds: Dataset, areas: Sequence[str], bound_year: int) -> list[int]:
    """Years in which every one of `areas` has data, up to `bound_year`, oldest first."""
    year = year_sql(ds)
    frame = wh.query(ds.id, f"SELECT y FROM (SELECT DISTINCT {_q(ds.area_column)} AS a, {year} AS y FROM data"
                            f" WHERE {_q(ds.area_column)} IN (SELECT UNNEST($areas))) WHERE y <= $bound"
                            f" GROUP BY y HAVING COUNT(DISTINCT a) = $count ORDER BY y",
                     {"areas": list(areas), "bound": bound_year, "count": len(set(areas))})
    return frame["y"].to_list()


def microdata_sources(wh: Warehouse, areas: Sequence[str], period: Period, needs: Sequence[str] = (),
                      census_first: bool = False, among: Sequence[str] | None = None
                      ) -> list[tuple[Dataset, list[int]]]:
    """The surveys and censuses (of `among`, default every one) that can tell native- from foreign-born for
    `areas` and have the columns needed, with the years every area has: the most recent first (census first
    on a tie: a bigger sample), or every census before any survey with `census_first` (the pyramid wants the
    largest sample)."""
    found = []
    candidates = dataset_ids() if among is None else among
    for ds in (d for d in map(known_dataset, candidates) if d is not None and d.is_microdata):
        if any(column not in ds.column_names for column in needs) or not wh.releases(ds.id):
            continue
        years = _common_years(wh, ds, areas, period.bound()[0])
        if years and birth_domains(wh, ds, areas, (years[-1], years[-1])) is not None:
            found.append((ds, years))

    def kind(item: tuple[Dataset, list[int]]) -> int:
        return 0 if item[0].psu is None else 1  # no design variables: a census sample

    if census_first:
        return sorted(found, key=lambda item: (kind(item), -item[1][-1]))
    return sorted(found, key=lambda item: (-item[1][-1], kind(item)))


def design_of(ds: Dataset) -> str:
    """How a survey's or census's variance is estimated ("survey" or "census", `rules.design`)."""
    method = data_rules.design(ds)
    if method is None:
        raise ValueError(f"{ds.id} is not microdata: it has no sampling design")
    return method


def crosstab_cells(wh: Warehouse, ds: Dataset, rows: list[str], areas: Sequence[str], years: tuple[int, int],
                   filters: dict[str, list[str]], percent: str | None = None, pool: bool = False) -> pl.DataFrame:
    """The detail cells (no totals) of one cross-tab: codes, value, n, cv, flag (`pool`: the years pooled)."""
    result = xt.crosstab(ds.id, rows, filters=filters, countries=list(areas), years=years, percent=percent,
                         pool=pool, warehouse=wh)
    cells = result.cells.filter(pl.col(xt.LEVEL_ROW) == len(rows))
    return cells.select(*rows, "value", "n", "cv", "flag")


def immigrant_share(wh: Warehouse, areas: Sequence[str], period: Period = LATEST) -> Figure | None:
    """Foreign-born persons as a percentage of the population: the latest survey or census estimate that can
    be published (the latest one, flagged, when none can), from the datasets its declaration names."""
    first = None
    for ds, years in microdata_sources(wh, areas, period, among=share_indicator().datasets):
        found = _share_from(wh, ds, areas, years[-1])
        if found is not None and found.value is not None:
            return found
        first = first or found
    return first


def _share_from(wh: Warehouse, ds: Dataset, areas: Sequence[str], year: int) -> Figure | None:
    """With a migrant-status column the share is the cross-tab's own. With only the country of birth (a census,
    one country) it is 100 minus the native-born share of persons whose birthplace is known: the same standard
    error, so the CV and flag follow from the engine's estimate of the native-born share."""
    span = (year, year)
    status = next((c for c in ds.columns if c.codelist_id == STATUS_CODELIST), None)
    if status is not None:
        cells = crosstab_cells(wh, ds, [status.name], areas, span, {}, percent="col")
        row = cells.filter(pl.col(status.name).is_in(list(FOREIGN_CODES)))
        if row.height != 1:
            return None
        value, n, cv, flag = row.row(0)[1:]
    else:
        domains = birth_domains(wh, ds, areas, span)
        if domains is None:
            return None
        known = domains["native"][BIRTH_COLUMN] + domains["foreign"][BIRTH_COLUMN]
        result = xt.crosstab(ds.id, [BIRTH_COLUMN], filters={BIRTH_COLUMN: known}, countries=list(areas),
                             years=span, percent="col", warehouse=wh)
        native = result.cells.filter((pl.col(BIRTH_COLUMN) == areas[0]) & (pl.col(xt.LEVEL_ROW) == 1))
        everyone = result.cells.filter(pl.col(xt.LEVEL_ROW) == 0)
        if native.height != 1 or native["value"][0] is None or everyone["n"][0] is None:
            return None
        share_native, cv_native = native["value"][0], native["cv"][0]
        value = 100.0 - share_native
        se = (cv_native or 0.0) * share_native / 100
        cv = 100 * se / value if value > 0 else None
        n = int(everyone["n"][0] - native["n"][0])
        flag = pl.DataFrame({"cv": [cv], "n": [n]}, schema={"cv": pl.Float64, "n": pl.Int64}).select(
            estimate_flag(pl.col("cv"), pl.col("n"))).item()
    if flag == SUPPRESSED:
        value = None
    n = disclosure.public_n(n, flag == SUPPRESSED)  # a census's n of a hidden share is its small count
    share = share_indicator()
    return Figure(share.key, ds.id, share.counted, str(year), value, sources=releases_in(wh, ds, areas, span),
                  percent=True, flag=flag, cv=cv, n=n, areas=tuple(areas))
