"""A table's "total = sum of its parts" lines, the equations every suppression check works on: one `Constraint`
per total, packed together as `Lines`; and the sorting helpers the checks share."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


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


def stable_order(values: np.ndarray, bound: int) -> np.ndarray:
    """`np.argsort(values, kind="stable")` for integers in [0, bound): a radix sort when they fit 16 bits."""
    return np.argsort(values.astype(np.uint16) if bound <= 1 << 16 else values, kind="stable")


def run_starts(sorted_values: np.ndarray) -> np.ndarray:
    """Where a run of equal values starts."""
    out = np.empty(len(sorted_values), bool)
    out[:1] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=out[1:])
    return out

