"""Importers for real public data: UN DESA, UNHCR, the World Bank, regional series and US CBP, in one call.

    from vipmg_core.importers import import_file
    result = import_file(Warehouse(), "UN_MigrantStockByOriginAndDestination_2015.xlsx", actor="cli:ana")
    result.datasets[0].release.version, result.unresolved, result.aggregates

One module per publisher (`undesa`, `unhcr`, `worldbank`, `regional`, `cbp`) reads its files into `Table`s:
rows in the shape of a dataset of the standard, with country columns still as the file writes them. This
module does what every import shares:

- Countries resolve only through `vipmg_core.countries`. A value it cannot place is never dropped silently:
  in an origin or nationality column it is counted under "other/unknown" (OOO), so totals still add up; in
  the reporting column (destination, asylum, recording country) the rows are left out. Both are listed, with
  their rows and values, in the result. Empty cells are "not stated" (null), also counted.
- Regional aggregates (WORLD, Central America, income groups...) are set apart by the publisher module and
  listed; they never become country rows.
- Each dataset a file feeds is one warehouse release, scope `import:<publisher>:<series>[:<coverage>]:<dataset>`
  (one product: the publisher's series, and what part of it the file covers), with the source's SHA-256, size
  and edition in the release's provenance. A file whose SHA-256 is already in the warehouse changes nothing
  ("already imported"); a newer edition becomes a new version of its own product's scope and replaces only
  that product's older edition (the summary says which); an older edition than the one published is refused
  unless forced. Another product holding the same countries and periods is kept: readers see one of them by
  the warehouse's precedence (`warehouse.precedence`) and can choose the other (`Warehouse.preferring`).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from importlib import import_module
from pathlib import Path

import polars as pl

from vipmg_core.catalogue import now_utc
from vipmg_core.codelists import UNKNOWN_COUNTRY, codelist
from vipmg_core.countries import resolve_many
from vipmg_core.datasets import Dataset, dataset
from vipmg_core.i18n import TranslatedError, fmt_number, t
from vipmg_core.warehouse import Provenance, Release, Warehouse, conform, precedence

KINDS = ("undesa", "unhcr", "worldbank", "regional", "cbp")
SCOPE_PREFIX = "import:"
MAX_FILE_BYTES = 200 * 1024 * 1024
DEMO_SCOPE = "demo"


class ImportProblem(TranslatedError):
    """A file that cannot be imported as asked; `message(lang)` says why and what to do, in one sentence."""

    prefix = "importers.error"


@dataclass(frozen=True)
class Source:
    """The file as the user gave it: its name (without folders) and its bytes."""

    name: str
    data: bytes

    @classmethod
    def from_path(cls, path: str | Path) -> Source:
        path = Path(path)
        if not path.is_file():
            raise ImportProblem("no_file", file=str(path))
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImportProblem("too_large", file=path.name, limit_mb=MAX_FILE_BYTES // 1024 // 1024)
        return cls(path.name, path.read_bytes())

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

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
        """The file as text (the publishers here write UTF-8 or ASCII; a BOM is dropped)."""
        try:
            return self.data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return self.data.decode("cp1252", errors="replace")

    @cached_property
    def first_line(self) -> str:
        # Any line break ends it (a binary file or an old Mac text file has lone carriage returns).
        return "" if self.is_excel else re.split(r"\r\n|\r|\n", self.text, maxsplit=1)[0].strip("\ufeff")

    def header(self, delimiter: str = ",") -> list[str]:
        """The first line split into names, quotes removed, as lower case."""
        import csv

        row = next(csv.reader([self.first_line], delimiter=delimiter), [])
        return [cell.strip().lower() for cell in row]

    def csv(self, delimiter: str = ",") -> pl.DataFrame:
        """Every column as text, exactly as written (`infer_schema_length=0`); blanks are null."""
        try:
            return pl.read_csv(io.BytesIO(self.text.encode("utf-8")), separator=delimiter, infer_schema_length=0,
                               truncate_ragged_lines=True)
        except pl.exceptions.PolarsError as exc:
            raise ImportProblem("unreadable", file=self.name, detail=str(exc).splitlines()[0][:120]) from None

    def workbook(self):
        """The workbook (python-calamine reads .xlsx and .xls without Excel)."""
        from python_calamine import CalamineWorkbook

        if self.data[:4] == b"PK\x03\x04":
            try:
                with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
                    unzipped = sum(m.file_size for m in archive.infolist())
            except zipfile.BadZipFile:
                raise ImportProblem("unreadable", file=self.name, detail="not a valid .xlsx") from None
            if unzipped > 20 * MAX_FILE_BYTES:
                raise ImportProblem("too_large", file=self.name, limit_mb=MAX_FILE_BYTES // 1024 // 1024)
        try:
            return CalamineWorkbook.from_filelike(io.BytesIO(self.data))
        except Exception as exc:  # calamine has its own error types for broken or encrypted workbooks
            raise ImportProblem("unreadable", file=self.name, detail=str(exc)[:120]) from None


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


# -- the registry --------------------------------------------------------------------------------------------

def module(kind: str):
    if kind not in KINDS:
        raise ImportProblem("unknown_kind", kind=kind, kinds=", ".join(KINDS))
    return import_module(f"vipmg_core.importers.{kind}")


def detect(source: Source) -> str:
    """Which importer reads this file, from its content (and, for look-alike tidy series, its name)."""
    for kind in KINDS:
        if module(kind).sniff(source):
            return kind
    raise ImportProblem("not_recognised", file=source.name, kinds=", ".join(KINDS))


# -- the shared work -----------------------------------------------------------------------------------------

def import_file(
    wh: Warehouse,
    source: Source | str | Path,
    *,
    kind: str | None = None,
    actor: str,
    options: dict | None = None,
    force: bool = False,
) -> ImportResult:
    """Read `source` with its publisher's importer and publish what it holds (see the module docstring).

    `options` go to the publisher module (`year` for a World Bank matrix that does not say its year,
    `series` for a regional file whose name does not say which series it is).
    """
    if not isinstance(source, Source):
        source = Source.from_path(source)
    kind = kind or detect(source)
    reader = module(kind)
    if not reader.sniff(source):
        raise ImportProblem("wrong_kind", file=source.name, kind=kind, detected=_detected_or_none(source))
    parsed: Parsed = reader.parse(source, **(options or {}))
    unresolved: list[Unresolved] = []
    empty: dict[str, int] = {}
    prepared: list[tuple[Dataset, pl.DataFrame]] = []
    for table in parsed.tables:
        ds = dataset(table.dataset_id)
        frame, found, blanks = _resolve_countries(ds, table)
        unresolved += found
        for column, rows in blanks.items():
            empty[column] = empty.get(column, 0) + rows
        if frame.height == 0:
            raise ImportProblem("no_rows", file=source.name, dataset=ds.title("en"))
        prepared.append((ds, _check_codes(ds, _collapse(ds, frame))))

    results = []
    for ds, frame in prepared:
        scope = parsed.scope(ds.id)
        done = _already(wh, ds.id, source.sha256)
        if done is not None:
            results.append(DatasetImport(ds.id, "already_imported", done, done.row_count))
            continue
        _check_edition(wh, ds.id, scope, parsed, force)
        provenance = Provenance(
            publisher=parsed.publisher, source_file=source.name, edition=parsed.edition, synthetic=False,
            notes={"sha256": source.sha256, "size": str(source.size), "imported_at": now_utc(),
                   "importer": kind, "series": parsed.series, "edition_date": parsed.edition_date,
                   "rows_read": str(parsed.rows_read),
                   "unresolved": "; ".join(f"{u.value} ({u.rows})" for u in unresolved if u.column in ds.column_names),
                   "aggregates_set_apart": "; ".join(f"{name} ({code})" for code, name in parsed.aggregates)},
        )
        before = [r for r in wh.releases(ds.id) if r.scope == scope]
        release = wh.publish(ds.id, [frame], scope=scope, provenance=provenance, actor=actor)
        replaced, overlaps, first = _overlaps(wh, release)
        editions = tuple(f"{r.edition or r.publisher} · {r.source_file or ''} (v{r.version})" for r in before)
        results.append(DatasetImport(ds.id, "imported", release, frame.height, replaced, overlaps, editions, first))
    return ImportResult(
        kind=kind, series=parsed.series, file_name=source.name, sha256=source.sha256, size=source.size,
        publisher=parsed.publisher, edition=parsed.edition, rows_read=parsed.rows_read, datasets=tuple(results),
        unresolved=tuple(sorted(unresolved, key=lambda u: (-u.rows, u.value))),
        empty=tuple(sorted(empty.items())), aggregates=tuple(parsed.aggregates), notes=tuple(parsed.notes),
    )


def _detected_or_none(source: Source) -> str:
    try:
        return detect(source)
    except ImportProblem:
        return "–"


def _resolve_countries(ds: Dataset, table: Table) -> tuple[pl.DataFrame, list[Unresolved], dict[str, int]]:
    """Country columns to ISO3. Unplaceable origins count as OOO; unplaceable reporting areas are left out."""
    frame = table.frame
    measure = ds.measure.name if ds.measure else None
    unresolved: list[Unresolved] = []
    blanks: dict[str, int] = {}
    for col in ds.country_columns:
        raw = frame[col.name].cast(pl.String).str.strip_chars()
        frame = frame.with_columns(raw.replace("", None).alias(col.name))
        values = frame[col.name].drop_nulls().unique().to_list()
        matches = resolve_many(values)
        codes = {value: match.iso3 for value, match in matches.items() if match.found}
        missing = sorted(value for value, match in matches.items() if not match.found)
        is_area = col.name == ds.area_column
        if missing:
            stats = (frame.filter(pl.col(col.name).is_in(missing))
                     .group_by(col.name)
                     .agg(pl.len().alias("rows"),
                          (pl.col(measure).cast(pl.Float64).sum() if measure else pl.lit(None)).alias("total"))
                     .sort(col.name))  # group_by's order varies from run to run; provenance must not
            for value, rows, total in stats.iter_rows():
                unresolved.append(Unresolved(col.name, table.labels.get(value, value), rows, total,
                                             None if is_area else UNKNOWN_COUNTRY, matches[value].suggestions))
        blank_rows = frame[col.name].null_count()
        if blank_rows:
            blanks[col.name] = blank_rows
        if is_area:
            frame = frame.filter(pl.col(col.name).is_in(list(codes)))
        else:
            codes |= {value: UNKNOWN_COUNTRY for value in missing}
        frame = frame.with_columns(pl.col(col.name).replace_strict(codes, default=None, return_dtype=pl.String))
    return frame, unresolved, blanks


def _collapse(ds: Dataset, frame: pl.DataFrame) -> pl.DataFrame:
    """One row per combination of codes: several spellings of one country (or several source categories of one
    code) add up. A sum of only hidden values stays hidden (null), never zero."""
    measure = ds.measure.name
    keys = [c for c in ds.column_names if c != measure]
    value = pl.col(measure).cast(pl.Int64)
    return (frame.group_by(keys, maintain_order=True)
            .agg(pl.when(value.count() > 0).then(value.sum()).otherwise(None).alias(measure))
            .select(ds.column_names))


def _check_codes(ds: Dataset, frame: pl.DataFrame) -> pl.DataFrame:
    """Every code is in its codelist before anything is written (a publisher module that maps to a code the
    standard does not know is a bug, caught here rather than in a reader's table)."""
    for col in ds.columns:
        if col.type != "code":
            continue
        present = set(frame[col.name].drop_nulls().unique().to_list())
        unknown = sorted(present - set(codelist(col.codelist_id).codes))
        if unknown:
            raise ImportProblem("bad_code", column=col.name, codes=", ".join(unknown[:10]))
    return conform(frame, ds)


def _already(wh: Warehouse, dataset_id: str, sha256: str) -> Release | None:
    """The release that already holds this exact file for this dataset (withdrawn ones do not count)."""
    rows = wh.catalogue.query(
        "SELECT release_id FROM releases WHERE dataset_id = ? AND status IN ('published', 'superseded')"
        " AND scope LIKE ? AND json_extract(provenance, '$.notes.sha256') = ? ORDER BY version DESC LIMIT 1",
        (dataset_id, SCOPE_PREFIX + "%", sha256),
    )
    return wh.release(rows[0]["release_id"]) if rows else None


def _check_edition(wh: Warehouse, dataset_id: str, scope: str, parsed: Parsed, force: bool) -> None:
    current = [r for r in wh.releases(dataset_id) if r.scope == scope]
    if not current or force:
        return
    published = current[-1]
    covers = (published.provenance.get("notes") or {}).get("edition_date") or ""
    if covers > parsed.edition_date:
        raise ImportProblem("older_edition", edition=parsed.edition, published=published.edition or "",
                            version=published.version)


def _overlaps(wh: Warehouse, release: Release) -> tuple[int, tuple[str, ...], tuple[str, ...]]:
    """How many of the release's slices it takes over from the demo, and which other releases share slices."""
    rows = wh.catalogue.query(
        "SELECT r.release_id, r.scope, r.version, r.synthetic, r.publisher, COUNT(*) AS slices"
        " FROM release_coverage mine"
        " JOIN release_coverage other ON other.area = mine.area AND other.period = mine.period"
        " JOIN releases r ON r.release_id = other.release_id"
        " WHERE mine.release_id = ? AND other.release_id <> mine.release_id AND r.dataset_id = ?"
        " AND r.status = 'published' GROUP BY r.release_id ORDER BY r.scope",
        (release.release_id, release.dataset_id),
    )
    replaced = sum(r["slices"] for r in rows if r["synthetic"])
    others, first = [], []
    for row in rows:
        if row["synthetic"]:
            continue
        other = wh.release(row["release_id"])
        others.append(f"{other.publisher} · {other.edition or ''} · {other.product} v{other.version}"
                      f" ({row['slices']})")
        first.append(max(other, release, key=precedence).product)
    return replaced, tuple(others), tuple(dict.fromkeys(first))
    return replaced, others


# -- provenance and the demo ---------------------------------------------------------------------------------

def imported_releases(wh: Warehouse, dataset_id: str | None = None) -> list[Release]:
    """Published releases that came from an importer, newest first."""
    found = [r for r in wh.releases(dataset_id) if r.scope.startswith(SCOPE_PREFIX)]
    return sorted(found, key=lambda r: r.published_seq or "", reverse=True)


def source_sha256(release: Release) -> str | None:
    """The SHA-256 of the file a release was imported from (None for the demo and submissions)."""
    return (release.provenance.get("notes") or {}).get("sha256")


def provenance_line(release: Release, lang: str) -> str:
    """Publisher · edition · file · SHA-256 · date imported · version: one line per release, for exports."""
    sha = source_sha256(release)
    parts = [release.publisher, release.edition or "", release.source_file or "",
             f"SHA-256 {sha}" if sha else f"SHA-256 {release.sha256[:16]}…",
             t("importers.imported_on", lang, date=(release.published_at or release.created_at)[:10]),
             f"v{release.version}"]
    return " · ".join(p for p in parts if p)


def provenance_lines(wh: Warehouse, dataset_id: str, lang: str) -> tuple[str, ...]:
    """One `provenance_line` per published release of a dataset: what an export's metadata should list."""
    return tuple(provenance_line(r, lang) for r in wh.releases(dataset_id))


def source_note(wh: Warehouse, dataset_id: str, lang: str) -> str:
    """"Sources: <publisher> (<edition>); ..." for a caption under a table, chart or map of the dataset."""
    names = list(dict.fromkeys(
        t("importers.demo_source", lang) if r.synthetic else f"{r.publisher} ({r.edition})" if r.edition
        else r.publisher for r in sorted(wh.releases(dataset_id), key=lambda r: (r.synthetic, r.publisher))))
    return t("importers.sources", lang, sources="; ".join(names)) if names else ""


def sources_table(wh: Warehouse, lang: str) -> pl.DataFrame:
    """Every published import: dataset, publisher, edition, file, SHA-256, version, rows, date."""
    return pl.DataFrame(
        [{t("importers.col_dataset", lang): dataset(r.dataset_id).title(lang),
          t("importers.col_publisher", lang): r.publisher,
          t("importers.col_edition", lang): r.edition or "",
          t("importers.col_file", lang): r.source_file or "",
          t("importers.col_sha256", lang): source_sha256(r) or "",
          t("importers.col_version", lang): r.version,
          t("importers.col_rows", lang): r.row_count,
          t("importers.col_imported", lang): (r.published_at or "")[:10]}
         for r in imported_releases(wh)],
        schema={t(f"importers.col_{c}", lang): ty for c, ty in (
            ("dataset", pl.String), ("publisher", pl.String), ("edition", pl.String), ("file", pl.String),
            ("sha256", pl.String), ("version", pl.Int64), ("rows", pl.Int64), ("imported", pl.String))},
    )


def demo_releases(wh: Warehouse) -> list[Release]:
    return [r for r in wh.releases() if r.synthetic]


def has_real_data(wh: Warehouse) -> bool:
    return any(not r.synthetic for r in wh.releases())


def withdraw_demo(wh: Warehouse, *, actor: str) -> list[Release]:
    """Switch the synthetic demo off: withdraw every published demo release (files and history stay).

    Refused while no real data is published: an app with nothing published would rebuild the demo on start.
    """
    if not has_real_data(wh):
        raise ImportProblem("demo_needed")
    return [wh.withdraw(r.release_id, actor=actor, reason="demo switched off") for r in demo_releases(wh)]


# -- helpers the publisher modules share ---------------------------------------------------------------------

def recode(values: pl.Series, mapping: dict[str, str | None], column: str, notes: list[Note]) -> pl.Series:
    """A publisher's labels to codes of the standard (matched as the country resolver matches names). A label
    the mapping does not know becomes "not stated" (null) and is named in a note, never guessed."""
    from vipmg_core.countries import normalise

    keys = {normalise(k): v for k, v in mapping.items()}
    distinct = values.drop_nulls().unique().to_list()
    known = {value: keys[normalise(value)] for value in distinct if normalise(value) in keys}
    unknown = sorted(value for value in distinct if normalise(value) not in keys)
    if unknown:
        notes.append(Note("values_not_understood", {"column": column, "values": ", ".join(unknown[:10])}))
    return values.replace_strict(known, default=None, return_dtype=pl.String)


def codes_of(labels: pl.Series, mapping: dict[str, str | None], column: str) -> pl.Series:
    """A closed list of a publisher's labels (case and spaces ignored) to codes; a label outside it stops the
    import, since guessing would move counts between categories."""
    labels = labels.str.to_lowercase().str.strip_chars()
    unknown = sorted(set(labels.drop_nulls().unique().to_list()) - set(mapping))
    if unknown:
        raise ImportProblem("unknown_values", column=column, values=", ".join(unknown[:5]))
    return labels.replace_strict(mapping, return_dtype=pl.String)


def tidy_count(values: pl.Series) -> pl.Series:
    """gdidata's `n` column: counts that may be written as decimals, rounded; unreadable ones null."""
    return values.str.strip_chars().cast(pl.Float64, strict=False).round().cast(pl.Int64)


def without_missing_values(frame: pl.DataFrame, notes: list[Note]) -> pl.DataFrame:
    """Rows whose count could not be read are left out, and a note says how many."""
    skipped = frame["obs_value"].null_count()
    if not skipped:
        return frame
    notes.append(Note("values_skipped", {"rows": skipped}))
    return frame.filter(pl.col("obs_value").is_not_null())


def month_of(dates: pl.Series) -> pl.Series:
    """`2024-03-01` (or `2024-03`) -> `2024-03`."""
    return dates.cast(pl.String).str.strip_chars().str.slice(0, 7)


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
