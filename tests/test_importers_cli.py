"""`python -m vipmg_core import [KIND] FILE` and `demo --off`, as an operator runs them: one command per file,
unresolved names listed and counted, the same file twice changes nothing, mistakes are one line."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vipmg_core.cli import main
from vipmg_core.warehouse import Warehouse

PROJECT = Path(__file__).resolve().parent.parent
WORLDBANK = "wb_bilateral_migration_matrix_2013/migration-matrix.csv"
DARIEN = "iom_gdidata_regional_series/irreg_darien_nat.csv"


def run(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    """The real command, in its own process, as an operator types it."""
    env = {**os.environ, "VIPMG_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "vipmg_core", *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def cli(monkeypatch, capsys, tmp_path):
    """The same `main`, in this process (faster): returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("VIPMG_DATA_DIR", str(tmp_path / "wh"))

    def call(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return call


def test_one_command_loads_a_file_lists_unresolved_names_and_a_second_run_changes_nothing(realdata, tmp_path):
    wh_dir = tmp_path / "wh"
    first = run("import", "worldbank", str(realdata / WORLDBANK), "--year", "2013", "--lang", "en", data_dir=wh_dir)
    assert first.returncode == 0, first.stderr
    assert "Migrant stock (migrant_stock): version 1 published, 13,471 rows (persons)." in first.stdout
    assert "3 country names not recognised in 24 rows" in first.stdout
    assert "unresolved origin: 'Kosovo' in 11 rows -> OOO (did you mean SRB?)" in first.stdout
    assert "unresolved destination: 'Channel Islands' in 4 rows -> rows left out" in first.stdout

    again = run("import", str(realdata / WORLDBANK), "--year", "2013", "--json", data_dir=wh_dir)
    assert again.returncode == 0, again.stderr
    payload = json.loads(again.stdout)
    assert payload["already_imported"] and payload["datasets"][0]["version"] == 1
    assert payload["sha256"] == "1a97932e376fd7f9da15c9e7bfcfb3d6168393563d845a757975a6be2ab9758f"
    assert {u["value"] for u in payload["unresolved"]} == {"Kosovo", "Channel Islands"}
    assert len(Warehouse(wh_dir).releases("migrant_stock")) == 1


def test_mistakes_end_with_one_line_and_a_non_zero_exit(realdata, tmp_path, cli):
    for args in (["import", str(realdata / WORLDBANK)], ["import", str(tmp_path / "missing.csv")],
                 ["import", "frobnicate", str(realdata / DARIEN)], ["import", "unhcr", str(realdata / DARIEN)],
                 ["import", "a", "b", "c"]):
        code, _out, err = cli(*args)
        assert code == 2, args
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, (args, err)
    assert "no dice de qué año es la matriz" in cli("import", str(realdata / WORLDBANK))[2]


def test_a_reviewer_can_sign_the_import_and_a_focal_point_is_refused(realdata, tmp_path, cli):
    from vipmg_core import accounts

    wh = Warehouse(tmp_path / "wh")
    accounts.add_user(wh.catalogue, "rev", role="reviewer", password="a-long-password-1", actor="t")
    accounts.add_user(wh.catalogue, "fp", role="focal_point", country="PAN", password="a-long-password-1", actor="t")
    code, _out, err = cli("import", str(realdata / DARIEN), "--user", "fp", "--password-stdin",
                          stdin="a-long-password-1\n")
    assert code == 3 and "may not import" in err and wh.is_empty()
    code, _out, err = cli("import", str(realdata / DARIEN), "--user", "rev", "--password-stdin",
                          stdin="a-long-password-1\n")
    assert code == 0, err
    assert wh.releases("irregular_transit")[0].created_by == "rev"


def test_demo_off_withdraws_the_demo_once_real_data_is_published(realdata, tmp_path, cli):
    assert cli("demo", "--scale", "0.05")[0] == 0
    code, _out, err = cli("demo", "--off")
    assert code == 2 and "no real data is published yet" in err
    assert cli("import", str(realdata / DARIEN))[0] == 0
    code, out, err = cli("demo", "--off")
    assert code == 0, err
    assert "demo switched off" in out
    wh = Warehouse(tmp_path / "wh")
    assert not wh.has_synthetic() and [r.dataset_id for r in wh.releases()] == ["irregular_transit"]
