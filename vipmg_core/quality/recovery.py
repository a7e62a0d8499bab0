"""Exact check: which hidden cells can be worked out exactly from the visible cells and the table's equations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vipmg_core.quality.lines import Constraint, Lines, run_starts, stable_order

MAX_EXACT_CHECK = 1500  # suppressed cells in one linked group; larger groups rely on the counting rule alone


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
    starts = run_starts(lines.line_of[slots])
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
    starts = run_starts(label[order])
    bounds = np.append(np.flatnonzero(starts), len(order))
    within = np.empty(len(order), np.int64)
    within[order] = np.arange(len(order)) - bounds[np.cumsum(starts) - 1]
    return order, within, bounds


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

