"""`python -m vipmg_core`: what a script or a focal point's routine sees."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl

from vipmg_core.cli import main
from vipmg_core.datasets import dataset, dataset_ids

PROJECT = Path(__file__).resolve().parent.parent


def run(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "VIPMG_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "vipmg_core", *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_datasets_lists_the_standard_as_text_and_json(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "arrivals_departures" in out and "eventos" not in out and "events" in out
    assert main(["datasets", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [d["id"] for d in payload] == dataset_ids()
    assert payload[0]["title"]["es"] == "Entradas y salidas"


def test_template_writes_the_canonical_header(tmp_path):
    out = tmp_path / "t.csv"
    assert main(["template", "returns", "--out", str(out)]) == 0
    with out.open(encoding="utf-8-sig") as handle:
        assert next(csv.reader(handle)) == dataset("returns").template_header()


def test_bad_arguments_give_one_line_and_a_non_zero_exit(tmp_path):
    for args in (["template", "nope"], ["export", "returns", "--format", "xml", "--out", "x"], ["frobnicate"],
                 ["demo", "--scale", "-1"], ["demo", "--scale", "many"]):
        result = run(*args, data_dir=tmp_path)
        assert result.returncode != 0, args
        assert "Traceback" not in result.stderr, args
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)


def test_export_into_a_directory_is_a_clear_error(tmp_path):
    result = run("export", "returns", "--out", str(tmp_path), data_dir=tmp_path)
    assert result.returncode != 0 and "directory" in result.stderr and "Traceback" not in result.stderr


def test_demo_then_export_round_trip(tmp_path):
    built = run("demo", "--scale", "0.1", data_dir=tmp_path / "wh")
    assert built.returncode == 0, built.stderr
    assert "synthetic" in built.stdout
    out = tmp_path / "returns.csv"
    exported = run("export", "returns", "--format", "csv", "--out", str(out), data_dir=tmp_path / "wh")
    assert exported.returncode == 0, exported.stderr
    frame = pl.read_csv(out, infer_schema=False)
    assert frame.columns == dataset("returns").column_names
    assert {"GTM", "HND", "SLV"} <= set(frame["ref_area"])


def test_help_explains_every_command():
    result = subprocess.run([sys.executable, "-m", "vipmg_core", "--help"], cwd=PROJECT, capture_output=True,
                            text=True)
    assert result.returncode == 0
    for command in ("datasets", "template", "demo", "export"):
        assert command in result.stdout


def test_export_neutralises_cells_a_spreadsheet_would_run_as_formulas(tmp_path):
    """Like the page and `crosstab` exports: `=HYPERLINK(...)`, `+cmd|...`, `@SUM(...)` come out as text."""
    from vipmg_core.warehouse import Provenance, Warehouse

    hostile = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
               "-2+3", "\t=1", "\r=1", "NIC"]
    frame = pl.DataFrame({"destination": ["CRI"] * len(hostile), "origin": hostile,
                          "time_period": ["2020"] * len(hostile), "sex": ["F"] * len(hostile),
                          "obs_value": list(range(len(hostile)))})
    Warehouse(tmp_path / "wh").publish("migrant_stock", [frame], scope="CRI",
                                       provenance=Provenance(publisher="t", source_file="s.csv"), actor="t")
    out = tmp_path / "stock.csv"
    exported = run("export", "migrant_stock", "--format", "csv", "--out", str(out), data_dir=tmp_path / "wh")
    assert exported.returncode == 0, exported.stderr
    origins = pl.read_csv(out, infer_schema=False).sort("obs_value", descending=False)["origin"].to_list()
    assert sorted(origins) == sorted(["'" + v for v in hostile[:-1]] + ["NIC"])
