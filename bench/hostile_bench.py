"""Memory on hostile files inside the stated limits (issue #16): every file must peak under 1 GB, or be
refused early with one clear line.

Each file is generated here, then read, mapped, validated and its JSON report written in a child process
(`python -m vipmg_core validate`'s path), whose own peak (VmHWM) is measured alone. Excel sheets are held
whole while read (calamine), so sheets over readers.MAX_EXCEL_CELLS are refused early, with one line; CSV
has no cell limit.
  - wide.xlsx: a workbook of ~26 million cells (1 million rows x 26 columns of numbers);
  - rows.xlsx: the 1 048 576 rows an Excel sheet can hold, arrivals/departures columns;
  - limit.xlsx: the largest sheet accepted (readers.MAX_EXCEL_CELLS: 500 000 rows of 8 cells);
  - big_errors.csv: 205 MB of arrivals/departures rows (5.4 million) with an error in every row;
  - errors.csv: the same at the largest size accepted (readers.MAX_TEXT_CELLS: 1.9 million rows of 8 cells);
  - ragged.csv: the same with one row a cell too long (read by the careful path, the csv module);
  - long_cell.csv: a small file with one 50 MB cell.

    python bench/hostile_bench.py [--only NAME ...] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from vipmg_core.readers import column_letter  # noqa: E402  (the project is on the path only now)

DATASET = "arrivals_departures"
COUNTRY = "CRI"
LIMIT_MB = 1024
HEADER = ["ref_area", "time_period", "flow", "nationality", "sex", "age_group", "border_type", "obs_value"]
NATIONALITIES = ["NIC", "COL", "VEN", "USA", "PAN", "HND", "SLV", "GTM", "MEX", "CUB", "HTI", "ECU"]
AGES = ["Y0T4", "Y5T9", "Y10T14", "Y15T19", "Y20T24", "Y25T29", "Y30T34", "Y35T39"]


def _arrival_row(i: int) -> list[str]:
    return [COUNTRY, f"{2000 + i // 24 % 25}-{i % 12 + 1:02d}", "ARR" if i % 2 else "DEP",
            NATIONALITIES[i // 2 % len(NATIONALITIES)], "F" if i // 24 % 2 else "M", AGES[i // 48 % len(AGES)],
            ("AIR", "LAND", "SEA")[i // 384 % 3], str(i % 5000)]


def write_xlsx(path: Path, rows, width: int, *, refs: bool = True) -> None:
    """A minimal workbook written directly (inline strings, numbers), much faster than a writer library.
    Without `refs`, cells carry no reference (r="B7"), as some writers do: the XML is much smaller."""
    def cell(ref: str, value: str) -> str:
        where = f' r="{ref}"' if refs else ""
        if value.isdigit():
            return f'<c{where}><v>{value}</v></c>'
        return f'<c{where} t="inlineStr"><is><t>{value}</t></is></c>'

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml",
                      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                      'package/2006/content-types"><Default Extension="rels" ContentType="application/'
                      'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
                      'ContentType="application/xml"/><Override '
                      'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                      'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
                      '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        book.writestr("_rels/.rels",
                      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                      'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                      'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        book.writestr("xl/workbook.xml",
                      '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
                      'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                      'relationships"><sheets><sheet name="Datos" sheetId="1" r:id="rId1"/></sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels",
                      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                      'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                      'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        letters = [column_letter(i) for i in range(width)]
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><sheetData>')
            chunk: list[str] = []
            for number, values in enumerate(rows, start=1):
                chunk.append(f'<row r="{number}">' + "".join(cell(f"{letters[i]}{number}", v)
                                                             for i, v in enumerate(values)) + "</row>")
                if len(chunk) == 10_000:
                    sheet.write("".join(chunk).encode())
                    chunk = []
            sheet.write(("".join(chunk) + "</sheetData></worksheet>").encode())


def make_wide_xlsx(path: Path) -> None:
    width = 26
    header = [f"col{i}" for i in range(width)]
    write_xlsx(path, _wide_rows(header, width), width, refs=False)


def _wide_rows(header: list[str], width: int):
    yield header
    for r in range(1_000_000):
        yield [str((r * 7 + c) % 1000) for c in range(width)]


def make_rows_xlsx(path: Path, rows: int = 1_048_576) -> None:
    def lines():
        yield HEADER
        for i in range(rows - 1):
            yield _arrival_row(i)
    write_xlsx(path, lines(), len(HEADER))


def make_limit_xlsx(path: Path) -> None:
    """The largest sheet accepted: 500 000 rows of 8 cells (readers.MAX_EXCEL_CELLS)."""
    from vipmg_core.readers import MAX_EXCEL_CELLS

    make_rows_xlsx(path, MAX_EXCEL_CELLS // len(HEADER))


def make_errors_csv(path: Path, target_bytes: int = 205_000_000, rows: int | None = None,
                    ragged_row: int | None = None) -> None:
    """Every row breaks a rule: an unknown nationality, a negative count or a bad month, in turn."""
    with path.open("w", encoding="utf-8") as out:
        out.write(",".join(HEADER) + "\n")
        i, written, lines = 0, 0, []
        while (written < target_bytes) if rows is None else (i < rows):
            row = _arrival_row(i)
            kind = i % 3
            if kind == 0:
                row[3] = f"XX{i % 97}"
            elif kind == 1:
                row[7] = f"-{i % 90 + 1}"
            else:
                row[1] = f"{2000 + i % 25}-{13 + i % 7}"
            line = ",".join(row) + (",extra\n" if i == ragged_row else "\n")
            lines.append(line)
            written += len(line)
            i += 1
            if len(lines) == 100_000:
                out.write("".join(lines))
                lines = []
        out.write("".join(lines))


def make_limit_errors_csv(path: Path) -> None:
    """The largest text file accepted (readers.MAX_TEXT_CELLS), an error in every row."""
    from vipmg_core.readers import MAX_TEXT_CELLS

    make_errors_csv(path, rows=MAX_TEXT_CELLS // len(HEADER) - 1)


def make_ragged_csv(path: Path) -> None:
    """The same, with one row a cell longer than the header: Polars refuses it, the careful path reads it."""
    from vipmg_core.readers import MAX_TEXT_CELLS

    make_errors_csv(path, rows=MAX_TEXT_CELLS // len(HEADER) - 1, ragged_row=1_000)


def make_long_cell_csv(path: Path) -> None:
    rows = [",".join(_arrival_row(i)) for i in range(20)]
    cells = rows[5].split(",")
    cells[3] = "Z" * (50 * 1024 * 1024)  # one 50 MB nationality
    rows[5] = ",".join(cells)
    path.write_text(",".join(HEADER) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")


FILES = {"wide.xlsx": make_wide_xlsx, "rows.xlsx": make_rows_xlsx, "limit.xlsx": make_limit_xlsx,
         "big_errors.csv": make_errors_csv, "errors.csv": make_limit_errors_csv, "ragged.csv": make_ragged_csv,
         "long_cell.csv": make_long_cell_csv}

CHILD = """
import json, re, sys, time
sys.path.insert(0, {project!r})
from vipmg_core import mapping as mp
from vipmg_core.i18n import TranslatedError
from vipmg_core.readers import read_path
from vipmg_core.validation import validate
start = time.perf_counter()
result = {{}}
try:
    read = read_path({path!r})
    report = validate(read, mp.auto_mapping(read, {dataset!r}, {country!r}))
    text = report.to_json("en")
    result.update(rows=report.rows, errors=report.errors, kept=report.problems.height, json_mb=len(text.encode()) / 1e6)
except TranslatedError as exc:
    result["refused"] = exc.message("en")
result["seconds"] = time.perf_counter() - start
with open("/proc/self/status") as status:
    result["peak_mb"] = int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) / 1024
print(json.dumps(result))
"""


def measure(path: Path) -> dict:
    code = CHILD.format(project=str(PROJECT), path=str(path), dataset=DATASET, country=COUNTRY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode:
        return {"crashed": done.stderr.strip().splitlines()[-1:] or ["?"], "peak_mb": float("nan")}
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(FILES), help="some of the files only")
    parser.add_argument("--keep", help="generate the files in (and reuse them from) this folder")
    args = parser.parse_args()
    names = args.only or list(FILES)
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            path = folder / name
            if not path.exists():
                began = time.perf_counter()
                FILES[name](path)
                print(f"{name}: generated {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - began:.0f} s")
            result = measure(path)
            ok = result["peak_mb"] < LIMIT_MB and "crashed" not in result
            failed |= not ok
            what = (f"refused: {result['refused']}" if "refused" in result else
                    f"crashed: {result['crashed']}" if "crashed" in result else
                    f"{result['rows']:,} rows, {result['errors']:,} errors ({result['kept']:,} kept),"
                    f" report {result['json_mb']:.1f} MB")
            print(f"{name:14} {path.stat().st_size / 1e6:6.0f} MB  peak {result['peak_mb']:6.0f} MB"
                  f"  {result.get('seconds', 0):6.1f} s  {'ok' if ok else 'OVER ' + str(LIMIT_MB) + ' MB'}  {what}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
