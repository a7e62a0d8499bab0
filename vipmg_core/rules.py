"""The rules of the data, each written once, that every feature (cross-tab, cube, flows, profiles, comparison,
Home figures, exports) calls instead of restating them in its own SQL.

- **The `_T` total**: a row whose code is `_T` is the publisher's total over that dimension. It stands in for
  its parts only where no row with the same other codes and period has detail in that dimension
  (`total_partition`), so it is never added to them; publication and reading use that one partition.
- **Design**: microdata with strata and PSUs is a survey sample; microdata with only an expansion weight is a
  census sample (each record its own PSU); aggregates have no sampling design.
- **Aggregation over time**, declared per dataset (`time_aggregation` in `standard/datasets/*.toml`): events
  (`"sum"`) add up over periods; stocks (`"latest"`: persons at a date, censuses, surveys, migrant stock,
  refugees) never do. A selection of several periods of a stock reads each reporting area at its latest
  period in the selection, and says which.
- **Redacted values**: an aggregate whose measure is empty was hidden by its publisher (UNHCR's `*`, 1 to 4
  persons). A cell made only of hidden values is hidden, never 0; a total with hidden parts is a lower bound.
- **Immigrant stock**: persons whose origin differs from where they live, at one period.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from vipmg_core.datasets import Dataset
from vipmg_core.sqltext import quote as _q

TOTAL = "_T"  # SDMX code for "all categories" of a dimension
MISSING = "_Z"  # a null code in the data (not applicable / not stated), as a cell's code
UNSPLIT = "_TN"  # a cell's code for a publisher's `_T` row read by that dimension: a total not broken down
REDACTED_SYMBOL = "r"  # shown in place of a value made only of values its publisher hid
LOWER_BOUND_MARK = "≥"  # shown before a total that includes hidden values (the true figure is at least this)




# -- design -------------------------------------------------------------------------------------------------

def design(ds: Dataset) -> str | None:
    """"survey" (strata and PSUs declared), "census" (only an expansion weight) or None (aggregates)."""
    if not ds.is_microdata:
        return None
    return "survey" if ds.strata and ds.psu else "census"


# -- aggregation over time ----------------------------------------------------------------------------------

def adds_over_time(ds: Dataset) -> bool:
    """Whether values of different periods add up (events do; stocks never)."""
    return ds.time_aggregation == "sum"


def is_stock(ds: Dataset) -> bool:
    return not adds_over_time(ds)


def reads_latest(ds: Dataset, dims: Sequence[str]) -> bool:
    """Whether a selection must be narrowed to each area's latest period: a stock whose periods are not
    shown apart (the period is not a row or column of the table)."""
    return is_stock(ds) and ds.time_column not in dims


def latest_clause(ds: Dataset, area: str | None = None) -> str:
    """SQL condition keeping, of the rows it filters, each area's latest period; use it over a derived
    table of the selected rows (`SELECT * FROM (<selected>) WHERE <latest_clause>`)."""
    area = _q(area or ds.area_column)
    time = f"CAST({_q(ds.time_column)} AS VARCHAR)"
    return f"{time} = MAX({time}) OVER (PARTITION BY {area})"


def latest_sql(ds: Dataset, selected: str, area: str | None = None) -> str:
    """`selected` (a SELECT of rows with the dataset's columns) narrowed to each area's latest period."""
    time = f"CAST({_q(ds.time_column)} AS VARCHAR)"
    return (f"SELECT * EXCLUDE (_latest) FROM (SELECT *, MAX({time}) OVER (PARTITION BY {_q(area or ds.area_column)})"
            f" AS _latest FROM ({selected})) WHERE {time} = _latest")


def latest_mask(area_codes: np.ndarray, time_codes: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    """Per row: whether its period is the latest of its area among the rows (`present`: rows that count, e.g.
    rows with data). Period codes must follow the periods' order (sorted labels)."""
    if len(area_codes) == 0:
        return np.zeros(0, bool)
    counted = time_codes if present is None else np.where(present, time_codes, -1)
    latest = np.full(int(area_codes.max()) + 1, -1, np.int64)
    np.maximum.at(latest, area_codes, counted)
    return time_codes == latest[area_codes]


def latest_periods(area_codes: np.ndarray, time_codes: np.ndarray, area_labels: np.ndarray,
                   time_labels: np.ndarray) -> dict[str, str]:
    """Area label -> its latest period label among the rows."""
    out: dict[str, str] = {}
    for a, t in zip(area_codes.tolist(), time_codes.tolist()):
        label = str(time_labels[t])
        key = str(area_labels[a])
        if out.get(key, "") < label:
            out[key] = label
    return out


# -- the `_T` total -----------------------------------------------------------------------------------------

def cell_code_sql(expr: str) -> str:
    """A stored code as the code of a cross-tab cell: null is "not stated" (`MISSING`), and a publisher's
    `_T` row is a total not broken down (`UNSPLIT`), never mistaken for the table's own totals."""
    return (f"CASE WHEN CAST({expr} AS VARCHAR) = '{TOTAL}' THEN '{UNSPLIT}'"
            f" ELSE COALESCE(CAST({expr} AS VARCHAR), '{MISSING}') END")


def total_columns(ds: Dataset, exclude: Sequence[str] = ()) -> list[str]:
    """Coded dimensions whose codelist has `_T` (where a publisher's total row can appear)."""
    return [c.name for c in ds.dimensions if c.type == "code" and c.name not in exclude
            and c.codelist is not None and TOTAL in c.codelist]


def total_partition(ds: Dataset, column: str, present: Sequence[str] | None = None) -> list[str]:
    """Where a `_T` row of `column` looks for its parts: the rows with the same other codes and period (every
    other coded dimension and the period, of those `present`). Publication (`without_covered_totals`) and
    reading (`total_stands_in`) use this one partition, so a `_T` is dropped by the one exactly when the other
    drops it."""
    present = list(present) if present is not None else ds.column_names
    coded = {c.name for c in ds.dimensions if c.type == "code"}
    return [c for c in present if c != column and (c in coded or c == ds.time_column)]


def total_stands_in(ds: Dataset, columns: Sequence[str]) -> tuple[list[str], list[str]]:
    """The `_T` rule in SQL over rows with the dataset's columns: (window columns to select, conditions to keep).
    A `_T` row of a column is kept only where no row with the same other codes and period (`total_partition`)
    has detail in it."""
    detail, keep = [], []
    for i, c in enumerate(columns):
        part = ", ".join(_q(p) for p in total_partition(ds, c)) or "NULL"
        detail.append(f"BOOL_OR({_q(c)} IS DISTINCT FROM '{TOTAL}') OVER (PARTITION BY {part}) AS _d{i}")
        keep.append(f"NOT ({_q(c)} IS NOT DISTINCT FROM '{TOTAL}' AND _d{i})")
    return detail, keep


def total_unless_detail(column: str, same_cell: str) -> str:
    """The `_T` rule as one SQL condition on `data`: keep a row unless it is a `_T` row of `column` (quoted)
    while a row of the same cell (`same_cell`: conditions joining `detail.` to `data.`) has detail in it."""
    return (f"({column} IS DISTINCT FROM '{TOTAL}' OR NOT EXISTS (SELECT 1 FROM data AS detail"
            f" WHERE {same_cell} AND detail.{column} IS DISTINCT FROM '{TOTAL}'))")


def detail_rows(ds: Dataset) -> pl.Expr:
    """Rows that are detail in every coded dimension (no `_T`): what an upload's totals per period sum, so
    nothing is counted twice."""
    return pl.all_horizontal([pl.col(c.name).fill_null("") != TOTAL for c in ds.dimensions if c.type == "code"]
                             or [pl.lit(True)])


def detail_rows_sql(ds: Dataset) -> str:
    """`detail_rows` as an SQL condition on the dataset's columns."""
    return " AND ".join(f"COALESCE(CAST({_q(c.name)} AS VARCHAR), '') <> '{TOTAL}'" for c in ds.dimensions
                        if c.type == "code") or "TRUE"


def without_covered_totals(ds: Dataset, rows: pl.DataFrame) -> pl.DataFrame:
    """The `_T` rule at publication: a `_T` row goes where its parts are in the same file (a row with the same
    other codes and period, `total_partition`, has detail in that column; the platform recomputes totals, keeping
    both would count them twice), and stays where it is the only figure, e.g. a country that does not break a
    count down by sex. Every column is judged on the rows as sent, as `total_stands_in` judges them at reading."""
    coded = [c.name for c in ds.dimensions if c.type == "code" and c.name in rows.columns]
    rows = rows.with_row_index("_row")
    covered = pl.Series("_row", [], dtype=rows.schema["_row"])
    for dim in coded:
        others = total_partition(ds, dim, rows.columns)
        detail = rows.filter(pl.col(dim).fill_null("") != TOTAL)
        totals = rows.filter(pl.col(dim) == TOTAL)
        if not others:
            found = totals["_row"] if detail.height else totals["_row"].clear()
        else:
            found = totals.join(detail.select(others).unique(), on=others, how="semi", nulls_equal=True)["_row"]
        covered = pl.concat([covered, found])
    return rows.filter(~pl.col("_row").is_in(covered.unique().to_list())).drop("_row")


# -- redacted values ----------------------------------------------------------------------------------------

def can_be_redacted(ds: Dataset) -> bool:
    """Aggregates whose measure may be empty: an empty value is one the publisher hid."""
    return not ds.is_microdata and ds.measure is not None and not ds.measure.required


REDACTED, LOWER_BOUND = "redacted", "lower_bound"  # a figure's mark (None: exact)


def redaction_mark(rows: pl.Expr, hidden: pl.Expr) -> pl.Expr:
    """The mark of a figure made of `rows` published values of which `hidden` were hidden by their publisher:
    REDACTED where every one was (shown with `REDACTED_SYMBOL`, never 0), LOWER_BOUND where some were (the
    true figure is at least the sum of the others), None where none was. Every surface (cross-tab, profiles,
    comparison, bulletins) marks its figures with this one rule."""
    return (pl.when((hidden > 0) & (hidden == rows)).then(pl.lit(REDACTED))
            .when(hidden > 0).then(pl.lit(LOWER_BOUND)).otherwise(pl.lit(None, pl.String)))


def mark_of(rows: int, hidden: int) -> str | None:
    """`redaction_mark` for one figure."""
    return pl.select(redaction_mark(pl.lit(rows), pl.lit(hidden))).item()


def marked(number: str, mark: str | None) -> str:
    """A figure's text with its mark: "≥ 1,234" for a lower bound (the number is then the known part)."""
    return f"{LOWER_BOUND_MARK} {number}" if mark == LOWER_BOUND else number


# -- immigrant stock ----------------------------------------------------------------------------------------

def immigrant_clause(ds: Dataset) -> str | None:
    """SQL condition: a person living in a country other than their origin, by the dataset's declared flow
    (origin -> where they live); None for a dataset with no origin (a stock of every origin together, which
    counts only migrants already)."""
    role = next((f for f in ds.flows if not f.when), None)
    if role is None:
        return None
    return f"{_q(role.origin)} IS DISTINCT FROM {_q(role.destination)}"
