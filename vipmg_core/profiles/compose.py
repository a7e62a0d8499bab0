"""The whole profile of an area: its figures, trends and sections, computed once per state of the data."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from vipmg_core import flows as fl
from vipmg_core.datasets import dataset
from vipmg_core.indicators import Indicator, indicators
from vipmg_core.kept import Kept
from vipmg_core.profiles.areas import Area, area
from vipmg_core.profiles.breakdowns import Breakdown, permits_breakdown
from vipmg_core.profiles.estimates import immigrant_share
from vipmg_core.profiles.figures import Figure, figure_from
from vipmg_core.profiles.living_conditions import Conditions, conditions
from vipmg_core.profiles.periods import DEFAULT_POOL, LATEST, Period
from vipmg_core.profiles.population_pyramid import Pyramid, pyramid
from vipmg_core.profiles.series import series
from vipmg_core.profiles.sources import Source
from vipmg_core.profiles.stock_flows import MAP_TOP, stock_flow_sources, stock_flows
from vipmg_core.profiles.trends import yearly
from vipmg_core.warehouse import Warehouse


@dataclass(frozen=True)
class Profile:
    area: Area
    period: Period
    figures: tuple[Figure, ...]
    trends: pl.DataFrame  # key, dataset_id, unit, year, value, partial, months, mark, hidden, synthetic
    permits: Breakdown | None = None
    pyramid: Pyramid | None = None
    conditions: Conditions | None = None
    origins: fl.FlowResult | None = None
    destinations: fl.FlowResult | None = None
    flow_map: fl.FlowResult | None = None
    flow_sources: tuple[Source, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)  # message keys of notes on left-out figures

    def figure(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)

    def sparkline(self, key: str) -> list[float] | None:
        """The figure's yearly values for a small line beside it; None when too short, or a year is hidden or
        only a lower bound (a line would present it as exact)."""
        points = self.trends.filter(pl.col("key") == key)
        values = points["value"].to_list()
        return values if len(values) > 2 and None not in values and points["mark"].null_count() == len(values) \
            else None

    @property
    def sources(self) -> tuple[Source, ...]:
        found: dict[str, Source] = {}
        parts = [*(f.sources for f in self.figures), self.flow_sources]
        for part in (self.permits, self.pyramid, self.conditions):
            if part is not None:
                parts.append(part.sources)
        for group in parts:
            for source in group:
                found.setdefault(source.release_id, source)
        return tuple(sorted(found.values(), key=lambda s: (dataset(s.dataset_id).order, s.dataset_id, s.publisher)))

    @property
    def synthetic(self) -> bool:
        return any(s.synthetic for s in self.sources)

    @property
    def flows_synthetic(self) -> bool:
        return any(s.synthetic for s in self.flow_sources)

    @property
    def dataset_ids(self) -> list[str]:
        return list(dict.fromkeys(s.dataset_id for s in self.sources))


_KEPT: Kept[Profile] = Kept(64)  # about 100 KB each


def kept_profile(wh: Warehouse, code: str, period: Period = LATEST, pool: int = DEFAULT_POOL) -> Profile:
    """`profile`, computed once per state of the warehouse and kept for every session (`vipmg_core.kept`): a
    profile depends on the published data, the area, the period and the pooling only (no language, no
    account); a new publication changes `wh.state_token()`, so nothing older is read again."""
    return _KEPT.get((str(wh.root), wh.state_token(), code, period, pool), lambda: profile(wh, code, period, pool))


def profile(wh: Warehouse, code: str, period: Period = LATEST, pool: int = DEFAULT_POOL) -> Profile:
    """Everything the profile page and the bulletin show for a country, a group or the region."""
    where = area(code)
    areas = list(where.countries)
    figures, trends, notes = _figures(wh, where, period)
    columns = pl.Schema({
        "key": pl.String(), "dataset_id": pl.String(), "unit": pl.String(), "year": pl.Int32(), "value": pl.Float64(),
        "partial": pl.Boolean(), "months": pl.Int32(), "mark": pl.String(), "hidden": pl.String(),
        "synthetic": pl.Boolean()})
    trend_frame = (pl.concat([f.select(list(columns)).cast(columns) for f in trends]) if trends
                   else pl.DataFrame(schema=columns))
    origins = stock_flows(wh, areas, "in", period)
    destinations = stock_flows(wh, areas, "out", period)
    flow_map = stock_flows(wh, areas, "both", period, top=MAP_TOP)
    flow_sources = stock_flow_sources(wh, flow_map, areas) if flow_map is not None else ()
    return Profile(
        area=where, period=period, figures=tuple(figures), trends=trend_frame,
        permits=permits_breakdown(wh, areas, period),
        pyramid=pyramid(wh, areas, period), conditions=conditions(wh, areas, period, pool),
        origins=origins, destinations=destinations, flow_map=flow_map, flow_sources=flow_sources,
        notes=tuple(notes),
    )


def _figures(wh: Warehouse, where: Area, period: Period) -> tuple[list[Figure], list[pl.DataFrame], list[str]]:
    """The profile's indicators in their declared order (one declared `after` another right after its figure,
    or last where that one has none), each figure's yearly trend, and notes on those left out."""
    figures: list[Figure] = []
    trends: list[pl.DataFrame] = []
    notes: list[str] = []
    declared = indicators("profile")
    waiting = [ind for ind in declared if ind.after is not None]

    def read(ind: Indicator) -> bool:
        if not ind.additive and not where.is_country:
            notes.append(ind.key)  # one person may be counted in several countries: no regional total
            return False
        found, trend = _figure(wh, ind, list(where.countries), period)
        if found is None:
            return False
        figures.append(found)
        if trend is not None:
            trends.append(trend)
        return True

    for ind in declared:
        if ind.after is None and read(ind):
            for follower in [w for w in waiting if w.after == ind.key]:
                waiting.remove(follower)
                read(follower)
    for follower in waiting:
        read(follower)
    return figures, trends, notes


def _figure(wh: Warehouse, ind: Indicator, areas: list[str], period: Period
            ) -> tuple[Figure | None, pl.DataFrame | None]:
    """One indicator's figure and its trend (key, dataset_id, unit, year, value, ...; none for an estimate)."""
    if ind.is_estimate:
        return immigrant_share(wh, areas, period), None
    s = series(wh, ind, areas)
    found = figure_from(wh, s, period) if s is not None else None
    if s is None or found is None:
        return None, None
    trend = yearly(s, period, wh=wh)
    if not trend.height:
        return found, None
    return found, trend.with_columns(pl.lit(ind.key).alias("key"), pl.lit(s.dataset_id).alias("dataset_id"),
                                     pl.lit(s.dataset.unit).alias("unit"), pl.lit(s.synthetic(wh)).alias("synthetic"))
