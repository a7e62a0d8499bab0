"""The attacker's audit of a suppressed table: for each primary cell, the smallest and the largest value consistent
with everything published (the visible cells, the totals, hidden counts being whole and at least 1, estimates at
least 0), computed with linear and integer programs (HiGHS through scipy's `milp`), as tau-ARGUS and sdcTable do;
each must lie outside the cell's protection interval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from vipmg_core.quality.lines import Constraint, Lines
from vipmg_core.quality.protection import Protection

MAX_INTEGER_AUDIT = 400  # hidden cells in one linked group; larger groups are audited as a linear program


@dataclass(frozen=True)
class _Proof:
    """Which sides of their protection interval the cells are shown to reach: `up`, a table consistent with what
    is published puts the cell at or above `high`; `down`, at or below `low` (within `tol`)."""

    high: np.ndarray
    low: np.ndarray
    tol: np.ndarray
    up: np.ndarray
    down: np.ndarray

    def record(self, x: np.ndarray | None, cells: np.ndarray) -> None:
        """Mark what the solution `x` (values of `cells`, or None when there is none) shows."""
        if x is not None:
            self.up[cells] |= x >= self.high[cells] - self.tol[cells]
            self.down[cells] |= x <= self.low[cells] + self.tol[cells]


@dataclass(frozen=True)
class _GroupProgram:
    """The attacker's program on one group of hidden cells linked by the table's lines: one unknown per cell,
    divided by `scale`; the lines' equations with the visible cells at their published values
    (`constraint`; None when no line holds any); each unknown at least its floor (`bounds`); whole numbers
    (`integral`) for counts in a group small enough for the integer program."""

    constraint: LinearConstraint | None
    bounds: Bounds
    integral: np.ndarray | None
    scale: float

    def solve(self, c: np.ndarray, exact: bool) -> tuple[np.ndarray | None, int]:
        """The cells' values minimising c @ x (None when the solver found none, or a fractional one that
        proves nothing) and the solver's status (3: unbounded)."""
        if self.constraint is None:
            return None, 3
        # The linear program first: on a two-way table its optimum is a whole-number vertex already;
        # only a fractional optimum needs the integer program (`exact`; otherwise it proves nothing).
        res = milp(c, constraints=self.constraint, bounds=self.bounds)
        if self.integral is not None and res.x is not None and np.abs(res.x - np.round(res.x)).max() > 1e-6:
            if not exact:
                return None, 4
            res = milp(c, constraints=self.constraint, bounds=self.bounds, integrality=self.integral)
        return (None if res.x is None else res.x * self.scale), res.status


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
    proof = _Proof(high, low, tol, up_done, down_done)
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
        program = _GroupProgram(constraint, bounds, integral, scale)

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
                proof.record(program.solve(c, exact=False)[0], global_cells)
                if (~done_side[targets]).sum() == open_.sum():
                    break
        for target, at in zip(targets.tolist(), where.tolist()):
            for side in (1, -1):
                if (up_done if side == 1 else down_done)[target]:
                    continue
                c = np.zeros(len(members))
                c[at] = -side  # largest value, then smallest
                x, status = program.solve(c, exact=True)
                if status == 3:  # unbounded: only the upper side can be (every cell has a floor)
                    up_done[target] |= side == 1
                    continue
                proof.record(x, global_cells)  # None: the solver gave up; the side stays unproven, gets a complement
        for target in global_cells[primary[global_cells]]:
            if not (up_done[target] and down_done[target]):
                failing.append(int(target))
    return sorted(failing), (up_done, down_done)
