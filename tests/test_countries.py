"""The shared country resolver: every way a file names a country, to ISO3, with "did you mean" for near misses."""

from __future__ import annotations

import csv
import tomllib

import pytest

from vipmg_core.codelists import codelist, project_countries
from vipmg_core.countries import ALIASES_FILE, normalise, resolve, suggestions


@pytest.mark.parametrize("value, iso3, method", [
    ("HND", "HND", "iso3"), ("hnd", "HND", "iso3"), ("HN", "HND", "iso2"), ("340", "HND", "m49"),
    ("4", "AFG", "m49"), ("004", "AFG", "m49"), ("862.0", "VEN", "m49"),
    ("Honduras", "HND", "name"), ("HONDURAS", "HND", "name"), ("  honduras ", "HND", "name"),
    ("Panamá", "PAN", "name"), ("Panama", "PAN", "name"), ("PANAMA", "PAN", "name"),
    ("Estados Unidos", "USA", "name"), ("United States", "USA", "name"), ("Santa Lucía", "LCA", "name"),
    ("St. Lucia", "LCA", "alias"), ("St Lucia", "LCA", "alias"), ("Bahamas, The", "BHS", "alias"),
    ("CHINA, PEOPLES REPUBLIC OF", "CHN", "alias"), ("China, People's Republic", "CHN", "alias"),
    ("MYANMAR (BURMA)", "MMR", "alias"), ("Burma", "MMR", "alias"), ("Korea, South", "KOR", "alias"),
    ("República de Honduras", "HND", "alias"), ("República Cooperativa de Guyana", "GUY", "alias"),
    ("Estados Unidos de América", "USA", "alias"), ("Venezuela, RB", "VEN", "alias"),
    ("República Bolivariana de Venezuela", "VEN", "alias"), ("Republic of Panama", "PAN", "alias"),
    ("Côte d'Ivoire", "CIV", "name"), ("Cote d’Ivoire", "CIV", "name"), ("Otros", "OOO", "alias"),
    ("UNKNOWN", "OOO", "alias"),
])
def test_every_usual_spelling_resolves(value, iso3, method):
    match = resolve(value)
    assert (match.iso3, match.method) == (iso3, method)


@pytest.mark.parametrize("value, first", [("Hondura", "HND"), ("Guatemla", "GTM"), ("Nicaragüa", "NIC"),
                                          ("El Salbador", "SLV"), ("Republica Dominicana.", "DOM"),
                                          ("Surinme", "SUR")])
def test_near_misses_are_not_guessed_but_suggested(value, first):
    match = resolve(value)
    if match.found:  # accents and punctuation are not misses
        assert match.iso3 == first
    else:
        assert match.suggestions[0] == first


def test_nonsense_and_unknown_numbers_get_nothing():
    assert resolve("Narnia").iso3 is None and resolve("Narnia").suggestions == ()
    assert resolve("999").iso3 is None
    assert resolve("").iso3 is None and resolve(None).iso3 is None
    assert suggestions("ab") == ()


def test_matching_ignores_case_accents_and_punctuation():
    assert normalise("  RÉPUBLICA   Dominicana. ") == "republica dominicana"
    assert normalise("Gambia, The") == "the gambia"


def test_every_project_and_partner_country_has_spanish_and_english_names_that_resolve():
    for entry in codelist("country"):
        for name in entry.names.values():
            assert resolve(name).iso3 == entry.code, name
    for iso3 in project_countries():
        assert resolve(codelist("country").codes[iso3].attrs["iso2"]).iso3 == iso3


def test_alias_files_are_data_and_every_alias_points_to_its_own_code():
    paths = sorted(ALIASES_FILE.parent.glob("country_aliases*.toml"))
    assert ALIASES_FILE in paths
    for path in paths:
        with path.open("rb") as handle:
            aliases = tomllib.load(handle)["aliases"]
        for iso3, spellings in aliases.items():
            assert iso3 in codelist("country")
            for spelling in spellings:
                assert resolve(spelling).iso3 == iso3, (path.name, spelling)


def test_world_bank_matrix_country_names_resolve(realdata):
    with (realdata / "wb_bilateral_migration_matrix_2013" / "migration-matrix.csv").open(encoding="utf-8") as f:
        header = next(csv.reader(f, delimiter="\t"))[1:]
    unresolved = sorted(name for name in header if not resolve(name).found)
    # Places with no ISO 3166 code of their own in our codelist.
    assert set(unresolved) <= {"Channel Islands", "Kosovo"}, unresolved
    assert resolve("St. Lucia").iso3 == "LCA"


def test_cbp_citizenship_values_resolve(realdata):
    path = realdata / "cbp_nationwide_encounters_state_fy20_23" / "nationwide-encounters-fy20-fy23-state.csv"
    with path.open(encoding="utf-8") as handle:
        values = {row["Citizenship"] for row in csv.DictReader(handle)}
    assert {v: resolve(v).iso3 for v in values if not resolve(v).found} == {}
    assert resolve("CHINA, PEOPLES REPUBLIC OF").iso3 == "CHN"


def test_inegi_long_official_spanish_names_resolve(realdata):
    import io
    import zipfile

    with zipfile.ZipFile(realdata / "inegi_censo2020_catalogos" / "Censo2020_clasificaciones_CPV_csv.zip") as z:
        member = next(n for n in z.namelist() if n.endswith("ENT_PAIS.csv"))
        rows = list(csv.DictReader(io.StringIO(z.read(member).decode("cp1252"))))
    names = {row["CLAVE"]: row["DESCRIPCION"] for row in rows}
    expected = {"208": "BLZ", "215": "CRI", "220": "SLV", "225": "GTM", "226": "GUY", "229": "HND", "230": "JAM",
                "234": "NIC", "235": "PAN", "243": "LCA", "244": "SUR", "221": "USA"}
    assert {code: resolve(names[code]).iso3 for code in expected} == expected
