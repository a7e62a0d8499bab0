"""Downloads of what a user sees: CSV and Excel (same layout + a metadata sheet); SDMX is `vipmg_core.sdmx`.

Every export carries its metadata (source, unit, filters, method, flags, date, provenance, whether the data is
synthetic, and how to cite it) and neutralises cells that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
import polars as pl

from vipmg_core import citation
from vipmg_core.datasets import dataset
from vipmg_core.i18n import t

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportMeta:
    """What a reader of the file needs to know, in the language of the export.

    `dataset_id` may be "" for a view over several datasets (a country profile): `title` then names it and each
    row of the table says its own source and unit."""

    dataset_id: str
    lang: str
    title: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)  # label -> chosen values (names)
    method: str = ""
    notes: tuple[str, ...] = ()
    flags_legend: dict[str, str] = field(default_factory=dict)  # symbol -> meaning
    synthetic: bool = False
    provenance: tuple[str, ...] = ()  # one line per release: publisher, edition, file, SHA-256, version
    generated_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    link: str = ""  # the link that reopens the view (what the page's address bar shows)
    sources: tuple[str, ...] = ()  # releases read, as cited ("publisher (edition, vN)"); default: from provenance

    def citation(self) -> str:
        """The "how to cite" line: publisher, dataset, edition/version, date, the view's link."""
        title = dataset(self.dataset_id).title(self.lang) if self.dataset_id else self.title
        return citation.cite(self.lang, title=title,
                             sources=self.sources or citation.sources_from_provenance(self.provenance),
                             link=self.link, accessed=self.generated_at)

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs for the metadata sheet or a CSV preamble."""
        lang = self.lang
        rows = [(t("export.title", lang), self.title)]
        if self.dataset_id:
            ds = dataset(self.dataset_id)
            unit = t(f"unit.{ds.unit}", lang)
            if ds.counts_events:
                unit = f"{unit} — {t('unit.events_badge', lang)}"
            rows = [
                (t("export.title", lang), self.title or ds.title(lang)),
                (t("export.source", lang), ds.title(lang)),
                (t("export.unit", lang), unit),
                (t("export.definition", lang), ds.definition(lang)),
            ]
        rows += [(f"{t('export.filter', lang)}: {label}", ", ".join(values)) for label, values in self.filters.items()]
        if self.method:
            rows.append((t("export.method", lang), self.method))
        rows += [(t("export.note", lang), note) for note in self.notes]
        rows += [(f"{t('export.flag', lang)} {symbol}", meaning) for symbol, meaning in self.flags_legend.items()]
        rows += [(t("export.provenance", lang), line) for line in self.provenance]
        rows.append((t("export.generated", lang), self.generated_at))
        if self.link:
            rows.append((t("citation.link", lang), self.link))
        if self.link or self.sources or self.provenance:  # published figures (not, say, a validation report)
            rows.append((t("citation.label", lang), self.citation()))
        if self.synthetic:
            rows.append((t("export.warning", lang), t("export.synthetic", lang)))
        return rows


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """`neutralise` on every text column of a Polars frame, vectorised (whole published datasets)."""
    starts = "^[" + "".join(f"\\x{ord(c):02x}" for c in FORMULA_STARTS) + "]"
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(starts)).then(pl.lit("'") + pl.col(name)).otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items() if dtype == pl.String)


def _safe_pandas(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    for column in table.columns:
        if table[column].dtype == object or pd.api.types.is_string_dtype(table[column]):
            table[column] = table[column].map(neutralise)
    table.columns = _safe_index(table.columns)
    table.index = _safe_index(table.index)
    return table


def _safe_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(neutralise(v) for v in key) for key in index], names=index.names)
    return pd.Index([neutralise(v) for v in index], name=index.name)


def _to_pandas(table: pl.DataFrame | pd.DataFrame) -> pd.DataFrame:
    return table.to_pandas() if isinstance(table, pl.DataFrame) else table


def csv_bytes(table: pl.DataFrame | pd.DataFrame, meta: ExportMeta | None = None, *, index: bool = False) -> bytes:
    """UTF-8 with a BOM (so Excel shows accents), metadata as leading `#` lines when given."""
    frame = _safe_pandas(_to_pandas(table))
    buffer = io.StringIO()
    if meta is not None:
        for label, value in meta.rows():
            buffer.write(f"# {label}: {str(value).replace(chr(10), ' ')}\n")
    frame.to_csv(buffer, index=index, lineterminator="\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def excel_bytes(table: pl.DataFrame | pd.DataFrame, meta: ExportMeta, *, index: bool = False,
                sheet_name: str | None = None) -> bytes:
    """The table as shown (row/column headers kept) on the first sheet, the metadata on the second."""
    frame = _safe_pandas(_to_pandas(table))
    lang = meta.lang
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        data_sheet = (sheet_name or t("export.sheet_data", lang))[:31]
        frame.to_excel(writer, sheet_name=data_sheet, index=index or isinstance(frame.index, pd.MultiIndex))
        worksheet = writer.sheets[data_sheet]
        worksheet.freeze_panes(max(frame.columns.nlevels, 1), frame.index.nlevels if index else 0)
        info = pd.DataFrame(meta.rows(), columns=[t("export.field", lang), t("export.value", lang)])
        info = _safe_pandas(info)
        info_sheet = t("export.sheet_meta", lang)[:31]
        info.to_excel(writer, sheet_name=info_sheet, index=False)
        writer.sheets[info_sheet].set_column(0, 0, 28)
        writer.sheets[info_sheet].set_column(1, 1, 100)
    return buffer.getvalue()

