"""Reading the files focal points really have: CSV/TSV/TXT, Excel (.xlsx, .xls), SPSS (.sav) and Stata (.dta).

Everything is read as text, exactly as written, with the row number each record has in the user's file, so
the validator can point at "row 12" and the user finds it. What the reader had to guess (encoding, delimiter,
header row, rows it set aside) is reported, never hidden. A file that cannot be read at all raises
`ReadError` with a message key; the page and the CLI turn it into one clear sentence.

Defences run before anything is parsed in full: size caps, binary garbage, zip bombs (an .xlsx is a zip),
and absurd widths (100 000 columns). The importers of published files open theirs through the same checks.

- `files`: the entry points (`read_upload`, `read_path`, `sheet_names`, `sniff_format`);
- `result`: `ReadResult`, `FileInfo`, `Detection`, `FileBytes` (bytes + SHA-256), `ReadError`;
- `limits`: sizes, zip bombs, widths and cells (`Limits`, `UPLOADS`);
- `text`, `excel`, `stat`: one reader per kind of file; `grid`: from cells to a table, for all of them.
"""

from vipmg_core.readers.excel import workbook
from vipmg_core.readers.files import (
    ACCEPTED_EXTENSIONS,
    EXCEL_FORMATS,
    STAT_FORMATS,
    TEXT_FORMATS,
    default_sheet,
    read_path,
    read_upload,
    sheet_names,
    sniff_format,
)
from vipmg_core.readers.grid import HEAD_ROWS, MISSING_MARKERS, TOTAL_RE, column_letter, find_header, missing_expr
from vipmg_core.readers.limits import (
    MAX_COLUMNS,
    MAX_EXCEL_CELLS,
    MAX_FILE_BYTES,
    MAX_SHARED_TEXT_BYTES,
    MAX_TEXT_CELLS,
    MAX_UNZIPPED_BYTES,
    MAX_ZIP_RATIO,
    UPLOADS,
    Limits,
    check_size,
    check_zip,
)
from vipmg_core.readers.result import ROW, Detection, FileBytes, FileInfo, ReadError, ReadResult, safe_name, sha256_of
from vipmg_core.readers.text import DELIMITERS, decode, detect_delimiter

__all__ = [
    "ACCEPTED_EXTENSIONS", "DELIMITERS", "EXCEL_FORMATS", "HEAD_ROWS", "MAX_COLUMNS", "MAX_EXCEL_CELLS",
    "MAX_FILE_BYTES", "MAX_SHARED_TEXT_BYTES", "MAX_TEXT_CELLS", "MAX_UNZIPPED_BYTES", "MAX_ZIP_RATIO",
    "MISSING_MARKERS", "ROW", "STAT_FORMATS", "TEXT_FORMATS", "TOTAL_RE", "UPLOADS", "Detection", "FileBytes",
    "FileInfo", "Limits", "ReadError", "ReadResult", "check_size", "check_zip", "column_letter", "decode",
    "default_sheet", "detect_delimiter", "find_header", "missing_expr", "read_path", "read_upload", "safe_name",
    "sha256_of", "sheet_names", "sniff_format", "workbook",
]
