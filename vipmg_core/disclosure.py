"""One disclosure gate for every surface: what may be published of a dataset's figures.

The cross-tab (page, CLI, exports, library embeds) protects its own cells with `quality.protect`; every other
surface that shows figures of a dataset (flows and the flow map, profiles, comparison, bulletins, the Home
figures) passes them through here, so the same rules from `standard/quality.toml` hold everywhere:

- `kind(ds)`: which rule a dataset's figures fall under: "count" (administrative counts: the small-count
  threshold), "estimate" (microdata: weighted estimates need enough sample records; the CV rule wherever a CV
  is computed) or None (figures published by others, e.g. UN DESA's estimates, shown as published).
- `sensitive(...)`: whether one figure, on its own, may not be shown.
- `gate_pairs(...)`: an origin x destination table with its margins (a country's total in and out, the grand
  total, the total of a selection): the sensitive flows are hidden together with enough complementary ones that
  no margin gives them away, audited like a cross-tab (`quality.protect` with the protection interval).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class GatedPairs:
    pairs: pl.DataFrame  # origin, destination, value (null: hidden)[, n (null where hidden)], suppressed
    totals: pl.DataFrame  # country, incoming, outgoing, net (null where hidden)
    selection_total: float | None  # the total of the selected pairs (None: hidden)
    suppressed: int  # how many pairs are hidden


def gate_pairs(pairs: pl.DataFrame, rule_kind: str | None, selected: np.ndarray | None = None,
               rule: quality.Rules | None = None) -> GatedPairs:
    """Hide what the rules say of an origin-destination table (`pairs`: origin, destination, value[, n]) and of
    the margins published beside it: each country's incoming and outgoing total, the grand total and the
    total of the `selected` pairs (a boolean mask; None: no selection total)."""
    rule = rule or quality.rules()
    if selected is not None and np.asarray(selected, bool).all():
        selected = None  # the selection total is then the grand total: one line, not two (two hid every pair)
    pairs = pairs.with_row_index("_i")
    P = pairs.height
    values = pairs["value"].cast(pl.Float64).fill_null(0).to_numpy()
    weighted = "n" in pairs.columns
    n = pairs["n"].to_numpy().astype(float) if weighted else None
    origins = pairs["origin"].to_list()
    destinations = pairs["destination"].to_list()
    countries = sorted(set(origins) | set(destinations))
    at = {c: i for i, c in enumerate(countries)}
    out_id = P + np.arange(len(countries))  # a country's outgoing total
    in_id = P + len(countries) + np.arange(len(countries))  # its incoming total
    grand = P + 2 * len(countries)
    sel = grand + 1
    size = sel + 1
    o_idx = np.array([at[c] for c in origins], dtype=np.int64)
    d_idx = np.array([at[c] for c in destinations], dtype=np.int64)
    value = np.zeros(size)
    value[:P] = values
    value[out_id] = np.bincount(o_idx, weights=values, minlength=len(countries))
    value[in_id] = np.bincount(d_idx, weights=values, minlength=len(countries))
    value[grand] = values.sum()
    chosen = np.ones(P, bool) if selected is None else np.asarray(selected, bool)
    value[sel] = values[chosen].sum()
    count = np.zeros(size)
    if weighted:
        count[:P] = n
        count[out_id] = np.bincount(o_idx, weights=n, minlength=len(countries))
        count[in_id] = np.bincount(d_idx, weights=n, minlength=len(countries))
        count[grand] = n.sum()
        count[sel] = n[chosen].sum()
    primary = np.zeros(size, bool)
    if rule_kind == COUNT and rule.admin_min_count > 0:
        primary = (value > 0) & (value < rule.admin_min_count)
    elif rule_kind == ESTIMATE and weighted:
        primary = (count > 0) & (count < rule.min_unweighted_n)
    in_table = np.ones(size, bool)
    in_table[out_id] = np.bincount(o_idx, minlength=len(countries)) > 0
    in_table[in_id] = np.bincount(d_idx, minlength=len(countries)) > 0
    in_table[sel] = selected is not None and chosen.any()
    primary &= in_table
    hidden = primary
    if primary.any():
        constraints = []
        for c in range(len(countries)):
            for ids, total in ((np.flatnonzero(o_idx == c), out_id[c]), (np.flatnonzero(d_idx == c), in_id[c])):
                if len(ids):
                    constraints.append(quality.Constraint(int(total), ids))
        constraints.append(quality.Constraint(grand, out_id[in_table[out_id]]))
        constraints.append(quality.Constraint(grand, in_id[in_table[in_id]]))
        if selected is not None and chosen.any():
            constraints.append(quality.Constraint(sel, np.flatnonzero(chosen)))
        protection = (quality.count_protection(value, rule) if rule_kind == COUNT
                      else quality.estimate_protection(value, rule))
        hidden = quality.protect(value, primary, constraints, protection=protection)
    shown = pairs.with_columns(pl.Series("suppressed", hidden[:P]))
    shown = shown.with_columns(pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("value")).alias("value"),
                               *([pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("n")).alias("n")]
                                 if weighted else []))
    value_type = pairs.schema["value"]

    def margin(ids: np.ndarray) -> pl.Series:
        return pl.Series([None if hidden[i] else value[i] for i in ids], dtype=pl.Float64).cast(value_type)

    totals = pl.DataFrame({"country": pl.Series(countries, dtype=pl.String),
                           "incoming": margin(in_id), "outgoing": margin(out_id)})
    totals = totals.with_columns((pl.col("incoming") - pl.col("outgoing")).alias("net")).sort(
        [pl.col("incoming").fill_null(0) + pl.col("outgoing").fill_null(0), pl.col("country")],
        descending=[True, False])  # a hidden total adds nothing to the order (its place would tell its size)
    return GatedPairs(shown.drop("_i"), totals, None if hidden[sel] else float(value[sel]),
                      int(hidden[:P].sum()))


def shown(ds: Dataset, value: float | None, n: int | None = None, rule: quality.Rules | None = None) -> float | None:
    """One figure as it may be published on its own: None where the rules hide it (a headline, a point of a
    series)."""
    return None if sensitive(kind(ds), value, n, rule=rule) else value


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
