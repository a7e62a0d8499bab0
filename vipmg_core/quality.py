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
  from the totals and subtotals of the table, even by someone who knows these rules: every table with a
  suppressed cell is audited with a linear (for counts, integer) program, as tau-ARGUS and sdcTable do. For
  each suppressed cell, the smallest and the largest value consistent with everything published (the
  visible cells, the totals, hidden counts being whole and at least 1, estimates at least 0) must lie
  outside the cell's protection interval (`[protection]` in `standard/quality.toml`); complements are added
  until they do. Which hidden cells are primary is never published.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

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
    protection_count_upper: int = 3
    protection_count_lower: int = 3
    protection_estimate_percent: float = 10.0


@cache
def _rules_from(path: str) -> Rules:
    with Path(path).open("rb") as handle:
        raw = tomllib.load(handle)
    est, admin, sym = raw.get("estimates", {}), raw.get("admin", {}), raw.get("symbols", {})
    prot = raw.get("protection", {})
    rules = Rules(
        cv_reliable_max=float(est.get("cv_reliable_max", Rules.cv_reliable_max)),
        cv_caution_max=float(est.get("cv_caution_max", Rules.cv_caution_max)),
        min_unweighted_n=int(est.get("min_unweighted_n", Rules.min_unweighted_n)),
        admin_min_count=int(admin.get("min_count", Rules.admin_min_count)),
        symbol_suppressed=str(sym.get("suppressed", Rules.symbol_suppressed)),
        symbol_caution=str(sym.get("caution", Rules.symbol_caution)),
        symbol_empty=str(sym.get("empty", Rules.symbol_empty)),
        protection_count_upper=int(prot.get("count_upper", Rules.protection_count_upper)),
        protection_count_lower=int(prot.get("count_lower", Rules.protection_count_lower)),
        protection_estimate_percent=float(prot.get("estimate_percent", Rules.protection_estimate_percent)),
    )
    if not 0 <= rules.cv_reliable_max <= rules.cv_caution_max:
        raise ValueError(f"{path}: need 0 <= cv_reliable_max <= cv_caution_max")
    if min(rules.min_unweighted_n, rules.admin_min_count, rules.protection_count_upper, rules.protection_count_lower,
           rules.protection_estimate_percent) < 0:
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


def sample_count_flag(n: pl.Expr, rule: Rules | None = None) -> pl.Expr:
    """Counts of sample records (a microdata table's unweighted n, whether shown as the value or beside it): more
    than zero but fewer than `min_unweighted_n` records is suppressed. For a census the records are the persons
    counted, so a small n is the small count itself (`disclosure.public_n`)."""
    rule = rule or rules()
    return (pl.when((n > 0) & (n < rule.min_unweighted_n)).then(pl.lit(SUPPRESSED))
            .otherwise(pl.lit(RELIABLE)))


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


def sample_count_flag_codes(n: np.ndarray, rule: Rules) -> np.ndarray:
    """`sample_count_flag` on arrays, as positions in FLAGS."""
    return np.where((n > 0) & (n < rule.min_unweighted_n), FLAGS.index(SUPPRESSED), FLAGS.index(RELIABLE))


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


@dataclass(frozen=True)
class Protection:
    """The protection interval of each cell (tau-ARGUS's upper and lower protection levels) and what anyone knows
    of a hidden cell beforehand. A suppressed cell of true value a is protected when the published table allows
    a value >= a + upper and a value <= max(floor, a - lower)."""

    truth: np.ndarray  # each cell's value as it enters the table's equations
    upper: np.ndarray
    lower: np.ndarray
    floor: np.ndarray  # a hidden cell is known to be at least this (1 for a suppressed count, 0 for an estimate)
    integer: bool = False  # counts: whole numbers
    capacity: float = 0.0  # complements of at least this size are preferred (they can move by a full interval)


def count_protection(values: np.ndarray, rule: Rules | None = None) -> Protection:
    """Counts: the interval is the small-count threshold on each side; hidden counts are whole and at least 1."""
    rule = rule or rules()
    truth = np.nan_to_num(np.asarray(values, dtype=float))
    floor = np.minimum(1.0, truth)  # a cell reported as 0 stays possible (it is never chosen as a complement)
    return Protection(truth, np.full(len(truth), float(rule.protection_count_upper)),
                      np.full(len(truth), float(rule.protection_count_lower)), floor, integer=True,
                      capacity=1.0 + rule.protection_count_lower)


def estimate_protection(values: np.ndarray, rule: Rules | None = None) -> Protection:
    """Weighted estimates and means: a share of the value on each side; at least 0 where the value is."""
    rule = rule or rules()
    truth = np.nan_to_num(np.asarray(values, dtype=float))
    level = np.abs(truth) * rule.protection_estimate_percent / 100
    return Protection(truth, level, level, np.where(truth >= 0, 0.0, -np.inf))


def protect(values: np.ndarray, primary: np.ndarray, lines: Lines | Sequence[Constraint],
            max_rounds: int | None = None, protection: Protection | None = None) -> np.ndarray:
    """Cells to suppress: the primary ones plus complementary ones, so that none can be recovered.

    First the counting rule (no total line may have exactly one hidden member: it would be its total minus
    the others), hiding a visible member, a detail cell before a total: the smallest one that could move by a
    whole protection interval (`protection.capacity`), else the largest one, a zero last; lines are visited in
    order and visited again while anything changes. Then an exact check: a hidden cell whose value is the same
    in every solution of the table's equations is recoverable (e.g. a cell joining two otherwise protected
    groups); another cell of one of its lines is hidden and the whole is checked again. Then, with
    `protection`, the audit (`audit`): a primary cell whose feasible interval is narrower than its protection
    interval gets a further complement in one of its lines, and everything is checked again.
    """
    hidden = np.asarray(primary, dtype=bool).copy()
    if not hidden.any():
        return hidden
    primary = hidden.copy()
    lines = lines if isinstance(lines, Lines) else Lines.of(lines)
    size = np.abs(np.asarray(values, dtype=float))
    size[np.isnan(size)] = 0.0
    if protection is not None and protection.integer:
        protection = structural_floor(protection, lines)
    capacity = protection.capacity if protection is not None else 0.0
    # Order of preference of each cell as a complement: big enough to move by an interval (smallest first),
    # then too small (largest first), then zeros (a hidden zero would tell nothing and break "at least 1").
    tier = np.where(size <= 0, 2, np.where(size >= capacity, 0, 1))
    rank = np.lexsort((np.arange(len(size)), np.where(tier == 1, -size, size), tier))
    preference = np.empty(len(size), np.int64)
    preference[rank] = np.arange(len(size))
    line_of = lines.line_of
    by_cell = stable_order(lines.members, len(hidden))  # the lines of each cell, in line order
    cell_ptr = np.searchsorted(lines.members[by_cell], np.arange(len(hidden) + 1))
    cell_lines = line_of[by_cell]
    count = np.bincount(line_of, weights=hidden[lines.members], minlength=len(lines)).astype(np.int64)

    def hide(pick: int) -> None:
        hidden[pick] = True
        count[cell_lines[cell_ptr[pick]:cell_ptr[pick + 1]]] += 1

    def hide_one_more(k: int) -> bool:
        cells = lines.members[lines.ptr[k]:lines.ptr[k + 1]]
        children = cells[1:]
        pool = children[~hidden[children] & (tier[children] < 2)]
        if not len(pool) and not hidden[cells[0]] and tier[cells[0]] < 2:
            pool = cells[:1]
        if not len(pool):
            pool = cells[~hidden[cells]]
        if not len(pool):
            return False
        hide(int(pool[np.argmin(preference[pool])]))
        return True

    def counting() -> None:
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

    done, audits = None, 0
    unit_lines = bool(np.all(np.abs(lines.coefs) == 1))  # plain sums (not a mean's weighted lines)
    for _ in range(max_rounds or len(hidden) + 1):
        counting()
        exposed = recoverable(hidden, lines)
        if exposed:
            for cell in exposed:
                own = cell_lines[cell_ptr[cell]:cell_ptr[cell + 1]].tolist()
                visible = {k: int((~hidden[lines.members[lines.ptr[k]:lines.ptr[k + 1]]]).sum()) for k in own}
                if any(hide_one_more(k) for k in sorted(own, key=visible.__getitem__, reverse=True)):
                    break
            else:
                exposed = []  # nothing left to hide around the exposed cells: on to the audit
            if exposed:
                continue
        if protection is None:
            return hidden
        short = _local_shortfalls(hidden, primary, lines, protection, cell_lines, cell_ptr) if unit_lines else []
        if short:  # a line that alone cannot give a cell its interval: a complement in that very line
            touched_lines: set[int] = set()
            added = False
            for cell, k in short:
                if k in touched_lines:
                    continue
                pick = _complement(cell, np.array([k]), hidden, lines, preference, tier)
                if pick is not None:
                    hide(pick)
                    touched_lines |= set(cell_lines[cell_ptr[pick]:cell_ptr[pick + 1]].tolist())
                    added = True
            if added:
                continue
        failing, done = audit(hidden, primary, lines, protection, done)
        if not failing:
            return hidden
        audits += 1
        touched: set[int] = set()
        added = False
        for cell in failing:
            own = cell_lines[cell_ptr[cell]:cell_ptr[cell + 1]]
            if touched & set(own.tolist()):
                continue  # one complement per line and round: the next audit says whether more are needed
            # After a few rounds (a very sparse table, where most cells are small), the whole nearest ring of
            # visible cells goes at once: more is hidden, but the audit ends in a few more rounds, still safe.
            picks = _nearest_complement(cell, hidden, lines, cell_lines, cell_ptr, preference, tier,
                                        every=audits > PATIENT_AUDITS)
            for pick in picks:
                hide(pick)
                touched |= set(cell_lines[cell_ptr[pick]:cell_ptr[pick + 1]].tolist())
                added = True
        if not added:
            return hidden  # nothing visible left around the cells that fail: the whole table would go
    return hidden


def structural_floor(protection: Protection, lines: Lines) -> Protection:
    """Counts: the least value anyone can tell a cell has from the table's shape alone, since every cell shown as
    hidden is at least 1: 1 for a detail cell (0 if it is 0), and for a total the sum of its parts' floors
    (a total of two hidden 1s is at least 2 whatever is hidden). The lower protection never asks for less."""
    truth = protection.truth
    floor = np.minimum(1.0, np.maximum(truth, 0.0))
    if not len(lines):
        return replace(protection, floor=floor)
    starts = lines.ptr[:-1]
    parents = lines.members[starts]
    floor[parents] = 0.0
    child = np.ones(len(lines.members), bool)
    child[starts] = False
    for _ in range(64):  # one pass per level of totals
        sums = np.bincount(lines.line_of[child], weights=floor[lines.members[child]], minlength=len(lines))
        new = floor.copy()
        np.maximum.at(new, parents, sums)
        new = np.minimum(new, truth)
        if np.array_equal(new, floor):
            break
        floor = new
    return replace(protection, floor=floor)


def _local_shortfalls(hidden: np.ndarray, primary: np.ndarray, lines: Lines, protection: Protection,
                      cell_lines: np.ndarray, cell_ptr: np.ndarray) -> list[tuple[int, int]]:
    """(primary cell, line) where the line by itself cannot move the cell across its protection interval: going
    up, a part needs another hidden part to go down (by at most its value minus its floor) or its hidden total
    to go up; going down, another hidden part to go up or its hidden total to go down (a total: the reverse).
    A necessary condition, checked in microseconds before the linear programs (sums with coefficients 1)."""
    truth, floor = protection.truth, protection.floor
    room = np.where(hidden, truth - floor, 0.0)  # how far each hidden cell can go down
    out = []
    for p in np.flatnonzero(primary & hidden).tolist():
        need_up = protection.upper[p] - 1e-9 * max(1.0, abs(truth[p]))
        need_down = truth[p] - max(floor[p], truth[p] - protection.lower[p]) - 1e-9 * max(1.0, abs(truth[p]))
        for k in cell_lines[cell_ptr[p]:cell_ptr[p + 1]].tolist():
            members = lines.members[lines.ptr[k]:lines.ptr[k + 1]]
            total, parts = members[0], members[1:]
            if total == p:
                others = parts[hidden[parts]]
                up = np.inf if len(others) else 0.0
                down = room[others].sum()
            else:
                others = parts[hidden[parts] & (parts != p)]
                up = np.inf if hidden[total] else room[others].sum()
                down = np.inf if len(others) else room[total]
            if up < need_up or down < need_down:
                out.append((p, k))
    return out


def _complement(cell: int, own: np.ndarray, hidden: np.ndarray, lines: Lines, preference: np.ndarray,
                tier: np.ndarray) -> int | None:
    """The visible cell of lines `own` to hide for `cell`: a detail cell before a total, by preference."""
    details, totals = [], []
    for k in own.tolist():
        members = lines.members[lines.ptr[k]:lines.ptr[k + 1]]
        details.append(members[1:])
        totals.append(members[:1])
    for pool in (np.concatenate(details), np.concatenate(totals)):
        pool = pool[~hidden[pool] & (tier[pool] < 2)]
        if len(pool):
            return int(pool[np.argmin(preference[pool])])
    return None


PATIENT_AUDITS = 4  # audits that add one complement per failing cell before whole rings are hidden


def _nearest_complement(cell: int, hidden: np.ndarray, lines: Lines, cell_lines: np.ndarray, cell_ptr: np.ndarray,
                        preference: np.ndarray, tier: np.ndarray, every: bool = False) -> list[int]:
    """A visible cell of the nearest lines to `cell` through hidden cells (its own lines first, then the lines of
    the hidden cells in them, and so on) that holds one: the first place where the chain of hidden cells around
    it meets the published part of the table. `every`: all the visible non-zero cells of that ring."""
    seen_cells, seen_lines, ring = {cell}, set(), [cell]
    while ring:
        ring_lines = []
        for c in ring:
            for k in cell_lines[cell_ptr[c]:cell_ptr[c + 1]].tolist():
                if k not in seen_lines:
                    seen_lines.add(k)
                    ring_lines.append(k)
        if ring_lines:
            if every:
                members = np.unique(np.concatenate([lines.members[lines.ptr[k]:lines.ptr[k + 1]] for k in ring_lines]))
                picks = members[~hidden[members] & (tier[members] < 2)].tolist()
                if picks:
                    return picks
            else:
                pick = _complement(cell, np.array(ring_lines, dtype=np.int64), hidden, lines, preference, tier)
                if pick is not None:
                    return [pick]
        next_ring = []
        for k in ring_lines:
            for m in lines.members[lines.ptr[k]:lines.ptr[k + 1]].tolist():
                if hidden[m] and m not in seen_cells:
                    seen_cells.add(m)
                    next_ring.append(m)
        ring = next_ring
    return []


MAX_INTEGER_AUDIT = 400  # hidden cells in one linked group; larger groups are audited as a linear program


def audit(hidden: np.ndarray, primary: np.ndarray, lines: Lines | Sequence[Constraint], protection: Protection,
          done: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[list[int], tuple[np.ndarray, np.ndarray]]:
    """Primary cells an attacker can confine to less than their protection interval, and which sides are proven.

    The attacker's program, per group of hidden cells linked by the table's lines: the unknowns are the hidden
    cells, each line's equation holds with the visible cells at their published values, every unknown is at
    least its floor (and whole, for counts). For each primary cell, its largest and its smallest value are
    computed (HiGHS through scipy's `milp`); a solution found on the way that already shows another cell far
    enough out counts for that one too. `done` (upper and lower sides already proven) carries over between
    calls: hiding more cells only widens every interval.
    """
    hidden = np.asarray(hidden, dtype=bool)
    lines = lines if isinstance(lines, Lines) else Lines.of(lines)
    truth, floor = protection.truth, protection.floor
    high = truth + protection.upper
    low = np.maximum(floor, truth - protection.lower)
    tol = 1e-6 * np.maximum(1.0, np.abs(truth))
    if done is None:
        done = (np.zeros(len(hidden), bool), truth <= low + tol)
    up_done, down_done = done[0].copy(), done[1].copy()
    cells = np.flatnonzero(hidden)
    todo = np.flatnonzero(primary & hidden & ~(up_done & down_done))
    if not len(todo):
        return [], (up_done, down_done)
    local = np.full(len(hidden), -1, np.int64)
    local[cells] = np.arange(len(cells))
    entry_hidden = hidden[lines.members]
    touched = np.unique(lines.line_of[entry_hidden])
    if not len(touched):  # hidden cells in no line: nothing bounds them from above
        up_done[todo] = True
        down_done[todo] = True
        return [], (up_done, down_done)
    row_of = np.full(len(lines), -1, np.int64)
    row_of[touched] = np.arange(len(touched))
    in_touched = row_of[lines.line_of] >= 0
    rows = row_of[lines.line_of]
    h = in_touched & entry_hidden
    matrix = sparse.csr_array((lines.coefs[h], (rows[h], local[lines.members[h]])), shape=(len(touched), len(cells)))
    v = in_touched & ~entry_hidden
    rhs = -np.bincount(rows[v], weights=lines.coefs[v] * truth[lines.members[v]], minlength=len(touched))
    linked = (matrix.T != 0).astype(np.int8) @ (matrix != 0).astype(np.int8)
    _, group = sparse.csgraph.connected_components(linked, directed=False)
    failing: list[int] = []
    for g in np.unique(group[local[todo]]):
        members = np.flatnonzero(group == g)
        sub = matrix[:, members]
        used = np.flatnonzero(np.diff(sub.tocsr().indptr) > 0) if sub.nnz else np.zeros(0, np.int64)
        sub = sub.tocsr()[used]
        b = rhs[used]
        global_cells = cells[members]
        scale = 1.0 if protection.integer else max(1.0, float(np.abs(truth[global_cells]).max()))
        bounds = Bounds(floor[global_cells] / scale, np.full(len(members), np.inf))
        integral = np.ones(len(members)) if protection.integer and len(members) <= MAX_INTEGER_AUDIT else None
        constraint = LinearConstraint(sub, b / scale, b / scale) if len(used) else None
        def solve(c: np.ndarray, exact: bool) -> tuple[np.ndarray | None, int]:
            if constraint is None:
                return None, 3
            # The linear program first: on a two-way table its optimum is a whole-number vertex already;
            # only a fractional optimum needs the integer program (`exact`; otherwise it proves nothing).
            res = milp(c, constraints=constraint, bounds=bounds)
            if integral is not None and res.x is not None and np.abs(res.x - np.round(res.x)).max() > 1e-6:
                if not exact:
                    return None, 4
                res = milp(c, constraints=constraint, bounds=bounds, integrality=integral)
            return res.x, res.status

        def record(result_x: np.ndarray | None) -> None:
            if result_x is not None:
                x = result_x * scale
                up_done[global_cells] |= x >= high[global_cells] - tol[global_cells]
                down_done[global_cells] |= x <= low[global_cells] + tol[global_cells]

        targets = global_cells[primary[global_cells]]
        where = np.searchsorted(members, local[targets])
        weight = 1.0 / np.maximum(1.0, np.abs(truth[targets]))
        # One program pushing every unproven cell up at once, and one pulling them down, settle most of them;
        # the rest get their own.
        for side, done_side in ((1, up_done), (-1, down_done)):
            for _ in range(8):  # again on the cells still open, while that settles some
                open_ = ~done_side[targets]
                if open_.sum() <= 1:
                    break
                c = np.zeros(len(members))
                c[where[open_]] = -side * weight[open_]
                record(solve(c, exact=False)[0])
                if (~done_side[targets]).sum() == open_.sum():
                    break
        for target, at in zip(targets.tolist(), where.tolist()):
            for side in (1, -1):
                if (up_done if side == 1 else down_done)[target]:
                    continue
                c = np.zeros(len(members))
                c[at] = -side  # largest value, then smallest
                result_x, status = solve(c, exact=True)
                if status == 3:  # unbounded: only the upper side can be (every cell has a floor)
                    up_done[target] |= side == 1
                    continue
                record(result_x)  # None: the solver gave up; the side stays unproven and gets a complement
        for target in global_cells[primary[global_cells]]:
            if not (up_done[target] and down_done[target]):
                failing.append(int(target))
    return sorted(failing), (up_done, down_done)


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
