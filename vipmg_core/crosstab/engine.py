"""Computing a cross-tab: `crosstab(...)` and `compute(query, wh)`, and the `Engine` that says how.

A query flows one way: the checked request (`query`) reads the release's cube of sums (`cube`, built once per
release) or, without one, the rows in DuckDB (`sql`); the NumPy path (`dense`) or the Polars path (`grouped`)
makes every cell of every level, with variances, flags and suppression (`suppression`); publisher redactions
and the public marks are added, and the cells become a `Crosstab` (`result`).

Which path runs is an `Engine` value passed down the call, never a module setting: the app serves many
sessions from one process, and a test or bench comparing paths must not change what another session computes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from vipmg_core import rules
from vipmg_core.crosstab import dense, grouped, sql
from vipmg_core.crosstab.cube import DENSE_MAX_VALUES, Cube, positions, query_masks
from vipmg_core.crosstab.cube import cube as release_cube
from vipmg_core.crosstab.query import CrosstabError, CrosstabQuery, design, make_query, method, reads_latest
from vipmg_core.crosstab.result import Crosstab
from vipmg_core.crosstab.suppression import mark_redacted, public_marks
from vipmg_core.datasets import Dataset, dataset
from vipmg_core.warehouse import Warehouse


@dataclass(frozen=True)
class Engine:
    """How a cross-tab is computed. Every choice gives the same cells (tests compare them); the default is the
    fastest. Tests and the bench pass another one to compare or time a path."""

    cube: bool = True  # re-aggregate the release's cube of sums (False: one GROUP BY in DuckDB over the rows)
    dense: bool = True  # re-aggregate the cube with NumPy on a dense grid (False: with Polars)
    rollup: bool = True  # read the cube's roll-up where it has every column the table needs
    dense_max_values: int = DENSE_MAX_VALUES  # sums on one dense grid; a larger table takes the Polars path


FASTEST = Engine()


def crosstab(dataset_id: str, rows: Sequence[str], cols: Sequence[str] = (), *,
             filters: Mapping[str, Iterable[str]] | None = None, countries: Iterable[str] | None = None,
             years: tuple[int, int] | None = None, measure: str | None = None, percent: str | None = None,
             totals: bool = True, subtotals: bool = False, source: str | None = None, pool: bool = False,
             warehouse: Warehouse | None = None, engine: Engine = FASTEST) -> Crosstab:
    """Compute a cross-tab (the arguments: `vipmg_core.crosstab`'s docstring; `source` picks, where published
    products overlap, the one to read: `Warehouse.sources` lists them; `pool`: a stock's periods chosen are
    pooled into one estimate, as a profile pools survey years, instead of each area's latest)."""
    query = make_query(dataset_id, rows, cols, filters=filters, countries=countries, years=years,
                       measure=measure, percent=percent, totals=totals, subtotals=subtotals, source=source,
                       pool=pool)
    return compute(query, warehouse or Warehouse(), engine)


def compute(query: CrosstabQuery, wh: Warehouse, engine: Engine = FASTEST) -> Crosstab:
    """The cross-tab of a checked query, read from `wh` (`engine`: how; every engine gives the same cells)."""
    ds = dataset(query.dataset_id)
    if query.source:
        known = [key for key, _ in wh.sources(ds.id)]
        if query.source not in known:
            raise CrosstabError("crosstab.error.source", source=query.source, dataset=ds.id,
                                known=", ".join(known) or "–")
    wh = wh.preferring(query.source)
    how, made_by = design(ds), method(ds, query)
    cube = release_cube(wh, ds, how, wh.releases(ds.id)) if engine.cube else None
    latest = _latest_periods(cube, wh, ds, query, engine.rollup) if reads_latest(ds, query) else {}
    cells = (dense.cells(cube, ds, query, made_by, how, rollup=engine.rollup, max_values=engine.dense_max_values)
             if cube is not None and engine.dense else None)
    if cells is None:
        cells = grouped.cells(cube, wh, ds, query, made_by, how)
    cells = mark_redacted(wh, ds, query, cells)
    cells, complementary = public_marks(cells)
    used, aside = wh.selection_sources(ds.id, query.countries, query.years, latest or None)
    provenance = tuple(f"{r.publisher} · {r.edition or ''} · {r.source_file or ''} · v{r.version} · "
                       f"SHA-256 {r.sha256[:16]}…" for r in used)
    periods = sql.periods_read(wh, ds, query) if not latest and ds.time_column not in query.dims else None
    return Crosstab(query, cells, made_by, synthetic=any(r.synthetic for r in used), provenance=provenance,
                    latest=tuple(sorted(latest.items())), source=query.source,
                    set_aside=tuple((r.product, f"{r.publisher} · {r.edition or ''}") for r in aside),
                    complementary=complementary, periods=periods)


def _latest_periods(cube: Cube | None, wh: Warehouse, ds: Dataset, q: CrosstabQuery, rollup: bool
                    ) -> dict[str, str]:
    """A stock over several periods: each reporting area's latest period among the selected rows."""
    if cube is None:
        return sql.latest_periods(wh, ds, q)
    cube = cube.covering([*(name for name, _ in q.filters), ds.area_column, ds.time_column], rollup)
    rows = positions(cube, cube.select(query_masks(cube, ds, q)))
    rows = rows[cube.sums["n"][rows] > 0]
    return rules.latest_periods(cube.codes[ds.area_column][rows], cube.codes[ds.time_column][rows],
                                cube.labels[ds.area_column], cube.labels[ds.time_column])
