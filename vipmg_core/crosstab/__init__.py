"""Cross-tabs of any dataset: weighted, with quality, suppression, totals recomputed from the data.

The same call serves the Cross-tab page, the CLI and a notebook::

    from vipmg_core.crosstab import crosstab
    xt = crosstab("survey", rows=["ref_area"], cols=["sex"], countries=["GTM", "HND"],
                  years=(2022, 2024), measure="weighted", percent="row", totals=True)
    xt.cells                     # Polars, one row per cell (codes, "_T" where a dimension is totalled):
                                 # value, n (unweighted), cv (%), flag, conf (SDMX CONF_STATUS)
    xt.table("es").numeric       # the wide table as shown on the page (labels in Spanish)
    xt.unit_label("en"), xt.method_note("en"), xt.flags_legend("en"), xt.notes("en")

Arguments: `rows` / `cols` are dimension names of the dataset declaration, in order; `filters` maps a
dimension to the codes to keep; `countries` filters the dataset's reporting area; `years` an inclusive
(first, last) range on the period; `measure` is "weighted" (microdata: weighted estimate), "count"
(aggregates: sum of the reported counts, events or persons; microdata: unweighted number of records) or
"mean:VAR" (microdata: weighted mean of a numeric variable); `percent` is None, "row", "col" or "total";
`totals` and `subtotals` switch the grand totals and the intermediate totals independently; `engine`
(an `Engine`) says how to compute, the fastest way by default.

The package, in the order a query flows through it:

- `query`: the request (`CrosstabQuery`, `make_query`) and the rules that depend on it alone;
- `cube`: the per-release cube of sums, kept per process, and the rows a query reads of it;
- `sql`: what is asked of DuckDB (the WHERE, the GROUP BY when there is no cube, filter pickers);
- `engine`: `crosstab` / `compute` and the `Engine` choosing the path;
- `dense` (NumPy on a dense grid, with every total) or `grouped` (Polars): the cells of every level;
- `suppression`: the lines complementary suppression protects, redactions, the public marks;
- `result` (`Crosstab`), `table` (`View`, `Table`, exports), `labels`, `chart`: how it is shown.
"""

from vipmg_core.crosstab.engine import FASTEST, Engine, compute, crosstab
from vipmg_core.crosstab.labels import code_label, code_order
from vipmg_core.crosstab.query import (
    CELL_COLUMNS,
    LEVEL_COL,
    LEVEL_ROW,
    MISSING,
    PERCENTS,
    TOTAL,
    CrosstabError,
    CrosstabQuery,
    default_layout,
    make_query,
    measure_label,
    measures,
    table_decimals,
)
from vipmg_core.crosstab.result import Crosstab
from vipmg_core.crosstab.sql import dimension_values
from vipmg_core.crosstab.table import Table, View
from vipmg_core.quality import CAUTION, SUPPRESSED

__all__ = [
    "CAUTION", "CELL_COLUMNS", "FASTEST", "LEVEL_COL", "LEVEL_ROW", "MISSING", "PERCENTS", "SUPPRESSED", "TOTAL",
    "Crosstab", "CrosstabError", "CrosstabQuery", "Engine", "Table", "View", "code_label", "code_order", "compute",
    "crosstab", "default_layout", "dimension_values", "make_query", "measure_label", "measures", "table_decimals",
]
