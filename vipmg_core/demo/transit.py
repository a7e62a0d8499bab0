"""Irregular transit by month, nationality, sex and age group: the Darién route northwards, flights to Nicaragua
joining it, and Central Americans heading north, each recorded by the countries on the way."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl

from vipmg_core.demo.frames import AGE_GROUPS, MONTHS, SEX, cube_frame, distribution, normalise, seeded_rng

# Irregular migrants are mostly young adults; shapes over the 18 five-year groups.
_AGE_TRANSIT = distribution([7, 6, 4, 7, 16, 17, 14, 10, 7, 5, 3, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02])
_AGE_CA_TRANSIT = distribution([2, 2, 3, 12, 22, 20, 15, 10, 7, 4, 2, 1, 0.3, 0.1, 0.05, 0.02, 0.01, 0.01])


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
        mixes: Mapping[str, float] | tuple[Mapping[str, float], ...],
        seasons: tuple[tuple[float, ...], ...] | None = None,
    ) -> None:
        for yi, total in enumerate(totals):
            mix = mixes[yi] if isinstance(mixes, tuple) else mixes
            prof = np.asarray(seasons[yi] if seasons else [1.0] * 12, float)
            prof = prof / prof.sum()
            nats, share = normalise(mix)
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


def gen_transit(seed: int, area: str) -> pl.DataFrame:
    rng = seeded_rng(seed, "irregular_transit", area)
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
    return cube_frame(
        "irregular_transit",
        cube,
        [("nationality", nats), ("time_period", list(MONTHS)), ("sex", list(SEX)), ("age_group", list(AGE_GROUPS))],
        {"ref_area": area},
    )
