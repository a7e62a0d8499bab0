"""Several app processes on one store (issue #19): two `streamlit run app.py` replicas, command-line processes
and worker processes share one PostgreSQL catalogue and one data folder, as replicas behind a proxy do.

24 focal points send their files at the same moment from three processes (up to eight threads each) and the
CLI; a reviewer lists them with the CLI and publishes them from two other processes at once; both replicas, which
had answered (and kept) the figures from before, show the new figures on their next request, and the catalogue
holds every submission once. A sign-in cookie made by one replica is known to the other. Driven over HTTP (the data by URL at
/api/v1 and the session routes): no browser.

Runs on PostgreSQL only (the several-machines set-up); skipped without a server, failed in CI (tests/conftest.py).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import polars as pl
import pytest

from tools import streamlit_server
from vipmg_core import accounts, web_sessions
from vipmg_core.codelists import project_countries
from vipmg_core.warehouse import Provenance, Warehouse

PROJECT = Path(__file__).resolve().parent.parent
PROCESSES, THREADS = 3, 8  # 24 submitters
PERIODS = ("2025-01", "2025-02")  # two focal points per country, one period each: 12 countries x 2 = 24 slices
START_TIMEOUT = 90.0
URL = "/api/v1/crosstab.csv?xds=returns&xr=ref_area&xc=sex&yr=2024-2025&xk=1&lang=en"
_http = streamlit_server.LOCAL_HTTP

# One submitting process: signs its focal points in, says "ready", waits for "go" on stdin, then sends every file
# from its own thread at once, and prints what each got (a submission id or the error).
WORKER = r"""
import json, sys, threading
import polars as pl
from vipmg_core import accounts
from vipmg_core.submissions import SubmissionStore
from vipmg_core.warehouse import Warehouse

jobs = json.loads(sys.argv[1])
wh = Warehouse()
store = SubmissionStore(wh)
signed = [accounts.authenticate(wh.catalogue, j["user"], j["password"], channel="cli", source="replica-test")
          for j in jobs]
print("ready", flush=True)
sys.stdin.readline()
start = threading.Barrier(len(jobs))
results = [None] * len(jobs)

def send(i):
    job = jobs[i]
    frame = pl.DataFrame(job["rows"])
    data = frame.write_csv().encode()
    start.wait()
    try:
        sub = store.create(signed[i], dataset_id="returns", country=job["country"], file_name="retornos.csv",
                           data=data, frame=frame, mapping={}, report={"ready": True}, ready=True)
        results[i] = {"id": sub.submission_id, "country": sub.country, "period": sub.period}
    except Exception as exc:
        results[i] = {"error": f"{type(exc).__name__}: {exc}"}

threads = [threading.Thread(target=send, args=(i,)) for i in range(len(jobs))]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(results), flush=True)
"""

# The reviewer's second process: publishes the ids given, from four threads at once.
PUBLISHER = r"""
import json, sys
from concurrent.futures import ThreadPoolExecutor
from vipmg_core import accounts
from vipmg_core.submissions import SubmissionStore
from vipmg_core.warehouse import Warehouse

ids = json.loads(sys.argv[1])
wh = Warehouse()
store = SubmissionStore(wh)
reviewer = accounts.authenticate(wh.catalogue, "revisor", sys.stdin.readline().strip(), channel="cli",
                                 source="replica-test")
with ThreadPoolExecutor(4) as pool:
    done = list(pool.map(lambda i: store.publish(reviewer, i).status, ids))
print(json.dumps(done), flush=True)
"""


def rows(country: str, period: str, k: int, p: int) -> dict[str, list]:
    """One office's file: women and men returned from the United States that month (no count under 3: nothing
    is suppressed, so every figure shows)."""
    return {"ref_area": [country, country], "time_period": [period, period], "returned_from": ["USA", "USA"],
            "sex": ["F", "M"], "age_group": ["Y20T24", "Y20T24"], "minor_status": ["ADULT", "ADULT"],
            "transport": ["AIR", "AIR"], "obs_value": [100 + 7 * k + p, 300 + 11 * k + 5 * p]}


def get(base: str, path: str = URL) -> tuple[int, bytes, Message]:
    try:
        with _http.open(base + path, timeout=60) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def post(base: str, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, Message]:
    request = urllib.request.Request(base + path, data=body, method="POST", headers=headers or {})
    try:
        with _http.open(request, timeout=30) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


def figures(body: bytes) -> dict[tuple[str, str], int]:
    """The cross-tab's cells by (area code, sex code), totals as "_T"; an empty cell ("–") is left out."""
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))

    def code(label: str) -> str:
        found = re.search(r"\(([A-Z_]+)\)$", label.strip())
        return found.group(1) if found else "_T"

    columns = [code(label) for label in table[0][1:]]
    return {(code(row[0]), column): int(value.replace(",", ""))
            for row in table[1:] for column, value in zip(columns, row[1:]) if value.strip() not in ("", "–")}


def expected(cells: list[dict[str, list]]) -> dict[tuple[str, str], int]:
    """What the table must show: every published row summed by area and sex, with the totals."""
    out: dict[tuple[str, str], int] = {}
    for cell in cells:
        for area, sex, value in zip(cell["ref_area"], cell["sex"], cell["obs_value"]):
            for key in ((area, sex), (area, "_T"), ("_T", sex), ("_T", "_T")):
                out[key] = out.get(key, 0) + value
    return out


def start_replicas(data_dir: Path, logs: Path, n: int = 2) -> list[tuple[str, subprocess.Popen, Path]]:
    """`streamlit run app.py` n times on the same store (each as `make run` starts it), healthy."""
    env = {"VIPMG_DATA_DIR": str(data_dir), "VIPMG_DEMO": "0", "VIPMG_WARMUP": "0"}
    started = []
    for i in range(n):
        log = logs / f"replica{i}.log"
        process, base = streamlit_server.start("app.py", cwd=PROJECT, log=log, env=env)
        started.append((base, process, log))
    deadline = time.monotonic() + START_TIMEOUT  # they start side by side: one deadline for all
    try:
        for base, process, log in started:
            streamlit_server.wait_healthy(process, base, log, max(deadline - time.monotonic(), 0))
    except streamlit_server.ServerError as error:
        for _, process, _ in started:
            streamlit_server.stop(process)
        pytest.fail(str(error))
    return started


def python(code: str, *args: str, data_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "VIPMG_DATA_DIR": str(data_dir), "PYTHONPATH": str(PROJECT)}
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=PROJECT, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def cli(data_dir: Path, *args: str, stdin: str = "") -> subprocess.Popen:
    env = {**os.environ, "VIPMG_DATA_DIR": str(data_dir)}
    process = subprocess.Popen([sys.executable, "-m", "vipmg_core", *args], cwd=PROJECT, env=env, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdin.write(stdin)
    process.stdin.close()
    return process


def finished(process: subprocess.Popen, what: str, timeout: float = 120) -> str:
    out, err = process.stdout.read(), process.stderr.read()  # (their standard input is written already)
    process.wait(timeout=timeout)
    assert process.returncode == 0, f"{what} exited {process.returncode}:\n{err[-3000:]}"
    return out


@pytest.mark.parametrize("catalogue_backend", ["postgresql"], indirect=True)
def test_two_replicas_and_the_cli_share_one_store(tmp_path: Path, catalogue_backend):
    store = tmp_path / "store"  # the shared folder: Parquet releases and submitted files
    wh = Warehouse(store)
    countries = project_countries()
    focal = {}
    for country in countries:
        for p in range(len(PERIODS)):
            name = f"fp_{country.lower()}_{p}"
            accounts.add_user(wh.catalogue, name, role="focal_point", country=country, password=f"pw-{name}-1",
                              actor="test")
            focal[(country, p)] = name
    accounts.add_user(wh.catalogue, "revisor", role="reviewer", password="review-password-1", actor="test")
    before = rows("GTM", "2024-06", 0, 0)  # what the public sees before anyone sends a file
    wh.publish("returns", [pl.DataFrame(before)], scope="IGM:2024", actor="test",
               provenance=Provenance(publisher="Instituto Guatemalteco de Migración"))

    replicas = start_replicas(store, tmp_path)
    try:
        (a, _, _), (b, _, _) = replicas
        # Both replicas answer the figures from before, and keep them (the API keeps answers by release token).
        first = {base: get(base) for base in (a, b)}
        for base, (status, body, _) in first.items():
            assert status == 200, (base, body[:300])
            assert figures(body) == expected([before]), base

        # A sign-in made on one replica holds on the other: B knows A's cookie (here it signs it out) and A's
        # one-time grant cannot be used again on B.
        _, grant = web_sessions.issue_grant(wh.catalogue, "revisor")
        status, headers = post(a, "/vipmg/session", grant.encode())
        assert status == 204, status
        cookie = re.search(rf"{web_sessions.COOKIE_NAME}=([^;]+)", headers.get("Set-Cookie", "")).group(1)
        assert post(b, "/vipmg/session", grant.encode())[0] == 403
        assert web_sessions.user_of_cookie(wh.catalogue, cookie) == "revisor"
        assert post(b, "/vipmg/sign-out", headers={"Cookie": f"{web_sessions.COOKIE_NAME}={cookie}"})[0] == 204
        assert web_sessions.user_of_cookie(wh.catalogue, cookie) is None

        # 24 focal points send at the same moment: 23 from three processes of up to eight threads, one with the
        # CLI's `submit` (which validates the file as the Validate page does) meanwhile.
        jobs = [{"user": focal[(c, p)], "password": f"pw-{focal[(c, p)]}-1", "country": c,
                 "rows": rows(c, PERIODS[p], k, p)}
                for k, c in enumerate(countries) for p in range(len(PERIODS))]
        assert len(jobs) == PROCESSES * THREADS
        by_hand, *threaded = jobs
        workers = [python(WORKER, json.dumps(threaded[i::PROCESSES]), data_dir=store) for i in range(PROCESSES)]
        file = tmp_path / "retornos.csv"
        pl.DataFrame(by_hand["rows"]).write_csv(file)
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()[-3000:]
        submit = cli(store, "submit", str(file), "--dataset", "returns", "--country", by_hand["country"],
                     "--user", by_hand["user"], "--password-stdin", stdin=by_hand["password"] + "\n")
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        sent = [result for worker in workers for result in json.loads(finished(worker, "a submitter"))]
        assert [r for r in sent if "error" in r] == []
        sent.append({"id": finished(submit, "submit (CLI)").split(":")[0].strip()})
        assert len({r["id"] for r in sent}) == 24

        # Sent, not published: the public still sees the figures from before, on both.
        for base in (a, b):
            assert figures(get(base)[1]) == expected([before]), base

        # The reviewer lists them with the CLI, then publishes one with the CLI and the rest from another process,
        # both at once.
        listed = json.loads(finished(cli(store, "submissions", "list", "--json", "--status", "submitted",
                                         "--user", "revisor", "--password-stdin", stdin="review-password-1\n"),
                                     "submissions list"))
        ids = sorted(s["id"] for s in listed)
        assert ids == sorted(r["id"] for r in sent)
        by_cli = cli(store, "publish", ids[0], "--user", "revisor", "--password-stdin", stdin="review-password-1\n")
        publisher = python(PUBLISHER, json.dumps(ids[1:]), data_dir=store)
        publisher.stdin.write("review-password-1\n")
        publisher.stdin.close()
        assert "published" in finished(by_cli, "publish (CLI)")
        assert json.loads(finished(publisher, "the reviewer's process")) == ["published"] * 23

        # Both replicas show the new figures on their next request, with a new ETag.
        want = expected([before] + [job["rows"] for job in jobs])
        for base in (a, b):
            status, body, headers = get(base)
            assert status == 200, body[:300]
            assert figures(body) == want, base
            assert headers.get("ETag") not in (None, first[base][2].get("ETag"))

        # Nothing lost, nothing twice: 24 submissions, one per office and month, each version 1, all published,
        # each sent once (one audit entry each) and published once.
        subs = wh.catalogue.query("SELECT country, period, version, status, release_id FROM submissions")
        assert sorted((s["country"], s["period"]) for s in subs) == sorted((c, PERIODS[p]) for c, p in focal)
        assert {(s["version"], s["status"]) for s in subs} == {(1, "published")}
        sends = [e for e in wh.catalogue.audit_entries("submission") if e["action"] == "create_submitted"]
        assert sorted(e["object_id"] for e in sends) == ids
        published = [e for e in wh.catalogue.audit_entries("submission") if e["action"] == "publish"]
        assert sorted(e["object_id"] for e in published) == ids
        releases = {r.release_id for r in wh.releases("returns")}
        assert {s["release_id"] for s in subs} <= releases and len(releases) == 25
    finally:
        for _, process, _ in replicas:
            streamlit_server.stop(process)


def test_behind_the_proxy_each_browser_is_its_own_sign_in_source():
    """Behind the proxy every connection comes from the proxy's address: read as is, one person's wrong passwords
    would slow everyone's sign-in (accounts' per-source back-off). With VIPMG_BEHIND_PROXY=1 the source is the
    X-Real-IP the proxy sets (docs/nginx-vipmg.conf); without it, that header is ignored (a browser could send it)."""
    from vipmg_ui.auth import source_of

    headers = {"Host": "lab.example.org", "X-Real-IP": "192.168.1.23"}
    assert source_of(None, headers, proxied=True) == "ip:192.168.1.23"
    assert source_of("10.0.0.5", {"x-real-ip": "192.168.1.24"}, proxied=True) == "ip:192.168.1.24"
    assert source_of(None, headers, proxied=False) == "ip:local"
    assert source_of("192.168.1.30", headers, proxied=False) == "ip:192.168.1.30"
    assert source_of(None, {}, proxied=True) == "ip:local"
