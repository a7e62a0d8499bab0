"""The population pyramid: native- and foreign-born persons by age group and sex."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from vipmg_core import crosstab as xt
from vipmg_core.codelists import Code, codelist
from vipmg_core.profiles.estimates import birth_domains, crosstab_cells, design_of, microdata_sources
from vipmg_core.profiles.periods import LATEST, Period
from vipmg_core.profiles.sources import Source, releases_in
from vipmg_core.quality import SUPPRESSED
from vipmg_core.warehouse import Warehouse


@dataclass(frozen=True)
class Pyramid:
    """Native- and foreign-born persons by age group and sex (weighted estimates, each with n, CV, flag)."""

    dataset_id: str
    period: str
    grouping: str  # "five_year", or "broad" when the foreign-born sample is too small for five-year groups
    cells: pl.DataFrame  # birth ("native"/"foreign"), age_group, sex, value, n, cv, flag
    sources: tuple[Source, ...]
    method: str  # the cross-tab's method ("survey" or "census"): how the variance was estimated

    @property
    def synthetic(self) -> bool:
        return any(s.synthetic for s in self.sources)

    def hidden(self, birth: str) -> int:
        return int(self.cells.filter((pl.col("birth") == birth) & (pl.col("flag") == SUPPRESSED)).height)


def age_groups(kind: str) -> list[Code]:
    return [c for c in codelist("age_group") if c.attrs.get("kind") == kind]


def pyramid(wh: Warehouse, areas: Sequence[str], period: Period = LATEST,
            min_shown: float = 0.5) -> Pyramid | None:
    """The population pyramid of the foreign-born against the native-born, from the latest census or survey.

    Five-year groups when at least `min_shown` of the foreign-born cells can be published; otherwise the broad
    groups of the age codelist (0-14, 15-24, 25-64, 65+), each estimated by the cross-tab engine on its own.
    """
    found = microdata_sources(wh, areas, period, needs=("age_group", "sex"), census_first=True)
    if not found:
        return None
    ds, years = found[0]
    span = (years[-1], years[-1])
    domains = birth_domains(wh, ds, areas, span)
    if domains is None:
        return None
    sexes = ["F", "M"]
    present = xt.dimension_values(wh, ds.id, "age_group", list(areas), span)
    five = [c.code for c in age_groups("five_year") if c.code in present]
    broad = age_groups("broad")
    frames, grouping = [], "five_year"
    if five:
        for birth, filters in domains.items():
            cells = crosstab_cells(wh, ds, ["age_group", "sex"], areas, span,
                                   {**filters, "age_group": five, "sex": sexes})
            frames.append(cells.with_columns(pl.lit(birth).alias("birth")))
        foreign = frames[1]
        shown = foreign.filter(pl.col("flag") != SUPPRESSED).height / max(foreign.height, 1)
        if shown < min_shown:
            frames, grouping = [], "broad"
    if not frames:
        grouping = "broad"
        for group in broad:
            low, high = int(group.attrs["lower"]), group.attrs.get("upper")
            members = [c.code for c in age_groups("five_year") if c.code in present
                       and int(c.attrs["lower"]) >= low and (high is None or int(c.attrs["lower"]) <= int(high))]
            if group.code in present:
                members.append(group.code)
            if not members:
                continue
            for birth, filters in domains.items():
                cells = crosstab_cells(wh, ds, ["sex"], areas, span, {**filters, "age_group": members, "sex": sexes})
                frames.append(cells.with_columns(pl.lit(birth).alias("birth"), pl.lit(group.code).alias("age_group")))
    if not frames:
        return None
    cells = pl.concat([f.select("birth", "age_group", "sex", "value", "n", "cv", "flag") for f in frames])
    return Pyramid(ds.id, str(span[0]), grouping, cells, releases_in(wh, ds, areas, span), design_of(ds))
