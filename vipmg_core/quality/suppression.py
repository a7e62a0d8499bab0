"""Complementary suppression (`protect`), the one place where the cells a table hides are chosen.

Enough further cells are hidden that no suppressed cell can be worked out from the totals and subtotals of the
table, even by someone who knows these rules: first the counting rule, then the exact check (`recovery`), then
the attacker's audit (`interval_audit`); complements are added until every check passes. Which hidden cells are
primary is never published.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vipmg_core.quality.interval_audit import audit
from vipmg_core.quality.lines import Constraint, Lines, stable_order
from vipmg_core.quality.protection import Protection, structural_floor
from vipmg_core.quality.recovery import recoverable


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

