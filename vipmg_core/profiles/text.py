"""A profile in words: labels, captions, values as shown, notes under charts and tables."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from vipmg_core import flows as fl
from vipmg_core import rules as data_rules
from vipmg_core.datasets import dataset
from vipmg_core.i18n import fmt_change, fmt_number, fmt_percent, t
from vipmg_core.indicators import indicator
from vipmg_core.profiles.compose import Profile
from vipmg_core.profiles.figures import Figure
from vipmg_core.profiles.living_conditions import CONDITIONS, Conditions
from vipmg_core.profiles.periods import period_text
from vipmg_core.profiles.population_pyramid import Pyramid
from vipmg_core.quality import rules


def figure_label(key: str, lang: str) -> str:
    """An indicator's name, as its declaration says (`standard/indicators.toml`)."""
    return t(indicator(key).label, lang)


def unit_badge(unit: str, lang: str) -> str:
    return t("unit.events_badge" if unit == "events" else "unit.persons_badge", lang)


def source_text(dataset_ids_: Iterable[str], synthetic: bool, lang: str) -> str:
    titles = ", ".join(dict.fromkeys(dataset(d).title(lang) for d in dataset_ids_))
    return f"{titles} ({t('profiles.demo', lang)})" if synthetic else titles


def change_text(fig: Figure, lang: str) -> str | None:
    """"+3.2 % since 2023" (None when there is no earlier period to compare with)."""
    if fig.change is None:
        return None
    return t("profiles.change", lang, change=fmt_change(fig.change, lang),
             previous=period_text(fig.previous_period or "", lang))


def figure_caption(fig: Figure, lang: str) -> str:
    """'Counts events, not persons · Arrivals and departures (demo data) · 2024' for under a figure."""
    parts = [unit_badge(fig.unit, lang), source_text([fig.dataset_id], fig.synthetic, lang),
             period_text(fig.period, lang)]
    if fig.flag is not None and not fig.percent:  # an admin count under the small-count rule
        parts.append(t("profiles.flag.small_count", lang, minimum=rules().admin_min_count))
    elif fig.flag is not None:
        parts.append(t(f"profiles.flag.{fig.flag}", lang) + (f" (n = {fig.n})" if fig.n is not None else ""))
    if fig.mark == data_rules.REDACTED:
        parts.append(t("crosstab.flag.redacted", lang))
    elif fig.mark == data_rules.LOWER_BOUND:
        parts.append(t("crosstab.flag.lower_bound", lang))
    return " · ".join(parts)


def figure_value(fig: Figure, lang: str) -> str:
    """The number as shown: grouped digits, a percentage with its sign, "≥ 1,234" where some parts were hidden
    by their publisher, the redaction symbol where all were, or the hidden-value symbol."""
    if fig.value is None:
        return data_rules.REDACTED_SYMBOL if fig.mark == data_rules.REDACTED else rules().symbol_suppressed
    return data_rules.marked(fmt_percent(fig.value, lang) if fig.percent else fmt_number(fig.value, lang), fig.mark)


def conditions_table(cond: Conditions, lang: str) -> pd.DataFrame:
    """The migrants-versus-natives figures with their quality, as a table (pandas) in `lang`."""
    ds = dataset(cond.dataset_id)
    columns = {spec.key: ds.column(spec.column) for spec in CONDITIONS if spec.column in ds.column_names}
    records = []
    for row in cond.cells.iter_rows(named=True):
        col = columns[row["condition"]]
        records.append({
            t("profiles.col.condition", lang): t(f"profiles.condition.{row['condition']}", lang),
            t("profiles.col.category", lang): col.codelist.name(row["code"], lang) if col.codelist else row["code"],
            t("profiles.col.group", lang): t(f"profiles.birth.{row['birth']}", lang),
            t("profiles.col.percent", lang): round(row["value"], 1) if row["value"] is not None else None,
            t("profiles.col.n", lang): row["n"],
            t("profiles.col.cv", lang): round(row["cv"], 1) if row["cv"] is not None else None,
            t("profiles.col.quality", lang): t(f"profiles.flag.{row['flag']}", lang),
        })
    return pd.DataFrame(records)


def _caution_note(lang: str) -> str:
    r = rules()
    return t("profiles.caution_cells", lang, low=fmt_number(r.cv_reliable_max, lang),
             high=fmt_number(r.cv_caution_max, lang))


def pyramid_notes(pyr: Pyramid, lang: str) -> list[str]:
    """How the pyramid was estimated, and what is hidden or pale in it."""
    r = rules()
    notes = [t(f"profiles.method_{pyr.method}", lang)]
    if pyr.grouping == "broad":
        notes.append(t("profiles.pyramid_broad", lang))
    hidden = pyr.hidden("native") + pyr.hidden("foreign")
    if hidden:
        notes.append(t("profiles.hidden_cells", lang, count=hidden, n=r.min_unweighted_n,
                       cv=fmt_number(r.cv_caution_max, lang)))
    return notes + [_caution_note(lang)]


def conditions_notes(cond: Conditions, lang: str) -> list[str]:
    return [t(f"profiles.method_{cond.method}", lang), _caution_note(lang)]


def flow_map_note(prof: Profile, lang: str) -> str:
    """Under the small flow map: what it shows, its source (and demo status), period and unit."""
    flow_map = prof.flow_map
    if flow_map is None or flow_map.query.period is None:
        return ""
    period = fl.period_label(*flow_map.query.period)
    source = source_text([flow_map.query.dataset_id], prof.flows_synthetic, lang)
    return (t("profiles.flow_map_caption", lang, period=period) + " "
            + t("profiles.chart.note", lang, source=source, period=period, unit=unit_badge("persons", lang)))
