"""What a profile is about: a country, a group of countries (project.toml) or the whole region."""

from __future__ import annotations

from dataclasses import dataclass

from vipmg_core.codelists import codelist, country_groups, country_name, project_countries
from vipmg_core.datasets import dataset
from vipmg_core.i18n import t
from vipmg_core.profiles.errors import ProfileError
from vipmg_core.warehouse import Warehouse
from vipmg_core.warehouse.sql import quote as _q

REGION = "REGION"  # every project country together


@dataclass(frozen=True)
class Area:
    code: str
    countries: tuple[str, ...]

    @property
    def is_country(self) -> bool:
        return self.countries == (self.code,)

    def name(self, lang: str) -> str:
        if self.code == REGION:
            return t("profiles.region", lang)
        for group in country_groups():
            if group.id == self.code:
                return group.name(lang)
        return country_name(self.code, lang)


def area(code: str) -> Area:
    """A country (ISO3), a country group of project.toml (MESOAMERICA) or REGION (every project country)."""
    code = (code or "").strip().upper()
    if code == REGION:
        return Area(REGION, tuple(project_countries()))
    for group in country_groups():
        if group.id == code:
            return Area(group.id, group.countries)
    if code in codelist("country") and not code.startswith("_") and code != "OOO":
        return Area(code, (code,))
    raise ProfileError("area", code=code or "–")


def countries_with_data(wh: Warehouse) -> list[str]:
    """Every country some dataset publishes figures for (its reporting area), in no particular order."""
    found: set[str] = set()
    for dataset_id in sorted({r.dataset_id for r in wh.releases()}):
        ds = dataset(dataset_id)
        found |= set(wh.query(ds.id, f"SELECT DISTINCT {_q(ds.area_column)} AS a FROM data")["a"].drop_nulls())
    return sorted(found)


def area_codes(wh: Warehouse) -> list[str]:
    """What a profile can be made for: the project countries, then any other country with published data
    (adding a country is a data change), then the country groups and the whole region."""
    project = project_countries()
    places = codelist("country")
    others = [c for c in countries_with_data(wh) if c not in project and c in places and c != "OOO"]
    return project + others + [g.id for g in country_groups()] + [REGION]
