"""The public data pack: real published series on first start, exactly as published, with their provenance."""

import csv
import importlib.util
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from vipmg_core import importers, pack
from vipmg_core.datasets import dataset, dataset_ids
from vipmg_core.i18n import LANGS
from vipmg_core.warehouse import Warehouse

PROJECT = Path(__file__).resolve().parent.parent
GDI = "iom_gdidata_regional_series"


def run(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "VIPMG_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "vipmg_core", *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=600)


def table(path: Path) -> list[dict[str, str]]:
    """A CLI export: the `#` metadata lines, then the table."""
    lines = [line for line in path.read_text(encoding="utf-8-sig").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


@pytest.fixture(scope="module")
def first_start(tmp_path_factory) -> Path:
    """A fresh data directory built as the app's first start builds it: the pack, then the demo for the rest."""
    root = tmp_path_factory.mktemp("first_start")
    built = run("demo", "--pack", "--scale", "0.05", data_dir=root)
    assert built.returncode == 0, built.stderr
    return root


@pytest.fixture
def copy_of(first_start, tmp_path):
    root = tmp_path / "wh"
    shutil.copytree(first_start, root)
    return root


def test_pack_is_small_checked_and_says_where_every_release_comes_from():
    entries = pack.entries()
    assert {"migrant_stock", "refugees", "irregular_transit", "returns", "encounters"} <= set(pack.datasets_in())
    size = sum((pack.PACK_DIR / e.file).stat().st_size for e in entries)
    assert size < 5 * 1024 * 1024
    for e in entries:
        assert pack.file_sha256(pack.PACK_DIR / e.file) == e.sha256
        assert e.publisher and e.edition and e.source_file and e.licence and e.attribution.startswith("Source: ")
        assert len(e.source_sha256) == 64 and e.scope.startswith(importers.SCOPE_PREFIX)
        assert e.source_file in (pack.PACK_DIR / "NOTICE.md").read_text(encoding="utf-8")
    # Microdata and national admin files have no public series: they stay synthetic.
    assert not {"census", "survey", "arrivals_departures", "residence_permits"} & set(pack.datasets_in())


def test_first_start_gives_the_published_figures_through_the_cli_export_and_crosstab(first_start, realdata,
                                                                                       tmp_path):
    stock = pl.read_csv(realdata / GDI / "undesa_stocks.csv", infer_schema_length=0)
    published = stock.filter((pl.col("geo") == "CRI") & (pl.col("from") == "NIC") & (pl.col("t") == "2024")
                             & pl.col("sex").is_in(["female", "male"]))["n"].cast(pl.Int64).sum()
    assert published == 423_401  # UN DESA International Migrant Stock 2024, Nicaraguans in Costa Rica
    out = tmp_path / "stock.csv"
    assert run("export", "migrant_stock", "--out", str(out), data_dir=first_start).returncode == 0
    exported = pl.read_csv(out, infer_schema_length=0).filter(
        (pl.col("destination") == "CRI") & (pl.col("origin") == "NIC") & (pl.col("time_period") == "2024"))
    assert exported["obs_value"].cast(pl.Int64).sum() == published

    darien = pl.read_csv(realdata / GDI / "irreg_darien_nat.csv", infer_schema_length=0)
    transits = darien.filter(pl.col("t").str.starts_with("2023"))["n"].cast(pl.Int64).sum()
    assert transits == 520_085  # Panamá SNM, irregular transits through Darién in 2023
    out = tmp_path / "darien.csv"
    result = run("crosstab", "irregular_transit", "--rows", "ref_area", "--countries", "PAN", "--years", "2023",
                 "--lang", "en", "--out", str(out), data_dir=first_start)
    assert result.returncode == 0, result.stderr
    assert table(out) == [{"Recording country": "Panama", "Count (events)": str(transits)}]
    text = out.read_text(encoding="utf-8-sig")
    assert "Servicio Nacional de Migración de Panamá" in text and "Synthetic" not in text


def test_the_notice_names_only_the_synthetic_datasets(first_start):
    wh = Warehouse(first_start)
    real = set(pack.datasets_in())
    synthetic = [d for d in dataset_ids() if d not in real]
    assert pack.synthetic_datasets(wh) == synthetic
    for lang in LANGS:
        notice = pack.synthetic_notice(wh, lang)
        for d in synthetic:
            assert dataset(d).title(lang) in notice
        for d in real:
            assert dataset(d).title(lang) not in notice
            assert "demo" not in pack.source_label(wh, d, lang)
    assert all(not r.synthetic for d in real for r in wh.releases(d))
    assert all(r.synthetic for d in synthetic for r in wh.releases(d))


def test_without_the_pack_the_whole_demo_is_synthetic_and_the_notice_says_so(demo_wh):
    assert pack.synthetic_datasets(demo_wh) == dataset_ids()
    assert pack.synthetic_notice(demo_wh, "en").startswith("**Synthetic demo data.**")


def test_demo_off_leaves_the_real_pack(copy_of):
    before = {r.release_id for r in Warehouse(copy_of).releases() if not r.synthetic}
    result = run("demo", "--off", data_dir=copy_of)
    assert result.returncode == 0, result.stderr
    wh = Warehouse(copy_of)
    assert {r.release_id for r in wh.releases()} == before
    assert not wh.has_synthetic() and pack.synthetic_notice(wh, "en") is None


def test_a_pack_file_reimported_changes_nothing_and_a_newer_edition_replaces_only_its_product(copy_of, realdata):
    wh = Warehouse(copy_of)
    again = importers.import_file(wh, realdata / GDI / "irreg_darien_nat.csv", actor="t")
    assert again.already_imported
    honduras = [r for r in wh.releases("irregular_transit") if r.source_file == "irreg_honduras_nat.csv"]
    newer = copy_of / "irreg_darien_nat.csv"
    newer.write_bytes((realdata / GDI / "irreg_darien_nat.csv").read_bytes() + b"2025-05-01,2025-04-01,VEN,777\n")
    result = importers.import_file(wh, newer, actor="t")
    assert [d.status for d in result.datasets] == ["imported"]
    visible = wh.releases("irregular_transit")
    darien = [r for r in visible if r.publisher.startswith("Servicio Nacional")]
    assert [r.version for r in darien] == [2]  # the pack's edition is superseded by the newer one...
    assert [r for r in visible if r.source_file == "irreg_honduras_nat.csv"] == honduras  # ...and only it
    may = wh.query("irregular_transit", "SELECT SUM(obs_value) FROM data WHERE ref_area = 'PAN' AND "
                                        "time_period = '2025-05'").item()
    assert may == 777


def test_the_shipped_pack_is_what_the_importers_make_of_the_publishers_files_today(realdata, tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("build_pack", PROJECT / "tools" / "build_pack.py")
    build_pack = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "build_pack", build_pack)
    spec.loader.exec_module(build_pack)
    rebuilt = build_pack.build(realdata, tmp_path / "pack")
    shipped = pack.entries()
    assert [(e.file, e.dataset_id, e.scope, e.rows, e.publisher, e.edition, e.notes) for e in rebuilt] == \
        [(e.file, e.dataset_id, e.scope, e.rows, e.publisher, e.edition, e.notes) for e in shipped], \
        "the importers changed: rebuild the pack with `python tools/build_pack.py` and review the diff"
    for e in shipped:
        assert pl.read_parquet(tmp_path / "pack" / e.file).equals(pl.read_parquet(pack.PACK_DIR / e.file))


def test_a_damaged_pack_is_refused_before_anything_is_published(tmp_path, empty_wh):
    damaged = tmp_path / "pack"
    shutil.copytree(pack.PACK_DIR, damaged)
    victim = damaged / pack.entries()[-1].file
    victim.write_bytes(victim.read_bytes()[:-10])
    with pytest.raises(pack.PackError, match=victim.name):
        pack.load(empty_wh, damaged)
    assert empty_wh.is_empty()
