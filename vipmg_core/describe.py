"""Display-ready descriptions of the datasets (for the Catalogue page, and anyone who wants a summary)."""

from __future__ import annotations

import csv
import io

import pandas as pd

from vipmg_core.codelists import codelist, country_name, project_countries
from vipmg_core.datasets import Dataset, dataset, datasets
from vipmg_core.i18n import fmt_number, t
from vipmg_core.importers import source_sha256
from vipmg_core.warehouse import Warehouse


def overview(wh: Warehouse, lang: str) -> pd.DataFrame:
    """One row per dataset: title, unit, kind, countries and periods covered, rows published."""
    rows = []
    for ds in datasets():
        cov = wh.coverage(ds.id)
        years = sorted(cov["year"].unique().to_list()) if cov.height else []
        rows.append({
            t("catalogue.col_dataset", lang): ds.title(lang),
            t("catalogue.col_unit", lang): t(f"unit.{ds.unit}", lang),
            t("catalogue.col_kind", lang): t(f"kind.{ds.kind}", lang),
            t("catalogue.col_countries", lang): cov["area"].n_unique() if cov.height else 0,
            t("catalogue.col_periods", lang): f"{years[0]}–{years[-1]}" if years else "–",
            t("catalogue.col_rows", lang): fmt_number(int(cov["rows"].sum()) if cov.height else 0, lang),
        })
    return pd.DataFrame(rows)


def coverage_grid(wh: Warehouse, dataset_id: str, lang: str) -> pd.DataFrame:
    """Country x year: the published total (sample records for microdata); '' where nothing is published."""
    ds = dataset(dataset_id)
    cov = wh.coverage(ds.id)
    if cov.height == 0:
        return pd.DataFrame()
    column = "rows" if ds.is_microdata else "value"
    wide = cov.to_pandas().pivot(index="area", columns="year", values=column)
    project = [c for c in project_countries() if c in wide.index]
    wide = wide.reindex(project + sorted(set(wide.index) - set(project)))
    wide = wide.map(lambda v: "" if pd.isna(v) else fmt_number(v, lang))
    wide.index = [country_name(code, lang) for code in wide.index]
    wide.index.name = t("shell.countries", lang)
    wide.columns.name = None
    return wide


def releases_table(wh: Warehouse, dataset_id: str, lang: str) -> pd.DataFrame:
    yes, no = t("catalogue.yes", lang), t("catalogue.no", lang)
    return pd.DataFrame([
        {
            t("catalogue.col_publisher", lang): r.publisher,
            t("catalogue.col_edition", lang): r.edition or "",
            t("importers.col_file", lang): r.source_file or "",
            t("importers.col_sha256", lang): source_sha256(r) or "",
            t("catalogue.col_version", lang): r.version,
            t("catalogue.col_rows", lang): fmt_number(r.row_count, lang),
            t("catalogue.col_synthetic", lang): yes if r.synthetic else no,
            t("catalogue.col_published", lang): (r.published_at or "")[:10],
        }
        for r in wh.releases(dataset_id)
    ])


def variables_table(ds: Dataset, lang: str) -> pd.DataFrame:
    yes, no = t("catalogue.yes", lang), t("catalogue.no", lang)
    return pd.DataFrame([
        {
            t("catalogue.col_column", lang): c.name,
            t("catalogue.col_label", lang): c.label(lang),
            t("catalogue.col_type", lang): t(f"type.{c.type}", lang),
            t("catalogue.col_role", lang): t(f"role.{c.role}", lang),
            t("catalogue.col_codelist", lang): c.codelist_id or "",
            t("catalogue.col_required", lang): yes if c.required else no,
        }
        for c in ds.columns
    ])


def codelist_tables(ds: Dataset, lang: str) -> list[tuple[str, pd.DataFrame]]:
    """(column label, its codes with names) for every coded column, each codelist once."""
    seen: set[str] = set()
    tables = []
    for col in ds.columns:
        if not col.codelist_id or col.codelist_id in seen:
            continue
        seen.add(col.codelist_id)
        codes = codelist(col.codelist_id)
        label = col.label(lang) if col.codelist_id != "country" else t("shell.countries", lang)
        tables.append((label, pd.DataFrame(
            [{t("catalogue.col_code", lang): c.code, t("catalogue.col_name", lang): c.name(lang)} for c in codes]
        )))
    return tables


def template_csv(ds: Dataset) -> bytes:
    """The empty template: canonical headers, UTF-8 with a BOM so Excel opens accents correctly."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(ds.template_header())
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
