"""A `submit` killed at any instant leaves, after the next start, a complete submission or nothing (issue #16)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vipmg_core import accounts
from vipmg_core.blobs import BlobStore
from vipmg_core.submissions import SWEEP_GRACE_SECONDS, SubmissionStore, sweep_leftovers
from vipmg_core.warehouse import Warehouse

PROJECT = Path(__file__).resolve().parent.parent
FIXTURE = PROJECT / "tests" / "fixtures" / "upload" / "entradas_enero_cp1252.csv"
PASSWORD = "focal-password-1"
KILLS = 40
AT_ONCE = 10

# `python -m vipmg_core`, killed by itself (SIGKILL, as `kill -9`) right after one step of sending.
KILLED_AFTER = """
import os, signal, sys
sys.path.insert(0, {project!r})
from vipmg_core import blobs, warehouse
import pyarrow.parquet as pq

def killed_after(function):
    def step(*args, **kwargs):
        function(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
    return step

step = {step!r}
if step == "blob":  # the original file is stored; nothing else is
    blobs.BlobStore.put = killed_after(blobs.BlobStore.put)
elif step == "parquet":  # the standard rows are written under their temporary name
    pq.ParquetWriter.close = killed_after(pq.ParquetWriter.close)
elif step == "stage":  # the release is staged and recorded; the submission is not
    warehouse.Warehouse.stage = killed_after(warehouse.Warehouse.stage)
from vipmg_core.cli import main
sys.exit(main(sys.argv[1:]))
"""


def submit_args(path: Path) -> list[str]:
    return ["submit", str(path), "--dataset", "arrivals_departures", "--country", "CRI", "--user", "fp_cri",
            "--password-stdin"]


def start(data_dir: Path, path: Path, step: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "VIPMG_DATA_DIR": str(data_dir)}
    command = ([sys.executable, "-m", "vipmg_core"] if step is None else
               [sys.executable, "-c", KILLED_AFTER.format(project=str(PROJECT), step=step)])
    process = subprocess.Popen(command + submit_args(path), cwd=PROJECT, env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    process.stdin.write(f"{PASSWORD}\n".encode())
    process.stdin.close()
    return process


def leftovers(root: Path) -> dict[str, list[str]]:
    """Everything on disk or in the catalogue that is not part of a complete submission."""
    con = sqlite3.connect(root / "catalogue.sqlite")
    subs = con.execute("SELECT file_sha256, release_id FROM submissions").fetchall()
    releases = dict(con.execute("SELECT release_id, path FROM releases").fetchall())
    blobs = BlobStore(root / "blobs")
    found = {
        "submission without its file": [sha for sha, _ in subs if not blobs.path(sha).exists()],
        "submission without its rows": [r for _, r in subs if r not in releases or not (root / releases[r]).exists()],
        "release of no submission": sorted(set(releases) - {r for _, r in subs}),
        "file of no submission": [p.name for p in blobs.files() if p.name not in {sha for sha, _ in subs}],
        "rows of no release": [p.name for p in (root / "warehouse").glob("*/*")
                               if p.relative_to(root).as_posix() not in releases.values()],
    }
    con.close()
    return {what: items for what, items in found.items() if items}


def two_hours_pass(root: Path) -> None:
    """What the grace period waits for: files and records two hours older (no process is sending any more)."""
    earlier = time.time() - 2 * SWEEP_GRACE_SECONDS
    for path in [*(root / "blobs").glob("*/*"), *(root / "warehouse").glob("*/*")]:
        os.utime(path, (earlier, earlier))
    con = sqlite3.connect(root / "catalogue.sqlite")
    with con:
        con.execute("UPDATE releases SET created_at = '2000-01-01T00:00:00+00:00'")
    con.close()


@pytest.mark.slow
def test_submits_killed_at_any_instant_leave_after_a_restart_complete_submissions_or_nothing(tmp_path):
    data_dir = tmp_path / "data"
    wh = Warehouse(data_dir)
    accounts.add_user(wh.catalogue, "fp_cri", role="focal_point", country="CRI", password=PASSWORD, actor="t")
    clean = FIXTURE.read_bytes().replace(b"Hondura;", b"Honduras;")

    def file(number: int) -> Path:  # different bytes each time: a different original file
        path = tmp_path / f"entradas_{number}.csv"
        path.write_bytes(clean.replace(b"1.234", f"1.{number:03d}".encode()))
        return path

    # One send left alone (how long a send takes, as the kills below run), and three killed right after each
    # step of sending: the instants a random kill seldom hits.
    began = time.perf_counter()
    whole_send = start(data_dir, file(0))
    steps = [start(data_dir, file(1 + i), step) for i, step in enumerate(("blob", "parquet", "stage"))]
    assert whole_send.wait() == 0
    whole = time.perf_counter() - began
    assert [p.wait() for p in steps] == [-signal.SIGKILL] * 3
    # Then kill -9 at random instants, several sends at once.
    rng = random.Random(16)
    for first in range(0, KILLS, AT_ONCE):
        running = [(start(data_dir, file(10 + n)), rng.uniform(0.1, 1.0) * whole)
                   for n in range(first, min(first + AT_ONCE, KILLS))]
        began = time.perf_counter()
        for process, instant in sorted(running, key=lambda pair: pair[1]):
            time.sleep(max(0.0, instant - (time.perf_counter() - began)))
            process.send_signal(signal.SIGKILL)
            process.wait()

    left = leftovers(data_dir)
    assert {"file of no submission", "release of no submission", "rows of no release"} <= set(left), left
    # A start within the grace period keeps them: they could be a send still in progress.
    assert not any(sweep_leftovers(Warehouse(data_dir)).values())
    two_hours_pass(data_dir)

    # The restart: any command that opens the submissions, here the focal point listing them.
    listed = subprocess.run([sys.executable, "-m", "vipmg_core", "submissions", "list", "--user", "fp_cri",
                             "--password-stdin"], cwd=PROJECT, env={**os.environ, "VIPMG_DATA_DIR": str(data_dir)},
                            input=f"{PASSWORD}\n", capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert leftovers(data_dir) == {}
    store = SubmissionStore(Warehouse(data_dir))
    account = accounts.get_user(store.catalogue, "fp_cri")
    subs = store.list(account)
    assert subs and all(store.staged_rows(account, s.submission_id).height == 6 for s in subs)
    assert all(store.original_file(account, s.submission_id).startswith(b"Direcci") for s in subs)
    (sweep,) = [e for e in store.catalogue.audit_entries("store") if e["action"] == "sweep"]
    assert sweep["actor"] == "system"
