"""Living conditions of migrants against natives: labour status, education, remittances (survey shares)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from vipmg_core.indicators import ConditionSpec, profile_sections
from vipmg_core.profiles.estimates import birth_domains, crosstab_cells, design_of, microdata_sources
from vipmg_core.profiles.periods import DEFAULT_POOL, LATEST, Period, years_label
from vipmg_core.profiles.population_pyramid import age_groups
from vipmg_core.profiles.sources import Source, releases_in
from vipmg_core.warehouse import Warehouse

CONDITIONS: tuple[ConditionSpec, ...] = profile_sections().conditions  # as standard/indicators.toml declares


@dataclass(frozen=True)
class Conditions:
    """Migrants against natives: the share of each group in each category (percent of the group)."""

    dataset_id: str
    years: tuple[int, int]  # pooled survey years
    cells: pl.DataFrame  # condition, code, birth, value (%), n, cv, flag
    sources: tuple[Source, ...]
    method: str

    @property
    def period(self) -> str:
        return years_label(self.years)

    @property
    def synthetic(self) -> bool:
        return any(s.synthetic for s in self.sources)

    def of(self, key: str) -> pl.DataFrame:
        return self.cells.filter(pl.col("condition") == key)


def conditions(wh: Warehouse, areas: Sequence[str], period: Period = LATEST, pool: int = DEFAULT_POOL
               ) -> Conditions | None:
    """Labour status, education and remittances (`standard/indicators.toml`) of the foreign-born against the
    native-born.

    Read from the survey (the census when there is none), pooling its latest `pool` years: the foreign-born
    are few in a year's sample, and a pooled estimate is the usual remedy (its period says so). Each group is
    its own cross-tab, so a hidden foreign-born cell never hides a native-born one.
    """
    # A source with every condition (the survey), else one with the first (a census has no remittances).
    found = (microdata_sources(wh, areas, period, needs=[c.column for c in CONDITIONS])
             or microdata_sources(wh, areas, period, needs=[c.column for c in CONDITIONS[:1]]))
    if not found:
        return None
    ds, years = found[0]
    chosen = [y for y in years if y > years[-1] - max(pool, 1)]
    span = (chosen[0], chosen[-1])
    domains = birth_domains(wh, ds, areas, span)
    if domains is None:
        return None
    frames = []
    for spec in CONDITIONS:
        if spec.column not in ds.column_names:
            continue
        col = ds.column(spec.column)
        codes = [c.code for c in col.codelist or () if not c.code.startswith("_")]
        filters: dict[str, list[str]] = {spec.column: codes}
        if spec.min_age and "age_group" in ds.column_names:
            filters["age_group"] = [c.code for c in age_groups("five_year") if int(c.attrs["lower"]) >= spec.min_age]
        for birth, domain in domains.items():
            cells = crosstab_cells(wh, ds, [spec.column], areas, span, {**domain, **filters}, percent="col", pool=True)
            frames.append(cells.rename({spec.column: "code"}).with_columns(
                pl.lit(spec.key).alias("condition"), pl.lit(birth).alias("birth")))
    if not frames:
        return None
    cells = pl.concat([f.select("condition", "code", "birth", "value", "n", "cv", "flag") for f in frames])
    return Conditions(ds.id, span, cells, releases_in(wh, ds, areas, span), design_of(ds))
