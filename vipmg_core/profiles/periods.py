"""The period a profile, comparison or bulletin covers, and how periods read (labels, years, months)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from vipmg_core.datasets import Dataset
from vipmg_core.i18n import t
from vipmg_core.profiles.errors import ProfileError
from vipmg_core.warehouse.sql import quote as _q

DEFAULT_POOL = 3  # survey years pooled for the migrants-versus-natives comparison (small samples)
POOLS = (1, 2, 3, 5)  # the pooling choices the Profile page offers (and its links may carry)


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


LATEST = Period()  # the latest data


def parse_period(text: str | None) -> Period:
    """'' or 'latest'; '2024'; '2024-06' (January to June 2024); '2020-2024' or '2020/2024' (a range)."""
    raw = (text or "").strip().lower()
    if raw in ("", "latest", "ultimo", "último"):
        return Period()
    if m := re.fullmatch(r"(\d{4})", raw):
        return Period(None, int(m[1]))
    if (m := re.fullmatch(r"(\d{4})-(\d{1,2})", raw)) and 1 <= int(m[2]) <= 12:
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


def period_text(label: str, lang: str) -> str:
    """'2024-01/2024-06' as 'ene.–jun. 2024' / 'Jan–Jun 2024'; other labels as they are."""
    m = re.fullmatch(r"(\d{4})-(\d{2})/(\d{4})-(\d{2})", label or "")
    if not m or m[1] != m[3]:
        return label
    first, last = t(f"profiles.month.m{m[2]}", lang), t(f"profiles.month.m{m[4]}", lang)
    return f"{first}–{last} {m[1]}" if first != last else f"{first} {m[1]}"


def year_of(period: str) -> int:
    return int(period[:4])


def month_of(period: str) -> int:
    return int(period[5:7]) if len(period) >= 7 else 12


def within(ds: Dataset, period: str, bound: tuple[int, int]) -> bool:
    """Whether a period of `ds` falls up to the bound: monthly data to the month, yearly data to the year."""
    if ds.time_format == "month":
        return (year_of(period), month_of(period)) <= bound
    return year_of(period) <= bound[0]


def years_label(years: tuple[int, int]) -> str:
    return str(years[0]) if years[0] == years[1] else f"{years[0]}–{years[1]}"


def year_sql(ds: Dataset) -> str:
    """SQL: the year of a row's period (its first four characters), as an integer."""
    return f"TRY_CAST(SUBSTR(CAST({_q(ds.time_column)} AS VARCHAR), 1, 4) AS INTEGER)"
