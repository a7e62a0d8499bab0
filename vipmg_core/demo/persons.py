"""Person-level building blocks shared by the census and the survey: ages, years since arrival, education and
labour status, each shifted by country, cohort and origin."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from vipmg_core.demo.countries import country_profile, population
from vipmg_core.demo.stock import expected_stock

EDUCATION = ("ISCED0", "ISCED1", "ISCED2", "ISCED3", "ISCED4", "ISCED5", "ISCED6", "ISCED7", "ISCED8", "_Z")
LABOUR = ("EMP", "UNE", "OLF", "_Z")
MAX_AGE = 100


_EDU_CUTS = np.array([NormalDist().inv_cdf(p) for p in (0.08, 0.33, 0.53, 0.78, 0.81, 0.86, 0.97, 0.995)])
# Highest level one can have completed at each age (children cannot hold degrees).
_EDU_CAP = np.array([0 if a < 12 else 1 if a < 15 else 2 if a < 18 else 3 if a < 20 else 5 if a < 22
                     else 6 if a < 24 else 7 if a < 27 else 8 for a in range(MAX_AGE + 1)])
_ORIGIN_EDU = {"USA": 0.9, "CAN": 0.9, "ESP": 0.8, "VEN": 0.7, "IND": 0.7, "CUB": 0.6, "COL": 0.3, "PER": 0.3,
               "BRA": 0.3, "OOO": 0.4, "CHN": 0.1, "ECU": 0.1, "DOM": -0.1, "HTI": -0.6}
# Activity rates by age for men and (before scaling by country) women.
_ACT_M = np.array([0] * 15 + [0.35] * 5 + [0.75] * 5 + [0.93] * 30 + [0.85] * 5 + [0.7] * 5 + [0.45] * 5
                  + [0.2] * (MAX_AGE - 69))
_ACT_F = np.array([0] * 15 + [0.2] * 5 + [0.5] * 5 + [0.55] * 30 + [0.4] * 5 + [0.28] * 5 + [0.15] * 5
                  + [0.06] * (MAX_AGE - 69))


def _age_cdf(area: str, year: int, male: bool, min_age: int = 0) -> np.ndarray:
    p = country_profile(area)
    ages = np.arange(MAX_AGE + 1)
    young = p.young + 0.005 * max(0, 2020 - year) / 20  # older rounds had younger pyramids
    # Gompertz survival: mortality doubles every ~8 years of age; men die a little earlier.
    mortality = 8e-5 if male else 4e-5
    dens = np.exp(-young * ages - mortality / 0.09 * np.expm1(0.09 * ages))
    dens[:min_age] = 0
    cdf = np.cumsum(dens)
    return cdf / cdf[-1]


def draw(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    """Inverse-CDF draws: much faster than Generator.choice(p=...) for repeated use."""
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


def native_ages(rng: np.random.Generator, area: str, year: int, male: np.ndarray, min_age: int = 0) -> np.ndarray:
    age = np.empty(len(male), np.int64)
    for flag in (True, False):
        sel = male == flag
        age[sel] = draw(rng, _age_cdf(area, year, flag, min_age), int(sel.sum()))
    return age


def years_since_arrival(rng: np.random.Generator, origin_codes: list[str], origin: np.ndarray, year: int) -> np.ndarray:
    """Years since arrival: recent for Venezuelans after 2015, otherwise spread over decades."""
    years_ago = np.minimum(rng.exponential(16.0, len(origin)), 70).astype(np.int64)
    if "VEN" in origin_codes and year > 2016:
        ven = origin == origin_codes.index("VEN")
        recent = ven & (rng.random(len(origin)) < 0.85)
        years_ago[recent] = rng.integers(0, year - 2015, int(recent.sum()))
    return years_ago


def education_levels(
    rng: np.random.Generator, area: str, year: int, age: np.ndarray, shift: np.ndarray
) -> np.ndarray:
    """ISCED index (0..8, 9 = _Z under 5) from a latent score: country, cohort and origin shifts."""
    cohort = np.clip(0.025 * (year - age - 1975), -1.2, 1.0)
    latent = country_profile(area).edu + cohort + shift + rng.standard_normal(len(age))
    level = np.minimum(np.searchsorted(_EDU_CUTS, latent), _EDU_CAP[age])
    return np.where(age < 5, 9, level)


def labour_status(
    rng: np.random.Generator, area: str, age: np.ndarray, male: np.ndarray, boost: np.ndarray, unemp_mult: np.ndarray
) -> np.ndarray:
    """Index into LABOUR: EMP/UNE/OLF, _Z under 15. Migrants are more often active."""
    p = country_profile(area)
    act = np.where(male, _ACT_M[age], _ACT_F[age] * p.female_lfp / 0.55)
    act = np.where(age >= 15, np.clip(act + boost, 0, 0.98), 0)
    unemp = np.clip(p.unemp * np.where(age < 25, 2.0, 1.0) * unemp_mult, 0, 0.6)
    u = rng.random(len(age))
    status = np.where(u < act * (1 - unemp), 0, np.where(u < act, 1, 2))
    return np.where(age < 15, 3, status)


def origin_edu_shift(area: str, codes: list[str]) -> np.ndarray:
    return np.array([0.0 if c == area else _ORIGIN_EDU.get(c, country_profile(c).edu - 0.1) - country_profile(area).edu
                     for c in codes])


def foreign_share(area: str, year: int) -> float:
    return max(sum(expected_stock(area, year).values()) / population(area, year), 0.01)
