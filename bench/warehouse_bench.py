"""Warehouse speed and memory on a census of 10+ million person rows, against pandas in the same run.

    python bench/warehouse_bench.py [--scale 60] [--repeat 3]

Builds the demo census at `--scale` into a temporary warehouse, then runs the same weighted cross-tab
(persons by country, sex and foreign-born, the Home/cross-tab workload) three ways, each in its own process
so that peak memory is its own: the warehouse (DuckDB over the Parquet release), pandas (read the Parquet,
groupby) and polars (lazy scan). Prints times, peak memory and the ratios to pandas. No assertions: ratios
are read by people, and compared between runs on the same machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

WORKERS = {
    "warehouse (duckdb)": """
from vipmg_core.warehouse import Warehouse
wh = Warehouse(ROOT)
out = wh.query("census", "SELECT ref_area, sex, country_of_birth <> ref_area AS foreign_born,"
               " SUM(weight) AS persons, COUNT(*) AS n FROM data GROUP BY ALL")
""",
    "pandas": """
import pandas as pd
df = pd.read_parquet(FILE, columns=["ref_area", "sex", "country_of_birth", "weight"])
df["foreign_born"] = df["country_of_birth"] != df["ref_area"]
out = df.groupby(["ref_area", "sex", "foreign_born"], observed=True)["weight"].agg(["sum", "count"])
""",
    "polars (lazy)": """
import polars as pl
out = (pl.scan_parquet(FILE).group_by("ref_area", "sex", (pl.col("country_of_birth") != pl.col("ref_area")).alias("fb"))
       .agg(pl.col("weight").sum(), pl.len()).collect())
""",
}

CHILD = """
import json, sys, time
sys.path.insert(0, {project!r})
ROOT, FILE = {root!r}, {file!r}
def peak_mb():
    # VmHWM starts afresh at exec; ru_maxrss would carry the parent's peak over.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
best = None
for _ in range({repeat}):
    start = time.perf_counter()
{body}
    took = time.perf_counter() - start
    best = took if best is None else min(best, took)
print(json.dumps({{"seconds": best, "rows_out": len(out),
                  "peak_mb": peak_mb()}}))
"""


def run_child(body: str, root: Path, file: Path, repeat: int) -> dict:
    indented = "\n".join("    " + line for line in body.strip().splitlines())
    code = CHILD.format(project=str(PROJECT), root=str(root), file=str(file), repeat=repeat, body=indented)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=60.0, help="demo census scale (60 = 10.6M rows)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per engine")
    args = parser.parse_args()

    from vipmg_core.demo import generate_chunks
    from vipmg_core.warehouse import Provenance, Warehouse

    with tempfile.TemporaryDirectory(prefix="vipmg-bench-") as tmp:
        wh = Warehouse(Path(tmp))
        start = time.perf_counter()
        release = wh.publish("census", generate_chunks("census", scale=args.scale), scope="bench",
                             provenance=Provenance("bench", synthetic=True), actor="bench")
        took = time.perf_counter() - start
        file = wh.root / release.path
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"census at scale {args.scale:g}: {release.row_count:,} rows generated and published in {took:.1f} s"
              f" ({release.row_count / took / 1e6:.2f} M rows/s), {file.stat().st_size / 1e6:.0f} MB Parquet,"
              f" peak {peak:.0f} MB")

        results = {name: run_child(body, wh.root, file, args.repeat) for name, body in WORKERS.items()}
        base = results["pandas"]
        print(f"\nweighted cross-tab (country x sex x foreign-born) over {release.row_count:,} rows, best of {args.repeat}")
        print(f"{'engine':<20} {'seconds':>8} {'peak MB':>8} {'time vs pandas':>15} {'memory vs pandas':>17}")
        for name, r in results.items():
            print(f"{name:<20} {r['seconds']:8.2f} {r['peak_mb']:8.0f} {r['seconds'] / base['seconds']:15.2f}"
                  f" {r['peak_mb'] / base['peak_mb']:17.2f}")
        rows = {r["rows_out"] for r in results.values()}
        if len(rows) != 1:
            print(f"WARNING: engines disagree on the number of result rows: {rows}")


if __name__ == "__main__":
    main()
