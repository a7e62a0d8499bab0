"""Mapping a national file to the standard: columns by name, synonyms and content; codes to the shared
codelists; named profiles per country and dataset."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from vipmg_core import mapping as mp
from vipmg_core.catalogue import Catalogue
from vipmg_core.readers import read_upload

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "upload"


def read_fixture(name: str):
    return read_upload((FIXTURES / name).read_bytes(), name)


def matched(read, dataset_id: str) -> dict[str, str | None]:
    return {m.canonical: m.source for m in mp.match_columns(read, dataset_id)}


def test_spanish_headers_match_by_synonyms():
    columns = matched(read_fixture("entradas_enero_cp1252.csv"), "arrivals_departures")
    assert columns == {"ref_area": None, "time_period": "Mes", "flow": "Movimiento", "nationality": "Nacionalidad",
                       "sex": "Sexo", "age_group": "Grupo de edad", "border_type": "Vía", "obs_value": "Cantidad"}


def test_the_reporting_country_comes_from_the_users_choice_when_the_file_has_no_such_column():
    mapping = mp.auto_mapping(read_fixture("entradas_enero_cp1252.csv"), "arrivals_departures", "CRI")
    assert mapping.columns["ref_area"] is None and mapping.constants == {"ref_area": "CRI"}


def test_columns_with_unhelpful_names_match_by_content():
    # SPSS names "nac", "tipo": the values (M49 numbers, labels Temporal/Permanente) tell what they are.
    columns = matched(read_fixture("permisos.sav"), "residence_permits")
    assert columns["nationality"] == "nac" and columns["permit_type"] == "tipo" and columns["sex"] == "sexo"
    assert columns["obs_value"] == "total" and columns["time_period"] == "anio"
    assert columns["ref_area"] is None


def test_each_file_column_is_used_once():
    columns = matched(read_fixture("pipes.txt"), "returns")
    used = [c for c in columns.values() if c]
    assert len(used) == len(set(used))
    assert columns["returned_from"] == "retornado desde" and columns["obs_value"] == "total"


@pytest.mark.parametrize("values, expected", [
    (["1", "2"], {"1": "M", "2": "F"}),
    (["Hombre", "Mujer"], {"Hombre": "M", "Mujer": "F"}),
    (["H", "M"], {"H": "M", "M": "F"}),  # in a Spanish H/M file, M is mujer
    (["M", "F"], {"M": "M", "F": "F"}),
    (["Male", "Female", "Unknown"], {"Male": "M", "Female": "F", "Unknown": "_U"}),
    (["HOMBRES", "MUJERES", "Total"], {"HOMBRES": "M", "MUJERES": "F", "Total": "_T"}),
])
def test_sex_codes_as_offices_write_them(values, expected):
    frame = pl.DataFrame({"sexo": values, "__row__": list(range(2, 2 + len(values)))})
    read = read_upload(frame.drop("__row__").write_csv().encode(), "s.csv")
    col = mp.dataset("arrivals_departures").column("sex")
    assert {v: s.code for v, s in mp.suggest_codes(read, "sexo", col).items()} == expected


@pytest.mark.parametrize("value, code", [
    ("0-4", "Y0T4"), ("00-04", "Y0T4"), ("De 5 a 9 años", "Y5T9"), ("85+", "Y_GE85"), ("85 y más", "Y_GE85"),
    ("85 years and over", "Y_GE85"), ("65 y más", "Y_GE65"), ("15-24", "Y15T24"), ("Y20T24", "Y20T24"),
    ("Total", "_T"), ("No especificado", "_U"),
])
def test_age_groups_from_ranges_in_words(value, code):
    assert mp.suggest_code(value, "age_group").code == code


@pytest.mark.parametrize("value, list_id, code", [
    ("Entradas", "flow", "ARR"), ("Salida", "flow", "DEP"), ("Aérea", "border_type", "AIR"),
    ("Terrestre", "transport", "LAND"), ("NNA no acompañado", "minor_status", "UNACCOMPANIED"),
    ("Refugio", "permit_type", "HUMANITARIAN"), ("Sí", "yes_no", "Y"), ("Urbano", "urban_rural", "U"),
    ("Desocupado", "labour_status", "UNE"),
])
def test_other_codelists(value, list_id, code):
    assert mp.suggest_code(value, list_id).code == code


def test_countries_in_any_form_and_did_you_mean():
    assert mp.suggest_code("Estados Unidos de América", "country").code == "USA"
    assert mp.suggest_code("862", "country").code == "VEN"
    assert mp.suggest_code("gt", "country").code == "GTM"
    miss = mp.suggest_code("Hondura", "country")
    assert miss.code is None and miss.suggestions[0] == "HND"


def test_value_labels_from_spss_map_numeric_codes():
    read = read_fixture("permisos.sav")
    mapping = mp.auto_mapping(read, "residence_permits", "CRI")
    assert mp.code_map(read, mapping, "permit_type") == {"1": "TEMP", "2": "PERM", "3": "WORK"}
    table = mp.code_table(read, mapping, "sex")
    assert table.select("value", "label", "code").rows() == [("1", "Hombre", "M"), ("2", "Mujer", "F")]


def test_the_user_corrects_a_column_and_a_code_in_the_editable_tables():
    read = read_fixture("entradas_enero_cp1252.csv")
    mapping = mp.auto_mapping(read, "arrivals_departures", "CRI")
    table = mp.column_table(read, mapping, "en")
    assert list(table.columns) == ["Standard variable", "Required", "Column of your file", "Note"]
    table.loc[4, "Column of your file"] = "— not in the file —"  # sex: unmap
    fixed = mp.apply_column_table(mapping, table, "en")
    assert fixed.columns["sex"] is None and fixed.columns["flow"] == "Movimiento"

    codes = mp.code_editor_table(read, mapping, "nationality", "en")
    row = codes.index[codes["Value in your file"] == "Hondura"][0]
    assert pd_isna(codes.loc[row, "Standard code"]) and codes.loc[row, "Did you mean?"] == "HND — Honduras"
    codes.loc[row, "Standard code"] = "HND — Honduras"
    fixed = mp.apply_code_table(mapping, "nationality", codes, "en")
    assert mp.code_map(read, fixed, "nationality")["Hondura"] == "HND"
    assert mp.code_table(read, fixed, "nationality").filter(pl.col("value") == "Hondura")["code"].item() == "HND"


def pd_isna(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_unmapped_values_offer_suggestions_first():
    read = read_fixture("entradas_enero_cp1252.csv")
    mapping = mp.auto_mapping(read, "arrivals_departures", "CRI")
    choices = mp.unmapped_choices(read, mapping, "nationality")
    assert [v for v, _ in choices] == ["Hondura"] and choices[0][1][0] == "HND"
    fixed = mp.with_code(mapping, "nationality", "Hondura", "HND")
    assert mp.unmapped_choices(read, fixed, "nationality") == []


def test_a_profile_is_saved_per_country_and_dataset_and_reused_next_month(tmp_path):
    cat = Catalogue(tmp_path / "catalogue.sqlite")
    read = read_fixture("entradas_enero_cp1252.csv")
    mapping = mp.with_code(mp.auto_mapping(read, "arrivals_departures", "CRI"), "nationality", "Hondura", "HND")
    mp.save_profile(cat, mapping, "  DGME mensual ", actor="ana")
    assert mp.profile_names(cat, "arrivals_departures", "CRI") == ["DGME mensual"]
    assert mp.profile_names(cat, "arrivals_departures", "PAN") == []
    loaded = mp.load_profile(cat, "arrivals_departures", "CRI", "DGME mensual")
    assert loaded == mapping
    # Saving again under the same name replaces it; the audit log says who did it.
    mp.save_profile(cat, mp.with_code(mapping, "sex", "X", "_U"), "DGME mensual", actor="ana")
    assert mp.load_profile(cat, "arrivals_departures", "CRI", "DGME mensual").codes["sex"] == {"X": "_U"}
    assert [e["action"] for e in cat.audit_entries("mapping_profile")] == ["save_mapping_profile"] * 2
    with pytest.raises(KeyError, match="DGME mensual"):
        mp.load_profile(cat, "arrivals_departures", "CRI", "nope")
    with pytest.raises(ValueError):
        mp.save_profile(cat, mapping, "   ", actor="ana")


def test_a_profile_survives_a_renamed_column_next_month():
    read = read_fixture("entradas_enero_cp1252.csv")
    mapping = mp.auto_mapping(read, "arrivals_departures", "CRI")
    renamed = read_upload((FIXTURES / "entradas_enero_cp1252.csv").read_bytes().replace(b"Cantidad", b"Total movs"),
                          "febrero.csv")
    refit = mp.refit(mapping, renamed)
    assert refit.columns["obs_value"] is None or refit.columns["obs_value"] == "Total movs"
    assert refit.columns["nationality"] == "Nacionalidad"


@pytest.mark.parametrize("text, month", [
    ("2023-07", "2023-07"), ("2023/7", "2023-07"), ("202307", "2023-07"), ("07/2023", "2023-07"),
    ("7-2023", "2023-07"), ("2023-07-15", "2023-07"), ("15/07/2023", "2023-07"), ("2023-07-01 00:00:00", "2023-07"),
    ("julio 2023", "2023-07"), ("Jul-2023", "2023-07"), ("ene-23", "2023-01"), ("Setiembre de 2023", "2023-09"),
    ("2023-13", None), ("hola", None), ("2023", None),
])
def test_periods_are_read_in_the_forms_offices_use(text, month):
    assert pl.select(mp.period_expr(pl.lit(text), "month")).item() == month


@pytest.mark.parametrize("text, year", [("2023", "2023"), ("2023.0", "2023"), ("2023-07-01", "2023"), ("23", None)])
def test_years(text, year):
    assert pl.select(mp.period_expr(pl.lit(text), "year")).item() == year


@pytest.mark.parametrize("text, number", [
    ("1234", 1234), ("1.234", 1234), ("1,234", 1234), ("1 234", 1234), ("1\u202f234", 1234), ("12.0", 12),
    ("1.234.567", 1234567), ("-5", -5), ("12,5", None), ("12.5", None), ("cuatro", None), ("", None),
])
def test_counts_with_thousands_separators(text, number):
    assert pl.select(mp.count_expr(pl.lit(text))).item() == number


def test_decimal_commas_are_detected_and_read():
    values = pl.Series(["1.234,5", "12,75", "3"])
    assert mp.detect_decimal(values) == ","
    assert pl.select(mp.number_expr(pl.lit("1.234,5"), ",")).item() == 1234.5
    assert mp.detect_decimal(pl.Series(["1,234.5", "0.25"])) == "."
    assert pl.select(mp.number_expr(pl.lit("1,234.5"), ".")).item() == 1234.5


def test_mapping_round_trips_through_json():
    mapping = mp.Mapping("returns", "GTM", {"sex": "sexo"}, {"sex": {"1": "M"}}, {"ref_area": "GTM"}, ",", "Hoja", 3)
    assert mp.Mapping.from_json(mapping.to_json()) == mapping
