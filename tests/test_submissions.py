"""Accounts, the authorisation policy and the submission store: nothing lost, no one where they don't belong."""

import multiprocessing
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import polars as pl
import pytest

from vipmg_core import accounts
from vipmg_core.accounts import AuthError, add_user, authenticate
from vipmg_core.permissions import Action, Forbidden, allowed
from vipmg_core.submissions import SubmissionError, SubmissionStore
from vipmg_core.warehouse import Provenance, Warehouse

PASSWORD = "correct horse battery"


def returns_frame(country: str = "GTM", period: str = "2024-05", value: int = 10, rows: int = 3) -> pl.DataFrame:
    return pl.DataFrame({
        "ref_area": [country] * rows, "time_period": [period] * rows, "returned_from": ["USA", "MEX", "USA"][:rows],
        "sex": ["F", "M", "M"][:rows], "age_group": ["Y20T24"] * rows, "minor_status": ["ADULT"] * rows,
        "transport": ["AIR", "LAND", "AIR"][:rows], "obs_value": [value] * rows,
    })


@pytest.fixture
def store(tmp_path: Path, catalogue_backend) -> SubmissionStore:
    """A store on each back end of the catalogue (SQLite, PostgreSQL)."""
    return SubmissionStore(Warehouse(tmp_path / "wh"))


@pytest.fixture
def people(store: SubmissionStore) -> dict:
    cat = store.catalogue
    return {
        "fp_gtm": add_user(cat, "fp_gtm", role="focal_point", country="GTM", password=PASSWORD, actor="admin"),
        "fp_hnd": add_user(cat, "fp_hnd", role="focal_point", country="HND", password=PASSWORD, actor="admin"),
        "reviewer": add_user(cat, "rev", role="reviewer", password=PASSWORD, actor="admin"),
        "admin": add_user(cat, "adm", role="admin", password=PASSWORD, actor="admin"),
        "public": None,
    }


def submit(store, account, country="GTM", period="2024-05", value=10, data=b"file bytes", submit=True):
    return store.create(account, dataset_id="returns", country=country, file_name="../../etc/retornos mayo.csv",
                        data=data, frame=returns_frame(country, period, value), mapping={"sexo": "sex"},
                        report={"ready": True, "errors": []}, ready=True, submit=submit)


# -- accounts --------------------------------------------------------------------------------------------------

def test_passwords_are_stored_as_salted_slow_hashes(store, people):
    (row,) = store.catalogue.query("SELECT password_hash FROM accounts WHERE username = 'fp_gtm'")
    (other,) = store.catalogue.query("SELECT password_hash FROM accounts WHERE username = 'fp_hnd'")
    assert row[0].startswith("$argon2id$") and PASSWORD not in row[0] and row[0] != other[0]


def test_login_works_with_the_right_password_only(store, people):
    assert authenticate(store.catalogue, "fp_gtm", PASSWORD).country == "GTM"
    for name, password in (("fp_gtm", "wrong password"), ("nobody", PASSWORD)):
        with pytest.raises(AuthError, match="wrong user name or password"):
            authenticate(store.catalogue, name, password)


def test_failed_logins_are_rate_limited_and_logged(store, people):
    for _ in range(accounts.GUESS_BACKOFF.free):
        with pytest.raises(AuthError):
            authenticate(store.catalogue, "fp_hnd", "guess-guess")
    with pytest.raises(AuthError, match="too many failed logins"):
        authenticate(store.catalogue, "fp_hnd", PASSWORD)  # even the right one, until the back-off passes
    failures = [e for e in store.catalogue.audit_entries("account", "fp_hnd") if e["action"] == "login_failed"]
    assert len(failures) == accounts.GUESS_BACKOFF.free + 1


def test_disabled_accounts_cannot_log_in(store, people):
    accounts.set_active(store.catalogue, "fp_gtm", False, actor="adm")
    with pytest.raises(AuthError, match="disabled"):
        authenticate(store.catalogue, "fp_gtm", PASSWORD)


def test_account_rules(store):
    cat = store.catalogue
    with pytest.raises(AuthError, match="country"):
        add_user(cat, "x", role="focal_point", password=PASSWORD, actor="a")
    with pytest.raises(AuthError, match="at least"):
        add_user(cat, "y", role="reviewer", password="short", actor="a")
    with pytest.raises(AuthError, match="role"):
        add_user(cat, "z", role="king", password=PASSWORD, actor="a")


# -- the authorisation matrix ------------------------------------------------------------------------------------

ALLOWED = {  # (role, action, for the own country?) -> allowed
    "public": {Action.VIEW_PUBLISHED, Action.VALIDATE},
    "fp_gtm": {Action.VIEW_PUBLISHED, Action.VALIDATE, Action.SUBMIT, Action.VIEW_SUBMISSION, Action.VIEW_DIRECTORY},
    "reviewer": {Action.VIEW_PUBLISHED, Action.VALIDATE, Action.VIEW_SUBMISSION, Action.REVIEW, Action.PUBLISH,
                 Action.REJECT, Action.IMPORT, Action.VIEW_AUDIT, Action.VIEW_DIRECTORY},
    "admin": {Action.VIEW_PUBLISHED, Action.VALIDATE, Action.VIEW_SUBMISSION, Action.REVIEW, Action.VIEW_AUDIT,
              Action.MANAGE_ACCOUNTS, Action.VIEW_DIRECTORY},
}


def _account(role: str, country: str | None = None, active: bool = True) -> accounts.Account:
    return accounts.Account("id", role, role, role, country, "", "", active, False)


MATRIX_PEOPLE = {"public": None, "fp_gtm": _account("focal_point", "GTM"), "reviewer": _account("reviewer"),
                 "admin": _account("admin")}


@pytest.mark.parametrize("who", list(ALLOWED))
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("country", ["GTM", "HND"])
def test_authorisation_matrix(who, action, country):
    expected = action in ALLOWED[who]
    if who == "fp_gtm" and action in (Action.SUBMIT, Action.VIEW_SUBMISSION) and country != "GTM":
        expected = False  # a focal point acts only for their own country
    assert allowed(MATRIX_PEOPLE[who], action, country) is expected


@pytest.mark.parametrize("role", ["focal_point", "reviewer", "admin"])
def test_a_disabled_account_has_only_public_rights(role):
    account = _account(role, "GTM" if role == "focal_point" else None, active=False)
    assert {a for a in Action if allowed(account, a, "GTM")} == ALLOWED["public"]


def test_focal_point_cannot_submit_for_another_country(store, people):
    with pytest.raises(Forbidden, match="only for HND"):
        submit(store, people["fp_hnd"], country="GTM")
    with pytest.raises(Forbidden, match="rows for GTM"):  # nor smuggle another country's rows into their own
        store.create(people["fp_hnd"], dataset_id="returns", country="HND", file_name="f.csv", data=b"x",
                     frame=returns_frame("GTM"), mapping={}, report={"ready": True}, ready=True)


def test_focal_point_cannot_read_another_countrys_drafts(store, people):
    draft = submit(store, people["fp_gtm"], submit=False)
    with pytest.raises(Forbidden):
        store.get(people["fp_hnd"], draft.submission_id)
    with pytest.raises(Forbidden):
        store.get(None, draft.submission_id)
    assert store.list(people["fp_hnd"]) == [] and store.list(None) == []
    assert [s.submission_id for s in store.list(people["reviewer"])] == [draft.submission_id]


@pytest.mark.parametrize("who", ["fp_gtm", "admin", "public"])
def test_only_reviewers_publish_or_reject(store, people, who):
    sub = submit(store, people["fp_gtm"])
    with pytest.raises(Forbidden):
        store.publish(people[who], sub.submission_id)
    with pytest.raises(Forbidden):
        store.reject(people[who], sub.submission_id, "no")


# -- the life of a submission ------------------------------------------------------------------------------------

def test_unpublished_data_is_never_visible_and_publishing_makes_it_so(store, people):
    sub = submit(store, people["fp_gtm"])
    assert store.wh.frame("returns").height == 0
    store.publish(people["reviewer"], sub.submission_id)
    seen = store.wh.query("returns", "SELECT SUM(obs_value), ANY_VALUE(release_id) FROM data", with_release=True)
    assert seen.row(0) == (30, sub.release_id)


def test_resubmitting_a_period_makes_a_new_version_and_keeps_the_old(store, people):
    first = submit(store, people["fp_gtm"], data=b"version one")
    store.publish(people["reviewer"], first.submission_id)
    second = submit(store, people["fp_gtm"], value=20, data=b"version two")
    assert (first.version, second.version) == (1, 2)
    assert store.wh.frame("returns")["obs_value"].sum() == 30  # v2 not published yet
    store.publish(people["reviewer"], second.submission_id)
    assert store.wh.frame("returns")["obs_value"].sum() == 60
    versions = store.versions(people["fp_gtm"], second.submission_id)
    assert [(v.version, v.status) for v in versions] == [(1, "superseded"), (2, "published")]
    assert store.original_file(people["fp_gtm"], first.submission_id) == b"version one"
    assert store.staged_rows(people["reviewer"], first.submission_id)["obs_value"].sum() == 30


def test_a_published_submission_replaces_the_demo_for_its_slice(store, people):
    demo = returns_frame("GTM", "2024-05", 1).vstack(returns_frame("GTM", "2024-06", 1))
    store.wh.publish("returns", [demo], scope="demo", provenance=Provenance("demo", synthetic=True), actor="s")
    store.publish(people["reviewer"], submit(store, people["fp_gtm"]).submission_id)
    by_period = dict(store.wh.query("returns", "SELECT time_period, SUM(obs_value) FROM data GROUP BY 1").rows())
    assert by_period == {"2024-05": 30, "2024-06": 3}


def test_rejection_needs_a_reason_and_every_step_is_audited(store, people):
    sub = submit(store, people["fp_gtm"])
    with pytest.raises(SubmissionError):
        store.reject(people["reviewer"], sub.submission_id, "  ")
    store.reject(people["reviewer"], sub.submission_id, "totals do not match the bulletin")
    rejected = store.get(people["fp_gtm"], sub.submission_id)
    assert rejected.status == "rejected" and rejected.reason == "totals do not match the bulletin"
    with pytest.raises(SubmissionError):
        store.publish(people["reviewer"], sub.submission_id)
    actions = [(e["actor"], e["action"]) for e in store.history(people["reviewer"], sub.submission_id)]
    assert actions == [("fp_gtm", "create_submitted"), ("rev", "reject")]


def test_drafts_move_to_submitted_and_file_names_lose_their_paths(store, people):
    draft = submit(store, people["fp_gtm"], submit=False)
    assert draft.status == "draft" and draft.file_name == "retornos mayo.csv"
    assert store.submit(people["fp_gtm"], draft.submission_id).status == "submitted"


def test_a_file_with_errors_cannot_be_submitted(store, people):
    with pytest.raises(SubmissionError, match="errors"):
        store.create(people["fp_gtm"], dataset_id="returns", country="GTM", file_name="f.csv", data=b"x",
                     frame=returns_frame(), mapping={}, report={"ready": False}, ready=False)


# -- many at once, and crashes -----------------------------------------------------------------------------------

def _submit_from_process(root: str, country: str, months: list[int]) -> None:
    """Several submissions at once from threads of one process, as a server's sessions send them."""
    store = SubmissionStore(Warehouse(Path(root)))
    account = accounts.get_user(store.catalogue, f"fp_{country.lower()}")
    failed: list[BaseException] = []

    def one(month: int) -> None:
        try:
            submit(store, account, country=country, period=f"2024-{month:02d}", data=f"{country}{month}".encode())
        except BaseException as error:  # noqa: BLE001 - reported by the exit status below
            failed.append(error)

    workers = [threading.Thread(target=one, args=(m,)) for m in months]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failed:
        raise failed[0]


def test_twenty_four_concurrent_submissions_all_land(tmp_path, catalogue_backend):
    """Six processes (the app, the CLI, imports...), each sending four submissions from threads at once (on
    PostgreSQL three processes: the pool and the lock are the same in each, and a process costs seconds to start)."""
    root = tmp_path / "wh"
    cat = Warehouse(root).catalogue
    for country in ("GTM", "HND", "SLV"):
        add_user(cat, f"fp_{country.lower()}", role="focal_point", country=country, password=PASSWORD, actor="a")
    ctx = multiprocessing.get_context("spawn")
    halves = ([1, 2, 3, 4], [5, 6, 7, 8]) if catalogue_backend == "sqlite" else ([1, 2, 3, 4],)
    procs = [ctx.Process(target=_submit_from_process, args=(str(root), c, months))
             for c in ("GTM", "HND", "SLV") for months in halves]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    sent = 4 * len(procs)
    (count,), = cat.query("SELECT COUNT(*) FROM submissions")
    assert count == sent
    (staged,), = cat.query("SELECT COUNT(*) FROM releases WHERE status = 'staged'")
    assert staged == sent
    assert {tuple(r) for r in cat.query("SELECT country, COUNT(DISTINCT period) FROM submissions GROUP BY country")} \
        == {(c, sent // 3) for c in ("GTM", "HND", "SLV")}


def test_reviewers_deciding_one_submission_at_the_same_moment_make_exactly_one_decision(store, people):
    """Six reviewers' sessions publish or reject the same submission at once, on each back end: one wins, the
    others are told it is no longer submitted, and one release is published, once."""
    sub = submit(store, people["fp_gtm"])
    start = threading.Barrier(6)
    won, refused = [], []

    def decide(publish: bool) -> None:
        store.get(people["reviewer"], sub.submission_id)  # (each session has a connection of its own)
        start.wait()
        try:
            if publish:
                won.append(store.publish(people["reviewer"], sub.submission_id).status)
            else:
                won.append(store.reject(people["reviewer"], sub.submission_id, "totals do not add up").status)
        except SubmissionError as error:
            refused.append(str(error))

    threads = [threading.Thread(target=decide, args=(i % 3 != 0,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and len(refused) == 5, (won, refused)
    decisions = [e for e in store.catalogue.audit_entries("submission", sub.submission_id)
                 if e["action"] in ("publish", "reject")]
    assert [e["action"] for e in decisions] == [won[0].replace("published", "publish").replace("rejected", "reject")]
    published = [e for e in store.catalogue.audit_entries("release", sub.release_id) if e["action"] == "publish"]
    assert len(published) == (won[0] == "published")
    assert store.wh.frame("returns").height == (3 if won[0] == "published" else 0)


def _slow_submission(root: str) -> None:
    store = SubmissionStore(Warehouse(Path(root)))
    account = accounts.get_user(store.catalogue, "fp_gtm")
    big = pl.concat([returns_frame("GTM", f"2024-{m:02d}") for m in range(1, 13)] * 20000)
    store.create(account, dataset_id="returns", country="GTM", file_name="big.csv", data=os.urandom(1 << 20),
                 frame=big, mapping={}, report={"ready": True}, ready=True)


def test_a_process_killed_mid_submission_leaves_the_store_consistent(tmp_path, catalogue_backend):
    root = tmp_path / "wh"
    wh = Warehouse(root)
    add_user(wh.catalogue, "fp_gtm", role="focal_point", country="GTM", password=PASSWORD, actor="a")
    ctx = multiprocessing.get_context("spawn")
    for delay in (0.8, 1.2, 1.6, 2.0):
        proc = ctx.Process(target=_slow_submission, args=(str(root),))
        proc.start()
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
    if catalogue_backend == "sqlite":
        con = sqlite3.connect(root / "catalogue.sqlite")
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    cat = wh.catalogue
    for (release_id,) in cat.query("SELECT release_id FROM submissions"):
        (path, status), = cat.query("SELECT path, status FROM releases WHERE release_id = ?", (release_id,))
        assert (root / path).exists() and status == "staged"
    for (path,) in cat.query("SELECT path FROM releases"):
        assert (root / path).exists()
    assert wh.frame("returns").height == 0  # nothing half-published


def test_reviewers_compare_a_submission_with_what_is_published(store, people):
    store.publish(people["reviewer"], submit(store, people["fp_gtm"], value=10).submission_id)
    newer = submit(store, people["fp_gtm"], value=15)
    table = store.comparison(people["reviewer"], newer.submission_id)
    assert table.rows() == [("2024-05", 45.0, 30.0, 0.5)]


def test_total_rows_are_dropped_where_their_parts_are_in_the_file_and_kept_where_alone():
    from vipmg_core.datasets import dataset
    from vipmg_core.submissions import standard_rows

    frame = pl.DataFrame({
        "ref_area": ["GTM"] * 4, "time_period": ["2024-05", "2024-05", "2024-05", "2024-06"],
        "returned_from": ["USA"] * 4, "sex": ["F", "M", "_T", "_T"], "age_group": ["Y20T24"] * 4,
        "minor_status": ["ADULT"] * 4, "transport": ["AIR"] * 4, "obs_value": [1, 2, 3, 9],
    })
    rows = standard_rows(dataset("returns"), frame)
    assert sorted(rows.select("time_period", "sex", "obs_value").rows()) == [
        ("2024-05", "F", 1), ("2024-05", "M", 2), ("2024-06", "_T", 9)]


# -- the file stored is the file validated -----------------------------------------------------------------------

RETURNS_CSV = ("ref_area,time_period,returned_from,sex,age_group,minor_status,transport,obs_value\n"
               "GTM,2024-05,USA,F,Y20T24,ADULT,AIR,10\nGTM,2024-05,MEX,M,Y20T24,ADULT,LAND,7\n").encode()


def _validated(data: bytes):
    from vipmg_core import mapping as mp
    from vipmg_core.readers import read_upload
    from vipmg_core.validation import validate

    read = read_upload(data, "retornos.csv")
    report = validate(read, mp.auto_mapping(read, "returns", "GTM"))
    assert report.ready
    return read, report


def test_bytes_other_than_the_validated_file_are_refused_and_nothing_is_stored(store, people):
    import hashlib

    from vipmg_core.submissions import FileMismatch

    _read, report = _validated(RETURNS_CSV)
    other = RETURNS_CSV.replace(b",10\n", b",99\n")  # another file, same name: not what was validated
    releases_before = len(store.wh.releases("returns"))
    with pytest.raises(FileMismatch) as caught:
        store.create_from_report(people["fp_gtm"], report, other, file_name="retornos.csv", lang="es")
    assert isinstance(caught.value, SubmissionError)
    assert "no se guardó nada" in str(caught.value) and "\n" not in str(caught.value)  # in the sender's language
    assert hashlib.sha256(other).hexdigest()[:16] in caught.value.message("en")
    assert "nothing was stored" in caught.value.message("en")
    assert store.list(people["admin"]) == []
    assert store.blobs.files() == []
    assert len(store.wh.releases("returns")) == releases_before
    assert store.catalogue.query("SELECT COUNT(*) AS n FROM releases WHERE status = 'staged'")[0]["n"] == 0


def test_the_validated_file_is_stored_and_read_back_byte_for_byte(store, people):
    import hashlib

    read, report = _validated(RETURNS_CSV)
    assert read.data == RETURNS_CSV and read.info.sha256 == hashlib.sha256(RETURNS_CSV).hexdigest()
    sub = store.create_from_report(people["fp_gtm"], report, read.data, file_name="retornos.csv")
    assert sub.status == "submitted" and sub.file_sha256 == read.info.sha256
    stored = store.blobs.get(sub.file_sha256)
    assert hashlib.sha256(stored).hexdigest() == report.info.sha256 and stored == RETURNS_CSV
    assert store.original_file(people["reviewer"], sub.submission_id) == RETURNS_CSV
