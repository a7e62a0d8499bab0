"""Many people at once: Streamlit serves every session from threads of one process, so the documented API
(cross-tabs, flows, profiles, validation, exports) is called from several threads at the same time, on
several datasets. Each thread must get exactly the numbers it gets alone: a query must never see another
query's data, and none may fail.

The single-threaded answers are computed first; then 8 threads run the same calls, shuffled, and every
result is compared with its single-threaded answer cell by cell.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import random
import threading
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from vipmg_core import crosstab as xt
from vipmg_core import demo, sdmx
from vipmg_core import flows as fl
from vipmg_core import mapping as mp
from vipmg_core import profiles as pr
from vipmg_core.crosstab import cube
from vipmg_core.exports import csv_bytes
from vipmg_core.readers import read_upload
from vipmg_core.validation import validate
from vipmg_core.warehouse import Provenance, Warehouse

THREADS = 8
ROUNDS = 2  # each thread runs every call this many times, in its own order (a profile, the slowest, once)
UPLOAD = Path(__file__).resolve().parent / "fixtures" / "upload" / "entradas_enero_cp1252.csv"


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory, module_catalogue_backend) -> Warehouse:
    """The small demo, plus an office's own returns for Guatemala in 2024 published over the demo's: readers
    see, slice by slice, the newer release (the path of a query that picks winning releases)."""
    wh = Warehouse(tmp_path_factory.mktemp("concurrency"))
    demo.build(wh, scale=0.05)
    own = (wh.query("returns", "SELECT * FROM data WHERE ref_area = 'GTM' AND time_period LIKE '2024-%'")
           .with_columns(pl.col("obs_value") * 3))
    wh.publish("returns", [own], scope="GTM:2024", actor="fp_gtm",
               provenance=Provenance(publisher="Instituto Guatemalteco de Migración"))
    return wh


def calls(wh: Warehouse) -> dict[str, Callable[[], object]]:
    """What the pages and a notebook ask for, over ten datasets, each call named."""
    def table(dataset_id: str, rows: list[str], cols: list[str] = (), **options) -> Callable[[], object]:
        return lambda: xt.crosstab(dataset_id, rows, cols, warehouse=wh, **options).cells

    def export(dataset_id: str, rows: list[str], cols: list[str]) -> Callable[[], object]:
        def run() -> object:
            result = xt.crosstab(dataset_id, rows, cols, warehouse=wh)
            meta = dataclasses.replace(result.export_meta("en"), generated_at="2026-12-04T00:00:00+00:00")
            return (csv_bytes(result.export_frame("en"), meta),
                    sdmx.data_csv(result))
        return run

    def plausibility() -> object:
        read = read_upload(UPLOAD.read_bytes(), UPLOAD.name)
        mapping = mp.with_code(mp.auto_mapping(read, "arrivals_departures", "CRI"), "nationality", "Hondura", "HND")
        report = validate(read, mapping, wh)
        return report.problems, report.counts

    return {
        "xt arrivals": table("arrivals_departures", ["ref_area"], ["flow", "sex"]),
        "xt permits": table("residence_permits", ["permit_type"], ["sex"], countries=["CRI", "PAN"]),
        "xt returns": table("returns", ["ref_area", "returned_from"], ["sex"], percent="row"),
        "xt returns GTM": table("returns", ["time_period"], ["minor_status"], countries=["GTM"], years=(2024, 2024)),
        "xt encounters": table("encounters", ["nationality"], ["authority"]),
        "xt transit": table("irregular_transit", ["ref_area"], ["age_group"], subtotals=True),
        "xt stock": table("migrant_stock", ["destination"], ["sex"]),
        "xt refugees": table("refugees", ["asylum"], ["population_type"]),
        "xt census": table("census", ["ref_area"], ["sex"], measure="weighted"),
        "xt survey": table("survey", ["ref_area"], ["migrant_status"], measure="weighted", percent="col"),
        "xt survey mean": table("survey", ["sex"], measure="mean:age"),
        "values refugees": lambda: xt.dimension_values(wh, "refugees", "origin", ("CRI", "MEX"), (2000, 2030)),
        "flows returns": lambda: fl.flows(wh, "returns", countries=["GTM"], direction="in", period="2024"),
        "flows stock": lambda: fl.flows(wh, "migrant_stock", countries=["CRI", "PAN"], direction="both"),
        "flows census": lambda: fl.flows(wh, "census", role=1, countries=["CRI"], direction="in", top=10),
        "profile GTM": lambda: pr.profile(wh, "GTM"),
        "coverage arrivals": lambda: wh.coverage("arrivals_departures"),
        "coverage returns": lambda: wh.coverage("returns"),
        "frame stock total": lambda: wh.frame("migrant_stock_total"),
        "export returns": export("returns", ["returned_from"], ["sex"]),
        "export census": export("census", ["age_group"], ["sex"]),
        "validation": plausibility,
    }


def comparable(value: object) -> object:
    """The numbers and labels of a result, as plain values (frames as their columns and rows)."""
    if isinstance(value, pd.DataFrame):
        value = pl.from_pandas(value.reset_index())
    if isinstance(value, pl.DataFrame):
        return ("frame", value.columns, [str(dtype) for dtype in value.dtypes],
                [comparable(row) for row in value.rows()])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [f.name for f in dataclasses.fields(value) if f.name != "checked_at"]  # a report's clock time
        return type(value).__name__, {name: comparable(getattr(value, name)) for name in fields}
    if isinstance(value, bytes):  # a CSV download: its cells, numbers as numbers
        return [[_number(cell) for cell in row] for row in csv.reader(io.StringIO(value.decode("utf-8-sig")))]
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [comparable(item) for item in value]
    return value


def _number(cell: str) -> object:
    try:
        return float(cell)
    except ValueError:
        return cell


def differences(expected: object, got: object, where: str = "") -> list[str]:
    """Where two comparable values differ (floats within 1e-9 relative: DuckDB adds in parallel)."""
    if isinstance(expected, float) and isinstance(got, float):
        same = (math.isnan(expected) and math.isnan(got)) or math.isclose(expected, got, rel_tol=1e-9, abs_tol=1e-9)
        return [] if same else [f"{where}: {expected!r} != {got!r}"]
    if isinstance(expected, dict) and isinstance(got, dict):
        if expected.keys() != got.keys():
            return [f"{where}: keys {sorted(expected)} != {sorted(got)}"]
        return [d for key in expected for d in differences(expected[key], got[key], f"{where}.{key}")]
    if isinstance(expected, list | tuple) and isinstance(got, list | tuple):
        if len(expected) != len(got):
            return [f"{where}: {len(expected)} items != {len(got)}"]
        return [d for i, (e, g) in enumerate(zip(expected, got)) for d in differences(e, g, f"{where}[{i}]")]
    return [] if expected == got else [f"{where}: {expected!r:.200} != {got!r:.200}"]


def test_threads_get_the_same_numbers_as_one_caller_alone(wh: Warehouse, module_catalogue_backend):
    named = calls(wh)
    # On PostgreSQL each call's catalogue reads (releases, the change token) go through the connection pool from
    # several threads at once; four threads, one round of every call, over the cubes already built, prove that in
    # a fraction of the time (building cubes concurrently is DuckDB's work, the same on both back ends).
    on_sqlite = module_catalogue_backend == "sqlite"
    rounds, threads_ = (ROUNDS, THREADS) if on_sqlite else (1, 4)
    alone = {name: comparable(call()) for name, call in named.items()}
    assert {name: differences(answer, comparable(named[name]())) for name, answer in alone.items()} == \
        {name: [] for name in named}, "a call gives different numbers when simply called again"

    if on_sqlite:
        cube.clear()  # the cubes are built again while the threads run, as after a publication
    wrong: list[str] = []
    failed: list[str] = []
    start = threading.Barrier(threads_)

    def worker(seed: int) -> None:
        order = [name for name in named for _ in range(1 if name.startswith("profile") else rounds)]
        random.Random(seed).shuffle(order)
        start.wait()
        for name in order:
            try:
                got = comparable(named[name]())
            except Exception as exc:  # every failure is counted and reported, not only the first
                failed.append(f"{name}: {type(exc).__name__}: {exc}"[:300])
                continue
            found = differences(alone[name], got)
            if found:
                wrong.append(f"{name}: {found[0]}"[:300])

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(threads_)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    total = threads_ * sum(1 if name.startswith("profile") else rounds for name in named)
    assert not failed and not wrong, (f"of {total} calls from {threads_} threads, {len(failed)} failed and "
                                      f"{len(wrong)} gave other numbers than alone:\n  "
                                      + "\n  ".join(sorted(set(failed))[:10] + sorted(set(wrong))[:10]))
