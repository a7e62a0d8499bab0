"""Protection intervals (tau-ARGUS's upper and lower protection levels): how far from its true value a suppressed
cell must stay possible, for counts and for weighted estimates, and what anyone knows of a hidden cell beforehand."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from vipmg_core.quality.lines import Lines
from vipmg_core.quality.thresholds import Rules, rules


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

