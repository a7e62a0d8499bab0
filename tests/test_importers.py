"""The importers on the real public files in ../shared/realdata: what each one publishes is checked against the
original file, read here independently (openpyxl, the csv module), never against the importer's own reading.

Every file is imported once per session into a warehouse of this module; each file's rows are read back from
its own release (later editions of a scope supersede earlier ones for readers, not in the release files).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from vipmg_core import importers
from vipmg_core.codelists import codelist
from vipmg_core.importers import ImportProblem, Source, detect, import_file
from vipmg_core.warehouse import Warehouse

UNDESA_OD = "undesa_ims2015_od_table16/UN_MigrantStockByOriginAndDestination_2015.xlsx"
UNDESA_DEST = "undesa_ims2020_destination/undesa_pd_2020_ims_stock_by_sex_and_destination.xlsx"
UNDESA_TIDY = "iom_gdidata_regional_series/undesa_stocks.csv"
UNHCR_POPSTATS = "unhcr_popstats_persons_of_concern/unhcr_popstats_export_persons_of_concern_all_data.csv"
UNHCR_RDF = "iom_gdidata_regional_series/unhcr.csv"
WORLDBANK = "wb_bilateral_migration_matrix_2013/migration-matrix.csv"
CBP = "cbp_nationwide_encounters_state_fy20_23/nationwide-encounters-fy20-fy23-state.csv"
DARIEN = "iom_gdidata_regional_series/irreg_darien_nat.csv"
HONDURAS = "iom_gdidata_regional_series/irreg_honduras_nat.csv"
MEXICO_PRESENTED = "iom_gdidata_regional_series/irreg_mexico_nat.csv"
MEXICO_RETURNS = "iom_gdidata_regional_series/irreg_mexico_exp.csv"
GUATEMALA = "iom_gdidata_regional_series/irreg_guatemala.csv"
CBP_TIDY = "iom_gdidata_regional_series/irreg_usa.csv"

# (file, the kind detected from its content, options it needs)
FILES = [
    (UNDESA_OD, "undesa", {}), (UNDESA_DEST, "undesa", {}), (UNDESA_TIDY, "undesa", {}),
    (UNHCR_POPSTATS, "unhcr", {}), (UNHCR_RDF, "unhcr", {}), (WORLDBANK, "worldbank", {"year": 2013}),
    (CBP, "cbp", {}), (DARIEN, "regional", {}), (HONDURAS, "regional", {}), (MEXICO_PRESENTED, "regional", {}),
    (MEXICO_RETURNS, "regional", {}), (GUATEMALA, "regional", {}), (CBP_TIDY, "regional", {}),
]


@pytest.fixture(scope="module")
def imported(realdata_dir: Path, tmp_path_factory) -> tuple[Warehouse, dict[str, importers.ImportResult]]:
    wh = Warehouse(tmp_path_factory.mktemp("imports"))
    results = {name: import_file(wh, realdata_dir / name, actor="test", options=options)
               for name, _kind, options in FILES}
    return wh, results


def rows_of(imported, name: str, dataset_id: str | None = None) -> pl.DataFrame:
    """The rows one file published, from its own release file."""
    wh, results = imported
    item = next(d for d in results[name].datasets if dataset_id in (None, d.dataset_id))
    return pl.read_parquet(wh.root / item.release.path)


def csv_rows(realdata: Path, name: str, delimiter: str = ",") -> list[dict[str, str]]:
    with (realdata / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def value(frame: pl.DataFrame, **where: str | None) -> int | None:
    for column, wanted in where.items():
        frame = frame.filter(pl.col(column).is_null() if wanted is None else pl.col(column) == wanted)
    assert frame.height == 1, (where, frame)
    return frame["obs_value"][0]


# -- detection -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, kind", [(name, kind) for name, kind, _ in FILES])
def test_each_public_file_is_recognised_from_its_content(realdata, name, kind):
    assert detect(Source.from_path(realdata / name)) == kind


def test_a_file_of_no_known_source_is_refused_with_the_kinds_it_could_be():
    with pytest.raises(ImportProblem) as info:
        detect(Source("notas.csv", b"a,b\n1,2\n"))
    assert info.value.key == "not_recognised"
    assert "undesa, unhcr, worldbank, regional, cbp" in info.value.message("en")


def test_asking_for_the_wrong_importer_says_what_the_file_looks_like(realdata, empty_wh):
    with pytest.raises(ImportProblem) as info:
        import_file(empty_wh, realdata / CBP, kind="unhcr", actor="test")
    assert info.value.message("en") == (f"{Path(CBP).name} does not look like a \"unhcr\" file "
                                        "(it looks like: cbp).")
    assert empty_wh.is_empty()


# -- UN DESA -------------------------------------------------------------------------------------------------

def test_undesa_origin_destination_table_matches_the_workbook(imported, realdata):
    sheet = openpyxl.load_workbook(realdata / UNDESA_OD, read_only=True, data_only=True)["Table 16"]
    cells = list(sheet.iter_rows(values_only=True))
    origins = list(cells[15])
    by_code = {row[3]: row for row in cells[16:] if isinstance(row[3], int)}
    rows = rows_of(imported, UNDESA_OD)
    for dest, code, origin in [("CRI", 188, "Nicaragua"), ("USA", 840, "Mexico"), ("PAN", 591, "Colombia"),
                               ("LCA", 662, "Guyana"), ("MEX", 484, "Guatemala")]:
        expected = by_code[code][origins.index(origin)]
        iso3 = codelist("country").codes
        origin_code = next(c for c, entry in iso3.items() if entry.names["en"].startswith(origin))
        assert value(rows, destination=dest, origin=origin_code, time_period="2015") == expected
    assert value(rows, destination="CRI", origin="NIC") == 299_340
    # "Other North" and "Other South" (origins UN DESA could not place) and the Channel Islands (no ISO code) are
    # counted together as other/unknown.
    other = sum(by_code[188][origins.index(o)] or 0 for o in ("Other North", "Other South", "Channel Islands"))
    assert value(rows, destination="CRI", origin="OOO") == other
    assert set(rows["sex"]) == {"_T"}  # the table gives both sexes together: the total code, never null


def test_undesa_countries_add_up_to_world_and_aggregates_never_become_countries(imported, realdata):
    result = imported[1][UNDESA_OD]
    rows = rows_of(imported, UNDESA_OD)
    left_out = sum(u.total for u in result.unresolved if u.column == "destination")
    assert rows["obs_value"].sum() + left_out == 243_700_236  # the WORLD row of Table 16
    codes = dict(result.aggregates)
    assert codes["900"] == "WORLD" and codes["916"] == "Central America" and len(codes) == 33
    assert set(rows["destination"]) <= set(codelist("country").codes) - {"OOO"}
    assert result.rows_read == 265


def test_undesa_unplaceable_names_are_listed_and_counted_not_dropped(imported):
    unresolved = {(u.column, u.value): u for u in imported[1][UNDESA_OD].unresolved}
    assert set(unresolved) == {("destination", "Channel Islands (830)"), ("origin", "Channel Islands (830)")}
    as_destination = unresolved["destination", "Channel Islands (830)"]
    as_origin = unresolved["origin", "Channel Islands (830)"]
    assert (as_destination.rows, as_destination.total, as_destination.kept_as) == (6, 82_307, None)
    assert (as_origin.rows, as_origin.kept_as) == (5, "OOO")


def test_undesa_destination_table_keeps_males_and_females_that_add_up_to_both_sexes(imported, realdata):
    sheet = openpyxl.load_workbook(realdata / UNDESA_DEST, read_only=True, data_only=True)["Table 1"]
    cells = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(cells) if "Location code" in row)
    rows = rows_of(imported, UNDESA_DEST)
    assert set(rows["sex"]) == {"M", "F"}
    checked = 0
    for row in cells[header + 1:]:
        if not isinstance(row[3], (int, float)) or row[3] >= 900 or row[5] in (None, ".."):
            continue
        iso3 = {"188": "CRI", "340": "HND", "388": "JAM", "662": "LCA", "840": "USA"}.get(str(int(row[3])))
        if iso3 is None:
            continue
        for i, year in enumerate(range(1990, 2021, 5)):
            both, male, female = row[5 + i], row[12 + i], row[19 + i]
            got = rows.filter((pl.col("destination") == iso3) & (pl.col("time_period") == str(year)))
            assert dict(zip(got["sex"], got["obs_value"])) == {"M": male, "F": female}
            assert male + female == both
            checked += 1
    assert checked == 5 * 7
    result = imported[1][UNDESA_DEST]
    assert len(result.aggregates) == 47 and ("1503", "  High-income countries".strip()) in result.aggregates
    assert {n.key for n in result.notes} >= {"undesa_missing", "sheets_skipped"}


def test_undesa_tidy_series_keeps_every_row_of_a_placeable_destination(imported, realdata):
    source = csv_rows(realdata, UNDESA_TIDY)
    rows = rows_of(imported, UNDESA_TIDY)
    result = imported[1][UNDESA_TIDY]
    left_out = {u.value for u in result.unresolved if u.column == "destination"}
    assert left_out == {"XCX"}
    expected = Counter()
    for row in source:
        if row["geo"] not in left_out:
            expected[row["t"]] += int(row["n"])
    got = dict(rows.group_by("time_period").agg(pl.col("obs_value").sum()).iter_rows())
    assert got == dict(expected)
    usa_mex = [int(r["n"]) for r in source
               if (r["geo"], r["from"], r["t"], r["sex"]) == ("USA", "MEX", "2024", "female")]
    assert value(rows, destination="USA", origin="MEX", time_period="2024", sex="F") == usa_mex[0]
    assert result.edition.startswith("International Migrant Stock 2024")


# -- UNHCR ---------------------------------------------------------------------------------------------------

def test_unhcr_popstats_values_and_redacted_cells(imported):
    rows = rows_of(imported, UNHCR_POPSTATS)
    # 2014,"United States of America",Panama,25,22,,,,,,47
    assert value(rows, asylum="USA", origin="PAN", time_period="2014", population_type="REF") == 25
    assert value(rows, asylum="USA", origin="PAN", time_period="2014", population_type="ASY") == 22
    # 2014,"Venezuela (Bolivarian Republic of)",Honduras,,*,,,,,,*: hidden, never zero, never dropped
    hidden = rows.filter((pl.col("asylum") == "VEN") & (pl.col("origin") == "HND") & (pl.col("time_period") == "2014"))
    assert hidden.select("population_type", "redacted", "obs_value").rows() == [("ASY", "Y", None)]


def test_unhcr_popstats_totals_and_hidden_cells_match_the_export(imported, realdata):
    source = csv_rows(realdata, UNHCR_POPSTATS)
    columns = ["Refugees", "Asylum-seekers (pending cases)", "Returned refugees", "Internally displaced persons (IDPs)",
               "Returned IDPs", "Stateless persons", "Others of concern"]
    cells = [row[c] for row in source for c in columns]
    rows = rows_of(imported, UNHCR_POPSTATS)
    assert rows["obs_value"].sum() == sum(int(c) for c in cells if c and c != "*")
    hidden_source = sum(c == "*" for c in cells)
    hidden_rows = rows.filter(pl.col("redacted") == "Y")
    assert hidden_source == 4_810 and hidden_rows["obs_value"].null_count() == hidden_rows.height
    assert 4_700 < hidden_rows.height <= hidden_source  # two UNHCR origins can fall on one code (OOO)
    unresolved = {u.value: u for u in imported[1][UNHCR_POPSTATS].unresolved}
    assert set(unresolved) == {"Palestinian", "Tibetan"}
    assert all(u.kept_as == "OOO" and u.column == "origin" for u in unresolved.values())
    assert imported[1][UNHCR_POPSTATS].rows_read == 103_746


def test_unhcr_refugee_data_finder_sums_by_year_and_type_match_the_file(imported, realdata):
    groups = {"refugee": "REF", "asylum": "ASY", "refugee return": "RET", "idp": "IDP", "idp return": "RDP",
              "stateless": "STA", "other": "OOC"}
    expected = Counter()
    for row in csv_rows(realdata, UNHCR_RDF):
        expected[row["t"], groups[row["group"]]] += int(row["n"])
    rows = rows_of(imported, UNHCR_RDF)
    sums = rows.group_by("time_period", "population_type").agg(pl.col("obs_value").sum())
    got = {(y, g): v for y, g, v in sums.rows()}
    assert got == dict(expected)
    assert not [u for u in imported[1][UNHCR_RDF].unresolved if u.column == "asylum"]
    assert "STL" not in {u.value for u in imported[1][UNHCR_RDF].unresolved}  # stateless: other/unknown


# -- World Bank ----------------------------------------------------------------------------------------------

def test_world_bank_matrix_values_by_world_bank_names(imported, realdata):
    matrix = list(csv.reader((realdata / WORLDBANK).read_text().splitlines(), delimiter="\t"))
    destinations = matrix[0]
    cells = {row[0]: dict(zip(destinations[1:], row[1:])) for row in matrix[1:]}
    rows = rows_of(imported, WORLDBANK)
    nic_cri = value(rows, origin="NIC", destination="CRI", time_period="2013")
    assert nic_cri == int(cells["Nicaragua"]["Costa Rica"]) == 281_560
    assert value(rows, origin="GTM", destination="USA") == 929_961
    assert value(rows, origin="LCA", destination="USA") == int(cells["St. Lucia"]["United States of America"])
    assert value(rows, origin="BHS", destination="USA") == int(cells["Bahamas, The"]["United States of America"])
    result = imported[1][WORLDBANK]
    left_out = sum(u.total for u in result.unresolved if u.column == "destination")
    diagonal = sum(int(cells[name][name]) for name in cells)
    assert rows["obs_value"].sum() + left_out + diagonal == 239_095_570
    assert {u.value for u in result.unresolved} == {"Kosovo", "Channel Islands"}


def test_world_bank_text_copy_without_a_year_asks_for_it(realdata, empty_wh):
    with pytest.raises(ImportProblem) as info:
        import_file(empty_wh, realdata / WORLDBANK, actor="test")
    assert info.value.key == "year_needed" and "--year 2013" in info.value.message("en")


# -- CBP -----------------------------------------------------------------------------------------------------

def test_cbp_encounters_add_up_and_fiscal_months_become_calendar_months(imported, realdata):
    source = csv_rows(realdata, CBP)
    rows = rows_of(imported, CBP)
    assert rows["obs_value"].sum() == sum(int(r["Encounter Count"]) for r in source) == 8_571_067
    october_fy2021 = sum(int(r["Encounter Count"]) for r in source
                         if (r["Fiscal Year"], r["Month (abbv)"]) == ("2021", "OCT"))
    assert rows.filter(pl.col("time_period") == "2020-10")["obs_value"].sum() == october_fy2021
    china = sum(int(r["Encounter Count"]) for r in source if r["Citizenship"] == "CHINA, PEOPLES REPUBLIC OF")
    assert rows.filter(pl.col("nationality") == "CHN")["obs_value"].sum() == china
    other = sum(int(r["Encounter Count"]) for r in source if r["Citizenship"] == "OTHER")
    assert rows.filter(pl.col("nationality") == "OOO")["obs_value"].sum() == other
    assert set(rows["ref_area"]) == {"USA"} and not imported[1][CBP].unresolved
    assert set(rows["border_region"]) == {"SOUTHWEST", "NORTHERN", "OTHER"}
    assert set(rows["demographic"]) == {"SA", "FMUA", "AM", "UC"} and set(rows["authority"]) == {"T8", "T42"}


def test_cbp_tidy_series_keeps_months_without_nationality_as_not_stated(imported, realdata):
    source = csv_rows(realdata, CBP_TIDY)
    rows = rows_of(imported, CBP_TIDY)
    assert rows["obs_value"].sum() == sum(int(r["n"]) for r in source)
    not_stated = sum(int(r["n"]) for r in source if not r["nat"])
    assert rows.filter(pl.col("nationality").is_null())["obs_value"].sum() == not_stated
    assert dict(imported[1][CBP_TIDY].empty) == {"nationality": 156}


# -- regional series -----------------------------------------------------------------------------------------

def test_darien_transits_keep_yearly_and_monthly_periods_and_the_2023_total(imported, realdata):
    rows = rows_of(imported, DARIEN)
    assert set(rows["ref_area"]) == {"PAN"}
    periods = set(rows["time_period"])
    assert {str(y) for y in range(2010, 2020)} <= periods and "2020-01" in periods and "2020" not in periods
    assert rows.filter(pl.col("time_period").str.starts_with("2023"))["obs_value"].sum() == 520_085
    source = csv_rows(realdata, DARIEN)
    assert rows["obs_value"].sum() == sum(int(r["n"]) for r in source)
    assert value(rows, time_period="2023-09", nationality="VEN") == next(
        int(r["n"]) for r in source if (r["t"], r["nat"]) == ("2023-09-01", "VEN"))
    unresolved = {u.value: (u.rows, u.kept_as) for u in imported[1][DARIEN].unresolved}
    assert unresolved == {"XKX": (2, "OOO"), "TIB": (4, "OOO")}


@pytest.mark.parametrize("name, dataset_id, area", [(HONDURAS, "irregular_transit", "HND"),
                                                    (MEXICO_PRESENTED, "encounters", "MEX")])
def test_honduras_and_mexico_series_by_nationality_add_up_month_by_month(imported, realdata, name, dataset_id, area):
    expected = Counter()
    for row in csv_rows(realdata, name):
        expected[row["t"][:7]] += int(row["n"])
    rows = rows_of(imported, name, dataset_id)
    assert set(rows["ref_area"]) == {area}
    assert dict(rows.group_by("time_period").agg(pl.col("obs_value").sum()).rows()) == dict(expected)
    assert {"XKX"} <= {u.value for u in imported[1][name].unresolved}


def test_mexico_returns_go_to_the_country_of_nationality_with_return_types_added(imported, realdata):
    expected = defaultdict(int)
    for row in csv_rows(realdata, MEXICO_RETURNS):
        expected[row["nat"], row["t"][:7]] += int(row["n"])
    rows = rows_of(imported, MEXICO_RETURNS)
    assert set(rows["returned_from"]) == {"MEX"}
    assert value(rows, ref_area="GTM", time_period="2019-06") == expected["GTM", "2019-06"]
    assert rows["obs_value"].sum() == sum(expected.values())


def test_guatemala_returns_by_sex_minor_status_and_country_returned_from(imported, realdata):
    source = csv_rows(realdata, GUATEMALA)
    rows = rows_of(imported, GUATEMALA)
    assert rows.height == len(source) == 736
    first = source[0]  # 2020-01-01,male,adult,MEX,2243
    assert value(rows, time_period="2020-01", sex="M", minor_status="ADULT", returned_from="MEX") == int(first["n"])
    assert rows.filter(pl.col("returned_from").is_null()).height == 88
    assert set(rows["minor_status"]) == {"ADULT", "ACCOMPANIED", "UNACCOMPANIED"}


@pytest.mark.parametrize("name", ["irreg_darien_dmg.csv", "irreg_honduras.csv", "irreg_mexico_dmg.csv"])
def test_series_without_nationality_are_refused_so_nobody_is_counted_twice(realdata, empty_wh, name):
    with pytest.raises(ImportProblem) as info:
        import_file(empty_wh, realdata / "iom_gdidata_regional_series" / name, actor="test")
    assert info.value.key == "regional_no_nationality"
    assert empty_wh.is_empty()


def test_a_look_alike_series_whose_name_does_not_say_which_asks_for_it(realdata, empty_wh):
    data = (realdata / HONDURAS).read_bytes()
    with pytest.raises(ImportProblem) as info:
        import_file(empty_wh, Source("series.csv", data), actor="test")
    assert info.value.key == "series_needed"
    result = import_file(empty_wh, Source("series.csv", data), actor="test", options={"series": "honduras"})
    assert result.datasets[0].dataset_id == "irregular_transit"


# -- provenance, idempotence, editions -----------------------------------------------------------------------

def test_every_release_records_publisher_file_sha256_edition_and_date(imported, realdata):
    wh, results = imported
    for name, _kind, _ in FILES:
        for item in results[name].datasets:
            release = item.release
            notes = release.provenance["notes"]
            assert notes["sha256"] == Source.from_path(realdata / name).sha256 == importers.source_sha256(release)
            assert release.source_file == Path(name).name and release.publisher and release.edition
            assert notes["imported_at"][:4] == release.created_at[:4] and not release.synthetic
            assert release.scope.startswith("import:") and release.scope.endswith(item.dataset_id)
            line = importers.provenance_line(release, "en")
            assert notes["sha256"] in line and Path(name).name in line and "imported on" in line
    table = importers.sources_table(wh, "en")
    assert set(table["File"]) >= {"migration-matrix.csv", "irreg_darien_nat.csv"}


def test_importing_the_same_files_again_changes_nothing(imported, realdata):
    wh, _ = imported
    before = [(r.release_id, r.status) for r in wh.releases(published_only=False)]
    token = wh.state_token()
    for name, _kind, options in FILES:
        again = import_file(wh, realdata / name, actor="test", options=options)
        assert again.already_imported, name
    assert [(r.release_id, r.status) for r in wh.releases(published_only=False)] == before
    assert wh.state_token() == token


def test_a_newer_edition_is_a_new_version_and_an_older_one_is_refused_unless_forced(realdata, empty_wh):
    older = realdata / "iom_gdidata_regional_series/undesa_stocks_2020.csv"
    first = import_file(empty_wh, older, actor="test")
    newer = import_file(empty_wh, realdata / UNDESA_TIDY, actor="test")
    assert (first.datasets[0].release.version, newer.datasets[0].release.version) == (1, 2)
    assert empty_wh.release(first.datasets[0].release.release_id).status == "superseded"
    assert any("Replaces the older edition of the same product" in line and "undesa_stocks_2020.csv" in line
               for line in newer.lines("en"))
    assert any("Reemplaza a la edición anterior del mismo producto" in line for line in newer.lines("es"))
    copy = Source("undesa_stocks_2020_again.csv", older.read_bytes() + b"\n")  # the 2020 edition, other bytes
    with pytest.raises(ImportProblem) as info:
        import_file(empty_wh, copy, actor="test")
    assert info.value.key == "older_edition"
    forced = import_file(empty_wh, copy, actor="test", force=True)
    assert forced.datasets[0].release.version == 3


def _figure(wh: Warehouse, dataset_id: str, where: str, source: str | None = None) -> int:
    sql = f"SELECT CAST(SUM(obs_value) AS BIGINT) AS v FROM data WHERE {where}"
    frame = wh.preferring(source).query(dataset_id, sql)
    return frame["v"][0]


def test_a_product_never_replaces_another_product_of_the_same_publisher(realdata, empty_wh):
    wh = empty_wh
    # CBP: the southwest-border series beside the nationwide file, whose other regions stay readable.
    import_file(wh, realdata / CBP, actor="test")
    tidy = import_file(wh, realdata / CBP_TIDY, actor="test")
    assert {r.status for r in wh.releases("encounters", published_only=False)} == {"published"}
    in_2021 = "time_period LIKE '2021%' AND border_region = "
    assert _figure(wh, "encounters", in_2021 + "'NORTHERN'") == 37_186
    assert _figure(wh, "encounters", in_2021 + "'OTHER'") == 202_725
    # where both hold a month, the product covering every region is read (no month counted twice) ...
    nationwide_sw = sum(int(r["Encounter Count"]) for r in csv_rows(realdata, CBP)
                        if r["Land Border Region"] == "Southwest Land Border")
    in_fy = "time_period BETWEEN '2019-10' AND '2023-09' AND border_region = 'SOUTHWEST'"
    assert _figure(wh, "encounters", in_fy) == nationwide_sw
    # ... and the other is one choice away; the import said so, and that it replaced nothing
    tidy_sw = sum(int(r["n"]) for r in csv_rows(realdata, CBP_TIDY) if "2019-10" <= r["t"][:7] <= "2023-09")
    assert _figure(wh, "encounters", in_fy, source="cbp-southwest-tidy") == tidy_sw
    assert _figure(wh, "encounters", in_2021 + "'NORTHERN'", source="cbp-southwest-tidy") is None
    lines = " ".join(tidy.lines("en"))
    assert "which are kept" in lines and "cbp-nationwide-encounters" in lines and "Replaces" not in lines
    # UNHCR: the Refugee Data Finder beside PopStats, whose 1951-1989 stay readable.
    import_file(wh, realdata / UNHCR_POPSTATS, actor="test")
    import_file(wh, realdata / UNHCR_RDF, actor="test")
    assert _figure(wh, "refugees", "time_period < '1990'") > 0
    assert len([r for r in wh.releases("refugees")]) == 2
    # UN DESA: the 2024 tidy series beside the 2015 workbook, whose figure stays one choice away.
    import_file(wh, realdata / UNDESA_OD, actor="test")
    import_file(wh, realdata / UNDESA_TIDY, actor="test")
    nic_cri_2015 = "destination = 'CRI' AND origin = 'NIC' AND time_period = '2015'"
    revised = sum(int(r["n"]) for r in csv_rows(realdata, UNDESA_TIDY)
                  if (r["geo"], r["from"], r["t"]) == ("CRI", "NIC", "2015"))
    assert _figure(wh, "migrant_stock", nic_cri_2015) == revised
    assert _figure(wh, "migrant_stock", nic_cri_2015, source="undesa-workbook") == 299_340


# -- imported data among the demo ----------------------------------------------------------------------------

def test_an_import_replaces_the_demo_only_for_its_slices_and_the_demo_can_then_be_withdrawn(realdata, tmp_path):
    from vipmg_core import demo

    wh = Warehouse(tmp_path / "mixed")
    demo.build(wh, scale=0.05)
    with pytest.raises(ImportProblem) as info:
        importers.withdraw_demo(wh, actor="test")  # nothing real yet: the app would rebuild the demo
    assert info.value.key == "demo_needed"
    result = import_file(wh, realdata / DARIEN, actor="test")
    assert result.datasets[0].replaced_demo_slices == 48  # Panama's 48 demo months, 2021-2024
    pan_2023 = wh.query("irregular_transit", "SELECT SUM(obs_value) AS v FROM data"
                        " WHERE ref_area = 'PAN' AND time_period LIKE '2023-%'")["v"][0]
    assert pan_2023 == 520_085
    assert wh.query("irregular_transit", "SELECT COUNT(*) AS n FROM data WHERE ref_area = 'CRI'")["n"][0] > 0
    assert wh.has_synthetic(["irregular_transit"])
    withdrawn = importers.withdraw_demo(wh, actor="test")
    assert {r.status for r in withdrawn} == {"withdrawn"} and not wh.has_synthetic()
    assert wh.query("irregular_transit", "SELECT COUNT(*) AS n FROM data WHERE ref_area = 'CRI'")["n"][0] == 0
    assert [e["action"] for e in wh.catalogue.audit_entries("release", withdrawn[0].release_id)][-1] == "withdraw"


def test_every_message_key_the_importers_use_exists_in_both_languages():
    import re

    from vipmg_core.i18n import messages

    package = Path(importers.__file__).parent
    code = "\n".join(p.read_text(encoding="utf-8") for p in [*package.glob("*.py"),
                                                             package.parents[1] / "pages" / "import_data.py"])
    keys = set(re.findall(r"""\bt\(\s*f?["']([a-z_]+(?:\.[a-z_0-9]+)+)["']""", code))
    keys |= {f"importers.note.{k}" for k in re.findall(r"""\bNote\(\s*["']([a-z_]+)["']""", code)}
    keys |= {f"importers.error.{k}" for k in re.findall(r"""\bImportProblem\(\s*["']([a-z_]+)["']""", code)}
    keys |= {f"importers.kind_{k}" for k in (*importers.KINDS, "auto")}
    assert len(keys) > 60
    assert not sorted(k for k in keys if k not in messages())


def test_world_bank_workbook_layout_with_title_and_margins_reads_like_the_text_copy(realdata, empty_wh, tmp_path):
    import xlsxwriter

    matrix = list(csv.reader((realdata / WORLDBANK).read_text().splitlines(), delimiter="\t"))
    names = ["Costa Rica", "Nicaragua", "Panama", "St. Lucia", "United States of America"]
    pick = [matrix[0].index(n) for n in names]
    cells = {row[0]: [int(row[j]) for j in pick] for row in matrix[1:] if row[0] in names}
    path = tmp_path / "Bilateral_Migration_Matrix.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Bilateral_Migration_2013")
    sheet.write_row(0, 0, ["Bilateral Estimates of Migrant Stocks in 2013"])
    sheet.write_row(2, 0, ["Destination country (across) - Source country (down)", *names, "Total"])
    for i, name in enumerate([*names, "Other North"], start=3):
        values = cells.get(name, [7, 0, 0, 0, 5])
        sheet.write_row(i, 0, [name, *values, sum(values)])
    sheet.write_row(len(names) + 4, 0, ["World", *[sum(c[k] for c in cells.values()) for k in range(len(names))]])
    book.close()

    result = import_file(empty_wh, path, actor="test")
    assert result.kind == "worldbank" and result.edition == "Bilateral Migration Matrix 2013"
    rows = pl.read_parquet(empty_wh.root / result.datasets[0].release.path)
    assert value(rows, origin="NIC", destination="CRI", time_period="2013") == 281_560
    assert value(rows, origin="LCA", destination="USA") == cells["St. Lucia"][4]
    assert value(rows, origin="OOO", destination="CRI") == 7  # "Other North": other/unknown
    assert {name for _, name in result.aggregates} == {"Total", "World"}


def test_a_dataset_names_its_sources_for_captions_and_exports(realdata, tmp_path):
    from vipmg_core import demo

    wh = Warehouse(tmp_path / "mixed")
    demo.build(wh, scale=0.05)
    import_file(wh, realdata / DARIEN, actor="test")
    note = importers.source_note(wh, "irregular_transit", "en")
    assert note.startswith("Sources: Servicio Nacional de Migración de Panamá (SNM) (Irregular transits through")
    assert note.endswith("; synthetic demo.")
    lines = importers.provenance_lines(wh, "irregular_transit", "es")
    assert any("irreg_darien_nat.csv" in line and "eda059473817" in line and "importado el" in line for line in lines)


@pytest.mark.parametrize("name, data", [("vacio.csv", b""), ("basura.xlsx", b"PK\x03\x04 not a zip at all"),
                                        ("imagen.csv", bytes(range(256)) * 40)])
def test_empty_broken_or_binary_files_are_refused_with_a_message_and_nothing_published(empty_wh, name, data):
    with pytest.raises(ImportProblem) as info:
        import_file(empty_wh, Source(name, data), actor="test")
    assert info.value.key in ("not_recognised", "unreadable")
    assert info.value.message("es") and empty_wh.is_empty()


def test_a_file_whose_reporting_countries_are_all_unknown_publishes_nothing(empty_wh):
    data = b"t,q,nat,n\n2024-01-01,2024-01-01,VEN,10\n"
    result = import_file(empty_wh, Source("irreg_darien_nat.csv", data), actor="test")
    assert result.datasets[0].rows == 1  # Panama is the recording country: this one is placeable
    with pytest.raises(ImportProblem) as info:
        import_file(empty_wh, Source("undesa.csv", b"geo,t,from,sex,n\nNarnia,2020,VEN,female,5\n"), actor="test")
    assert info.value.key == "no_rows"


def test_a_workbook_that_would_inflate_like_a_zip_bomb_is_refused_by_the_same_checks_as_uploads(empty_wh):
    """Importers open workbooks through `vipmg_core.readers`: the upload page's zip-bomb check applies to them."""
    from vipmg_core.readers import ReadError, read_upload

    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (25 * 1024 * 1024))  # 25 MB at a ratio of ~1000
    data = packed.getvalue()
    with pytest.raises(ReadError) as upload:
        read_upload(data, "bomba.xlsx")
    with pytest.raises(ImportProblem) as caught:
        import_file(empty_wh, Source("bomba.xlsx", data), actor="test")
    assert upload.value.key == "zip_bomb" and caught.value.key == "unreadable"
    for lang in ("es", "en"):
        assert upload.value.message(lang).rstrip(".") in caught.value.message(lang)
        assert "bomba.xlsx" in caught.value.message(lang) and "\n" not in caught.value.message(lang)
    assert empty_wh.is_empty()
