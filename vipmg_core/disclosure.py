"""One disclosure gate for every surface: what may be published of a dataset's figures.

The cross-tab (page, CLI, exports, library embeds) protects its own cells with `quality.protect`. The flow view
(the Flow map page, the `flows` command, profiles' flows, library embeds) publishes only what the cross-tab of
the same cells publishes (`flows.crosstab_query`): it hides every flow that cross-tab hides and shows a total
only where the cross-tab's visible figures give it, so one rule, in one place, protects both. Every other
surface that shows figures of a dataset (profiles, comparison, bulletins, the Home figures) passes them through
here, so the same rules from `standard/quality.toml` hold everywhere:

- `kind(ds)`: which rule a dataset's figures fall under: "count" (administrative counts: the small-count
  threshold), "estimate" (microdata: weighted estimates need enough sample records; the CV rule wherever a CV
  is computed) or None (figures published by others, e.g. UN DESA's estimates, shown as published).
- `sensitive(...)`: whether one figure, on its own, may not be shown.
- `gate_parts(...)`: a breakdown shown beside its total: the sensitive parts are hidden with enough others that
  the total cannot give them away (`quality.protect` with the protection interval).
- `public_n(...)` / `public_n_expr(...)`: the unweighted n published beside a figure: never beside a hidden one
  (primary or complement). For a census the records are the persons counted, so the n of a cell hidden for its
  small sample is the small count itself; a count of sample records as the value follows `sample_count_flag`.
- `hidden_over_periods(...)`: which rows' figures over some periods a cross-tab by period hides (flows and
  profiles check their figures against the table a person makes of them over time).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import polars as pl

from vipmg_core import quality
from vipmg_core.datasets import Dataset

COUNT, ESTIMATE = "count", "estimate"


def kind(ds: Dataset) -> str | None:
    """The rule a dataset's figures fall under (see the module docstring)."""
    if ds.is_microdata:
        return ESTIMATE
    if ds.source_type == "administrative":
        return COUNT
    return None


def sensitive(rule_kind: str | None, value: float | None, n: int | None = None, cv: float | None = None,
              rule: quality.Rules | None = None) -> bool:
    """One figure that may not be shown on its own: a count above 0 but under the threshold; an estimate
    from fewer sample records than the minimum, or too variable (when its CV is known)."""
    rule = rule or quality.rules()
    if rule_kind == COUNT:
        return value is not None and 0 < value < rule.admin_min_count
    if rule_kind == ESTIMATE:
        if n is not None and n < rule.min_unweighted_n:
            return True
        return cv is not None and cv > rule.cv_caution_max
    return False


def shown(ds: Dataset, value: float | None, n: int | None = None, rule: quality.Rules | None = None) -> float | None:
    """One figure as it may be published on its own: None where the rules hide it (a headline, a point of a
    series)."""
    return None if sensitive(kind(ds), value, n, rule=rule) else value


def public_n(n: int | None, hidden: bool) -> int | None:
    """The unweighted n as it may be published beside its figure: None where the figure is hidden (for small n
    or as a complement): the n would give the count away, or tell a primary cell from a complement."""
    return None if hidden or n is None else int(n)


def public_n_expr(n: pl.Expr, hidden: pl.Expr) -> pl.Expr:
    """`public_n` on a column: null where `hidden` is true (or null)."""
    return pl.when(hidden.fill_null(True)).then(None).otherwise(n)


def gate_parts(ds: Dataset, values: np.ndarray, rule: quality.Rules | None = None) -> np.ndarray:
    """Which parts of a breakdown to hide when their total is (or can be) shown beside them: the sensitive
    ones and enough others (`quality.protect`, audited) that the total cannot give them away."""
    rule = rule or quality.rules()
    rule_kind = kind(ds)
    values = np.nan_to_num(np.asarray(values, dtype=float))
    if rule_kind != COUNT or not len(values):  # estimates come from the cross-tab, which protects them itself
        return np.zeros(len(values), bool)
    cells = np.append(values, values.sum())
    primary = np.array([sensitive(rule_kind, v, rule=rule) for v in cells])
    if not primary.any():
        return np.zeros(len(values), bool)
    hidden = quality.protect(cells, primary, [quality.Constraint(len(values), np.arange(len(values)))],
                             protection=quality.count_protection(cells, rule))
    return hidden[:-1] if not hidden[-1] else np.ones(len(values), bool)


def sum_shown(ds: Dataset, parts: Iterable[float | None], rule: quality.Rules | None = None) -> bool:
    """Whether a sum over areas (a region, the countries chosen on Home) may be shown beside the areas' own
    figures: only when no area's own figure is hidden. Otherwise the sum minus the others' shown figures is
    the hidden one (an attacker picks {A, B} and {B})."""
    kind_ = kind(ds)
    return not any(sensitive(kind_, part, rule=rule) for part in parts if part is not None)


def hidden_over_periods(cells: pl.DataFrame, row: str, period: str, read: Iterable[str], events: bool
                        ) -> frozenset[str]:
    """The rows of a cross-tab by period (`cells`: its published cells, `row` by `period`, totals `_T`) whose
    figure over the periods `read` it hides, so that no other surface shows it. Such a figure is shown where each
    of its periods' cells is, or, for events read over every period of the table, where the row's total is (the
    figure is that total). An empty cell (no data) hides nothing."""
    from vipmg_core.rules import TOTAL

    read = set(read)
    detail = cells.filter((pl.col(period) != TOTAL) & (pl.col(row) != TOTAL))
    every_period_read = set(detail[period].to_list()) <= read
    closed = {(r, p) for r, p, conf in cells.select(row, period, "conf").iter_rows() if conf != quality.CONF_FREE}
    hidden = set()
    for (code,), group in detail.filter(pl.col(period).is_in(list(read))).group_by(row):
        if any((code, p) in closed for p in group[period].to_list()) and not (
                events and every_period_read and (code, TOTAL) not in closed):
            hidden.add(code)
    return frozenset(hidden)
