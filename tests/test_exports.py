"""Exports carry their metadata and never let a spreadsheet run a formula from the data."""

import io

import openpyxl
import pandas as pd
import polars as pl

from vipmg_core.exports import ExportMeta, csv_bytes, excel_bytes, neutralise

META = ExportMeta(dataset_id="returns", lang="es", filters={"País": ["Guatemala"]}, synthetic=True,
                  provenance=("demo generator, seed 2026",))


def test_formula_cells_are_neutralised_but_numbers_are_not():
    assert neutralise("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise(-5) == -5 and neutralise("Guatemala") == "Guatemala"


def test_csv_says_events_and_synthetic_and_keeps_accents():
    table = pl.DataFrame({"país": ["México", "=cmd()"], "valor": [3, 4]})
    text = csv_bytes(table, META).decode("utf-8-sig")
    assert "Cuenta eventos, no personas" in text
    assert "Datos sintéticos" in text
    assert "México" in text and "'=cmd()" in text


def test_excel_keeps_the_layout_and_adds_a_metadata_sheet():
    table = pd.DataFrame({"2023": [1, 2], "2024": [3, 4]}, index=pd.Index(["F", "M"], name="Sexo"))
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes(table, META, index=True)))
    assert book.sheetnames == ["Datos", "Metadatos"]
    data = book["Datos"]
    assert [c.value for c in data[1]] == ["Sexo", "2023", "2024"]
    meta_values = [row[1].value for row in book["Metadatos"].iter_rows(min_row=2)]
    assert any("eventos" in str(v) for v in meta_values) and any("sintéticos" in str(v) for v in meta_values)
