"""The indicators, each declared once in `standard/indicators.toml`: which dataset, measure, filters and rules of
the data it reads, its reference period, unit, words and the surfaces that show it (Home's headline figures,
the country profiles, the comparison, the bulletins).

The declaration is read and checked when this module is imported: a bad entry stops the lab with an error
naming it, rather than a page failing later. Every surface asks this module, and the SQL that selects an
indicator's rows is built here from the declaration and the dataset's own (`datasets`), on the rules of the
data (`rules`)::

    from vipmg_core.indicators import indicator, indicators
    indicator("arrivals").datasets                 # ("arrivals_departures",)
    [i.key for i in indicators("home")]            # Home's headline figures, in order
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vipmg_core import rules
from vipmg_core.config import STANDARD_DIR
from vipmg_core.datasets import Dataset, dataset, dataset_ids
from vipmg_core.i18n import LANGS, messages
from vipmg_core.sqltext import quote as _q

DECLARATIONS = STANDARD_DIR / "indicators.toml"
SURFACES = ("home", "home_map", "profile", "compare", "bulletin")
UNITS = ("events", "persons", "percent")
SHARE_MEASURE = "foreign_born_share"  # the share of the foreign-born: a survey or census estimate
IMMIGRANT = "immigrant"  # rules.immigrant_clause: origin differs from where the person lives
ROW_RULES = (IMMIGRANT,)
# The reference period each kind of figure is read at, from how its datasets aggregate over time (rules.py).
LATEST_YEAR, LATEST_DATE, LATEST_SURVEY_YEAR = "latest_year", "latest_date", "latest_survey_year"
PERIODS = (LATEST_YEAR, LATEST_DATE, LATEST_SURVEY_YEAR)
_FIELDS = {"key", "label", "headline", "subject", "datasets", "measure", "filters", "rules", "area_column",
           "period", "unit", "plural", "additive", "after", "surfaces"}


class IndicatorError(ValueError):
    """A declaration in indicators.toml that cannot be used; the message names the entry and what is wrong."""


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str  # message key of its name
    datasets: tuple[str, ...]  # read from the first with data for the area
    measure: str  # the datasets' measure column, or SHARE_MEASURE
    period: str  # one of PERIODS
    unit: str  # one of UNITS
    surfaces: frozenset[str]
    headline: str | None = None  # message key of its name on Home
    subject: str | None = None  # message key of its name in sentences
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (column, codes kept)
    rules: tuple[str, ...] = ()  # ROW_RULES the rows must follow
    area_column: str | None = None  # default: the dataset's reporting area
    plural: bool = True
    additive: bool = True  # False: one person may be counted in several countries, so no regional sum
    after: str | None = None  # shown right after that indicator (or last where it has no figure)

    @property
    def percent(self) -> bool:
        return self.unit == "percent"

    @property
    def is_estimate(self) -> bool:
        """A survey or census estimate (the cross-tab engine's), not a sum of published counts."""
        return self.measure == SHARE_MEASURE

    @property
    def counted(self) -> str:
        """What the figure counts, as `Figure.unit`: a percentage is a percentage of persons."""
        return "persons" if self.percent else self.unit

    def shows_on(self, surface: str) -> bool:
        return surface in self.surfaces

    def area_of(self, ds: Dataset) -> str:
        """The column saying whose figure a row of `ds` is."""
        return self.area_column or ds.area_column

    def reads(self, ds: Dataset) -> bool:
        """Whether `ds` has what this indicator needs (its area and filter columns, a measure)."""
        return (ds.measure is not None and self.area_of(ds) in ds.column_names
                and all(column in ds.column_names for column, _ in self.filters))


def selection_sql(ind: Indicator, ds: Dataset, areas_param: str = "areas") -> tuple[list[str], dict[str, list[str]]]:
    """The conditions (SQL on `ds`'s rows) that select the indicator's rows for the areas in `$areas_param`,
    and their parameters: its filters and its rules of the data."""
    clauses = [f"{_q(ind.area_of(ds))} IN (SELECT UNNEST(${areas_param}))"]
    params: dict[str, list[str]] = {}
    for i, (column, codes) in enumerate(ind.filters):
        clauses.append(f"{_q(ds.column(column).name)} IN (SELECT UNNEST($w{i}))")
        params[f"w{i}"] = list(codes)
    if IMMIGRANT in ind.rules and (clause := rules.immigrant_clause(ds)) is not None:
        clauses.append(clause)
    return clauses, params


def filtered_columns(ind: Indicator, ds: Dataset) -> set[str]:
    """Columns the selection fixes (the area, the period and the filters): no `_T` rule applies to them."""
    return {ind.area_of(ds), ds.area_column, ds.time_column, *(column for column, _ in ind.filters)}


# --- reading and checking the declarations ----------------------------------------------------------------

def _strings(entry: str, name: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise IndicatorError(f"indicator {entry!r}: {name} must be a list of strings")
    return tuple(value)


def _text(entry: str, name: str, value: object, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise IndicatorError(f"indicator {entry!r}: {name} must be a non-empty string")
    return value


def _flag(entry: str, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise IndicatorError(f"indicator {entry!r}: {name} must be true or false")
    return value


def _indicator(raw: Mapping[str, Any], position: int) -> Indicator:
    key = raw.get("key")
    entry = key if isinstance(key, str) and key else f"#{position + 1}"
    unknown = set(raw) - _FIELDS
    if unknown:
        raise IndicatorError(f"indicator {entry!r}: unknown fields {', '.join(sorted(unknown))}")
    filters = raw.get("filters", {})
    if not isinstance(filters, dict):
        raise IndicatorError(f"indicator {entry!r}: filters must be a table of column = [codes]")
    return Indicator(
        key=str(_text(entry, "key", key)),
        label=str(_text(entry, "label", raw.get("label"))),
        datasets=_strings(entry, "datasets", raw.get("datasets")),
        measure=str(_text(entry, "measure", raw.get("measure"))),
        period=str(_text(entry, "period", raw.get("period"))),
        unit=str(_text(entry, "unit", raw.get("unit"))),
        surfaces=frozenset(_strings(entry, "surfaces", raw.get("surfaces"))),
        headline=_text(entry, "headline", raw.get("headline"), optional=True),
        subject=_text(entry, "subject", raw.get("subject"), optional=True),
        filters=tuple((str(column), _strings(entry, f"filters.{column}", codes)) for column, codes in filters.items()),
        rules=_strings(entry, "rules", raw.get("rules", [])),
        area_column=_text(entry, "area_column", raw.get("area_column"), optional=True),
        plural=_flag(entry, "plural", raw.get("plural", True)),
        additive=_flag(entry, "additive", raw.get("additive", True)),
        after=_text(entry, "after", raw.get("after"), optional=True),
    )


def _check(ind: Indicator, known_keys: set[str]) -> None:
    """Fail loudly, naming the entry, on a declaration a surface could not read."""
    def fail(problem: str) -> IndicatorError:
        return IndicatorError(f"indicator {ind.key!r}: {problem}")

    words = messages()
    for name, message in (("label", ind.label), ("headline", ind.headline), ("subject", ind.subject)):
        if message is not None and any(lang not in words.get(message, {}) for lang in LANGS):
            raise fail(f"{name} {message!r} is not a message in every language (locales/*.toml)")
    if "home" in ind.surfaces and ind.headline is None:
        raise fail("shown on Home, it needs a headline label")
    if not ind.surfaces or not ind.surfaces <= set(SURFACES):
        raise fail(f"surfaces must be some of {', '.join(SURFACES)}")
    if ind.unit not in UNITS or ind.period not in PERIODS:
        raise fail(f"unit must be one of {', '.join(UNITS)} and period one of {', '.join(PERIODS)}")
    if any(rule not in ROW_RULES for rule in ind.rules):
        raise fail(f"rules must be some of {', '.join(ROW_RULES)}")
    if ind.after is not None and ind.after not in known_keys:
        raise fail(f"after {ind.after!r} is no declared indicator")
    if not ind.datasets:
        raise fail("it needs a dataset")
    for dataset_id in ind.datasets:
        if dataset_id not in dataset_ids():
            raise fail(f"unknown dataset {dataset_id!r}")
        _check_dataset(ind, dataset(dataset_id), fail)
    if IMMIGRANT in ind.rules and all(rules.immigrant_clause(dataset(d)) is None for d in ind.datasets):
        raise fail("the immigrant rule needs a dataset with an origin (a declared flow)")


def _check_dataset(ind: Indicator, ds: Dataset, fail: Any) -> None:
    if ind.is_estimate:
        if not ds.is_microdata or ind.period != LATEST_SURVEY_YEAR or not ind.percent:
            raise fail(f"{SHARE_MEASURE} is a percentage estimated from microdata at {LATEST_SURVEY_YEAR}"
                       f" ({ds.id!r} does not fit)")
        return
    if ds.measure is None or ds.measure.name != ind.measure:
        raise fail(f"measure {ind.measure!r} is not the measure of dataset {ds.id!r}")
    if ind.unit != ds.unit:
        raise fail(f"unit {ind.unit!r} differs from dataset {ds.id!r}'s ({ds.unit!r})")
    period = LATEST_YEAR if rules.adds_over_time(ds) else LATEST_DATE  # events add up; stocks never do
    if ind.period != period:
        raise fail(f"dataset {ds.id!r} aggregates over time as {ds.time_aggregation!r}: its period is {period!r}")
    for column in [ind.area_of(ds), *(c for c, _ in ind.filters)]:
        if column not in ds.column_names:
            raise fail(f"dataset {ds.id!r} has no column {column!r}")
    for column, codes in ind.filters:
        known = ds.column(column).codelist
        missing = [c for c in codes if known is not None and c not in known]
        if missing:
            raise fail(f"codes {', '.join(missing)} are not in the codelist of {ds.id}.{column}")


def load(raw: Mapping[str, Any]) -> tuple[Indicator, ...]:
    """The indicators of a parsed declaration (the `[[indicator]]` tables), checked."""
    entries = raw.get("indicator")
    if not isinstance(entries, list) or not entries:
        raise IndicatorError("indicators.toml declares no [[indicator]]")
    found = tuple(_indicator(entry, i) for i, entry in enumerate(entries))
    keys = [ind.key for ind in found]
    for key in keys:
        if keys.count(key) > 1:
            raise IndicatorError(f"indicator {key!r}: declared twice")
    for ind in found:
        _check(ind, set(keys))
    if sum(ind.shows_on("home_map") for ind in found) > 1:
        raise IndicatorError("indicators.toml: Home maps one indicator (surface home_map)")
    if sum(ind.is_estimate for ind in found) != 1:
        raise IndicatorError(f"indicators.toml: exactly one indicator must be the {SHARE_MEASURE}")
    return found


@dataclass(frozen=True)
class ConditionSpec:
    """One living condition compared between migrants and natives (`[[profile.conditions]]`)."""

    key: str  # profiles.condition.<key>
    column: str  # a coded column of the survey or census
    min_age: int = 0  # only persons at least this old (education is read from 25)


@dataclass(frozen=True)
class ProfileSections:
    """Where a profile's sections beside its indicators are read (the `[profile]` table)."""

    breakdown_dataset: str  # a figure split by one dimension (residence permits by type)
    breakdown_by: str
    flows_dataset: str  # a stock read as flows: origins of immigrants, destinations of emigrants
    conditions: tuple[ConditionSpec, ...] = ()


def load_sections(raw: Mapping[str, Any]) -> ProfileSections:
    """The `[profile]` table of a parsed declaration, checked."""
    table = raw.get("profile")
    breakdown = table.get("breakdown") if isinstance(table, dict) else None
    if not isinstance(table, dict) or not isinstance(breakdown, dict):
        raise IndicatorError("indicators.toml: [profile] needs breakdown = { dataset, by } and stock_flows")
    sections = ProfileSections(str(breakdown.get("dataset")), str(breakdown.get("by")), str(table.get("stock_flows")),
                               tuple(_condition(c) for c in table.get("conditions", [])))
    for name, dataset_id in (("breakdown", sections.breakdown_dataset), ("stock_flows", sections.flows_dataset)):
        if dataset_id not in dataset_ids():
            raise IndicatorError(f"indicators.toml: [profile] {name}: unknown dataset {dataset_id!r}")
    if sections.breakdown_by not in {c.name for c in dataset(sections.breakdown_dataset).dimensions}:
        raise IndicatorError(f"indicators.toml: [profile] breakdown: {sections.breakdown_dataset!r} has no"
                             f" dimension {sections.breakdown_by!r}")
    if not dataset(sections.flows_dataset).flows:
        raise IndicatorError(f"indicators.toml: [profile] stock_flows: {sections.flows_dataset!r} declares no flows")
    return sections


def _condition(raw: Mapping[str, Any]) -> ConditionSpec:
    spec = ConditionSpec(str(raw.get("key")), str(raw.get("column")), int(raw.get("min_age", 0)))
    microdata = [ds for ds in map(dataset, dataset_ids()) if ds.is_microdata]
    if not any(spec.column in ds.column_names and ds.column(spec.column).codelist is not None for ds in microdata):
        raise IndicatorError(f"indicators.toml: [[profile.conditions]] {spec.key!r}: no survey or census has a"
                             f" coded column {spec.column!r}")
    if any(lang not in messages().get(f"profiles.condition.{spec.key}", {}) for lang in LANGS):
        raise IndicatorError(f"indicators.toml: [[profile.conditions]] {spec.key!r}: profiles.condition.{spec.key}"
                             " is not a message in every language")
    return spec


def read(path: Path = DECLARATIONS) -> tuple[tuple[Indicator, ...], ProfileSections]:
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    return load(raw), load_sections(raw)


_ALL, _SECTIONS = read()


def indicators(surface: str | None = None) -> tuple[Indicator, ...]:
    """Every indicator in the declared order, or those `surface` shows."""
    return _ALL if surface is None else tuple(i for i in _ALL if i.shows_on(surface))


def keys(surface: str | None = None) -> tuple[str, ...]:
    return tuple(i.key for i in indicators(surface))


def profile_sections() -> ProfileSections:
    return _SECTIONS


def share_indicator() -> Indicator:
    """The share of the foreign-born: the one indicator estimated from surveys and censuses."""
    return next(i for i in _ALL if i.is_estimate)


def indicator(key: str) -> Indicator:
    for ind in _ALL:
        if ind.key == key:
            return ind
    raise KeyError(key)
