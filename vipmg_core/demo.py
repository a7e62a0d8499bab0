"""Deterministic synthetic demo data for the seven standard datasets.

Nothing here is real: figures are shaped after public magnitudes (UN DESA migrant stock, the Darién
counts, returns to the North of Central America, census and survey structure) so that demos look
plausible, but every number is drawn from a seeded random generator.

- Same seed (and scale) -> identical frames. Randomness comes from `numpy.random.Generator`s seeded
  with the seed plus a CRC32 of the dataset/country/period key, never Python's `hash()`, so the output
  also does not depend on the order in which datasets or chunks are generated.
- Frames have exactly the declared columns and dtypes (`dataset(id).polars_schema`).
- Aggregates hold only detailed categories (no `_T` rows) and omit zero cells; they do not depend on
  `scale`. `scale` multiplies the microdata sample sizes: at scale 1 census has ~176k person rows and
  survey ~205k; `generate_chunks("census", scale=CENSUS_10M_SCALE)` (60) yields ~10.6 million, in
  chunks of at most `MAX_CHUNK_ROWS`, so memory stays bounded. Survey weights are calibrated to the
  population, so weighted totals do not change with scale.
- Census nulls: `residence_5y_ago` is null for children under 5 (not applicable) and for a small share
  of "not declared" answers; `year_of_arrival` is null for the native-born.
- Census years follow each country's calendar where a census was held near the round; the others are
  made up. Country of birth shares come from the same stock table as `migrant_stock` (interpolated to
  the census year), with the foreign-born share floored at 1% so every country has foreign-born rows.

`build` publishes it all into a warehouse (`python -m vipmg_core demo [--scale 60]`); `ensure_demo` does
so on first start when the data directory is empty, with the real series of the public data pack
(`vipmg_core.pack`) in place of the synthetic ones wherever the pack has them.
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from statistics import NormalDist

import numpy as np
import polars as pl

from vipmg_core import pack
from vipmg_core.codelists import partner_countries, project_countries
from vipmg_core.datasets import dataset, dataset_ids
from vipmg_core.warehouse import Provenance, Release, Warehouse

DEMO_SEED = 2026
# Census rows at scale 1 are ~176k; x60 passes 10 million (see planned_rows).
CENSUS_10M_SCALE = 60
MAX_CHUNK_ROWS = 1_000_000

AGE_GROUPS: tuple[str, ...] = tuple(f"Y{a}T{a + 4}" for a in range(0, 85, 5)) + ("Y_GE85",)
MONTHS: tuple[str, ...] = tuple(f"{y}-{m:02d}" for y in range(2021, 2025) for m in range(1, 13))
STOCK_YEARS = (1990, 1995, 2000, 2005, 2010, 2015, 2020, 2024)
PERMIT_YEARS = tuple(range(2015, 2025))
SURVEY_YEARS = tuple(range(2019, 2025))
EDUCATION = ("ISCED0", "ISCED1", "ISCED2", "ISCED3", "ISCED4", "ISCED5", "ISCED6", "ISCED7", "ISCED8", "_Z")
LABOUR = ("EMP", "UNE", "OLF", "_Z")
SEX = ("F", "M")
MAX_AGE = 100


# --------------------------------------------------------------------------------------------------
# Country profiles
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Country:
    pop2020: float
    growth: float  # yearly population growth
    young: float  # decline of cohort size with age: higher = younger pyramid
    urban: float  # urban share around 2020
    edu: float  # shift on the latent education scale
    unemp: float  # unemployment rate of the active population
    female_lfp: float  # activity rate of women aged 25-54
    census_years: tuple[str, str, str]
    regions: int  # survey regions (strata are region x urban/rural)
    hh_size: float
    remit: float  # share of households receiving remittances
    returned: float  # share of households headed by a returned migrant
    caribbean: bool = False


_DEFAULT = _Country(1e6, 0.01, 0.01, 0.6, 0.0, 0.08, 0.5, ("2000", "2010", "2020"), 4, 3.5, 0.08, 0.01)
_COUNTRIES: dict[str, _Country] = {
    "CRI": _Country(5.1e6, 0.010, 0.004, 0.80, 0.35, 0.11, 0.55, ("2000", "2011", "2022"), 7, 3.2, 0.05, 0.010),
    "SLV": _Country(6.3e6, 0.005, 0.010, 0.73, -0.05, 0.06, 0.50, ("1992", "2007", "2024"), 5, 3.6, 0.22, 0.035),
    "GTM": _Country(17.0e6, 0.019, 0.020, 0.52, -0.45, 0.03, 0.42, ("1994", "2002", "2018"), 8, 4.6, 0.18, 0.030),
    "HND": _Country(9.9e6, 0.017, 0.017, 0.58, -0.30, 0.07, 0.45, ("2001", "2013", "2023"), 6, 4.2, 0.20, 0.035),
    "MEX": _Country(126.0e6, 0.011, 0.009, 0.80, 0.20, 0.035, 0.50, ("2000", "2010", "2020"), 8, 3.6, 0.05, 0.020),
    "NIC": _Country(6.6e6, 0.014, 0.014, 0.59, -0.30, 0.05, 0.50, ("1995", "2005", "2020"), 5, 4.0, 0.15, 0.020),
    "PAN": _Country(4.3e6, 0.016, 0.010, 0.68, 0.30, 0.09, 0.55, ("2000", "2010", "2023"), 6, 3.5, 0.04, 0.010),
    "BLZ": _Country(0.40e6, 0.020, 0.015, 0.46, 0.00, 0.08, 0.50, ("2000", "2010", "2022"), 6, 3.8, 0.08, 0.010, True),
    "GUY": _Country(0.79e6, 0.005, 0.008, 0.27, 0.00, 0.12, 0.45, ("2002", "2012", "2022"), 4, 3.7, 0.10, 0.020, True),
    "JAM": _Country(2.8e6, 0.004, 0.004, 0.56, 0.20, 0.08, 0.62, ("2001", "2011", "2022"), 4, 3.1, 0.25, 0.030, True),
    "LCA": _Country(0.18e6, 0.005, 0.004, 0.19, 0.10, 0.15, 0.62, ("2001", "2010", "2022"), 3, 3.0, 0.15, 0.020, True),
    "SUR": _Country(0.60e6, 0.010, 0.008, 0.66, 0.00, 0.09, 0.50, ("2004", "2012", "2024"), 3, 3.6, 0.06, 0.010, True),
}
_EMIGRANT_DESTINATIONS = ("USA", "CAN", "ESP")


def _profile(iso3: str) -> _Country:
    return _COUNTRIES.get(iso3, _DEFAULT)


def _population(iso3: str, year: int) -> float:
    p = _profile(iso3)
    return p.pop2020 * (1 + p.growth) ** (year - 2020)


def _rng(seed: int, *key: object) -> np.random.Generator:
    # A CRC of the key, not hash(): hash() of strings changes between interpreter runs.
    crc = zlib.crc32("/".join(map(str, key)).encode())
    return np.random.default_rng(np.random.SeedSequence([int(seed) % 2**64, crc]))


def _countries() -> list[str]:
    return project_countries()


def _origins() -> list[str]:
    """Every origin/nationality the demo uses: partners, then project countries."""
    seen = dict.fromkeys([*partner_countries(), *project_countries()])
    return list(seen)


# --------------------------------------------------------------------------------------------------
# Migrant stock: the one table census, survey and permits also draw their origins from
# --------------------------------------------------------------------------------------------------

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


def _female_share(dest: str, origin: str) -> float:
    if (dest, origin) in _FEMALE_SHARE:
        return _FEMALE_SHARE[dest, origin]
    if dest == "ESP":
        return 0.62
    if dest == "USA":
        return 0.47
    return _FEMALE_BY_ORIGIN.get(origin, 0.50)


def _stock_destinations() -> list[str]:
    return list(dict.fromkeys([*_countries(), *_EMIGRANT_DESTINATIONS]))


@cache
def _stock_table(dest: str) -> dict[str, float]:
    """2020 stock by origin, with small filler values for pairs the table leaves out."""
    table = dict(_STOCK_2020.get(dest, {}))
    if dest in _EMIGRANT_DESTINATIONS:
        # Abroad we only show the project countries' emigrants; unknown project countries get a little.
        for origin in _countries():
            table.setdefault(origin, 2000.0)
        return {o: v for o, v in table.items() if o != dest}
    if not table:
        table = {"USA": 3000.0, "OOO": 5000.0}
    total = sum(table.values())
    for origin in _origins():
        if origin in table or origin == dest:
            continue
        # A fixed pseudo-random filler (not seed-dependent: it is part of the "truth", not the noise).
        size = 0.3 + (zlib.crc32(f"{dest}>{origin}".encode()) % 1000) / 1000 * 1.4
        far = _profile(dest).caribbean != _profile(origin).caribbean and origin in _COUNTRIES
        table[origin] = max(5.0, total * 0.0006 * size / (5 if far else 1))
    return table


def _stock_expected(dest: str, year: float) -> dict[str, float]:
    """Expected stock by origin in any year (linear between the stock years, flat outside them)."""
    return {o: v * float(np.interp(year, STOCK_YEARS, _curve(dest, o))) for o, v in _stock_table(dest).items()}


def _emigrant_destinations(origin: str) -> tuple[list[str], np.ndarray]:
    dests, values = [], []
    for dest in _stock_destinations():
        if dest != origin and origin in _stock_table(dest):
            dests.append(dest)
            values.append(_stock_table(dest)[origin])
    weights = np.asarray(values, float)
    return dests, weights / weights.sum()


def _gen_migrant_stock(seed: int, dest: str) -> pl.DataFrame:
    rng = _rng(seed, "migrant_stock", dest)
    table = _stock_table(dest)
    origins = list(table)
    curves = np.array([_curve(dest, o) for o in origins])  # origin x year
    base = np.array([table[o] for o in origins])[:, None] * curves
    # A pair-level offset plus year-to-year wobble, so series are not perfectly smooth.
    noise = np.exp(rng.normal(0, 0.08, (len(origins), 1)) + rng.normal(0, 0.03, base.shape))
    female = np.array([_female_share(dest, o) for o in origins])
    female = np.clip(female[:, None] + rng.normal(0, 0.01, base.shape), 0.2, 0.8)
    both = base * noise
    cube = np.round(np.stack([both * female, both * (1 - female)], axis=2)).astype(np.int64)  # o, y, sex
    return _cube_frame(
        "migrant_stock",
        cube,
        [("origin", origins), ("time_period", [str(y) for y in STOCK_YEARS]), ("sex", list(SEX))],
        {"destination": dest},
    )


# --------------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------------


def _labels(values: list[str | None] | tuple[str, ...], index: np.ndarray) -> pl.Series:
    return pl.Series(values=list(values), dtype=pl.String).gather(index)


def _finish(dataset_id: str, columns: dict[str, pl.Series | str], height: int) -> pl.DataFrame:
    """Order and type the columns as declared; plain strings become constant columns."""
    ds = dataset(dataset_id)
    frame = pl.DataFrame({k: v for k, v in columns.items() if isinstance(v, pl.Series)}, height=height)
    consts = {k: v for k, v in columns.items() if not isinstance(v, pl.Series)}
    if consts:
        frame = frame.with_columns(pl.lit(v, dtype=pl.String).alias(k) for k, v in consts.items())
    return frame.select(ds.column_names).cast(ds.polars_schema)


def _cube_frame(
    dataset_id: str,
    cube: np.ndarray,
    axes: list[tuple[str, list[str]]],
    fixed: dict[str, str],
) -> pl.DataFrame:
    """One row per non-zero cell of a count cube whose axes are (column, labels)."""
    idx = np.nonzero(cube > 0)
    columns: dict[str, pl.Series | str] = dict(fixed)
    for (name, labels), pos in zip(axes, idx, strict=True):
        columns[name] = _labels(labels, pos)
    columns["obs_value"] = pl.Series(cube[idx].astype(np.int64))
    return _finish(dataset_id, columns, len(idx[0]))


def _normalise(weights: dict[str, float]) -> tuple[list[str], np.ndarray]:
    keys = list(weights)
    values = np.asarray([weights[k] for k in keys], float)
    return keys, values / values.sum()


def _age_index(age: np.ndarray) -> np.ndarray:
    """Vectorised `codelists.age_group_of`: index into AGE_GROUPS."""
    return np.minimum(age // 5, len(AGE_GROUPS) - 1)


def _month_parts() -> tuple[np.ndarray, np.ndarray]:
    years = np.array([int(m[:4]) for m in MONTHS])
    months = np.array([int(m[5:]) for m in MONTHS])
    return years, months


def _profile_vec(values: list[float]) -> np.ndarray:
    arr = np.asarray(values, float)
    return arr / arr.sum()


# Travellers and irregular migrants are mostly adults; shapes over the 18 five-year groups.
_AGE_TOURIST = _profile_vec([3, 3, 3, 4, 6, 8, 9, 9, 9, 9, 9, 9, 8, 6, 4, 2, 1, 0.4])
_AGE_REGIONAL = _profile_vec([3, 3, 3, 5, 9, 11, 12, 11, 10, 9, 7, 5, 3, 2, 1, 0.5, 0.2, 0.1])
_AGE_TRANSIT = _profile_vec([7, 6, 4, 7, 16, 17, 14, 10, 7, 5, 3, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02])
_AGE_CA_TRANSIT = _profile_vec([2, 2, 3, 12, 22, 20, 15, 10, 7, 4, 2, 1, 0.3, 0.1, 0.05, 0.02, 0.01, 0.01])


# --------------------------------------------------------------------------------------------------
# Arrivals and departures
# --------------------------------------------------------------------------------------------------

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
_SEASON = _profile_vec([1.05, 0.95, 1.0, 1.0, 0.85, 0.9, 1.15, 1.05, 0.8, 0.85, 0.95, 1.3]) * 12


def _border_mix(area: str, nat: str) -> tuple[float, float, float]:
    if area in _ISLANDS:
        return (0.92, 0, 0.08) if nat == area else (0.85, 0, 0.15)
    if nat == area:
        return _OWN_BORDER.get(area, (0.6, 0.4, 0))
    if nat in _NEIGHBOURS.get(area, ()):
        return (0.3, 0.7, 0) if area == "MEX" else (0.12, 0.88, 0)
    return {"BLZ": (0.85, 0.1, 0.05), "PAN": (0.93, 0.05, 0.02)}.get(area, (0.93, 0.07, 0))


def _gen_arrivals(seed: int, area: str) -> pl.DataFrame:
    rng = _rng(seed, "arrivals_departures", area)
    total, mix = _ARRIVALS.get(area, (30000, {area: 50, "USA": 20, "OOO": 30}))
    nats, share = _normalise(mix)
    years, months = _month_parts()
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
    return _cube_frame(
        "arrivals_departures",
        cube,
        [("flow", ["ARR", "DEP"]), ("time_period", list(MONTHS)), ("nationality", nats), ("sex", list(SEX)),
         ("age_group", list(AGE_GROUPS)), ("border_type", _BORDERS)],
        {"ref_area": area},
    )


# --------------------------------------------------------------------------------------------------
# Residence permits
# --------------------------------------------------------------------------------------------------

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


def _gen_permits(seed: int, area: str) -> pl.DataFrame:
    rng = _rng(seed, "residence_permits", area)
    total = _PERMITS_2024.get(area, 2000)
    nats = [o for o in _origins() if o != area]
    stock = np.array([[_stock_expected(area, y).get(n, 0.0) for n in nats] for y in PERMIT_YEARS])  # year, nat
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
    return _cube_frame(
        "residence_permits",
        cube,
        [("time_period", [str(y) for y in PERMIT_YEARS]), ("nationality", nats), ("sex", ["F", "M", "_U"]),
         ("permit_type", _PERMIT_TYPES)],
        {"ref_area": area},
    )


# --------------------------------------------------------------------------------------------------
# Returns
# --------------------------------------------------------------------------------------------------

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
_ACCOMPANIED_AGES = _profile_vec([30, 25, 20, 25] + [0] * 14)
_UNACCOMPANIED_AGES = _profile_vec([2, 5, 25, 68] + [0] * 14)
# Y15T19 counts only the 18-19 year olds here: adults and minors share that group.
_ADULT_AGES = _profile_vec([0, 0, 0, 6, 20, 22, 18, 13, 9, 6, 3, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02])


def _gen_returns(seed: int, area: str) -> pl.DataFrame:
    rng = _rng(seed, "returns", area)
    sources = _RETURNS.get(area, {"USA": 100})
    froms = list(sources)
    years, months = _month_parts()
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
    return _cube_frame(
        "returns",
        cube,
        [("returned_from", froms), ("time_period", list(MONTHS)), ("sex", list(SEX)),
         ("minor_status", ["ADULT", "ACCOMPANIED", "UNACCOMPANIED"]), ("age_group", list(AGE_GROUPS)),
         ("transport", ["AIR", "LAND"])],
        {"ref_area": area},
    )


# --------------------------------------------------------------------------------------------------
# Irregular transit
# --------------------------------------------------------------------------------------------------

# The southern route, as recorded in Darién (Panama), by year 2021..2024.
_DARIEN_TOTAL = (133000, 248000, 520000, 302000)
_DARIEN_MIX = (
    {"HTI": 55, "OOO": 20, "CUB": 14, "VEN": 3, "ECU": 2, "COL": 1, "IND": 2, "CHN": 1, "PER": 2},
    {"VEN": 61, "ECU": 12, "HTI": 9, "OOO": 10, "CUB": 2, "COL": 2, "CHN": 1, "IND": 1, "PER": 2},
    {"VEN": 63, "ECU": 11, "HTI": 9, "COL": 5, "CHN": 5, "OOO": 5, "IND": 1, "PER": 1},
    {"VEN": 70, "COL": 6, "ECU": 6, "CHN": 5, "HTI": 4, "OOO": 7, "PER": 1, "IND": 1},
)
_DARIEN_MONTHS = (
    (0.2, 0.3, 0.4, 0.5, 0.6, 0.9, 1.5, 1.8, 2.1, 1.8, 1.1, 0.8),
    (0.4, 0.4, 0.5, 0.6, 0.8, 1.0, 1.1, 1.4, 2.0, 2.3, 1.0, 0.5),
    (0.5, 0.5, 0.7, 0.9, 0.9, 1.1, 1.3, 1.8, 2.0, 1.4, 1.1, 0.9),
    (1.5, 1.3, 1.2, 1.0, 1.1, 1.0, 0.8, 0.6, 0.5, 0.5, 0.3, 0.2),
)
# Flights to Nicaragua join the route there (Cubans, Haitians, extra-continental).
_NIC_ENTRY_TOTAL = (20000, 150000, 180000, 120000)
_NIC_ENTRY_MIX = {"CUB": 50, "HTI": 30, "OOO": 15, "IND": 5}
# Central Americans heading north, recorded in Guatemala and Mexico.
_CA_NORTH_TOTAL = (170000, 200000, 220000, 250000)
_CA_NORTH_MIX = {"HND": 40, "GTM": 40, "SLV": 12, "NIC": 8}
# Share of (Darién route, Nicaragua entries, Central Americans) each country records.
_TRANSIT_SHARES = {"PAN": (1.0, 0, 0), "CRI": (0.9, 0, 0), "NIC": (0.03, 0.03, 0), "HND": (0.7, 1.0, 0.05),
                   "GTM": (0.25, 0.3, 0.1), "MEX": (0.6, 0.8, 1.0), "SLV": (0, 0.01, 0.005)}
# Small recorded flows elsewhere: yearly totals and mix.
_TRANSIT_SMALL = {
    "BLZ": ((300, 500, 700, 400), {"HND": 30, "GTM": 20, "SLV": 10, "CUB": 20, "HTI": 10, "OOO": 10}),
    "GUY": ((200, 400, 600, 400), {"CUB": 50, "HTI": 30, "VEN": 10, "OOO": 10}),
    "SUR": ((150, 300, 400, 300), {"CUB": 50, "HTI": 40, "OOO": 10}),
    "JAM": ((60, 90, 120, 100), {"HTI": 80, "CUB": 10, "OOO": 10}),
    "LCA": ((20, 25, 30, 25), {"VEN": 40, "HTI": 30, "OOO": 30}),
}


def _transit_expected(area: str) -> dict[str, np.ndarray]:
    """Expected records by nationality and month (48 values)."""
    out: dict[str, np.ndarray] = {}

    def add(
        totals: tuple[float, ...],
        mixes: dict[str, float] | tuple[dict[str, float], ...],
        seasons: tuple[tuple[float, ...], ...] | None = None,
    ) -> None:
        for yi, total in enumerate(totals):
            mix = mixes[yi] if isinstance(mixes, tuple) else mixes
            prof = np.asarray(seasons[yi] if seasons else [1.0] * 12, float)
            prof = prof / prof.sum()
            nats, share = _normalise(mix)
            for n, s in zip(nats, share, strict=True):
                if n == area:
                    continue
                out.setdefault(n, np.zeros(len(MONTHS)))[yi * 12 : yi * 12 + 12] += total * s * prof

    if area in _TRANSIT_SMALL:
        totals, mix = _TRANSIT_SMALL[area]
        add(totals, mix)
        return out
    route, nic, ca = _TRANSIT_SHARES.get(area, (0.0, 0.0, 0.0))
    if not (route or nic or ca):
        add((30, 30, 30, 30), {"OOO": 1})
    if route:
        add(tuple(route * t for t in _DARIEN_TOTAL), _DARIEN_MIX, _DARIEN_MONTHS)
    if nic:
        add(tuple(nic * t for t in _NIC_ENTRY_TOTAL), _NIC_ENTRY_MIX, _DARIEN_MONTHS)
    if ca:
        add(tuple(ca * t for t in _CA_NORTH_TOTAL), _CA_NORTH_MIX)
    return out


def _gen_transit(seed: int, area: str) -> pl.DataFrame:
    rng = _rng(seed, "irregular_transit", area)
    expected = _transit_expected(area)
    nats = list(expected)
    level = np.array([expected[n] for n in nats])  # nat, month
    level *= np.exp(rng.normal(0, 0.08, level.shape))
    central = np.array([n in _CA_NORTH_MIX for n in nats])
    ages = np.where(central[:, None], _AGE_CA_TRANSIT, _AGE_TRANSIT)  # nat, age
    male = np.where(central, 0.72, 0.58)
    sex = np.stack([1 - male, male], axis=1)  # nat, sex
    lam = level[:, :, None, None] * sex[:, None, :, None] * ages[:, None, None, :]
    cube = rng.poisson(lam)  # nat, month, sex, age
    return _cube_frame(
        "irregular_transit",
        cube,
        [("nationality", nats), ("time_period", list(MONTHS)), ("sex", list(SEX)), ("age_group", list(AGE_GROUPS))],
        {"ref_area": area},
    )


# --------------------------------------------------------------------------------------------------
# Person-level building blocks (census and survey)
# --------------------------------------------------------------------------------------------------

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
    p = _profile(area)
    ages = np.arange(MAX_AGE + 1)
    young = p.young + 0.005 * max(0, 2020 - year) / 20  # older rounds had younger pyramids
    # Gompertz survival: mortality doubles every ~8 years of age; men die a little earlier.
    mortality = 8e-5 if male else 4e-5
    dens = np.exp(-young * ages - mortality / 0.09 * np.expm1(0.09 * ages))
    dens[:min_age] = 0
    cdf = np.cumsum(dens)
    return cdf / cdf[-1]


def _draw(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    """Inverse-CDF draws: much faster than Generator.choice(p=...) for repeated use."""
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


def _native_ages(rng: np.random.Generator, area: str, year: int, male: np.ndarray, min_age: int = 0) -> np.ndarray:
    age = np.empty(len(male), np.int64)
    for flag in (True, False):
        sel = male == flag
        age[sel] = _draw(rng, _age_cdf(area, year, flag, min_age), int(sel.sum()))
    return age


def _arrivals_ago(rng: np.random.Generator, origin_codes: list[str], origin: np.ndarray, year: int) -> np.ndarray:
    """Years since arrival: recent for Venezuelans after 2015, otherwise spread over decades."""
    years_ago = np.minimum(rng.exponential(16.0, len(origin)), 70).astype(np.int64)
    if "VEN" in origin_codes and year > 2016:
        ven = origin == origin_codes.index("VEN")
        recent = ven & (rng.random(len(origin)) < 0.85)
        years_ago[recent] = rng.integers(0, year - 2015, int(recent.sum()))
    return years_ago


def _education(
    rng: np.random.Generator, area: str, year: int, age: np.ndarray, shift: np.ndarray
) -> np.ndarray:
    """ISCED index (0..8, 9 = _Z under 5) from a latent score: country, cohort and origin shifts."""
    cohort = np.clip(0.025 * (year - age - 1975), -1.2, 1.0)
    latent = _profile(area).edu + cohort + shift + rng.standard_normal(len(age))
    level = np.minimum(np.searchsorted(_EDU_CUTS, latent), _EDU_CAP[age])
    return np.where(age < 5, 9, level)


def _labour(
    rng: np.random.Generator, area: str, age: np.ndarray, male: np.ndarray, boost: np.ndarray, unemp_mult: np.ndarray
) -> np.ndarray:
    """Index into LABOUR: EMP/UNE/OLF, _Z under 15. Migrants are more often active."""
    p = _profile(area)
    act = np.where(male, _ACT_M[age], _ACT_F[age] * p.female_lfp / 0.55)
    act = np.where(age >= 15, np.clip(act + boost, 0, 0.98), 0)
    unemp = np.clip(p.unemp * np.where(age < 25, 2.0, 1.0) * unemp_mult, 0, 0.6)
    u = rng.random(len(age))
    status = np.where(u < act * (1 - unemp), 0, np.where(u < act, 1, 2))
    return np.where(age < 15, 3, status)


def _origin_edu_shift(area: str, codes: list[str]) -> np.ndarray:
    return np.array([0.0 if c == area else _ORIGIN_EDU.get(c, _profile(c).edu - 0.1) - _profile(area).edu
                     for c in codes])


def _foreign_share(area: str, year: int) -> float:
    return max(sum(_stock_expected(area, year).values()) / _population(area, year), 0.01)


# --------------------------------------------------------------------------------------------------
# Census
# --------------------------------------------------------------------------------------------------


def _census_size(area: str, census_year: str, scale: float) -> int:
    base = max(1500.0, 1900.0 * math.sqrt(_population(area, int(census_year)) / 1e6))
    return max(1, round(base * scale))


def _census_parts(scale: float) -> list[tuple[str, str, int, int, int]]:
    """(country, census year, part, part rows, round rows) for every chunk."""
    parts = []
    for area in _countries():
        for year in _profile(area).census_years:
            n = _census_size(area, year, scale)
            k = math.ceil(n / MAX_CHUNK_ROWS)
            for i in range(k):
                parts.append((area, year, i, n // k + (1 if i < n % k else 0), n))
    return parts


def _gen_census(seed: int, area: str, year_s: str, part: int, n: int, n_round: int) -> pl.DataFrame:
    rng = _rng(seed, "census", area, year_s, part)
    year = int(year_s)
    prof = _profile(area)
    codes = [*_origins()]
    if area not in codes:
        codes.append(area)
    home = codes.index(area)

    stock_origins, stock_p = _normalise(_stock_expected(area, year))
    foreign = rng.random(n) < _foreign_share(area, year)
    n_f = int(foreign.sum())
    f_origin = np.array([codes.index(o) for o in stock_origins])[_draw(rng, np.cumsum(stock_p), n_f)]
    birth = np.full(n, home)
    birth[foreign] = f_origin

    female_p = np.array([_female_share(area, c) for c in codes])
    male = rng.random(n) >= np.where(foreign, female_p[birth], 0.51)

    # Natives follow the pyramid; migrants' age is age at arrival plus years since.
    age = _native_ages(rng, area, year, male)
    ago = _arrivals_ago(rng, codes, f_origin, year)
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
    ret_dests, ret_p = _emigrant_destinations(area)
    returning = ~foreign & (rng.random(n) < prof.returned * 0.3)
    residence[returning] = np.array([codes.index(d) if d in codes else home for d in ret_dests])[
        _draw(rng, np.cumsum(ret_p), int(returning.sum()))
    ]
    residence[(age < 5) | (rng.random(n) < 0.004)] = none

    urban_p = np.clip(prof.urban + 0.004 * (year - 2020) + np.where(foreign, 0.1, 0), 0.05, 0.97)
    urban = rng.random(n) < urban_p
    edu_shift = _origin_edu_shift(area, codes)[birth]
    education = _education(rng, area, year, age, edu_shift)
    labour = _labour(rng, area, age, male, np.where(foreign, 0.06, 0), np.where(foreign, 0.85, 1.0))

    # Expansion weights: rural areas and some regions were sampled at lower rates.
    region_factor = np.exp(_rng(seed, "census-regions", area, year_s).normal(0, 0.2, 6))
    region = rng.integers(0, 6, n)
    urban_factor = np.where(urban, 0.9, 1.2)
    expected = (prof.urban * 0.9 + (1 - prof.urban) * 1.2) * region_factor.mean()
    weight = _population(area, year) / n_round * urban_factor * region_factor[region] / expected
    weight *= np.exp(rng.normal(0, 0.05, n))

    return _finish(
        "census",
        {
            "ref_area": area,
            "census_year": year_s,
            "weight": pl.Series(np.round(weight, 3)),
            "sex": _labels(SEX, male.astype(np.int64)),
            "age": pl.Series(age.astype(np.int32)),
            "age_group": _labels(AGE_GROUPS, _age_index(age)),
            "country_of_birth": _labels(codes, birth),
            "citizenship": _labels(codes, citizen),
            "residence_5y_ago": _labels([*codes, None], residence),
            "year_of_arrival": pl.Series(np.where(foreign, arrival, 0).astype(np.int32)).scatter(
                np.flatnonzero(~foreign), None
            ),
            "education": _labels(EDUCATION, education),
            "labour_status": _labels(LABOUR, labour),
            "urban_rural": _labels(("R", "U"), urban.astype(np.int64)),
        },
        n,
    )


# --------------------------------------------------------------------------------------------------
# Survey
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    strata: list[str]
    stratum_pop: np.ndarray  # persons, per stratum
    psu_stratum: np.ndarray  # stratum index per PSU
    hh_psu: np.ndarray  # PSU index per household
    hh_no: np.ndarray  # household number within its PSU
    hh_size: np.ndarray


def _survey_households(area: str, scale: float) -> int:
    persons = 600 * math.sqrt(_population(area, 2020) / 1e6) + 1200
    return max(4, round(persons * scale / _profile(area).hh_size))


def _survey_layout(seed: int, area: str, year: int, scale: float) -> _Layout:
    """Strata, PSUs and households: sizes only, cheap enough to plan row counts without generating."""
    prof = _profile(area)
    # Regions do not move between years: seeded by country only.
    geo = _rng(seed, "survey-regions", area)
    share = geo.dirichlet(np.full(prof.regions, 3.0))
    urban = np.clip(prof.urban + geo.normal(0, 0.15, prof.regions), 0.05, 0.97)
    strata = [f"{area}-{r + 1:02d}-{u}" for r in range(prof.regions) for u in ("U", "R")]
    stratum_pop = _population(area, year) * np.stack([share * urban, share * (1 - urban)], axis=1).ravel()

    rng = _rng(seed, "survey-layout", area, year)
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


def _gen_survey(seed: int, area: str, year: int, scale: float) -> pl.DataFrame:
    lay = _survey_layout(seed, area, year, scale)
    rng = _rng(seed, "survey", area, year)
    prof = _profile(area)
    codes = [*_origins()]
    if area not in codes:
        codes.append(area)
    home = codes.index(area)
    n_psu, n_hh = len(lay.psu_stratum), len(lay.hh_psu)

    # Household type: 0 native, 1 foreign-born, 2 returned migrant.
    u = rng.random(n_hh)
    fb_share = _foreign_share(area, year) * 0.8
    hh_type = np.where(u < fb_share, 1, np.where(u < fb_share + prof.returned, 2, 0))
    stock_origins, stock_p = _normalise(_stock_expected(area, year))
    hh_origin = np.array([codes.index(o) for o in stock_origins])[_draw(rng, np.cumsum(stock_p), n_hh)]
    ret_dests, ret_p = _emigrant_destinations(area)
    hh_abroad = np.array([codes.index(d) if d in codes else home for d in ret_dests])[
        _draw(rng, np.cumsum(ret_p), n_hh)
    ]

    # Persons: head, maybe a spouse, then mostly children.
    hh = np.repeat(np.arange(n_hh), lay.hh_size)
    n = len(hh)
    pos = np.arange(n) - (np.cumsum(lay.hh_size) - lay.hh_size)[hh]
    head_male = rng.random(n_hh) < 0.62
    head_age = _native_ages(rng, area, year, head_male, min_age=18)
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
    age[other] = _native_ages(rng, area, year, male[other])

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
    edu_shift = _origin_edu_shift(area, codes)[birth]
    education = _education(rng, area, year, age, edu_shift)
    labour = _labour(rng, area, age, male, np.where(foreign, 0.06, 0),
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
    frame = _finish(
        "survey",
        {
            "ref_area": area,
            "time_period": str(year),
            "household_id": _labels(psu_labels, psu_of_person),
            "weight": pl.Series(np.round(hh_weight[hh], 2)),
            "strata": _labels(lay.strata, lay.psu_stratum[psu_of_person]),
            "psu": _labels(psu_labels, psu_of_person),
            "sex": _labels(SEX, male.astype(np.int64)),
            "age": pl.Series(age.astype(np.int32)),
            "age_group": _labels(AGE_GROUPS, _age_index(age)),
            "country_of_birth": _labels(codes, birth),
            "migrant_status": _labels(("NATIVE", "FOREIGN_BORN", "RETURNED"), status),
            "labour_status": _labels(LABOUR, labour),
            "education": _labels(EDUCATION, education),
            "receives_remittances": _labels(("N", "Y"), remits.astype(np.int64)),
        },
        n,
    )
    hh_no = pl.Series(lay.hh_no[hh]).cast(pl.String).str.zfill(2)
    return frame.with_columns(pl.concat_str([pl.col("household_id"), pl.lit("-H"), hh_no]).alias("household_id"))


# --------------------------------------------------------------------------------------------------
# Datasets the importers fill with real data (UNHCR, CBP/UPM, UN DESA totals): small demo stand-ins
# --------------------------------------------------------------------------------------------------

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


def _gen_refugees(seed: int, area: str) -> pl.DataFrame:
    rng = _rng(seed, "refugees", area)
    total, mix = _REFUGEES.get(area, (600.0, {"VEN": 40, "HTI": 30, "NIC": 20, "OOO": 10}))
    origins, share = _normalise({o: v for o, v in mix.items() if o != area})
    # Asylum-seekers weigh more in recent years, as applications outpaced decisions.
    pending = np.linspace(0.4, 0.7, len(REFUGEE_YEARS))
    kinds = np.stack([1 - pending, pending], axis=1)  # year, (REF, ASY)
    lam = total * share[:, None, None] * _REFUGEE_TREND[None, :, None] * kinds[None, :, :]
    cube = rng.poisson(lam * np.exp(rng.normal(0, 0.05, lam.shape)))
    return _cube_frame("refugees", cube, [("origin", origins), ("time_period", [str(y) for y in REFUGEE_YEARS]),
                                          ("population_type", ["REF", "ASY"])], {"asylum": area, "redacted": "N"})


def _gen_encounters(seed: int, area: str) -> pl.DataFrame:
    rng = _rng(seed, "encounters", area)
    monthly, mix = _ENCOUNTERS.get(area, (150.0, {"VEN": 35, "HTI": 25, "CUB": 20, "OOO": 20}))
    nats, share = _normalise({n: v for n, v in mix.items() if n != area})
    years, _months = _month_parts()
    level = monthly * (0.6 + 0.2 * (years - 2021))  # rising towards 2023-2024
    lam = level[None, :, None] * share[:, None, None] * _ENCOUNTER_GROUP_SHARE[None, None, :]
    cube = rng.poisson(lam * np.exp(rng.normal(0, 0.1, lam.shape)))
    return _cube_frame("encounters", cube, [("nationality", nats), ("time_period", list(MONTHS)),
                                            ("demographic", list(_ENCOUNTER_GROUPS))],
                       {"ref_area": area, "authority": None, "border_region": None})


def _gen_migrant_stock_total(seed: int, dest: str) -> pl.DataFrame:
    """All origins together, so the totals agree with the demo stock by origin."""
    by_origin = _gen_migrant_stock(seed, dest)
    totals = by_origin.group_by("destination", "time_period", "sex").agg(pl.col("obs_value").sum())
    return totals.sort("time_period", "sex").select(dataset("migrant_stock_total").column_names)


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------

_AGGREGATES = {
    "arrivals_departures": _gen_arrivals,
    "residence_permits": _gen_permits,
    "returns": _gen_returns,
    "irregular_transit": _gen_transit,
    "refugees": _gen_refugees,
    "encounters": _gen_encounters,
    "migrant_stock_total": _gen_migrant_stock_total,
}


def generate_chunks(dataset_id: str, *, seed: int = DEMO_SEED, scale: float = 1.0) -> Iterator[pl.DataFrame]:
    """Yield the demo data of one dataset in chunks (one per country, country-round or country-year).

    `scale` multiplies the census and survey sample sizes and leaves aggregates unchanged.
    """
    dataset(dataset_id)  # unknown ids fail here, with the list of known ones
    if scale <= 0:
        raise ValueError("scale must be positive")
    if dataset_id in _AGGREGATES:
        for area in _countries():
            yield _AGGREGATES[dataset_id](seed, area)
    elif dataset_id == "migrant_stock":
        for dest in _stock_destinations():
            yield _gen_migrant_stock(seed, dest)
    elif dataset_id == "census":
        for area, year, part, n, n_round in _census_parts(scale):
            yield _gen_census(seed, area, year, part, n, n_round)
    elif dataset_id == "survey":
        for area in _countries():
            for year in SURVEY_YEARS:
                yield _gen_survey(seed, area, year, scale)
    else:
        raise KeyError(f"no demo generator for dataset {dataset_id!r}")


def generate(dataset_id: str, *, seed: int = DEMO_SEED, scale: float = 1.0) -> pl.DataFrame:
    """All chunks of one dataset in one frame."""
    return pl.concat(list(generate_chunks(dataset_id, seed=seed, scale=scale)), how="vertical")


def planned_rows(dataset_id: str, scale: float = 1.0, *, seed: int = DEMO_SEED) -> int:
    """Rows `generate_chunks` will yield. Cheap for microdata (sizes only); aggregates are generated."""
    if dataset_id == "census":
        return sum(part[3] for part in _census_parts(scale))
    if dataset_id == "survey":
        return sum(
            int(_survey_layout(seed, area, year, scale).hh_size.sum()) for area in _countries() for year in SURVEY_YEARS
        )
    return sum(chunk.height for chunk in generate_chunks(dataset_id, seed=seed, scale=scale))


DEMO_SCOPE = "demo"
DEMO_ACTOR = "system:demo"
DEMO_PUBLISHER = "VIPMG Data Lab demo generator (synthetic)"


def demo_on_empty() -> bool:
    """Whether an empty data directory gets the demo on first start (`VIPMG_DEMO=0` turns it off)."""
    return os.environ.get("VIPMG_DEMO", "1").strip().lower() not in ("0", "false", "no", "off")


def build(
    wh: Warehouse,
    *,
    seed: int = DEMO_SEED,
    scale: float = 1.0,
    progress: Callable[[str, float], None] | None = None,
    pack_dir: Path | None = None,
) -> list[Release]:
    """Publish the demo data into `wh`, each dataset as a new version of the `demo` scope.

    With `pack_dir` (the public data pack, `vipmg_core.pack`), the pack's real published series are loaded first
    and the synthetic demo is built only for the datasets the pack has no series for (census, survey, arrivals
    and departures, permits...). Without it (the default, as the tests and `demo` use it), every dataset is
    synthetic.
    """
    real = pack.datasets_in(pack_dir) if pack_dir is not None else []
    releases = pack.load(wh, pack_dir, progress=progress) if real else []
    ids = [d for d in dataset_ids() if d not in real]
    for i, ds_id in enumerate(ids):
        if progress:
            progress(ds_id, i / len(ids))
        provenance = Provenance(publisher=DEMO_PUBLISHER, edition=f"seed {seed}, scale {scale:g}", synthetic=True)
        releases.append(wh.publish(ds_id, generate_chunks(ds_id, seed=seed, scale=scale), scope=DEMO_SCOPE,
                                   provenance=provenance, actor=DEMO_ACTOR))
    if progress:
        progress("", 1.0)
    return releases


def ensure_demo(wh: Warehouse, progress: Callable[[str, float], None] | None = None) -> bool:
    """First start: if `wh` is empty, load the public data pack (unless `VIPMG_PACK=0`) and the synthetic demo for
    the datasets it has no series for; True if this call built it.

    A file lock makes several app processes starting together on one empty directory build it once.
    """
    with (wh.root / ".demo.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not wh.is_empty():
                return False
            try:
                build(wh, progress=progress, pack_dir=pack.PACK_DIR if pack.pack_on_first_start() else None)
            except pack.PackError:  # checked before anything is published: the warehouse is still empty
                logging.getLogger("vipmg").exception("public data pack not loaded; starting on the synthetic demo")
                build(wh, progress=progress)
            return True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
