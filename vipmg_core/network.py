"""The Network board: who sent what, when it was due, and who is behind.

The reporting calendar (set by reviewers, kept in the catalogue) says which periods each dataset expects and
when they are due. The board crosses it with what the catalogue holds: published releases (any source: a
country's submission, an import or the demo) and the submissions the asking account may see. The public gets
only coverage (what is published); the focal-point directory is for signed-in Network members only.

    from vipmg_core import network
    network.set_calendar(wh, reviewer, "returns", "monthly", due_days=30, since="2026-01")
    cells = network.board(wh, account, countries=["GTM"], today=date(2026, 6, 15))
    network.summary(cells, today=date(2026, 6, 15))       # timeliness, completeness per country
"""

from __future__ import annotations

import calendar as _cal
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import polars as pl

from vipmg_core.accounts import Account, list_users
from vipmg_core.catalogue import Catalogue, now_utc
from vipmg_core.codelists import country_name, project_countries
from vipmg_core.datasets import dataset, dataset_ids
from vipmg_core.exports import ExportMeta
from vipmg_core.i18n import TranslatedError, fmt_percent, t
from vipmg_core.permissions import Action, require, require_account
from vipmg_core.submissions import SubmissionStore
from vipmg_core.warehouse import Warehouse

FREQUENCIES = ("monthly", "quarterly", "yearly")
# Board statuses, most advanced first. "not_due": nothing yet, but the due date has not passed.
STATUSES = ("published", "submitted", "rejected", "draft", "missing", "not_due")
TIMELINESS_WINDOW = timedelta(days=365)

BOARD_SCHEMA = pl.Schema({
    "dataset_id": pl.String, "country": pl.String, "period": pl.String, "status": pl.String,
    "late": pl.Boolean, "expected": pl.Boolean, "due": pl.Date, "version": pl.Int64, "published_at": pl.String,
    "submitted_at": pl.String, "reason": pl.String, "submission_id": pl.String,
})


class NetworkError(TranslatedError):
    """A request the user can fix; `message(lang)` says how (the key is a full key, `values` fill it)."""


# -- periods ---------------------------------------------------------------------------------------------

_PATTERNS = {"monthly": r"^\d{4}-(0[1-9]|1[0-2])$", "quarterly": r"^\d{4}-Q[1-4]$", "yearly": r"^\d{4}$"}


def check_period(period: str, frequency: str) -> str:
    period = str(period).strip()
    if not re.match(_PATTERNS[frequency], period):
        raise NetworkError("network.error.period", period=period, frequency=frequency)
    return period


def period_end(period: str) -> date:
    """The last day of an ISO 8601 period (2024, 2024-Q2, 2024-07)."""
    year = int(period[:4])
    if len(period) == 4:
        return date(year, 12, 31)
    if period[5] == "Q":
        month = int(period[6]) * 3
    else:
        month = int(period[5:7])
    return date(year, month, _cal.monthrange(year, month)[1])


def next_period(period: str, frequency: str) -> str:
    year = int(period[:4])
    if frequency == "yearly":
        return str(year + 1)
    if frequency == "quarterly":
        q = int(period[6])
        return f"{year + 1}-Q1" if q == 4 else f"{year}-Q{q + 1}"
    month = int(period[5:7])
    return f"{year + 1}-01" if month == 12 else f"{year}-{month + 1:02d}"


# -- the calendar ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CalendarEntry:
    dataset_id: str
    frequency: str
    due_days: int
    since: str
    updated_by: str = ""
    updated_at: str = ""

    def due(self, period: str) -> date:
        return period_end(period) + timedelta(days=self.due_days)

    def periods(self, today: date) -> list[str]:
        """Every period from `since` that has ended by `today` (due or not yet)."""
        out, period = [], self.since
        while period_end(period) < today:
            out.append(period)
            period = next_period(period, self.frequency)
        return out


def default_frequency(dataset_id: str) -> str:
    return {"month": "monthly", "quarter": "quarterly"}.get(dataset(dataset_id).time_format, "yearly")


def set_calendar(wh: Warehouse, account: Account | None, dataset_id: str, frequency: str, *, due_days: int,
                 since: str) -> CalendarEntry:
    """Reviewers set when a dataset is due; every change is audited."""
    reviewer = require_account(account, Action.REVIEW)
    if dataset_id not in dataset_ids():
        raise NetworkError("network.error.dataset", dataset=dataset_id)
    if frequency not in FREQUENCIES:
        raise NetworkError("network.error.frequency", frequency=frequency)
    if int(due_days) < 0:
        raise NetworkError("network.error.due_days")
    since = check_period(since, frequency)
    stamp = now_utc()
    with wh.catalogue.transaction() as con:
        con.execute(
            "INSERT INTO reporting_calendar (dataset_id, frequency, due_days, since, updated_by, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dataset_id) DO UPDATE SET frequency = excluded.frequency,"
            " due_days = excluded.due_days, since = excluded.since, updated_by = excluded.updated_by,"
            " updated_at = excluded.updated_at",
            (dataset_id, frequency, int(due_days), since, reviewer.username, stamp))
        Catalogue.audit(con, reviewer.username, "set_calendar", "dataset", dataset_id,
                        {"frequency": frequency, "due_days": int(due_days), "since": since})
    return calendar(wh)[dataset_id]


def remove_calendar(wh: Warehouse, account: Account | None, dataset_id: str) -> None:
    reviewer = require_account(account, Action.REVIEW)
    with wh.catalogue.transaction() as con:
        con.execute("DELETE FROM reporting_calendar WHERE dataset_id = ?", (dataset_id,))
        Catalogue.audit(con, reviewer.username, "remove_calendar", "dataset", dataset_id)


def calendar(wh: Warehouse) -> dict[str, CalendarEntry]:
    rows = wh.catalogue.query("SELECT * FROM reporting_calendar ORDER BY dataset_id")
    return {r["dataset_id"]: CalendarEntry(**dict(r)) for r in rows if r["dataset_id"] in dataset_ids()}


# -- what the catalogue holds ------------------------------------------------------------------------------

def published_slices(wh: Warehouse, dataset_ids_: Iterable[str] | None = None) -> pl.DataFrame:
    """(dataset, country, period) published now, with the version and date of the release readers see."""
    rows = wh.catalogue.query(
        "SELECT r.dataset_id, c.area, c.period, r.version, r.published_at, r.published_seq, r.scope,"
        " r.release_id FROM release_coverage c JOIN releases r ON r.release_id = c.release_id"
        " WHERE r.status = 'published'")
    frame = pl.DataFrame([tuple(r) for r in rows], orient="row", schema={
        "dataset_id": pl.String, "country": pl.String, "period": pl.String, "version": pl.Int64,
        "published_at": pl.String, "published_seq": pl.String, "scope": pl.String, "release_id": pl.String})
    if dataset_ids_ is not None:
        frame = frame.filter(pl.col("dataset_id").is_in(list(dataset_ids_)))
    # Where releases overlap, the one readers see (Warehouse's precedence).
    seen = [wh.read_slices(d).select(pl.lit(d).alias("dataset_id"), pl.col("area").alias("country"), "period",
                                     "release_id") for d in frame["dataset_id"].unique().to_list()]
    if seen:
        frame = frame.join(pl.concat(seen), on=["dataset_id", "country", "period", "release_id"], how="semi")
    return (frame.sort("published_seq").group_by("dataset_id", "country", "period").last()
            .drop("published_seq"))


def _submission_slices(wh: Warehouse, account: Account | None) -> pl.DataFrame:
    """The newest version of each (dataset, country, period) among the submissions `account` may see."""
    subs = SubmissionStore(wh).list(account)
    schema = {"dataset_id": pl.String, "country": pl.String, "period": pl.String, "sub_version": pl.Int64,
              "sub_status": pl.String, "submitted_at": pl.String, "reason": pl.String, "submission_id": pl.String}
    if not subs:
        return pl.DataFrame(schema=schema)
    by_release = {s.release_id: s for s in subs if s.release_id}
    marks = ",".join("?" * len(by_release))
    coverage = wh.catalogue.query(
        f"SELECT release_id, area, period FROM release_coverage WHERE release_id IN ({marks})",
        tuple(by_release))
    rows = []
    for release_id, area, period in coverage:
        s = by_release[release_id]
        rows.append((s.dataset_id, area, period, s.version, s.status, s.submitted_at, s.reason, s.submission_id))
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    # A published one then superseded stays in the history, not on the board.
    return (frame.filter(pl.col("sub_status") != "superseded").sort("sub_version")
            .group_by("dataset_id", "country", "period").last())


# -- the board -------------------------------------------------------------------------------------------

def board(wh: Warehouse, account: Account | None, *, countries: Iterable[str] | None = None,
          dataset_ids_: Iterable[str] | None = None, years: tuple[int, int] | None = None,
          today: date | None = None) -> pl.DataFrame:
    """One row per (dataset, country, period): status, lateness against the calendar, version and dates.

    The public sees published and missing only (no drafts, submissions, rejections or reasons): submissions
    come from SubmissionStore.list, which shows each account only what it may see.
    """
    today = today or date.today()
    countries = list(countries) if countries else project_countries()
    ids = list(dataset_ids_) if dataset_ids_ else dataset_ids()
    cal = calendar(wh)

    expected_rows = []
    for ds_id in ids:
        entry = cal.get(ds_id)
        if entry is None:
            continue
        for period in entry.periods(today):
            expected_rows += [(ds_id, c, period) for c in countries]
    expected = pl.DataFrame(expected_rows, orient="row",
                            schema={"dataset_id": pl.String, "country": pl.String, "period": pl.String}
                            ).with_columns(pl.lit(True).alias("expected"))

    published = published_slices(wh, ids).filter(pl.col("country").is_in(countries))
    subs = _submission_slices(wh, account).filter(pl.col("dataset_id").is_in(ids)
                                                  & pl.col("country").is_in(countries))
    keys = ["dataset_id", "country", "period"]
    cells = (pl.concat([expected.select(keys), published.select(keys), subs.select(keys)]).unique()
             .join(expected, on=keys, how="left").join(published, on=keys, how="left")
             .join(subs, on=keys, how="left")
             .with_columns(pl.col("expected").fill_null(False)))
    if years is not None:
        cells = in_years(cells, years)

    due = [cal[d].due(p) if d in cal and _fits(p, cal[d].frequency) else None
           for d, p in zip(cells["dataset_id"], cells["period"])]
    cells = cells.with_columns(pl.Series("due", due, dtype=pl.Date))
    return _finish(cells, today)


def in_years(cells: pl.DataFrame, years: tuple[int, int]) -> pl.DataFrame:
    """Board cells whose period falls in `years` (inclusive): a year's view of a board already built."""
    year = pl.col("period").str.slice(0, 4).cast(pl.Int32, strict=False)
    return cells.filter(year.is_between(years[0], years[1]))


def _fits(period: str, frequency: str) -> bool:
    return bool(re.match(_PATTERNS[frequency], period))


def _finish(cells: pl.DataFrame, today: date) -> pl.DataFrame:
    keys = ["dataset_id", "country", "period"]
    published = pl.col("published_at").is_not_null()
    pending = pl.col("sub_status") == "submitted"
    status = (pl.when(pending).then(pl.lit("submitted"))
              .when(published).then(pl.lit("published"))
              .when(pl.col("sub_status").is_in(["rejected", "draft"])).then(pl.col("sub_status"))
              .when(pl.col("due").is_not_null() & (pl.col("due") >= pl.lit(today))).then(pl.lit("not_due"))
              .otherwise(pl.lit("missing")))
    published_day = pl.col("published_at").str.slice(0, 10).str.to_date(strict=False)
    late = (pl.col("expected") & pl.col("due").is_not_null()
            & pl.when(published).then(published_day > pl.col("due"))
            .otherwise(pl.col("due") < pl.lit(today)))
    # A cell published from a submission shows that submission's version; otherwise the release's.
    version = pl.when(published & (pl.col("sub_status") == "published")).then(pl.col("sub_version")) \
        .otherwise(pl.col("version"))
    return (cells.with_columns(status.alias("status"), late.fill_null(False).alias("late"), version.alias("version"))
            # The reason of the newest rejection stays visible even where older data is published.
            .with_columns(pl.when(pl.col("sub_status") == "rejected").then(pl.col("reason")).otherwise(pl.lit(None))
                          .alias("reason"))
            .select(list(BOARD_SCHEMA)).cast(BOARD_SCHEMA).sort(keys))


# -- summary figures -------------------------------------------------------------------------------------

def summary(cells: pl.DataFrame, *, today: date | None = None) -> pl.DataFrame:
    """Per country: timeliness and completeness, from board cells.

    timeliness = expected dataset-periods due in the last 12 months that were published by their due date,
    over those due in the last 12 months; completeness = expected dataset-periods already due that are
    published (on time or not), over all expected dataset-periods already due. None where nothing was due.
    """
    today = today or date.today()
    due = cells.filter(pl.col("expected") & pl.col("due").is_not_null() & (pl.col("due") < pl.lit(today)))
    recent = due.filter(pl.col("due") >= pl.lit(today - TIMELINESS_WINDOW))
    published = pl.col("published_at").is_not_null()
    completeness = due.group_by("country").agg(
        pl.len().alias("expected"), published.sum().alias("present"))
    timeliness = recent.group_by("country").agg(
        pl.len().alias("due_last_12m"), (published & ~pl.col("late")).sum().alias("on_time_last_12m"))
    countries = cells.select("country").unique()
    out = (countries.join(completeness, on="country", how="left").join(timeliness, on="country", how="left")
           .with_columns(pl.col("expected", "present", "due_last_12m", "on_time_last_12m").fill_null(0)))
    return out.with_columns(
        pl.when(pl.col("due_last_12m") > 0).then(pl.col("on_time_last_12m") / pl.col("due_last_12m"))
        .otherwise(None).alias("timeliness"),
        pl.when(pl.col("expected") > 0).then(pl.col("present") / pl.col("expected"))
        .otherwise(None).alias("completeness"),
    ).sort("country")


def last_updated(wh: Warehouse, *, countries: Iterable[str] | None = None) -> pl.DataFrame:
    """When each country's data of each dataset was last published (date of the newest visible release)."""
    slices = published_slices(wh)
    if countries:
        slices = slices.filter(pl.col("country").is_in(list(countries)))
    return (slices.group_by("country", "dataset_id").agg(pl.col("published_at").max().alias("last_updated"))
            .sort("country", "dataset_id"))


def coverage(wh: Warehouse, *, countries: Iterable[str] | None = None, dataset_ids_: Iterable[str] | None = None,
             years: tuple[int, int] | None = None) -> pl.DataFrame:
    """The public board: which published data exists per dataset, country and year (number of periods)."""
    slices = published_slices(wh, dataset_ids_)
    if countries:
        slices = slices.filter(pl.col("country").is_in(list(countries)))
    slices = slices.with_columns(pl.col("period").str.slice(0, 4).alias("year"))
    if years is not None:
        slices = slices.filter(pl.col("year").cast(pl.Int32, strict=False).is_between(years[0], years[1]))
    return (slices.group_by("dataset_id", "country", "year").agg(pl.len().cast(pl.Int64).alias("periods"))
            .sort("dataset_id", "country", "year"))


def owed(cells: pl.DataFrame) -> pl.DataFrame:
    """What a country still owes: expected cells not published, and rejected or draft ones to send again."""
    return cells.filter(pl.col("expected") & (pl.col("published_at").is_null()) & (pl.col("status") != "submitted"))


# -- the directory ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FocalPoint:
    name: str
    institution: str
    country: str
    datasets: tuple[str, ...]
    contact: str
    username: str


def directory(wh: Warehouse, account: Account | None, *, country: str | None = None) -> list[FocalPoint]:
    """The focal points of the Network. Signed-in members only: raises Forbidden for the public."""
    require(account, Action.VIEW_DIRECTORY)
    sent: dict[str, set[str]] = {}
    for row in wh.catalogue.query("SELECT DISTINCT submitter, dataset_id FROM submissions"):
        sent.setdefault(row["submitter"], set()).add(row["dataset_id"])
    people = [a for a in list_users(wh.catalogue) if a.role == "focal_point" and a.active
              and (country is None or a.country == country)]
    return [FocalPoint(a.display_name, a.institution, a.country or "", tuple(sorted(sent.get(a.username, ()))),
                       a.email, a.username) for a in sorted(people, key=lambda a: (a.country, a.display_name))]


# -- tables as the pages show them (translated headers and labels) ---------------------------------------

def status_label(status: str, late: bool, lang: str) -> str:
    text = t(f"network.status.{status}", lang)
    return f"{text} · {t('network.col.late', lang).lower()}" if late else text


def open_link(row: dict, reviewer: bool, lang: str) -> str | None:
    """Where a cell opens: the published data in the cross-tab, or the submission's page."""
    if row["status"] == "published":
        from vipmg_core import links  # the pages' links (it imports the engines; the board needs them only here)

        year = int(row["period"][:4])
        context = links.Context.of(lang, (), (row["country"],), (year, year), bounds=None)
        return links.CrosstabLink.defaults(context, row["dataset_id"]).url()
    if row.get("submission_id"):
        return f"/{'review' if reviewer else 'my_submissions'}?lang={lang}"
    return None


def board_table(cells: pl.DataFrame, lang: str, *, reviewer: bool = False) -> pd.DataFrame:
    rows = []
    for r in cells.iter_rows(named=True):
        ds = dataset(r["dataset_id"])
        rows.append({
            t("network.col.dataset", lang): ds.title(lang),
            t("network.col.unit", lang): t(f"unit.{ds.unit}", lang),
            t("network.col.country", lang): country_name(r["country"], lang),
            t("network.col.period", lang): r["period"],
            t("network.col.status", lang): status_label(r["status"], r["late"], lang),
            t("network.col.due", lang): r["due"].isoformat() if r["due"] else "",
            t("network.col.version", lang): r["version"],
            t("network.col.published_at", lang): (r["published_at"] or "")[:10],
            t("network.col.submitted_at", lang): (r["submitted_at"] or "")[:10],
            t("network.col.reason", lang): r["reason"] or "",
            t("network.col.open", lang): open_link(r, reviewer, lang),
        })
    return pd.DataFrame(rows)


def board_grid(cells: pl.DataFrame, lang: str) -> pd.DataFrame:
    """At a glance: one row per dataset and country, one column per period, the status in each cell."""
    if cells.is_empty():
        return pd.DataFrame()
    labelled = cells.with_columns(
        pl.Series("label", [status_label(s, late, lang) + (f" v{v}" if s == "published" and v else "")
                            for s, late, v in zip(cells["status"], cells["late"], cells["version"])]),
        pl.Series("ds", [dataset(d).title(lang) for d in cells["dataset_id"]]),
        pl.Series("cty", [country_name(c, lang) for c in cells["country"]]))
    grid = labelled.pivot("period", index=["ds", "cty"], values="label", sort_columns=True).sort("ds", "cty")
    return grid.to_pandas().fillna("").rename(columns={"ds": t("network.col.dataset", lang),
                                                       "cty": t("network.col.country", lang)})


def summary_table(summary_frame: pl.DataFrame, updated: pl.DataFrame, lang: str) -> pd.DataFrame:
    last = updated.group_by("country").agg(pl.col("last_updated").max())
    rows = []
    for r in summary_frame.join(last, on="country", how="left").iter_rows(named=True):
        rows.append({
            t("network.col.country", lang): country_name(r["country"], lang),
            t("network.col.timeliness", lang): _percent(r["timeliness"], lang),
            t("network.col.completeness", lang): _percent(r["completeness"], lang),
            t("network.col.expected", lang): r["expected"],
            t("network.col.present", lang): r["present"],
            t("network.col.last_updated", lang): (r["last_updated"] or "")[:10],
        })
    return pd.DataFrame(rows)


def _percent(share: float | None, lang: str) -> str:
    return fmt_percent(None if share is None else share * 100, lang, 0)


def last_updated_table(updated: pl.DataFrame, lang: str) -> pd.DataFrame:
    if updated.is_empty():
        return pd.DataFrame()
    frame = updated.with_columns(
        pl.Series("ds", [dataset(d).title(lang) for d in updated["dataset_id"]]),
        pl.Series("cty", [country_name(c, lang) for c in updated["country"]]),
        pl.col("last_updated").str.slice(0, 10))
    grid = frame.pivot("ds", index="cty", values="last_updated", sort_columns=True)
    return grid.to_pandas().fillna("").rename(columns={"cty": t("network.col.country", lang)})


def coverage_table(cov: pl.DataFrame, lang: str) -> pd.DataFrame:
    """The public board: datasets and countries down, years across, the number of periods with data."""
    if cov.is_empty():
        return pd.DataFrame()
    frame = cov.with_columns(
        pl.Series("ds", [dataset(d).title(lang) for d in cov["dataset_id"]]),
        pl.Series("unit", [t(f"unit.{dataset(d).unit}", lang) for d in cov["dataset_id"]]),
        pl.Series("cty", [country_name(c, lang) for c in cov["country"]]))
    grid = frame.pivot("year", index=["ds", "unit", "cty"], values="periods", sort_columns=True).sort("ds", "cty")
    return grid.to_pandas().rename(columns={"ds": t("network.col.dataset", lang), "unit": t("network.col.unit", lang),
                                            "cty": t("network.col.country", lang)})


def calendar_table(cal: Mapping[str, CalendarEntry], lang: str) -> pd.DataFrame:
    return pd.DataFrame([{
        t("network.col.dataset", lang): dataset(e.dataset_id).title(lang),
        t("network.col.frequency", lang): t(f"network.frequency.{e.frequency}", lang),
        t("network.col.due_days", lang): e.due_days,
        t("network.col.since", lang): e.since,
    } for e in cal.values()])


def directory_table(people: list[FocalPoint], lang: str) -> pd.DataFrame:
    return pd.DataFrame([{
        t("network.col.name", lang): p.name,
        t("network.col.institution", lang): p.institution,
        t("network.col.country", lang): country_name(p.country, lang),
        t("network.col.datasets", lang): ", ".join(dataset(d).title(lang) for d in p.datasets),
        t("network.col.contact", lang): p.contact,
    } for p in people])


class BoardMeta(ExportMeta):
    """Export metadata for tables that span several datasets (the board, the coverage): no single source."""

    def rows(self) -> list[tuple[str, str]]:
        rows = [(t("export.title", self.lang), self.title),
                (t("export.note", self.lang), t("network.events_note", self.lang))]
        rows.append((t("export.generated", self.lang), self.generated_at))
        if self.synthetic:
            rows.append((t("export.warning", self.lang), t("export.synthetic", self.lang)))
        return rows


def board_meta(title: str, lang: str, synthetic: bool) -> BoardMeta:
    return BoardMeta(dataset_id="", lang=lang, title=title, synthetic=synthetic)
