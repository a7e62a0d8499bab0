"""What the cross-tab of the same cells hides: a profile's figure or trend point never shows it."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from vipmg_core import crosstab as xt
from vipmg_core import disclosure
from vipmg_core.profiles.periods import year_of
from vipmg_core.profiles.series import Series
from vipmg_core.quality import CONF_FREE, rules
from vipmg_core.warehouse import Warehouse


def hidden_by_crosstab(wh: Warehouse, s: Series, periods: Iterable[str]) -> frozenset[str]:
    """The areas whose figure the cross-tab of the same cells hides: rows = the area, the figure's own filters,
    these periods, every area (the table a user gets for "this figure by country"). A figure (or a sum over
    areas) with one of them in it is hidden, so a profile never shows a cell that cross-tab hides as a
    complement (the cross-tab's total, less the other countries' profiles, would then give its small count).
    Figures published by others (no disclosure rule) hide nothing. One table per figure and periods serves
    every area's profile (remembered until the catalogue changes)."""
    ds = s.dataset
    read = tuple(sorted(set(periods)))
    if disclosure.kind(ds) is None or not read or s.spec.rules:  # a row rule no cross-tab expresses
        return frozenset()
    area = s.spec.area_of(ds)

    def compute() -> frozenset[str]:
        filters = {column: list(codes) for column, codes in s.spec.filters}
        filters[ds.time_column] = list(read)
        cells = xt.compute(xt.make_query(ds.id, [area], filters=filters, totals=False), wh).cells
        return frozenset(cells.filter(pl.col("conf") != CONF_FREE)[area].to_list()) | _hidden_over_time(
            wh, s, area, read)

    return wh.remembered(("crosstab_gate", s.spec.key, ds.id, read, wh.prefer, rules()), compute)


def _hidden_over_time(wh: Warehouse, s: Series, area: str, read: tuple[str, ...]) -> frozenset[str]:
    """The areas whose figure over `read` the cross-tab of the same cells over time hides: rows = the area, columns
    = the period, the figure's filters, every area; for monthly data the whole years of `read` (the months of a
    year beside their total), for yearly data every year (the page's default). That table protects its small
    cells with complements of its own (a year's total, another year), so a figure it hides must not be shown
    either (demo: unaccompanied returns, the yearly points of 2021 and 2023). A figure is shown where each of its
    periods is shown, or, for events read over the table's every period, where the area's total is."""
    ds = s.dataset
    monthly = ds.time_format == "month"
    years = (min(year_of(p) for p in read), max(year_of(p) for p in read)) if monthly else wh.year_bounds()
    filters = {column: list(codes) for column, codes in s.spec.filters}
    cells = xt.compute(xt.make_query(ds.id, [area], [ds.time_column], filters=filters, years=years, totals=True),
                       wh).cells
    return disclosure.hidden_over_periods(cells, area, ds.time_column, read, ds.counts_events)
