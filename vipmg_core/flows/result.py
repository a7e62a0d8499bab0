"""What a flow request is and what it answers: `FlowQuery`, `FlowResult`, `FlowError` and the limits they share."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from vipmg_core import quality, rules
from vipmg_core.codelists import country_point
from vipmg_core.datasets import Dataset, dataset
from vipmg_core.i18n import TranslatedError

# A weighted flow from fewer sample records than this is hidden (quality.toml's threshold, as in a cross-tab).
MIN_SAMPLE = quality.rules().min_unweighted_n
DIRECTIONS = ("in", "out", "both", "between")
DEFAULT_DIRECTION = "both"
DEFAULT_TOP = 25
MAX_TOP = 500
TOTAL_CODE = rules.TOTAL
RANGE_SEPARATOR = "/"  # ISO 8601 interval: 2021-01/2024-12


class FlowError(TranslatedError):
    """A request that cannot be answered, with its message key so each reader gets it in their language."""

    prefix = "flows.error"


@dataclass(frozen=True)
class FlowQuery:
    dataset_id: str
    role: int = 0
    countries: tuple[str, ...] = ()
    direction: str = DEFAULT_DIRECTION
    period: tuple[str, str] | None = None  # first and last period, inclusive; None = the default
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (column, codes), only the filtered columns
    top: int | None = DEFAULT_TOP  # None = every matching flow


@dataclass(frozen=True)
class FlowResult:
    query: FlowQuery  # as answered: the period resolved to codes present in the data
    unit: str  # "events" or "persons"
    weighted: bool  # microdata: values are weighted estimates and `n` is the sample count
    stock: bool  # persons at a date: a range takes each reporting country's latest period
    flows: pl.DataFrame  # the top flows: origin, destination, value, first_period, last_period[, n], suppressed
    matching: int  # flows that match the selection, before the top-N cut
    matching_value: float | None  # their sum (None: hidden, it would give a suppressed flow away)
    totals: pl.DataFrame  # country, incoming, outgoing, net: every flow under the filters and period (None: hidden)

    @property
    def dataset(self) -> Dataset:
        return dataset(self.query.dataset_id)

    @property
    def shown_value(self) -> float:
        return float(self.flows["value"].fill_null(0).sum()) if self.flows.height else 0.0

    @property
    def undrawn(self) -> pl.DataFrame:
        """Flows in the table that no map can draw: an end with no place (OOO, other/unknown)."""
        drawable = [country_point(o) is not None and country_point(d) is not None
                    for o, d in zip(self.flows["origin"], self.flows["destination"])]
        drawable = [ok or v is None for ok, v in zip(drawable, self.flows["value"])]  # hidden: not counted
        return self.flows.filter(~pl.Series(drawable, dtype=pl.Boolean))
