"""The country codelist and the shipped map: what a user would notice if it were wrong."""

from __future__ import annotations

import pytest

from vipmg_core.codelists import (
    UNKNOWN_COUNTRY,
    age_group_of,
    codelist,
    country_name,
    country_point,
    partner_countries,
    project_countries,
)
from vipmg_core.geo import GEOJSON_PATH, countries_geojson

SHOWN_COUNTRIES = sorted(set(project_countries()) | set(partner_countries()))


@pytest.mark.parametrize("iso3", SHOWN_COUNTRIES)
def test_shown_countries_have_names_and_a_point(iso3: str) -> None:
    assert iso3 in codelist("country")
    for lang in ("es", "en"):
        name = country_name(iso3, lang)
        assert name and name != iso3
    if iso3 == UNKNOWN_COUNTRY:
        assert country_point(iso3) is None
    else:
        lon, lat = country_point(iso3)
        assert -180 <= lon <= 180 and -90 <= lat <= 90


def test_unknown_country_is_named_and_last() -> None:
    assert country_name("OOO", "es") == "Otros países / desconocido"
    assert country_name("OOO", "en") == "Other countries / unknown"
    assert list(codelist("country").codes)[-1] == "OOO"


@pytest.mark.parametrize(
    ("iso3", "name_es", "name_en"),
    [
        ("MEX", "México", "Mexico"),
        ("PAN", "Panamá", "Panama"),
        ("PER", "Perú", "Peru"),
        ("HTI", "Haití", "Haiti"),
        ("LCA", "Santa Lucía", "Saint Lucia"),
        ("BLZ", "Belice", "Belize"),
        ("CAN", "Canadá", "Canada"),
        ("DOM", "República Dominicana", "Dominican Republic"),
        ("USA", "Estados Unidos", "United States"),
        ("VEN", "Venezuela", "Venezuela"),
    ],
)
def test_names_read_naturally_in_both_languages(iso3: str, name_es: str, name_en: str) -> None:
    assert country_name(iso3, "es") == name_es
    assert country_name(iso3, "en") == name_en


def test_codes_and_m49() -> None:
    brazil = codelist("country").codes["BRA"]
    assert brazil.attrs["iso2"] == "BR"
    assert brazil.attrs["m49"] == "076"
    assert len(codelist("country")) > 240


def test_saint_lucia_has_a_point_though_no_polygon() -> None:
    lon, lat = country_point("LCA")
    assert lat == pytest.approx(13.9, abs=0.2)
    assert lon == pytest.approx(-61.0, abs=0.2)


def test_geojson_is_small_and_matches_the_codelist() -> None:
    assert GEOJSON_PATH.stat().st_size < 400_000
    geojson = countries_geojson("es")
    iso3s = [f["properties"]["iso3"] for f in geojson["features"]]
    assert len(iso3s) == len(set(iso3s)) > 170
    assert set(iso3s) <= set(codelist("country").codes)
    missing = set(project_countries()) - set(iso3s)
    assert missing == {"LCA"}


def test_geojson_names_follow_the_language_and_the_cache_stays_clean() -> None:
    es = {f["properties"]["iso3"]: f["properties"] for f in countries_geojson("es")["features"]}
    assert es["MEX"]["name"] == es["MEX"]["label"] == "México"
    es["MEX"]["label"] = "changed"
    es["MEX"]["fill"] = [1, 2, 3]
    en = {f["properties"]["iso3"]: f["properties"] for f in countries_geojson("en")["features"]}
    assert en["MEX"]["name"] == en["MEX"]["label"] == "Mexico"
    assert "fill" not in en["MEX"]


def test_sex_codes() -> None:
    assert {"F", "M", "_T", "_U"} <= set(codelist("sex").codes)


def test_age_group_codes() -> None:
    codes = set(codelist("age_group").codes)
    five_year = {f"Y{low}T{low + 4}" for low in range(0, 85, 5)} | {"Y_GE85"}
    assert five_year <= codes
    assert {"_T", "_U"} <= codes


@pytest.mark.parametrize(
    ("age", "group"), [(0, "Y0T4"), (23, "Y20T24"), (84, "Y80T84"), (85, "Y_GE85"), (87, "Y_GE85")]
)
def test_age_group_of(age: int, group: str) -> None:
    assert age_group_of(age) == group
    assert group in codelist("age_group")
