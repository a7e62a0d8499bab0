"""The validation report: every problem with its row as in the file, column, value, rule and fix, in Spanish
and English; plausibility against published data; the same report from the command line."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from vipmg_core import mapping as mp
from vipmg_core.exports import ExportMeta, csv_bytes, excel_bytes
from vipmg_core.readers import read_upload
from vipmg_core.validation import PROBLEMS, validate

PROJECT = Path(__file__).resolve().parent.parent
FIXTURES = PROJECT / "tests" / "fixtures" / "upload"
TODAY = dt.date(2026, 11, 26)


def read_fixture(name: str):
    return read_upload((FIXTURES / name).read_bytes(), name)


def check(name: str, dataset_id: str = "arrivals_departures", country: str = "CRI", wh=None, **codes):
    read = read_fixture(name) if isinstance(name, str) else name
    mapping = mp.auto_mapping(read, dataset_id, country)
    for canonical, fixes in codes.items():
        for value, code in fixes.items():
            mapping = mp.with_code(mapping, canonical, value, code)
    return validate(read, mapping, wh, today=TODAY)


def csv_file(text: str, name: str = "f.csv"):
    return read_upload(text.encode("utf-8"), name)


def problems(report, severity: str = "error") -> list[tuple]:
    return [(p["code"], p["row"], p["column"], p["value"])
            for p in report.problems.filter(pl.col("severity") == severity).iter_rows(named=True)]


def test_each_cell_and_row_error_is_found_at_its_row_as_in_the_file():
    report = check("errores.csv")
    assert not report.ready and report.errors == 7
    assert problems(report) == [
        ("duplicate-key", 3, "ref_area, mes, movimiento, nacionalidad, sexo, grupo de edad, via",
         "CRI · 2025-01 · ARR · GTM · M · Y20T24 · LAND"),
        ("unknown-code", 4, "nacionalidad", "Narnia"),
        ("out-of-range", 5, "cantidad", "-3"),
        ("missing-value", 6, "cantidad", ".."),
        ("type-error", 7, "mes", "2025-14"),
        ("future-period", 8, "mes", "2099-01"),
        ("type-error", 9, "cantidad", "cuatro"),
    ]


@pytest.mark.parametrize("lang, text", [
    ("es", "Fila 5, columna «cantidad»: -3 está fuera del rango permitido (no puede ser menor que 0)."),
    ("en", "Row 5, column \"cantidad\": -3 is outside the allowed range (cannot be less than 0)."),
])
def test_messages_and_fixes_are_in_the_users_language(lang, text):
    report = check("errores.csv")
    table = report.table(lang)
    assert text in table[table.columns[5]].to_list()
    assert all(fix for fix in table[table.columns[6]].to_list())


def test_duplicate_key_says_which_row_it_repeats():
    report = check("errores.csv")
    row = report.problems.filter(pl.col("code") == "duplicate-key").to_dicts()[0]
    assert report.message(row, "en").endswith("(same as row 2).")


def test_did_you_mean_in_the_message_and_ready_once_mapped():
    report = check("entradas_enero_cp1252.csv")
    assert problems(report) == [("unknown-code", 7, "Nacionalidad", "Hondura")]
    row = report.problems.filter(pl.col("code") == "unknown-code").to_dicts()[0]
    assert "Did you mean Honduras (HND)?" in report.message(row, "en")
    assert "¿Quiso decir Honduras (HND)?" in report.message(row, "es")
    fixed = check("entradas_enero_cp1252.csv", nationality={"Hondura": "HND"})
    assert fixed.ready and fixed.errors == 0
    assert fixed.data.height == 6 and fixed.data["obs_value"].sum() == 4644
    assert fixed.data["time_period"].unique().to_list() == ["2025-01"]


def test_the_total_row_is_left_out_and_checked_against_the_sum():
    fixed = check("entradas_enero_cp1252.csv", nationality={"Hondura": "HND"})
    assert problems(fixed, "warning") == [("total-row", 11, "Cantidad", "4.644")]
    wrong = read_upload((FIXTURES / "entradas_enero_cp1252.csv").read_bytes().replace(b";4.644", b";5.000"), "x.csv")
    report = check(wrong, nationality={"Hondura": "HND"})
    mismatch = report.problems.filter(pl.col("code") == "total-mismatch").to_dicts()
    assert [(p["row"], p["value"]) for p in mismatch] == [(11, "5.000")]
    assert "sum of the rows: 4644" in report.message(mismatch[0], "en")
    assert report.ready  # a warning never blocks


def test_a_total_that_is_not_the_sum_of_its_parts():
    read = csv_file("mes,movimiento,nacionalidad,sexo,grupo de edad,via,cantidad\n"
                    "2025-01,ARR,GTM,F,Y20T24,LAND,10\n2025-01,ARR,GTM,M,Y20T24,LAND,5\n"
                    "2025-01,ARR,GTM,_T,Y20T24,LAND,16\n2025-01,ARR,HND,F,Y20T24,LAND,1\n"
                    "2025-01,ARR,HND,_T,Y20T24,LAND,1\n")
    report = check(read)
    assert problems(report, "warning") == [("total-mismatch", 4, "sex", "16")]


def test_missing_and_duplicate_required_columns():
    read = csv_file("mes,nacionalidad,sexo,cantidad,Cantidad\n2025-01,GTM,F,3,3\n")
    report = check(read)
    codes = {(p["code"], p["column"]) for p in report.problems.to_dicts()}
    assert ("missing-column", "Movimiento (flow)") in codes
    assert ("missing-column", "Grupo de edad (age_group)") in codes
    assert ("duplicate-column", "Cantidad") in codes
    assert all(p["row"] == 1 for p in report.problems.filter(pl.col("code") == "missing-column").to_dicts())


def test_rows_for_another_country_are_errors():
    read = csv_file("pais,mes,movimiento,nacionalidad,sexo,grupo de edad,via,cantidad\n"
                    "Costa Rica,2025-01,ARR,GTM,F,Y20T24,LAND,3\nPanamá,2025-01,ARR,GTM,F,Y20T24,LAND,3\n")
    assert problems(check(read)) == [("other-country", 3, "pais", "Panamá")]


def test_ages_over_120_and_negative_weights_in_microdata():
    read = csv_file("pais,año censal,factor,sexo,edad,nacimiento,ciudadania,educacion,condicion,area\n"
                    "HND,2020,12.5,1,34,HND,HND,ISCED3,EMP,U\nHND,2020,-1,2,130,GTM,GTM,ISCED1,OLF,R\n")
    mapping = mp.auto_mapping(read, "census", "HND")
    mapping = mp.Mapping(**{**mapping.__dict__, "columns": {
        **mapping.columns, "weight": "factor", "age": "edad", "country_of_birth": "nacimiento",
        "citizenship": "ciudadania", "education": "educacion", "labour_status": "condicion",
        "urban_rural": "area"}})
    report = validate(read, mapping, today=TODAY)
    assert problems(report) == [("out-of-range", 3, "factor", "-1"), ("out-of-range", 3, "edad", "130")]
    assert report.data["age_group"].to_list() == ["Y30T34", None]  # derived from age; 130 is not an age


def test_ragged_rows_and_blank_headers():
    report = check("ragged.csv")
    assert ("extra-cell", 3, None, "8") in problems(report)
    assert ("missing-cell", 4, None, "5") in problems(report, "warning")


def test_header_only_file_is_not_ready():
    report = check("header_only.csv")
    assert problems(report) == [("no-rows", 2, None, None)]


def test_plausibility_against_published_data(demo_wh):
    # Costa Rica's published December 2024 arrivals are in the hundreds of thousands; a January file with a
    # handful of rows is a sharp change, and most nationalities disappear.
    report = check("entradas_enero_cp1252.csv", wh=demo_wh, nationality={"Hondura": "HND"})
    assert report.ready
    jump = report.problems.filter(pl.col("code") == "jump").to_dicts()
    assert [(p["value"], p["column"]) for p in jump] == [("2025-01", "time_period")]
    assert "2024-12" in report.message(jump[0], "en")
    gone = report.problems.filter((pl.col("code") == "category-missing") & (pl.col("column") == "nationality"))
    assert "CAN" in gone["value"].item()


def test_a_file_like_the_published_one_raises_no_plausibility_warning(demo_wh):
    published = demo_wh.query("returns", "SELECT * FROM data WHERE ref_area = 'GTM' AND time_period = '2024-12'")
    shifted = published.with_columns(pl.lit("2025-01").alias("time_period")).drop("ref_area")
    read = csv_file(shifted.write_csv())
    report = check(read, "returns", "GTM", wh=demo_wh)
    assert report.ready
    assert report.count("jump") == 0 and report.count("category-missing") == 0


def test_validation_stores_and_changes_nothing(demo_wh):
    before = (demo_wh.state_token(), sorted(p.name for p in demo_wh.files.rglob("*")),
              demo_wh.catalogue.query("SELECT COUNT(*) FROM audit_log")[0][0])
    check("errores.csv", wh=demo_wh)
    after = (demo_wh.state_token(), sorted(p.name for p in demo_wh.files.rglob("*")),
             demo_wh.catalogue.query("SELECT COUNT(*) FROM audit_log")[0][0])
    assert before == after


def test_report_downloads_neutralise_formulas():
    report = check("formulas.csv")
    table = report.table("en")
    assert '=HYPERLINK("http://example.com","clic")' in table["Value"].to_list()
    meta = ExportMeta(dataset_id="arrivals_departures", lang="en")
    text = csv_bytes(table, meta).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text
    assert ',=HYPERLINK' not in text and ',"=HYPERLINK' not in text
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes(table, meta)))
    values = [c.value for row in book.worksheets[0].iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(v.startswith(("=", "@")) for v in values)
    assert any(v.startswith("'=HYPERLINK") for v in values)


def test_report_as_json_holds_every_problem_with_row_column_value_code_and_message():
    report = check("errores.csv")
    payload = json.loads(report.to_json("es"))
    assert payload["ready"] is False and payload["errors"] == 7
    assert payload["file"]["sha256"] == report.info.sha256 and payload["file"]["rows"] == 8
    first = payload["problems"][0]
    assert {"row", "column", "value", "code", "message", "fix", "severity"} <= set(first)
    assert len(payload["problems"]) == report.problems.height


def test_every_problem_code_has_texts_in_both_languages():
    from vipmg_core.i18n import messages

    for code in PROBLEMS:
        for part in ("title", "message", "fix"):
            assert f"problem.{code.replace('-', '_')}.{part}" in messages()


def test_a_large_file_keeps_exact_counts_but_caps_the_listed_problems():
    from vipmg_core.validation import MAX_PER_KIND

    rows = MAX_PER_KIND + 500
    frame = pl.DataFrame({"mes": ["2025-01"] * rows, "movimiento": ["ARR"] * rows, "nacionalidad": ["XXX"] * rows,
                          "sexo": ["F"] * rows, "grupo de edad": ["Y20T24"] * rows, "via": ["LAND"] * rows,
                          "cantidad": [str(i) for i in range(rows)]})
    report = check(csv_file(frame.write_csv()))
    assert report.count("unknown-code") == rows
    assert report.problems.filter(pl.col("code") == "unknown-code").height == MAX_PER_KIND



HEADER = "mes,movimiento,nacionalidad,sexo,grupo de edad,via,cantidad\n"


def test_rows_with_a_missing_or_unknown_key_part_are_never_duplicates_of_each_other():
    report = check(csv_file(HEADER + "2025-01,ARR,GTM,,Y20T24,LAND,1\n2025-01,ARR,GTM,,Y20T24,LAND,2\n"
                            "2025-01,ARR,Narnia,F,Y20T24,LAND,3\n2025-01,ARR,Atlantis,F,Y20T24,LAND,4\n"
                            "2025-01,ARR,Narnia,F,Y20T24,LAND,5\n"))
    assert report.count("duplicate-key") == 0
    assert [(c, r) for c, r, _col, _v in problems(report)] == [
        ("missing-value", 2), ("missing-value", 3), ("unknown-code", 4), ("unknown-code", 5), ("unknown-code", 6)]


def test_different_spellings_of_the_same_codes_are_the_same_key():
    report = check(csv_file(HEADER + "2025-01,ARR,GTM,M,Y20T24,LAND,1\n2025-01,ARR,Guatemala,Hombre,20-24,LAND,2\n"
                            "enero 2025,ARR, gtm ,M,Y20T24,LAND,3\n2025-01,ARR,GTM,F,Y20T24,LAND,4\n"))
    dupes = report.problems.filter(pl.col("code") == "duplicate-key")
    assert dupes["row"].to_list() == [3, 4]
    assert dupes["value"].to_list() == ["CRI · 2025-01 · ARR · GTM · M · Y20T24 · LAND"] * 2
    assert dupes["same_as_row"].to_list() == [2, 2]  # a typed parameter of the problem, not a detail string
    assert report.ready is False and report.data.height == 4


def test_keys_too_varied_to_pack_into_one_integer_are_compared_part_by_part(monkeypatch):
    from vipmg_core.validation import checks

    text = HEADER + "".join(f"2025-{m:02d},ARR,{n},F,Y20T24,LAND,1\n" for m in (1, 2) for n in ("GTM", "HND"))
    text += "2025-02,ARR,HND,F,Y20T24,LAND,9\n2025-01,ARR,GTM,F,Y20T24,LAND,9\n2025-01,ARR,,F,Y20T24,LAND,9\n"
    packed = problems(check(csv_file(text)))
    monkeypatch.setattr(checks, "_PACKED", 1)
    assert problems(check(csv_file(text))) == packed
    assert [(c, r) for c, r, _col, _v in packed] == [("duplicate-key", 6), ("duplicate-key", 7),
                                                     ("missing-value", 8)]


def test_a_value_given_for_every_row_is_checked_once_and_reported_on_each():
    read = csv_file(HEADER + "2025-01,ARR,GTM,F,Y20T24,LAND,1\n2025-02,ARR,GTM,F,Y20T24,LAND,2\n")
    mapping = mp.auto_mapping(read, "arrivals_departures", "CRI")
    mapping.columns["border_type"] = None
    mapping.constants["border_type"] = "Globo"  # not a code: every row is wrong
    report = validate(read, mapping, today=TODAY)
    assert [(c, r, v) for c, r, _col, v in problems(report)] == [("unknown-code", 2, "Globo"),
                                                                 ("unknown-code", 3, "Globo")]
    mapping.constants["border_type"] = "LAND"
    report = validate(read, mapping, today=TODAY)
    assert report.ready and report.data["border_type"].to_list() == ["LAND", "LAND"]


def test_the_platforms_values_are_typed_and_wrong_cells_are_left_empty():
    report = check(csv_file(HEADER + "2025-01,ARR,GTM,Mujer,Y20T24,LAND,1.234\n2099-01,ARR,Narnia,F,Y20T24,LAND,-4\n"
                            "2025-01,ARR,GTM,F,Y20T24,LAND,\n"))
    data = report.data
    assert data.schema["obs_value"] == pl.Int64 and data["__row__"].to_list() == [2, 3, 4]
    assert data["sex"].to_list() == ["F", "F", "F"]
    assert data["time_period"].to_list() == ["2025-01", None, "2025-01"]
    assert data["nationality"].to_list() == ["GTM", None, "GTM"]
    assert data["obs_value"].to_list() == [1234, None, None]

# --- the command line ---------------------------------------------------------------------------------------

def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "VIPMG_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "vipmg_core", "validate", *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_exit_codes_ready_errors_unreadable(tmp_path):
    ready = run_cli(str(FIXTURES / "tabs_utf8_bom.txt"), "--dataset", "arrivals_departures", "--country", "HND",
                    data_dir=tmp_path)
    assert ready.returncode == 0, ready.stderr
    assert "Listo para enviar" in ready.stdout
    errors = run_cli(str(FIXTURES / "errores.csv"), "--dataset", "arrivals_departures", "--country", "CRI",
                     "--lang", "en", data_dir=tmp_path)
    assert errors.returncode == 1 and "Not ready: 7 error" in errors.stdout
    assert "row 5" in errors.stdout
    for name in ("garbage.csv", "empty.csv", "not_a_zip.xlsx", "unclosed_quote.csv", "missing.csv"):
        broken = run_cli(str(FIXTURES / name), "--dataset", "returns", "--country", "GTM", data_dir=tmp_path)
        assert broken.returncode == 2, name
        assert len(broken.stderr.strip().splitlines()) == 1 and "Traceback" not in broken.stderr, name
    assert not (tmp_path / "catalogue.sqlite").exists()  # validating created nothing


def test_cli_json_is_the_same_report_as_the_page(tmp_path):
    result = run_cli(str(FIXTURES / "errores.csv"), "--dataset", "arrivals_departures", "--country", "CRI",
                     "--json", "--lang", "en", data_dir=tmp_path)
    payload = json.loads(result.stdout)
    report = check("errores.csv")
    assert [(p["code"], p["row"], p["column"], p["value"]) for p in payload["problems"]] == \
           [(p["code"], p["row"], p["column"], p["value"]) for p in report.problems.to_dicts()]
    assert payload["problems"][1]["message"] == report.message(report.problems.to_dicts()[1], "en")


def test_cli_bad_arguments_are_one_line(tmp_path):
    for args in (["--dataset", "nope", "--country", "HND"], ["--dataset", "returns", "--country", "XX1"],
                 ["--dataset", "returns", "--country", "GTM", "--mapping", "nope"]):
        result = run_cli(str(FIXTURES / "errores.csv"), *args, data_dir=tmp_path)
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)


def test_cli_uses_a_saved_mapping_profile(tmp_path):
    from vipmg_core.warehouse import Warehouse

    wh = Warehouse(tmp_path)
    read = read_fixture("entradas_enero_cp1252.csv")
    mapping = mp.with_code(mp.auto_mapping(read, "arrivals_departures", "CRI"), "nationality", "Hondura", "HND")
    mp.save_profile(wh.catalogue, mapping, "mensual", actor="ana")
    args = (str(FIXTURES / "entradas_enero_cp1252.csv"), "--dataset", "arrivals_departures", "--country", "CRI")
    assert run_cli(*args, data_dir=tmp_path).returncode == 1
    assert run_cli(*args, "--mapping", "mensual", data_dir=tmp_path).returncode == 0


def test_a_very_long_cell_is_cut_in_the_report_with_its_length():
    """A 2 MB cell is kept as its first characters and its length, not copied into the value and the message."""
    from vipmg_core.validation import MAX_VALUE_CHARS

    long = "Z" * 2_000_000
    report = check(csv_file(HEADER + f"2025-01,ARR,{long},F,Y20T24,LAND,5\n2025-01,ARR,COL,F,Y20T24,LAND,7\n"))
    (problem,) = report.problems.filter(pl.col("code") == "unknown-code").iter_rows(named=True)
    assert (problem["row"], len(problem["value"]), problem["length"]) == (2, MAX_VALUE_CHARS, 2_000_000)
    assert report.message(problem, "en").count("Z") == MAX_VALUE_CHARS
    assert "2,000,000 characters in all" in report.message(problem, "en")
    assert "2 000 000 caracteres en total" in report.table("es").row(0)[4].replace("\u202f", " ").replace(".", " ")
    assert len(report.to_json("en")) < 20_000


# --- problems as data -----------------------------------------------------------------------------------------

def test_a_column_named_with_pipes_and_equals_and_such_a_value_read_as_written_in_both_languages():
    """A column `a|b=c` and a value `1|2=3` are said as written, in the report, its JSON and a stored copy."""
    from vipmg_core.validation import stored_table

    read = csv_file("mes,movimiento,nacionalidad,sexo,grupo de edad,via,a|b=c\n2025-01,ARR,GTM,F,Y20T24,LAND,1|2=3\n")
    mapping = mp.auto_mapping(read, "arrivals_departures", "CRI")
    mapping.columns["obs_value"] = "a|b=c"
    report = validate(read, mapping, today=TODAY)
    expected = {"en": 'Row 2, column "a|b=c": "1|2=3" is not a whole number (for example 1234 or 1,234).',
                "es": "Fila 2, columna «a|b=c»: «1|2=3» no es un número entero (por ejemplo 1234 o 1.234)."}
    for lang, text in expected.items():
        table = report.table(lang)
        assert table.row(0)[3:6] == ("a|b=c", "1|2=3", text) and table.height == 1
        payload = json.loads(report.to_json(lang))
        assert payload["problems"][0]["message"] == text
        assert payload["problems"][0]["params"] == {"expected": "integer"}
        other = "es" if lang == "en" else "en"  # stored in one language, read in the other
        assert stored_table(payload, other).equals(report.table(other))


def test_a_parameter_with_pipes_and_equals_survives_storage():
    """The old `@country|code=a|b=c` detail read back as "a"; a typed parameter is kept whole."""
    from vipmg_core.validation.problems import OtherCountry, from_row

    problem = OtherCountry(row=3, column="pais", value="x=y|z", country="a|b=c")
    assert problem.message("en") == 'Row 3 is for "x=y|z", but you are sending data for a|b=c.'
    assert problem.message("es") == "La fila 3 es de «x=y|z», pero usted envía datos de a|b=c."
    assert from_row(json.loads(json.dumps(problem.to_dict()))) == problem


def test_a_report_stored_before_problems_had_parameters_still_reads_in_either_language():
    """Submissions stored with `detail` strings (`@did_you_mean|list=country|codes=HND`) convert on read; a
    problem that cannot be read back shows what was stored."""
    from vipmg_core.validation import stored_table

    old = {"ready": False, "problems": [
        {"severity": "error", "code": "unknown-code", "row": 7, "column": "Nacionalidad", "value": "Hondura",
         "detail": "@did_you_mean|list=country|codes=HND", "length": None, "message": "…", "fix": "…"},
        {"severity": "error", "code": "out-of-range", "row": 5, "column": "cantidad", "value": "-3",
         "detail": "@minimum|low=0", "length": None},
        {"severity": "warning", "code": "missing-cell", "row": 4, "column": None, "value": "5",
         "detail": "@cells|found=5|expected=7", "length": None},
        {"severity": "warning", "code": "retired-rule", "row": 9, "column": "x", "value": "y",
         "detail": "@gone", "message": "As stored.", "fix": "Stored fix."},
    ]}
    es = stored_table(old, "es")
    assert es[es.columns[5]].to_list() == [
        "Fila 7, columna «Nacionalidad»: «Hondura» no está en la lista de códigos. ¿Quiso decir Honduras (HND)?",
        "Fila 5, columna «cantidad»: -3 está fuera del rango permitido (no puede ser menor que 0).",
        ("La fila 4 tiene menos celdas que el encabezado (5 celdas, el encabezado tiene 7); las que faltan se "
         "toman como vacías."),
        "As stored."]
    en = stored_table(old, "en")
    assert en.row(0)[5].endswith("Did you mean Honduras (HND)?") and en.row(3)[5:] == ("As stored.", "Stored fix.")
