"""Accounts and publication from the command line: same rules as the app, one-line refusals."""

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from vipmg_core import accounts
from vipmg_core.submissions import SubmissionStore
from vipmg_core.warehouse import Warehouse

PROJECT = Path(__file__).resolve().parent.parent


def cli(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "VIPMG_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "vipmg_core", *args], cwd=PROJECT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_accounts_are_created_by_the_operator_first_then_only_by_an_admin(tmp_path):
    assert cli(tmp_path, "users", "add", "boss", "--role", "admin", "--password-stdin",
               stdin="admin-password-1\n").returncode == 0
    refused = cli(tmp_path, "users", "add", "fp", "--role", "focal_point", "--country", "CRI", "--password-stdin",
                  stdin="focal-password-1\n")
    assert refused.returncode == 3 and "--as-user" in refused.stderr
    ok = cli(tmp_path, "users", "add", "fp", "--role", "focal_point", "--country", "CRI", "--password-stdin",
             "--as-user", "boss", stdin="focal-password-1\nadmin-password-1\n")
    assert ok.returncode == 0, ok.stderr
    listed = json.loads(cli(tmp_path, "users", "list", "--json").stdout)
    assert {(u["username"], u["role"], u["country"]) for u in listed} == {("boss", "admin", None),
                                                                         ("fp", "focal_point", "CRI")}
    (row,) = accounts.list_users(Warehouse(tmp_path).catalogue)[:1]
    assert row.username in ("boss", "fp")


def test_a_wrong_password_or_a_forbidden_action_exits_non_zero_with_one_line(tmp_path):
    wh = Warehouse(tmp_path)
    fp = accounts.add_user(wh.catalogue, "fp_gtm", role="focal_point", country="GTM", password="focal-password-1",
                           actor="t")
    accounts.add_user(wh.catalogue, "rev", role="reviewer", password="review-password-1", actor="t")
    frame = pl.DataFrame({"ref_area": ["GTM"], "time_period": ["2024-05"], "returned_from": ["USA"], "sex": ["F"],
                          "age_group": ["Y20T24"], "minor_status": ["ADULT"], "transport": ["AIR"],
                          "obs_value": [5]})
    sub = SubmissionStore(wh).create(fp, dataset_id="returns", country="GTM", file_name="f.csv", data=b"x",
                                     frame=frame, mapping={}, report={"ready": True}, ready=True)
    for args, stdin in ((("publish", sub.submission_id, "--user", "rev", "--password-stdin"), "nope\n"),
                        (("publish", sub.submission_id, "--user", "fp_gtm", "--password-stdin"), "focal-password-1\n"),
                        (("submissions", "list"), "")):
        result = cli(tmp_path, *args, stdin=stdin)
        assert result.returncode != 0, args
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    listed = cli(tmp_path, "submissions", "list", "--json", "--user", "fp_gtm", "--password-stdin",
                 stdin="focal-password-1\n")
    assert [s["status"] for s in json.loads(listed.stdout)] == ["submitted"]
    published = cli(tmp_path, "publish", sub.submission_id, "--user", "rev", "--password-stdin",
                    stdin="review-password-1\n")
    assert published.returncode == 0 and "published" in published.stdout
    assert Warehouse(tmp_path).frame("returns")["obs_value"].sum() == 5


FIXTURE = PROJECT / "tests" / "fixtures" / "upload" / "entradas_enero_cp1252.csv"


def test_submit_validates_then_keeps_the_file_for_review_and_refuses_what_is_not_ready(tmp_path):
    wh = Warehouse(tmp_path)
    accounts.add_user(wh.catalogue, "fp_cri", role="focal_point", country="CRI", password="focal-password-1",
                      actor="t")
    messy = cli(tmp_path, "submit", str(FIXTURE), "--dataset", "arrivals_departures", "--country", "CRI",
                "--user", "fp_cri", "--password-stdin", stdin="focal-password-1\n")
    assert messy.returncode == 3 and "1 errors" in messy.stderr  # the "Hondura" typo
    other = cli(tmp_path, "submit", str(FIXTURE), "--dataset", "arrivals_departures", "--country", "PAN",
                "--user", "fp_cri", "--password-stdin", stdin="focal-password-1\n")
    assert other.returncode == 3 and "only for CRI" in other.stderr
    clean = tmp_path / "entradas.csv"
    original = FIXTURE.read_bytes().replace(b"Hondura;", b"Honduras;")
    clean.write_bytes(original)
    sent = cli(tmp_path, "submit", str(clean), "--dataset", "arrivals_departures", "--country", "CRI",
               "--user", "fp_cri", "--password-stdin", stdin="focal-password-1\n")
    assert sent.returncode == 0, sent.stderr
    assert "submitted" in sent.stdout and "2025-01" in sent.stdout
    store = SubmissionStore(Warehouse(tmp_path))
    account = accounts.get_user(store.catalogue, "fp_cri")
    (sub,) = store.list(account)
    assert store.original_file(account, sub.submission_id) == original  # byte for byte
    rows = store.staged_rows(account, sub.submission_id)
    assert rows.height == 6 and set(rows["nationality"]) >= {"GTM", "HND"} and rows["obs_value"].sum() == 4644
    assert Warehouse(tmp_path).frame("arrivals_departures").height == 0  # nothing public until reviewed


def test_an_admin_unlocks_an_account_and_a_reset_password_works_at_once(tmp_path):
    """Before, a focal point was still refused with the new password after the admin's reset."""
    import getpass

    wh = Warehouse(tmp_path)
    accounts.add_user(wh.catalogue, "boss", role="admin", password="admin-password-1", actor="t")
    accounts.add_user(wh.catalogue, "fp", role="focal_point", country="CRI", password="focal-password-1", actor="t")

    def guess_five_times() -> None:  # as the CLI does, from this operating-system user
        for i in range(accounts.GUESS_BACKOFF.free):
            with pytest.raises(accounts.AuthError):
                accounts.authenticate(wh.catalogue, "fp", f"guess-{i}", channel="cli",
                                      source=f"cli:{getpass.getuser()}")

    guess_five_times()
    refused = cli(tmp_path, "submissions", "list", "--user", "fp", "--password-stdin", stdin="focal-password-1\n")
    assert refused.returncode == 3 and "too many failed logins" in refused.stderr
    unlocked = cli(tmp_path, "users", "unlock", "fp", "--as-user", "boss", stdin="admin-password-1\n")
    assert unlocked.returncode == 0, unlocked.stderr
    assert cli(tmp_path, "submissions", "list", "--user", "fp", "--password-stdin",
               stdin="focal-password-1\n").returncode == 0

    guess_five_times()
    reset = cli(tmp_path, "users", "reset-password", "fp", "--password-stdin", "--as-user", "boss",
                stdin="new-focal-password-2\nadmin-password-1\n")
    assert reset.returncode == 0, reset.stderr
    assert cli(tmp_path, "submissions", "list", "--user", "fp", "--password-stdin",
               stdin="new-focal-password-2\n").returncode == 0


def test_a_hostile_user_name_is_refused_in_one_line_and_never_stored(tmp_path):
    name = "boss\u202e" + "x" * 100_000
    added = cli(tmp_path, "users", "add", name, "--role", "admin", "--password-stdin", stdin="admin-password-1\n")
    assert added.returncode == 3 and len(added.stderr.strip().splitlines()) == 1 and len(added.stderr) < 300
    assert "1 to 64 characters" in added.stderr
    assert accounts.list_users(Warehouse(tmp_path).catalogue) == []
