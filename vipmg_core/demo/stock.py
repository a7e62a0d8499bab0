"""Migrant stock (destination x origin x year x sex): the one table census, survey and permits also draw their
origins from, so the demo's datasets tell the same story."""

from __future__ import annotations

import zlib
from functools import cache

import numpy as np
import polars as pl

from vipmg_core.demo.countries import PROFILES, all_origins, countries, country_profile
from vipmg_core.demo.frames import SEX, cube_frame, seeded_rng

STOCK_YEARS = (1990, 1995, 2000, 2005, 2010, 2015, 2020, 2024)
# Where the project countries' emigrants live, so a country's diaspora can be shown.
_EMIGRANT_DESTINATIONS = ("USA", "CAN", "ESP")


# Persons, mid-2020, destination -> origin (UN DESA-like magnitudes; OOO = all other origins).
_STOCK_2020: dict[str, dict[str, float]] = {
    "CRI": {"NIC": 360000, "VEN": 28000, "COL": 24000, "USA": 20000, "PAN": 12500, "SLV": 9000, "CUB": 8000,
            "CHN": 7500, "HND": 5500, "MEX": 5000, "ESP": 4500, "GTM": 3500, "DOM": 3500, "PER": 3200,
            "CAN": 2800, "ECU": 2200, "BRA": 1800, "HTI": 1200, "IND": 900, "OOO": 18000},
    "PAN": {"VEN": 80000, "COL": 72000, "CHN": 21000, "NIC": 19000, "USA": 14000, "DOM": 11000, "CRI": 8500,
            "CUB": 8000, "ECU": 6500, "PER": 6000, "MEX": 5200, "ESP": 5000, "IND": 4200, "SLV": 3000,
            "HND": 2800, "HTI": 2500, "GTM": 2200, "BRA": 2000, "CAN": 1800, "OOO": 26000},
    "MEX": {"USA": 797000, "GTM": 56000, "VEN": 52000, "HND": 38000, "COL": 32000, "CUB": 25000, "ESP": 21000,
            "SLV": 19000, "CHN": 11000, "CAN": 10000, "HTI": 9000, "PER": 8000, "BRA": 6000, "NIC": 5000,
            "ECU": 5000, "IND": 4000, "DOM": 3500, "CRI": 3000, "BLZ": 2500, "PAN": 1500, "OOO": 90000},
    "GTM": {"SLV": 19000, "MEX": 18000, "HND": 9500, "USA": 8500, "NIC": 6500, "BLZ": 1500, "CRI": 1500,
            "COL": 1500, "VEN": 1500, "ESP": 1200, "CUB": 900, "CHN": 800, "PER": 600, "ECU": 500, "CAN": 500,
            "PAN": 400, "DOM": 300, "BRA": 300, "HTI": 200, "IND": 200, "OOO": 8000},
    "SLV": {"HND": 14000, "GTM": 9000, "NIC": 6500, "USA": 3500, "MEX": 2200, "CRI": 1000, "VEN": 700,
            "COL": 600, "ESP": 600, "PAN": 300, "CUB": 300, "CHN": 300, "OOO": 3000},
    "HND": {"NIC": 8500, "SLV": 8000, "USA": 6000, "GTM": 5000, "MEX": 2200, "CRI": 600, "COL": 500,
            "VEN": 500, "CHN": 500, "CUB": 400, "ESP": 400, "BLZ": 200, "OOO": 3500},
    "NIC": {"HND": 12000, "CRI": 9000, "USA": 5000, "SLV": 3000, "CUB": 2000, "MEX": 1800, "GTM": 1500,
            "VEN": 600, "COL": 600, "PAN": 500, "ESP": 500, "CHN": 300, "OOO": 4000},
    "BLZ": {"GTM": 27000, "HND": 10000, "SLV": 8500, "MEX": 4200, "USA": 3200, "CHN": 2000, "NIC": 1200,
            "IND": 1000, "CAN": 600, "JAM": 500, "OOO": 2500},
    "GUY": {"VEN": 22000, "BRA": 2200, "USA": 2000, "SUR": 1900, "CUB": 1200, "HTI": 800, "CHN": 700,
            "IND": 400, "JAM": 300, "DOM": 300, "OOO": 1500},
    "JAM": {"USA": 5200, "CAN": 1500, "CUB": 1200, "CHN": 1100, "IND": 1000, "GUY": 700, "HTI": 600,
            "DOM": 300, "LCA": 300, "VEN": 300, "COL": 300, "OOO": 6500},
    "LCA": {"GUY": 900, "USA": 700, "JAM": 350, "CAN": 200, "CUB": 150, "DOM": 150, "HTI": 100, "VEN": 100,
            "IND": 100, "CHN": 100, "OOO": 3800},
    "SUR": {"GUY": 14000, "BRA": 9500, "HTI": 6500, "CHN": 5000, "VEN": 2200, "DOM": 1500, "IND": 1200,
            "USA": 700, "CUB": 600, "COL": 400, "JAM": 100, "OOO": 9000},
    # Emigrants of the project countries abroad, so a country's diaspora can be shown.
    "USA": {"MEX": 10900000, "SLV": 1410000, "GTM": 1110000, "JAM": 760000, "HND": 745000, "GUY": 290000,
            "NIC": 260000, "PAN": 110000, "CRI": 100000, "BLZ": 50000, "LCA": 35000, "SUR": 3500},
    "CAN": {"JAM": 140000, "GUY": 90000, "MEX": 85000, "SLV": 50000, "GTM": 18000, "HND": 10000, "NIC": 10000,
            "LCA": 10000, "CRI": 4000, "PAN": 3000, "BLZ": 2500, "SUR": 1500},
    "ESP": {"HND": 100000, "MEX": 58000, "NIC": 52000, "SLV": 30000, "GTM": 15000, "CRI": 6500, "PAN": 6000,
            "JAM": 1500, "SUR": 400, "BLZ": 300, "GUY": 300, "LCA": 200},
}

# Stock relative to 2020 at each of STOCK_YEARS.
_CURVES: dict[str, tuple[float, ...]] = {
    "steady": (0.55, 0.62, 0.70, 0.78, 0.86, 0.93, 1.00, 1.06),
    "recent": (0.20, 0.25, 0.30, 0.40, 0.50, 0.70, 1.00, 1.20),
    "ven": (0.06, 0.07, 0.09, 0.12, 0.16, 0.25, 1.00, 1.25),
    "nic_cri": (0.33, 0.45, 0.63, 0.72, 0.80, 0.90, 1.00, 1.15),
    "mex_usa": (0.39, 0.61, 0.86, 1.00, 1.12, 1.10, 1.00, 0.99),
    "ca_usa": (0.30, 0.40, 0.55, 0.70, 0.82, 0.90, 1.00, 1.08),
    "esp": (0.05, 0.08, 0.15, 0.50, 0.80, 0.80, 1.00, 1.30),
}
_FEMALE_SHARE = {("CRI", "NIC"): 0.51, ("USA", "MEX"): 0.47, ("USA", "JAM"): 0.57, ("ESP", "HND"): 0.68,
                 ("ESP", "NIC"): 0.70, ("ESP", "SLV"): 0.60}
_FEMALE_BY_ORIGIN = {"DOM": 0.56, "CHN": 0.45, "IND": 0.40, "HTI": 0.45, "USA": 0.49, "CAN": 0.50}


def _curve(dest: str, origin: str) -> tuple[float, ...]:
    if origin == "VEN":
        return _CURVES["ven"]
    if (dest, origin) == ("CRI", "NIC"):
        return _CURVES["nic_cri"]
    if dest == "USA":
        return _CURVES["mex_usa" if origin == "MEX" else "ca_usa"]
    if dest == "ESP":
        return _CURVES["esp"]
    if origin in ("HTI", "CHN", "IND", "CUB"):
        return _CURVES["recent"]
    return _CURVES["steady"]


def female_share(dest: str, origin: str) -> float:
    if (dest, origin) in _FEMALE_SHARE:
        return _FEMALE_SHARE[dest, origin]
    if dest == "ESP":
        return 0.62
    if dest == "USA":
        return 0.47
    return _FEMALE_BY_ORIGIN.get(origin, 0.50)


def stock_destinations() -> list[str]:
    return list(dict.fromkeys([*countries(), *_EMIGRANT_DESTINATIONS]))


@cache
def _stock_table(dest: str) -> dict[str, float]:
    """2020 stock by origin, with small filler values for pairs the table leaves out."""
    table = dict(_STOCK_2020.get(dest, {}))
    if dest in _EMIGRANT_DESTINATIONS:
        # Abroad we only show the project countries' emigrants; unknown project countries get a little.
        for origin in countries():
            table.setdefault(origin, 2000.0)
        return {o: v for o, v in table.items() if o != dest}
    if not table:
        table = {"USA": 3000.0, "OOO": 5000.0}
    total = sum(table.values())
    for origin in all_origins():
        if origin in table or origin == dest:
            continue
        # A fixed pseudo-random filler (not seed-dependent: it is part of the "truth", not the noise).
        size = 0.3 + (zlib.crc32(f"{dest}>{origin}".encode()) % 1000) / 1000 * 1.4
        far = country_profile(dest).caribbean != country_profile(origin).caribbean and origin in PROFILES
        table[origin] = max(5.0, total * 0.0006 * size / (5 if far else 1))
    return table


def expected_stock(dest: str, year: float) -> dict[str, float]:
    """Expected stock by origin in any year (linear between the stock years, flat outside them)."""
    return {o: v * float(np.interp(year, STOCK_YEARS, _curve(dest, o))) for o, v in _stock_table(dest).items()}


def emigrant_destinations(origin: str) -> tuple[list[str], np.ndarray]:
    dests, values = [], []
    for dest in stock_destinations():
        if dest != origin and origin in _stock_table(dest):
            dests.append(dest)
            values.append(_stock_table(dest)[origin])
    weights = np.asarray(values, float)
    return dests, weights / weights.sum()


def gen_migrant_stock(seed: int, dest: str) -> pl.DataFrame:
    rng = seeded_rng(seed, "migrant_stock", dest)
    table = _stock_table(dest)
    origins = list(table)
    curves = np.array([_curve(dest, o) for o in origins])  # origin x year
    base = np.array([table[o] for o in origins])[:, None] * curves
    # A pair-level offset plus year-to-year wobble, so series are not perfectly smooth.
    noise = np.exp(rng.normal(0, 0.08, (len(origins), 1)) + rng.normal(0, 0.03, base.shape))
    female = np.array([female_share(dest, o) for o in origins])
    female = np.clip(female[:, None] + rng.normal(0, 0.01, base.shape), 0.2, 0.8)
    both = base * noise
    cube = np.round(np.stack([both * female, both * (1 - female)], axis=2)).astype(np.int64)  # o, y, sex
    return cube_frame(
        "migrant_stock",
        cube,
        [("origin", origins), ("time_period", [str(y) for y in STOCK_YEARS]), ("sex", list(SEX))],
        {"destination": dest},
    )
