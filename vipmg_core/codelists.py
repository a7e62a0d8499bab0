"""Shared codelists (SDMX-style): codes with Spanish and English names.

Each codelist is a CSV in `standard/codelists/` with at least `code,name_es,name_en`; extra columns
(a country's centroid, an age group's bounds) are kept as attributes. Adding a code is a data change.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field
from functools import cache

from vipmg_core.config import STANDARD_DIR

LANGS = ("es", "en")
UNKNOWN_COUNTRY = "OOO"


@dataclass(frozen=True)
class Code:
    code: str
    names: dict[str, str]
    attrs: dict[str, str] = field(default_factory=dict)

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names["en"]


@dataclass(frozen=True)
class Codelist:
    id: str
    codes: dict[str, Code]

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def __iter__(self):
        return iter(self.codes.values())

    def __len__(self) -> int:
        return len(self.codes)

    def name(self, code: str, lang: str) -> str:
        """Name in `lang`; an unknown code is shown as itself rather than hidden."""
        entry = self.codes.get(code)
        return entry.name(lang) if entry else str(code)

    def labels(self, lang: str) -> dict[str, str]:
        return {c.code: c.name(lang) for c in self.codes.values()}


@dataclass(frozen=True)
class CountryGroup:
    id: str
    names: dict[str, str]
    countries: tuple[str, ...]

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names["en"]


@cache
def codelist(codelist_id: str) -> Codelist:
    path = STANDARD_DIR / "codelists" / f"{codelist_id}.csv"
    if not path.exists():
        raise KeyError(f"unknown codelist: {codelist_id}")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    codes = {}
    for row in rows:
        code = row.pop("code")
        names = {lang: row.pop(f"name_{lang}") for lang in LANGS}
        codes[code] = Code(code, names, {k: v for k, v in row.items() if v not in (None, "")})
    return Codelist(codelist_id, codes)


def codelist_ids() -> list[str]:
    return sorted(p.stem for p in (STANDARD_DIR / "codelists").glob("*.csv"))


@cache
def _project() -> dict:
    with (STANDARD_DIR / "project.toml").open("rb") as handle:
        return tomllib.load(handle)


def country_groups() -> list[CountryGroup]:
    return [CountryGroup(g["id"], g["name"], tuple(g["countries"])) for g in _project()["groups"]]


def project_countries() -> list[str]:
    """The countries the platform covers, in the order of project.toml."""
    return [iso3 for group in country_groups() for iso3 in group.countries]


def partner_countries() -> list[str]:
    return list(_project()["partners"]["countries"])


def country_name(iso3: str, lang: str) -> str:
    return codelist("country").name(iso3, lang)


def country_point(iso3: str) -> tuple[float, float] | None:
    """(lon, lat) where the country is drawn; None for codes with no place (OOO)."""
    entry = codelist("country").codes.get(iso3)
    if entry is None or "lat" not in entry.attrs:
        return None
    return float(entry.attrs["lon"]), float(entry.attrs["lat"])


def age_group_of(age: int) -> str:
    """The five-year SDMX age group an age falls in (Y0T4 ... Y_GE85)."""
    if age >= 85:
        return "Y_GE85"
    low = (age // 5) * 5
    return f"Y{low}T{low + 4}"
