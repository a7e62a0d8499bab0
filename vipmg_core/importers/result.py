"""What a publisher module reads from a file (`Parsed`, its `Table`s and `Note`s) and what an import did
(`ImportResult`: per dataset a `DatasetImport`, the names left `Unresolved`), in sentences and as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from vipmg_core.datasets import dataset
from vipmg_core.i18n import fmt_number, t
from vipmg_core.warehouse import Release

SCOPE_PREFIX = "import:"


@dataclass
class Table:
    """Rows for one dataset as a publisher module read them. Country columns hold the file's own text (a name,
    an ISO or M49 code); `labels` can say how the file names a code, for the report."""

    dataset_id: str
    frame: pl.DataFrame
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Note:
    """Something the reader of the result must know (message key `importers.note.<key>`)."""

    key: str
    values: dict = field(default_factory=dict)

    def message(self, lang: str) -> str:
        values = {k: fmt_number(v, lang) if isinstance(v, int) else v for k, v in self.values.items()}
        return t(f"importers.note.{self.key}", lang, **values)


@dataclass
class Parsed:
    """What a publisher module read from one file."""

    series: str  # e.g. "undesa-od": which of the publisher's layouts
    publisher: str
    publisher_key: str  # part of the release scope: one scope per publisher, series, coverage and dataset
    edition: str
    edition_date: str  # the last period the edition covers (2015, 2023-09): orders editions of one scope
    tables: list[Table]
    rows_read: int
    aggregates: list[tuple[str, str]] = field(default_factory=list)  # (code, name) set apart
    notes: list[Note] = field(default_factory=list)
    coverage: str = ""  # which part of the series the file covers, where a series comes in parts

    def scope(self, dataset_id: str) -> str:
        """The product a release of this file belongs to: publisher, series, coverage and dataset."""
        parts = [self.publisher_key, self.series, *([self.coverage] if self.coverage else []), dataset_id]
        return SCOPE_PREFIX + ":".join(parts)


@dataclass(frozen=True)
class Unresolved:
    column: str  # the dataset column
    value: str  # as the file writes it
    rows: int
    total: float | None  # the sum of the measure in those rows
    kept_as: str | None  # "OOO" (counted as other/unknown) or None (rows left out)
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatasetImport:
    dataset_id: str
    status: str  # "imported" or "already_imported"
    release: Release
    rows: int
    replaced_demo_slices: int = 0  # (area, period) slices where readers now see this instead of the demo
    overlaps: tuple[str, ...] = ()  # other imports or submissions holding some of the same slices
    replaced: tuple[str, ...] = ()  # the older edition(s) of the same product this one replaced
    read_first: tuple[str, ...] = ()  # where it overlaps other products: which product readers see by default


@dataclass(frozen=True)
class ImportResult:
    kind: str
    series: str
    file_name: str
    sha256: str
    size: int
    publisher: str
    edition: str
    rows_read: int
    datasets: tuple[DatasetImport, ...]
    unresolved: tuple[Unresolved, ...]
    empty: tuple[tuple[str, int], ...]  # (column, rows) where the file leaves a country cell empty
    aggregates: tuple[tuple[str, str], ...]
    notes: tuple[Note, ...]

    @property
    def already_imported(self) -> bool:
        return all(d.status == "already_imported" for d in self.datasets)

    @property
    def unresolved_rows(self) -> int:
        return sum(u.rows for u in self.unresolved)

    def unresolved_frame(self, lang: str) -> pl.DataFrame:
        """The names no country code could be found for, as a table to show or save."""
        return pl.DataFrame(
            [{t("importers.col_column", lang): _column_label(u.column, self.datasets, lang),
              t("importers.col_value", lang): u.value,
              t("importers.col_rows", lang): u.rows,
              t("importers.col_total", lang): u.total,
              t("importers.col_kept_as", lang): (t("importers.kept_other", lang) if u.kept_as
                                                 else t("importers.kept_out", lang)),
              t("importers.col_suggestions", lang): ", ".join(u.suggestions)}
             for u in self.unresolved],
            schema={t("importers.col_column", lang): pl.String, t("importers.col_value", lang): pl.String,
                    t("importers.col_rows", lang): pl.Int64, t("importers.col_total", lang): pl.Float64,
                    t("importers.col_kept_as", lang): pl.String, t("importers.col_suggestions", lang): pl.String},
        )

    def lines(self, lang: str) -> list[str]:
        """The result in a few sentences, as the CLI prints it and the page shows it."""
        out = [t("importers.summary_file", lang, file=self.file_name, size=fmt_number(self.size, lang),
                 sha256=self.sha256, publisher=self.publisher, edition=self.edition,
                 rows=fmt_number(self.rows_read, lang))]
        for item in self.datasets:
            ds = dataset(item.dataset_id)
            values = {"dataset": ds.title(lang), "id": ds.id, "version": item.release.version,
                      "rows": fmt_number(item.rows, lang), "unit": t(f"unit.{ds.unit}", lang)}
            if item.status == "already_imported":
                out.append(t("importers.summary_already", lang, status=t(f"importers.status_{item.release.status}",
                                                                           lang), **values))
                continue
            out.append(t("importers.summary_dataset", lang, **values))
            if item.replaced:
                out.append(t("importers.summary_replaced", lang, editions="; ".join(item.replaced)))
            if item.replaced_demo_slices:
                out.append(t("importers.summary_demo_replaced", lang, slices=item.replaced_demo_slices))
            if item.overlaps:
                out.append(t("importers.summary_overlaps", lang, releases="; ".join(item.overlaps),
                             shown=", ".join(item.read_first)))
        if self.unresolved:
            out.append(t("importers.summary_unresolved", lang, count=len(self.unresolved),
                         rows=fmt_number(self.unresolved_rows, lang),
                         names="; ".join(f"{u.value} [{_column_label(u.column, self.datasets, lang)}] "
                                         f"({fmt_number(u.rows, lang)})" for u in self.unresolved[:12])
                         + ("; …" if len(self.unresolved) > 12 else "")))
        for column, rows in self.empty:
            area = any(dataset(d.dataset_id).area_column == column for d in self.datasets)
            out.append(t("importers.summary_empty_area" if area else "importers.summary_empty", lang,
                         rows=fmt_number(rows, lang), column=_column_label(column, self.datasets, lang)))
        if self.aggregates:
            out.append(t("importers.summary_aggregates", lang, count=len(self.aggregates),
                         names=", ".join(name for _, name in self.aggregates[:8])
                         + (", …" if len(self.aggregates) > 8 else "")))
        out += [note.message(lang) for note in self.notes]
        return out


def _column_label(column: str, datasets: tuple[DatasetImport, ...], lang: str) -> str:
    for item in datasets:
        ds = dataset(item.dataset_id)
        if column in ds.column_names:
            return ds.column(column).label(lang)
    return column



def result_dict(result: ImportResult) -> dict:
    """The result as plain data (the CLI's --json)."""
    return {
        "kind": result.kind, "series": result.series, "file": result.file_name, "sha256": result.sha256,
        "size": result.size, "publisher": result.publisher, "edition": result.edition, "rows_read": result.rows_read,
        "already_imported": result.already_imported,
        "datasets": [{"dataset": d.dataset_id, "status": d.status, "release_id": d.release.release_id,
                      "scope": d.release.scope, "version": d.release.version, "rows": d.rows,
                      "replaced_demo_slices": d.replaced_demo_slices, "overlaps": list(d.overlaps),
                      "replaced": list(d.replaced), "read_first": list(d.read_first)}
                     for d in result.datasets],
        "unresolved": [{"column": u.column, "value": u.value, "rows": u.rows, "total": u.total,
                        "kept_as": u.kept_as, "suggestions": list(u.suggestions)} for u in result.unresolved],
        "empty": [{"column": column, "rows": rows} for column, rows in result.empty],
        "aggregates": [{"code": code, "name": name} for code, name in result.aggregates],
        "notes": [note.key for note in result.notes],
    }
