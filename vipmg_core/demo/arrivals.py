"""Arrivals and departures by month, nationality, sex, age group and border type (COVID recovery, holiday peaks)."""

from __future__ import annotations

import numpy as np
import polars as pl

from vipmg_core.demo.frames import AGE_GROUPS, MONTHS, SEX, cube_frame, distribution, month_parts, normalise, seeded_rng

# Travellers are mostly adults; shapes over the 18 five-year groups.
_AGE_TOURIST = distribution([3, 3, 3, 4, 6, 8, 9, 9, 9, 9, 9, 9, 8, 6, 4, 2, 1, 0.4])
_AGE_REGIONAL = distribution([3, 3, 3, 5, 9, 11, 12, 11, 10, 9, 7, 5, 3, 2, 1, 0.5, 0.2, 0.1])


# Monthly arrivals around 2023 and the nationality mix (own nationals included; OOO = the rest).
_ARRIVALS: dict[str, tuple[float, dict[str, float]]] = {
    "CRI": (300000, {"CRI": 30, "USA": 30, "NIC": 15, "CAN": 5, "PAN": 3, "ESP": 2, "COL": 2, "MEX": 2, "OOO": 11}),
    "SLV": (150000, {"SLV": 40, "GTM": 20, "HND": 15, "USA": 12, "NIC": 4, "MEX": 2, "OOO": 7}),
    "GTM": (220000, {"GTM": 35, "SLV": 20, "USA": 12, "HND": 10, "MEX": 10, "NIC": 2, "OOO": 11}),
    "HND": (130000, {"HND": 40, "SLV": 15, "GTM": 12, "NIC": 12, "USA": 10, "OOO": 11}),
    "MEX": (3500000, {"MEX": 45, "USA": 38, "CAN": 5, "GTM": 2, "COL": 1.5, "ESP": 1, "OOO": 7.5}),
    "NIC": (80000, {"NIC": 45, "CRI": 15, "HND": 15, "USA": 8, "SLV": 5, "OOO": 12}),
    "PAN": (250000, {"PAN": 35, "USA": 15, "COL": 12, "VEN": 6, "CRI": 5, "CAN": 3, "ESP": 3, "MEX": 3,
                     "OOO": 18}),
    "BLZ": (45000, {"BLZ": 30, "USA": 35, "GTM": 15, "MEX": 5, "CAN": 4, "HND": 3, "OOO": 8}),
    "GUY": (25000, {"GUY": 45, "USA": 12, "VEN": 10, "SUR": 8, "BRA": 5, "CAN": 5, "OOO": 15}),
    "JAM": (250000, {"JAM": 22, "USA": 48, "CAN": 11, "OOO": 19}),
    "LCA": (40000, {"LCA": 25, "USA": 40, "CAN": 8, "OOO": 27}),
    "SUR": (20000, {"SUR": 45, "OOO": 25, "GUY": 12, "BRA": 7, "USA": 5, "CHN": 3, "HTI": 3}),
}
_NEIGHBOURS = {
    "CRI": {"NIC", "PAN"}, "PAN": {"CRI"}, "NIC": {"HND", "CRI"}, "HND": {"GTM", "SLV", "NIC"},
    "SLV": {"GTM", "HND"}, "GTM": {"MEX", "SLV", "HND", "BLZ"}, "MEX": {"USA", "GTM", "BLZ"},
    "BLZ": {"MEX", "GTM"}, "GUY": {"VEN", "BRA", "SUR"}, "SUR": {"GUY"},
}
# (AIR, LAND, SEA) for a country's own nationals.
_OWN_BORDER = {"CRI": (0.55, 0.45, 0), "SLV": (0.35, 0.65, 0), "GTM": (0.3, 0.7, 0), "HND": (0.3, 0.7, 0),
               "MEX": (0.35, 0.65, 0), "NIC": (0.2, 0.8, 0), "PAN": (0.75, 0.25, 0), "BLZ": (0.25, 0.7, 0.05),
               "GUY": (0.7, 0.3, 0), "SUR": (0.75, 0.25, 0), "JAM": (0.93, 0, 0.07), "LCA": (0.9, 0, 0.1)}
_BORDERS = ["AIR", "LAND", "SEA"]
_ISLANDS = {"JAM", "LCA"}
# Holiday peaks in December and July (plus Easter); departures follow arrivals a few weeks later.
_SEASON = distribution([1.05, 0.95, 1.0, 1.0, 0.85, 0.9, 1.15, 1.05, 0.8, 0.85, 0.95, 1.3]) * 12


def _border_mix(area: str, nat: str) -> tuple[float, float, float]:
    if area in _ISLANDS:
        return (0.92, 0, 0.08) if nat == area else (0.85, 0, 0.15)
    if nat == area:
        return _OWN_BORDER.get(area, (0.6, 0.4, 0))
    if nat in _NEIGHBOURS.get(area, ()):
        return (0.3, 0.7, 0) if area == "MEX" else (0.12, 0.88, 0)
    return {"BLZ": (0.85, 0.1, 0.05), "PAN": (0.93, 0.05, 0.02)}.get(area, (0.93, 0.07, 0))


def gen_arrivals(seed: int, area: str) -> pl.DataFrame:
    rng = seeded_rng(seed, "arrivals_departures", area)
    total, mix = _ARRIVALS.get(area, (30000, {area: 50, "USA": 20, "OOO": 30}))
    nats, share = normalise(mix)
    years, months = month_parts()
    # COVID recovery through 2021-2022, then a plateau.
    pos = (months - 1) / 11
    level = np.select([years == 2021, years == 2022, years == 2023], [0.4 + 0.4 * pos, 0.8 + 0.15 * pos, 1.0], 1.04)
    arr = level * _SEASON[months - 1]
    dep = level * (0.6 * _SEASON[months - 1] + 0.4 * _SEASON[months - 2]) * 0.99
    flow = np.stack([arr, dep])[:, :, None]  # flow, month, 1
    border = np.array([_border_mix(area, n) for n in nats])  # nat, border
    tourist = np.array([n in ("USA", "CAN", "ESP") for n in nats])
    ages = np.where(tourist[:, None], _AGE_TOURIST, _AGE_REGIONAL)  # nat, age
    female = np.clip(0.48 + rng.normal(0, 0.02, len(nats)), 0.3, 0.7)
    sex = np.stack([female, 1 - female], axis=1)  # nat, sex
    lam = (
        total
        * flow[:, :, :, None, None, None]
        * share[None, None, :, None, None, None]
        * sex[None, None, :, :, None, None]
        * ages[None, None, :, None, :, None]
        * border[None, None, :, None, None, :]
    )
    lam *= np.exp(rng.normal(0, 0.05, lam.shape[:3] + (1, 1, lam.shape[5])))
    cube = rng.poisson(lam)  # flow, month, nat, sex, age, border
    return cube_frame(
        "arrivals_departures",
        cube,
        [("flow", ["ARR", "DEP"]), ("time_period", list(MONTHS)), ("nationality", nats), ("sex", list(SEX)),
         ("age_group", list(AGE_GROUPS)), ("border_type", _BORDERS)],
        {"ref_area": area},
    )
