"""Reading the files focal points really have, and refusing hostile ones with a clear reason."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from vipmg_core.readers import (MAX_COLUMNS, ROW, ReadError, check_size, read_path, read_upload, safe_name,
                                sheet_names)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "upload"


def read_fixture(name: str, **options) -> object:
    return read_upload((FIXTURES / name).read_bytes(), name, **options)


def refused(data: bytes, name: str) -> str:
    with pytest.raises(ReadError) as caught:
        read_upload(data, name)
    return caught.value.key


# --- messy but valid ----------------------------------------------------------------------------------------

def test_windows_1252_semicolon_file_with_title_rows_notes_and_a_total_row():
    read = read_fixture("entradas_enero_cp1252.csv")
    assert read.info.encoding == "cp1252" and read.info.delimiter == ";"
    assert read.info.header_row == 4
    assert read.columns == ["Mes", "Movimiento", "Nacionalidad", "Sexo", "Grupo de edad", "Vía", "Cantidad"]
    # Rows are numbered as in the file: the first data row is line 5.
    assert read.frame[ROW].to_list() == [5, 6, 7, 8, 9, 10]
    assert read.frame["Nacionalidad"].to_list()[5] == "Estados Unidos de América"
    assert read.totals[ROW].to_list() == [11] and read.totals["Cantidad"].item() == "4.644"
    assert [row for row, _ in read.notes] == [1, 2, 12]
    assert "Dirección" in read.info.sample_line
    assert {d.key for d in read.detections} >= {"encoding", "delimiter", "header_row", "notes", "totals"}


def test_utf8_with_bom_and_tabs_in_a_txt_file():
    read = read_fixture("tabs_utf8_bom.txt")
    assert read.info.encoding == "utf-8-sig" and read.info.delimiter == "\t"
    assert read.columns[0] == "país"  # no BOM glued to the first header
    assert read.frame["cantidad"].to_list() == ["1 234", "88"]


def test_pipe_delimited_text():
    read = read_fixture("pipes.txt")
    assert read.info.delimiter == "|" and read.height == 2


def test_excel_table_below_a_title_block_starting_in_column_b_on_the_second_sheet():
    read = read_fixture("permisos_2024.xlsx")
    assert read.info.sheets == ("Notas", "Datos 2024") and read.info.sheet == "Datos 2024"
    assert read.info.header_row == 4
    assert read.columns == ["Año", "Nacionalidad", "Sexo", "Tipo de permiso", "Total"]
    assert read.frame[ROW].to_list() == [5, 6, 7, 8, 9]  # Excel's own row numbers
    assert read.frame["Total"].to_list() == ["1520", "1311", "402", "95", "61"]  # 1311.0 shown as typed
    assert read.totals[ROW].to_list() == [10]
    assert any(d.key == "first_column" and d.params["column"] == "B" for d in read.detections)


def test_the_user_can_pick_another_sheet_and_header_row():
    data = (FIXTURES / "permisos_2024.xlsx").read_bytes()
    assert sheet_names(data, "permisos_2024.xlsx") == ["Notas", "Datos 2024"]
    assert read_upload(data, "p.xlsx", sheet="Notas").info.sheet == "Notas"
    read = read_upload(data, "p.xlsx", sheet="Datos 2024", header_row=5)
    assert read.columns[1] == "Venezuela"
    with pytest.raises(ReadError, match="sheet"):
        read_upload(data, "p.xlsx", sheet="Nope")


@pytest.mark.parametrize("name", ["permisos.sav", "permisos.dta"])
def test_spss_and_stata_codes_and_value_labels(name):
    read = read_fixture(name)
    assert read.frame["sexo"].to_list() == ["1", "2", "2", "1"]  # not 1.0
    assert read.value_labels["sexo"] == {"1": "Hombre", "2": "Mujer"}
    assert read.frame[ROW].to_list() == [1, 2, 3, 4]


def test_an_encoding_the_user_chooses_wins():
    read = read_fixture("entradas_enero_cp1252.csv", encoding="utf-8")
    assert "\ufffd" in read.info.sample_line or "Direcci" in read.notes[0][1]
    with pytest.raises(ReadError):
        read_fixture("entradas_enero_cp1252.csv", encoding="klingon")



def test_a_file_that_turns_windows_1252_after_its_first_lines_is_read_as_such():
    lines = ["mes;nacionalidad;cantidad"] + [f"2025-01;GTM;{i}" for i in range(3000)] + ["2025-02;España;7"]
    read = read_upload("\n".join(lines).encode("cp1252"), "f.csv")
    assert read.info.encoding == "cp1252"
    assert read.frame.row(-1) == ("2025-02", "España", "7", 3002)


def test_a_header_row_chosen_below_the_first_lines_is_honoured():
    lines = [f"nota {i}" for i in range(80)] + ["mes,nacionalidad,cantidad", "2025-01,GTM,1", "2025-02,HND,2"]
    read = read_upload("\n".join(lines).encode(), "f.csv", header_row=81)
    assert read.columns == ["mes", "nacionalidad", "cantidad"] and read.frame[ROW].to_list() == [82, 83]


def test_quoted_cells_spanning_lines_keep_the_row_numbers_of_the_file():
    read = read_upload(b'mes,nota,cantidad\n2025-01,"dos\nlineas",1\n2025-02,ok,2\n', "f.csv")
    assert read.frame[ROW].to_list() == [2, 4] and read.frame["nota"].to_list() == ["dos\nlineas", "ok"]

# --- hostile and broken -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, key", [
    ("empty.csv", "empty"), ("blank_lines.csv", "empty"), ("garbage.csv", "binary"),
    ("not_a_zip.xlsx", "not_excel"), ("zip_not_excel.xlsx", "zip_not_excel"),
])
def test_unreadable_files_are_refused_with_a_reason(name, key):
    assert refused((FIXTURES / name).read_bytes(), name) == key


def test_binary_garbage_renamed_csv_is_refused():
    assert refused(bytes(range(256)) * 64, "datos.csv") == "binary"


def test_header_only_file_reads_with_no_rows():
    read = read_fixture("header_only.csv")
    assert read.height == 0 and len(read.columns) == 7


def test_unclosed_quote_names_the_row_where_it_opens():
    with pytest.raises(ReadError) as caught:
        read_fixture("unclosed_quote.csv")
    assert caught.value.key == "unclosed_quote" and caught.value.values["row"] == 3
    assert "Row 3" in str(caught.value)


def test_rows_of_different_lengths_are_reported_with_their_row_number():
    read = read_fixture("ragged.csv")
    assert read.ragged == ((3, 8), (4, 5)) and read.header_width == 7


def test_a_zip_bomb_disguised_as_xlsx_is_not_inflated():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            block = b"0" * (1 << 20)
            for _ in range(600):  # 600 MB of zeros, under 1 MB compressed
                member.write(block)
    data = buffer.getvalue()
    assert len(data) < 2 << 20
    assert refused(data, "bomb.xlsx") == "zip_bomb"


def test_a_hundred_thousand_columns_are_refused_before_parsing():
    line = ",".join(f"c{i}" for i in range(100_000))
    data = (line + "\n" + line + "\n").encode()
    assert refused(data, "wide.csv") == "too_many_columns"
    assert MAX_COLUMNS < 100_000


def test_a_one_gigabyte_file_is_refused_before_it_is_loaded(tmp_path):
    big = tmp_path / "huge.csv"
    with big.open("wb") as handle:
        handle.truncate(1 << 30)  # sparse: takes no disk and is never read
    with pytest.raises(ReadError) as caught:
        read_path(str(big))
    assert caught.value.key == "too_large" and caught.value.values["size_mb"] == 1024
    with pytest.raises(ReadError):
        check_size(1 << 30)


def test_the_too_large_message_fits_a_csv_too():
    """It used to tell the sender of a too-large CSV to "save it as CSV"."""
    with pytest.raises(ReadError) as caught:
        check_size(200 * 1024 * 1024 + 1)  # just over the limit (MAX_FILE_BYTES)
    english, spanish = caught.value.message("en"), caught.value.message("es")
    assert "or save it as CSV" not in english and "o guárdelo como CSV" not in spanish
    assert "Excel" in english and "Excel" in spanish and "Split it" in english and "Divídalo" in spanish


def test_formulas_in_cells_are_read_as_plain_text():
    read = read_fixture("formulas.csv")
    assert read.frame["nacionalidad"].to_list() == ['=HYPERLINK("http://example.com","clic")', "@SUM(A1)"]


@pytest.mark.parametrize("given, shown", [
    ("../../etc/passwd.csv", "passwd.csv"), ("C:\\Users\\ana\\Mis datos\\enero.xlsx", "enero.xlsx"),
    ("datos\x00\n\r.csv", "datos.csv"), ("", "upload"), ("...", "upload"), ("a" * 300 + ".csv", "a" * 120),
])
def test_file_names_with_paths_or_odd_characters_are_made_safe(given, shown):
    assert safe_name(given) == shown


def test_xlsx_extension_on_text_and_sav_extension_on_garbage_are_refused():
    assert refused(b"a,b\n1,2\n", "x.xls") == "not_excel"
    assert refused(b"a,b\n1,2\n", "x.sav") == "not_stat"
    assert refused(b"$FL2" + b"\x00" * 300, "x.sav") == "bad_stat"


# --- real files from publishers (../shared/realdata) --------------------------------------------------------

def test_inegi_latin1_catalogue_is_read_as_windows_1252(realdata):
    with zipfile.ZipFile(realdata / "inegi_censo2020_catalogos" / "Censo2020_clasificaciones_CPV_csv.zip") as z:
        member = next(n for n in z.namelist() if n.endswith("ENT_PAIS.csv"))
        data = z.read(member)
    read = read_upload(data, "ENT_PAIS.csv")
    assert read.info.encoding in ("cp1252", "latin-1")
    names = read.frame["DESCRIPCION"].to_list()
    assert "República de Panamá" in names and "Santa Lucía" in names
    assert read.frame.filter(pl.col("DESCRIPCION") == "República de Honduras")["CLAVE"].item() == "229"


def test_world_bank_tab_separated_csv(realdata):
    read = read_path(str(realdata / "wb_bilateral_migration_matrix_2013" / "migration-matrix.csv"))
    assert read.info.delimiter == "\t" and read.info.header_row == 1
    assert "St. Lucia" in read.columns and "Bahamas, The" in read.columns


def test_cbp_pipe_text_extracted_from_a_pdf(realdata):
    read = read_path(str(realdata / "cbp_usbp_monthly_sector_pdftotext" / "usbp_monthly_encounters_fy2005.csv"))
    assert read.info.delimiter == "|"
    assert read.columns[:2] == ["SECTOR", "October"] and read.info.header_row == 4
    assert "Miami" in read.frame["SECTOR"].to_list()


def test_cbp_foia_workbook_with_title_rows_and_header_in_column_b(realdata):
    path = realdata / "cbp_usbp_foia_i213_blaine_spokane" / "USBP I 213 Spreadsheet.xlsx"
    read = read_path(str(path))
    assert read.info.name == "USBP I 213 Spreadsheet.xlsx"
    assert read.info.sheets[:2] == ("Tab1", "Tab2") and read.info.sheet == "Tab1"
    assert read.info.header_row == 7 and read.columns[0] == "APPR_DT_TIME"
    assert read.frame[ROW][0] == 8 and read.height > 4_700
    assert set(read.frame["GENDER"].unique().to_list()) <= {"Male", "Female", "Unknown", None}


def test_dhs_legacy_xls(realdata):
    read = read_path(str(realdata / "dhs_yearbook_enforcement_xls" / "apprehended__table34d_5.xls"))
    assert read.info.format == "xls" and read.columns[:3] == ["Region", "2004", "2005"]
    assert "Honduras" in read.frame["Region"].to_list()


def test_un_desa_workbook_title_block_is_skipped(realdata):
    read = read_path(str(realdata / "undesa_ims2015_od_table16" / "UN_MigrantStockByOriginAndDestination_2015.xlsx"))
    assert read.info.header_row > 10
    assert read.height > 200


def test_unhcr_export_with_redaction_markers(realdata):
    path = realdata / "unhcr_popstats_persons_of_concern" / "unhcr_popstats_export_persons_of_concern_all_data.csv"
    read = read_path(str(path))
    assert read.height > 100_000
    assert read.frame.filter(pl.any_horizontal(pl.exclude(ROW) == "*")).height > 0


# --- memory bounded by the limits (issue #16) ---------------------------------------------------------------

def _workbook_bytes(rows: list[list], *, blank_a1: bool = False, first_row: int = 0, first_col: int = 0,
                    shared_texts: bool = False) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": not shared_texts})  # else texts are written inline
    sheet = book.add_worksheet("Datos")
    if blank_a1:  # formatted but empty cells: Excel declares them in <dimension>, calamine skips them
        bold = book.add_format({"bold": True})
        sheet.write_blank(0, 0, None, bold)
        sheet.write_blank(1, 7, None, bold)
    for i, row in enumerate(rows):
        sheet.write_row(first_row + i, first_col, row)
    book.close()
    return buffer.getvalue()


def test_excel_row_numbers_and_columns_are_the_users_even_below_formatted_empty_cells():
    data = _workbook_bytes([["Permisos 2024"], [], ["mes", "nacionalidad", "cantidad"], ["2024-01", "COL", 5],
                            ["2024-02", "NIC", 7.5]], blank_a1=True, first_row=3, first_col=2)
    read = read_upload(data, "p.xlsx")
    assert read.info.header_row == 6
    assert read.frame[ROW].to_list() == [7, 8]
    assert read.frame["cantidad"].to_list() == ["5", "7.5"]
    assert read.notes == ((4, "Permisos 2024"),)
    assert [d.params for d in read.detections if d.key == "first_column"] == [{"column": "C"}]


def test_an_excel_sheet_is_read_without_a_python_object_per_cell():
    """Cells go from calamine to Arrow: the Python heap stays small however many cells the sheet has (the old
    reader built a list of Python values per row: megabytes here)."""
    import tracemalloc

    rows = [["mes", "nacionalidad", "sexo", "cantidad"]] + [["2024-01", "COL", "F", i] for i in range(60_000)]
    data = _workbook_bytes(rows)
    tracemalloc.start()
    try:
        read = read_upload(data, "big.xlsx")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read.height == 60_000 and read.frame["cantidad"][-1] == "59999"
    assert peak < 10 * 1024 * 1024, f"{peak / 1e6:.1f} MB of Python objects for 240 000 cells"  # 19 MB before


def test_an_excel_sheet_over_the_cell_limit_is_refused_before_it_is_loaded(monkeypatch):
    import fastexcel

    from vipmg_core import readers

    data = _workbook_bytes([["mes", "nacionalidad", "cantidad"]] + [["2024-01", "COL", i] for i in range(40)])
    small = replace(readers.UPLOADS, excel_cells=100)

    def loading(*_args, **_kwargs):
        raise AssertionError("the sheet was loaded")

    monkeypatch.setattr(fastexcel, "read_excel", loading)
    with pytest.raises(ReadError) as caught:
        read_upload(data, "big.xlsx", limits=small)
    assert caught.value.key == "too_many_cells"
    for lang in ("es", "en"):
        message = caught.value.message(lang)
        assert "\n" not in message and "CSV" in message


def test_a_text_file_with_too_many_cells_is_refused_before_it_is_parsed(monkeypatch):
    import polars

    from vipmg_core import readers

    small = replace(readers.UPLOADS, text_cells=1_000, columns=8)  # so that 200 lines may already be too many
    text = "mes,nacionalidad,cantidad\n" + "".join(f"2024-01,COL,{i}\n" for i in range(400))

    def parsing(*_args, **_kwargs):
        raise AssertionError("the file was parsed")

    monkeypatch.setattr(polars, "read_csv", parsing)
    with pytest.raises(ReadError) as caught:
        read_upload(text.encode(), "big.csv", limits=small)
    assert caught.value.key == "too_many_rows"
    assert caught.value.message("en") == ("The file has 401 rows of 3 columns: more than 0 million cells, the most "
                                          "validated here at once. Split it (for example, one file per year).")
    assert "\n" not in caught.value.message("es")


def test_an_spss_file_with_too_many_cells_is_refused_before_its_cases_are_read():
    from vipmg_core import readers

    with pytest.raises(ReadError) as caught:
        read_fixture("permisos.sav", limits=replace(readers.UPLOADS, text_cells=10))
    assert caught.value.key == "too_many_rows"
    assert "\n" not in caught.value.message("es") and "Divídalo" in caught.value.message("es")


def test_an_excel_workbook_with_too_much_shared_text_is_refused_before_it_is_opened():
    from vipmg_core import readers

    data = _workbook_bytes([["mes", "nacionalidad"]] + [["2024-01", f"país número {i}"] for i in range(2_000)],
                           shared_texts=True)
    with pytest.raises(ReadError) as caught:
        read_upload(data, "textos.xlsx", limits=replace(readers.UPLOADS, shared_text_bytes=10_000))
    assert caught.value.key == "too_much_text"
    assert "CSV" in caught.value.message("es") and "\n" not in caught.value.message("en")


def test_the_result_keeps_the_bytes_read_with_their_sha256_computed_once(tmp_path, monkeypatch):
    import hashlib

    from vipmg_core.readers import FileBytes, files

    data = (FIXTURES / "entradas_enero_cp1252.csv").read_bytes()
    read = read_upload(data, "entradas.csv")
    assert read.data is data and read.info.sha256 == hashlib.sha256(data).hexdigest() == read.file.sha256
    (tmp_path / "entradas.csv").write_bytes(data)
    assert read_path(str(tmp_path / "entradas.csv")).data == data

    known = FileBytes.of(data, "entradas.csv")

    def hashing_again(_data: bytes) -> str:
        raise AssertionError("hashed a second time")

    monkeypatch.setattr(files, "sha256_of", hashing_again)
    again = read_upload(known, known.name, header_row=4)
    assert again.info.sha256 == known.sha256 == read.info.sha256 and again.data is data
    assert again.frame.equals(read.frame)
