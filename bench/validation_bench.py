"""Validation speed: a 1 million row arrivals/departures CSV with 1 000 seeded errors.

Validates the same file three ways in one run and prints ratios against the same-run baselines:
  - ours: `readers.read_path` + `mapping.auto_mapping` + `validation.validate` (what the page and the CLI do),
    in a subprocess so its own peak memory (VmHWM) is measured alone;
  - frictionless-py `validate` with the equivalent Table Schema (types, enums, minimum, required, primary key),
    the standard open tool (requirements-dev.txt);
  - a plain Polars pass (read + the same cell checks, no row numbers, no messages), for scale.
Checks that ours finds every seeded error and nothing else. Targets: >= 40x faster than frictionless, < 1 GB.

    python bench/validation_bench.py [--rows 1000000] [--skip-frictionless]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from vipmg_core.codelists import codelist  # noqa: E402
from vipmg_core.datasets import dataset  # noqa: E402

DATASET = "arrivals_departures"
COUNTRY = "CRI"
SEEDED = {"unknown-code": 200, "out-of-range": 200, "type-error": 300, "missing-value": 200, "duplicate-key": 100}


def make_file(path: Path, rows: int, seed: int = 7) -> dict[int, str]:
    """Write the CSV; returns {row number as in the file: the error code seeded there}."""
    rng = np.random.default_rng(seed)
    months = [f"{y}-{m:02d}" for y in range(2018, 2025) for m in range(1, 13)]
    nats = [c.code for c in codelist("country")]
    sexes, ages = ["F", "M"], [c.code for c in codelist("age_group") if c.attrs.get("kind") == "five_year"]
    borders, flows = ["AIR", "LAND", "SEA"], ["ARR", "DEP"]
    radix = [len(months), len(flows), len(nats), len(sexes), len(ages), len(borders)]
    space = int(np.prod(radix))
    keys = rng.choice(space, size=rows, replace=False)
    digits = []
    for base in reversed(radix):
        digits.append(keys % base)
        keys = keys // base
    m, f, n, s, a, b = reversed(digits)
    frame = pl.DataFrame({
        "ref_area": [COUNTRY] * rows,
        "time_period": np.array(months)[m], "flow": np.array(flows)[f], "nationality": np.array(nats)[n],
        "sex": np.array(sexes)[s], "age_group": np.array(ages)[a], "border_type": np.array(borders)[b],
        "obs_value": rng.integers(0, 5000, rows).astype(str),
    })
    # Seed errors on distinct rows (index i is file row i + 2: the header is row 1).
    total = sum(SEEDED.values())
    picked = rng.choice(np.arange(1, rows), size=total, replace=False)
    seeded: dict[int, str] = {}
    columns = {c: frame[c].to_list() for c in frame.columns}
    start = 0
    for code, count in SEEDED.items():
        for index in picked[start:start + count]:
            i = int(index)
            if code == "unknown-code":
                columns["nationality"][i] = "XXZ"
            elif code == "out-of-range":
                columns["obs_value"][i] = str(-int(rng.integers(1, 99)))
            elif code == "type-error":
                if i % 3 == 0:
                    columns["time_period"][i] = "2024-13"
                else:
                    columns["obs_value"][i] = "n/d?" if i % 3 == 1 else "12,5"
            elif code == "missing-value":
                columns["sex"][i] = ""
            elif code == "duplicate-key":
                # Repeat the key of row 0 (never seeded itself), with another value.
                for c in ("time_period", "flow", "nationality", "sex", "age_group", "border_type"):
                    columns[c][i] = columns[c][0]
            seeded[i + 2] = code
        start += count
    pl.DataFrame(columns).write_csv(path)
    return seeded


OURS = """
import json, re, sys, time
sys.path.insert(0, {project!r})
from vipmg_core import mapping as mp
from vipmg_core.readers import read_path
from vipmg_core.validation import validate
start = time.perf_counter()  # after the imports, as for frictionless
read = read_path({path!r})
read_done = time.perf_counter()
mapping = mp.auto_mapping(read, {dataset!r}, {country!r})
map_done = time.perf_counter()
report = validate(read, mapping)
end = time.perf_counter()
seconds = end - start
stages = {{"read": read_done - start, "map": map_done - read_done, "validate": end - map_done}}
found = [(p["row"], p["code"]) for p in report.problems.filter(report.problems["severity"] == "error").iter_rows(named=True)]
# This process's own peak (VmHWM): ru_maxrss would also count the parent's memory at the fork.
with open("/proc/self/status") as status:
    rss_mb = int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) / 1024
print(json.dumps({{"seconds": seconds, "stages": stages, "rss_mb": rss_mb,
                  "errors": report.errors, "found": found}}))
"""


def run_ours(path: Path) -> dict:
    code = OURS.format(project=str(PROJECT), path=str(path), dataset=DATASET, country=COUNTRY)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def run_polars(path: Path) -> float:
    ds = dataset(DATASET)
    start = time.perf_counter()
    frame = pl.read_csv(path, infer_schema=False)
    checks = []
    for col in ds.columns:
        if col.type == "code":
            checks.append(~pl.col(col.name).is_in(list(codelist(col.codelist_id).codes)))
        elif col.type == "count":
            value = pl.col(col.name).cast(pl.Int64, strict=False)
            checks.append(value.is_null() | (value < 0))
    keys = [c.name for c in ds.dimensions]
    frame.select(*[c.alias(f"c{i}") for i, c in enumerate(checks)], pl.struct(keys).is_duplicated()).sum()
    return time.perf_counter() - start


def run_frictionless(path: Path) -> tuple[float, int]:
    from frictionless import Checklist, Resource, Schema, validate

    ds = dataset(DATASET)
    fields = []
    for col in ds.columns:
        field = {"name": col.name, "type": "string", "constraints": {"required": True}}
        if col.type == "code":
            field["constraints"]["enum"] = list(codelist(col.codelist_id).codes)
        elif col.type == "period":
            field["constraints"]["pattern"] = r"\d{4}-(0[1-9]|1[0-2])"
        elif col.type == "count":
            field = {"name": col.name, "type": "integer", "constraints": {"required": True, "minimum": 0}}
        fields.append(field)
    schema = Schema.from_descriptor({"fields": fields, "primaryKey": [c.name for c in ds.dimensions]})
    start = time.perf_counter()
    resource = Resource(path=path.name, basepath=str(path.parent), schema=schema)
    report = validate(resource, checklist=Checklist(), limit_errors=100_000)
    seconds = time.perf_counter() - start
    return seconds, len(report.flatten(["rowNumber"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-frictionless", action="store_true", help="only ours and the Polars baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "arrivals_1m.csv"
        seeded = make_file(path, args.rows)
        print(f"file: {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB, {len(seeded)} seeded errors")
        ours = run_ours(path)
        found = {tuple(x) for x in ours["found"]}
        expected = {(row, code) for row, code in seeded.items()}
        missed, extra = expected - found, found - expected
        print(f"ours:        {ours['seconds']:7.2f} s  peak RSS {ours['rss_mb']:.0f} MB  errors {ours['errors']}"
              f"  seeded found {len(expected) - len(missed)}/{len(expected)}  unexpected {len(extra)}")
        print("  stages:     " + "  ".join(f"{k} {v:.3f} s" for k, v in ours["stages"].items()))
        polars_s = run_polars(path)
        print(f"plain polars:{polars_s:7.2f} s  (read + cell checks, no row numbers or messages)")
        print(f"ratio ours / plain polars: {ours['seconds'] / polars_s:.1f}x slower")
        if not args.skip_frictionless:
            fl_s, fl_errors = run_frictionless(path)
            print(f"frictionless:{fl_s:7.2f} s  errors {fl_errors}")
            print(f"ratio frictionless / ours: {fl_s / ours['seconds']:.1f}x  (target >= 40x)")
            print(f"ratio frictionless / plain polars: {fl_s / polars_s:.1f}x")
        print(f"memory target < 1024 MB: {'met' if ours['rss_mb'] < 1024 else 'NOT met'}")
        if missed or extra:
            print(f"MISSED {sorted(missed)[:10]} EXTRA {sorted(extra)[:10]}")
            sys.exit(1)


if __name__ == "__main__":
    main()
