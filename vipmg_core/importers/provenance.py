"""Where imported data came from, for captions and exports (publisher, edition, file, SHA-256), and the
synthetic demo, switched off once real data is published."""

from __future__ import annotations

import polars as pl

from vipmg_core.datasets import dataset
from vipmg_core.i18n import t
from vipmg_core.importers.result import SCOPE_PREFIX
from vipmg_core.importers.source import ImportProblem
from vipmg_core.warehouse import Release, Warehouse


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

