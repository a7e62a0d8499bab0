"""Residence permits by year, nationality, sex and permit type; nationalities follow the migrant stock, with the
humanitarian waves (Venezuelans, Nicaraguans in Costa Rica, Mexico's humanitarian visas)."""

from __future__ import annotations

import numpy as np
import polars as pl

from vipmg_core.demo.countries import all_origins
from vipmg_core.demo.frames import cube_frame, seeded_rng
from vipmg_core.demo.stock import expected_stock

PERMIT_YEARS = tuple(range(2015, 2025))


_PERMIT_TYPES = ["TEMP", "PERM", "WORK", "STUDY", "FAMILY", "HUMANITARIAN", "OTHER"]
_PERMIT_MIX = np.array([0.32, 0.14, 0.22, 0.05, 0.18, 0.02, 0.07])
_PERMITS_2024 = {"MEX": 90000, "CRI": 35000, "PAN": 45000, "GTM": 6000, "SLV": 3500, "HND": 3000, "NIC": 2500,
                 "BLZ": 2500, "GUY": 4000, "JAM": 5000, "LCA": 800, "SUR": 3500}
# 2020 is the pandemic dip.
_PERMIT_LEVEL = np.array([0.80, 0.85, 0.90, 1.00, 1.05, 0.60, 0.85, 1.00, 1.10, 1.15]) / 1.15
_HUMANITARIAN = {
    ("PAN", "VEN"): [0.02, 0.02, 0.02, 0.02, 0.15, 0.30, 0.35, 0.40, 0.45, 0.45],
    ("CRI", "VEN"): [0.02, 0.02, 0.02, 0.02, 0.15, 0.30, 0.35, 0.40, 0.45, 0.45],
    ("CRI", "NIC"): [0.01, 0.01, 0.01, 0.20, 0.45, 0.50, 0.55, 0.60, 0.55, 0.50],
}
_MEX_HUMANITARIAN = {"HND", "SLV", "GTM", "VEN", "HTI", "CUB", "NIC"}


def gen_permits(seed: int, area: str) -> pl.DataFrame:
    rng = seeded_rng(seed, "residence_permits", area)
    total = _PERMITS_2024.get(area, 2000)
    nats = [o for o in all_origins() if o != area]
    stock = np.array([[expected_stock(area, y).get(n, 0.0) for n in nats] for y in PERMIT_YEARS])  # year, nat
    nat_share = stock / stock.sum(axis=1, keepdims=True)
    mix = np.broadcast_to(_PERMIT_MIX, (len(PERMIT_YEARS), len(nats), len(_PERMIT_TYPES))).copy()
    hum = _PERMIT_TYPES.index("HUMANITARIAN")
    for j, nat in enumerate(nats):
        if (area, nat) in _HUMANITARIAN:
            target = np.array(_HUMANITARIAN[area, nat])
        elif area == "MEX" and nat in _MEX_HUMANITARIAN:
            target = np.where(np.array(PERMIT_YEARS) >= 2019, 0.30, 0.08)
        else:
            continue
        # Humanitarian takes its share; the other types shrink proportionally.
        mix[:, j, :] *= ((1 - target) / (1 - _PERMIT_MIX[hum]))[:, None]
        mix[:, j, hum] = target
    mix *= np.exp(rng.normal(0, 0.15, mix.shape))
    mix /= mix.sum(axis=2, keepdims=True)
    # A few records without sex, as in real registers.
    female = np.clip(0.5 + rng.normal(0, 0.03, len(nats)), 0.3, 0.7) * 0.996
    sex = np.stack([female, 0.996 - female, np.full(len(nats), 0.004)], axis=1)  # nat, sex
    lam = (
        total
        * _PERMIT_LEVEL[:, None, None, None]
        * nat_share[:, :, None, None]
        * sex[None, :, :, None]
        * mix[:, :, None, :]
    )
    cube = rng.poisson(lam * np.exp(rng.normal(0, 0.05, lam.shape)))  # year, nat, sex, type
    return cube_frame(
        "residence_permits",
        cube,
        [("time_period", [str(y) for y in PERMIT_YEARS]), ("nationality", nats), ("sex", ["F", "M", "_U"]),
         ("permit_type", _PERMIT_TYPES)],
        {"ref_area": area},
    )
