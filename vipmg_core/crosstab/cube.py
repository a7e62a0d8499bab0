"""The per-release cube of sums that every cross-tab of a dataset re-aggregates, and the rows a query reads of it.

DuckDB groups the published rows of a dataset once by every dimension (and, for a survey, by stratum and
PSU) into sums: rows, weights, squared weights and the sums a weighted mean and its variance need. A 10.6M-row
census gives ~200k cube rows. Each cross-tab then filters and re-groups the cube, never the rows; re-added sums
are exact, so totals are still recomputed from the data. The cube is keyed by the visible releases, so a new
publication (or a withdrawal) gives a new cube. When the cube would not be much smaller than the data
(high-cardinality dimensions), no cube is kept and each cross-tab runs its own GROUP BY instead.

Beside it a roll-up: the same sums without the dimensions of many labels (country of birth, citizenship,
residence five years ago: 26-27 labels each), built with the cube when it at least halves its rows (a quarter
of them for the 10.6M-row census). A cross-tab that uses none of those dimensions reads the roll-up.

The rows are kept as NumPy arrays (integer codes in sorted-label order, rows grouped by reporting area) for
the dense re-aggregation in `dense_sums`; a Polars frame of them with Categorical keys is made on first use
for tables too large for a dense grid. `select` gives the cube rows a query reads (its filters, and a stock's
latest period), for both.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from vipmg_core import rules
from vipmg_core.crosstab.query import (
    MISSING,
    CrosstabQuery,
    measure_column,
    reads_latest,
    survey_columns,
    weight_column,
)
from vipmg_core.datasets import Dataset
from vipmg_core.warehouse import Release, Warehouse
from vipmg_core.warehouse.sql import quote as _q

STRATUM, PSU = "_strata", "_p"
MAX_ROWS = 1_000_000  # ~170 MB of arrays at most
MAX_KEPT_ROWS = 3_000_000  # all cubes kept in memory together
MAX_SHARE = 0.5  # keep a cube only if it has at most this share of the release's rows
ROLLUP_MAX_LABELS = 20  # dimensions with more labels (countries of birth, citizenships...) are left out of the roll-up
ROLLUP_MAX_SHARE = 0.5  # keep a roll-up only if it has at most this share of the cube's rows
DENSE_MAX_VALUES = 8_000_000  # sums on one dense grid (64 MB); a larger re-aggregation is left to Polars

# The cubes kept, most recently used last: shared by every session of the process, hence the lock.
_CUBES: OrderedDict[tuple[str, str, tuple[str, ...], str | None], Cube | None] = OrderedDict()
_LOCK = threading.Lock()


@dataclass(frozen=True, eq=False)
class Cube:
    dataset_id: str
    area: str  # the reporting-area column; rows are grouped by it
    labels: dict[str, np.ndarray]  # key column -> its codes, sorted (object array of str)
    codes: dict[str, np.ndarray]  # key column -> position in `labels` (int64: no casts on the hot path), per row
    sums: dict[str, np.ndarray]  # n, y, yy, n__VAR, ... (float64), one per cube row
    area_bounds: np.ndarray  # rows of the i-th area label are area_bounds[i]:area_bounds[i + 1]
    rollup: Cube | None = None  # the same sums without the dimensions of many labels: far fewer rows
    _derived: dict = field(default_factory=dict, repr=False)  # derived arrays, made on first use

    def covering(self, columns: Iterable[str], rollup: bool = True) -> Cube:
        """The smallest cube kept with every one of `columns` (the roll-up when it has them all, unless
        `rollup` is False: the bench times the full cube that way)."""
        if rollup and self.rollup is not None and all(column in self.rollup.codes for column in columns):
            return self.rollup
        return self

    @property
    def kept_rows(self) -> int:
        return self.height + (self.rollup.height if self.rollup is not None else 0)

    def table(self, columns: Sequence[str], name: str) -> np.ndarray:
        """The sum `name` by every combination of labels of `columns` (e.g. records per country and period)."""
        key = ("table", tuple(columns), name)
        if key not in self._derived:
            shape = [len(self.labels[c]) for c in columns]
            self._derived[key] = np.bincount(self.combined(columns), weights=self.sums[name],
                                              minlength=int(np.prod(shape))).reshape(shape)
        return self._derived[key]

    def psus(self, area: str, time: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """A survey's PSUs in (country, period, stratum, PSU) order: per row, its PSU's position; per PSU, its
        country code, period code and stratum number (non-decreasing)."""
        key = ("psus", area, time)
        if key not in self._derived:
            columns = (area, time, STRATUM, PSU)
            shape = [len(self.labels[c]) for c in columns]
            unique, inverse = np.unique(self.combined(columns), return_inverse=True)
            a, t, s, _ = np.unravel_index(unique, shape)
            self._derived[key] = (inverse.ravel(), a, t, np.ravel_multi_index((a, t, s), shape[:3]))
        return self._derived[key]

    def combined(self, columns: Sequence[str]) -> np.ndarray:
        """One code per row for the combination of `columns` (e.g. country and period: the stratum)."""
        key = tuple(columns)
        if key not in self._derived:
            code = np.zeros(self.height, np.int64)
            for column in columns:
                code = code * len(self.labels[column]) + self.codes[column]
            self._derived[key] = code
        return self._derived[key]

    @property
    def height(self) -> int:
        return len(self.codes[self.area])

    @functools.cached_property
    def frame(self) -> pl.DataFrame:
        """The same rows as a Polars frame with Categorical keys, for the Polars re-aggregation (tables too
        large for a dense grid); made on first use."""
        keys = {k: pl.Series(k, self.labels[k][self.codes[k]], dtype=pl.String).cast(pl.Categorical)
                for k in self.codes}
        return pl.DataFrame([*keys.values(), *[pl.Series(name, values) for name, values in self.sums.items()]])

    def frame_of(self, rows: Selection) -> pl.DataFrame:
        """The rows of `frame` a selection (`select`) keeps, in order."""
        if rows is None:
            return self.frame
        if isinstance(rows, list):
            pieces = [self.frame.slice(p.start, p.stop - p.start) for p in rows]
            return pl.concat(pieces) if pieces else self.frame.clear()
        return self.frame[rows]

    def allowed(self, column: str, values: Sequence[str]) -> np.ndarray:
        """Per label of `column`: whether it is one of `values`."""
        wanted = set(values)
        return np.array([label in wanted for label in self.labels[column].tolist()], dtype=bool)

    def select(self, allowed: Mapping[str, np.ndarray]) -> Selection:
        """The rows kept by the per-label masks: None (every row), a list of slices (the chosen countries'
        blocks of rows: read in place, nothing copied) or an array of row positions."""
        parts: list[slice] | None = None
        if self.area in allowed:
            parts = [slice(int(self.area_bounds[i]), int(self.area_bounds[i + 1]))
                     for i in np.flatnonzero(allowed[self.area])]
        others = [(column, mask) for column, mask in allowed.items() if column != self.area]
        if not others:
            return parts
        rows = (np.arange(self.height) if parts is None else
                np.concatenate([np.arange(p.start, p.stop) for p in parts]) if parts else np.zeros(0, np.int64))
        for column, mask in others:
            rows = rows[mask[self.codes[column][rows]]]
        return rows


Selection = list[slice] | np.ndarray | None


def _pieces(selection: Selection) -> list:
    if selection is None:
        return [slice(None)]
    return selection if isinstance(selection, list) else [selection]


def selection_size(selection: Selection, cube: Cube) -> int:
    """How many cube rows a selection keeps."""
    if selection is None:
        return cube.height
    if isinstance(selection, list):
        return sum(p.stop - p.start for p in selection)
    return len(selection)


@dataclass(frozen=True)
class Dense:
    """Sums on a dense grid: one axis per key column (all its labels), then the `extra` axis if any."""

    labels: list[np.ndarray]
    sums: dict[str, np.ndarray]


def dense_sums(cube: Cube, keys: Sequence[str], rows: Selection, names: Sequence[str],
               extra: tuple[np.ndarray, np.ndarray] | None = None, fixed: Mapping[str, int] | None = None,
               max_values: int = DENSE_MAX_VALUES) -> Dense | None:
    """Sum `names` over the selected cube rows by `keys` onto a dense grid, with a last axis for `extra`
    = (a code per cube row, a map of those codes to 0..k-1) if given (e.g. the stratum); None when the grid
    would hold more than `max_values` sums. A key in `fixed` (key -> code, which every selected row has) gets a one-label axis."""
    if not keys and extra is None:
        raise ValueError("dense_sums needs at least one key")
    fixed = fixed or {}
    labels = [cube.labels[key][[fixed[key]]] if key in fixed else cube.labels[key] for key in keys]
    sizes = [len(label) for label in labels] + ([int(extra[1].max()) + 1] if extra is not None else [])
    cells = math.prod(sizes)
    if cells * len(names) > max_values:
        return None
    out = np.zeros((len(names), cells))
    for piece in _pieces(rows):
        columns = [(cube.codes[key][piece], size_) for key, size_ in zip(keys, sizes) if key not in fixed]
        if extra is not None:
            columns.append((extra[1][extra[0][piece]], sizes[-1]))
        index = columns[0][0].copy()
        for code, size_ in columns[1:]:
            index *= size_
            index += code
        for j, name in enumerate(names):
            out[j] += np.bincount(index, weights=cube.sums[name][piece], minlength=cells)
    return Dense(labels, {name: out[j].reshape(sizes) for j, name in enumerate(names)})


def cube(wh: Warehouse, ds: Dataset, design: str | None, releases: Sequence[Release] | None = None
         ) -> Cube | None:
    """The cube of the releases readers see now (built on first use; the most recently used are kept);
    `releases`: `wh.releases(ds.id)` if the caller has it already."""
    releases = wh.releases(ds.id) if releases is None else releases
    if not releases:
        return None
    key = (str(wh.root), ds.id, tuple(r.release_id for r in releases), wh.prefer)
    with _LOCK:
        if key not in _CUBES:
            _CUBES[key] = _build(wh, ds, design, sum(r.row_count for r in releases))
            while len(_CUBES) > 1 and sum(c.kept_rows for c in _CUBES.values() if c is not None) > MAX_KEPT_ROWS:
                _CUBES.popitem(last=False)
        _CUBES.move_to_end(key)
        return _CUBES[key]


def clear() -> None:
    """Forget every kept cube (the next cross-tab of each dataset builds its cube again)."""
    with _LOCK:
        _CUBES.clear()


def _build(wh: Warehouse, ds: Dataset, design: str | None, rows: int) -> Cube | None:
    dims = [d.name for d in ds.dimensions]
    raw = list(dims) + (list(survey_columns(ds)) if design == "survey" else [])
    keys = list(dims) + ([STRATUM, PSU] if design == "survey" else [])
    if ds.is_microdata:
        w = f"CAST({_q(weight_column(ds))} AS DOUBLE)"
        stats = ["COUNT(*) AS n", f"SUM({w}) AS y", f"SUM({w} * {w}) AS yy"]
        for col in ds.numeric_columns:
            v, tag = f"CAST({_q(col.name)} AS DOUBLE)", col.name
            wx = f"CASE WHEN {v} IS NOT NULL THEN {w} END"
            stats += [f"COUNT({v}) AS {_q('n__' + tag)}", f"SUM({w} * {v}) AS {_q('y__' + tag)}",
                      f"SUM({wx}) AS {_q('x__' + tag)}", f"SUM({w} * {w} * {v} * {v}) AS {_q('yy__' + tag)}",
                      f"SUM({wx} * {wx}) AS {_q('xx__' + tag)}", f"SUM({w} * {w} * {v}) AS {_q('yx__' + tag)}"]
    else:
        stats = ["COUNT(*) AS n", f"SUM(CAST({_q(measure_column(ds))} AS DOUBLE)) AS y"]
    # Grouped on the stored values, then turned into codes on the (much smaller) result: casting every row
    # to text first would cost more than the grouping itself.
    inner = [f"{_q(c)} AS _k{i}" for i, c in enumerate(raw)]
    outer = [f"{rules.cell_code_sql(f'_k{i}')} AS {_q(k)}" for i, k in enumerate(keys)]
    names = [stat.rsplit(" AS ", 1)[1] for stat in stats]
    frame = wh.query(ds.id, f"SELECT {', '.join(outer + names)} FROM (SELECT {', '.join(inner + stats)} FROM data"
                            f" GROUP BY {', '.join(str(i) for i in range(1, len(inner) + 1))})")
    # A survey's variance needs its PSUs, so its cube is about as large as its data: kept all the same
    # (below MAX_ROWS), since each cross-tab then re-aggregates it in memory.
    if frame.height > MAX_ROWS or (design != "survey" and frame.height > MAX_SHARE * max(rows, 1)):
        return None
    sums_names = [c for c in frame.columns if c not in keys]
    frame = frame.with_columns(pl.col(sums_names).cast(pl.Float64).fill_null(0.0))
    # Codes follow the sorted labels, so the order of a dense grid is the order of the codes as text.
    code_exprs = [(pl.col(k).fill_null(MISSING).rank("dense") - 1).cast(pl.Int32).alias(f"__{k}") for k in keys]
    frame = frame.with_columns(pl.col(keys).fill_null(MISSING), *code_exprs).sort(f"__{ds.area_column}")
    labels = {k: np.asarray(frame[k].unique().sort().to_list(), dtype=object) for k in keys}
    codes = {k: frame[f"__{k}"].to_numpy().astype(np.int64) for k in keys}
    sums = {name: np.ascontiguousarray(frame[name].to_numpy()) for name in sums_names}
    area_bounds = np.searchsorted(codes[ds.area_column], np.arange(len(labels[ds.area_column]) + 1))
    full = Cube(ds.id, ds.area_column, labels, codes, sums, area_bounds)
    always = [ds.area_column, ds.time_column] + ([STRATUM, PSU] if design == "survey" else [])
    kept = [ds.area_column] + [k for k in keys if k != ds.area_column
                                and (k in always or len(labels[k]) <= ROLLUP_MAX_LABELS)]
    if len(kept) == len(keys):
        return full
    rollup = _rollup(full, kept)
    full._derived.clear()  # the roll-up's row codes on the full cube: not needed again
    return replace(full, rollup=rollup)


def _rollup(cube: Cube, keys: list[str]) -> Cube | None:
    """`cube` summed over every key column not in `keys` (the area first, so rows stay grouped by it); None
    when that would not at least halve its rows. Sums of sums: every figure is the same as from the cube."""
    if math.prod(len(cube.labels[k]) for k in keys) >= 2 ** 62:
        return None
    unique, inverse = np.unique(cube.combined(keys), return_inverse=True)
    if len(unique) > ROLLUP_MAX_SHARE * cube.height:
        return None
    codes = dict(zip(keys, np.unravel_index(unique, [len(cube.labels[k]) for k in keys])))
    inverse = inverse.ravel()
    sums = {name: np.bincount(inverse, weights=values, minlength=len(unique)) for name, values in cube.sums.items()}
    area_bounds = np.searchsorted(codes[cube.area], np.arange(len(cube.labels[cube.area]) + 1))
    return Cube(cube.dataset_id, cube.area, {k: cube.labels[k] for k in keys},
                {k: c.astype(np.int64) for k, c in codes.items()}, sums, area_bounds)


# --- the rows a query reads -------------------------------------------------------------------------------

def _year_mask(labels: np.ndarray, years: tuple[int, int]) -> np.ndarray:
    first = np.array([int(text[:4]) if text[:4].isdigit() else -1 for text in labels])
    return (first >= years[0]) & (first <= years[1])


def query_masks(cube: Cube, ds: Dataset, q: CrosstabQuery, *, design_only: bool = False) -> dict[str, np.ndarray]:
    """Per filtered key column, which of its labels the query keeps. `design_only`: only the country and
    period choices (whole strata: a domain keeps every PSU of its sample)."""
    allowed: dict[str, np.ndarray] = {}

    def keep(column: str, mask: np.ndarray) -> None:
        allowed[column] = allowed[column] & mask if column in allowed else mask

    if q.countries:
        keep(ds.area_column, cube.allowed(ds.area_column, q.countries))
    if q.years:
        keep(ds.time_column, _year_mask(cube.labels[ds.time_column], q.years))
    for name, values in q.filters:
        if design_only and name not in (ds.area_column, ds.time_column):
            continue
        keep(name, cube.allowed(name, values))
    return allowed


def positions(cube: Cube, rows: Selection) -> np.ndarray:
    """The row positions of a selection."""
    if rows is None:
        return np.arange(cube.height)
    if isinstance(rows, list):
        return (np.concatenate([np.arange(p.start, p.stop) for p in rows]) if rows
                else np.zeros(0, np.int64))
    return rows


def query_rows(cube: Cube, ds: Dataset, q: CrosstabQuery) -> Selection:
    """The cube rows a query reads: its filters, and for a stock over several periods (the period not shown)
    only each area's latest period among them (stocks never add up over time: `rules`)."""
    rows = cube.select(query_masks(cube, ds, q))
    if not reads_latest(ds, q):
        return rows
    kept = positions(cube, rows)
    keep = rules.latest_mask(cube.codes[ds.area_column][kept], cube.codes[ds.time_column][kept],
                             cube.sums["n"][kept] > 0)
    return kept[keep]


def query_frame(cube: Cube, ds: Dataset, q: CrosstabQuery, *, design_only: bool = False) -> pl.DataFrame:
    """The cube's rows a query keeps, as the Polars frame the Polars path re-aggregates."""
    if design_only:
        return cube.frame_of(cube.select(query_masks(cube, ds, q, design_only=True)))
    return cube.frame_of(query_rows(cube, ds, q))
