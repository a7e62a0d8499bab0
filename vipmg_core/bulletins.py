"""Bulletins: a short document for a country (or the region) and a period that the Network can circulate.

    from vipmg_core.bulletins import bulletin, to_html, to_pdf
    b = bulletin(wh, "CRI", parse_period("2024"), "es")
    b.sentences          # the main changes, written from the data ("Las entradas aumentaron un 4.1 % ...")
    html = to_html(b)    # one self-contained file: plotly.js embedded, no request when opened offline
    pdf = to_pdf(html)   # Chromium's headless print, when Chromium is installed (BulletinError otherwise)

The figures are the profile's (`vipmg_core.profiles`), so a bulletin never disagrees with the page. Sentences
describe changes from the numbers: the largest relative changes first, then the foreign-born share, the main
origin and destination and the employment of migrants against natives, each with its unit and period.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from plotly.offline import get_plotlyjs

from vipmg_core import charts
from vipmg_core.codelists import UNKNOWN_COUNTRY, country_name
from vipmg_core.datasets import dataset
from vipmg_core.flows import FlowResult
from vipmg_core.i18n import TranslatedError, fmt_number, fmt_percent, t
from vipmg_core.indicators import indicator, share_indicator
from vipmg_core.profiles import (
    LATEST,
    Figure,
    Period,
    Profile,
    change_text,
    figure_caption,
    figure_label,
    figure_value,
    period_text,
    profile,
    source_text,
    unit_badge,
)
from vipmg_core.quality import CAUTION, RELIABLE, rules
from vipmg_core.warehouse import Warehouse

CHARTS = 6
FLAT = 0.005  # a change smaller than half a percent reads as "stable"
MAX_CHANGES = 6
PDF_TIMEOUT_S = 180
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Windows: Chrome, or Edge (Chromium, on every Windows 10 and 11), where their installers put them: not on the PATH.
WINDOWS_FOLDERS = ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")
WINDOWS_BROWSERS = (("Google", "Chrome", "Application", "chrome.exe"),
                    ("Microsoft", "Edge", "Application", "msedge.exe"))
# The same offline flags as the browser tests: nothing of Chromium's own may go out either.
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-extensions", "--no-first-run",
                  "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-pdf-header-footer",
                  "--run-all-compositor-stages-before-draw", "--virtual-time-budget=30000")


class BulletinError(TranslatedError):
    """A bulletin that cannot be made as asked; `message(lang)` says why."""

    prefix = "bulletin.error"


@dataclass(frozen=True)
class Bulletin:
    profile: Profile
    lang: str
    sentences: tuple[str, ...]
    charts: tuple[tuple[str, go.Figure], ...]
    generated_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def title(self) -> str:
        return t("bulletin.title", self.lang, area=self.profile.area.name(self.lang))

    @property
    def period_label(self) -> str:
        """The period asked for, or the latest period of the headline figures when none was."""
        asked = self.profile.period.text(self.lang)
        if asked:
            return asked
        latest = max((f.period[:4] for f in self.profile.figures), default="")
        return latest

    def file_name(self, ext: str) -> str:
        period = (self.profile.period.label() or self.period_label or "latest").replace("–", "-").replace("/", "-")
        return f"{t('bulletin.file', self.lang)}_{self.profile.area.code}_{period}_{self.lang}.{ext}"


def bulletin(wh: Warehouse, code: str, period: Period = LATEST, lang: str = "es", chart_count: int = CHARTS,
             computed: Profile | None = None) -> Bulletin:
    """The bulletin of a country, a group or the region (`code`) for `period`, in `lang`."""
    prof = computed or profile(wh, code, period)
    figures = charts.profile_charts(prof, lang, limit=chart_count)
    for _, fig in figures:
        fig.update_layout(width=charts.WIDTH_PRINT)
    return Bulletin(prof, lang, tuple(sentences(prof, lang)), tuple(figures))


# --- sentences ----------------------------------------------------------------------------------------------

def change_sentence(fig: Figure, lang: str) -> str:
    """'Arrivals rose 4.1 % on 2023, to 3,731,144 events in 2024.' (or fell, or were stable)."""
    ind = indicator(fig.key)
    number = "plural" if ind.plural else "singular"
    values = {"subject": t(ind.subject or ind.label, lang), "value": figure_value(fig, lang),
              "unit": t(f"unit.{fig.unit}", lang), "period": period_text(fig.period, lang)}
    change = fig.change
    if change is None:
        return t("profiles.sentence.level", lang, **values)
    direction = "flat" if abs(change) < FLAT else "up" if change > 0 else "down"
    return t(f"profiles.sentence.{direction}_{number}", lang, change=fmt_percent(abs(change) * 100, lang),
             previous=period_text(fig.previous_period or "", lang), **values)


def _top(result: FlowResult | None, end: str) -> tuple[str, float] | None:
    if result is None:
        return None
    for row in result.flows.iter_rows(named=True):
        if row[end] != UNKNOWN_COUNTRY and row["value"] is not None:  # a hidden flow is never named
            return row[end], row["value"]
    return None


def shown_figures(prof: Profile) -> list[Figure]:
    """The profile's figures a bulletin shows (surface "bulletin" in `standard/indicators.toml`)."""
    return [f for f in prof.figures if indicator(f.key).shows_on("bulletin")]


def sentences(prof: Profile, lang: str) -> list[str]:
    """The main changes, largest first, then what the population and the survey say, from the data."""
    out: list[str] = []
    changed = [(f, change) for f in shown_figures(prof) if not indicator(f.key).is_estimate
               and (change := f.change) is not None and f.value is not None]
    changed.sort(key=lambda item: abs(item[1]), reverse=True)
    out += [change_sentence(f, lang) for f, _ in changed[:MAX_CHANGES]]
    share = prof.figure(share_indicator().key)
    if share is not None and share.value is not None:
        text = t("profiles.sentence.share", lang, value=fmt_percent(share.value, lang), period=share.period,
                 source=dataset(share.dataset_id).title(lang))
        if share.flag == CAUTION:
            text += " " + t("profiles.sentence.caution", lang, cv=fmt_number(share.cv, lang, 1))
        out.append(text)
    for side, end, key in (("in", "origin", "top_origin"), ("out", "destination", "top_destination")):
        result = prof.origins if side == "in" else prof.destinations
        top = _top(result, end)
        if top is not None and result is not None:
            out.append(t(f"profiles.sentence.{key}", lang, country=country_name(top[0], lang),
                         value=fmt_number(top[1], lang), period=(result.query.period or ("", ""))[1],
                         share=fmt_percent(100 * top[1] / result.matching_value, lang) if result.matching_value
                         else "–"))
    if prof.conditions is not None:
        employed = prof.conditions.of("labour_status").filter(pl.col("code") == "EMP")
        shares = {r["birth"]: r for r in employed.iter_rows(named=True)}
        if all(shares.get(b, {}).get("value") is not None for b in ("native", "foreign")):
            text = t("profiles.sentence.employment", lang, period=prof.conditions.period,
                     foreign=fmt_percent(shares["foreign"]["value"], lang),
                     native=fmt_percent(shares["native"]["value"], lang))
            flagged = [r for r in shares.values() if r["flag"] != RELIABLE]
            if flagged:
                worst = max(r["cv"] for r in flagged)
                text += " " + t("profiles.sentence.caution", lang, cv=fmt_number(worst, lang, 1))
            out.append(text)
    if any(f.counts_events for f in prof.figures):
        out.append(t("profiles.sentence.events_note", lang))
    return out


# --- the document -------------------------------------------------------------------------------------------

# The accent is palette.BLUE: 5.2:1 against white, enough for the small kicker text (WCAG AA asks 4.5:1; the
# earlier #2c7fb8 gave 4.3:1).
_CSS = """
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #1f2933; margin: 0 auto;
       max-width: 760px; padding: 24px; font-size: 14px; line-height: 1.45; }
header { border-bottom: 3px solid #0072B2; margin-bottom: 12px; }
.kicker { text-transform: uppercase; letter-spacing: .06em; color: #0072B2; font-size: 12px; margin: 0; }
h1 { font-size: 26px; margin: 4px 0; }
h2 { font-size: 18px; border-bottom: 1px solid #d0d7de; padding-bottom: 3px; margin-top: 22px; break-after: avoid; }
.meta { color: #52606d; margin: 0 0 8px; }
.demo { border: 2px solid #b7791f; background: #fffbea; padding: 8px 12px; margin: 10px 0; font-weight: bold; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 5px 6px; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.small { color: #52606d; font-size: 12px; }
figure { margin: 14px 0; break-inside: avoid; page-break-inside: avoid; }
ul.changes li { margin-bottom: 4px; }
dt { font-weight: bold; margin-top: 8px; }
dd { margin: 2px 0 0 0; }
footer { margin-top: 24px; border-top: 1px solid #d0d7de; padding-top: 6px; color: #52606d; font-size: 12px; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; }
  .modebar, .modebar-container { display: none !important; }
  section { break-inside: auto; }
  a { color: inherit; text-decoration: none; }
}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _value_text(fig: Figure, lang: str) -> str:
    if fig.value is None and fig.mark is None:
        return f"{rules().symbol_suppressed} ({t('profiles.flag.suppressed', lang)})"
    return figure_value(fig, lang)  # "≥ 1,234" where some parts were hidden by their publisher


def _figures_table(prof: Profile, lang: str) -> str:
    head = "".join(f"<th>{_e(t(f'bulletin.col_{c}', lang))}</th>" for c in ("figure", "value", "change", "notes"))
    body = []
    for fig in shown_figures(prof):
        change = change_text(fig, lang) or ""
        unit = t("compare.of_population", lang) if fig.percent else t(f"unit.{fig.unit}", lang)
        body.append(f"<tr><td>{_e(figure_label(fig.key, lang))}</td>"
                    f"<td class='num'>{_e(_value_text(fig, lang))} <span class='small'>{_e(unit)}</span></td>"
                    f"<td class='num'>{_e(change)}</td><td class='small'>{_e(figure_caption(fig, lang))}</td></tr>")
    return f"<table class='figures'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _sources_list(prof: Profile, lang: str) -> str:
    parts = []
    by_dataset: dict[str, list] = {}
    for source in prof.sources:
        by_dataset.setdefault(source.dataset_id, []).append(source)
    for dataset_id, sources in by_dataset.items():
        ds = dataset(dataset_id)
        releases = "; ".join(dict.fromkeys(
            f"{s.publisher}{' · ' + s.edition if s.edition else ''}"
            f"{' (' + t('profiles.demo', lang) + ')' if s.synthetic else ''}" for s in sources))
        parts.append(f"<dt>{_e(ds.title(lang))} — {_e(unit_badge(ds.unit, lang))}</dt>"
                     f"<dd>{_e(ds.definition(lang))}</dd><dd class='small'>{_e(ds.notes(lang))}</dd>"
                     f"<dd class='small'>{_e(t('bulletin.published_by', lang))}: {_e(releases)}</dd>")
    return f"<dl>{''.join(parts)}</dl>"


def _notes(prof: Profile, lang: str) -> list[str]:
    r = rules()
    notes = [t("bulletin.note_events", lang)]
    if any(f.flag for f in prof.figures) or prof.pyramid is not None or prof.conditions is not None:
        notes.append(t("bulletin.note_quality", lang, low=fmt_number(r.cv_reliable_max, lang),
                       high=fmt_number(r.cv_caution_max, lang), n=r.min_unweighted_n, symbol=r.symbol_suppressed))
    if prof.conditions is not None:
        notes.append(t("bulletin.note_pooled", lang, period=prof.conditions.period))
    notes += [t("profiles.not_additive", lang, figure=figure_label(key, lang)) for key in prof.notes]
    return notes


def to_html(b: Bulletin) -> str:
    """The bulletin as one HTML file: styles and plotly.js inline, so it opens and prints with no network."""
    lang, prof = b.lang, b.profile
    figures = []
    for i, (name, fig) in enumerate(b.charts):
        div = pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=f"chart-{i}-{name}",
                          config={**charts.plotly_config(f"{b.file_name('png')[:-4]}_{name}"), "responsive": False})
        # The chart's text alternative, as its caption and its accessible description (issue #20).
        caption = f"chart-{i}-{name}-description"
        figures.append(f"<figure aria-describedby='{caption}'>{div}<figcaption id='{caption}' class='small'>"
                       f"{_e(charts.describe(fig, lang))}</figcaption></figure>")
    demo = f"<div class='demo'>{_e(t('bulletin.demo_warning', lang))}</div>" if prof.synthetic else ""
    changes = "".join(f"<li>{_e(s)}</li>" for s in b.sentences)
    notes = "".join(f"<li>{_e(n)}</li>" for n in _notes(prof, lang))
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(b.title)} — {_e(b.period_label)}</title>
<style>{_CSS}</style>
<script>{get_plotlyjs()}</script>
</head>
<body>
<header>
<p class="kicker">VIPMG Data Lab · {_e(t('bulletin.kicker', lang))}</p>
<h1>{_e(b.title)}</h1>
<p class="meta">{_e(t('bulletin.period', lang))}: <strong>{_e(b.period_label)}</strong> ·
{_e(t('bulletin.generated', lang))}: {_e(b.generated_at[:10])}</p>
</header>
{demo}
<section><h2>{_e(t('bulletin.figures', lang))}</h2>{_figures_table(prof, lang)}</section>
<section><h2>{_e(t('bulletin.changes', lang))}</h2><ul class="changes">{changes}</ul></section>
<section><h2>{_e(t('bulletin.charts', lang))}</h2>{''.join(figures)}</section>
<section><h2>{_e(t('bulletin.sources', lang))}</h2>{_sources_list(prof, lang)}
<h2>{_e(t('bulletin.notes', lang))}</h2><ul class="small">{notes}</ul></section>
<footer>{_e(t('bulletin.footer', lang, date=b.generated_at[:10]))}</footer>
</body>
</html>
"""


# --- PDF ----------------------------------------------------------------------------------------------------

def chromium_path() -> str | None:
    """Chromium for headless printing: $VIPMG_CHROMIUM, the first of the usual names on the PATH, or on Windows
    Chrome or Edge where they are installed."""
    configured = os.environ.get("VIPMG_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    for folder in filter(None, map(os.environ.get, WINDOWS_FOLDERS)):
        for parts in WINDOWS_BROWSERS:
            if Path(folder, *parts).is_file():
                return str(Path(folder, *parts))
    return None


def pdf_available() -> bool:
    return chromium_path() is not None


def to_pdf(html_text: str) -> bytes:
    """Print the bulletin to PDF with Chromium's headless mode, from a local file, with the network flags off."""
    browser = chromium_path()
    if browser is None:
        raise BulletinError("no_chromium")
    with tempfile.TemporaryDirectory(prefix="vipmg_bulletin_") as tmp:
        page, out = Path(tmp) / "bulletin.html", Path(tmp) / "bulletin.pdf"
        page.write_text(html_text, encoding="utf-8")
        command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}",
                   f"--print-to-pdf={out}", page.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, timeout=PDF_TIMEOUT_S, stdin=subprocess.DEVNULL,
                                  check=False)  # a failed print is told by the missing PDF below
        except subprocess.TimeoutExpired:
            raise BulletinError("pdf_failed", reason=f"timeout after {PDF_TIMEOUT_S} s") from None
        except OSError as exc:
            raise BulletinError("pdf_failed", reason=str(exc)) from None
        if not out.exists() or not out.read_bytes().startswith(b"%PDF"):
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
            raise BulletinError("pdf_failed", reason=tail[0][:300])
        return out.read_bytes()


def source_line(prof: Profile, lang: str) -> str:
    """The datasets behind a profile, for a caption: 'Sources: Arrivals and departures, ... (demo data)'."""
    return source_text(prof.dataset_ids, prof.synthetic, lang)
