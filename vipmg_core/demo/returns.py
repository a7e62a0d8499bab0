"""Returns of nationals by month, returning country, sex, minor status, age group and transport."""

from __future__ import annotations

import numpy as np
import polars as pl

from vipmg_core.demo.frames import AGE_GROUPS, MONTHS, SEX, cube_frame, distribution, month_parts, seeded_rng

# Yearly returns around 2023, receiving country -> returning country.
_RETURNS = {
    "GTM": {"USA": 40000, "MEX": 45000},
    "HND": {"MEX": 55000, "USA": 30000, "GTM": 3000},
    "SLV": {"USA": 12000, "MEX": 10000, "GTM": 1000},
    "NIC": {"MEX": 5000, "USA": 3000, "CRI": 2000, "PAN": 500, "HND": 300},
    "MEX": {"USA": 200000, "CAN": 1500},
    "CRI": {"USA": 400, "PAN": 150, "NIC": 100},
    "PAN": {"USA": 300, "CRI": 100},
    "BLZ": {"USA": 300, "MEX": 300},
    "GUY": {"USA": 400, "CAN": 50},
    "JAM": {"USA": 1200, "OOO": 300, "CAN": 200},
    "LCA": {"USA": 80, "CAN": 20},
    "SUR": {"OOO": 100, "USA": 30},
}
_RETURN_TREND = {"USA": (0.7, 0.8, 1.0, 1.2), "MEX": (0.9, 1.1, 1.0, 1.0)}
_ACCOMPANIED_AGES = distribution([30, 25, 20, 25] + [0] * 14)
_UNACCOMPANIED_AGES = distribution([2, 5, 25, 68] + [0] * 14)
# Y15T19 counts only the 18-19 year olds here: adults and minors share that group.
_ADULT_AGES = distribution([0, 0, 0, 6, 20, 22, 18, 13, 9, 6, 3, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02])


def gen_returns(seed: int, area: str) -> pl.DataFrame:
    rng = seeded_rng(seed, "returns", area)
    sources = _RETURNS.get(area, {"USA": 100})
    froms = list(sources)
    years, _months = month_parts()
    level = np.array([[sources[f] / 12 * _RETURN_TREND.get(f, (0.8, 0.9, 1.0, 1.05))[y - 2021] for y in years]
                      for f in froms])  # from, month
    level *= np.exp(rng.normal(0, 0.12, level.shape))  # operations come in waves
    minors = np.array([0.15 if f == "MEX" else 0.06 for f in froms])
    unacc = np.array([0.45 if f == "MEX" else 0.25 for f in froms])
    status = np.stack([1 - minors, minors * (1 - unacc), minors * unacc], axis=1)  # from, status
    ages = np.stack([_ADULT_AGES, _ACCOMPANIED_AGES, _UNACCOMPANIED_AGES])  # status, age
    male = np.array([0.82, 0.5, 0.68])  # status
    sex = np.stack([1 - male, male], axis=1)  # status, sex
    # Removals from the US fly home, except to Mexico; Mexico and neighbours send buses.
    air = np.array([(0.1 if area == "MEX" else 0.95) if f == "USA" else 0.2 if f == "MEX" else
                    0.9 if f in ("CAN", "OOO") else 0.0 for f in froms])
    transport = np.stack([air, 1 - air], axis=1)  # from, transport
    lam = (
        level[:, :, None, None, None, None]
        * status[:, None, None, :, None, None]
        * sex.T[None, None, :, :, None, None]
        * ages[None, None, None, :, :, None]
        * transport[:, None, None, None, None, :]
    )
    cube = rng.poisson(lam)  # from, month, sex, status, age, transport
    return cube_frame(
        "returns",
        cube,
        [("returned_from", froms), ("time_period", list(MONTHS)), ("sex", list(SEX)),
         ("minor_status", ["ADULT", "ACCOMPANIED", "UNACCOMPANIED"]), ("age_group", list(AGE_GROUPS)),
         ("transport", ["AIR", "LAND"])],
        {"ref_area": area},
    )
