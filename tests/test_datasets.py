"""The exchange standard as users and importers rely on it."""

import pytest

from vipmg_core.codelists import codelist, codelist_ids
from vipmg_core.datasets import _dataset, dataset, dataset_ids, datasets

EXPECTED = {
    "arrivals_departures": ["ref_area", "time_period", "flow", "nationality", "sex", "age_group", "border_type", "obs_value"],
    "residence_permits": ["ref_area", "time_period", "nationality", "sex", "permit_type", "obs_value"],
    "returns": ["ref_area", "time_period", "returned_from", "sex", "age_group", "minor_status", "transport", "obs_value"],
    "irregular_transit": ["ref_area", "time_period", "nationality", "sex", "age_group", "obs_value"],
    "migrant_stock": ["destination", "origin", "time_period", "sex", "obs_value"],
    "migrant_stock_total": ["destination", "time_period", "sex", "obs_value"],
    "refugees": ["asylum", "origin", "time_period", "population_type", "redacted", "obs_value"],
    "encounters": ["ref_area", "time_period", "nationality", "demographic", "authority", "border_region",
                   "obs_value"],
    "census": ["ref_area", "census_year", "weight", "sex", "age", "age_group", "country_of_birth", "citizenship",
               "residence_5y_ago", "year_of_arrival", "education", "labour_status", "urban_rural"],
    "survey": ["ref_area", "time_period", "household_id", "weight", "strata", "psu", "sex", "age", "age_group",
               "country_of_birth", "migrant_status", "labour_status", "education", "receives_remittances"],
}


def test_the_standard_has_the_exchange_and_imported_datasets_with_canonical_columns():
    assert set(dataset_ids()) == set(EXPECTED)
    for dataset_id, columns in EXPECTED.items():
        assert dataset(dataset_id).template_header() == columns


def test_admin_datasets_count_events_and_stock_census_survey_count_persons():
    units = {ds.id: ds.unit for ds in datasets()}
    assert {k for k, v in units.items() if v == "events"} == {
        "arrivals_departures", "residence_permits", "returns", "irregular_transit", "encounters"}
    assert {k for k, v in units.items() if v == "persons"} == {"migrant_stock", "migrant_stock_total", "refugees",
                                                               "census", "survey"}


def test_microdata_declare_weights_and_the_survey_its_design():
    assert dataset("census").weight == "weight"
    survey = dataset("survey")
    assert (survey.weight, survey.strata, survey.psu) == ("weight", "strata", "psu")


def test_every_dataset_has_titles_definitions_and_column_labels_in_both_languages():
    for ds in datasets():
        for lang in ("es", "en"):
            assert ds.title(lang) and ds.definition(lang) and ds.grain(lang) and ds.unit_detail(lang)
            assert all(col.label(lang) for col in ds.columns)
        assert ds.title("es") != ds.title("en")


def test_every_code_column_points_to_an_existing_codelist():
    known = set(codelist_ids())
    for ds in datasets():
        for col in ds.columns:
            if col.type == "code":
                assert col.codelist_id in known, (ds.id, col.name)
                assert len(codelist(col.codelist_id)) > 1


def test_codelists_named_in_the_standard_hold_their_codes():
    assert {"ARR", "DEP"} <= set(codelist("flow").codes)
    assert {"AIR", "LAND", "SEA", "_U"} <= set(codelist("border_type").codes)
    assert set(codelist("permit_type").codes) == {"TEMP", "PERM", "WORK", "STUDY", "FAMILY", "HUMANITARIAN", "OTHER"}
    assert set(codelist("minor_status").codes) == {"ADULT", "ACCOMPANIED", "UNACCOMPANIED"}
    assert set(codelist("migrant_status").codes) == {"NATIVE", "FOREIGN_BORN", "RETURNED"}


def test_flow_roles_name_real_columns():
    assert dataset("returns").flows[0].origin == "returned_from"
    arrivals = dataset("arrivals_departures").flows
    assert {f.when["flow"] for f in arrivals} == {"ARR", "DEP"}


def test_a_declaration_with_a_broken_reference_is_refused_loudly():
    raw = {
        "id": "broken", "title": {"es": "x", "en": "x"}, "unit": "events", "unit_detail": {"es": "", "en": ""},
        "kind": "aggregate", "grain": {"es": "", "en": ""}, "source_type": "administrative",
        "area_column": "ref_area", "time_column": "nope", "time_format": "year",
        "definition": {"es": "", "en": ""},
        "columns": [{"name": "ref_area", "type": "code", "codelist": "country", "label": {"es": "", "en": ""}},
                    {"name": "obs_value", "type": "count", "role": "measure", "label": {"es": "", "en": ""}}],
    }
    with pytest.raises(ValueError, match="nope"):
        _dataset(raw)


def test_unknown_dataset_names_the_known_ones():
    with pytest.raises(KeyError, match="arrivals_departures"):
        dataset("arrivals")
