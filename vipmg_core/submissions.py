"""Submissions: a focal point's file, kept byte for byte, standardised, reviewed, then published.

draft -> submitted -> published | rejected; a newer published version of the same country, dataset and
period marks the older one superseded. The standardised rows are a staged warehouse release, so publishing
is one catalogue transaction: readers see the old data or the new, never half. Every change is audited.

Sending writes the original file (a blob), then the staged release, then the submission record, each whole
or absent; a sender killed in between leaves files no record names. `sweep_leftovers` removes those once
they are older than a grace period (a write in progress is younger), at the first store of every process (the
app and each command): so a kill at any instant leaves, after the sweep, a complete submission or nothing.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from vipmg_core import rules as data_rules
from vipmg_core.accounts import Account
from vipmg_core.blobs import BlobStore, DigestMismatch
from vipmg_core.catalogue import Catalogue, new_id, now_utc
from vipmg_core.datasets import Dataset, dataset
from vipmg_core.i18n import TranslatedError
from vipmg_core.permissions import Action, Forbidden, allowed, require
from vipmg_core.warehouse import Provenance, Warehouse, sweep_release_files
from vipmg_core.warehouse.sql import quote as _q

if TYPE_CHECKING:
    from vipmg_core.validation import Report

STATUSES = ("draft", "submitted", "published", "rejected", "superseded")
SWEEP_GRACE_SECONDS = 3600  # a send in progress is younger than this; anything older no record names is left over
SUBMISSION_SCOPE = "submission:"
_swept: set[str] = set()  # data folders this process has swept
_sweeping = threading.Lock()


class SubmissionError(Exception):
    """A refused submission step, with a one-line reason."""


class FileMismatch(TranslatedError, SubmissionError):
    """The bytes to store are not the file that was validated (another SHA-256): refused, nothing stored.

    Said in the language it is raised for (`str(error)`, as pages and the CLI show a SubmissionError), and in
    either by `message(lang)`."""

    prefix = "subs"

    def __init__(self, *, expected: str, actual: str, lang: str = "en"):
        super().__init__("error_file_changed", expected=expected[:16], actual=actual[:16])
        self.args = (self.message(lang),)


@dataclass(frozen=True)
class Submission:
    submission_id: str
    dataset_id: str
    country: str
    period: str
    version: int
    status: str
    file_name: str
    file_sha256: str
    file_size: int
    release_id: str | None
    row_count: int
    mapping: dict
    report: dict
    source_institution: str
    definitions: str
    notes: str
    submitter: str
    created_at: str
    submitted_at: str | None
    decided_at: str | None
    decided_by: str | None
    reason: str

    @property
    def staged_release_id(self) -> str:
        """The release holding the submission's standard rows (staged with it when it was created)."""
        if self.release_id is None:
            raise SubmissionError(f"submission {self.submission_id} has no rows")
        return self.release_id

    @classmethod
    def from_row(cls, row) -> Submission:
        data = dict(row)
        data["mapping"] = json.loads(data["mapping"])
        data["report"] = json.loads(data["report"])
        return cls(**data)


def standard_rows(ds: Dataset, data: pl.DataFrame) -> pl.DataFrame:
    """The rows a validated file publishes: the declared columns only, under the `_T` rule (`rules`)."""
    return data_rules.without_covered_totals(ds, data.select(ds.column_names))


def period_of(frame: pl.DataFrame, ds: Dataset) -> str:
    """The reference period a file covers: one period, or `first/last` (ISO 8601 interval)."""
    periods = frame.get_column(ds.time_column).cast(pl.String).drop_nulls().unique().sort()
    if periods.is_empty():
        raise SubmissionError("the file has no reference period")
    first, last = periods[0], periods[-1]
    return first if first == last else f"{first}/{last}"


class SubmissionStore:
    def __init__(self, wh: Warehouse):
        self.wh = wh
        self.catalogue: Catalogue = wh.catalogue
        self.blobs = BlobStore(wh.root / "blobs")
        with _sweeping:
            if str(wh.root.resolve()) not in _swept:
                _swept.add(str(wh.root.resolve()))
                sweep_leftovers(wh)

    # -- writing -----------------------------------------------------------------------------------

    def create_from_report(self, account: Account, report: Report, data: bytes, *, file_name: str,
                           lang: str = "en", source_institution: str = "", definitions: str = "",
                           notes: str = "", submit: bool = True) -> Submission:
        """Keep a validated file: its standard rows, with the mapping and report that produced them (the
        upload page and the `submit` command send files the same way). `data` must be the bytes validated (the
        report's SHA-256): other bytes raise `FileMismatch` and nothing is stored."""
        return self.create(account, dataset_id=report.dataset_id, country=report.country, file_name=file_name,
                           data=data, frame=standard_rows(dataset(report.dataset_id), report.data),
                           mapping=json.loads(report.mapping.to_json()), report=report.to_dict(lang),
                           ready=report.ready, source_institution=source_institution, definitions=definitions,
                           notes=notes, submit=submit, validated_sha256=report.info.sha256, lang=lang)

    def create(
        self,
        account: Account,
        *,
        dataset_id: str,
        country: str,
        file_name: str,
        data: bytes,
        frame: pl.DataFrame,
        mapping: dict,
        report: dict,
        ready: bool,
        source_institution: str = "",
        definitions: str = "",
        notes: str = "",
        submit: bool = True,
        validated_sha256: str | None = None,
        lang: str = "en",
    ) -> Submission:
        """Keep the file and its standardised rows as a new version; `submit` sends it for review at once.

        With `validated_sha256` (the file's fingerprint when it was validated), bytes of another fingerprint raise
        `FileMismatch` (in `lang`) before anything is written."""
        require(account, Action.SUBMIT, country)
        ds = dataset(dataset_id)
        others = frame.filter(pl.col(ds.area_column) != country).get_column(ds.area_column).unique().to_list()
        if others:
            raise Forbidden(Action.SUBMIT, f"the file has rows for {', '.join(sorted(others))}; "
                                           f"{account.username} submits only for {country}")
        if submit and not ready:
            raise SubmissionError("the validation report has errors: fix them before submitting")
        if frame.is_empty():
            raise SubmissionError("the file has no data rows")
        period = period_of(frame, ds)
        try:
            sha256 = self.blobs.put(data, expected=validated_sha256)
        except DigestMismatch as exc:
            raise FileMismatch(expected=exc.expected, actual=exc.actual, lang=lang) from None
        # Staged before the catalogue row: a crash in between leaves an invisible, unreferenced release, never
        # a submission without its data.
        release = self.wh.stage(
            ds.id, [frame], scope=f"{SUBMISSION_SCOPE}{country}:{period}",
            provenance=Provenance(publisher=source_institution or account.institution or account.username,
                                  source_file=file_name, edition=f"{country} {period}"),
            actor=account.username,
        )
        stamp = now_utc()
        submission_id = new_id()
        status = "submitted" if submit else "draft"
        with self.catalogue.transaction() as con:
            (version,) = con.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM submissions WHERE dataset_id = ? AND country = ?"
                " AND period = ?", (ds.id, country, period)).fetchone()
            con.execute(
                "INSERT INTO submissions (submission_id, dataset_id, country, period, version, status, file_name,"
                " file_sha256, file_size, release_id, row_count, mapping, report, source_institution, definitions,"
                " notes, submitter, created_at, submitted_at) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (submission_id, ds.id, country, period, version, status, _safe_name(file_name), sha256, len(data),
                 release.release_id, frame.height, json.dumps(mapping, ensure_ascii=False),
                 json.dumps(report, ensure_ascii=False), source_institution, definitions, notes,
                 account.username, stamp, stamp if submit else None),
            )
            Catalogue.audit(con, account.username, "create_" + status, "submission", submission_id,
                            {"dataset_id": ds.id, "country": country, "period": period, "version": version,
                             "file_sha256": sha256})
        self.blobs.put(data, expected=sha256)  # a sweep that took the same bytes, left over by an earlier kill, meanwhile: back
        return self.get(account, submission_id)

    def submit(self, account: Account, submission_id: str) -> Submission:
        sub = self.get(account, submission_id)
        require(account, Action.SUBMIT, sub.country)
        if not sub.report.get("ready", False):
            raise SubmissionError("the validation report has errors: fix them before submitting")
        self._move(account, sub, "draft", "submitted", "submit", submitted=True)
        return self.get(account, submission_id)

    def publish(self, account: Account, submission_id: str) -> Submission:
        sub = self.get(account, submission_id)
        require(account, Action.PUBLISH, sub.country)
        with self.catalogue.transaction() as con:
            current = con.execute("SELECT status FROM submissions WHERE submission_id = ?",
                                  (submission_id,)).fetchone()["status"]
            if current != "submitted":
                raise SubmissionError(f"only a submitted submission can be published; this one is {current}")
            Warehouse.publish_release_in(con, sub.staged_release_id, actor=account.username)
            con.execute("UPDATE submissions SET status = 'superseded' WHERE dataset_id = ? AND country = ?"
                        " AND period = ? AND status = 'published'", (sub.dataset_id, sub.country, sub.period))
            con.execute("UPDATE submissions SET status = 'published', decided_at = ?, decided_by = ?"
                        " WHERE submission_id = ?", (now_utc(), account.username, submission_id))
            Catalogue.audit(con, account.username, "publish", "submission", submission_id,
                            {"release_id": sub.release_id, "version": sub.version})
        return self.get(account, submission_id)

    def reject(self, account: Account, submission_id: str, reason: str) -> Submission:
        sub = self.get(account, submission_id)
        require(account, Action.REJECT, sub.country)
        if not reason.strip():
            raise SubmissionError("say why the submission is rejected")
        self._move(account, sub, "submitted", "rejected", "reject", reason=reason.strip())
        return self.get(account, submission_id)

    def _move(self, account: Account, sub: Submission, source: str, target: str, action: str, *,
              submitted: bool = False, reason: str = "") -> None:
        stamp = now_utc()
        with self.catalogue.transaction() as con:
            updated = con.execute(
                "UPDATE submissions SET status = ?, submitted_at = CASE WHEN ? THEN ? ELSE submitted_at END,"
                " decided_at = CASE WHEN ? THEN ? ELSE decided_at END,"
                " decided_by = CASE WHEN ? THEN ? ELSE decided_by END, reason = ?"
                " WHERE submission_id = ? AND status = ?",
                (target, submitted, stamp, not submitted, stamp, not submitted, account.username, reason,
                 sub.submission_id, source),
            ).rowcount
            if not updated:
                raise SubmissionError(f"only a {source} submission can be moved to {target}; this one is {sub.status}")
            Catalogue.audit(con, account.username, action, "submission", sub.submission_id,
                            {"from": source, "to": target, "reason": reason} if reason else
                            {"from": source, "to": target})

    # -- reading -----------------------------------------------------------------------------------

    def get(self, account: Account | None, submission_id: str) -> Submission:
        rows = self.catalogue.query("SELECT * FROM submissions WHERE submission_id = ?", (submission_id,))
        if not rows:
            raise SubmissionError(f"no submission {submission_id!r}")
        sub = Submission.from_row(rows[0])
        require(account, Action.VIEW_SUBMISSION, sub.country)
        return sub

    def list(self, account: Account | None, *, country: str | None = None, dataset_id: str | None = None,
             status: str | None = None) -> builtins.list[Submission]:
        """The submissions `account` may see: focal points their country's, reviewers and admins all."""
        if account is None:
            return []
        sql, params = "SELECT * FROM submissions WHERE 1 = 1", []
        for column, value in (("country", country), ("dataset_id", dataset_id), ("status", status)):
            if value:
                sql += f" AND {column} = ?"
                params.append(value)
        rows = self.catalogue.query(sql + " ORDER BY created_at DESC, submission_id DESC", tuple(params))
        subs = [Submission.from_row(r) for r in rows]
        return [s for s in subs if allowed(account, Action.VIEW_SUBMISSION, s.country)]

    def versions(self, account: Account, submission_id: str) -> builtins.list[Submission]:
        sub = self.get(account, submission_id)
        rows = self.catalogue.query(
            "SELECT * FROM submissions WHERE dataset_id = ? AND country = ? AND period = ? ORDER BY version",
            (sub.dataset_id, sub.country, sub.period))
        return [Submission.from_row(r) for r in rows]

    def original_file(self, account: Account, submission_id: str) -> bytes:
        return self.blobs.get(self.get(account, submission_id).file_sha256)

    def staged_rows(self, account: Account, submission_id: str) -> pl.DataFrame:
        """The standardised rows of a submission, published or not (for its submitter and reviewers)."""
        sub = self.get(account, submission_id)
        return pl.read_parquet(self.wh.root / self.wh.release(sub.staged_release_id).path)

    def comparison(self, account: Account, submission_id: str) -> pl.DataFrame:
        """Per period: the submitted total next to what is published now for the same country (for review).

        Totals are the measure for aggregates and the weighted persons for microdata.
        """
        sub = self.get(account, submission_id)
        ds = dataset(sub.dataset_id)
        time = pl.col(ds.time_column).cast(pl.String).alias("period")
        value = ds.measure.name if ds.measure else ds.weight
        if value is None:  # every dataset has a measure or, microdata, a weight (checked when datasets load)
            raise SubmissionError(f"{ds.id} has neither a measure nor a weight to total")
        submitted = (self.staged_rows(account, submission_id)
                     .group_by(time).agg(pl.col(value).sum().cast(pl.Float64).alias("submitted")))
        published = self.wh.query(
            ds.id,
            f"SELECT CAST({_q(ds.time_column)} AS VARCHAR) AS period, CAST(SUM({_q(value)}) AS DOUBLE) AS published"
            f" FROM data WHERE {_q(ds.area_column)} = $country"
            f" AND CAST({_q(ds.time_column)} AS VARCHAR) IN (SELECT UNNEST($periods)) GROUP BY 1",
            {"country": sub.country, "periods": submitted["period"].to_list()},
        )
        return (submitted.join(published, on="period", how="left")
                .with_columns((pl.col("submitted") / pl.col("published") - 1).alias("change"))
                .sort("period"))

    def history(self, account: Account, submission_id: str) -> builtins.list[dict]:
        self.get(account, submission_id)
        return self.catalogue.audit_entries("submission", submission_id)


def _safe_name(file_name: str) -> str:
    """Only the base name, without path parts or control characters."""
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c.isprintable()).strip()
    return cleaned[:200] or "file"


def sweep_leftovers(wh: Warehouse, *, grace_seconds: float = SWEEP_GRACE_SECONDS,
                    now: float | None = None) -> dict[str, int]:
    """Remove what senders killed part way left behind, once older than `grace_seconds`: staged releases of
    submissions that no submission record names (with their files), release files no release names, temporary
    files, and original files (blobs) that no submission names. Logged in the audit log when anything goes;
    returns how many of each were removed."""
    older_than = (time.time() if now is None else now) - grace_seconds
    cutoff = dt.datetime.fromtimestamp(older_than, dt.UTC).isoformat(timespec="seconds")
    catalogue = wh.catalogue
    with catalogue.transaction() as con:
        orphans = [row["release_id"] for row in con.execute(
            "SELECT release_id FROM releases WHERE status = 'staged' AND scope LIKE ? AND created_at < ?"
            " AND release_id NOT IN (SELECT release_id FROM submissions WHERE release_id IS NOT NULL)",
            (SUBMISSION_SCOPE + "%", cutoff))]
        for release_id in orphans:
            con.execute("DELETE FROM release_coverage WHERE release_id = ?", (release_id,))
            con.execute("DELETE FROM releases WHERE release_id = ?", (release_id,))
    files = sweep_release_files(wh, older_than=older_than)
    blobs = BlobStore(wh.root / "blobs")
    named = {row["file_sha256"] for row in catalogue.query("SELECT DISTINCT file_sha256 FROM submissions")}
    removed_blobs = removed_temporary = 0
    for path in blobs.files():
        temporary = blobs.is_temporary(path)
        if not temporary and path.name in named:
            continue
        try:
            if path.stat().st_mtime >= older_than:
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        if temporary:
            removed_temporary += 1
        else:
            removed_blobs += 1
    removed = {"releases": len(orphans), "release_files": len(files), "blobs": removed_blobs,
               "temporary_blobs": removed_temporary}
    if any(removed.values()):
        with catalogue.transaction() as con:
            Catalogue.audit(con, "system", "sweep", "store", str(wh.root.name),
                            {**removed, "release_ids": orphans, "paths": files, "grace_seconds": grace_seconds})
    return removed
