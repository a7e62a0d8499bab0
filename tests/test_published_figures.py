"""One warehouse holding every importable file of ../shared/realdata at once gives back all eight published
figures through the cross-tab (the surface every page, export and the CLI read): UN DESA 2020, 2015 and 2024
Nicaraguans in Costa Rica, Venezuelans in Panama and Guatemalans in the United States in 2024; the World Bank's
2013 matrix; UNHCR's Colombian refugees in Panama in 2014; transits through the Darién in 2023.

Where two products hold the same figure, the revised one of the newer edition is read by default and the
older edition's is one choice (`source`) away. Expected values are read from the publishers' files here, with
the csv module and openpyxl, never through the importers.
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from vipmg_core.crosstab import TOTAL, crosstab
from vipmg_core.importers import ImportProblem, import_file
from vipmg_core.warehouse import Warehouse

TIDY = "iom_gdidata_regional_series/undesa_stocks.csv"
TIDY_2020 = "iom_gdidata_regional_series/undesa_stocks_2020.csv"
WORKBOOK_2015 = "undesa_ims2015_od_table16/UN_MigrantStockByOriginAndDestination_2015.xlsx"
WORLDBANK = "wb_bilateral_migration_matrix_2013/migration-matrix.csv"
POPSTATS = "unhcr_popstats_persons_of_concern/unhcr_popstats_export_persons_of_concern_all_data.csv"
RDF = "iom_gdidata_regional_series/unhcr.csv"
DARIEN = "iom_gdidata_regional_series/irreg_darien_nat.csv"
OPTIONS = {"migration-matrix.csv": {"year": 2013}}  # the World Bank's text copy does not say its year
# Files no importer reads (documentation, R binaries, code lists, maps...) or that would count people twice.
REFUSALS = {"not_recognised", "layout", "regional_no_nationality"}


@pytest.fixture(scope="module")
def everything(realdata_dir: Path, tmp_path_factory) -> tuple[Warehouse, dict[str, str]]:
    wh = Warehouse(tmp_path_factory.mktemp("all_real_data"))
    # Every file, the older of two editions of one product first (a newer one then replaces it).
    files = sorted((p for p in realdata_dir.rglob("*") if p.is_file()),
                   key=lambda p: (p.name != Path(TIDY_2020).name, str(p)))
    outcome = {}
    for path in files:
        name = path.relative_to(realdata_dir).as_posix()
        try:
            result = import_file(wh, path, actor="test", options=OPTIONS.get(path.name))
            outcome[name] = "imported"
            assert not result.already_imported
        except ImportProblem as problem:
            assert problem.key in REFUSALS, (name, problem.message("en"))
            outcome[name] = problem.key
    return wh, outcome


def _tidy(realdata: Path, name: str, geo: str, origin: str, year: str) -> int:
    with (realdata / name).open(encoding="utf-8", newline="") as handle:
        return sum(int(r["n"]) for r in csv.DictReader(handle) if (r["geo"], r["from"], r["t"]) == (geo, origin, year))


def _stock(wh: Warehouse, destination: str, origin: str, year: int, source: str | None = None) -> float:
    result = crosstab("migrant_stock", ["destination"], filters={"origin": [origin]}, countries=[destination],
                      years=(year, year), source=source, warehouse=wh)
    cell = result.cells.filter((pl.col("destination") == destination))
    assert cell.height == 1 and cell["flag"][0] != "suppressed"
    return cell["value"][0]


def test_every_importable_file_is_in_the_one_warehouse_and_no_product_hid_another(everything):
    wh, outcome = everything
    imported = sorted(name for name, status in outcome.items() if status == "imported")
    assert {TIDY, TIDY_2020, WORKBOOK_2015, WORLDBANK, POPSTATS, RDF, DARIEN} <= set(imported)
    assert len(imported) == 14
    superseded = [r for r in wh.releases(published_only=False) if r.status != "published"]
    # Only the 2020 edition of the tidy UN DESA series gave way, to its own 2024 edition.
    assert [(r.source_file, r.status) for r in superseded] == [("undesa_stocks_2020.csv", "superseded")]


def test_un_desa_2024_figures(everything, realdata):
    wh, _ = everything
    for destination, origin in (("CRI", "NIC"), ("PAN", "VEN"), ("USA", "GTM")):
        expected = _tidy(realdata, TIDY, destination, origin, "2024")
        assert expected > 100_000
        assert _stock(wh, destination, origin, 2024) == expected


def test_un_desa_2020_figure_and_its_own_edition_one_choice_away(everything, realdata):
    wh, _ = everything
    expected = _tidy(realdata, TIDY_2020, "CRI", "NIC", "2020")
    assert expected == 350_854
    assert _stock(wh, "CRI", "NIC", 2020, source="undesa-tidy@2020") == expected
    assert _stock(wh, "CRI", "NIC", 2020) == _tidy(realdata, TIDY, "CRI", "NIC", "2020")


def test_un_desa_2015_workbook_figure_one_choice_away_from_the_revised_one(everything, realdata):
    wh, _ = everything
    sheet = openpyxl.load_workbook(realdata / WORKBOOK_2015, read_only=True, data_only=True)["Table 16"]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(r for r in rows if r and "Nicaragua" in [str(c).strip() if c else "" for c in r])
    column = [str(c).strip() if c else "" for c in header].index("Nicaragua")
    costa_rica = next(r for r in rows if r[1] and str(r[1]).strip() == "Costa Rica")
    assert int(costa_rica[column]) == 299_340
    assert _stock(wh, "CRI", "NIC", 2015, source="undesa-workbook") == 299_340
    revised = _tidy(realdata, TIDY, "CRI", "NIC", "2015")  # the 2024 revision of the same year, read by default
    assert _stock(wh, "CRI", "NIC", 2015) == revised != 299_340
    result = crosstab("migrant_stock", ["destination"], countries=["CRI"], years=(2015, 2015),
                      source="undesa-workbook", warehouse=wh)
    assert any("UN_MigrantStockByOriginAndDestination_2015.xlsx" in line for line in result.provenance)
    assert not any("undesa_stocks.csv" in line for line in result.provenance)
    # Read by default, the table says which other product holds the same figures and how to choose it.
    default = crosstab("migrant_stock", ["destination"], countries=["CRI"], years=(2015, 2015), warehouse=wh)
    assert [key for key, _ in default.set_aside] == ["undesa-workbook"]
    assert any("undesa-workbook" in note and "Other products also publish" in note for note in default.notes("en"))
    assert any("Otros productos publican" in note for note in default.notes("es"))


def test_world_bank_2013_figures(everything, realdata):
    wh, _ = everything
    matrix = list(csv.reader((realdata / WORLDBANK).read_text().splitlines(), delimiter="\t"))
    names = matrix[0]
    cells = {row[0]: row for row in matrix[1:]}
    assert _stock(wh, "CRI", "NIC", 2013) == int(cells["Nicaragua"][names.index("Costa Rica")]) == 281_560
    assert _stock(wh, "USA", "GTM", 2013) == int(cells["Guatemala"][names.index("United States of America")])


def test_unhcr_2014_colombian_refugees_in_panama(everything, realdata):
    wh, _ = everything
    with (realdata / POPSTATS).open(encoding="utf-8", newline="") as handle:
        where = ("Year", "Country of asylum or residence", "Origin")
        expected = next(int(r["Refugees"]) for r in csv.DictReader(handle)
                        if tuple(r[k] for k in where) == ("2014", "Panama", "Colombia"))
    assert expected == 15_551
    for source in (None, "unhcr-popstats", "unhcr-refugee-data-finder"):
        result = crosstab("refugees", ["asylum"], filters={"origin": ["COL"], "population_type": ["REF"]},
                          countries=["PAN"], years=(2014, 2014), source=source, warehouse=wh)
        assert result.cells.filter(pl.col("asylum") == "PAN")["value"][0] == expected, source


def test_darien_transits_in_2023(everything, realdata):
    wh, _ = everything
    with (realdata / DARIEN).open(encoding="utf-8", newline="") as handle:
        expected = sum(int(r["n"]) for r in csv.DictReader(handle) if r["t"].startswith("2023"))
    assert expected == 520_085
    result = crosstab("irregular_transit", ["ref_area"], countries=["PAN"], years=(2023, 2023), warehouse=wh)
    assert result.cells.filter(pl.col("ref_area") == TOTAL)["value"][0] == expected
    assert len(result.provenance) == 1 and "irreg_darien_nat.csv" in result.provenance[0]


def test_a_value_unhcr_hid_reads_as_hidden_never_as_zero(everything):
    wh, _ = everything
    # 2014,"Venezuela (Bolivarian Republic of)",Honduras,,*,,,,,,*  (PopStats: asylum-seekers 1 to 4)
    result = crosstab("refugees", ["origin"], ["population_type"], filters={"origin": ["HND"]}, countries=["VEN"],
                      years=(2014, 2014), source="unhcr-popstats", warehouse=wh)
    cell = result.cells.filter((pl.col("origin") == "HND") & (pl.col("population_type") == "ASY")).row(0, named=True)
    assert cell["value"] is None and cell["mark"] == "redacted"
    assert result.table("en").display["Asylum-seekers (pending cases)"].to_list()[0] == "r"


def test_stocks_over_many_years_and_two_sources_are_never_added_up(everything, realdata):
    wh, _ = everything
    # Nicaraguans in Costa Rica, every year and source: the latest year read, and said, not 2.37 million.
    result = crosstab("migrant_stock", ["destination"], filters={"origin": ["NIC"]}, countries=["CRI"],
                      warehouse=wh)
    assert result.cells.filter(pl.col("destination") == "CRI")["value"][0] == _tidy(realdata, TIDY, "CRI", "NIC",
                                                                                     "2024")
    assert result.latest == (("CRI", "2024"),)
    # Refugees in Costa Rica in the 1980s: 1989's population, not ten years added up.
    with (realdata / POPSTATS).open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Country of asylum or residence"] == "Costa Rica"
                and r["Year"] == "1989"]
    columns = ["Refugees", "Asylum-seekers (pending cases)", "Returned refugees", "Internally displaced persons (IDPs)",
               "Returned IDPs", "Stateless persons", "Others of concern"]
    expected = sum(int(r[c]) for r in rows for c in columns if r[c] and r[c] != "*")
    result = crosstab("refugees", ["asylum"], countries=["CRI"], years=(1980, 1989), warehouse=wh)
    assert result.cells.filter(pl.col("asylum") == "CRI")["value"][0] == expected > 0
    assert result.latest == (("CRI", "1989"),)
