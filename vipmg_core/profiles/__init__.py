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
- Which indicators a profile shows, from which datasets, filters and rules, is declared once in
  `standard/indicators.toml` (`vipmg_core.indicators`), read by Home, the comparison and the bulletins too.

One module per concept (this `__init__` only re-exports the names callers use):

- `areas`: what a profile is about (a country, a group, the region); `periods`: the period and its words;
- `series`: an indicator's values per area and period, read as its declaration says; `figures`: the headline
  figure at the period's end; `trends`: the yearly points; `gate`: what the cross-tab of the same cells hides,
  which a figure or point never shows; `sources`: the releases behind a figure;
- `estimates`: survey and census sources and the foreign-born share; `population_pyramid`;
  `living_conditions`;
  `breakdowns` (permits by type); `stock_flows` (origins and destinations);
- `compose`: the whole profile, kept per state of the data; `text`: labels, captions and notes.
"""

from __future__ import annotations

from vipmg_core.indicators import Indicator, indicator, keys, share_indicator
from vipmg_core.profiles.areas import REGION, Area, area, area_codes, countries_with_data
from vipmg_core.profiles.breakdowns import Breakdown, breakdown, permits_breakdown
from vipmg_core.profiles.compose import _KEPT, Profile, kept_profile, profile
from vipmg_core.profiles.errors import ProfileError
from vipmg_core.profiles.estimates import immigrant_share
from vipmg_core.profiles.figures import Figure, figure_from, stock_dates
from vipmg_core.profiles.gate import hidden_by_crosstab
from vipmg_core.profiles.living_conditions import CONDITIONS, Conditions, ConditionSpec, conditions
from vipmg_core.profiles.periods import (
    DEFAULT_POOL,
    LATEST,
    POOLS,
    Period,
    parse_period,
    period_for_years,
    period_text,
    years_label,
)
from vipmg_core.profiles.population_pyramid import Pyramid, pyramid
from vipmg_core.profiles.series import Series, series
from vipmg_core.profiles.sources import Source
from vipmg_core.profiles.stock_flows import MAP_TOP, TOP, stock_flows
from vipmg_core.profiles.text import (
    change_text,
    conditions_notes,
    conditions_table,
    figure_caption,
    figure_label,
    figure_value,
    flow_map_note,
    pyramid_notes,
    source_text,
    unit_badge,
)
from vipmg_core.profiles.trends import HIDDEN_SMALL, TREND_YEARS, trend_notes, yearly

SHARE_KEY = share_indicator().key  # the foreign-born share: the profile's one survey or census estimate
FIGURE_KEYS = keys("profile")  # the profile's indicators, in their declared order


def figure_spec(key: str) -> Indicator:
    """The declaration of a profile's indicator (`vipmg_core.indicators`)."""
    return indicator(key)


__all__ = [
    "CONDITIONS",
    "DEFAULT_POOL",
    "FIGURE_KEYS",
    "HIDDEN_SMALL",
    "LATEST",
    "MAP_TOP",
    "POOLS",
    "REGION",
    "SHARE_KEY",
    "TOP",
    "TREND_YEARS",
    "_KEPT",
    "Area",
    "Breakdown",
    "ConditionSpec",
    "Conditions",
    "Figure",
    "Period",
    "Profile",
    "ProfileError",
    "Pyramid",
    "Series",
    "Source",
    "area",
    "area_codes",
    "breakdown",
    "change_text",
    "conditions",
    "conditions_notes",
    "conditions_table",
    "countries_with_data",
    "figure_caption",
    "figure_from",
    "figure_label",
    "figure_spec",
    "figure_value",
    "flow_map_note",
    "hidden_by_crosstab",
    "immigrant_share",
    "kept_profile",
    "parse_period",
    "period_for_years",
    "period_text",
    "permits_breakdown",
    "profile",
    "pyramid",
    "pyramid_notes",
    "series",
    "source_text",
    "stock_dates",
    "stock_flows",
    "trend_notes",
    "unit_badge",
    "yearly",
    "years_label",
]
