"""Backups while the app runs, and their restore: what comes back is, export for export, the store as it was at
one instant: with a publication made during the backup wholly in it or wholly absent, never half."""

from __future__ import annotations

import json
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pytest

from vipmg_core import backup as bk
from vipmg_core import crosstab as xt
from vipmg_core import demo, downloads
from vipmg_core.accounts import add_user
from vipmg_core.catalogue import URL_VARIABLE
from vipmg_core.cli import main
from vipmg_core.datasets import dataset
from vipmg_core.submissions import SubmissionStore
from vipmg_core.warehouse import Provenance, Warehouse
from vipmg_core.web_sessions import issue_grant

PASSWORD = "correct horse battery"
READS = 100


def returns_frame(period: str, value: int) -> pl.DataFrame:
    return pl.DataFrame({
        "ref_area": ["GTM"] * 3, "time_period": [period] * 3, "returned_from": ["USA", "MEX", "USA"],
        "sex": ["F", "M", "M"], "age_group": ["Y20T24"] * 3, "minor_status": ["ADULT"] * 3,
        "transport": ["AIR", "LAND", "AIR"], "obs_value": [value] * 3,
    })


class Store:
    """A store with the small demo, two accounts and a focal point's submission, published (original kept)."""

    def __init__(self, root: Path, *, with_demo: bool = True):
        self.wh = Warehouse(root)
        if with_demo:
            demo.build(self.wh, scale=0.02)
        self.subs = SubmissionStore(self.wh)
        self.fp = add_user(self.wh.catalogue, "fp_gtm", role="focal_point", country="GTM", password=PASSWORD,
                           actor="admin")
        self.rev = add_user(self.wh.catalogue, "rev", role="reviewer", password=PASSWORD, actor="admin")
        self.subs.publish(self.rev, self.send("2024-05", 40_000).submission_id)

    def send(self, period: str, value: int):
        """A focal point's file for `period`, submitted for review (not yet published)."""
        return self.subs.create(self.fp, dataset_id="returns", country="GTM", file_name=f"retornos {period}.csv",
                                data=f"original file {period} {value}\n".encode(), frame=returns_frame(period, value),
                                mapping={"sexo": "sex"}, report={"ready": True, "errors": []}, ready=True)


def crosstab_csv(wh: Warehouse, dataset_id: str) -> bytes:
    """A cross-tab's CSV as the page's download and the API make it (default layout; the table without the
    preamble, whose 'generated at' moves with the clock)."""
    rows, cols = xt.default_layout(dataset(dataset_id))
    result = xt.crosstab(dataset_id, rows, cols, warehouse=wh)
    return downloads.crosstab_file(result, xt.View(), "en", downloads.CSV, preamble=False)


def state(wh: Warehouse, tmp: Path, datasets: list[str] | None = None) -> dict:
    """Everything a user can export or read back from a store: each dataset's cross-tab and full export (or those
    of `datasets`), the catalogue's releases and coverage, the submissions with their original files, the accounts,
    the audit log (without the entries of taking and restoring backups, which are about the backup itself)."""
    out: dict = {"datasets": sorted({r.dataset_id for r in wh.releases()})}
    for dataset_id in datasets or out["datasets"]:
        out[f"crosstab {dataset_id}"] = crosstab_csv(wh, dataset_id)
        wh.export(dataset_id, "csv", tmp / f"{dataset_id}.csv")
        out[f"export {dataset_id}"] = sorted((tmp / f"{dataset_id}.csv").read_text(encoding="utf-8").splitlines())
    cat = wh.catalogue
    out["releases"] = [dict(r) for r in cat.query("SELECT * FROM releases ORDER BY release_id")]
    out["coverage"] = [tuple(r) for r in cat.query("SELECT * FROM release_coverage ORDER BY 1, 2, 3")]
    out["submissions"] = [dict(r) for r in cat.query("SELECT * FROM submissions ORDER BY submission_id")]
    out["originals"] = {r["file_sha256"]: (wh.root / "blobs" / r["file_sha256"][:2] / r["file_sha256"]).read_bytes()
                        for r in out["submissions"]}
    out["accounts"] = [dict(r) for r in cat.query("SELECT * FROM accounts ORDER BY username")]
    out["audit"] = [e for e in cat.audit_entries() if e["action"] not in ("backup", "restore")]
    return out


def differences(a: dict, b: dict) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    """On SQLite (the back ends are compared by the last test)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(URL_VARIABLE, raising=False)
        yield Store(tmp_path_factory.mktemp("backup_store"))


def test_backup_during_reads_and_a_publication_restores_the_store_of_one_instant(store, tmp_path):
    pending = store.send("2024-06", 70_000)
    before = state(store.wh, tmp_path)
    datasets = sorted({r.dataset_id for r in store.wh.releases()})
    start = threading.Barrier(2)

    def read(i: int) -> tuple[str, bytes]:
        dataset_id = datasets[i % len(datasets)]
        return dataset_id, crosstab_csv(store.wh, dataset_id)

    def publish() -> None:
        start.wait()
        store.subs.publish(store.rev, pending.submission_id)

    publisher = threading.Thread(target=publish)
    with ThreadPoolExecutor(max_workers=6) as pool:
        reads = [pool.submit(read, i) for i in range(READS)]
        publisher.start()
        start.wait()  # the publication and the backup start together, while the reads run
        made = bk.backup(tmp_path / "backup", store.wh.root, actor="operator")
        publisher.join()
        answers = [r.result() for r in reads]
    after = state(store.wh, tmp_path)
    assert differences(before, after) != [], "the publication changed nothing a user sees"
    for dataset_id, csv in answers:  # every read saw one whole state
        assert csv in (before[f"crosstab {dataset_id}"], after[f"crosstab {dataset_id}"]), dataset_id

    restored = bk.restore(made.path, tmp_path / "restored", actor="operator")
    again = state(Warehouse(restored.root), tmp_path)
    assert differences(again, before) == [] or differences(again, after) == [], \
        (differences(again, before), differences(again, after))
    assert {f["kind"] for f in made.manifest["files"]} == {"catalogue", "release", "original"}
    entries = [e for e in Warehouse(restored.root).catalogue.audit_entries() if e["action"] == "restore"]
    assert len(entries) == 1 and entries[0]["details"]["backup_taken_at"] == made.manifest["created_at"]


def test_what_is_committed_after_the_snapshot_is_not_in_the_backup(store, tmp_path):
    pending = store.send("2024-07", 90_000)
    before = state(store.wh, tmp_path, ["returns"])  # (every dataset: the test above)
    late: dict = {}

    def meanwhile(stage: str, done: int, total: int) -> None:
        if stage == "snapshot":  # the catalogue is copied, the files not yet: writers go on
            store.subs.publish(store.rev, pending.submission_id)
            late["release"] = store.wh.publish(
                "returns", [returns_frame("2024-08", 5)], scope="GTM:late", actor="rev",
                provenance=Provenance(publisher="Instituto Guatemalteco de Migración"))

    made = bk.backup(tmp_path / "backup", store.wh.root, progress=meanwhile)
    assert store.subs.get(store.rev, pending.submission_id).status == "published"  # in the live store
    assert (store.wh.root / late["release"].path).exists()
    restored = Warehouse(bk.restore(made.path, tmp_path / "restored").root)
    assert differences(state(restored, tmp_path, ["returns"]), before) == []
    assert not (restored.root / late["release"].path).exists()
    assert late["release"].path not in {f["path"] for f in made.manifest["files"]}


def test_a_damaged_backup_is_refused_naming_the_file_and_nothing_is_restored(store, tmp_path):
    made = bk.backup(tmp_path / "backup", store.wh.root)
    release = [f for f in made.manifest["files"] if f["kind"] == "release"][-1]  # others would be copied first
    damaged = tmp_path / "damaged"
    shutil.copytree(made.path, damaged)
    target = damaged / release["path"]
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(bk.BackupError, match="Damaged backup") as refused:
        bk.restore(damaged, tmp_path / "into")
    assert release["path"] in refused.value.message("en") and release["path"] in refused.value.message("es")
    assert not (tmp_path / "into" / "catalogue.sqlite").exists()
    assert not list((tmp_path / "into").rglob("*.parquet"))

    (damaged / release["path"]).unlink()
    original = next(f for f in made.manifest["files"] if f["kind"] == "original")
    with pytest.raises(bk.BackupError, match="missing"):
        bk.restore(damaged, tmp_path / "into")
    manifest = json.loads((made.path / "manifest.json").read_text())
    manifest["files"].append({**original, "path": "../outside"})
    (damaged / "manifest.json").write_text(json.dumps(manifest))
    shutil.copy(made.path / release["path"], damaged / release["path"])
    with pytest.raises(bk.BackupError, match="outside"):
        bk.restore(damaged, tmp_path / "into")


def test_restore_refuses_a_store_unless_told_to_replace_it_keeping_the_old_catalogue(store, tmp_path):
    made = bk.backup(tmp_path / "backup", store.wh.root)
    other = Store(tmp_path / "other", with_demo=False)
    with pytest.raises(bk.BackupError, match="already holds a store"):
        bk.restore(made.path, other.wh.root)
    with pytest.raises(bk.BackupError, match="not empty"):
        bk.backup(made.path, store.wh.root)
    first = other.wh.releases()[0]
    (other.wh.root / first.path).write_bytes(b"damaged in the store")
    (tmp_path / "empty").mkdir()
    with pytest.raises(bk.BackupError, match="the store is damaged") as refused:
        bk.backup(tmp_path / "empty", other.wh.root)
    assert first.path in str(refused.value) and not list((tmp_path / "empty").iterdir())
    result = bk.restore(made.path, other.wh.root, replace=True)
    assert result.replaced is not None and result.replaced.exists()
    assert len(Warehouse(other.wh.root).releases()) == len(store.wh.releases())


def test_cli_backup_and_restore_round_trip(store, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VIPMG_DATA_DIR", str(store.wh.root))
    assert main(["backup", str(tmp_path / "backup")]) == 0
    assert "releases" in capsys.readouterr().out
    before = state(store.wh, tmp_path, ["returns"])
    assert main(["restore", str(tmp_path / "backup"), "--into", str(tmp_path / "restored")]) == 0
    assert "restored" in capsys.readouterr().out
    assert differences(state(Warehouse(tmp_path / "restored"), tmp_path, ["returns"]), before) == []
    assert any(e["action"] == "backup" and e["actor"].startswith("cli") for e in store.wh.catalogue.audit_entries())

    bad = tmp_path / "bad"
    shutil.copytree(tmp_path / "backup", bad)
    (bad / "catalogue.sqlite").write_bytes(b"not a catalogue")
    monkeypatch.setenv("VIPMG_DATA_DIR", str(tmp_path / "empty"))
    assert main(["restore", str(bad), "--lang", "en"]) != 0
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "Damaged backup: catalogue.sqlite" in error, error
    assert not (tmp_path / "empty" / "catalogue.sqlite").exists()


def test_a_backup_restores_across_back_ends(tmp_path, catalogue_backend, monkeypatch):
    """The catalogue's back end does not matter: a backup of either restores into either (the tables as JSON lines
    from PostgreSQL, the SQLite file from SQLite), a publication committed once the snapshot is taken is not in it,
    and a restore can replace a store, keeping nothing of it."""
    source = Store(tmp_path / "source", with_demo=False)
    source.wh.publish("returns", [returns_frame("2023-01", 12)], scope="GTM:2023", actor="rev",
                      provenance=Provenance(publisher="Instituto Guatemalteco de Migración"))
    pending = source.send("2023-03", 14)
    issue_grant(source.wh.catalogue, "rev")  # a browser signed in: not in a backup
    before = state(source.wh, tmp_path)

    def meanwhile(stage: str, done: int, total: int) -> None:
        if stage == "snapshot":
            source.subs.publish(source.rev, pending.submission_id)

    made = bk.backup(tmp_path / "backup", source.wh.root, progress=meanwhile)
    assert made.manifest["backend"] == catalogue_backend
    assert source.subs.get(source.rev, pending.submission_id).status == "published"
    url = os.environ.get(URL_VARIABLE)
    monkeypatch.delenv(URL_VARIABLE, raising=False)
    on_sqlite = Warehouse(bk.restore(made.path, tmp_path / "on_sqlite").root)
    assert differences(state(on_sqlite, tmp_path), before) == []
    assert on_sqlite.catalogue.query("SELECT COUNT(*) FROM web_sessions")[0][0] == 0
    if url:  # and back onto PostgreSQL, over the store there
        second = bk.backup(tmp_path / "second", on_sqlite.root)
        monkeypatch.setenv(URL_VARIABLE, url)
        source.wh.publish("returns", [returns_frame("2023-02", 13)], scope="GTM:2023b", actor="rev",
                          provenance=Provenance(publisher="Instituto Guatemalteco de Migración"))
        with pytest.raises(bk.BackupError, match="already holds a store"):
            bk.restore(second.path, tmp_path / "on_pg")
        replaced = bk.restore(second.path, tmp_path / "on_pg", replace=True)
        back = Warehouse(replaced.root)
        assert differences(state(back, tmp_path), before) == []
        kept = (replaced.replaced / "catalogue" / "releases.jsonl").read_text(encoding="utf-8")
        assert "GTM:2023b" in kept  # what was replaced is kept aside
