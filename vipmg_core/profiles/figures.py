"""A profile's headline figures: one number per indicator at the end of the period, with its change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import polars as pl

from vipmg_core import disclosure
from vipmg_core import rules as data_rules
from vipmg_core.datasets import dataset
from vipmg_core.profiles.gate import hidden_by_crosstab
from vipmg_core.profiles.periods import Period, month_of, within, year_of
from vipmg_core.profiles.series import Series
from vipmg_core.profiles.sources import Source, release_sources
from vipmg_core.quality import SUPPRESSED
from vipmg_core.warehouse import Warehouse


@dataclass(frozen=True)
class Figure:
    key: str
    dataset_id: str
    unit: str  # what is counted: "events" or "persons"
    period: str  # "2024", "2024-01/2024-06", "2022"
    value: float | None
    previous_period: str | None = None
    previous_value: float | None = None
    sources: tuple[Source, ...] = ()
    percent: bool = False  # the value is a percentage (of persons)
    flag: str | None = None  # survey / census reliability (reliable, caution, suppressed)
    cv: float | None = None
    n: int | None = None
    areas: tuple[str, ...] = ()  # the countries whose rows make the figure
    mark: str | None = None  # rules.REDACTED (every part hidden by its publisher), rules.LOWER_BOUND (some were)
    previous_mark: str | None = None  # the same of the figure compared with

    @property
    def synthetic(self) -> bool:
        return any(s.synthetic for s in self.sources)

    @property
    def change(self) -> float | None:
        """The change on the previous figure; None where either is not exact (a lower bound has no change)."""
        if self.value is None or not self.previous_value or self.mark or self.previous_mark:
            return None
        return self.value / self.previous_value - 1

    @property
    def counts_events(self) -> bool:
        return self.unit == "events"


def figure_from(wh: Warehouse, s: Series, period: Period, areas: Sequence[str] | None = None) -> Figure | None:
    """The figure at the end of `period` for `areas` (all areas of the series when None), summed over them."""
    ds = s.dataset
    frame = s.frame if areas is None else s.frame.filter(pl.col("area").is_in(list(areas)))
    rows = [r for r in frame.iter_rows(named=True) if (r["value"] is not None or r["redacted"])
            and within(ds, r["period"], period.bound())]
    if not rows:
        return None
    monthly = ds.time_format == "month"
    unit = ds.unit

    def total(chosen: list[dict]) -> tuple[float | None, set[str], tuple[str, ...], str | None]:
        mark = data_rules.mark_of(sum(r["rows"] for r in chosen), sum(r["redacted"] for r in chosen))
        value = None if mark == data_rules.REDACTED else float(sum(r["value"] or 0 for r in chosen))
        parts = _area_sums(chosen)
        if value is not None and len(parts) > 1 and not disclosure.sum_shown(ds, parts.values()):
            value, mark = None, None  # an area's own figure is hidden: the sum would give it away
        if value is not None and set(parts) & hidden_by_crosstab(wh, s, (r["period"] for r in chosen)):
            value, mark = None, None  # the cross-tab of the same cells hides it (a complement, say)
        return value, {rid for r in chosen for rid in r["releases"]}, tuple(sorted(parts)), mark

    if data_rules.is_stock(ds):  # a stock: each area at its latest date, compared with its date before
        now, then = stock_dates(rows)
        value, releases, used, mark = total(now)
        before, before_mark = total(then)[::3] if then else (None, None)
        return _confidential(Figure(s.spec.key, ds.id, unit, _dates_label(now), value,
                                    _dates_label(then) if then else None, before,
                                    release_sources(wh, ds.id, releases), areas=used, mark=mark, previous_mark=before_mark))
    year = max(year_of(r["period"]) for r in rows)
    last = max(month_of(r["period"]) for r in rows if year_of(r["period"]) == year) if monthly else 12
    current = [r for r in rows if year_of(r["period"]) == year and month_of(r["period"]) <= last]
    earlier = [r for r in rows if year_of(r["period"]) == year - 1 and month_of(r["period"]) <= last]
    value, releases, used, mark = total(current)
    label = str(year) if last == 12 else f"{year}-01/{year}-{last:02d}"
    previous_label, before, before_mark = None, None, None
    months_now = {month_of(r["period"]) for r in current}
    if earlier and {month_of(r["period"]) for r in earlier} >= months_now:  # like with like, month for month
        previous_label = str(year - 1) if last == 12 else f"{year - 1}-01/{year - 1}-{last:02d}"
        before, before_mark = total(earlier)[::3]
    return _confidential(Figure(s.spec.key, ds.id, unit, label, value, previous_label, before,
                                release_sources(wh, ds.id, releases), areas=used, mark=mark, previous_mark=before_mark))


def _area_sums(rows: list[dict]) -> dict[str, float]:
    sums: dict[str, float] = {}
    for r in rows:
        sums[r["area"]] = sums.get(r["area"], 0.0) + (r["value"] or 0)
    return sums


def stock_dates(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """A stock's rows (area, period, ...) at each area's latest period, and at each area's period before it
    (empty unless every area has one: a comparison is like with like). Stocks never add up over periods."""
    by_area: dict[str, list[dict]] = {}
    for r in rows:
        by_area.setdefault(r["area"], []).append(r)
    now, then = [], []
    for items in by_area.values():
        dates = sorted({r["period"] for r in items})
        now += [r for r in items if r["period"] == dates[-1]]
        if len(dates) > 1:
            then += [r for r in items if r["period"] == dates[-2]]
    if {r["area"] for r in then} != {r["area"] for r in now}:
        then = []
    return now, then


def _dates_label(rows: list[dict]) -> str:
    """The period of a stock figure: one date, or the first and last of the areas' dates ("2015/2024")."""
    dates = sorted({r["period"] for r in rows})
    return dates[0] if len(dates) == 1 else f"{dates[0]}/{dates[-1]}"


def _confidential(fig: Figure) -> Figure:
    """A figure (or the one it is compared with) that the one disclosure gate hides (`disclosure.shown`: an
    administrative count under the small-count rule) is hidden; the trend point of the same year passes through
    the same gate (`yearly`), so the two never disagree."""
    ds = dataset(fig.dataset_id)
    if fig.value is None and fig.mark is None:  # hidden while summing (a part the cross-tab or a rule hides)
        return replace(fig, previous_value=None, flag=SUPPRESSED, previous_mark=None)
    if fig.value is not None and disclosure.shown(ds, fig.value) is None:
        return replace(fig, value=None, previous_value=None, flag=SUPPRESSED, mark=None, previous_mark=None)
    if fig.previous_value is not None and disclosure.shown(ds, fig.previous_value) is None:
        return replace(fig, previous_value=None)
    return fig
