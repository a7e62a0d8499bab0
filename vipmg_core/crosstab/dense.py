"""The NumPy path: the cells of a cross-tab from the cube on a dense grid, with every total.

The cube's selected rows (its roll-up's, when the table needs none of the many-label dimensions) are summed
with one bincount per sum onto a dense grid (one axis per dimension, plus the stratum for the census
variance); one more position on each dimension's axis holds its total, so every total and subtotal is a sum
over axes, and variances, flags, complementary suppression and shares are array operations. A survey's
variance is computed one country at a time from its PSU totals (`_survey_variance`). It gives the same cells,
in the same order, as the Polars path (`grouped`; tests check it), in a small fraction of the time. A grid
too large to hold densely gives None, and the caller takes the Polars path.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from vipmg_core import quality
from vipmg_core.crosstab.cube import (
    DENSE_MAX_VALUES,
    Cube,
    Selection,
    dense_sums,
    query_masks,
    query_rows,
    selection_size,
)
from vipmg_core.crosstab.query import LEVEL_COL, LEVEL_ROW, TOTAL, CrosstabQuery, empty_cells
from vipmg_core.crosstab.suppression import protection
from vipmg_core.datasets import Dataset
from vipmg_core.quality import CONF_FREE, CONF_PRIMARY, CONF_SECONDARY, RELIABLE, SUPPRESSED

_F_RELIABLE, _F_SUPPRESSED = quality.FLAGS.index(RELIABLE), quality.FLAGS.index(SUPPRESSED)
_CONF_NAMES = [CONF_FREE, CONF_PRIMARY, CONF_SECONDARY]
_C_FREE, _C_PRIMARY, _C_SECONDARY = 0, 1, 2


def cells(cube: Cube, ds: Dataset, q: CrosstabQuery, method: str, design: str | None, *, rollup: bool = True,
          max_values: int = DENSE_MAX_VALUES) -> pl.DataFrame | None:
    """Every cell of every level of the table, suppressed values removed (as `grouped.cells`); None when the
    grid would hold more than `max_values` sums. `rollup`: read the cube's roll-up where it has every column."""
    rule = quality.rules()
    variance = design is not None and q.measure != "count"
    census, survey = variance and design == "census", variance and design == "survey"
    ratio = q.mean_of is not None
    count_rows = q.measure == "count" and ds.is_microdata
    tag = f"__{q.mean_of}" if ratio else ""
    names = ["n", "y"] + (["x"] if ratio else []) + (["yy"] if census else []) + (
        ["xx", "yx"] if census and ratio else [])
    cube = cube.covering([*q.dims, *(name for name, _ in q.filters), ds.area_column, ds.time_column], rollup)
    rows = query_rows(cube, ds, q)
    if not selection_size(rows, cube):
        return empty_cells(q)
    # A census's variance needs a last axis, the stratum (each country and round one stratum of records); a
    # survey's is computed per country from its PSU totals (`_survey_variance`). Domains keep every PSU (record)
    # of the country and period chosen, so the stratum sizes count those, whatever the other filters.
    extra = None
    n_h = np.zeros(0)
    if census:
        chosen = query_masks(cube, ds, q, design_only=True)
        strata = [ds.area_column, ds.time_column]
        stratum_n = cube.table(strata, "n")
        for axis, column in enumerate(strata):
            if column in chosen:
                stratum_n = stratum_n * np.expand_dims(chosen[column], 1 - axis)
        stratum_n = stratum_n.ravel()
        in_sample = stratum_n > 0
        n_h = stratum_n[in_sample]
        extra = (cube.combined(strata), np.cumsum(in_sample) - 1)
    grid = dense_sums(cube, q.dims, rows, [f"{name}{tag}" for name in names], extra, max_values=max_values)
    if grid is None:
        return None
    R, C = len(q.rows), len(q.cols)
    dim_labels = grid.labels
    sizes = tuple(len(labels) for labels in dim_labels)
    last = len(n_h) if census else 0
    if math.prod(size + 1 for size in sizes) * max(last, 1) * len(names) > max_values:
        return None  # the grid with its totals would be too large to hold: the Polars path

    # Every total and subtotal: one more position on each dimension's axis holds the sum over that axis.
    ext = _extended(np.stack([grid.sums[f"{name}{tag}"] for name in names], axis=-1), R + C)
    ext = ext.reshape(-1, last, len(names)) if census else ext.reshape(-1, len(names))
    layout = _layout(sizes, R, C)
    n_all = ext[layout.positions, ..., 0]
    present = (n_all.sum(axis=1) if census else n_all) > 0
    pos, rl, cl = layout.positions[present], layout.rl[present], layout.cl[present]
    picked = ext[pos]  # per cell (and stratum, for a census), then per sum
    g = {name: picked[..., i] for i, name in enumerate(names)}

    def cell(a: np.ndarray) -> np.ndarray:  # sum over strata
        return a.sum(axis=1) if census else a

    with np.errstate(divide="ignore", invalid="ignore"):
        n, y = cell(g["n"]), cell(g["y"])
        x = cell(g["x"]) if ratio else None
        value = y / x if x is not None else (n.astype(float) if count_rows else y)
        if variance:  # a census: each record its own PSU, so per-stratum sums and squares are enough
            if survey:
                v = _survey_variance(cube, ds, q, rows, layout, pos, tag, max_values=max_values, mean_r=value if ratio else None)
                if v is None:
                    return None
            elif ratio:
                r = value[:, None]
                v = quality.ultimate_cluster(g["y"] - r * g["x"], g["yy"] - 2 * r * g["yx"] + r * r * g["xx"], n_h)
            else:
                v = quality.ultimate_cluster(g["y"], g["yy"], n_h)
            cv = quality.cv_values(value, v / (x * x) if x is not None else v)
        else:
            cv = np.full(len(n), np.nan)
    if method in ("survey", "census"):
        flag = quality.estimate_flag_codes(cv, n, rule)
    elif method == "admin":
        flag = quality.small_count_flag_codes(y, rule)
    elif method == "unweighted":  # sample records: the n rule (for a census, the n is the count)
        flag = quality.sample_count_flag_codes(n, rule)
    else:
        flag = np.full(len(n), _F_RELIABLE)
    primary = flag == _F_SUPPRESSED
    ids = np.full(math.prod(layout.shape), -1, np.int64)
    ids[pos] = np.arange(len(pos))
    size = x if x is not None else n.astype(float) if count_rows else y
    hidden = (quality.protect(size, primary, _grid_lines(layout, ids, size if ratio else None),
                              protection=protection(method, value if ratio else size, rule))
              if primary.any() else primary)
    conf = np.where(primary, _C_PRIMARY, np.where(hidden, _C_SECONDARY, _C_FREE))
    base = value if (ratio or count_rows) else y
    base_hidden = hidden
    if q.percent:
        # The denominator of a share is the cell with the other side's dimensions totalled.
        totalled = {"row": range(R, R + C), "col": range(R), "total": range(R + C)}[q.percent]
        den_pos = pos.copy()
        for axis in totalled:
            coord = (pos // layout.strides[axis]) % layout.shape[axis]
            den_pos += (sizes[axis] - coord) * layout.strides[axis]
        den = ids[den_pos]
        num = n.astype(float) if count_rows else y
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio_value = num / num[den]
            if variance:  # linearised: y - R y_den per PSU, over every stratum of the denominator's domain
                rr = ratio_value[:, None]
                if survey:
                    var = _survey_variance(cube, ds, q, rows, layout, pos, tag, max_values=max_values,
                                           share=(ratio_value, den_pos))
                    if var is None:
                        return None
                else:  # census: a record of the cell is in the denominator with the same weight
                    var = quality.ultimate_cluster(g["y"] - rr * g["y"][den],
                                                   g["yy"] - 2 * rr * g["yy"] + rr * rr * g["yy"][den], n_h)
                var = var / num[den] ** 2
            else:
                var = np.full(len(n), np.nan)
        den_hidden = hidden[den]
        value, cv = ratio_value * 100, quality.cv_values(ratio_value, var)
        if variance:
            own = quality.estimate_flag_codes(cv, n, rule)
            conf = np.where(own == _F_SUPPRESSED, _C_PRIMARY, np.where(den_hidden & ~hidden, _C_SECONDARY, conf))
            hidden = hidden | den_hidden | (own == _F_SUPPRESSED)
            flag = own
        else:
            conf = np.where(den_hidden & ~hidden, _C_SECONDARY, conf)
            hidden = hidden | den_hidden
    flag = np.where(hidden, _F_SUPPRESSED, flag)
    coords = np.unravel_index(pos, layout.shape)  # a coordinate one past the labels stands for _T

    def without(name: str, values: np.ndarray, mask: np.ndarray) -> pl.Series:  # null where hidden, NaN kept
        if np.isnan(values).any():
            return pl.Series(name, values, dtype=pl.Float64).scatter(np.flatnonzero(mask), None)
        return pl.Series(name, np.where(mask, np.nan, values), dtype=pl.Float64, nan_to_null=True)

    return pl.DataFrame([
        *[pl.Series(d, [*dim_labels[i].tolist(), TOTAL], dtype=pl.String)[coords[i]] for i, d in enumerate(q.dims)],
        pl.Series(LEVEL_ROW, rl), pl.Series(LEVEL_COL, cl),
        without("value", value, hidden), without("base", base, base_hidden),
        pl.Series("n", n.astype(np.int64)) if ds.is_microdata else pl.Series("n", [None] * len(n), dtype=pl.Int64),
        pl.Series("cv", np.where(hidden, np.nan, cv), nan_to_null=True),
        pl.Series("flag", quality.FLAGS, dtype=pl.String)[flag],
        pl.Series("conf", _CONF_NAMES, dtype=pl.String)[conf],
    ])


def _extended(array: np.ndarray, axes: int) -> np.ndarray:
    """The grid with one more position on each of its first `axes` axes, holding the sum over that axis."""
    for axis in range(axes):
        array = np.concatenate([array, array.sum(axis=axis, keepdims=True)], axis=axis)
    return array


def _area_rows(cube: Cube, rows: Selection, area: int) -> Selection | None:
    """The selected rows of one country (None: none)."""
    lo, hi = int(cube.area_bounds[area]), int(cube.area_bounds[area + 1])
    if rows is None:
        return [slice(lo, hi)] if hi > lo else None
    if isinstance(rows, list):
        pieces = [piece for piece in rows if piece.start == lo and piece.stop > lo]
        return pieces or None
    part = rows[np.searchsorted(rows, lo):np.searchsorted(rows, hi)]
    return part if len(part) else None


def _survey_variance(cube: Cube, ds: Dataset, q: CrosstabQuery, rows: Selection, layout: _Layout,
                     pos: np.ndarray, tag: str, *, max_values: int, mean_r: np.ndarray | None = None,
                     share: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray | None:
    """Ultimate-cluster variance per cell (at `pos` on the table's extended grid) of a total, of a mean's
    numerator y - R x (`mean_r`: R per cell) or of a share's numerator y - r y_den (`share`: r per cell and the
    denominator's position); None when a country's PSU grid would be too large to hold.

    Computed one country at a time: PSUs never cross countries, so a country's grid of PSU totals (with the
    country axis, if any, reduced to that country and the total) holds every PSU value of its strata, for
    every cell, totals over countries included; contributions of disjoint strata add up.
    """
    area, dims = ds.area_column, list(q.dims)
    row_psu, psu_area, psu_time, psu_stratum = cube.psus(area, ds.time_column)
    chosen = query_masks(cube, ds, q, design_only=True)
    keep = np.ones(len(psu_area), bool)
    for column, codes in ((area, psu_area), (ds.time_column, psu_time)):
        if column in chosen:
            keep &= chosen[column][codes]
    names = [f"y{tag}"] + ([f"x{tag}"] if mean_r is not None else [])
    country_axis = dims.index(area) if area in dims else None
    coords = np.unravel_index(pos, layout.shape)
    den_coords = np.unravel_index(share[1], layout.shape) if share is not None else None
    v = np.zeros(len(pos))
    for a in np.unique(psu_area[keep]):
        piece = _area_rows(cube, rows, int(a))
        if piece is None:  # nothing chosen in this country: every PSU value is 0, and so is its part
            continue
        in_country = keep & (psu_area == a)
        of_stratum = psu_stratum[in_country]
        starts = np.flatnonzero(np.diff(of_stratum, prepend=-1))
        n_h = np.diff(np.append(starts, len(of_stratum))).astype(float)
        fixed = {area: int(a)} if country_axis is not None else None
        grid = dense_sums(cube, dims, piece, names, (row_psu, np.cumsum(in_country) - 1), fixed=fixed,
                          max_values=max_values)
        shape = [len(labels) + 1 for labels in grid.labels] if grid is not None else []
        if grid is None or math.prod(shape) * len(n_h) * len(names) > max_values:
            return None
        ext = _extended(np.stack([grid.sums[name] for name in names], axis=-1), len(dims))
        ext = ext.reshape(-1, int(in_country.sum()), len(names))

        def local(cs, a=a, shape=shape) -> np.ndarray:  # table grid position -> this country's (-1: not in it)
            at = np.zeros(len(cs[0]), np.int64)
            inside = np.ones(len(cs[0]), bool)
            for i, c in enumerate(cs):
                if i == country_axis:  # this country, or the total over countries
                    inside &= (c == a) | (c == layout.shape[i] - 1)
                    c = (c != a).astype(np.int64)
                at = at * shape[i] + c
            return np.where(inside, at, -1)

        def part(z: np.ndarray, starts=starts, n_h=n_h) -> np.ndarray:  # PSU values -> this country's part
            return quality.ultimate_cluster(np.add.reduceat(z, starts, axis=1), np.add.reduceat(z * z, starts, axis=1),
                                            n_h)

        at = local(coords)
        ok = at >= 0  # a cell of another country has no PSU here: its part is 0 ...
        z = ext[at[ok], :, 0]
        if mean_r is not None:
            z = z - mean_r[ok, None] * ext[at[ok], :, 1]
        elif share is not None:
            den_at = local(den_coords)
            z = z - share[0][ok, None] * ext[den_at[ok], :, 0]
            # ... unless a share's denominator spans countries: there y - r y_den is -r y_den, whose part is
            # r^2 times the denominator's own part (worked out once per denominator).
            away = np.flatnonzero(~ok & (den_at >= 0))
            if len(away):
                dens, which = np.unique(den_at[away], return_inverse=True)
                v[away] += share[0][away] ** 2 * part(ext[dens, :, 0])[which]
        v[ok] += part(z)
    return v


@dataclass(frozen=True, eq=False)
class _Layout:
    R: int
    C: int
    shape: tuple[int, ...]  # each dimension's labels plus one position for its total
    strides: np.ndarray
    positions: np.ndarray  # flat positions of every cell of every level, in the table's order
    rl: np.ndarray
    cl: np.ndarray
    _lines: list = field(default_factory=list, repr=False)  # the full layout's lines, once made (small layouts)

    def lines(self) -> quality.Lines:
        if self._lines:
            return self._lines[0]
        lines = _layout_lines(self)
        if len(lines.members) <= 1_000_000:  # 8 MB; larger ones are made again each time rather than kept
            self._lines.append(lines)
        return lines


@functools.lru_cache(maxsize=128)
def _layout(sizes: tuple[int, ...], R: int, C: int) -> _Layout:
    """Where the cells of each level sit on the extended grid: levels from the most detailed (rows, then
    columns, most kept first), cells within a level in code order, as the Polars path sorts them."""
    shape = tuple(size + 1 for size in sizes)
    strides = np.array([int(np.prod(shape[axis + 1:])) for axis in range(len(shape))], dtype=np.int64)
    positions, rls, cls = [], [], []
    for rk in range(R, -1, -1):
        for ck in range(C, -1, -1):
            kept = {*range(rk), *range(R, R + ck)}
            flat = np.zeros(1, np.int64)
            for axis in range(R + C):
                coords = np.arange(sizes[axis]) if axis in kept else np.array([sizes[axis]])
                flat = (flat[:, None] * shape[axis] + coords[None, :]).ravel()
            positions.append(flat)
            rls.append(np.full(len(flat), rk, np.int32))
            cls.append(np.full(len(flat), ck, np.int32))
    return _Layout(R, C, shape, strides, np.concatenate(positions), np.concatenate(rls), np.concatenate(cls))


def _grid_lines(layout: _Layout, ids: np.ndarray, weight: np.ndarray | None) -> quality.Lines:
    """Each total and the cells one level down that add up to it, along rows then columns (as `_constraints`),
    for the cells present (`ids`: grid position -> cell, -1 for none). A line whose total is absent has
    no part present either (the total's count is the sum of theirs): it is dropped whole."""
    full = layout.lines()
    member_ids = ids[full.members]
    keep = member_ids >= 0
    members = member_ids[keep]
    counts = np.bincount(full.line_of[keep], minlength=len(full))
    ptr = np.concatenate(([0], np.cumsum(counts[counts > 0])))
    coefs = np.nan_to_num(weight[members]) if weight is not None else np.ones(len(members))
    coefs[ptr[:-1]] *= -1
    return quality.Lines(ptr, members, coefs)


def _layout_lines(layout: _Layout) -> quality.Lines:
    """Every line of the full layout, members as grid positions: for the k-th row (then column) dimension, each
    cell of level k (that dimension totalled) followed by the cells with each of that dimension's labels."""
    members, counts = [], []
    for axis, level, k in [*[(k, layout.rl, k) for k in range(layout.R)],
                           *[(layout.R + k, layout.cl, k) for k in range(layout.C)]]:
        totals = layout.positions[level == k]
        size = layout.shape[axis] - 1
        parts = totals[:, None] + (np.arange(size) - size) * layout.strides[axis]
        members.append(np.concatenate([totals[:, None], parts], axis=1).ravel())
        counts.append(np.full(len(totals), size + 1))
    if not members:
        return quality.Lines.of([])
    ptr = np.concatenate(([0], np.cumsum(np.concatenate(counts))))
    return quality.Lines(ptr, np.concatenate(members), np.ones(int(ptr[-1])))

