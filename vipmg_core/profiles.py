"""Country profiles: the main facts of a country (or of the region) at a glance, each figure with its period,
source, unit (events or persons) and whether it comes from demo data.

The same call serves the Profile page, the bulletins, the comparison and a notebook::

    from vipmg_core.profiles import profile, parse_period
    p = profile(wh, "CRI", parse_period("2024"))
    p.figure("arrivals").value, p.figure("arrivals").change, p.figure("arrivals").period
    p.trends            # one row per figure and year (events add up over a year; stocks are read at a date)
    p.pyramid.cells     # native- and foreign-born by age and sex, weighted, with n, CV and reliability flag
    p.conditions.cells  # labour status, education, remittances: shares of each group, with quality flags
    p.origins.flows     # top countries of birth of immigrants (vipmg_core.flows)

- Headline figures are sums of published aggregates, one SQL per figure over the warehouse. Events (crossings,
  permits, returns) add up over time: a figure is the latest year's total and its change on the year before,
  over the same months when the latest year is incomplete. Stocks (persons at a date) are read at their latest
  date and compared with the previous one published.
- A `_T` (total) row is used only where no row with the same other codes and period has detail in that column
  (`rules.total_stands_in`, the partition publication uses), so a total is never added to its own parts and a
  total of one nationality is never dropped for the detail of another.
- Every figure and every trend point passes through the one disclosure gate (`disclosure.shown`): a hidden
  point is a gap that says why (`trend_notes`). A figure or point with parts its publisher hid (UNHCR's `*`)
  is marked as `rules.redaction_mark` marks cross-tab cells: "≥ 1,234" (a lower bound), or the redaction
  symbol where every part was hidden, never 0.
- Survey and census figures (share of foreign-born, pyramid, conditions) come from the cross-tab engine
  (`vipmg_core.crosstab`): weighted, with unweighted n, CV and the publication flags of `standard/quality.toml`.
- "Demo" is decided per country: a figure is demo data when one of the releases its rows come from is synthetic
  (`Warehouse.query(..., with_release=True)`), so a country whose real data replaced the demo says so.
- Countries come from the codelist and the data: `area_codes` lists the project countries, any other country
  with published data, the country groups of `standard/project.toml` and the whole region.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd
import polars as pl

from vipmg_core import crosstab as xt
from vipmg_core import disclosure
from vipmg_core import flows as fl
from vipmg_core import rules as data_rules
from vipmg_core.codelists import codelist, country_groups, country_name, project_countries
from vipmg_core.datasets import Dataset, dataset, dataset_ids
from vipmg_core.i18n import TranslatedError, fmt_change, fmt_number, fmt_percent, t
from vipmg_core.kept import Kept
from vipmg_core.quality import CONF_FREE, SUPPRESSED, estimate_flag, rules
from vipmg_core.warehouse import Release, Warehouse, _q

REGION = "REGION"  # every project country together
TOTAL = data_rules.TOTAL
NATIVE_CODES = ("NATIVE", "RETURNED")  # migrant_status codes of persons born in the country
FOREIGN_CODES = ("FOREIGN_BORN",)
BIRTH_COLUMN = "country_of_birth"
STATUS_CODELIST = "migrant_status"
TREND_YEARS = 10  # how far back the trends go when the period does not say
DEFAULT_POOL = 3  # survey years pooled for the migrants-versus-natives comparison (small samples)
POOLS = (1, 2, 3, 5)  # the pooling choices the Profile page offers (and its links may carry)
TOP = 10
MAP_TOP = 15
FLOW_DATASET = "migrant_stock"


class ProfileError(TranslatedError):
    """A request that cannot be answered; `message(lang)` says why in the user's language."""

    prefix = "profiles.error"


# --- what a profile is about: a country, a group of countries or the region -------------------------------

@dataclass(frozen=True)
class Area:
    code: str
    countries: tuple[str, ...]

    @property
    def is_country(self) -> bool:
        return self.countries == (self.code,)

    def name(self, lang: str) -> str:
        if self.code == REGION:
            return t("profiles.region", lang)
        for group in country_groups():
            if group.id == self.code:
                return group.name(lang)
        return country_name(self.code, lang)


def area(code: str) -> Area:
    """A country (ISO3), a country group of project.toml (MESOAMERICA) or REGION (every project country)."""
    code = (code or "").strip().upper()
    if code == REGION:
        return Area(REGION, tuple(project_countries()))
    for group in country_groups():
        if group.id == code:
            return Area(group.id, group.countries)
    if code in codelist("country") and not code.startswith("_") and code != "OOO":
        return Area(code, (code,))
    raise ProfileError("area", code=code or "–")


def countries_with_data(wh: Warehouse) -> list[str]:
    """Every country some dataset publishes figures for (its reporting area), in no particular order."""
    found: set[str] = set()
    for dataset_id in sorted({r.dataset_id for r in wh.releases()}):
        ds = dataset(dataset_id)
        found |= set(wh.query(ds.id, f"SELECT DISTINCT {_q(ds.area_column)} AS a FROM data")["a"].drop_nulls())
    return sorted(found)


def area_codes(wh: Warehouse) -> list[str]:
    """What a profile can be made for: the project countries, then any other country with published data
    (adding a country is a data change), then the country groups and the whole region."""
    project = project_countries()
    places = codelist("country")
    others = [c for c in countries_with_data(wh) if c not in project and c in places and c != "OOO"]
    return project + others + [g.id for g in country_groups()] + [REGION]


# --- the period ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """The span a profile or bulletin covers: figures are read at its end, trends run over it.

    None everywhere is "the latest data"; `last_month` ends the last year at that month (a monthly routine:
    "2024-06" compares January-June 2024 with January-June 2023).
    """

    first_year: int | None = None
    last_year: int | None = None
    last_month: int | None = None

    def label(self) -> str:
        if self.last_year is None:
            return ""
        end = f"{self.last_year}-{self.last_month:02d}" if self.last_month else str(self.last_year)
        if self.first_year is not None and self.first_year != self.last_year:
            return f"{self.first_year}–{end}"
        return end

    def bound(self) -> tuple[int, int]:
        return (self.last_year or 9999, self.last_month or 12)

    def text(self, lang: str) -> str:
        """For people: '2024', 'ene.–jun. 2024', '2020–2024'."""
        if self.last_year is None:
            return ""
        end = str(self.last_year)
        if self.last_month:
            end = period_text(f"{self.last_year}-01/{self.last_year}-{self.last_month:02d}", lang)
        if self.first_year is not None and self.first_year != self.last_year:
            return f"{self.first_year}–{end}"
        return end


def parse_period(text: str | None) -> Period:
    """'' or 'latest'; '2024'; '2024-06' (January to June 2024); '2020-2024' or '2020/2024' (a range)."""
    raw = (text or "").strip().lower()
    if raw in ("", "latest", "ultimo", "último"):
        return Period()
    if m := re.fullmatch(r"(\d{4})", raw):
        return Period(None, int(m[1]))
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", raw):
        if 1 <= int(m[2]) <= 12:
            return Period(None, int(m[1]), int(m[2]))
    if m := re.fullmatch(r"(\d{4})\s*[-/–]\s*(\d{4})", raw):
        first, last = int(m[1]), int(m[2])
        if first <= last:
            return Period(first, last)
    raise ProfileError("period", period=text)


def period_for_years(years: tuple[int, int], bounds: tuple[int, int]) -> Period:
    """The sidebar's year range as the Profile page reads it (and a saved profile link with it): figures at the
    range's end; a range starting at the first year with data means "the latest trends", not a fixed start."""
    return Period(None if years[0] <= bounds[0] else years[0], years[1])


def parse_pool(raw: str) -> int | None:
    """A link's pooled survey years, if the Profile page offers that choice."""
    return int(raw) if raw.isdigit() and int(raw) in POOLS else None


def period_text(label: str, lang: str) -> str:
    """'2024-01/2024-06' as 'ene.–jun. 2024' / 'Jan–Jun 2024'; other labels as they are."""
    m = re.fullmatch(r"(\d{4})-(\d{2})/(\d{4})-(\d{2})", label or "")
    if not m or m[1] != m[3]:
        return label
    first, last = t(f"profiles.month.m{m[2]}", lang), t(f"profiles.month.m{m[4]}", lang)
    return f"{first}–{last} {m[1]}" if first != last else f"{first} {m[1]}"


# --- headline figures ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FigureSpec:
    key: str  # profiles.figure.<key> (label), profiles.subject.<key> (in sentences)
    dataset_ids: tuple[str, ...]  # the first with data for the area is used
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    area_column: str | None = None  # default: the dataset's reporting area
    differ: tuple[str, str] | None = None  # two columns that must differ (a person living where born is no migrant)
    plural: bool = True  # grammatical number of the subject, the same in Spanish and English
    additive: bool = True  # False: one person may be counted in several countries, so no regional sum


FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("immigrant_stock", ("migrant_stock_total", "migrant_stock"), differ=("origin", "destination"),
               plural=False),
    FigureSpec("emigrant_stock", ("migrant_stock",), area_column="origin", differ=("origin", "destination"),
               plural=False),
    FigureSpec("arrivals", ("arrivals_departures",), (("flow", ("ARR",)),)),
    FigureSpec("departures", ("arrivals_departures",), (("flow", ("DEP",)),)),
    FigureSpec("permits", ("residence_permits",)),
    FigureSpec("returns", ("returns",)),
    FigureSpec("returns_unaccompanied", ("returns",), (("minor_status", ("UNACCOMPANIED",)),)),
    FigureSpec("transits", ("irregular_transit",), additive=False),
    FigureSpec("encounters", ("encounters",), additive=False),
    FigureSpec("refugees", ("refugees",), (("population_type", ("REF", "ASY")),)),
)
SHARE_KEY = "immigrant_share"
FIGURE_KEYS = tuple(s.key for s in FIGURES[:1]) + (SHARE_KEY,) + tuple(s.key for s in FIGURES[1:])


def figure_spec(key: str) -> FigureSpec:
    for spec in FIGURES:
        if spec.key == key:
            return spec
    raise KeyError(key)


@dataclass(frozen=True)
class Source:
    """One release behind a figure: who published it, which edition, and whether it is synthetic."""

    dataset_id: str
    release_id: str
    publisher: str
    edition: str
    synthetic: bool


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


def _known(dataset_id: str) -> Dataset | None:
    return dataset(dataset_id) if dataset_id in dataset_ids() else None


def _release_map(wh: Warehouse, dataset_id: str) -> dict[str, Release]:
    return {r.release_id: r for r in wh.releases(dataset_id)}


def _sources(wh: Warehouse, dataset_id: str, release_ids: Iterable[str]) -> tuple[Source, ...]:
    known = _release_map(wh, dataset_id)
    out = []
    for rid in sorted(set(release_ids)):
        r = known.get(rid)
        if r is not None:
            out.append(Source(dataset_id, rid, r.publisher, r.edition or "", r.synthetic))
    return tuple(out)


def _series_sql(ds: Dataset, spec: FigureSpec) -> tuple[str, dict]:
    """Per area and period: the summed measure and the releases the rows come from."""
    area_col = spec.area_column or ds.area_column
    time = _q(ds.time_column)
    clauses = [f"{_q(area_col)} IN (SELECT UNNEST($areas))"]
    params: dict = {}
    filtered = {area_col, ds.area_column, ds.time_column}
    for i, (column, codes) in enumerate(spec.where):
        clauses.append(f"{_q(ds.column(column).name)} IN (SELECT UNNEST($w{i}))")
        params[f"w{i}"] = list(codes)
        filtered.add(column)
    if spec.differ and all(c in ds.column_names for c in spec.differ):
        clauses.append(f"{_q(spec.differ[0])} IS DISTINCT FROM {_q(spec.differ[1])}")
    # A `_T` row stands for its parts only where no row with the same other codes and period has detail in
    # that column: the partition publication uses (`rules.total_stands_in`).
    totals = data_rules.total_columns(ds, exclude=filtered)
    detail, keep = data_rules.total_stands_in(ds, totals)
    sql = (f"WITH base AS (SELECT *{''.join(', ' + d for d in detail)} FROM data WHERE {' AND '.join(clauses)})"
           f" SELECT {_q(area_col)} AS area, CAST({time} AS VARCHAR) AS period,"
           f" SUM(CAST({_q(ds.measure.name)} AS DOUBLE)) AS value,"
           f" COUNT(*) AS rows, COUNT(*) - COUNT({_q(ds.measure.name)}) AS redacted,"
           f" LIST(DISTINCT release_id ORDER BY release_id) AS releases"
           f" FROM base{' WHERE ' + ' AND '.join(keep) if keep else ''}"
           f" GROUP BY ALL ORDER BY area, period")
    return sql, params


@dataclass(frozen=True)
class Series:
    """One figure's values per area and period, over every period the dataset publishes for the area: a period
    published with no matching row is a true zero (the standard leaves zero cells out), while a period that is
    not published at all is absent, so an incomplete year is told by its months, not by its zeros."""

    spec: FigureSpec
    dataset_id: str
    frame: pl.DataFrame  # area, period, value (None where every value was hidden by its publisher), rows (published
    # values summed), redacted (of them, values the publisher hid: `rules.redaction_mark`), releases

    @property
    def dataset(self) -> Dataset:
        return dataset(self.dataset_id)

    def synthetic(self, wh: Warehouse) -> bool:
        """Whether any row of the series comes from a synthetic release."""
        ids = {rid for ids in self.frame["releases"] for rid in ids}
        return any(source.synthetic for source in _sources(wh, self.dataset_id, ids))


def series(wh: Warehouse, spec: FigureSpec, areas: Sequence[str]) -> Series | None:
    """The figure's values for `areas` from the first of its datasets that has any; None when none has.

    An area is part of the series only if some row matches the figure's filter: a dataset whose rows for the
    area never say (say) the minor status does not report unaccompanied minors as zero."""
    for dataset_id in spec.dataset_ids:
        ds = _known(dataset_id)
        if ds is None or ds.measure is None:
            continue
        area_col = spec.area_column or ds.area_column
        if area_col not in ds.column_names or any(column not in ds.column_names for column, _ in spec.where):
            continue
        sql, params = _series_sql(ds, spec)
        found = wh.query(ds.id, sql, {**params, "areas": list(areas)}, with_release=True)
        reports = pl.col("value").is_not_null() | (pl.col("redacted") > 0)
        if not found.filter(reports).height:
            continue
        coverage = wh.query(
            ds.id, f"SELECT {_q(area_col)} AS area, CAST({_q(ds.time_column)} AS VARCHAR) AS period,"
                   f" LIST(DISTINCT release_id ORDER BY release_id) AS releases FROM data"
                   f" WHERE {_q(area_col)} IN (SELECT UNNEST($areas)) GROUP BY ALL ORDER BY area, period",
            {"areas": list(areas)}, with_release=True)
        reported = found.filter(reports)["area"].unique().to_list()
        frame = (coverage.filter(pl.col("area").is_in(reported))
                 .join(found.select("area", "period", "value", "rows", "redacted", pl.lit(True).alias("_row")),
                       on=["area", "period"], how="left")
                 .with_columns(pl.when(pl.col("_row").is_null()).then(0.0).otherwise(pl.col("value")).alias("value"),
                               pl.col("rows").fill_null(0), pl.col("redacted").fill_null(0))
                 .select("area", "period", "value", "rows", "redacted", "releases"))
        return Series(spec, ds.id, frame)
    return None


def _year(period: str) -> int:
    return int(period[:4])


def _month(period: str) -> int:
    return int(period[5:7]) if len(period) >= 7 else 12


def _within(ds: Dataset, period: str, bound: tuple[int, int]) -> bool:
    """Whether a period of `ds` falls up to the bound: monthly data to the month, yearly data to the year."""
    if ds.time_format == "month":
        return (_year(period), _month(period)) <= bound
    return _year(period) <= bound[0]


def figure_from(wh: Warehouse, s: Series, period: Period, areas: Sequence[str] | None = None) -> Figure | None:
    """The figure at the end of `period` for `areas` (all areas of the series when None), summed over them."""
    ds = s.dataset
    frame = s.frame if areas is None else s.frame.filter(pl.col("area").is_in(list(areas)))
    rows = [r for r in frame.iter_rows(named=True) if (r["value"] is not None or r["redacted"])
            and _within(ds, r["period"], period.bound())]
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
                                    _sources(wh, ds.id, releases), areas=used, mark=mark, previous_mark=before_mark))
    year = max(_year(r["period"]) for r in rows)
    last = max(_month(r["period"]) for r in rows if _year(r["period"]) == year) if monthly else 12
    current = [r for r in rows if _year(r["period"]) == year and _month(r["period"]) <= last]
    earlier = [r for r in rows if _year(r["period"]) == year - 1 and _month(r["period"]) <= last]
    value, releases, used, mark = total(current)
    label = str(year) if last == 12 else f"{year}-01/{year}-{last:02d}"
    previous_label, before, before_mark = None, None, None
    months_now = {_month(r["period"]) for r in current}
    if earlier and {_month(r["period"]) for r in earlier} >= months_now:  # like with like, month for month
        previous_label = str(year - 1) if last == 12 else f"{year - 1}-01/{year - 1}-{last:02d}"
        before, before_mark = total(earlier)[::3]
    return _confidential(Figure(s.spec.key, ds.id, unit, label, value, previous_label, before,
                                _sources(wh, ds.id, releases), areas=used, mark=mark, previous_mark=before_mark))


def hidden_by_crosstab(wh: Warehouse, s: Series, periods: Iterable[str]) -> frozenset[str]:
    """The areas whose figure the cross-tab of the same cells hides: rows = the area, the figure's own filters,
    these periods, every area (the table a user gets for "this figure by country"). A figure (or a sum over
    areas) with one of them in it is hidden, so a profile never shows a cell that cross-tab hides as a
    complement (the cross-tab's total, less the other countries' profiles, would then give its small count).
    Figures published by others (no disclosure rule) hide nothing. One table per figure and periods serves
    every area's profile (remembered until the catalogue changes)."""
    ds = s.dataset
    read = tuple(sorted(set(periods)))
    if disclosure.kind(ds) is None or not read or s.spec.differ is not None:
        return frozenset()
    area = s.spec.area_column or ds.area_column

    def compute() -> frozenset[str]:
        filters = {column: list(codes) for column, codes in s.spec.where}
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
    years = (min(_year(p) for p in read), max(_year(p) for p in read)) if monthly else wh.year_bounds()
    filters = {column: list(codes) for column, codes in s.spec.where}
    cells = xt.compute(xt.make_query(ds.id, [area], [ds.time_column], filters=filters, years=years, totals=True),
                       wh).cells
    return disclosure.hidden_over_periods(cells, area, ds.time_column, read, ds.counts_events)


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


HIDDEN_SMALL = "small_count"  # a trend point hidden by the disclosure gate (`disclosure.shown`)


def yearly(s: Series, period: Period, areas: Sequence[str] | None = None, wh: Warehouse | None = None
           ) -> pl.DataFrame:
    """Year, value, whether the year is incomplete (fewer than 12 months published), its mark (`rules.
    redaction_mark`: every part or some parts hidden by their publisher) and why a point is a gap (`hidden`:
    HIDDEN_SMALL where the one disclosure gate hides it, the same gate as the headline figure's), within the
    period. A stock is read at each area's latest date of the year (stocks never add up over periods). With
    `wh`, a point the cross-tab of the same cells would hide is hidden too (`hidden_by_crosstab`)."""
    ds = s.dataset
    frame = s.frame if areas is None else s.frame.filter(pl.col("area").is_in(list(areas)))
    bound_year, bound_month = period.bound()
    first = period.first_year if period.first_year is not None else None
    rows = frame.filter(pl.col("value").is_not_null() | (pl.col("redacted") > 0)).with_columns(
        pl.col("period").str.slice(0, 4).cast(pl.Int32).alias("year"),
        (pl.col("period").str.slice(5, 2).cast(pl.Int32, strict=False) if ds.time_format == "month"
         else pl.lit(12)).alias("month"))
    if ds.time_format != "month":
        bound_month = 12
    rows = rows.filter((pl.col("year") < bound_year) | ((pl.col("year") == bound_year)
                                                        & (pl.col("month") <= bound_month)))
    if first is not None:
        rows = rows.filter(pl.col("year") >= first)
    sums = [pl.col("value").sum(), pl.col("rows").sum(), pl.col("redacted").sum()]
    if not ds.counts_events:
        rows = rows.filter(pl.col("period") == pl.col("period").max().over("area", "year"))
    # Each area's own point of the year: a sum over areas is hidden where one of them is (disclosure.sum_shown).
    own = rows.group_by("year", "area").agg(pl.col("value").sum())
    parts_hidden = {year for (year,), group in own.group_by("year")
                    if not disclosure.sum_shown(ds, group["value"].to_list())} if own["area"].n_unique() > 1 else set()
    if wh is not None:
        for (year,), group in rows.group_by("year"):
            if set(group["area"].to_list()) & hidden_by_crosstab(wh, s, group["period"].to_list()):
                parts_hidden.add(year)
    if ds.counts_events:
        out = rows.group_by("year").agg(*sums, pl.col("month").n_unique().alias("months"))
        out = out.with_columns((pl.col("months") < 12 if ds.time_format == "month" else pl.lit(False))
                               .alias("partial"))
    else:
        out = rows.group_by("year").agg(*sums, pl.lit(12).alias("months"), pl.lit(False).alias("partial"))
    out = out.sort("year").with_columns(data_rules.redaction_mark(pl.col("rows"), pl.col("redacted")).alias("mark"))
    out = out.with_columns(pl.when(pl.col("mark") == data_rules.REDACTED).then(None).otherwise(pl.col("value"))
                           .alias("value"))
    gated = [disclosure.shown(ds, v) if v is not None and year not in parts_hidden else None
             for year, v in zip(out["year"].to_list(), out["value"].to_list())]
    hidden = [HIDDEN_SMALL if v is not None and g is None else None for v, g in zip(out["value"].to_list(), gated)]
    out = out.with_columns(pl.Series("value", gated, dtype=pl.Float64), pl.Series("hidden", hidden, dtype=pl.String))
    out = out.with_columns(pl.when(pl.col("hidden").is_not_null()).then(None).otherwise(pl.col("mark")).alias("mark"))
    if first is None and ds.counts_events and out.height:
        out = out.filter(pl.col("year") > out["year"].max() - TREND_YEARS)
    return out.select("year", "value", "partial", pl.col("months").cast(pl.Int32), "mark", "hidden")


def trend_notes(trends: pl.DataFrame, lang: str) -> list[str]:
    """What a trend chart or table must say about its points: gaps hidden by the small-count rule, values
    hidden by their publisher, lower bounds."""
    notes = []
    if trends.height and trends["hidden"].eq(HIDDEN_SMALL).any():
        notes.append(t("profiles.trend_hidden", lang, minimum=rules().admin_min_count))
    marks = set(trends["mark"].drop_nulls().to_list()) if trends.height else set()
    if data_rules.REDACTED in marks:
        notes.append(t("profiles.trend_redacted", lang, symbol=data_rules.REDACTED_SYMBOL))
    if data_rules.LOWER_BOUND in marks:
        notes.append(t("profiles.trend_lower_bound", lang, mark=data_rules.LOWER_BOUND_MARK))
    return notes


# --- survey and census estimates ---------------------------------------------------------------------------

def _domains(wh: Warehouse, ds: Dataset, areas: Sequence[str], years: tuple[int, int]
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
    year = f"TRY_CAST(SUBSTR(CAST({_q(ds.time_column)} AS VARCHAR), 1, 4) AS INTEGER)"
    frame = wh.query(ds.id, f"SELECT y FROM (SELECT DISTINCT {_q(ds.area_column)} AS a, {year} AS y FROM data"
                            f" WHERE {_q(ds.area_column)} IN (SELECT UNNEST($areas))) WHERE y <= $bound"
                            f" GROUP BY y HAVING COUNT(DISTINCT a) = $count ORDER BY y",
                     {"areas": list(areas), "bound": bound_year, "count": len(set(areas))})
    return frame["y"].to_list()


def _microdata_sources(wh: Warehouse, areas: Sequence[str], period: Period, needs: Sequence[str] = (),
                       census_first: bool = False) -> list[tuple[Dataset, list[int]]]:
    """The surveys and censuses that can tell native- from foreign-born for `areas` and have the columns
    needed, with the years every area has: the most recent first (census first on a tie: a bigger sample),
    or every census before any survey with `census_first` (the pyramid wants the largest sample)."""
    found = []
    for ds in (d for d in map(_known, dataset_ids()) if d is not None and d.is_microdata):
        if any(column not in ds.column_names for column in needs) or not wh.releases(ds.id):
            continue
        years = _common_years(wh, ds, areas, period.bound()[0])
        if years and _domains(wh, ds, areas, (years[-1], years[-1])) is not None:
            found.append((ds, years))
    def kind(item: tuple[Dataset, list[int]]) -> int:
        return 0 if item[0].psu is None else 1  # no design variables: a census sample

    if census_first:
        return sorted(found, key=lambda item: (kind(item), -item[1][-1]))
    return sorted(found, key=lambda item: (-item[1][-1], kind(item)))


def _crosstab(wh: Warehouse, ds: Dataset, rows: list[str], areas: Sequence[str], years: tuple[int, int],
              filters: dict[str, list[str]], percent: str | None = None, pool: bool = False) -> pl.DataFrame:
    """The detail cells (no totals) of one cross-tab: codes, value, n, cv, flag (`pool`: the years pooled)."""
    result = xt.crosstab(ds.id, rows, filters=filters, countries=list(areas), years=years, percent=percent,
                         pool=pool, warehouse=wh)
    cells = result.cells.filter(pl.col(xt.LEVEL_ROW) == len(rows))
    return cells.select(*rows, "value", "n", "cv", "flag")


def _releases_in(wh: Warehouse, ds: Dataset, areas: Sequence[str], years: tuple[int, int]) -> tuple[Source, ...]:
    year = f"TRY_CAST(SUBSTR(CAST({_q(ds.time_column)} AS VARCHAR), 1, 4) AS INTEGER)"
    ids = wh.query(ds.id, f"SELECT DISTINCT release_id FROM data WHERE {_q(ds.area_column)} IN"
                          f" (SELECT UNNEST($areas)) AND {year} BETWEEN $y0 AND $y1",
                   {"areas": list(areas), "y0": years[0], "y1": years[1]}, with_release=True)["release_id"]
    return _sources(wh, ds.id, ids)


def years_label(years: tuple[int, int]) -> str:
    return str(years[0]) if years[0] == years[1] else f"{years[0]}–{years[1]}"


def immigrant_share(wh: Warehouse, areas: Sequence[str], period: Period = Period()) -> Figure | None:
    """Foreign-born persons as a percentage of the population: the latest survey or census estimate that can
    be published (the latest one, flagged, when none can)."""
    first = None
    for ds, years in _microdata_sources(wh, areas, period):
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
        cells = _crosstab(wh, ds, [status.name], areas, span, {}, percent="col")
        row = cells.filter(pl.col(status.name).is_in(list(FOREIGN_CODES)))
        if row.height != 1:
            return None
        value, n, cv, flag = row.row(0)[1:]
    else:
        domains = _domains(wh, ds, areas, span)
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
    return Figure(SHARE_KEY, ds.id, "persons", str(year), value, sources=_releases_in(wh, ds, areas, span),
                  percent=True, flag=flag, cv=cv, n=n, areas=tuple(areas))


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


def _age_groups(kind: str) -> list:
    return [c for c in codelist("age_group") if c.attrs.get("kind") == kind]


def pyramid(wh: Warehouse, areas: Sequence[str], period: Period = Period(),
            min_shown: float = 0.5) -> Pyramid | None:
    """The population pyramid of the foreign-born against the native-born, from the latest census or survey.

    Five-year groups when at least `min_shown` of the foreign-born cells can be published; otherwise the broad
    groups of the age codelist (0-14, 15-24, 25-64, 65+), each estimated by the cross-tab engine on its own.
    """
    found = _microdata_sources(wh, areas, period, needs=("age_group", "sex"), census_first=True)
    if not found:
        return None
    ds, years = found[0]
    span = (years[-1], years[-1])
    domains = _domains(wh, ds, areas, span)
    sexes = ["F", "M"]
    present = xt.dimension_values(wh, ds.id, "age_group", list(areas), span)
    five = [c.code for c in _age_groups("five_year") if c.code in present]
    broad = [c for c in _age_groups("broad")]
    frames, grouping = [], "five_year"
    if five:
        for birth, filters in domains.items():
            cells = _crosstab(wh, ds, ["age_group", "sex"], areas, span,
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
            members = [c.code for c in _age_groups("five_year") if c.code in present
                       and int(c.attrs["lower"]) >= low and (high is None or int(c.attrs["lower"]) <= int(high))]
            if group.code in present:
                members.append(group.code)
            if not members:
                continue
            for birth, filters in domains.items():
                cells = _crosstab(wh, ds, ["sex"], areas, span, {**filters, "age_group": members, "sex": sexes})
                frames.append(cells.with_columns(pl.lit(birth).alias("birth"), pl.lit(group.code).alias("age_group")))
    if not frames:
        return None
    cells = pl.concat([f.select("birth", "age_group", "sex", "value", "n", "cv", "flag") for f in frames])
    method = data_rules.design(ds)
    return Pyramid(ds.id, str(span[0]), grouping, cells, _releases_in(wh, ds, areas, span), method)


@dataclass(frozen=True)
class ConditionSpec:
    key: str  # profiles.condition.<key>
    column: str
    min_age: int = 0  # education is read for persons aged 25 and over


CONDITIONS: tuple[ConditionSpec, ...] = (
    ConditionSpec("labour_status", "labour_status"),
    ConditionSpec("education", "education", min_age=25),
    ConditionSpec("remittances", "receives_remittances"),
)


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


def conditions(wh: Warehouse, areas: Sequence[str], period: Period = Period(), pool: int = DEFAULT_POOL
               ) -> Conditions | None:
    """Labour status, education and remittances of the foreign-born against the native-born.

    Read from the survey (the census when there is none), pooling its latest `pool` years: the foreign-born
    are few in a year's sample, and a pooled estimate is the usual remedy (its period says so). Each group is
    its own cross-tab, so a hidden foreign-born cell never hides a native-born one.
    """
    found = (_microdata_sources(wh, areas, period, needs=("receives_remittances",))
             or _microdata_sources(wh, areas, period, needs=("labour_status",)))
    if not found:
        return None
    ds, years = found[0]
    chosen = [y for y in years if y > years[-1] - max(pool, 1)]
    span = (chosen[0], chosen[-1])
    domains = _domains(wh, ds, areas, span)
    frames = []
    for spec in CONDITIONS:
        if spec.column not in ds.column_names:
            continue
        col = ds.column(spec.column)
        codes = [c.code for c in col.codelist if not c.code.startswith("_")]
        filters: dict[str, list[str]] = {spec.column: codes}
        if spec.min_age and "age_group" in ds.column_names:
            filters["age_group"] = [c.code for c in _age_groups("five_year") if int(c.attrs["lower"]) >= spec.min_age]
        for birth, domain in domains.items():
            cells = _crosstab(wh, ds, [spec.column], areas, span, {**domain, **filters}, percent="col", pool=True)
            frames.append(cells.rename({spec.column: "code"}).with_columns(
                pl.lit(spec.key).alias("condition"), pl.lit(birth).alias("birth")))
    if not frames:
        return None
    cells = pl.concat([f.select("condition", "code", "birth", "value", "n", "cv", "flag") for f in frames])
    method = data_rules.design(ds)
    return Conditions(ds.id, span, cells, _releases_in(wh, ds, areas, span), method)


# --- breakdowns and flows -----------------------------------------------------------------------------------

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


def breakdown(wh: Warehouse, dataset_id: str, column: str, areas: Sequence[str], period: Period = Period()
              ) -> Breakdown | None:
    """Totals by `column` in the latest year (up to the period's end) with data for `areas`: the detail cells of
    the cross-tab of the same cells (rows = `column`, the areas, that year), so the breakdown hides exactly what
    the cross-tab suppresses (its protection and complements), never a different choice of its own."""
    ds = _known(dataset_id)
    if ds is None or ds.measure is None or column not in {d.name for d in ds.dimensions}:
        return None
    year = f"TRY_CAST(SUBSTR(CAST({_q(ds.time_column)} AS VARCHAR), 1, 4) AS INTEGER)"
    where = f"{_q(ds.area_column)} IN (SELECT UNNEST($areas)) AND {year} <= $bound"
    params = {"areas": list(areas), "bound": period.bound()[0]}
    latest = wh.query(ds.id, f"SELECT MAX({year}) AS y FROM data WHERE {where}", params)["y"][0]
    if latest is None:
        return None
    span = (int(latest), int(latest))
    cells = _crosstab(wh, ds, [column], areas, span, {})
    frame = cells.rename({column: "code"}).filter(~pl.col("code").is_in([data_rules.UNSPLIT, data_rules.MISSING]))
    order = xt.code_order(ds, column)
    frame = frame.sort(pl.col("code").replace_strict(order, default=len(order), return_dtype=pl.Int64))
    return Breakdown(ds.id, column, str(latest), frame.select("code", "value"), _releases_in(wh, ds, areas, span))


def _stock_period(wh: Warehouse, period: Period) -> str | None:
    if FLOW_DATASET not in dataset_ids() or not wh.releases(FLOW_DATASET):
        return None
    available = [p for p in fl.periods(wh, FLOW_DATASET) if _year(p) <= period.bound()[0]]
    return available[-1] if available else None


def stock_flows(wh: Warehouse, areas: Sequence[str], direction: str, period: Period = Period(), top: int = TOP
                ) -> fl.FlowResult | None:
    """Migrant stock flows ("in": where the immigrants were born; "out": where the emigrants live)."""
    when = _stock_period(wh, period)
    if when is None:
        return None
    try:
        result = fl.flows(wh, FLOW_DATASET, countries=list(areas), direction=direction, period=(when, when),
                          top=top)
    except fl.FlowError:
        return None
    return result if result.flows.height else None


def _flow_sources(wh: Warehouse, result: fl.FlowResult, areas: Sequence[str]) -> tuple[Source, ...]:
    """The releases behind flows to or from `areas` in the result's period (either end may be reported)."""
    ds = result.dataset
    role = fl.flow_role(ds, result.query.role)
    first, last = result.query.period
    ids = wh.query(ds.id, f"SELECT DISTINCT release_id FROM data WHERE ({_q(role.origin)} IN (SELECT UNNEST($areas))"
                          f" OR {_q(role.destination)} IN (SELECT UNNEST($areas)))"
                          f" AND CAST({_q(ds.time_column)} AS VARCHAR) BETWEEN $first AND $last",
                   {"areas": list(areas), "first": first, "last": last}, with_release=True)["release_id"]
    return _sources(wh, ds.id, ids)


# --- the whole profile --------------------------------------------------------------------------------------

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


def kept_profile(wh: Warehouse, code: str, period: Period = Period(), pool: int = DEFAULT_POOL) -> Profile:
    """`profile`, computed once per state of the warehouse and kept for every session (`vipmg_core.kept`): a
    profile depends on the published data, the area, the period and the pooling only (no language, no
    account); a new publication changes `wh.state_token()`, so nothing older is read again."""
    return _KEPT.get((str(wh.root), wh.state_token(), code, period, pool), lambda: profile(wh, code, period, pool))


def profile(wh: Warehouse, code: str, period: Period = Period(), pool: int = DEFAULT_POOL) -> Profile:
    """Everything the profile page and the bulletin show for a country, a group or the region."""
    where = area(code)
    areas = list(where.countries)
    figures: list[Figure] = []
    trends: list[pl.DataFrame] = []
    notes: list[str] = []
    share_tried = False  # the share goes right after the stock it divides, or last when there is no stock
    for spec in FIGURES:
        if not spec.additive and not where.is_country:
            notes.append(spec.key)  # one person may be counted in several countries: no regional total
            continue
        s = series(wh, spec, areas)
        if s is None:
            continue
        found = figure_from(wh, s, period)
        if found is None:
            continue
        figures.append(found)
        trend = yearly(s, period, wh=wh)
        if trend.height:
            trends.append(trend.with_columns(pl.lit(spec.key).alias("key"), pl.lit(s.dataset_id).alias("dataset_id"),
                                             pl.lit(s.dataset.unit).alias("unit"),
                                             pl.lit(s.synthetic(wh)).alias("synthetic")))
        if spec.key == "immigrant_stock":
            share_tried = True
            share = immigrant_share(wh, areas, period)
            if share is not None:
                figures.append(share)
    if not share_tried:
        share = immigrant_share(wh, areas, period)
        if share is not None:
            figures.append(share)
    columns = {"key": pl.String, "dataset_id": pl.String, "unit": pl.String, "year": pl.Int32, "value": pl.Float64,
               "partial": pl.Boolean, "months": pl.Int32, "mark": pl.String, "hidden": pl.String,
               "synthetic": pl.Boolean}
    trend_frame = (pl.concat([f.select(list(columns)).cast(columns) for f in trends]) if trends
                   else pl.DataFrame(schema=columns))
    origins = stock_flows(wh, areas, "in", period)
    destinations = stock_flows(wh, areas, "out", period)
    flow_map = stock_flows(wh, areas, "both", period, top=MAP_TOP)
    flow_sources = _flow_sources(wh, flow_map, areas) if flow_map is not None else ()
    return Profile(
        area=where, period=period, figures=tuple(figures), trends=trend_frame,
        permits=breakdown(wh, "residence_permits", "permit_type", areas, period),
        pyramid=pyramid(wh, areas, period), conditions=conditions(wh, areas, period, pool),
        origins=origins, destinations=destinations, flow_map=flow_map, flow_sources=flow_sources,
        notes=tuple(notes),
    )


# --- words --------------------------------------------------------------------------------------------------

def figure_label(key: str, lang: str) -> str:
    return t(f"profiles.figure.{key}", lang)


def unit_badge(unit: str, lang: str) -> str:
    return t("unit.events_badge" if unit == "events" else "unit.persons_badge", lang)


def source_text(dataset_ids_: Iterable[str], synthetic: bool, lang: str) -> str:
    titles = ", ".join(dict.fromkeys(dataset(d).title(lang) for d in dataset_ids_))
    return f"{titles} ({t('profiles.demo', lang)})" if synthetic else titles


def change_text(fig: Figure, lang: str) -> str | None:
    """"+3.2 % since 2023" (None when there is no earlier period to compare with)."""
    if fig.change is None:
        return None
    return t("profiles.change", lang, change=fmt_change(fig.change, lang),
             previous=period_text(fig.previous_period or "", lang))


def figure_caption(fig: Figure, lang: str) -> str:
    """'Counts events, not persons · Arrivals and departures (demo data) · 2024' for under a figure."""
    parts = [unit_badge(fig.unit, lang), source_text([fig.dataset_id], fig.synthetic, lang),
             period_text(fig.period, lang)]
    if fig.flag is not None and not fig.percent:  # an admin count under the small-count rule
        parts.append(t("profiles.flag.small_count", lang, minimum=rules().admin_min_count))
    elif fig.flag is not None:
        parts.append(t(f"profiles.flag.{fig.flag}", lang) + (f" (n = {fig.n})" if fig.n is not None else ""))
    if fig.mark == data_rules.REDACTED:
        parts.append(t("crosstab.flag.redacted", lang))
    elif fig.mark == data_rules.LOWER_BOUND:
        parts.append(t("crosstab.flag.lower_bound", lang))
    return " · ".join(parts)


def figure_value(fig: Figure, lang: str) -> str:
    """The number as shown: grouped digits, a percentage with its sign, "≥ 1,234" where some parts were hidden
    by their publisher, the redaction symbol where all were, or the hidden-value symbol."""
    if fig.value is None:
        return data_rules.REDACTED_SYMBOL if fig.mark == data_rules.REDACTED else rules().symbol_suppressed
    return data_rules.marked(fmt_percent(fig.value, lang) if fig.percent else fmt_number(fig.value, lang), fig.mark)


def conditions_table(cond: Conditions, lang: str) -> pd.DataFrame:
    """The migrants-versus-natives figures with their quality, as a table (pandas) in `lang`."""
    ds = dataset(cond.dataset_id)
    columns = {spec.key: ds.column(spec.column) for spec in CONDITIONS if spec.column in ds.column_names}
    records = []
    for row in cond.cells.iter_rows(named=True):
        col = columns[row["condition"]]
        records.append({
            t("profiles.col.condition", lang): t(f"profiles.condition.{row['condition']}", lang),
            t("profiles.col.category", lang): col.codelist.name(row["code"], lang),
            t("profiles.col.group", lang): t(f"profiles.birth.{row['birth']}", lang),
            t("profiles.col.percent", lang): round(row["value"], 1) if row["value"] is not None else None,
            t("profiles.col.n", lang): row["n"],
            t("profiles.col.cv", lang): round(row["cv"], 1) if row["cv"] is not None else None,
            t("profiles.col.quality", lang): t(f"profiles.flag.{row['flag']}", lang),
        })
    return pd.DataFrame(records)


def _caution_note(lang: str) -> str:
    r = rules()
    return t("profiles.caution_cells", lang, low=fmt_number(r.cv_reliable_max, lang),
             high=fmt_number(r.cv_caution_max, lang))


def pyramid_notes(pyr: Pyramid, lang: str) -> list[str]:
    """How the pyramid was estimated, and what is hidden or pale in it."""
    r = rules()
    notes = [t(f"profiles.method_{pyr.method}", lang)]
    if pyr.grouping == "broad":
        notes.append(t("profiles.pyramid_broad", lang))
    hidden = pyr.hidden("native") + pyr.hidden("foreign")
    if hidden:
        notes.append(t("profiles.hidden_cells", lang, count=hidden, n=r.min_unweighted_n,
                       cv=fmt_number(r.cv_caution_max, lang)))
    return notes + [_caution_note(lang)]


def conditions_notes(cond: Conditions, lang: str) -> list[str]:
    return [t(f"profiles.method_{cond.method}", lang), _caution_note(lang)]


def flow_map_note(prof: Profile, lang: str) -> str:
    """Under the small flow map: what it shows, its source (and demo status), period and unit."""
    period = fl.period_label(*prof.flow_map.query.period)
    source = source_text([prof.flow_map.query.dataset_id], prof.flows_synthetic, lang)
    return (t("profiles.flow_map_caption", lang, period=period) + " "
            + t("profiles.chart.note", lang, source=source, period=period, unit=unit_badge("persons", lang)))
