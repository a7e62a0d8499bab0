"""The file an importer reads (`Source`): its name and bytes, read once and checked by the same reader stack as
uploads (`vipmg_core.readers`: size, zip bombs, workbooks), and `ImportProblem`, what an import refuses."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from vipmg_core import readers
from vipmg_core.i18n import TranslatedError, t
from vipmg_core.readers import Limits, ReadError

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook

# Published files pass the checks uploads pass: the real ones (UN DESA, UNHCR, World Bank, CBP, INEGI) are a few
# MB and unzip at ratios under 10, far inside them. A publisher that needs more gets its own named Limits here.
PUBLISHED: Limits = readers.UPLOADS


class ImportProblem(TranslatedError):
    """A file that cannot be imported as asked; `message(lang)` says why and what to do, in one sentence."""

    prefix = "importers.error"

    @classmethod
    def refused(cls, file: str, error: ReadError) -> ImportProblem:
        """What the shared reader checks refused (too large, a zip bomb, a broken workbook), as an import problem."""
        if error.key == "too_large":
            return cls("too_large", file=file, limit_mb=error.values["limit_mb"])
        return cls("unreadable", file=file, detail=error)

    def message(self, lang: str) -> str:
        # A reader's refusal inside is said in the same language (without its own full stop).
        values = {k: v.message(lang).rstrip(".") if isinstance(v, TranslatedError) else v
                  for k, v in self.values.items()}
        return t(f"{self.prefix}.{self.key}", lang, **values)


@dataclass(frozen=True)
class Source:
    """The file as the user gave it: its name (without folders) and its bytes (at most `PUBLISHED.file_bytes`)."""

    name: str
    data: bytes

    def __post_init__(self) -> None:
        with _reading(self.name):
            readers.check_size(len(self.data), PUBLISHED)

    @classmethod
    def from_path(cls, path: str | Path) -> Source:
        """The file read once, its size checked before a byte is loaded."""
        path = Path(path)
        if not path.is_file():
            raise ImportProblem("no_file", file=str(path))
        with _reading(path.name):
            readers.check_size(path.stat().st_size, PUBLISHED)
        return cls(path.name, path.read_bytes())

    @cached_property
    def sha256(self) -> str:
        return readers.sha256_of(self.data)

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower().lstrip(".")

    @property
    def is_excel(self) -> bool:
        return self.data[:4] == b"PK\x03\x04" or self.data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

    @cached_property
    def text(self) -> str:
        """The file as text, decoded as uploads are (`readers.decode`: UTF-8 with or without BOM, then the
        region's legacy encodings)."""
        return readers.decode(self.data)[0]

    @cached_property
    def first_line(self) -> str:
        # Any line break ends it (a binary file or an old Mac text file has lone carriage returns).
        return "" if self.is_excel else re.split(r"\r\n|\r|\n", self.text, maxsplit=1)[0].strip("\ufeff")

    def header(self, delimiter: str = ",") -> list[str]:
        """The first line split into names, quotes removed, as lower case."""
        row = next(csv.reader([self.first_line], delimiter=delimiter), [])
        return [cell.strip().lower() for cell in row]

    def csv(self, delimiter: str = ",") -> pl.DataFrame:
        """Every column as text, exactly as written (`infer_schema_length=0`); blanks are null."""
        try:
            return pl.read_csv(io.BytesIO(self.text.encode("utf-8")), separator=delimiter, infer_schema_length=0,
                               truncate_ragged_lines=True)
        except pl.exceptions.PolarsError as exc:
            raise ImportProblem("unreadable", file=self.name, detail=str(exc).splitlines()[0][:120]) from None

    def check(self) -> None:
        """Refuse at once, saying why, a workbook unsafe to open (a zip bomb, too much text), rather than let
        every publisher module fail to recognise it. A zip that is no workbook is left to them: none recognises it."""
        if self.data[:4] != b"PK\x03\x04":
            return
        try:
            readers.check_zip(self.data, PUBLISHED)
        except ReadError as exc:
            if exc.key not in ("not_excel", "zip_not_excel"):
                raise ImportProblem.refused(self.name, exc) from None

    def workbook(self) -> CalamineWorkbook:
        """The workbook (python-calamine reads .xlsx and .xls without Excel), opened by `readers.workbook`: an
        .xlsx only once its zip passed the same checks as an uploaded one."""
        fmt = "xlsx" if self.data[:4] == b"PK\x03\x04" else "xls"
        with _reading(self.name):
            return readers.workbook(self.data, fmt, PUBLISHED)


@contextmanager
def _reading(file: str) -> Iterator[None]:
    """The reader stack's refusals, said as import problems."""
    try:
        yield
    except ReadError as exc:
        raise ImportProblem.refused(file, exc) from None
