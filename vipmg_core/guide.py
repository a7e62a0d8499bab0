"""The Guide: what each dataset is, what one row means, which codes to use, a correct example file, the rules the
validator applies, a glossary and how to send a first file, in Spanish and English.

Everything dataset-specific is generated from the declarations (`standard/datasets/*.toml`, the codelists) and
the validator's own rule table (`validation.PROBLEMS`), so the guide cannot drift from what is checked: a new
dataset declaration gets its entry, and a new rule code without a guide entry fails the tests. The page and the
offline HTML file render the same sections (Markdown); only the surrounding words live in `locales/guide.toml`.
"""

from __future__ import annotations

import base64
import csv
import html as _html
import io
import itertools
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from vipmg_core import quality
from vipmg_core import rules as data_rules
from vipmg_core import validation as val
from vipmg_core.codelists import Codelist, country_name
from vipmg_core.config import PROJECT_DIR
from vipmg_core.datasets import Column, Dataset, datasets
from vipmg_core.i18n import t

PAGE = "guide"  # the page's url_path (pages/guide.py)
EXAMPLE_COUNTRY = "CRI"
EXAMPLE_ROWS = 6
SCREENSHOT_DIR = PROJECT_DIR / "docs" / "guide"
GLOSSARY = ("stock", "events", "weight", "cv", "suppression", "provenance")
STEPS = 7
_SHORT_LIST = 12  # codelists up to this size are listed whole

# Which codes an example row prefers, per codelist: realistic for the region (main origins, working ages,
# persons who are foreign-born). Codelists not named here take their codes in order, totals and unknowns last.
_PREFERRED: dict[str, tuple[str, ...]] = {
    "country": ("NIC", "VEN", "COL", "USA", "HND", "CUB", "HTI", "PAN", "SLV", "GTM"),
    "sex": ("F", "M"),
    "age_group": ("Y25T29", "Y30T34", "Y20T24", "Y35T39", "Y15T19", "Y40T44"),
    "migrant_status": ("FOREIGN_BORN",),
    "labour_status": ("EMP", "EMP", "UNE", "OLF"),
    "education": ("ISCED3", "ISCED2", "ISCED1", "ISCED6"),
    "yes_no": ("N", "Y"),
    "population_type": ("REF", "ASY"),
    "minor_status": ("ADULT", "ACCOMPANIED", "UNACCOMPANIED"),
}
_COUNTS = (1240, 387, 2215, 96, 518, 1473, 64, 832)
_WEIGHTS = (152.4, 98.7, 210.3, 131.0, 87.5, 176.2)
_AGES = (34, 27, 41, 19, 52, 38)
_PERIODS = {"month": ("2024-06", "2024-05"), "year": ("2023", "2022"), "quarter": ("2024-Q2", "2024-Q1")}


@dataclass(frozen=True)
class Section:
    """One entry of the guide: a heading with its anchor, a Markdown body, and an optional file to download."""

    anchor: str
    title: str
    body: str
    level: int = 2
    download: tuple[str, bytes] | None = None  # (file name, CSV bytes)


# --- anchors and links --------------------------------------------------------------------------------------

def rule_anchor(code: str) -> str:
    return f"rule-{code}"


def dataset_anchor(dataset_id: str) -> str:
    return f"dataset-{dataset_id.replace('_', '-')}"


def rule_link(code: str, lang: str) -> str:
    """Where a report's problem points: the guide page, opened on that rule (relative to the app's pages)."""
    return f"{PAGE}?lang={lang}&rule={code}#{rule_anchor(code)}"


def rule_codes() -> list[str]:
    """Every code the validator can report (its rule table), in the table's order."""
    return list(val.PROBLEMS)


def report_table(report: val.Report, lang: str):
    """The report's problem table (pandas) with one more column: the link to each problem's guide entry."""
    table = report.table(lang).to_pandas()
    table[t("guide.col_guide", lang)] = [rule_link(code, lang) for code in report.problems["code"].to_list()]
    return table


# --- example files ------------------------------------------------------------------------------------------

def _options(col: Column, ds: Dataset, country: str) -> list[str]:
    """The values an example row may take in a column, most realistic first."""
    if col.name == ds.area_column:
        return [country]
    if col.type == "period":
        return list(_PERIODS.get(ds.time_format, _PERIODS["year"]))
    if col.type == "code":
        codes = col.codelist
        assert codes is not None
        preferred = [c for c in _PREFERRED.get(codes.id, ()) if c in codes and c != country]
        if not preferred:
            plain = [c.code for c in codes if not c.code.startswith("_") and c.code != "OOO"]
            preferred = plain[:4] or [c.code for c in codes][:1]
        return preferred
    return []


def _scalar(col: Column, i: int) -> str:
    """An example value for a column that is not a code or a period."""
    if col.type == "count":
        return str(_COUNTS[i % len(_COUNTS)])
    if col.type == "number":
        value = _WEIGHTS[i % len(_WEIGHTS)]
        low = col.minimum if col.minimum is not None else value
        return f"{max(value, low):.1f}"
    if col.type == "integer":
        if col.minimum is not None and col.minimum >= 1900:  # a calendar year
            return str(2015 + i % 8)
        value = _AGES[i % len(_AGES)]
        if col.minimum is not None:
            value = max(value, int(col.minimum))
        if col.maximum is not None:
            value = min(value, int(col.maximum))
        return str(value)
    return f"{col.name[:3].upper()}{i // 2 + 1:03d}"  # identifiers: two people per household, stratum, PSU


def example_columns(ds: Dataset) -> list[Column]:
    """The columns an example file has: all but those the platform derives from another one it has (age group
    from age), as a focal point would send them."""
    return [c for c in ds.columns if not c.derived_from]


def example_rows(ds: Dataset, country: str = EXAMPLE_COUNTRY, n: int = EXAMPLE_ROWS) -> list[dict[str, str]]:
    """A few realistic rows of `ds` for `country` that pass the validator: built from the declaration alone.

    Coded columns and the period take realistic values; in aggregate data every row is a different combination
    of dimensions (the key must not repeat): the other dimensions change in step, then the period if needed.
    """
    columns = example_columns(ds)
    keyed = [c for c in columns if c.type in ("code", "period")]
    options = {c.name: _options(c, ds, country) for c in keyed}
    steady = [c.name for c in keyed if c.type == "period" or c.name == ds.area_column]
    moving = [c.name for c in keyed if c.name not in steady]

    def candidates():
        for fixed in itertools.product(*(options[s] for s in steady)):
            base = dict(zip(steady, fixed))
            for i in range(n):
                yield base | {m: options[m][i % len(options[m])] for m in moving}
            for combo in itertools.product(*(options[m] for m in moving)):
                yield base | dict(zip(moving, combo))

    chosen: list[dict[str, str]] = []
    seen: set[tuple[str, ...]] = set()
    for combo in candidates():
        key = tuple(combo[k] for k in steady + moving)
        if key not in seen:
            seen.add(key)
            chosen.append(combo)
        if len(chosen) == n:
            break
    return [{c.name: combo[c.name] if c.name in combo else _scalar(c, i) for c in columns}
            for i, combo in enumerate(chosen)]


def example_csv(ds: Dataset, country: str = EXAMPLE_COUNTRY) -> bytes:
    """The example rows as a CSV with the canonical headers, UTF-8 with a BOM (Excel opens accents correctly)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[c.name for c in example_columns(ds)], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(example_rows(ds, country))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def example_file_name(ds: Dataset) -> str:
    return f"{ds.id}_example.csv"


# --- dataset entries ----------------------------------------------------------------------------------------

def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _codes_text(codes: Codelist, lang: str, shown: list[str]) -> str:
    if codes.id == "country":
        sample = "; ".join(f"{c} = {codes.name(c, lang)}" for c in shown[:3])
        return t("guide.dataset.country_codes", lang, codes=sample, count=len(codes))
    if len(codes) <= _SHORT_LIST:
        return "; ".join(f"{c.code} = {c.name(lang)}" for c in codes)
    picked = [c for c in shown if c in codes][:3] or [c.code for c in codes][:3]
    return t("guide.dataset.codes_many", lang, count=len(codes),
             codes="; ".join(f"{c} = {codes.name(c, lang)}" for c in picked))


def _bounds(col: Column, lang: str) -> str:
    low = None if col.minimum is None else val.plain_number(col.minimum)
    high = None if col.maximum is None else val.plain_number(col.maximum)
    if low is not None and high is not None:
        return t("guide.dataset.range", lang, low=low, high=high)
    if low is not None:
        return t("guide.dataset.minimum", lang, low=low)
    if high is not None:
        return t("guide.dataset.maximum", lang, high=high)
    return ""


def _columns_table(ds: Dataset, rows: list[dict[str, str]], lang: str) -> str:
    heads = [t(f"guide.dataset.col_{k}", lang) for k in ("name", "label", "type", "required", "codes", "example")]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for col in ds.columns:
        examples = list(dict.fromkeys(r[col.name] for r in rows if col.name in r))
        if col.codelist is not None:
            codes = _codes_text(col.codelist, lang, examples)
        elif col.type == "period":
            codes = t(f"guide.period_format.{ds.time_format}", lang)
        else:
            codes = _bounds(col, lang)
        required = (t("guide.dataset.derived", lang, source=col.derived_from) if col.derived_from
                    else t("guide.dataset.yes" if col.required else "guide.dataset.no", lang))
        cells = [f"`{col.name}`", col.label(lang), t(f"guide.type.{col.type}", lang), required, codes,
                 ", ".join(f"`{e}`" for e in examples[:3])]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def _link(code: str, lang: str) -> str:
    return f"[{t(f'problem.{val.message_key(code)}.title', lang)}](#{rule_anchor(code)})"


def mistakes(ds: Dataset, lang: str) -> list[tuple[str, str]]:
    """(rule code, what goes wrong in this dataset): the rules that apply to it, said with its own columns."""
    out: list[tuple[str, str]] = []
    required = [c.name for c in ds.columns if c.required and not c.derived_from]
    out.append(("missing-column", t("guide.mistake.missing_column", lang, columns=", ".join(required))))
    for col in ds.columns:
        if col.type == "code" and col.codelist_id:
            out.append(("unknown-code", t("guide.mistake.unknown_code_plain", lang, column=col.name,
                                          list=col.codelist_id)))
            break
    time_col = ds.column(ds.time_column)
    fmt = t(f"guide.period_format.{ds.time_format}", lang)
    out.append(("type-error", t("guide.mistake.type_error_period", lang, column=time_col.name, format=fmt)))
    numeric = [c for c in ds.columns if c.type in ("count", "number", "integer")]
    if numeric:
        out.append(("type-error", t("guide.mistake.type_error_number", lang, column=numeric[0].name)))
    for col in numeric:
        bounds = _bounds(col, lang) or (t("guide.dataset.minimum", lang, low="0") if col.type == "count" else "")
        if bounds:
            out.append(("out-of-range", t("guide.mistake.out_of_range", lang, column=col.name, range=bounds)))
    out.append(("missing-value", t("guide.mistake.missing_value", lang, columns=", ".join(required))))
    out.append(("other-country", t("guide.mistake.other_country", lang, column=ds.area_column)))
    out.append(("future-period", t("guide.mistake.future_period", lang, column=ds.time_column)))
    if ds.kind == "aggregate":
        keys = [c.name for c in ds.dimensions]
        out.append(("duplicate-key", t("guide.mistake.duplicate_key", lang, columns=", ".join(keys))))
        totals = data_rules.total_columns(ds)
        if totals:
            out.append(("total-mismatch", t("guide.mistake.total_mismatch", lang, columns=", ".join(totals))))
        out.append(("total-row", t("guide.mistake.total_row", lang)))
    return out


def dataset_section(ds: Dataset, lang: str, country: str = EXAMPLE_COUNTRY) -> Section:
    rows = example_rows(ds, country)
    unit = t(f"guide.dataset.{ds.unit}", lang, detail=ds.unit_detail(lang))
    if ds.is_microdata:
        shape = t("guide.dataset.microdata", lang, weight=ds.weight)
        design = [c for c in (ds.strata, ds.psu) if c]
        if design:
            shape += " " + t("guide.dataset.design", lang, columns="», «".join(design) if lang == "es"
                              else '", "'.join(design))
    else:
        shape = t("guide.dataset.aggregate", lang, measure=ds.measure.name if ds.measure else "")
    period = t("guide.dataset.period", lang, format=t(f"guide.period_format.{ds.time_format}", lang))
    parts = [
        f"**{t('guide.dataset.one_row', lang)}.** {ds.grain(lang)}.",
        f"**{t('guide.dataset.what', lang)}.** {ds.definition(lang)}",
        f"**{t('guide.dataset.counts', lang)}.** {unit}",
        f"{shape} {period}",
    ]
    if ds.notes(lang):
        parts.append(f"**{t('guide.dataset.notes', lang)}.** {ds.notes(lang)}")
    parts.append(f"**{t('guide.dataset.columns', lang)}**\n\n{_columns_table(ds, rows, lang)}")
    synonyms = [s for c in ds.columns for s in c.synonyms[:1]]
    if synonyms:
        parts.append(t("guide.dataset.synonyms", lang, names=", ".join(f"«{s}»" if lang == "es" else f'"{s}"'
                                                                         for s in synonyms)))
    parts.append(f"**{t('guide.dataset.mistakes', lang)}**\n\n"
                 + "\n".join(f"- {text} → {_link(code, lang)}" for code, text in mistakes(ds, lang)))
    parts.append(f"**{t('guide.dataset.example', lang)}.** "
                 + t("guide.dataset.example_help", lang, country=country_name(country, lang)))
    names = [c.name for c in example_columns(ds)]
    header = "| " + " | ".join(names) + " |\n|" + "---|" * len(names)
    parts.append(header + "\n" + "\n".join("| " + " | ".join(_cell(r[c]) for c in names) + " |" for r in rows))
    return Section(dataset_anchor(ds.id), ds.title(lang), "\n\n".join(parts), level=3,
                   download=(example_file_name(ds), example_csv(ds, country)))


# --- rules, glossary, first file ------------------------------------------------------------------------------

def rule_section(code: str, lang: str) -> Section:
    severity, group = val.PROBLEMS[code]
    key = val.message_key(code)
    effect = t("guide.rule.blocks" if severity == val.ERROR else "guide.rule.warns", lang)
    applies = [ds for ds in datasets() if any(c == code for c, _text in mistakes(ds, lang))]
    where = (", ".join(f"[{ds.title(lang)}](#{dataset_anchor(ds.id)})" for ds in applies)
             if applies and len(applies) < len(datasets()) else t("guide.rule.all_datasets", lang))
    body = "\n\n".join([
        (f"`{code}` · **{t('guide.rule.severity', lang)}:** {t(f'report.severity_{severity}', lang)} ({effect}) · "
         f"**{t('guide.rule.group', lang)}:** {t(f'guide.group.{group}', lang)}"),
        f"**{t('guide.rule.meaning', lang)}.** {t(f'guide.explain.{key}', lang)}",
        f"**{t('guide.rule.fix', lang)}.** {t(f'problem.{key}.fix', lang)}",
        f"**{t('guide.rule.applies', lang)}:** {where}",
    ])
    return Section(rule_anchor(code), t(f"problem.{key}.title", lang), body, level=3)


def glossary_sections(lang: str) -> list[Section]:
    rules = quality.rules()
    values = {"reliable": val.plain_number(rules.cv_reliable_max), "caution": val.plain_number(rules.cv_caution_max),
              "min_n": rules.min_unweighted_n, "caution_symbol": rules.symbol_caution,
              "suppressed_symbol": rules.symbol_suppressed, "min_count": rules.admin_min_count}
    return [Section(f"glossary-{term}", t(f"guide.glossary.{term}_term", lang),
                    t(f"guide.glossary.{term}", lang, **values), level=3) for term in GLOSSARY]


def screenshots(lang: str) -> dict[int, Path]:
    """The screenshots of the first-file steps in `lang` (docs/guide/step<N>_<lang>.png, taken by
    tools/guide_screenshots.py), by step number."""
    found = {}
    for path in SCREENSHOT_DIR.glob(f"step*_{lang}.png"):
        step = path.stem.removeprefix("step").split("_")[0]
        if step.isdigit():
            found[int(step)] = path
    return dict(sorted(found.items()))


def first_file_section(lang: str) -> Section:
    steps = "\n".join(f"{i}. {t(f'guide.steps.s{i}', lang)}" for i in range(1, STEPS + 1))
    return Section("first-file", t("guide.section.first_file", lang), f"{t('guide.steps.intro', lang)}\n\n{steps}")


def sections(lang: str, country: str = EXAMPLE_COUNTRY) -> list[Section]:
    """The whole guide, in reading order: first file, datasets, rules, glossary."""
    return [
        first_file_section(lang),
        Section("datasets", t("guide.section.datasets", lang), ""),
        *(dataset_section(ds, lang, country) for ds in datasets()),
        Section("rules", t("guide.section.rules", lang), t("guide.rule.intro", lang)),
        *(rule_section(code, lang) for code in rule_codes()),
        Section("glossary", t("guide.section.glossary", lang), ""),
        *glossary_sections(lang),
    ]


# --- the offline file ---------------------------------------------------------------------------------------

_md = MarkdownIt("commonmark", {"html": False}).enable("table")
_CSS = ("body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;"
        "line-height:1.45}table{border-collapse:collapse;font-size:.85rem;margin:.75rem 0}td,th{border:1px solid"
        " #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}code{background:#f3f3f3;padding:0 .2rem}"
        ".meta{color:#555;font-size:.85rem}a.download{display:inline-block;margin:.5rem 0;padding:.3rem .7rem;"
        "border:1px solid #0b5;border-radius:4px;color:#063;text-decoration:none}img{max-width:100%;"
        "border:1px solid #ddd}nav li{margin:.1rem 0}")


def to_html(lang: str, country: str = EXAMPLE_COUNTRY) -> str:
    """The guide as one self-contained HTML file: styles, example files and screenshots inline, no network."""
    entries = sections(lang, country)
    toc = "".join(f"<li{' style=margin-left:1.5rem' if s.level > 2 else ''}><a href='#{s.anchor}'>"
                  f"{_html.escape(s.title)}</a></li>" for s in entries)
    parts = []
    for s in entries:
        tag = f"h{s.level}"
        parts.append(f"<{tag} id='{s.anchor}'>{_html.escape(s.title)}</{tag}>{_md.render(s.body)}")
        if s.anchor == "first-file":
            for step, path in screenshots(lang).items():
                data = base64.b64encode(path.read_bytes()).decode("ascii")
                caption = _html.escape(t("guide.steps.screenshot", lang, step=step))
                parts.append(f"<figure><img alt='{caption}' src='data:image/png;base64,{data}'>"
                             f"<figcaption class='meta'>{caption}</figcaption></figure>")
        if s.download:
            name, content = s.download
            href = "data:text/csv;charset=utf-8;base64," + base64.b64encode(content).decode("ascii")
            label = t("guide.dataset.example_download", lang, title=s.title)
            parts.append(f"<p><a class='download' download='{_html.escape(name)}' href='{href}'>"
                         f"{_html.escape(label)}</a></p>")
    title = t("guide.title", lang)
    return (f"<!DOCTYPE html>\n<html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{_html.escape(title)}"
            f"</title><style>{_CSS}</style></head><body><p class='meta'>VIPMG Data Lab</p>"
            f"<h1>{_html.escape(title)}</h1><p>{_html.escape(t('guide.intro', lang))}</p>"
            f"<nav><h2>{_html.escape(t('guide.contents', lang))}</h2><ul>{toc}</ul></nav>{''.join(parts)}"
            f"<p class='meta'>{_html.escape(t('guide.generated', lang))}</p></body></html>\n")


def file_name(lang: str) -> str:
    return f"vipmg_guide_{lang}.html"


# --- help in context (the `help=` of the selectors on the cross-tab, flow map and profile pages) ------------

def dataset_help(ds: Dataset, lang: str) -> str:
    """A dataset in a few lines: what it is, what it counts, and the link to its guide entry."""
    badge = t("unit.events_badge" if ds.counts_events else "unit.persons_badge", lang)
    return (f"**{ds.title(lang)}.** {ds.definition(lang)}\n\n{badge} — {ds.unit_detail(lang)}. {ds.grain(lang)}."
            f"\n\n[{t('guide.help.see', lang)}]({PAGE}?lang={lang}#{dataset_anchor(ds.id)})")


def measures_help(ds: Dataset, measures: list[str], lang: str) -> str:
    """What each measure a dataset offers adds up (options as `crosstab.measures` names them)."""
    from vipmg_core.crosstab import measure_label

    lines = [t("guide.help.measures", lang)]
    for m in measures:
        kind = "mean" if m.startswith("mean:") else "records" if m == "count" and ds.is_microdata else m
        text = t(f"guide.help.{kind}", lang, measure=ds.measure.name if ds.measure else "")
        lines.append(f"- **{measure_label(ds, m, lang)}**: {text}")
    if ds.counts_events:
        lines.append(f"\n{t('unit.events_badge', lang)} — {ds.unit_detail(lang)}.")
    return "\n".join(lines)


def flags_help(lang: str) -> str:
    """The quality flags and the suppression symbol, as the glossary defines them (thresholds from quality.toml)."""
    entries = {s.anchor: s for s in glossary_sections(lang)}
    return "\n\n".join([f"**{t('guide.help.flags', lang)}**", entries["glossary-cv"].body,
                        entries["glossary-suppression"].body,
                        f"[{t('guide.help.see', lang)}]({PAGE}?lang={lang}#glossary-cv)"])
