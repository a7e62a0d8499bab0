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


def test_every_export_says_how_to_cite_it_with_the_views_link_in_its_language():
    meta = ExportMeta(dataset_id="returns", lang="es", link="http://127.0.0.1:8501/crosstab?xds=returns",
                      provenance=("ACNUR · 2024-06 · retornos.csv · v2 · SHA-256 0123456789abcdef…",),
                      generated_at="2026-12-04T10:00:00+00:00")
    text = csv_bytes(pl.DataFrame({"x": [1]}), meta).decode("utf-8-sig")
    assert ("# Cómo citar: ACNUR (2024-06, v2). «Retornos». VIPMG Data Lab, consultado el 2026-12-04. "
            "http://127.0.0.1:8501/crosstab?xds=returns") in text
    english = dict(ExportMeta(dataset_id="returns", lang="en", provenance=meta.provenance, link=meta.link,
                              generated_at=meta.generated_at).rows())
    assert english["How to cite"] == ("ACNUR (2024-06, v2). “Returns”. VIPMG Data Lab, accessed 2026-12-04. "
                                      "http://127.0.0.1:8501/crosstab?xds=returns")
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes(pd.DataFrame({"x": [1]}), meta)))
    assert any(row[0].value == "Cómo citar" for row in book["Metadatos"].iter_rows(min_row=2))


def test_a_chart_saved_as_png_says_its_source_and_unit(demo_wh):
    """A PNG export is the figure: its title block must say what it counts and where it comes from."""
    from vipmg_core import crosstab as xt
    from vipmg_core import flows as fl
    from vipmg_core.datasets import dataset

    stock = xt.crosstab("migrant_stock", ["destination"], ["sex"], countries=["GTM"], warehouse=demo_wh)
    returns = xt.crosstab("returns", ["ref_area"], ["sex"], countries=["GTM"], years=(2024, 2024), warehouse=demo_wh)
    flows = fl.flows(demo_wh, "returns", countries=["GTM"], direction="in")
    for fig, dataset_id, unit in ((stock.chart("en"), "migrant_stock", "Counts persons"),
                                  (returns.chart("es", "line"), "returns", "Cuenta eventos, no personas"),
                                  (fl.flows_chart(flows, "en"), "returns", "Counts events, not persons")):
        subtitle = fig.layout.title.subtitle.text
        lang = "en" if "Count" in unit else "es"
        assert f"{'Source' if lang == 'en' else 'Fuente'}: {dataset(dataset_id).title(lang)}" in subtitle, subtitle
        assert unit in subtitle, subtitle
