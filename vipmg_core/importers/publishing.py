"""The import itself, what every publisher shares (see the package docstring): the file's publisher found,
countries resolved, codes checked, and one warehouse release per dataset, with the file's provenance."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from types import ModuleType

import polars as pl

from vipmg_core.catalogue import now_utc
from vipmg_core.codelists import UNKNOWN_COUNTRY, codelist
from vipmg_core.countries import resolve_many
from vipmg_core.datasets import Dataset, dataset
from vipmg_core.importers.result import SCOPE_PREFIX, DatasetImport, ImportResult, Parsed, Table, Unresolved
from vipmg_core.importers.source import ImportProblem, Source
from vipmg_core.warehouse import Provenance, Release, Warehouse, conform, precedence

KINDS = ("undesa", "unhcr", "worldbank", "regional", "cbp")


def module(kind: str) -> ModuleType:
    """The publisher module that reads files of `kind` (each has `sniff(source)` and `parse(source, **options)`)."""
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
    source.check()
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
    if ds.measure is None:  # publisher modules feed aggregate datasets only
        raise ValueError(f"{ds.id} has no measure to add up")
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
