"""Quality and confidentiality of published cells: sampling variance, CV, reliability flags, suppression.

- Variance of survey estimates with the standard with-replacement "ultimate cluster" estimator (Taylor
  linearisation): for a linear statistic with PSU totals z_hi in stratum h,
      v = sum_h n_h / (n_h - 1) * sum_i (z_hi - mean_h z)^2,
  and for a ratio R = Y / X the same on the linearised values z_hi = (y_hi - R x_hi) / X. It is written
  here with per-stratum moments (sum z, sum z^2), so a cell needs only its PSU totals, never the rows.
- Census samples have no strata or PSU in the standard: each row is taken as its own PSU within one
  stratum per country and round (simple random sampling of rows, with replacement), the usual
  approximation, and labelled as approximate wherever it is shown.
- Flags: reliable / use with caution / suppressed from the CV and the unweighted n; an admin small-count
  rule for event counts. Thresholds live in `standard/quality.toml`.
- Complementary suppression: enough further cells are hidden that no suppressed cell can be worked out
  exactly from the totals and subtotals of the table (checked with linear algebra, not only by counting).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

from vipmg_core.config import STANDARD_DIR

QUALITY_FILE = STANDARD_DIR / "quality.toml"

RELIABLE = "reliable"
CAUTION = "caution"
SUPPRESSED = "suppressed"
FLAGS = (RELIABLE, CAUTION, SUPPRESSED)

# SDMX CONF_STATUS codes: free, primary confidential, secondary (complementary) confidential.
CONF_FREE = "F"
CONF_PRIMARY = "C"
CONF_SECONDARY = "D"


@dataclass(frozen=True)
class Rules:
    cv_reliable_max: float = 15.0
    cv_caution_max: float = 30.0
    min_unweighted_n: int = 30
    admin_min_count: int = 3
    symbol_suppressed: str = "x"
    symbol_caution: str = "*"
    symbol_empty: str = "–"


@cache
def _rules_from(path: str) -> Rules:
    with Path(path).open("rb") as handle:
        raw = tomllib.load(handle)
    est, admin, sym = raw.get("estimates", {}), raw.get("admin", {}), raw.get("symbols", {})
    rules = Rules(
        cv_reliable_max=float(est.get("cv_reliable_max", Rules.cv_reliable_max)),
        cv_caution_max=float(est.get("cv_caution_max", Rules.cv_caution_max)),
        min_unweighted_n=int(est.get("min_unweighted_n", Rules.min_unweighted_n)),
        admin_min_count=int(admin.get("min_count", Rules.admin_min_count)),
        symbol_suppressed=str(sym.get("suppressed", Rules.symbol_suppressed)),
        symbol_caution=str(sym.get("caution", Rules.symbol_caution)),
        symbol_empty=str(sym.get("empty", Rules.symbol_empty)),
    )
    if not 0 <= rules.cv_reliable_max <= rules.cv_caution_max:
        raise ValueError(f"{path}: need 0 <= cv_reliable_max <= cv_caution_max")
    if rules.min_unweighted_n < 0 or rules.admin_min_count < 0:
        raise ValueError(f"{path}: thresholds must not be negative")
    return rules


def rules(path: Path | None = None) -> Rules:
    """The publication rules in force (from `standard/quality.toml` unless another file is given)."""
    return _rules_from(str(path or QUALITY_FILE))


# --- variance --------------------------------------------------------------------------------------------

def stratum_variance(moments: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Sum over strata of the ultimate-cluster variance contribution, per `keys`.

    `moments` holds one row per (keys, stratum) with `n_h` (PSUs in the stratum: those of the whole sample
    as filtered by country and period, not only those touching the cell, since this is domain estimation
    and a PSU with no member in the cell has a zero total), `sy`, `syy` (sum and sum of squares of the
    PSU totals of the numerator) and, for a ratio, `r` (the estimate), `sx`, `sxx`, `syx` (the same for
    the denominator and the cross product). Returns `keys` + `v` (variance of the total, or of the ratio's
    numerator y - R x, still to be divided by X^2).
    Strata with a single PSU give no variance information; they contribute zero (none in the demo data).
    """
    cols = moments.columns
    r = pl.col("r") if "r" in cols else pl.lit(0.0)
    sx = pl.col("sx") if "sx" in cols else pl.lit(0.0)
    sxx = pl.col("sxx") if "sxx" in cols else pl.lit(0.0)
    syx = pl.col("syx") if "syx" in cols else pl.lit(0.0)
    n_h = pl.col("n_h").cast(pl.Float64)
    squares = pl.col("syy") - 2 * r * syx + r * r * sxx  # sum_i d_i^2 with d_i = y_i - R x_i
    total = pl.col("sy") - r * sx  # sum_i d_i
    contribution = pl.when(n_h > 1).then(n_h / (n_h - 1) * (squares - total * total / n_h)).otherwise(0.0)
    return (moments.with_columns(contribution.clip(lower_bound=0.0).alias("_v"))
            .group_by(list(keys), maintain_order=True).agg(pl.col("_v").sum().alias("v")))


def cv_percent(estimate: pl.Expr, variance: pl.Expr) -> pl.Expr:
    """100 * SE / |estimate|; null where the estimate is zero or missing."""
    return (pl.when(estimate.abs() > 0).then(100 * variance.clip(lower_bound=0).sqrt() / estimate.abs())
            .otherwise(None))


def estimate_flag(cv: pl.Expr, n: pl.Expr, rule: Rules | None = None) -> pl.Expr:
    """reliable (CV <= 15 %), caution (15-30 %), suppressed (CV > 30 % or unweighted n < 30)."""
    rule = rule or rules()
    return (pl.when((n < rule.min_unweighted_n) | cv.is_null() | (cv > rule.cv_caution_max)).then(pl.lit(SUPPRESSED))
            .when(cv > rule.cv_reliable_max).then(pl.lit(CAUTION))
            .otherwise(pl.lit(RELIABLE)))


def small_count_flag(value: pl.Expr, rule: Rules | None = None) -> pl.Expr:
    """Admin counts: more than zero but fewer than `min_count` events is suppressed (0 turns the rule off)."""
    rule = rule or rules()
    if rule.admin_min_count <= 0:
        return pl.lit(RELIABLE)
    return pl.when((value > 0) & (value < rule.admin_min_count)).then(pl.lit(SUPPRESSED)).otherwise(pl.lit(RELIABLE))


# The same rules on NumPy arrays, for the cross-tab's dense path (one array per cell, strata along axis 1).

def ultimate_cluster(sy: np.ndarray, syy: np.ndarray, n_h: np.ndarray) -> np.ndarray:
    """`stratum_variance` on arrays: per cell, the sum over strata of n_h / (n_h - 1) * (syy - sy^2 / n_h),
    each stratum's part clipped at 0; strata with one PSU contribute nothing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n_h > 1, n_h / np.maximum(n_h - 1, 1), 0.0)
        return (factor * np.clip(syy - sy * sy / n_h, 0, None)).sum(axis=1)


def cv_values(estimate: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """`cv_percent` on arrays: NaN where the estimate is zero or missing."""
    with np.errstate(invalid="ignore", divide="ignore"):
        size = np.abs(estimate)
        return np.where(size > 0, 100 * np.sqrt(np.clip(variance, 0, None)) / size, np.nan)


def estimate_flag_codes(cv: np.ndarray, n: np.ndarray, rule: Rules) -> np.ndarray:
    """`estimate_flag` on arrays, as positions in FLAGS."""
    with np.errstate(invalid="ignore"):
        out = np.where(cv > rule.cv_reliable_max, FLAGS.index(CAUTION), FLAGS.index(RELIABLE))
        return np.where((n < rule.min_unweighted_n) | np.isnan(cv) | (cv > rule.cv_caution_max),
                        FLAGS.index(SUPPRESSED), out)


def small_count_flag_codes(value: np.ndarray, rule: Rules) -> np.ndarray:
    """`small_count_flag` on arrays, as positions in FLAGS."""
    if rule.admin_min_count <= 0:
        return np.full(len(value), FLAGS.index(RELIABLE))
    return np.where((value > 0) & (value < rule.admin_min_count), FLAGS.index(SUPPRESSED), FLAGS.index(RELIABLE))


# --- complementary suppression ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Constraint:
    """parent_coef * cell[parent] == sum(child_coefs * cell[children]): a total and what it adds up."""

    parent: int
    children: np.ndarray
    parent_coef: float = 1.0
    child_coefs: np.ndarray | None = None

    @property
    def members(self) -> np.ndarray:
        return np.concatenate(([self.parent], self.children))

    def coefficients(self) -> np.ndarray:
        child = np.ones(len(self.children)) if self.child_coefs is None else self.child_coefs
        return np.concatenate(([-self.parent_coef], child))


MAX_EXACT_CHECK = 1500  # suppressed cells in one linked group; larger groups rely on the counting rule alone


@dataclass(frozen=True)
class Lines:
    """Every "total = sum of its parts" line of a table, packed: line k's cells are
    `members[ptr[k]:ptr[k + 1]]`, its total first, with `coefs` (-total's coefficient, then the parts')."""

    ptr: np.ndarray
    members: np.ndarray
    coefs: np.ndarray

    @classmethod
    def of(cls, constraints: Sequence[Constraint]) -> Lines:
        if not constraints:
            return cls(np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0))
        members = [con.members for con in constraints]
        ptr = np.concatenate(([0], np.cumsum([len(m) for m in members])))
        return cls(ptr, np.concatenate(members).astype(np.int64),
                   np.concatenate([con.coefficients() for con in constraints]))

    def __len__(self) -> int:
        return len(self.ptr) - 1

    @functools.cached_property
    def line_of(self) -> np.ndarray:
        """The line of each entry of `members`."""
        return np.repeat(np.arange(len(self)), np.diff(self.ptr))


def protect(values: np.ndarray, primary: np.ndarray, lines: Lines | Sequence[Constraint],
            max_rounds: int = 100) -> np.ndarray:
    """Cells to suppress: the primary ones plus complementary ones, so that none can be recovered exactly.

    First the counting rule (no total line may have exactly one hidden member: it would be its total minus
    the others), hiding the smallest visible member, a detail cell before a total; lines are visited in order
    and visited again while anything changes. Then an exact check: a hidden cell whose value is the same in
    every solution of the table's equations is recoverable (e.g. a cell joining two otherwise protected
    groups); another cell of one of its lines is hidden and the whole is checked again.
    """
    hidden = np.asarray(primary, dtype=bool).copy()
    if not hidden.any():
        return hidden
    lines = lines if isinstance(lines, Lines) else Lines.of(lines)
    size = np.abs(np.asarray(values, dtype=float))
    size[np.isnan(size)] = 0.0
    line_of = lines.line_of
    by_cell = stable_order(lines.members, len(hidden))  # the lines of each cell, in line order
    cell_ptr = np.searchsorted(lines.members[by_cell], np.arange(len(hidden) + 1))
    cell_lines = line_of[by_cell]
    count = np.bincount(line_of, weights=hidden[lines.members], minlength=len(lines)).astype(np.int64)

    def hide_one_more(k: int) -> bool:
        cells = lines.members[lines.ptr[k]:lines.ptr[k + 1]]
        children = cells[1:]
        pool = children[~hidden[children]]
        if not len(pool):
            pool = cells[:1] if not hidden[cells[0]] else pool
        if not len(pool):
            return False
        pick = int(pool[np.lexsort((pool, size[pool]))[0]])
        hidden[pick] = True
        count[cell_lines[cell_ptr[pick]:cell_ptr[pick + 1]]] += 1
        return True

    for _ in range(max_rounds):
        changed = True
        while changed:
            changed = False
            k = 0
            while True:
                lonely = np.flatnonzero(count[k:] == 1)
                if not len(lonely):
                    break
                k += int(lonely[0])
                changed |= hide_one_more(k)
                k += 1
        exposed = recoverable(hidden, lines)
        if not exposed:
            return hidden
        for cell in exposed:
            own = cell_lines[cell_ptr[cell]:cell_ptr[cell + 1]].tolist()
            visible = {k: int((~hidden[lines.members[lines.ptr[k]:lines.ptr[k + 1]]]).sum()) for k in own}
            if any(hide_one_more(k) for k in sorted(own, key=visible.__getitem__, reverse=True)):
                break
        else:
            return hidden  # nothing left to hide around the exposed cells
    return hidden


def recoverable(hidden: np.ndarray, lines: Lines | Sequence[Constraint]) -> list[int]:
    """Hidden cells whose exact value follows from the visible cells and the table's equations."""
    hidden = np.asarray(hidden, dtype=bool)
    idx = np.flatnonzero(hidden)
    if not len(idx):
        return []
    lines = lines if isinstance(lines, Lines) else Lines.of(lines)
    local = np.full(len(hidden), -1, np.int64)
    local[idx] = np.arange(len(idx))
    slots = np.flatnonzero(hidden[lines.members])  # entries of hidden cells, grouped by line
    if not len(slots):
        return []
    slot_cell = local[lines.members[slots]]
    starts = _changes(lines.line_of[slots])
    first = np.flatnonzero(starts)  # each touched line's first entry
    line_index = np.cumsum(starts) - 1
    # Hidden cells linked by shared equations form groups (label propagation with pointer jumping);
    # each group is solved on its own.
    label = np.arange(len(idx))
    while True:
        line_min = np.minimum.reduceat(label[slot_cell], first)
        new = label.copy()
        np.minimum.at(new, slot_cell, line_min[line_index])
        new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    # Cells, lines and entries sorted by group; a cell's column and a line's row within its group's matrix.
    cells, col, cell_bounds = _by_group(label)
    _, row, _ = _by_group(label[slot_cell[first]])
    entries = stable_order(label[slot_cell], len(idx))
    entry_bounds = np.searchsorted(label[slot_cell][entries], label[cells[cell_bounds[:-1]]])
    entry_bounds = np.append(entry_bounds, len(entries))
    exposed: list[int] = []
    for g in range(len(cell_bounds) - 1):
        size = cell_bounds[g + 1] - cell_bounds[g]
        if size > MAX_EXACT_CHECK:
            continue
        part = entries[entry_bounds[g]:entry_bounds[g + 1]]
        if not len(part):  # cells in no equation: nothing to work them out from
            continue
        rows = line_index[part]
        matrix = np.zeros((int(row[rows].max()) + 1, size))
        matrix[row[rows], col[slot_cell[part]]] = lines.coefs[slots[part]]  # a cell is in a line once
        fixed = _determined(matrix)
        exposed += idx[cells[cell_bounds[g]:cell_bounds[g + 1]][fixed]].tolist()
    return sorted(exposed)


def _by_group(label: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Items sorted by group (stable), each item's position within its group, and the groups' bounds."""
    order = stable_order(label, len(label))
    starts = _changes(label[order])
    bounds = np.append(np.flatnonzero(starts), len(order))
    within = np.empty(len(order), np.int64)
    within[order] = np.arange(len(order)) - bounds[np.cumsum(starts) - 1]
    return order, within, bounds


def stable_order(values: np.ndarray, bound: int) -> np.ndarray:
    """`np.argsort(values, kind="stable")` for integers in [0, bound): a radix sort when they fit 16 bits."""
    return np.argsort(values.astype(np.uint16) if bound <= 1 << 16 else values, kind="stable")


def _changes(sorted_values: np.ndarray) -> np.ndarray:
    """Where a run of equal values starts."""
    out = np.empty(len(sorted_values), bool)
    out[:1] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=out[1:])
    return out


RIDGE = 1e-13  # on the equations' Gram matrix; far below any squared singular value of a table's equations
DETERMINED = 1e-8  # a cell whose free share (squared norm of its part in the null space) is below this is known


def _determined(matrix: np.ndarray) -> np.ndarray:
    """Per column of `matrix` (equations x unknowns): whether every solution gives that unknown the same value,
    i.e. its unit vector lies in the row space. Columns, then rows, are scaled to unit length first (neither
    changes which unknowns are determined); then the diagonal of the projector on the row space,
    M^T (M M^T + ridge I)^-1 M, is 1 for a determined unknown and 1 - (its squared part in the null space)
    otherwise. One small solve instead of an SVD (several times faster at these sizes)."""
    norms = np.sqrt((matrix * matrix).sum(axis=0))
    m = matrix / np.where(norms > 0, norms, 1.0)  # columns first: a cell's weight (a mean's lines) drops out
    norms = np.sqrt((m * m).sum(axis=1))
    m /= np.where(norms > 0, norms, 1.0)[:, None]
    gram = m @ m.T
    gram.flat[::len(gram) + 1] += RIDGE
    projected = (m * np.linalg.solve(gram, m)).sum(axis=0)
    return 1.0 - projected < DETERMINED
