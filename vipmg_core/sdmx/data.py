"""Full-key SDMX-CSV 2.0 data of the cells a cross-tab shows.

The data carry the full key: a dimension the table does not show is `_T` (or the one code a filter kept), the period
is always there (a period, or the range the figure covers: `2020-01-01/P5Y`). A total over a dimension the table
was filtered on is a total of the chosen codes only, which no code of the dimension says: such totals are left out
(their parts are in the file). Flags use the cross-domain codes: OBS_STATUS `A` normal, `U` low reliability (use
with caution), `Q` missing value, suppressed, `O` missing value, and the project's `LB` (a lower bound: it includes
values its publisher hid); CONF_STATUS `F` free, `C` confidential (a count hidden by the small-count rule or by its
publisher). A survey estimate hidden for its reliability is `Q` and `F`: suppressed, not confidential. Hidden
cells are marked alike, so a primary cell cannot be told from a complement (`crosstab.suppression.public_marks`). A hidden
value is written `NaN`, SDMX's missing number, which sdmx1 and pysdmx read as a missing float.
"""

from __future__ import annotations

import csv
import io
import math

import polars as pl

from vipmg_core import rules
from vipmg_core.datasets import Dataset
from vipmg_core.i18n import TranslatedError
from vipmg_core.sdmx.model import (
    CONF_CONFIDENTIAL,
    CONF_FREE,
    MEASURE,
    OBS_LOW_RELIABILITY,
    OBS_LOWER_BOUND,
    OBS_MISSING,
    OBS_NORMAL,
    OBS_SUPPRESSED,
    OBS_VALUE,
    TIME_PERIOD,
    UNITS,
    area_code,
    measure_code,
    structure_id,
    structure_of,
)

MISSING_VALUE = "NaN"


class SdmxError(TranslatedError):
    """A cross-tab that cannot be written with a full key; `message(lang)` says what to change."""

    prefix = "sdmx.error"


def _months(period: str) -> int:
    """Months since year 0 of a period's first month ("2024" -> January 2024)."""
    year, _, month = period.partition("-")
    return int(year) * 12 + (int(month) - 1 if month.isdigit() else 0)


def _end_months(period: str) -> int:
    year, _, month = period.partition("-")
    return int(year) * 12 + (int(month) if month.isdigit() else 12)


def period_range(first: str, last: str) -> str:
    """The SDMX time range from the start of `first` to the end of `last` ("2020-01-01/P5Y"); one period as itself."""
    if first == last:
        return first
    months = _end_months(last) - _months(first)
    year, month = divmod(_months(first), 12)
    duration = f"P{months // 12}Y" if months % 12 == 0 else f"P{months}M"
    return f"{year:04d}-{month + 1:02d}-01/{duration}"


def _year_periods(ds: Dataset, years: tuple[int, int]) -> tuple[str, str]:
    if ds.time_format == "month":
        return f"{years[0]}-01", f"{years[1]}-12"
    return str(years[0]), str(years[1])


def _time_expr(result, cells: pl.DataFrame) -> pl.Expr:
    """TIME_PERIOD of each cell: its period, or the range of periods the figure covers."""
    ds, q = result.dataset, result.query
    time = ds.time_column
    if time in q.dims:
        periods = sorted(p for p in cells[time].unique().to_list() if p not in (rules.TOTAL, rules.MISSING))
        whole = period_range(periods[0], periods[-1]) if periods else rules.MISSING
        return pl.when(pl.col(time) == rules.TOTAL).then(pl.lit(whole)).otherwise(pl.col(time))
    if result.latest:  # a stock read at each area's latest period
        latest = dict(result.latest)
        values = sorted(latest.values())
        whole = period_range(values[0], values[-1])
        if ds.area_column in q.dims:
            return pl.col(ds.area_column).replace_strict(latest, default=pl.lit(whole), return_dtype=pl.String)
        return pl.lit(whole)
    return pl.lit(period_range(*(result.periods or _year_periods(ds, q.years))))


def _fixed_code(ds: Dataset, q, column: str) -> str:
    """The key value of a dimension the table does not show: `_T`, or the one code a filter kept."""
    chosen = q.countries if column == ds.area_column else q.filter_map.get(column, ())
    if not chosen:
        return rules.TOTAL
    if len(chosen) == 1:
        return chosen[0]
    if column == ds.area_column and (code := area_code(chosen)):
        return code
    raise SdmxError("several_codes", column=column)


def _decimals(q) -> int:
    """Decimals a value is published with: those the cross-tab shows."""
    from vipmg_core.crosstab import table_decimals

    return table_decimals(q)


def _unit(ds: Dataset, q) -> str:
    if q.percent:
        return UNITS["percent"]
    if q.mean_of:
        return UNITS["years"]
    return UNITS[ds.unit]


def _number(value: float | None, decimals: int) -> str:
    if value is None or math.isnan(value):
        return MISSING_VALUE
    return f"{value:.{decimals}f}"


def _check(result) -> None:
    """Raise SdmxError where the cross-tab's cells cannot be given a full key."""
    ds, q = result.dataset, result.query
    if ds.time_column not in q.dims and not result.latest and q.years is None and result.periods is None:
        raise SdmxError("no_period", column=ds.column(ds.time_column).label("en"))
    for col in ds.dimensions:
        if col.type == "code" and col.name not in q.dims:
            _fixed_code(ds, q, col.name)


def unwritable(result, lang: str) -> str | None:
    """Why the cross-tab cannot be written as SDMX (in `lang`), or None when it can."""
    try:
        _check(result)
    except SdmxError as exc:
        return exc.message(lang)
    return None


def data_csv(result, view=None) -> bytes:
    """SDMX-CSV 2.0 of the cells a cross-tab shows (`Crosstab.shown_cells`: totals as switched, top-N applied;
    suppression already applied by the cross-tab), with the full key of `structure_id(dataset)`."""
    from vipmg_core.crosstab import CAUTION, SUPPRESSED

    _check(result)
    ds, q = result.dataset, result.query
    s = structure_of(ds)
    cells = result.shown_cells(view)
    filtered = {name for name, _ in q.filters}
    if q.countries and ds.area_column in q.dims:
        area_total = area_code(q.countries)
        if area_total:  # the total of the chosen countries is one of the project's areas
            cells = cells.with_columns(pl.when(pl.col(ds.area_column) == rules.TOTAL).then(pl.lit(area_total))
                                       .otherwise(pl.col(ds.area_column)).alias(ds.area_column))
        else:
            filtered.add(ds.area_column)
    partial = [pl.col(d) == rules.TOTAL for d in q.dims if d in filtered and d != ds.time_column]
    if partial:  # a total of the chosen codes only: no code of the dimension says that
        cells = cells.filter(~pl.any_horizontal(partial))
    if "mark" not in cells.columns:
        cells = cells.with_columns(pl.lit(None, pl.String).alias("mark"))
    key = []
    for comp in s.dimensions:
        if comp.id == TIME_PERIOD:
            key.append(_time_expr(result, cells).alias(TIME_PERIOD))
        elif comp.id == MEASURE:
            key.append(pl.lit(measure_code(q.measure, q.percent)).alias(MEASURE))
        else:
            column = comp.id.lower()
            expr = pl.col(column) if column in q.dims else pl.lit(_fixed_code(ds, q, column))
            key.append(expr.alias(comp.id))
    hidden_by_rule = pl.col("flag") == SUPPRESSED
    confidential = ((hidden_by_rule & pl.lit(result.method == "admin"))
                    | (pl.col("value").is_null() & (pl.col("mark") == rules.REDACTED)).fill_null(False))
    obs_status = (pl.when(hidden_by_rule | (pl.col("value").is_null() & (pl.col("mark") == rules.REDACTED)))
                  .then(pl.lit(OBS_SUPPRESSED))
                  .when(pl.col("value").is_null()).then(pl.lit(OBS_MISSING))
                  .when(pl.col("mark") == rules.LOWER_BOUND).then(pl.lit(OBS_LOWER_BOUND))
                  .when(pl.col("flag") == CAUTION).then(pl.lit(OBS_LOW_RELIABILITY))
                  .otherwise(pl.lit(OBS_NORMAL)))
    decimals = _decimals(q)
    frame = cells.select(
        *key, pl.col("value").alias(OBS_VALUE),
        pl.lit(_unit(ds, q)).alias("UNIT_MEASURE"), pl.lit(str(decimals)).alias("DECIMALS"),
        obs_status.alias("OBS_STATUS"),
        pl.when(confidential).then(pl.lit(CONF_CONFIDENTIAL)).otherwise(pl.lit(CONF_FREE)).alias("CONF_STATUS"),
        pl.col("n").alias("N_UNWEIGHTED"), pl.col("cv").alias("CV_PERCENT"),
    )
    columns = [c.id for c in s.dimensions] + [OBS_VALUE] + [c.id for c in s.attributes]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["STRUCTURE", "STRUCTURE_ID", "ACTION", *columns])
    sid = structure_id(ds.id)
    for row in frame.select(columns).iter_rows(named=True):
        row[OBS_VALUE] = _number(row[OBS_VALUE], decimals)
        if "N_UNWEIGHTED" in row:
            row["N_UNWEIGHTED"] = "" if row["N_UNWEIGHTED"] is None else str(int(row["N_UNWEIGHTED"]))
            cv = row["CV_PERCENT"]
            row["CV_PERCENT"] = "" if cv is None or math.isnan(cv) else f"{cv:.1f}"
        writer.writerow(["datastructure", sid, "I", *row.values()])
    return buffer.getvalue().encode("utf-8")
