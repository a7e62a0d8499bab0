"""Country profiles of the demo: population, pyramid, education, labour market, census rounds and households.

Every generator draws a country's shape from its profile here; countries without one get `_DEFAULT`.
"""

from __future__ import annotations

from dataclasses import dataclass

from vipmg_core.codelists import partner_countries, project_countries


@dataclass(frozen=True)
class Profile:
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


_DEFAULT = Profile(1e6, 0.01, 0.01, 0.6, 0.0, 0.08, 0.5, ("2000", "2010", "2020"), 4, 3.5, 0.08, 0.01)
PROFILES: dict[str, Profile] = {
    "CRI": Profile(5.1e6, 0.010, 0.004, 0.80, 0.35, 0.11, 0.55, ("2000", "2011", "2022"), 7, 3.2, 0.05, 0.010),
    "SLV": Profile(6.3e6, 0.005, 0.010, 0.73, -0.05, 0.06, 0.50, ("1992", "2007", "2024"), 5, 3.6, 0.22, 0.035),
    "GTM": Profile(17.0e6, 0.019, 0.020, 0.52, -0.45, 0.03, 0.42, ("1994", "2002", "2018"), 8, 4.6, 0.18, 0.030),
    "HND": Profile(9.9e6, 0.017, 0.017, 0.58, -0.30, 0.07, 0.45, ("2001", "2013", "2023"), 6, 4.2, 0.20, 0.035),
    "MEX": Profile(126.0e6, 0.011, 0.009, 0.80, 0.20, 0.035, 0.50, ("2000", "2010", "2020"), 8, 3.6, 0.05, 0.020),
    "NIC": Profile(6.6e6, 0.014, 0.014, 0.59, -0.30, 0.05, 0.50, ("1995", "2005", "2020"), 5, 4.0, 0.15, 0.020),
    "PAN": Profile(4.3e6, 0.016, 0.010, 0.68, 0.30, 0.09, 0.55, ("2000", "2010", "2023"), 6, 3.5, 0.04, 0.010),
    "BLZ": Profile(0.40e6, 0.020, 0.015, 0.46, 0.00, 0.08, 0.50, ("2000", "2010", "2022"), 6, 3.8, 0.08, 0.010, True),
    "GUY": Profile(0.79e6, 0.005, 0.008, 0.27, 0.00, 0.12, 0.45, ("2002", "2012", "2022"), 4, 3.7, 0.10, 0.020, True),
    "JAM": Profile(2.8e6, 0.004, 0.004, 0.56, 0.20, 0.08, 0.62, ("2001", "2011", "2022"), 4, 3.1, 0.25, 0.030, True),
    "LCA": Profile(0.18e6, 0.005, 0.004, 0.19, 0.10, 0.15, 0.62, ("2001", "2010", "2022"), 3, 3.0, 0.15, 0.020, True),
    "SUR": Profile(0.60e6, 0.010, 0.008, 0.66, 0.00, 0.09, 0.50, ("2004", "2012", "2024"), 3, 3.6, 0.06, 0.010, True),
}


def country_profile(iso3: str) -> Profile:
    return PROFILES.get(iso3, _DEFAULT)


def population(iso3: str, year: int) -> float:
    p = country_profile(iso3)
    return p.pop2020 * (1 + p.growth) ** (year - 2020)



def countries() -> list[str]:
    return project_countries()


def all_origins() -> list[str]:
    """Every origin/nationality the demo uses: partners, then project countries."""
    seen = dict.fromkeys([*partner_countries(), *project_countries()])
    return list(seen)
