"""A flow result as people read it, in their language: the flows and country totals tables, the notes a reader
needs, the export's metadata and plain records (CLI, notebooks)."""

from __future__ import annotations

import pandas as pd

from vipmg_core import disclosure, quality
from vipmg_core.codelists import UNKNOWN_COUNTRY, country_name
from vipmg_core.datasets import Dataset
from vipmg_core.exports import ExportMeta
from vipmg_core.flows.result import MIN_SAMPLE, FlowResult
from vipmg_core.flows.roles import code_label, role_label
from vipmg_core.i18n import fmt_number, t


def period_label(first: str, last: str) -> str:
    return first if first == last else f"{first}–{last}"


def value_header(ds: Dataset, lang: str) -> str:
    return t("flows.col_value", lang, unit=t(f"unit.{ds.unit}", lang))


def flow_label(origin: str, destination: str, value: float, period: str, unit: str, lang: str) -> str:
    """The tooltip of one arc: origin, destination, value with its unit, and period, in `lang`."""
    return t("flows.arc_label", lang, origin=country_name(origin, lang), destination=country_name(destination, lang),
             value=fmt_number(value, lang), unit=t(f"unit.{unit}", lang), period=period)


def flow_table(result: FlowResult, lang: str) -> pd.DataFrame:
    """The flows shown, as on screen and in the downloads: names, value, share, period, codes (and n)."""
    ds = result.dataset
    rows = []
    total = result.matching_value
    hidden = quality.rules().symbol_suppressed
    for row in result.flows.iter_rows(named=True):
        value = row["value"]
        entry = {
            t("flows.col_origin", lang): country_name(row["origin"], lang),
            t("flows.col_destination", lang): country_name(row["destination"], lang),
            value_header(ds, lang): hidden if value is None else round(value) if result.weighted else value,
            t("flows.col_share", lang): None if value is None or not total else round(100 * value / total, 1),
            t("flows.col_period", lang): period_label(row["first_period"], row["last_period"]),
        }
        if result.weighted:
            entry[t("flows.col_n", lang)] = row["n"]
        entry[t("flows.col_origin_code", lang)] = row["origin"]
        entry[t("flows.col_destination_code", lang)] = row["destination"]
        rows.append(entry)
    columns = [t("flows.col_origin", lang), t("flows.col_destination", lang), value_header(ds, lang),
               t("flows.col_share", lang), t("flows.col_period", lang)]
    columns += [t("flows.col_n", lang)] if result.weighted else []
    columns += [t("flows.col_origin_code", lang), t("flows.col_destination_code", lang)]
    return pd.DataFrame(rows, columns=columns)


def totals_table(result: FlowResult, lang: str) -> pd.DataFrame:
    unit = t(f"unit.{result.unit}", lang)
    frame = result.totals
    return pd.DataFrame({
        t("flows.col_country", lang): [country_name(c, lang) for c in frame["country"]],
        t("flows.col_in", lang, unit=unit): frame["incoming"].to_list(),
        t("flows.col_out", lang, unit=unit): frame["outgoing"].to_list(),
        t("flows.col_net", lang, unit=unit): frame["net"].to_list(),
        t("flows.col_code", lang): frame["country"].to_list(),
    })



def describe_filters(result: FlowResult, lang: str) -> dict[str, list[str]]:
    """The choices behind a result, as (label -> names) for the export's metadata."""
    ds, query = result.dataset, result.query
    chosen = {
        t("flows.role", lang): [role_label(ds, query.role, lang)],
        t("flows.period", lang): [period_label(*query.period)] if query.period else [],
        t("flows.direction", lang): [t(f"flows.direction_{query.direction}", lang)],
        t("flows.countries", lang): [country_name(c, lang) for c in query.countries] or [t("flows.all", lang)],
        t("flows.top", lang): [str(query.top) if query.top else t("flows.all", lang)],
    }
    for column, codes in query.filters:
        col = ds.column(column)
        chosen[col.label(lang)] = [code_label(col, c, lang) for c in codes]
    return chosen


def notes(result: FlowResult, lang: str) -> list[str]:
    """What a reader must know to read these numbers right."""
    ds = result.dataset
    found = [t("flows.note_same_country", lang)]
    if ds.counts_events:
        found.insert(0, f"{t('unit.events_badge', lang)} — {ds.unit_detail(lang)}")
    if result.stock and result.query.period and result.query.period[0] != result.query.period[1]:
        found.append(t("flows.note_stock_range", lang))
    elif not result.stock and result.query.period and result.query.period[0] != result.query.period[1]:
        found.append(t("flows.note_events_range", lang))
    if result.weighted:
        found.append(t("flows.note_weighted", lang, min=MIN_SAMPLE))
    rule_kind = disclosure.kind(ds)
    if rule_kind is not None and (result.flows["value"].is_null().any() or result.totals["incoming"].is_null().any()
                                  or result.totals["outgoing"].is_null().any() or result.matching_value is None):
        rule = quality.rules()
        key = "flows.note_suppressed_count" if rule_kind == disclosure.COUNT else "flows.note_suppressed_estimate"
        found.append(t(key, lang, symbol=rule.symbol_suppressed, min_count=rule.admin_min_count,
                       n=rule.min_unweighted_n, cv=fmt_number(rule.cv_caution_max, lang)))
    undrawn = result.undrawn
    if undrawn.height:
        value = fmt_number(float(undrawn["value"].sum()), lang)
        found.append(t("flows.note_undrawn", lang, count=undrawn.height, value=value,
                       unit=t(f"unit.{result.unit}", lang), names=country_name(UNKNOWN_COUNTRY, lang)))
    return found


def export_meta(result: FlowResult, lang: str, synthetic: bool) -> ExportMeta:
    ds = result.dataset
    method = t("flows.method_weighted" if result.weighted else "flows.method_sum", lang,
               measure=(ds.measure.label(lang) if ds.measure else ""))
    return ExportMeta(
        dataset_id=ds.id,
        lang=lang,
        title=f"{t('page.flowmap', lang)}: {ds.title(lang)}",
        filters=describe_filters(result, lang),
        method=method,
        notes=tuple(notes(result, lang)),
        synthetic=synthetic,
    )


def records(result: FlowResult) -> list[dict[str, object]]:
    """The flows as plain records (CLI JSON, notebooks): codes, value, unit, period[, n]; a hidden flow's value
    (and n) is None."""
    out = []
    for row in result.flows.iter_rows(named=True):
        record = {"origin": row["origin"], "destination": row["destination"], "value": row["value"],
                  "unit": result.unit, "first_period": row["first_period"], "last_period": row["last_period"]}
        if result.weighted:
            record["n"] = row["n"]
        out.append(record)
    return out



def low_sample_count(result: FlowResult) -> int:
    """How many of the flows shown rest on fewer than MIN_SAMPLE sample records (0 for aggregates)."""
    if not result.weighted or not result.flows.height:
        return 0
    return int((result.flows["n"] < MIN_SAMPLE).sum())  # 0 since such flows are hidden; kept for old callers
