"""Deterministic synthetic demo data for the seven standard datasets.

Nothing here is real: figures are shaped after public magnitudes (UN DESA migrant stock, the Darién
counts, returns to the North of Central America, census and survey structure) so that demos look
plausible, but every number is drawn from a seeded random generator.

- Same seed (and scale) -> identical frames. Randomness comes from `numpy.random.Generator`s seeded
  with the seed plus a CRC32 of the dataset/country/period key, never Python's `hash()`, so the output
  also does not depend on the order in which datasets or chunks are generated.
- Frames have exactly the declared columns and dtypes (`dataset(id).polars_schema`).
- Aggregates hold only detailed categories (no `_T` rows) and omit zero cells; they do not depend on
  `scale`. `scale` multiplies the microdata sample sizes: at scale 1 census has ~176k person rows and
  survey ~205k; `generate_chunks("census", scale=CENSUS_10M_SCALE)` (60) yields ~10.6 million, in
  chunks of at most `MAX_CHUNK_ROWS`, so memory stays bounded. Survey weights are calibrated to the
  population, so weighted totals do not change with scale.
- Census nulls: `residence_5y_ago` is null for children under 5 (not applicable) and for a small share
  of "not declared" answers; `year_of_arrival` is null for the native-born.
- Census years follow each country's calendar where a census was held near the round; the others are
  made up. Country of birth shares come from the same stock table as `migrant_stock` (interpolated to
  the census year), with the foreign-born share floored at 1% so every country has foreign-born rows.

`build` publishes it all into a warehouse (`python -m vipmg_core demo [--scale 60]`); `ensure_demo` does
so on first start when the data directory is empty, with the real series of the public data pack
(`vipmg_core.pack`) in place of the synthetic ones wherever the pack has them.

One module per concept: `countries` (country profiles), `frames` (seeded generators, code orders, cubes to
declared frames), `stock` (the migrant stock every origin is drawn from), one module per aggregate dataset
(`arrivals`, `permits`, `returns`, `transit`, `stand_ins` for refugees, encounters and stock totals), `census`
and `survey` with the person-level blocks they share (`persons`: ages, education, labour status), `generators`
(dataset -> generator, chunks, row counts) and `publish` (into a warehouse; once, on first start). This module
re-exports what callers use.
"""

from vipmg_core.demo.census import CENSUS_10M_SCALE, MAX_CHUNK_ROWS
from vipmg_core.demo.frames import AGE_GROUPS, DEMO_SEED, MONTHS, SEX
from vipmg_core.demo.generators import generate, generate_chunks, planned_rows
from vipmg_core.demo.permits import PERMIT_YEARS
from vipmg_core.demo.persons import EDUCATION, LABOUR, MAX_AGE
from vipmg_core.demo.publish import DEMO_ACTOR, DEMO_PUBLISHER, DEMO_SCOPE, build, demo_on_empty, ensure_demo
from vipmg_core.demo.stand_ins import REFUGEE_YEARS
from vipmg_core.demo.stock import STOCK_YEARS
from vipmg_core.demo.survey import SURVEY_YEARS

__all__ = [
    "AGE_GROUPS",
    "CENSUS_10M_SCALE",
    "DEMO_ACTOR",
    "DEMO_PUBLISHER",
    "DEMO_SCOPE",
    "DEMO_SEED",
    "EDUCATION",
    "LABOUR",
    "MAX_AGE",
    "MAX_CHUNK_ROWS",
    "MONTHS",
    "PERMIT_YEARS",
    "REFUGEE_YEARS",
    "SEX",
    "STOCK_YEARS",
    "SURVEY_YEARS",
    "build",
    "demo_on_empty",
    "ensure_demo",
    "generate",
    "generate_chunks",
    "planned_rows",
]
