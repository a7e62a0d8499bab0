"""Headline figures for the home page: one number per source, for the chosen countries and years.

Events add up over the latest year; a stock (the immigrant stock) is read as the Country profile reads it, by
the same rule (`profiles.series` and `figure_from`: persons whose origin differs from where they live, each
country at its latest date in the range), so Home and the profile never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from vipmg_core import disclosure, profiles, rules
from vipmg_core.datasets import dataset
from vipmg_core.warehouse import Warehouse, _q


@dataclass(frozen=True)
class HeadlineSpec:
    key: str  # message key of the label, `headline.<key>`
    dataset_id: str
    where: tuple[tuple[str, str], ...] = ()


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

    @property
    def change(self) -> float | None:
        if not self.previous_value or self.value is None:
            return None
        return self.value / self.previous_value - 1


# Aggregates with a summable count. Microdata headlines need reliability flags and come with the cross-tab.
HEADLINES: tuple[HeadlineSpec, ...] = (
    HeadlineSpec("immigrant_stock", "migrant_stock"),
    HeadlineSpec("arrivals", "arrivals_departures", (("flow", "ARR"),)),
    HeadlineSpec("permits", "residence_permits"),
    HeadlineSpec("returns", "returns"),
    HeadlineSpec("transits", "irregular_transit"),
)


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
    for spec in HEADLINES:
        if dataset_ids is not None and spec.dataset_id not in dataset_ids:
            continue
        ds = dataset(spec.dataset_id)
        if rules.is_stock(ds):
            fig = _stock_figure(wh, spec.key, countries, years)
            if fig is not None and fig.value is not None:
                found.append(Headline(spec.key, fig.dataset_id, fig.unit, fig.period, fig.value,
                                      fig.previous_period, fig.previous_value, fig.synthetic))
            continue
        period = f"CAST({_q(ds.time_column)} AS VARCHAR)"
        clauses = [f"{_q(ds.area_column)} IN (SELECT UNNEST($countries))",
                   f"CAST(SUBSTR({period}, 1, 4) AS INTEGER) BETWEEN $first AND $last"]
        params: dict = {"countries": countries, "first": years[0], "last": years[1]}
        for i, (column, value) in enumerate(spec.where):
            clauses.append(f"{_q(ds.column(column).name)} = $w{i}")
            params[f"w{i}"] = value
        monthly = ds.time_format == "month"
        # The last month published in the latest year (12 for yearly data) bounds both years compared.
        month = "CAST(SUBSTR(p, 6, 2) AS INTEGER)" if monthly else "12"
        totals = wh.query(
            ds.id,
            f"WITH chosen AS (SELECT {period} AS p, {_q(ds.measure.name)} AS v FROM data"
            f" WHERE {' AND '.join(clauses)}),"
            f" latest AS (SELECT MAX(SUBSTR(p, 1, 4)) AS y FROM chosen),"
            f" last_month AS (SELECT MAX({month}) AS m FROM chosen, latest WHERE SUBSTR(p, 1, 4) = latest.y)"
            f" SELECT SUBSTR(p, 1, 4) AS year, CAST(SUM(v) AS DOUBLE) AS value, ANY_VALUE(last_month.m) AS m"
            f" FROM chosen, latest, last_month"
            f" WHERE CAST(SUBSTR(p, 1, 4) AS INTEGER) >= CAST(latest.y AS INTEGER) - 1 AND {month} <= last_month.m"
            f" GROUP BY ALL ORDER BY year DESC",
            params,
        ).rows()
        if not totals:
            continue
        (year, value, last_month), previous = totals[0], (None, None)
        if len(totals) > 1 and int(totals[1][0]) == int(year) - 1:
            previous = totals[1][:2]
        label = year if not monthly or last_month == 12 else f"{year}-01/{year}-{last_month:02d}"
        # The same disclosure rules as every other surface: a figure under the threshold is not shown.
        value, before = disclosure.shown(ds, value), disclosure.shown(ds, previous[1])
        found.append(Headline(spec.key, ds.id, ds.unit, label, value, previous[0], before,
                              wh.has_synthetic([ds.id])))
    return found


def _stock_series(wh: Warehouse, key: str, countries: list[str], years: tuple[int, int]) -> profiles.Series | None:
    """The profile's series of a stock figure for `countries`, from the first year of `years` on."""
    found = profiles.series(wh, profiles.figure_spec(key), countries)
    if found is None:
        return None
    return replace(found, frame=found.frame.filter(pl.col("period").str.slice(0, 4).cast(pl.Int32) >= years[0]))


def _stock_figure(wh: Warehouse, key: str, countries: list[str], years: tuple[int, int],
                  areas: list[str] | None = None) -> profiles.Figure | None:
    found = _stock_series(wh, key, countries, years)
    if found is None:
        return None
    return profiles.figure_from(wh, found, profiles.Period(years[0], years[1]), areas)


def immigrant_stock_by_country(wh: Warehouse, countries: list[str], years: tuple[int, int]) -> tuple[str | None, dict[str, float]]:
    """Persons living in each country whose origin is elsewhere, at its latest date within `years` (the
    Country profile's immigrant stock); the period is one date, or the first and last of the countries'."""
    found = _stock_series(wh, "immigrant_stock", countries, years)
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
