"""The Import page, driven headless with AppTest: reviewers only, a real file in, its result and provenance out,
the same file again changes nothing, and the demo can be switched off once real data is published."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from vipmg_core import accounts, demo
from vipmg_core.warehouse import Warehouse

from .conftest import open_page, own_data_dir

IMPORT = "pages/import_data.py"
PASSWORD = "a-long-password-1"
DARIEN = "iom_gdidata_regional_series/irreg_darien_nat.csv"


@pytest.fixture
def own_dir(tmp_path: Path):
    """A small demo warehouse of the test's own (imports and withdrawals must not leak into other tests)."""
    wh = Warehouse(tmp_path / "wh")
    demo.build(wh, scale=0.05)
    accounts.add_user(wh.catalogue, "rev", role="reviewer", password=PASSWORD, actor="t")
    accounts.add_user(wh.catalogue, "fp_pan", role="focal_point", country="PAN", password=PASSWORD, actor="t")
    with own_data_dir(wh.root):
        yield wh


def import_page(lang: str = "es") -> AppTest:
    return open_page(IMPORT, {"lang": lang}, user="rev")  # only reviewers are offered the page


def upload(at: AppTest, path: Path) -> AppTest:
    at.file_uploader(key="imp_file").set_value((path.name, path.read_bytes(), "text/csv")).run()
    at.button[0].click().run()
    assert not at.exception
    return at


@pytest.mark.parametrize("user", [None, "fp_pan"])
def test_only_reviewers_are_offered_the_page(own_dir, user):
    at = open_page(user=user)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(IMPORT)
    assert import_page("es").title[0].value == "Importar datos públicos"


def test_a_reviewer_imports_the_darien_file_and_sees_rows_unresolved_names_and_provenance(own_dir, realdata):
    at = upload(import_page("en"), realdata / DARIEN)
    assert at.success[0].value == "Imported and published."
    summary = at.markdown[-1].value
    assert "Irregular transit (irregular_transit): version 1 published, 2,386 rows (events)." in summary
    assert "SHA-256 eda059473817259ee54f94d8e4f34b916903303981cdf029ae33c4402007c9b4" in summary
    unresolved = at.dataframe[0].value
    assert set(unresolved["As the file writes it"]) == {"XKX", "TIB"}
    assert set(unresolved["Treatment"]) == {"counted as other countries / unknown"}
    sources = at.dataframe[1].value
    assert list(sources["File"]) == ["irreg_darien_nat.csv"]
    assert list(sources["Publisher"]) == ["Servicio Nacional de Migración de Panamá (SNM)"]

    again = upload(at, realdata / DARIEN)
    assert again.info[0].value == "This file was already imported: nothing changed."
    assert [r.version for r in own_dir.releases("irregular_transit") if r.scope.startswith("import:")] == [1]


def test_a_file_of_no_known_source_gets_a_message_in_the_users_language(own_dir, tmp_path):
    odd = tmp_path / "notas.csv"
    odd.write_text("a,b\n1,2\n", encoding="utf-8")
    at = upload(import_page("es"), odd)
    assert at.error[0].value.startswith("No se reconoce notas.csv como un archivo de ninguna fuente conocida")
    assert not [r for r in own_dir.releases() if not r.synthetic]


def test_the_demo_can_be_switched_off_only_once_real_data_is_published(own_dir, realdata):
    at = import_page("en")
    assert at.checkbox(key="imp_demo_sure").disabled  # nothing real yet: the app would rebuild the demo
    at = upload(at, realdata / DARIEN)
    at.checkbox(key="imp_demo_sure").check().run()
    at.button[1].click().run()
    assert not at.exception
    assert at.success[0].value.endswith("demo releases were withdrawn.")
    assert not own_dir.has_synthetic()
    assert not any("Synthetic demo data" in w.value for w in at.warning)
    assert at.info[-1].value == "No demo data is published."


def test_the_catalogue_shows_each_imports_file_sha256_and_edition(own_dir, realdata):
    from vipmg_core.importers import import_file

    import_file(own_dir, realdata / DARIEN, actor="rev")
    at = open_page("pages/catalogue.py", {"lang": "en", "ds": "irregular_transit"})
    releases = at.dataframe[2].value
    real = releases[releases["File"] == "irreg_darien_nat.csv"].iloc[0]
    assert real["SHA-256 of the file"] == "eda059473817259ee54f94d8e4f34b916903303981cdf029ae33c4402007c9b4"
    assert real["Publisher"] == "Servicio Nacional de Migración de Panamá (SNM)"
    assert real["Edition"].startswith("Irregular transits through Darién, 2010–2025-04")


def test_unhcr_data_with_hidden_values_opens_in_the_cross_tab_and_the_flow_map(own_dir, realdata):
    from vipmg_core.importers import import_file

    import_file(own_dir, realdata / "unhcr_popstats_persons_of_concern/"
                "unhcr_popstats_export_persons_of_concern_all_data.csv", actor="rev")
    for page, params in (("pages/crosstab.py", {"xds": "refugees", "xr": "origin", "xc": "population_type",
                                                "cty": "MEX,CRI,VEN", "yr": "2014-2014"}),
                         ("pages/flowmap.py", {"fds": "refugees", "fct": "VEN", "fdir": "in", "fper": "2014"})):
        at = open_page(page, {"lang": "en", **params})
        assert not at.error, page
        assert at.dataframe and len(at.dataframe[0].value) > 0, page


def test_where_two_products_hold_a_figure_the_cross_tab_reads_the_default_and_the_other_by_choice(own_dir, realdata):
    from vipmg_core.importers import import_file

    import_file(own_dir, realdata / "undesa_ims2015_od_table16/UN_MigrantStockByOriginAndDestination_2015.xlsx",
                actor="rev")
    import_file(own_dir, realdata / "iom_gdidata_regional_series/undesa_stocks.csv", actor="rev")
    params = {"lang": "en", "xds": "migrant_stock", "xr": "destination", "xc": "", "cty": "CRI",
              "yr": "2015-2015", "xf_origin": "NIC"}
    default = open_page("pages/crosstab.py", params)
    assert not default.exception
    assert default.dataframe[0].value.iloc[0, -1] == "292,232"  # the 2024 revision of 2015 (`xc=`: no columns)
    assert any("undesa-workbook" in c.value for c in default.caption)  # the other product is named
    chosen = open_page("pages/crosstab.py", {**params, "xsrc": "undesa-workbook"})
    assert chosen.selectbox(key="xsrc").value == "undesa-workbook"
    assert chosen.dataframe[0].value.iloc[0, -1] == "299,340"  # the 2015 workbook's own figure
