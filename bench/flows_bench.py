"""Flow aggregation speed on a large census, against pandas in the same run, and what travels to the browser.

    python bench/flows_bench.py [--scale 20] [--repeat 3]

Publishes the demo census at `--scale` (60 = 10.6 M person rows) into a temporary warehouse, then computes
the Flow map's default view (country of birth -> census country, each country's latest census, flows touching
the project countries, top 25) two ways: `vipmg_core.flows.flows` (DuckDB over the Parquet release, the
page's and CLI's path) and pandas (read the Parquet columns, filter, group). Prints best-of-N times, the ratio
to pandas, and the size of the deck the browser receives with the top 25 arcs against one with every pair.
No assertions: ratios are read by people and compared between runs on the same machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))


def best_of(repeat: int, work) -> tuple[float, object]:
    best, out = None, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = work()
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20.0, help="demo census scale (60 = 10.6M rows)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per engine")
    args = parser.parse_args()

    import pandas as pd

    from vipmg_core import flows as fl
    from vipmg_core.codelists import project_countries
    from vipmg_core.demo import generate_chunks
    from vipmg_core.warehouse import Provenance, Warehouse

    countries = project_countries()
    with tempfile.TemporaryDirectory(prefix="vipmg-flows-bench-") as tmp:
        wh = Warehouse(Path(tmp))
        start = time.perf_counter()
        release = wh.publish("census", generate_chunks("census", scale=args.scale), scope="bench",
                             provenance=Provenance("bench", synthetic=True), actor="bench")
        print(f"census at scale {args.scale:g}: {release.row_count:,} rows published in "
              f"{time.perf_counter() - start:.1f} s")
        file = wh.root / release.path

        def warehouse():
            return fl.flows(wh, "census", countries=countries, top=25)

        def pandas_pairs():
            df = pd.read_parquet(file, columns=["ref_area", "census_year", "country_of_birth", "weight"])
            df = df[df["country_of_birth"].notna() & (df["country_of_birth"] != df["ref_area"])]
            latest = df.groupby("ref_area")["census_year"].transform("max")
            df = df[df["census_year"] == latest]
            pairs = df.groupby(["country_of_birth", "ref_area"])["weight"].sum()
            return pairs[pairs.index.get_level_values(0).isin(countries)
                         | pairs.index.get_level_values(1).isin(countries)]

        def pandas():
            return pandas_pairs().sort_values(ascending=False).head(25)

        duck_s, result = best_of(args.repeat, warehouse)
        pandas_s, expected = best_of(args.repeat, pandas)
        # Disclosure control hides some flows on a small census (value None; pandas hides nothing): the shown
        # ones must equal pandas' sums of the same pairs, and with none hidden the top 25 must be the same.
        shown = [(o, d, v) for o, d, v in result.flows.select("origin", "destination", "value").iter_rows()
                 if v is not None]
        every_pair = pandas_pairs()
        agree = all((o, d) in every_pair.index and round(v, 3) == round(every_pair[(o, d)], 3) for o, d, v in shown)
        hidden = result.flows.height - len(shown)
        if not hidden:
            agree = agree and sorted(round(v, 3) for _, _, v in shown) == sorted(round(v, 3) for v in expected)
        print(f"\nflows: default census view, top 25 of {result.matching} pairs, best of {args.repeat}"
              f" (results agree: {agree}; {hidden} of the top 25 hidden by disclosure control)")
        print(f"{'engine':<22} {'seconds':>8} {'time vs pandas':>15}")
        print(f"{'warehouse (duckdb)':<22} {duck_s:8.3f} {duck_s / pandas_s:15.2f}")
        print(f"{'pandas':<22} {pandas_s:8.3f} {1.0:15.2f}")

        everything = fl.flows(wh, "census", countries=countries, top=None)

        def arcs_kb(flow_result) -> float:
            spec = json.loads(fl.flow_deck(flow_result, "es").to_json())
            arcs = next(layer for layer in spec["layers"] if layer["id"] == "flows")
            return len(json.dumps(arcs["data"], separators=(",", ":"))) / 1e3

        deck_kb = len(fl.flow_deck(result, "es").to_json()) / 1e3
        top_kb, all_kb = arcs_kb(result), arcs_kb(everything)
        print(f"\narcs sent to the browser: top 25 {top_kb:.1f} kB, every pair ({everything.flows.height}) "
              f"{all_kb:.1f} kB, ratio {top_kb / all_kb:.2f}; the whole deck {deck_kb:.0f} kB (mostly the country"
              f" polygons); the {release.row_count:,} rows never leave the server")

if __name__ == "__main__":
    main()
