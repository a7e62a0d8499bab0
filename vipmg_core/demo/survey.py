"""Household survey microdata: a stratified two-stage sample (strata, PSUs, households, persons) per country and
year, with weights calibrated to the stratum population, as statistics offices do."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from vipmg_core.demo.countries import all_origins, country_profile, population
from vipmg_core.demo.frames import AGE_GROUPS, SEX, age_index, declared_frame, label_series, normalise, seeded_rng
from vipmg_core.demo.persons import (
    EDUCATION,
    LABOUR,
    MAX_AGE,
    draw,
    education_levels,
    foreign_share,
    labour_status,
    native_ages,
    origin_edu_shift,
)
from vipmg_core.demo.stock import emigrant_destinations, expected_stock

SURVEY_YEARS = tuple(range(2019, 2025))


@dataclass(frozen=True)
class _Layout:
    strata: list[str]
    stratum_pop: np.ndarray  # persons, per stratum
    psu_stratum: np.ndarray  # stratum index per PSU
    hh_psu: np.ndarray  # PSU index per household
    hh_no: np.ndarray  # household number within its PSU
    hh_size: np.ndarray


def _survey_households(area: str, scale: float) -> int:
    persons = 600 * math.sqrt(population(area, 2020) / 1e6) + 1200
    return max(4, round(persons * scale / country_profile(area).hh_size))


def survey_layout(seed: int, area: str, year: int, scale: float) -> _Layout:
    """Strata, PSUs and households: sizes only, cheap enough to plan row counts without generating."""
    prof = country_profile(area)
    # Regions do not move between years: seeded by country only.
    geo = seeded_rng(seed, "survey-regions", area)
    share = geo.dirichlet(np.full(prof.regions, 3.0))
    urban = np.clip(prof.urban + geo.normal(0, 0.15, prof.regions), 0.05, 0.97)
    strata = [f"{area}-{r + 1:02d}-{u}" for r in range(prof.regions) for u in ("U", "R")]
    stratum_pop = population(area, year) * np.stack([share * urban, share * (1 - urban)], axis=1).ravel()

    rng = seeded_rng(seed, "survey-layout", area, year)
    n_hh = _survey_households(area, scale)
    # Two PSUs at least per stratum, so a variance can be estimated everywhere.
    psus = np.maximum(2, np.round(n_hh / 10 * stratum_pop / stratum_pop.sum())).astype(np.int64)
    psu_stratum = np.repeat(np.arange(len(strata)), psus)
    per_psu = rng.integers(8, 13, len(psu_stratum))
    hh_psu = np.repeat(np.arange(len(psu_stratum)), per_psu)
    starts = np.cumsum(per_psu) - per_psu
    hh_no = np.arange(len(hh_psu)) - starts[hh_psu] + 1
    hh_size = 1 + rng.binomial(6, (prof.hh_size - 1) / 6, len(hh_psu))
    return _Layout(strata, stratum_pop, psu_stratum, hh_psu, hh_no, hh_size)


def gen_survey(seed: int, area: str, year: int, scale: float) -> pl.DataFrame:
    lay = survey_layout(seed, area, year, scale)
    rng = seeded_rng(seed, "survey", area, year)
    prof = country_profile(area)
    codes = [*all_origins()]
    if area not in codes:
        codes.append(area)
    home = codes.index(area)
    n_psu, n_hh = len(lay.psu_stratum), len(lay.hh_psu)

    # Household type: 0 native, 1 foreign-born, 2 returned migrant.
    u = rng.random(n_hh)
    fb_share = foreign_share(area, year) * 0.8
    hh_type = np.where(u < fb_share, 1, np.where(u < fb_share + prof.returned, 2, 0))
    stock_origins, stock_p = normalise(expected_stock(area, year))
    hh_origin = np.array([codes.index(o) for o in stock_origins])[draw(rng, np.cumsum(stock_p), n_hh)]
    ret_dests, ret_p = emigrant_destinations(area)
    hh_abroad = np.array([codes.index(d) if d in codes else home for d in ret_dests])[
        draw(rng, np.cumsum(ret_p), n_hh)
    ]

    # Persons: head, maybe a spouse, then mostly children.
    hh = np.repeat(np.arange(n_hh), lay.hh_size)
    n = len(hh)
    pos = np.arange(n) - (np.cumsum(lay.hh_size) - lay.hh_size)[hh]
    head_male = rng.random(n_hh) < 0.62
    head_age = native_ages(rng, area, year, head_male, min_age=18)
    spouse = (pos == 1) & (rng.random(n) < 0.7)
    child = (pos >= 1) & ~spouse & (rng.random(n) < 0.8)
    other = (pos >= 1) & ~spouse & ~child

    male = rng.random(n) < 0.5
    male = np.where(pos == 0, head_male[hh], np.where(spouse, ~head_male[hh], male))
    age = np.empty(n, np.int64)
    age[pos == 0] = head_age
    age[spouse] = np.clip(head_age[hh[spouse]] + np.round(rng.normal(0, 4, int(spouse.sum()))).astype(np.int64)
                          + np.where(head_male[hh[spouse]], -2, 2), 16, MAX_AGE)
    max_child = np.clip(head_age[hh[child]] - 16, 0, 25)
    age[child] = np.floor(rng.random(int(child.sum())) * (max_child + 1)).astype(np.int64)
    age[other] = native_ages(rng, area, year, male[other])

    # Migrant status follows the household: foreign-born families (some children born here),
    # returned heads (some children born abroad).
    status = np.zeros(n, np.int64)  # 0 NATIVE, 1 FOREIGN_BORN, 2 RETURNED
    birth = np.full(n, home)
    t = hh_type[hh]
    r = rng.random(n)
    fb = (t == 1) & ((pos == 0) | (spouse & (r < 0.8)) | (child & (r < 0.4)) | (other & (r < 0.8)))
    birth[fb] = hh_origin[hh[fb]]
    returned = (t == 2) & ((pos == 0) | (spouse & (r < 0.4)))
    born_abroad = (t == 2) & child & (r < 0.25)
    birth[born_abroad] = hh_abroad[hh[born_abroad]]
    status[returned] = 2
    status[birth != home] = 1

    foreign = status == 1
    edu_shift = origin_edu_shift(area, codes)[birth]
    education = education_levels(rng, area, year, age, edu_shift)
    labour = labour_status(rng, area, age, male, np.where(foreign, 0.06, 0),
                     np.where(foreign, 0.85, np.where(status == 2, 1.4, 1.0)))

    remit_p = np.clip(prof.remit * np.select([hh_type == 2, hh_type == 1], [1.7, 0.5], 1.0), 0, 0.9)
    remits = (rng.random(n_hh) < remit_p)[hh]

    # Weight = PSU base weight x household non-response adjustment, then calibrated to the
    # stratum population (persons), as statistics offices do.
    hh_stratum = lay.psu_stratum[lay.hh_psu]
    urban_stratum = np.array([s.endswith("-U") for s in lay.strata])
    psu_base = np.exp(rng.normal(0, 0.3, n_psu))
    response = np.where(urban_stratum, 0.82, 0.92)[hh_stratum]
    hh_weight = psu_base[lay.hh_psu] / response * np.exp(rng.normal(0, 0.08, n_hh))
    reached = np.bincount(hh_stratum, weights=hh_weight * lay.hh_size, minlength=len(lay.strata))
    hh_weight *= (lay.stratum_pop / np.maximum(reached, 1e-9))[hh_stratum]

    psu_labels = [f"{area}-{year}-P{i + 1:04d}" for i in range(n_psu)]
    psu_of_person = lay.hh_psu[hh]
    frame = declared_frame(
        "survey",
        {
            "ref_area": area,
            "time_period": str(year),
            "household_id": label_series(psu_labels, psu_of_person),
            "weight": pl.Series(np.round(hh_weight[hh], 2)),
            "strata": label_series(lay.strata, lay.psu_stratum[psu_of_person]),
            "psu": label_series(psu_labels, psu_of_person),
            "sex": label_series(SEX, male.astype(np.int64)),
            "age": pl.Series(age.astype(np.int32)),
            "age_group": label_series(AGE_GROUPS, age_index(age)),
            "country_of_birth": label_series(codes, birth),
            "migrant_status": label_series(("NATIVE", "FOREIGN_BORN", "RETURNED"), status),
            "labour_status": label_series(LABOUR, labour),
            "education": label_series(EDUCATION, education),
            "receives_remittances": label_series(("N", "Y"), remits.astype(np.int64)),
        },
        n,
    )
    hh_no = pl.Series(lay.hh_no[hh]).cast(pl.String).str.zfill(2)
    return frame.with_columns(pl.concat_str([pl.col("household_id"), pl.lit("-H"), hh_no]).alias("household_id"))
