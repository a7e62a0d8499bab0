"""Census microdata: one row per person of each country's three census rounds, in chunks of at most
`MAX_CHUNK_ROWS`, with expansion weights to the population."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from vipmg_core.demo.countries import all_origins, countries, country_profile, population
from vipmg_core.demo.frames import AGE_GROUPS, SEX, age_index, declared_frame, label_series, normalise, seeded_rng
from vipmg_core.demo.persons import (
    EDUCATION,
    LABOUR,
    draw,
    education_levels,
    foreign_share,
    labour_status,
    native_ages,
    origin_edu_shift,
    years_since_arrival,
)
from vipmg_core.demo.stock import emigrant_destinations, expected_stock, female_share

# Census rows at scale 1 are ~176k; x60 passes 10 million (see planned_rows).
CENSUS_10M_SCALE = 60
MAX_CHUNK_ROWS = 1_000_000


def _census_size(area: str, census_year: str, scale: float) -> int:
    base = max(1500.0, 1900.0 * math.sqrt(population(area, int(census_year)) / 1e6))
    return max(1, round(base * scale))


def census_parts(scale: float) -> list[tuple[str, str, int, int, int]]:
    """(country, census year, part, part rows, round rows) for every chunk."""
    parts = []
    for area in countries():
        for year in country_profile(area).census_years:
            n = _census_size(area, year, scale)
            k = math.ceil(n / MAX_CHUNK_ROWS)
            for i in range(k):
                parts.append((area, year, i, n // k + (1 if i < n % k else 0), n))
    return parts


def gen_census(seed: int, area: str, year_s: str, part: int, n: int, n_round: int) -> pl.DataFrame:
    rng = seeded_rng(seed, "census", area, year_s, part)
    year = int(year_s)
    prof = country_profile(area)
    codes = [*all_origins()]
    if area not in codes:
        codes.append(area)
    home = codes.index(area)

    stock_origins, stock_p = normalise(expected_stock(area, year))
    foreign = rng.random(n) < foreign_share(area, year)
    n_f = int(foreign.sum())
    f_origin = np.array([codes.index(o) for o in stock_origins])[draw(rng, np.cumsum(stock_p), n_f)]
    birth = np.full(n, home)
    birth[foreign] = f_origin

    female_p = np.array([female_share(area, c) for c in codes])
    male = rng.random(n) >= np.where(foreign, female_p[birth], 0.51)

    # Natives follow the pyramid; migrants' age is age at arrival plus years since.
    age = native_ages(rng, area, year, male)
    ago = years_since_arrival(rng, codes, f_origin, year)
    at_arrival = np.where(rng.random(n_f) < 0.18, rng.integers(0, 18, n_f),
                          np.clip(rng.normal(28, 8, n_f), 18, 70).astype(np.int64))
    # Few survive past 90: redraw the time since arrival of those who would be older.
    too_old = at_arrival + ago > 90
    ago[too_old] = np.floor(rng.random(int(too_old.sum())) * (91 - at_arrival[too_old])).astype(np.int64)
    f_age = at_arrival + ago
    age[foreign] = f_age
    arrival = np.zeros(n, np.int64)
    arrival[foreign] = year - ago

    # Long-settled migrants are often naturalised.
    citizen = birth.copy()
    naturalised = rng.random(n_f) < 0.65 * (1 - np.exp(-ago / 15))
    citizen[np.flatnonzero(foreign)[naturalised]] = home

    # Residence 5 years ago: home for most, abroad for recent arrivals and returning natives.
    none = len(codes)
    residence = np.full(n, home)
    f_idx = np.flatnonzero(foreign)
    residence[f_idx[ago < 5]] = birth[f_idx[ago < 5]]
    ret_dests, ret_p = emigrant_destinations(area)
    returning = ~foreign & (rng.random(n) < prof.returned * 0.3)
    residence[returning] = np.array([codes.index(d) if d in codes else home for d in ret_dests])[
        draw(rng, np.cumsum(ret_p), int(returning.sum()))
    ]
    residence[(age < 5) | (rng.random(n) < 0.004)] = none

    urban_p = np.clip(prof.urban + 0.004 * (year - 2020) + np.where(foreign, 0.1, 0), 0.05, 0.97)
    urban = rng.random(n) < urban_p
    edu_shift = origin_edu_shift(area, codes)[birth]
    education = education_levels(rng, area, year, age, edu_shift)
    labour = labour_status(rng, area, age, male, np.where(foreign, 0.06, 0), np.where(foreign, 0.85, 1.0))

    # Expansion weights: rural areas and some regions were sampled at lower rates.
    region_factor = np.exp(seeded_rng(seed, "census-regions", area, year_s).normal(0, 0.2, 6))
    region = rng.integers(0, 6, n)
    urban_factor = np.where(urban, 0.9, 1.2)
    expected = (prof.urban * 0.9 + (1 - prof.urban) * 1.2) * region_factor.mean()
    weight = population(area, year) / n_round * urban_factor * region_factor[region] / expected
    weight *= np.exp(rng.normal(0, 0.05, n))

    return declared_frame(
        "census",
        {
            "ref_area": area,
            "census_year": year_s,
            "weight": pl.Series(np.round(weight, 3)),
            "sex": label_series(SEX, male.astype(np.int64)),
            "age": pl.Series(age.astype(np.int32)),
            "age_group": label_series(AGE_GROUPS, age_index(age)),
            "country_of_birth": label_series(codes, birth),
            "citizenship": label_series(codes, citizen),
            "residence_5y_ago": label_series([*codes, None], residence),
            "year_of_arrival": pl.Series(np.where(foreign, arrival, 0).astype(np.int32)).scatter(
                np.flatnonzero(~foreign), None
            ),
            "education": label_series(EDUCATION, education),
            "labour_status": label_series(LABOUR, labour),
            "urban_rural": label_series(("R", "U"), urban.astype(np.int64)),
        },
        n,
    )
