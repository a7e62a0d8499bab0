"""`python -m vipmg_core crosstab`: the page's table from the command line, in every format."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from vipmg_core import crosstab as xt
from vipmg_core.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["crosstab", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_csv_is_the_same_table_as_the_api(demo_wh, capsys, tmp_path):
    out = tmp_path / "t.csv"
    code, printed, _ = run(capsys, "survey", "--rows", "ref_area,sex", "--cols", "labour_status",
                           "--filter", "migrant_status=NATIVE", "--countries", "GTM,HND", "--years", "2023-2024",
                           "--percent", "row", "--totals", "--format", "csv", "--lang", "en", "--out", str(out))
    assert code == 0 and str(out) in printed
    text = out.read_text(encoding="utf-8-sig")
    meta = [line for line in text.splitlines() if line.startswith("#")]
    assert any("Synthetic demo data" in line for line in meta)
    assert any("Filter: Migrant status: Native-born (NATIVE)" in line for line in meta)
    body = list(csv.reader(io.StringIO("\n".join(l for l in text.splitlines() if not l.startswith("#")))))
    api = xt.crosstab("survey", ["ref_area", "sex"], ["labour_status"], filters={"migrant_status": ["NATIVE"]},
                      countries=["GTM", "HND"], years=(2023, 2024), percent="row", totals=True, warehouse=demo_wh)
    frame = api.export_frame("en")
    assert body[0] == list(frame.columns)
    assert len(body) - 1 == len(frame)
    assert body[1][:2] == ["Guatemala", "Female"]
    assert body[-1][:2] == ["Total", "Total"]


def test_json_carries_cells_table_and_metadata(demo_wh, capsys, tmp_path):
    out = tmp_path / "t.json"
    code, _, _ = run(capsys, "returns", "--rows", "ref_area", "--cols", "sex", "--filter", "returned_from=USA",
                     "--totals", "--format", "json", "--lang", "en", "--out", str(out))
    assert code == 0
    payload = json.loads(out.read_text())
    assert payload["meta"]["dataset"] == "returns" and payload["meta"]["method"] == "admin"
    assert "Counts events, not persons" in payload["meta"]["Unit"]
    assert payload["table"]["columns"][0] == "Country receiving its nationals"
    cell = next(c for c in payload["cells"] if c["ref_area"] == "_T" and c["sex"] == "_T")
    assert cell["OBS_VALUE"] > 0 and cell["CONF_STATUS"] == "F"


def test_xlsx_has_the_table_and_a_metadata_sheet(demo_wh, capsys, tmp_path):
    out = tmp_path / "t.xlsx"
    code, _, _ = run(capsys, "census", "--rows", "ref_area", "--cols", "urban_rural", "--measure", "mean:age",
                     "--countries", "CRI,PAN", "--format", "xlsx", "--out", str(out))
    assert code == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Datos", "Metadatos"]
    assert [c.value for c in book["Datos"][1]] == ["País del censo", "Urbano", "Rural"]
    assert isinstance(book["Datos"]["B2"].value, float)  # numbers stay numbers


def test_sdmx_is_long_form_with_codes(demo_wh, capsys, tmp_path):
    out = tmp_path / "t.csv"
    code, _, _ = run(capsys, "migrant_stock", "--rows", "origin", "--cols", "sex", "--countries", "CRI",
                     "--years", "2020", "--format", "sdmx", "--out", str(out))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    # The full key of the dataset's structure: the country chosen, the measure and the period read are in it.
    assert list(rows[0])[:8] == ["STRUCTURE", "STRUCTURE_ID", "ACTION", "DESTINATION", "ORIGIN", "SEX", "MEASURE",
                                 "TIME_PERIOD"]
    assert {r["STRUCTURE_ID"] for r in rows} == {"VIPMG:DSD_MIGRANT_STOCK(1.0)"}
    assert {r["DESTINATION"] for r in rows} == {"CRI"} and {r["TIME_PERIOD"] for r in rows} == {"2020"}
    assert {r["ORIGIN"] for r in rows} >= {"NIC", "VEN"}
    assert {r["UNIT_MEASURE"] for r in rows} == {"PS"}


@pytest.mark.parametrize("argv, fragment", [
    (["census", "--rows", "nationality", "--out", "x.csv"], "no es una dimensión"),
    (["census", "--rows", "sex", "--filter", "education", "--out", "x.csv"], "DIMENSION=code1,code2"),
    (["census", "--rows", "sex", "--years", "twenty", "--out", "x.csv"], "--years"),
    (["census", "--rows", "sex", "--measure", "mean:weight", "--out", "x.csv"], "mean:weight"),
    # unknown codes matched nothing and wrote an empty table with exit 0 (flows refuses them)
    (["census", "--rows", "sex", "--filter", "sex=F,Q", "--out", "x.csv"], "Código desconocido en sex: Q"),
    (["census", "--rows", "sex", "--countries", "GTM,XXX", "--out", "x.csv"], "país desconocido: XXX"),
])
def test_bad_arguments_end_with_one_line_and_a_usage_exit_code(demo_wh, capsys, tmp_path, monkeypatch, argv, fragment):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert fragment in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
