"""The publications library: the Network's articles and bulletins, with live figures from saved views.

An article has a title, a summary and a Markdown body in Spanish and/or English. A line of the body that is
only `[[view: LINK]]`, where LINK is a shared link of the Cross-tab page (`/crosstab?xds=...&xr=...`), of
the Flow map (`/flowmap?fds=...`) or of a Country profile (`/profile?pc=GTM&yr=...`), shows that view's table
and chart(s) computed now from the published data (a profile: its headline figures and its charts), with the
page's own defaults for what the link leaves out, so an article's numbers always match what it cites. Every
save is a new version; publishing keeps the older published versions and records the data version the article
was written against. Drafts are seen only by their author and the reviewers; reviewers write and publish.
"""

from __future__ import annotations

import html as _html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from markdown_it import MarkdownIt
from plotly.offline import get_plotlyjs

from vipmg_core import charts as ch
from vipmg_core import crosstab as xt
from vipmg_core import flows as fl
from vipmg_core import links
from vipmg_core import profiles as pr
from vipmg_core.accounts import Account
from vipmg_core.catalogue import Catalogue, new_id, now_utc
from vipmg_core.codelists import country_name, project_countries
from vipmg_core.datasets import dataset, dataset_ids
from vipmg_core.i18n import LANGS, TranslatedError, t
from vipmg_core.permissions import Action, Forbidden, allowed, require, require_account
from vipmg_core.warehouse import Warehouse

EMBED = re.compile(r"^\s*\[\[\s*view\s*:\s*(\S+?)\s*\]\]\s*$", re.MULTILINE)
FIELDS = ("title", "summary", "body")
# The profile page's charts, in the order the page shows them (names of charts.profile_charts).
_PR_CHARTS = ("events_trend", "stock_trend", "pyramid", "origins", "destinations", "permits", "labour_status",
              "education", "remittances")


class LibraryError(TranslatedError):
    """A request the user can fix; `message(lang)` says how (the key is a full key)."""


@dataclass(frozen=True)
class ArticleVersion:
    article_id: str
    kind: str  # "article" or "bulletin"
    author: str
    version: int
    status: str  # "draft" or "published"
    countries: tuple[str, ...]
    topics: tuple[str, ...]  # dataset ids
    content: dict  # {"es": {"title", "summary", "body"}, "en": {...}}
    html: dict  # a bulletin's own HTML per language
    data_version: dict  # {"token": ..., "as_of": ...}: the published data when it was saved
    saved_by: str
    saved_at: str
    published_at: str | None

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(lang for lang in LANGS if self.content.get(lang, {}).get("title"))

    def text(self, lang: str) -> dict:
        """The article in `lang`, or in its other language when it was written in one only."""
        chosen = lang if lang in self.languages else (self.languages or (lang,))[0]
        return {f: self.content.get(chosen, {}).get(f, "") for f in FIELDS} | {"lang": chosen}

    @property
    def date(self) -> str:
        return (self.published_at or self.saved_at)[:10]


def _from_row(row) -> ArticleVersion:
    return ArticleVersion(
        row["article_id"], row["kind"], row["author"], row["version"], row["status"],
        tuple(json.loads(row["countries"])), tuple(json.loads(row["topics"])), json.loads(row["content"]),
        json.loads(row["html"] or "{}"), json.loads(row["data_version"]), row["saved_by"], row["saved_at"],
        row["published_at"])


def may_see_drafts(account: Account | None, author: str) -> bool:
    return account is not None and account.active and (account.username == author
                                                        or allowed(account, Action.REVIEW))


def data_version(wh: Warehouse) -> dict:
    """Which published data readers see now: changes when a release is published, superseded or withdrawn
    (not when an article is saved, unlike Warehouse.state_token, which follows the whole audit log)."""
    (count, seq, as_of), = wh.catalogue.query(
        "SELECT COUNT(*), MAX(published_seq), MAX(published_at) FROM releases WHERE status = 'published'")
    return {"token": f"{count}:{seq or ''}", "as_of": as_of or ""}


# -- writing -------------------------------------------------------------------------------------------------

def written(content: dict) -> dict[str, dict[str, str]]:
    """The languages an article is written in (any field with text), each field stripped."""
    clean = {lang: {f: str(content.get(lang, {}).get(f, "") or "").strip() for f in FIELDS} for lang in LANGS}
    return {lang: parts for lang, parts in clean.items() if any(parts.values())}


def _clean(wh: Warehouse, content: dict, countries, topics) -> tuple[dict, list[str], list[str]]:
    clean = written(content)
    if not clean:
        raise LibraryError("library.error.empty")
    for lang, parts in clean.items():
        if not parts["title"]:
            raise LibraryError("library.error.title", lang=lang)
    countries = [c for c in dict.fromkeys(countries or ()) if c]
    unknown = [c for c in countries if c not in project_countries() and c != "REGION"]
    if unknown:
        raise LibraryError("library.error.country", country=", ".join(unknown))
    topics = [d for d in dict.fromkeys(topics or ()) if d]
    if any(d not in dataset_ids() for d in topics):
        raise LibraryError("library.error.topic", topic=", ".join(d for d in topics if d not in dataset_ids()))
    for parts in clean.values():  # a broken view fails now, not in front of readers
        for link in EMBED.findall(parts["body"]):
            saved_view(link, wh)
    return clean, countries, topics


def save(wh: Warehouse, account: Account | None, content: dict, *, countries=(), topics=(),
         article_id: str | None = None, kind: str = "article", html: dict | None = None) -> ArticleVersion:
    """Save a new draft version (of a new article, or of `article_id`)."""
    author = require_account(account, Action.PUBLISH)
    content, countries, topics = _clean(wh, content, countries, topics)
    stamp = now_utc()
    with wh.catalogue.transaction() as con:
        if article_id is None:
            article_id = new_id()
            con.execute("INSERT INTO articles (article_id, slug, kind, author, created_at) VALUES (?, ?, ?, ?, ?)",
                        (article_id, article_id, kind, author.username, stamp))
        elif not con.execute("SELECT 1 FROM articles WHERE article_id = ?", (article_id,)).fetchone():
            raise LibraryError("library.error.unknown", article=article_id)
        (version,) = con.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM article_versions WHERE article_id = ?",
                                 (article_id,)).fetchone()
        con.execute(
            "INSERT INTO article_versions (article_id, version, status, countries, topics, content, html,"
            " data_version, saved_by, saved_at) VALUES (?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?)",
            (article_id, version, json.dumps(countries), json.dumps(topics),
             json.dumps(content, ensure_ascii=False), json.dumps(html or {}, ensure_ascii=False),
             json.dumps(data_version(wh)), author.username, stamp))
        Catalogue.audit(con, author.username, "save_article", "article", article_id, {"version": version})
    return get(wh, account, article_id, version)


def publish(wh: Warehouse, account: Account | None, article_id: str) -> ArticleVersion:
    """Publish the newest draft; the older published versions stay readable in the history."""
    publisher = require_account(account, Action.PUBLISH)
    with wh.catalogue.transaction() as con:
        row = con.execute("SELECT version, status FROM article_versions WHERE article_id = ?"
                          " ORDER BY version DESC LIMIT 1", (article_id,)).fetchone()
        if row is None:
            raise LibraryError("library.error.unknown", article=article_id)
        if row["status"] != "draft":
            raise LibraryError("library.error.no_draft")
        con.execute("UPDATE article_versions SET status = 'published', published_at = ?, data_version = ?"
                    " WHERE article_id = ? AND version = ?",
                    (now_utc(), json.dumps(data_version(wh)), article_id, row["version"]))
        Catalogue.audit(con, publisher.username, "publish_article", "article", article_id,
                        {"version": row["version"]})
    return get(wh, account, article_id, row["version"])


def publish_bulletin(wh: Warehouse, account: Account | None, code: str, period: str = "",
                     langs: tuple[str, ...] = LANGS) -> ArticleVersion:
    """One click: the generated bulletin of `code` (both languages), saved and published in the library."""
    from vipmg_core import bulletins

    require(account, Action.PUBLISH)
    prof = pr.profile(wh, code, pr.parse_period(period))
    content, pages = {}, {}
    for lang in langs:
        b = bulletins.bulletin(wh, code, prof.period, lang, computed=prof)
        content[lang] = {"title": f"{b.title} — {b.period_label}", "summary": " ".join(b.sentences[:2]),
                         "body": "\n".join(f"- {s}" for s in b.sentences)}
        pages[lang] = bulletins.to_html(b)
    topics = sorted({f.dataset_id for f in prof.figures} & set(dataset_ids()))
    countries = [code] if code in project_countries() else []
    draft = save(wh, account, content, countries=countries, topics=topics, kind="bulletin", html=pages)
    return publish(wh, account, draft.article_id)


# -- reading -------------------------------------------------------------------------------------------------

def get(wh: Warehouse, account: Account | None, article_id: str, version: int | None = None) -> ArticleVersion:
    """A version (the newest the account may see when `version` is None). Drafts: author and reviewers only."""
    rows = wh.catalogue.query(
        "SELECT a.kind, a.author, v.* FROM article_versions v JOIN articles a ON a.article_id = v.article_id"
        " WHERE v.article_id = ? ORDER BY v.version DESC", (article_id,))
    if not rows:
        raise LibraryError("library.error.unknown", article=article_id)
    visible = [r for r in rows if r["status"] == "published" or may_see_drafts(account, r["author"])]
    if version is not None:
        wanted = [r for r in rows if r["version"] == version]
        if not wanted:
            raise LibraryError("library.error.unknown", article=f"{article_id} v{version}")
        if wanted[0] not in visible:
            raise Forbidden(Action.PUBLISH, "drafts are visible only to their authors and reviewers")
        return _from_row(wanted[0])
    if not visible:
        raise Forbidden(Action.PUBLISH, "drafts are visible only to their authors and reviewers")
    return _from_row(visible[0])


def versions(wh: Warehouse, account: Account | None, article_id: str) -> list[ArticleVersion]:
    rows = wh.catalogue.query(
        "SELECT a.kind, a.author, v.* FROM article_versions v JOIN articles a ON a.article_id = v.article_id"
        " WHERE v.article_id = ? ORDER BY v.version", (article_id,))
    return [_from_row(r) for r in rows if r["status"] == "published" or may_see_drafts(account, r["author"])]


def articles(wh: Warehouse, account: Account | None, *, country: str | None = None, topic: str | None = None,
             lang: str | None = None, kind: str | None = None, year: str | None = None) -> list[ArticleVersion]:
    """The newest version of each article `account` may see, newest first; filters by country, topic,
    language (an article written in `lang`) and the year it was published."""
    rows = wh.catalogue.query(
        "SELECT a.kind, a.author, v.* FROM article_versions v JOIN articles a ON a.article_id = v.article_id"
        " ORDER BY v.article_id, v.version DESC")
    newest: dict[str, ArticleVersion] = {}
    for row in rows:
        if row["article_id"] in newest:
            continue
        if row["status"] == "published" or may_see_drafts(account, row["author"]):
            newest[row["article_id"]] = _from_row(row)
    every = sorted(newest.values(), key=lambda a: (a.published_at or a.saved_at), reverse=True)
    return matching(every, country=country, topic=topic, lang=lang, kind=kind, year=year)


def matching(found: Sequence[ArticleVersion], *, country: str | None = None, topic: str | None = None,
             lang: str | None = None, kind: str | None = None, year: str | None = None) -> list[ArticleVersion]:
    """The articles of `found` (as `articles` gives them) that pass the filters, in the same order."""
    return [a for a in found
            if (not country or country in a.countries) and (not topic or topic in a.topics)
            and (not lang or lang in a.languages) and (not kind or a.kind == kind)
            and (not year or a.date.startswith(str(year)))]


# -- saved views -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SavedView:
    page: str
    params: dict[str, str]
    link: str


@dataclass(frozen=True)
class Embed:
    view: SavedView
    title: str
    unit: str
    table: pd.DataFrame  # the text as the page shows it (a profile: its headline figures)
    numeric: pd.DataFrame  # the numbers behind it
    charts: tuple[go.Figure, ...]
    notes: tuple[str, ...]
    events: bool  # an admin count (or, in a profile, some figure is): labelled as events, not persons
    # A profile's map of main flows: drawn in the app only, since deck.gl cannot be inlined in the offline file.
    flow_map: fl.FlowResult | None = None
    map_note: str = ""
    synthetic: bool = False  # demo releases behind a profile (it draws on datasets beyond the article's topics)


_VIEWS: dict[str, type[links.CrosstabLink | links.FlowLink | links.ProfileLink]] = {
    view.PAGE: view for view in (links.CrosstabLink, links.FlowLink, links.ProfileLink)}


def saved_view(link: str, wh: Warehouse | None = None) -> SavedView:
    """Read a shared link (`http://host/crosstab?xds=...`, `/flowmap?fds=...`, `/profile?pc=GTM`). With `wh`,
    a profile link must name a country or region the Profile page offers now (as at save time)."""
    parts = urlsplit(link.strip())
    page = parts.path.strip("/").rsplit("/", 1)[-1]
    # Blank values kept: `xc=` (no columns) is a choice the page wrote, not a parameter left out.
    params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    if page not in _VIEWS:
        raise LibraryError("library.error.view_page", page=page or "/")
    # Rebuilt from the parsed values, percent-encoded: a raw query could close the page's Markdown link and open
    # others (`...&x=)[text](http://elsewhere)`).
    path = f"/{page}?{urlencode(params)}" if params else f"/{page}"
    view = _VIEWS[page]
    if view is links.ProfileLink:
        _check_area(params.get(view.PARAMS["area"], ""), wh)
        return SavedView(page, params, path)
    # A dataset the link names must exist (a typo is refused at save time, not shown as another dataset).
    allowed_ids = dataset_ids() if view is links.CrosstabLink else [d.id for d in fl.flow_datasets()]
    key = view.PARAMS["dataset"]
    if key in params and params[key] not in allowed_ids:
        raise LibraryError("library.error.view_dataset", dataset=params[key])
    return SavedView(page, params, path)


def _check_area(code: str, wh: Warehouse | None) -> None:
    """The page publishes its country in every link, as a code; anything else would silently show another."""
    try:
        known = pr.area(code).code == code
    except pr.ProfileError:
        known = False
    if not known or (wh is not None and code not in pr.area_codes(wh)):
        raise LibraryError("library.error.view_area", area=code or "–")


def view_query(wh: Warehouse, view: SavedView) -> tuple[xt.CrosstabQuery, xt.View, str]:
    """The cross-tab a link shows, read as the Cross-tab page reads it (vipmg_core/links.py)."""
    return links.CrosstabLink.from_params(view.params, wh).query()


def flow_view(wh: Warehouse, view: SavedView) -> fl.FlowResult:
    """The flows a Flow map link shows, read as the Flow map page reads it (vipmg_core/links.py)."""
    try:
        query = links.FlowLink.from_params(view.params, wh).query(wh)
    except fl.FlowError:  # no period with data at all
        raise LibraryError("library.error.view", reason=t("shell.no_data", "en")) from None
    return links.flows(wh, query)


def _flow_embed(wh: Warehouse, view: SavedView, lang: str) -> Embed:
    try:
        result = flow_view(wh, view)
    except fl.FlowError as exc:
        raise LibraryError("library.error.view", reason=exc.message(lang)) from None
    table = fl.flow_table(result, lang)
    codes_only = [t("flows.col_origin_code", lang), t("flows.col_destination_code", lang)]
    shown = table.drop(columns=[c for c in codes_only if c in table.columns])
    ds = dataset(result.query.dataset_id)
    period = fl.period_label(*(result.query.period or ("", "")))  # always set on an answer
    title = f"{t('page.flowmap', lang)} — {ds.title(lang)}, {period}"
    unit = t("unit.events_badge", lang) if ds.counts_events else t("unit.persons_badge", lang)
    chart = fl.flows_chart(result, lang)
    return Embed(view, title, f"{unit} — {ds.unit_detail(lang)}", shown, shown,
                 (chart,) if chart is not None else (), tuple(fl.notes(result, lang)), ds.counts_events)


def profile_view(wh: Warehouse, view: SavedView) -> tuple[str, pr.Period, int]:
    """The country (or group, or region), period and pooled survey years a Country profile link shows, read as
    the Profile page reads them (vipmg_core/links.py)."""
    return links.ProfileLink.from_params(view.params, wh).query()


def profile_table(prof: pr.Profile, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The headline figures as the Profile page shows them (label, value, change, what it counts, source,
    period, reliability), and the numbers behind them."""
    shown, numbers = [], []
    for fig in prof.figures:
        change = pr.change_text(fig, lang) or ""
        shown.append({t("bulletin.col_figure", lang): pr.figure_label(fig.key, lang),
                      t("bulletin.col_value", lang): pr.figure_value(fig, lang),
                      t("bulletin.col_change", lang): change,
                      t("bulletin.col_notes", lang): pr.figure_caption(fig, lang)})
        numbers.append({"figure": fig.key, "dataset": fig.dataset_id, "unit": fig.unit, "period": fig.period,
                        "value": fig.value, "previous_period": fig.previous_period,
                        "previous_value": fig.previous_value, "change": fig.change, "percent": fig.percent,
                        "flag": fig.flag, "cv": fig.cv, "n": fig.n, "synthetic": fig.synthetic, "mark": fig.mark})
    return pd.DataFrame(shown), pd.DataFrame(numbers)


def _profile_embed(wh: Warehouse, view: SavedView, lang: str) -> Embed:
    code, period, pool = profile_view(wh, view)
    try:
        prof = pr.kept_profile(wh, code, period, pool)  # as the page: computed once for both
    except pr.ProfileError as exc:
        raise LibraryError("library.error.view", reason=exc.message(lang)) from None
    name = prof.area.name(lang)
    if not prof.figures:  # as the page says it, instead of an empty frame
        raise LibraryError("library.error.view", reason=t("profiles.no_data", lang, area=name))
    table, numeric = profile_table(prof, lang)
    made = dict(ch.profile_charts(prof, lang))
    figures = tuple(made[key] for key in _PR_CHARTS if key in made)
    notes = [t("profiles.not_additive", lang, figure=pr.figure_label(key, lang)) for key in prof.notes]
    if prof.pyramid is not None:
        notes.append(" ".join(pr.pyramid_notes(prof.pyramid, lang)))
    if prof.conditions is not None:
        cond = prof.conditions
        notes.append(t("profiles.conditions_caption", lang, period=cond.period,
                       source=pr.source_text([cond.dataset_id], cond.synthetic, lang)))
        notes.append(" ".join(pr.conditions_notes(cond, lang)))
    title = f"{t('page.profile', lang)} — {name}, {period.text(lang)}"
    return Embed(view, title, t("library.profile_units", lang), table, numeric, figures, tuple(notes),
                 any(f.counts_events for f in prof.figures), prof.flow_map,
                 pr.flow_map_note(prof, lang) if prof.flow_map is not None else "", prof.synthetic)


def embed(wh: Warehouse, link: str, lang: str) -> Embed:
    """The figure a saved view shows, computed now from the published data."""
    view = saved_view(link)
    if view.page == "flowmap":
        return _flow_embed(wh, view, lang)
    if view.page == "profile":
        return _profile_embed(wh, view, lang)
    try:
        query, shown, chart = view_query(wh, view)
    except xt.CrosstabError as exc:
        raise LibraryError("library.error.view", reason=exc.message(lang)) from None
    result = xt.compute(query, wh)
    table = result.table(lang, shown)
    figure = result.chart(lang, chart, shown) if chart != "none" and not result.cells.is_empty() else None
    title = f"{result.measure_label(lang)} — {result.dataset.title(lang)}"
    return Embed(view, title, result.unit_label(lang), table.display.to_pandas(), table.numeric.to_pandas(),
                 (figure,) if figure is not None else (), tuple(result.notes(lang)), result.dataset.counts_events)


def segments(body: str) -> list[tuple[str, str]]:
    """The body split into ("markdown", text) and ("view", link) parts, in order."""
    out, last = [], 0
    for match in EMBED.finditer(body):
        if body[last:match.start()].strip():
            out.append(("markdown", body[last:match.start()]))
        out.append(("view", match.group(1)))
        last = match.end()
    if body[last:].strip():
        out.append(("markdown", body[last:]))
    return out


# -- labels and the offline file ---------------------------------------------------------------------------

def topic_label(topic: str, lang: str) -> str:
    return dataset(topic).title(lang) if topic in dataset_ids() else topic


def place_label(code: str, lang: str) -> str:
    return t("library.region", lang) if code == "REGION" else country_name(code, lang)


def byline(art: ArticleVersion, lang: str) -> str:
    status = t(f"library.status.{art.status}", lang)
    places = ", ".join(place_label(c, lang) for c in art.countries) or t("library.region", lang)
    topics = ", ".join(topic_label(d, lang) for d in art.topics)
    return " · ".join(x for x in (art.date, status, f"v{art.version}", places, topics) if x)


def data_note(wh: Warehouse, art: ArticleVersion, lang: str) -> str:
    written = art.data_version.get("as_of", "")[:10] or "–"
    same = art.data_version.get("token") == data_version(wh)["token"]
    key = "library.data_same" if same else "library.data_changed"
    return t(key, lang, date=written)


_md = MarkdownIt("commonmark", {"html": False}).enable("table")
_CSS = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}"
        "table{border-collapse:collapse;font-size:.9rem;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem"
        " .5rem;text-align:right}th:first-child,td:first-child{text-align:left}.meta,.note{color:#555;"
        "font-size:.85rem}table.profile td:last-child,table.profile th:last-child{text-align:left}"
        ".demo{background:#fff3cd;padding:.5rem;border:1px solid #e0c36c}figure{margin:1rem 0}")


def to_html(wh: Warehouse, art: ArticleVersion, lang: str) -> str:
    """The article as one self-contained HTML file (styles and plotly.js inline): it opens with no network."""
    text = art.text(lang)
    if art.kind == "bulletin" and art.html.get(text["lang"]):
        return art.html[text["lang"]]
    lang = text["lang"]
    parts, charts, synthetic = [], 0, False
    for kind, value in segments(text["body"]):
        if kind == "markdown":
            parts.append(_md.render(value))
            continue
        fig = embed(wh, value, lang)
        synthetic |= fig.synthetic
        parts.append(f"<figure><figcaption><strong>{_html.escape(fig.title)}</strong><br>"
                     f"<span class='note'>{_html.escape(fig.unit)}</span></figcaption>"
                     f"{fig.table.to_html(index=False, escape=True, na_rep='', classes=fig.view.page)}")
        for chart in fig.charts:
            charts += 1
            parts.append(pio.to_html(chart, include_plotlyjs=False, full_html=False,
                                     config={"displaylogo": False}))
            # The chart's text alternative (issue #20), beside the table the figure holds.
            parts.append(f"<p class='note description'><strong>{_html.escape(t('alt.chart_description', lang))}"
                         f":</strong> {_html.escape(ch.describe(chart, lang))}</p>")
        notes = [*fig.notes, *([t("library.flow_map_in_app", lang)] if fig.flow_map is not None else [])]
        parts.append("".join(f"<p class='note'>{_html.escape(n)}</p>" for n in notes) + "</figure>")
    demo = (f"<div class='demo'>{_html.escape(t('export.synthetic', lang))}</div>"
            if synthetic or wh.has_synthetic(art.topics or None) else "")
    script = f"<script>{get_plotlyjs()}</script>" if charts else ""
    return (f"<!DOCTYPE html>\n<html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_html.escape(text['title'])}</title><style>{_CSS}</style>{script}</head><body>"
            f"<p class='meta'>VIPMG Data Lab · {_html.escape(t('page.library', lang))}</p>"
            f"<h1>{_html.escape(text['title'])}</h1><p class='meta'>{_html.escape(byline(art, lang))}</p>"
            f"<p class='meta'>{_html.escape(data_note(wh, art, lang))}</p>{demo}"
            f"<p><em>{_html.escape(text['summary'])}</em></p>{''.join(parts)}</body></html>\n")


def file_name(art: ArticleVersion, lang: str) -> str:
    return f"{art.kind}_{art.article_id}_v{art.version}_{art.text(lang)['lang']}.html"
