"""Headline figures for the home page: one number per indicator Home shows (`standard/indicators.toml`,
surface "home"), for the chosen countries, years and sources.

Every figure is read as the Country profile reads it, by the same rules (`profiles.series` and `figure_from`):
events add up over the latest year (a `_T` row only where no detail stands for it), a stock (the immigrant
stock: persons whose origin differs from where they live) is each country at its latest date in the range, a
figure with parts hidden by their publisher is a lower bound, and the small-count rule hides what it hides
everywhere. So Home and the profile never disagree. A headline is read from the first of its indicator's
datasets, among the sources chosen in the sidebar, that has data.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from vipmg_core import profiles, rules
from vipmg_core.i18n import fmt_number, t
from vipmg_core.indicators import Indicator, indicator, indicators
from vipmg_core.warehouse import Warehouse


@dataclass(frozen=True)
class Headline:
    key: str
    dataset_id: str
    unit: str
    year: str
    value: float | None  # None: hidden by the disclosure rules
    previous_year: str | None
    previous_value: float | None
    synthetic: bool
    mark: str | None = None  # rules.LOWER_BOUND / rules.REDACTED: parts hidden by their publisher
    previous_mark: str | None = None

    def label(self, lang: str) -> str:
        """The indicator's name on Home, as its declaration says."""
        return t(str(indicator(self.key).headline), lang)

    @property
    def change(self) -> float | None:
        if not self.previous_value or self.value is None or self.mark or self.previous_mark:
            return None
        return self.value / self.previous_value - 1

    def value_text(self, lang: str) -> str:
        """The number as shown: "≥ 1,234" where the publisher hid some parts, its symbol where it hid all."""
        if self.value is None:
            return rules.REDACTED_SYMBOL
        return rules.marked(fmt_number(self.value, lang), self.mark)


def headline_figures(
    wh: Warehouse,
    countries: list[str],
    years: tuple[int, int],
    dataset_ids: list[str] | None = None,
) -> list[Headline]:
    """For each source: the total in the latest year within `years` that has data, and the year before it.

    For monthly data whose latest year is incomplete, both years cover the same months (January to the last
    month published), so the change compares like with like; the period then reads e.g. 2024-01/2024-06.
    """
    found = []
    for ind in indicators("home"):
        chosen = _chosen(ind, dataset_ids)
        if chosen is None:
            continue
        fig = _figure(wh, chosen, countries, years)
        if fig is not None and (fig.value is not None or fig.mark == rules.REDACTED):
            found.append(Headline(ind.key, fig.dataset_id, fig.unit, fig.period, fig.value, fig.previous_period,
                                  fig.previous_value, fig.synthetic, fig.mark, fig.previous_mark))
    return found


def _chosen(ind: Indicator, dataset_ids: list[str] | None) -> Indicator | None:
    """The indicator read only from the sources chosen (None: every source); None where none of its is."""
    if dataset_ids is None:
        return ind
    kept = tuple(d for d in ind.datasets if d in dataset_ids)
    return replace(ind, datasets=kept) if kept else None


def _series(wh: Warehouse, ind: Indicator, countries: list[str], years: tuple[int, int]) -> profiles.Series | None:
    """The profile's series of an indicator for `countries`, from the first year of `years` on."""
    found = profiles.series(wh, ind, countries)
    if found is None:
        return None
    return replace(found, frame=found.frame.filter(pl.col("period").str.slice(0, 4).cast(pl.Int32) >= years[0]))


def _figure(wh: Warehouse, ind: Indicator, countries: list[str], years: tuple[int, int],
            areas: list[str] | None = None) -> profiles.Figure | None:
    found = _series(wh, ind, countries, years)
    if found is None:
        return None
    return profiles.figure_from(wh, found, profiles.Period(years[0], years[1]), areas)


def immigrant_stock_by_country(wh: Warehouse, countries: list[str], years: tuple[int, int]) -> tuple[str | None, dict[str, float]]:
    """Persons living in each country whose origin is elsewhere, at its latest date within `years` (the
    Country profile's immigrant stock); the period is one date, or the first and last of the countries'."""
    mapped = indicators("home_map")
    found = _series(wh, mapped[0], countries, years) if mapped else None
    if found is None:
        return None, {}
    values, dates = {}, set()
    for iso3 in countries:
        fig = profiles.figure_from(wh, found, profiles.Period(years[0], years[1]), [iso3])
        if fig is not None and fig.value is not None:
            values[iso3] = fig.value
            dates |= set(fig.period.split("/"))
    if not values:
        return None, {}
    first, last = min(dates), max(dates)
    return (first if first == last else f"{first}/{last}"), values
