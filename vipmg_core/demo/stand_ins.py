"""Small demo stand-ins for the datasets the importers fill with real data: refugees (UNHCR), encounters
(CBP/UPM) and the migrant stock totals (UN DESA)."""

from __future__ import annotations

import numpy as np
import polars as pl

from vipmg_core.datasets import dataset
from vipmg_core.demo.frames import MONTHS, cube_frame, month_parts, normalise, seeded_rng
from vipmg_core.demo.stock import gen_migrant_stock

REFUGEE_YEARS = tuple(range(2015, 2025))
# Refugees + asylum-seekers around 2023 by country of asylum, and the origin mix (OOO = the rest).
_REFUGEES: dict[str, tuple[float, dict[str, float]]] = {
    "CRI": (250000, {"NIC": 70, "VEN": 20, "COL": 4, "CUB": 4, "OOO": 2}),
    "MEX": (200000, {"HND": 35, "HTI": 20, "CUB": 15, "VEN": 12, "SLV": 8, "GTM": 5, "OOO": 5}),
    "PAN": (120000, {"VEN": 60, "COL": 20, "NIC": 10, "CUB": 5, "OOO": 5}),
    "GTM": (8000, {"HND": 40, "SLV": 30, "NIC": 20, "OOO": 10}),
    "BLZ": (6000, {"HND": 45, "SLV": 30, "GTM": 20, "OOO": 5}),
}
_REFUGEE_TREND = np.array([0.15, 0.2, 0.3, 0.45, 0.6, 0.7, 0.75, 0.85, 1.0, 1.1])
# Monthly encounters around 2023 by recording country, and the nationality mix.
_ENCOUNTERS: dict[str, tuple[float, dict[str, float]]] = {
    "MEX": (45000, {"HND": 25, "GTM": 20, "VEN": 15, "SLV": 8, "CUB": 8, "HTI": 8, "ECU": 8, "OOO": 8}),
    "GTM": (3000, {"HND": 40, "SLV": 20, "VEN": 15, "NIC": 10, "OOO": 15}),
    "PAN": (25000, {"VEN": 55, "ECU": 15, "HTI": 10, "COL": 10, "OOO": 10}),
}
_ENCOUNTER_GROUPS = ("SA", "FMUA", "AM", "UC")
_ENCOUNTER_GROUP_SHARE = np.array([0.62, 0.28, 0.03, 0.07])


def gen_refugees(seed: int, area: str) -> pl.DataFrame:
    rng = seeded_rng(seed, "refugees", area)
    total, mix = _REFUGEES.get(area, (600.0, {"VEN": 40, "HTI": 30, "NIC": 20, "OOO": 10}))
    origins, share = normalise({o: v for o, v in mix.items() if o != area})
    # Asylum-seekers weigh more in recent years, as applications outpaced decisions.
    pending = np.linspace(0.4, 0.7, len(REFUGEE_YEARS))
    kinds = np.stack([1 - pending, pending], axis=1)  # year, (REF, ASY)
    lam = total * share[:, None, None] * _REFUGEE_TREND[None, :, None] * kinds[None, :, :]
    cube = rng.poisson(lam * np.exp(rng.normal(0, 0.05, lam.shape)))
    return cube_frame("refugees", cube, [("origin", origins), ("time_period", [str(y) for y in REFUGEE_YEARS]),
                                          ("population_type", ["REF", "ASY"])], {"asylum": area, "redacted": "N"})


def gen_encounters(seed: int, area: str) -> pl.DataFrame:
    rng = seeded_rng(seed, "encounters", area)
    monthly, mix = _ENCOUNTERS.get(area, (150.0, {"VEN": 35, "HTI": 25, "CUB": 20, "OOO": 20}))
    nats, share = normalise({n: v for n, v in mix.items() if n != area})
    years, _months = month_parts()
    level = monthly * (0.6 + 0.2 * (years - 2021))  # rising towards 2023-2024
    lam = level[None, :, None] * share[:, None, None] * _ENCOUNTER_GROUP_SHARE[None, None, :]
    cube = rng.poisson(lam * np.exp(rng.normal(0, 0.1, lam.shape)))
    return cube_frame("encounters", cube, [("nationality", nats), ("time_period", list(MONTHS)),
                                            ("demographic", list(_ENCOUNTER_GROUPS))],
                       {"ref_area": area, "authority": None, "border_region": None})


def gen_migrant_stock_total(seed: int, dest: str) -> pl.DataFrame:
    """All origins together, so the totals agree with the demo stock by origin."""
    by_origin = gen_migrant_stock(seed, dest)
    totals = by_origin.group_by("destination", "time_period", "sex").agg(pl.col("obs_value").sum())
    return totals.sort("time_period", "sex").select(dataset("migrant_stock_total").column_names)
