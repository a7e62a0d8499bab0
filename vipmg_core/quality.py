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


def protect(values: np.ndarray, primary: np.ndarray, constraints: Sequence[Constraint],
            max_rounds: int = 100) -> np.ndarray:
    """Cells to suppress: the primary ones plus complementary ones, so that none can be recovered exactly.

    First the counting rule (no total line may have exactly one hidden member: it would be its total minus
    the others), hiding the smallest visible member, a detail cell before a total. Then an exact check:
    a hidden cell whose value is the same in every solution of the table's equations is recoverable
    (e.g. a cell joining two otherwise protected groups); another cell of one of its lines is hidden and
    the whole is checked again.
    """
    hidden = np.asarray(primary, dtype=bool).copy()
    if not hidden.any():
        return hidden
    size = np.abs(np.nan_to_num(np.asarray(values, dtype=float), nan=0.0))
    by_cell: dict[int, list[int]] = {}
    for k, con in enumerate(constraints):
        for m in con.members:
            by_cell.setdefault(int(m), []).append(k)

    def hide_one_more(con: Constraint) -> bool:
        visible_children = con.children[~hidden[con.children]]
        pool = visible_children if len(visible_children) else (
            np.array([con.parent]) if not hidden[con.parent] else np.array([], dtype=int))
        if not len(pool):
            return False
        pick = int(pool[np.lexsort((pool, size[pool]))[0]])
        hidden[pick] = True
        return True

    for _ in range(max_rounds):
        changed = True
        while changed:
            changed = False
            for con in constraints:
                if int(hidden[con.members].sum()) == 1:
                    changed |= hide_one_more(con)
        exposed = recoverable(hidden, constraints)
        if not exposed:
            return hidden
        for cell in exposed:
            lines = sorted(by_cell.get(cell, []), key=lambda k: int((~hidden[constraints[k].members]).sum()),
                           reverse=True)
            if not any(hide_one_more(constraints[k]) for k in lines):
                continue
            break
        else:
            return hidden  # nothing left to hide around the exposed cells
    return hidden


def recoverable(hidden: np.ndarray, constraints: Sequence[Constraint]) -> list[int]:
    """Hidden cells whose exact value follows from the visible cells and the table's equations."""
    hidden = np.asarray(hidden, dtype=bool)
    idx = np.flatnonzero(hidden)
    if not len(idx):
        return []
    position = {int(c): j for j, c in enumerate(idx)}
    rows = [con for con in constraints if hidden[con.members].any()]
    # Hidden cells linked by shared equations form groups; each group is solved on its own.
    parent = list(range(len(idx)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for con in rows:
        linked = [position[int(m)] for m in con.members if hidden[m]]
        for other in linked[1:]:
            parent[find(other)] = find(linked[0])
    groups: dict[int, list[int]] = {}
    for j in range(len(idx)):
        groups.setdefault(find(j), []).append(j)
    group_rows: dict[int, list[Constraint]] = {}
    for con in rows:
        first = next(position[int(m)] for m in con.members if hidden[m])
        group_rows.setdefault(find(first), []).append(con)

    exposed: list[int] = []
    for root, members in groups.items():
        cons = group_rows.get(root, [])
        if not cons or len(members) > MAX_EXACT_CHECK:
            continue
        local = {idx[j]: k for k, j in enumerate(members)}
        matrix = np.zeros((len(cons), len(members)))
        for r, con in enumerate(cons):
            for m, coef in zip(con.members, con.coefficients()):
                if hidden[m]:
                    matrix[r, local[int(m)]] += coef
        _, s, vt = np.linalg.svd(matrix, full_matrices=True)
        tol = max(matrix.shape) * np.finfo(float).eps * (s[0] if len(s) else 0.0) * 10
        rank = int((s > tol).sum())
        null = vt[rank:].T  # orthonormal: every solution differs from another by a combination of these
        # A cell that no combination moves has one possible value: it can be worked out.
        fixed = np.linalg.norm(null, axis=1) < 1e-8 if null.size else np.ones(len(members), bool)
        exposed += [int(idx[members[k]]) for k in np.flatnonzero(fixed)]
    return sorted(exposed)
