"""A figure split by one dimension in one period (residence permits by type), as the cross-tab shows it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from vipmg_core import crosstab as xt
from vipmg_core import rules as data_rules
from vipmg_core.indicators import profile_sections
from vipmg_core.profiles.estimates import crosstab_cells
from vipmg_core.profiles.periods import LATEST, Period, year_sql
from vipmg_core.profiles.sources import Source, known_dataset, releases_in
from vipmg_core.warehouse import Warehouse
from vipmg_core.warehouse.sql import quote as _q


@dataclass(frozen=True)
class Breakdown:
    """One figure split by one dimension in one period (residence permits by type)."""

    dataset_id: str
    column: str
    period: str
    frame: pl.DataFrame  # code, value (codelist order)
    sources: tuple[Source, ...]

    @property
    def synthetic(self) -> bool:
        return any(s.synthetic for s in self.sources)


def breakdown(wh: Warehouse, dataset_id: str, column: str, areas: Sequence[str], period: Period = LATEST
              ) -> Breakdown | None:
    """Totals by `column` in the latest year (up to the period's end) with data for `areas`: the detail cells of
    the cross-tab of the same cells (rows = `column`, the areas, that year), so the breakdown hides exactly what
    the cross-tab suppresses (its protection and complements), never a different choice of its own."""
    ds = known_dataset(dataset_id)
    if ds is None or ds.measure is None or column not in {d.name for d in ds.dimensions}:
        return None
    year = year_sql(ds)
    where = f"{_q(ds.area_column)} IN (SELECT UNNEST($areas)) AND {year} <= $bound"
    params = {"areas": list(areas), "bound": period.bound()[0]}
    latest = wh.query(ds.id, f"SELECT MAX({year}) AS y FROM data WHERE {where}", params)["y"][0]
    if latest is None:
        return None
    span = (int(latest), int(latest))
    cells = crosstab_cells(wh, ds, [column], areas, span, {})
    frame = cells.rename({column: "code"}).filter(~pl.col("code").is_in([data_rules.UNSPLIT, data_rules.MISSING]))
    order = xt.code_order(ds, column)
    frame = frame.sort(pl.col("code").replace_strict(order, default=len(order), return_dtype=pl.Int64))
    return Breakdown(ds.id, column, str(latest), frame.select("code", "value"), releases_in(wh, ds, areas, span))


def permits_breakdown(wh: Warehouse, areas: Sequence[str], period: Period = LATEST) -> Breakdown | None:
    """The profile's breakdown, as `standard/indicators.toml` declares it (residence permits by type)."""
    sections = profile_sections()
    return breakdown(wh, sections.breakdown_dataset, sections.breakdown_by, areas, period)
