"""The warehouse: immutable releases, atomic publication, and many processes at once."""

import multiprocessing
import sqlite3
from pathlib import Path

import polars as pl
import pytest

from vipmg_core.warehouse import Provenance, Warehouse

STOCK = pl.DataFrame({
    "destination": ["CRI", "CRI", "PAN"], "origin": ["NIC", "COL", "VEN"],
    "time_period": ["2020", "2020", "2020"], "sex": ["F", "M", "F"], "obs_value": [10, 5, 7],
})
PROV = Provenance(publisher="test", source_file="stock.csv")


@pytest.fixture
def empty_wh(tmp_path: Path, catalogue_backend) -> Warehouse:
    """An empty warehouse on each back end of the catalogue (SQLite, PostgreSQL)."""
    return Warehouse(tmp_path / "empty")


def test_publishing_makes_rows_readable_and_logs_who_did_it(empty_wh: Warehouse):
    release = empty_wh.publish("migrant_stock", [STOCK], scope="CRI", provenance=PROV, actor="ana")
    assert release.version == 1 and release.row_count == 3 and len(release.sha256) == 64
    assert empty_wh.frame("migrant_stock")["obs_value"].sum() == 22
    entries = empty_wh.catalogue.audit_entries("release", release.release_id)
    assert [(e["actor"], e["action"]) for e in entries] == [("ana", "stage"), ("ana", "publish")]


def test_a_new_version_replaces_the_old_for_readers_but_the_old_file_stays(empty_wh: Warehouse):
    first = empty_wh.publish("migrant_stock", [STOCK], scope="X", provenance=PROV, actor="a")
    second = empty_wh.publish("migrant_stock", [STOCK.with_columns(pl.col("obs_value") * 2)], scope="X",
                              provenance=PROV, actor="a")
    assert second.version == 2
    assert empty_wh.frame("migrant_stock")["obs_value"].sum() == 44
    assert (empty_wh.root / first.path).exists()
    assert empty_wh.release(first.release_id).status == "superseded"
    assert [r.version for r in empty_wh.releases("migrant_stock", published_only=False)] == [1, 2]


def test_different_scopes_with_different_slices_are_published_side_by_side(empty_wh: Warehouse):
    empty_wh.publish("migrant_stock", [STOCK], scope="A", provenance=PROV, actor="a")
    empty_wh.publish("migrant_stock", [STOCK.with_columns(time_period=pl.lit("2024"))], scope="B",
                     provenance=PROV, actor="a")
    assert empty_wh.frame("migrant_stock").height == 6


def test_a_country_slice_published_later_replaces_the_demo_for_that_slice_only(empty_wh: Warehouse):
    demo = empty_wh.publish("migrant_stock", [STOCK], scope="demo",
                            provenance=Provenance("demo", synthetic=True), actor="system")
    assert empty_wh.has_synthetic(["migrant_stock"])
    official = STOCK.filter(pl.col("destination") == "CRI").with_columns(obs_value=pl.lit(100, pl.Int64))
    own = empty_wh.publish("migrant_stock", [official], scope="CRI:2020", provenance=PROV, actor="cri")
    seen = empty_wh.query("migrant_stock", "SELECT destination, SUM(obs_value) v, ANY_VALUE(release_id) r"
                          " FROM data GROUP BY ALL ORDER BY 1", with_release=True).rows()
    assert seen == [("CRI", 200, own.release_id), ("PAN", 7, demo.release_id)]
    assert empty_wh.has_synthetic(["migrant_stock"])  # PAN is still demo data


def test_staged_releases_stay_invisible_until_published(empty_wh: Warehouse):
    staged = empty_wh.stage("migrant_stock", [STOCK], scope="X", provenance=PROV, actor="a")
    assert empty_wh.frame("migrant_stock").height == 0 and empty_wh.is_empty()
    empty_wh.publish_release(staged.release_id, actor="reviewer")
    assert empty_wh.frame("migrant_stock").height == 3
    with pytest.raises(ValueError):
        empty_wh.publish_release(staged.release_id, actor="reviewer")


def test_an_empty_dataset_reads_as_empty_typed_rows(empty_wh: Warehouse):
    frame = empty_wh.frame("returns")
    assert frame.height == 0 and frame.columns[0] == "ref_area"
    assert empty_wh.coverage("census").height == 0


def test_a_frame_that_breaks_the_standard_is_refused_and_leaves_nothing_behind(empty_wh: Warehouse):
    with pytest.raises(ValueError):
        empty_wh.publish("migrant_stock", [STOCK.drop("origin")], scope="X", provenance=PROV, actor="a")
    with pytest.raises(Exception):
        bad = STOCK.with_columns(pl.lit("many").alias("obs_value"))
        empty_wh.publish("migrant_stock", [bad], scope="X", provenance=PROV, actor="a")
    assert empty_wh.is_empty()
    assert not list((empty_wh.root / "warehouse").rglob("*.parquet*"))


@pytest.mark.sqlite_only
def test_the_catalogue_runs_in_wal_mode(empty_wh: Warehouse):
    con = sqlite3.connect(empty_wh.catalogue.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.sqlite_only
def test_export_writes_the_published_rows(empty_wh: Warehouse, tmp_path: Path):
    empty_wh.publish("migrant_stock", [STOCK], scope="A", provenance=PROV, actor="a")
    assert empty_wh.export("migrant_stock", "csv", tmp_path / "s.csv") == 3
    assert pl.read_csv(tmp_path / "s.csv")["obs_value"].sum() == 22
    assert empty_wh.export("migrant_stock", "parquet", tmp_path / "s.parquet") == 3
    assert pl.read_parquet(tmp_path / "s.parquet").columns == STOCK.columns


def _publish_many(root: str, worker: int, count: int) -> None:
    wh = Warehouse(Path(root))
    for i in range(count):
        slice_ = STOCK.with_columns(time_period=pl.lit(str(2000 + worker * 10 + i)))
        wh.publish("migrant_stock", [slice_], scope=f"w{worker}-{i}", provenance=PROV, actor=f"worker{worker}")


def test_several_processes_publish_at_once_without_lock_errors_or_losses(tmp_path: Path, catalogue_backend):
    root = tmp_path / "shared"
    Warehouse(root)
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_publish_many, args=(str(root), w, 5)) for w in range(4)]
    for p in workers:
        p.start()
    reader = Warehouse(root)
    while any(p.is_alive() for p in workers):  # reading while others write never fails or sees half a release
        assert reader.frame("migrant_stock").height % 3 == 0
    for p in workers:
        p.join()
        assert p.exitcode == 0
    assert len(reader.releases("migrant_stock")) == 20
    assert reader.frame("migrant_stock").height == 60
    assert len(reader.catalogue.audit_entries()) == 40  # stage + publish for each


def test_releases_read_once_are_reused_across_threads_until_another_connection_publishes(empty_wh: Warehouse):
    # Streamlit runs each rerun on a new thread: what the warehouse remembers must survive that, and still see
    # a publication made elsewhere (here another Warehouse on the same folder, as another process would).
    import threading

    empty_wh.publish("migrant_stock", [STOCK], scope="A", provenance=PROV, actor="a")
    first = empty_wh.releases("migrant_stock")
    seen = []
    reader = threading.Thread(target=lambda: seen.append(empty_wh.releases("migrant_stock")))
    reader.start()
    reader.join()
    assert seen[0] == first
    token = empty_wh.catalogue.changes()
    reader = threading.Thread(target=lambda: seen.append(empty_wh.catalogue.changes()))
    reader.start()
    reader.join()
    assert seen[1] == token
    Warehouse(empty_wh.root).publish("migrant_stock", [STOCK], scope="B", provenance=PROV, actor="b")
    assert empty_wh.catalogue.changes() != token
    assert [r.scope for r in empty_wh.releases("migrant_stock")] == ["A", "B"]


def test_the_state_token_moves_with_publications_only_not_with_sign_ins(empty_wh: Warehouse):
    # Every page cache and the warm-up are keyed by it: a room signing in must not make everyone recompute.
    from vipmg_core import accounts

    empty_wh.publish("migrant_stock", [STOCK], scope="A", provenance=PROV, actor="a")
    token = empty_wh.state_token()
    other = Warehouse(empty_wh.root)  # another process's writes
    accounts.add_user(other.catalogue, "fp_cri", role="focal_point", country="CRI", password="a-long-password-1",
                      actor="admin")
    accounts.authenticate(other.catalogue, "fp_cri", "a-long-password-1")
    assert empty_wh.state_token() == token
    release = other.publish("migrant_stock", [STOCK], scope="B", provenance=PROV, actor="b")
    moved = empty_wh.state_token()
    assert moved != token
    other.withdraw(release.release_id, actor="b")
    assert empty_wh.state_token() not in (token, moved)


def test_a_total_published_beside_its_own_parts_is_counted_once_whatever_the_path(empty_wh):
    """The API and importers publish through the warehouse as submissions do: a `_T` row whose parts are in the
    same file goes (a cross-tab added it to them: 24 returns for 12), one that stands alone stays."""
    from vipmg_core import crosstab as xt

    def returns(area, sex, value):
        return pl.DataFrame({"ref_area": [area], "time_period": ["2024-01"], "returned_from": "USA", "sex": sex,
                             "age_group": "Y20T24", "minor_status": "ADULT", "transport": "AIR", "obs_value": [value]})

    rows = pl.concat([returns("GTM", "F", 7), returns("GTM", "M", 5), returns("GTM", "_T", 12),
                      returns("HND", "_T", 30)])  # HND does not break its count down by sex
    empty_wh.publish("returns", [rows], scope="api", provenance=Provenance("t"), actor="t")
    cells = xt.crosstab("returns", ["ref_area"], warehouse=empty_wh).cells
    assert dict(zip(cells["ref_area"], cells["value"])) == {"GTM": 12, "HND": 30, "_T": 42}
