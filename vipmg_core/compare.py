"""Regional comparison: one indicator across countries, side by side, saying where they do not compare.

    from vipmg_core.compare import compare
    c = compare(wh, "arrivals", ["CRI", "PAN", "NIC"], parse_period("2024"))
    c.rows           # country, value, period, previous, change, flag, n, cv, synthetic, dataset, publishers
    c.caveats        # what a reader must know: definitions from the dataset metadata, different sources,
                     # national definitions sent with the data, different periods, demo data, missing countries

Each country's figure is computed exactly as its profile computes it (`vipmg_core.profiles`), so the
comparison and the profiles never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
import polars as pl

from vipmg_core import indicators as declared
from vipmg_core import rules as data_rules
from vipmg_core.codelists import country_name
from vipmg_core.datasets import dataset
from vipmg_core.exports import ExportMeta
from vipmg_core.i18n import fmt_number, t
from vipmg_core.indicators import Indicator
from vipmg_core.kept import Kept
from vipmg_core.profiles import (
    LATEST,
    Figure,
    Period,
    ProfileError,
    figure_from,
    figure_label,
    immigrant_share,
    period_text,
    series,
    source_text,
    unit_badge,
)
from vipmg_core.quality import CAUTION, SUPPRESSED, rules
from vipmg_core.warehouse import Warehouse

ROW_SCHEMA = {"country": pl.String, "value": pl.Float64, "period": pl.String, "previous_period": pl.String,
              "previous_value": pl.Float64, "change": pl.Float64, "flag": pl.String, "n": pl.Int64,
              "cv": pl.Float64, "synthetic": pl.Boolean, "dataset_id": pl.String, "publishers": pl.String,
              "mark": pl.String}  # mark: rules.REDACTED / rules.LOWER_BOUND (some parts hidden by their publisher)


# A caveat's value: text, or words made in the reader's language (country names, lists).
Words = str | Callable[[str], str]


@dataclass(frozen=True)
class Caveat:
    """Something that makes the countries' figures less comparable, as a message key and its values."""

    key: str
    values: tuple[tuple[str, Words], ...] = ()

    def message(self, lang: str) -> str:
        values = dict(self.values)
        # Values that are lists of (message key, parameters) are translated here, in the reader's language.
        return t(f"compare.caveat.{self.key}", lang, **{k: _words(v, lang) for k, v in values.items()})


def _words(value: Words, lang: str) -> str:
    if isinstance(value, str):
        return value
    return str(value(lang)) if callable(value) else str(value)


@dataclass(frozen=True)
class Comparison:
    indicator: str
    unit: str  # events or persons
    percent: bool
    period: Period
    countries: tuple[str, ...]
    rows: pl.DataFrame  # one row per country with data (ROW_SCHEMA)
    caveats: tuple[Caveat, ...]

    @property
    def missing(self) -> list[str]:
        return [c for c in self.countries if c not in set(self.rows["country"])]

    @property
    def dataset_ids(self) -> list[str]:
        return list(dict.fromkeys(self.rows["dataset_id"]))

    @property
    def synthetic(self) -> bool:
        return bool(self.rows["synthetic"].any()) if self.rows.height else False

    def title(self, lang: str) -> str:
        return t("profiles.chart.compare", lang, indicator=figure_label(self.indicator, lang))

    def periods_label(self) -> str:
        periods = sorted(set(self.rows["period"]))
        return periods[0] if len(periods) == 1 else f"{periods[0]} … {periods[-1]}" if periods else ""

    def subtitle(self, lang: str) -> str:
        return t("profiles.chart.note", lang, source=source_text(self.dataset_ids, self.synthetic, lang),
                 period=period_text(self.periods_label(), lang), unit=unit_badge(self.unit, lang))

    def axis(self, lang: str) -> str:
        if self.percent:
            return t("compare.percent_axis", lang)
        return t(f"unit.{self.unit}", lang).capitalize()


def indicators() -> list[str]:
    """The indicators the comparison offers, in their declared order (`standard/indicators.toml`)."""
    return list(declared.keys("compare"))


def compare(wh: Warehouse, indicator: str, countries: Sequence[str], period: Period = LATEST) -> Comparison:
    """`indicator` for each of `countries` (ISO3), read as each country's profile reads it."""
    if indicator not in declared.keys("compare"):
        raise ProfileError("indicator", indicator=indicator, known=", ".join(declared.keys("compare")))
    ind = declared.indicator(indicator)
    codes = tuple(dict.fromkeys(c.strip().upper() for c in countries if c and c.strip()))
    if not codes:
        raise ProfileError("no_countries")
    if ind.is_estimate:
        found = [immigrant_share(wh, [country], period) for country in codes]
    else:
        s = series(wh, ind, codes)
        found = [figure_from(wh, s, period, [country]) for country in codes] if s is not None else []
    figures = [f for f in found if f is not None]
    rows = pl.DataFrame([_row(f) for f in figures], schema=ROW_SCHEMA, orient="row") if figures else \
        pl.DataFrame(schema=ROW_SCHEMA)
    order = {c: i for i, c in enumerate(codes)}
    rows = rows.sort(pl.col("country").replace_strict(order, default=len(order), return_dtype=pl.Int64))
    return Comparison(indicator, ind.counted, ind.percent, period, codes, rows,
                      tuple(_caveats(wh, ind, figures, codes)))


_KEPT: Kept[Comparison] = Kept(64)


def kept_comparison(wh: Warehouse, indicator: str, countries: Sequence[str], period: Period = LATEST
                    ) -> Comparison:
    """`compare`, computed once per state of the warehouse and kept for every session (`vipmg_core.kept`)."""
    key = (str(wh.root), wh.state_token(), indicator, tuple(countries), period)
    return _KEPT.get(key, lambda: compare(wh, indicator, countries, period))


def _row(fig: Figure) -> tuple:
    publishers = "; ".join(dict.fromkeys(f"{s.publisher}{' · ' + s.edition if s.edition else ''}" for s in fig.sources))
    return (fig.areas[0], fig.value, fig.period, fig.previous_period, fig.previous_value, fig.change, fig.flag, fig.n,
            fig.cv, fig.synthetic, fig.dataset_id, publishers, fig.mark)


def _names(codes: Iterable[str], lang: str) -> str:
    return ", ".join(country_name(c, lang) for c in codes)


def _caveats(wh: Warehouse, ind: Indicator, figures: list[Figure], countries: Sequence[str]) -> list[Caveat]:
    found: list[Caveat] = []
    # 1. What the dataset declarations say about comparability (their notes), for every dataset used.
    for dataset_id in dict.fromkeys(f.dataset_id for f in figures):
        ds = dataset(dataset_id)
        found.append(Caveat("definition", (("dataset", ds.title), ("notes", ds.notes))))
    if not ind.additive:
        found.append(Caveat("not_additive"))
    # 2. Figures from different datasets or publishers (a survey here, a census there; a ministry, UN DESA).
    by_source: dict[tuple[str, str], list[str]] = {}
    for fig in figures:
        for source in fig.sources:
            key = (fig.dataset_id, source.publisher)
            if fig.areas[0] not in by_source.setdefault(key, []):
                by_source[key].append(fig.areas[0])
    if len(by_source) > 1:
        parts = [(dataset_id, publisher, tuple(codes)) for (dataset_id, publisher), codes in by_source.items()]
        found.append(Caveat("sources", (("list", _SourceList(tuple(parts))),)))
    # 3. National definitions sent with the data (a submission's "definitions" field).
    for country, text in _national_definitions(wh, figures).items():
        found.append(Caveat("national", (("country", _CountryName(country)), ("text", text))))
    # 4. Different reference periods (census rounds, incomplete years).
    periods: dict[str, list[str]] = {}
    for fig in figures:
        periods.setdefault(fig.period, []).append(fig.areas[0])
    if len(periods) > 1:
        listed = _PeriodList(tuple((p, tuple(c)) for p, c in sorted(periods.items())))
        found.append(Caveat("periods", (("list", listed),)))
    # 5. Estimates with reliability flags, demo data, and countries with nothing published.
    if any(f.flag in (CAUTION, SUPPRESSED) for f in figures):
        r = rules()
        found.append(Caveat("estimates", (("low", fmt_number(r.cv_reliable_max)),
                                          ("high", fmt_number(r.cv_caution_max)), ("n", str(r.min_unweighted_n)))))
    # 6. Figures that include values hidden by their publisher: lower bounds, or nothing but hidden values.
    for mark in (data_rules.LOWER_BOUND, data_rules.REDACTED):
        marked = [f.areas[0] for f in figures if f.mark == mark]
        if marked:
            found.append(Caveat(mark, (("countries", _CountryList(tuple(marked))),
                                       ("symbol", data_rules.LOWER_BOUND_MARK if mark == data_rules.LOWER_BOUND
                                        else data_rules.REDACTED_SYMBOL))))
    demo = [f.areas[0] for f in figures if f.synthetic]
    if demo:
        found.append(Caveat("demo", (("countries", _CountryList(tuple(demo))),)))
    have = {f.areas[0] for f in figures}
    missing = [c for c in countries if c not in have]
    if missing:
        found.append(Caveat("missing", (("countries", _CountryList(tuple(missing))),)))
    return found


@dataclass(frozen=True)
class _CountryName:
    code: str

    def __call__(self, lang: str) -> str:
        return country_name(self.code, lang)


@dataclass(frozen=True)
class _CountryList:
    codes: tuple[str, ...]

    def __call__(self, lang: str) -> str:
        return _names(self.codes, lang)


@dataclass(frozen=True)
class _SourceList:
    parts: tuple[tuple[str, str, tuple[str, ...]], ...]

    def __call__(self, lang: str) -> str:
        return "; ".join(f"{dataset(d).title(lang)} — {p}: {_names(c, lang)}" for d, p, c in self.parts)


@dataclass(frozen=True)
class _PeriodList:
    parts: tuple[tuple[str, tuple[str, ...]], ...]

    def __call__(self, lang: str) -> str:
        return "; ".join(f"{period_text(p, lang)}: {_names(c, lang)}" for p, c in self.parts)


def _national_definitions(wh: Warehouse, figures: list[Figure]) -> dict[str, str]:
    """Definitions a focal point sent with the data now published (the submission's metadata), by country."""
    releases = {s.release_id: f.areas[0] for f in figures for s in f.sources}
    if not releases:
        return {}
    marks = ", ".join("?" for _ in releases)
    rows = wh.catalogue.query(
        f"SELECT release_id, definitions FROM submissions WHERE release_id IN ({marks})"
        " AND status = 'published' AND TRIM(definitions) <> '' ORDER BY release_id", tuple(releases))
    found: dict[str, str] = {}
    for row in rows:
        country = releases[row["release_id"]]
        found[country] = "; ".join(dict.fromkeys(filter(None, [found.get(country), row["definitions"].strip()])))
    return found


# --- what people read ---------------------------------------------------------------------------------------

def table(c: Comparison, lang: str) -> pd.DataFrame:
    """The comparison as shown and downloaded: names, value, period, change, reliability, n, CV, source, demo."""
    value_header = t("compare.col_value", lang, unit=t("compare.percent_unit", lang) if c.percent
                     else t(f"unit.{c.unit}", lang))
    yes, no = t("compare.yes", lang), t("compare.no", lang)
    records = []
    for row in c.rows.iter_rows(named=True):
        value = row["value"]
        records.append({
            t("compare.col_country", lang): country_name(row["country"], lang),
            value_header: (round(value, 1) if c.percent else round(value)) if value is not None else None,
            t("compare.col_mark", lang): _mark_text(row["mark"], lang),
            t("compare.col_period", lang): period_text(row["period"], lang),
            t("compare.col_previous", lang): period_text(row["previous_period"] or "", lang),
            t("compare.col_change", lang): round(100 * row["change"], 1) if row["change"] is not None else None,
            t("compare.col_quality", lang): t(f"profiles.flag.{row['flag']}", lang) if row["flag"] else "",
            t("compare.col_n", lang): row["n"],
            t("compare.col_cv", lang): round(row["cv"], 1) if row["cv"] is not None else None,
            t("compare.col_source", lang): f"{dataset(row['dataset_id']).title(lang)} — {row['publishers']}",
            t("compare.col_demo", lang): yes if row["synthetic"] else no,
            t("compare.col_code", lang): row["country"],
        })
    frame = pd.DataFrame(records, columns=[
        t("compare.col_country", lang), value_header, t("compare.col_mark", lang), t("compare.col_period", lang),
        t("compare.col_previous", lang),
        t("compare.col_change", lang), t("compare.col_quality", lang), t("compare.col_n", lang),
        t("compare.col_cv", lang), t("compare.col_source", lang), t("compare.col_demo", lang),
        t("compare.col_code", lang)])
    if not c.percent:  # quality columns only mean something for survey and census estimates
        frame = frame.drop(columns=[t(f"compare.col_{k}", lang) for k in ("quality", "n", "cv")])
    if not c.rows["mark"].is_not_null().any():  # every figure exact: no column saying which are not
        frame = frame.drop(columns=[t("compare.col_mark", lang)])
    if frame[t("compare.col_change", lang)].isna().all():  # a single survey round: nothing to compare with
        frame = frame.drop(columns=[t("compare.col_previous", lang), t("compare.col_change", lang)])
    numeric = [value_header, t("compare.col_change", lang), t("compare.col_n", lang), t("compare.col_cv", lang)]
    for column in (c for c in numeric if c in frame.columns):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def _mark_text(mark: str | None, lang: str) -> str:
    """Beside a value in the table: "≥ (at least)" for a lower bound, the redaction symbol where every value was
    hidden by its publisher (the value column is then empty, never 0)."""
    if mark == data_rules.LOWER_BOUND:
        return f"{data_rules.LOWER_BOUND_MARK} ({t('crosstab.flag.lower_bound', lang)})"
    if mark == data_rules.REDACTED:
        return f"{data_rules.REDACTED_SYMBOL} ({t('crosstab.flag.redacted', lang)})"
    return ""


def export_meta(c: Comparison, lang: str) -> ExportMeta:
    dataset_id = c.dataset_ids[0] if c.dataset_ids else declared.indicator(c.indicator).datasets[0]
    r = rules()
    legend = {}
    if c.percent:
        legend = {t("profiles.flag.caution", lang): t("compare.legend_caution", lang, low=fmt_number(r.cv_reliable_max),
                                                       high=fmt_number(r.cv_caution_max))}
    return ExportMeta(
        dataset_id=dataset_id, lang=lang, title=f"{c.title(lang)} ({c.periods_label()})",
        filters={t("compare.col_country", lang): [country_name(x, lang) for x in c.countries]},
        method=t("compare.method", lang),
        notes=tuple([unit_badge(c.unit, lang)] + [k.message(lang) for k in c.caveats]),
        flags_legend=legend, synthetic=c.synthetic,
        provenance=tuple(dict.fromkeys(f"{country_name(row['country'], lang)}: {row['publishers']}"
                                       for row in c.rows.iter_rows(named=True))),
    )
