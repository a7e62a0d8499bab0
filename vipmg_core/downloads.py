"""The files of a view, made in one place: the pages' download buttons, the CLI and the data by URL (api.py) all
call these, so a page's CSV, `python -m vipmg_core view LINK` and `curl .../api/v1/crosstab.csv?...` hold the same
cells by construction.

Every file carries the "how to cite" line (exports.ExportMeta) with the view's link, but two have no room for it:
SDMX-CSV, and the API's CSV (`preamble=False`), which programs read straight into a table (`pandas.read_csv(url)`,
Excel's or Power BI's "from web"): their readers expect the header on the first line, so the API says how to cite
them in its headers (Link rel="cite-as", and rel="describedby" to the JSON twin, which holds the citation).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd

from vipmg_core import citation, sdmx
from vipmg_core import crosstab as xt
from vipmg_core import flows as fl
from vipmg_core import profiles as pr
from vipmg_core.exports import ExportMeta, csv_bytes, excel_bytes
from vipmg_core.i18n import TranslatedError, t
from vipmg_core.warehouse import Warehouse

CSV, JSON, SDMX, XLSX = "csv", "json", "sdmx.csv", "xlsx"
MEDIA_TYPES = {
    CSV: "text/csv; charset=utf-8",
    JSON: "application/json",
    SDMX: "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# What each kind of view can be downloaded as (a profile or flows span no single SDMX dataflow).
FORMATS = {"crosstab": (CSV, JSON, SDMX, XLSX), "flowmap": (CSV, JSON, XLSX), "profile": (CSV, JSON, XLSX)}


class DownloadError(TranslatedError):
    prefix = "downloads.error"


def _check(page: str, fmt: str) -> None:
    if fmt not in FORMATS[page]:
        raise DownloadError("format", format=fmt, allowed=", ".join(FORMATS[page]))


def _json(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, indent=1, default=str).encode("utf-8")


# -- cross-tab -----------------------------------------------------------------------------------------------

def crosstab_meta(result: xt.Crosstab, view: xt.View, lang: str, link: str = "") -> ExportMeta:
    return replace(result.export_meta(lang, view), link=link)


def crosstab_file(result: xt.Crosstab, view: xt.View, lang: str, fmt: str, link: str = "", *,
                 preamble: bool = True) -> bytes:
    """The cross-tab as on screen, as CSV (with its metadata), Excel, JSON (table, cells, citation) or SDMX-CSV."""
    _check("crosstab", fmt)
    if fmt == SDMX:
        return sdmx.data_csv(result, view)
    meta = crosstab_meta(result, view, lang, link)
    frame = result.export_frame(lang, view)
    if fmt == CSV:
        return csv_bytes(frame, meta if preamble else None)
    if fmt == XLSX:
        return excel_bytes(frame, meta)
    return _json({"meta": {"dataset": result.dataset.id, "measure": result.query.measure,
                           "percent": result.query.percent, "method": result.method,
                           **{label: value for label, value in meta.rows()}},
                  "citation": meta.citation(), "link": link,
                  "flags": result.flags_legend(lang),
                  "table": {"columns": list(frame.columns), "rows": frame.values.tolist()},
                  "cells": result.long(view).to_dicts()})


# -- flows ---------------------------------------------------------------------------------------------------

def flows_meta(result: fl.FlowResult, wh: Warehouse, lang: str, link: str = "") -> ExportMeta:
    ds = result.dataset
    first, last = result.query.period or ("", "")
    years = (int(first[:4]), int(last[:4])) if first[:4].isdecimal() and last[:4].isdecimal() else None
    used, _ = wh.selection_sources(ds.id, (), years)
    return replace(fl.export_meta(result, lang, wh.has_synthetic([ds.id])), link=link,
                   sources=citation.sources_of(used))


def flows_file(result: fl.FlowResult, wh: Warehouse, lang: str, fmt: str, link: str = "", *,
                 preamble: bool = True) -> bytes:
    """The flows shown, as the Flow map's table (CSV, Excel) or as records with totals and notes (JSON)."""
    _check("flowmap", fmt)
    meta = flows_meta(result, wh, lang, link)
    if fmt == CSV:
        return csv_bytes(fl.flow_table(result, lang), meta if preamble else None)
    if fmt == XLSX:
        return excel_bytes(fl.flow_table(result, lang), meta)
    query = result.query
    first, last = query.period or ("", "")  # always set on an answer (resolved); None only on a request
    return _json({
        "dataset": query.dataset_id, "role": query.role, "reading": fl.role_label(result.dataset, query.role, lang),
        "unit": result.unit, "weighted": result.weighted, "direction": query.direction,
        "countries": list(query.countries), "period": {"first": first, "last": last},
        "filters": {column: list(codes) for column, codes in query.filters}, "top": query.top,
        "matching_flows": result.matching, "matching_value": result.matching_value,
        "notes": fl.notes(result, lang), "flows": fl.records(result), "totals": result.totals.to_dicts(),
        "citation": meta.citation(), "link": link,
    })


# -- country profile -----------------------------------------------------------------------------------------

def profile_meta(prof: pr.Profile, lang: str, link: str = "") -> ExportMeta:
    title = f"{t('page.profile', lang)} — {prof.area.name(lang)}, {prof.period.text(lang)}"
    notes = [t("library.profile_units", lang)]
    notes += [t("profiles.not_additive", lang, figure=pr.figure_label(key, lang)) for key in prof.notes]
    return ExportMeta("", lang, title=title, notes=tuple(notes), synthetic=prof.synthetic, link=link,
                      sources=citation.sources_of(prof.sources))


def profile_frame(prof: pr.Profile, lang: str) -> pd.DataFrame:
    """The headline figures: what each is (label, code), its number as shown, and the numbers behind it."""
    rows = []
    for fig in prof.figures:
        rows.append({"label": pr.figure_label(fig.key, lang), "figure": fig.key,
                     "shown": pr.figure_value(fig, lang), "value": fig.value, "unit": fig.unit,
                     "period": fig.period, "previous_period": fig.previous_period,
                     "previous_value": fig.previous_value, "change": fig.change, "percent": fig.percent,
                     "flag": fig.flag, "cv": fig.cv, "n": fig.n, "mark": fig.mark, "dataset": fig.dataset_id,
                     "source": pr.source_text([fig.dataset_id], fig.synthetic, lang)})
    return pd.DataFrame(rows)


def profile_file(prof: pr.Profile, lang: str, fmt: str, link: str = "", *,
                 preamble: bool = True) -> bytes:
    _check("profile", fmt)
    meta = profile_meta(prof, lang, link)
    frame = profile_frame(prof, lang)
    if fmt == CSV:
        return csv_bytes(frame, meta if preamble else None)
    if fmt == XLSX:
        return excel_bytes(frame, meta)
    return _json({"area": prof.area.code, "name": prof.area.name(lang), "period": prof.period.text(lang),
                  "meta": dict(meta.rows()), "citation": meta.citation(), "link": link,
                  "figures": frame.astype(object).where(frame.notna(), None).to_dict(orient="records")})
