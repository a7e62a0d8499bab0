"""Origin-destination flows: who moves from where to where, aggregated by DuckDB in the warehouse.

A dataset reads as flows when its declaration says so (`flows = [{origin, destination, when}]`): arrivals
are nationality -> reporting country, departures the reverse, returns the removing country -> the country
of return, the census country of birth (or of residence five years ago) -> country of residence. Nothing
here knows a dataset by name.

- Aggregates sum their measure; microdata sum their expansion weight (persons) and keep the sample count n.
- Rows whose two ends are the same country (the native-born, nationals coming home) are not flows.
- Events (admin counts) add up over a period range. Persons are a stock counted at a date, so over a range
  each reporting country contributes its latest period in the range (its latest census, say).
- A dimension left unfiltered is summed over its detailed codes; a `_T` (total) row is used only where a
  reporting country published no detail for that period, so totals are never added to their own parts.
- Disclosure control is the cross-tab's own (`crosstab_query`, `suppression.publish`): the flows are the cells of the
  cross-tab of origin by destination under the same filters and periods, and the flow view hides every flow
  that cross-tab hides (its small counts, its estimates from too few records or too variable, and the
  complements it chose to protect them). A country's incoming or outgoing total and the selection's total are
  shown only where the cross-tab's visible figures give them (all their flows visible, or a visible margin less
  visible cells); otherwise they are hidden (None). So the two surfaces together tell no more than the cross-tab
  alone. Hidden flows come last, and a hidden total sorts as 0 (its place would tell its size).

`flows()` is what the page, the CLI (`python -m vipmg_core flows`) and a notebook call; the table, chart and
map helpers turn its result into what people read, in their language. One module per concept:

- `result`: FlowQuery, FlowResult, FlowError and the limits (top N, directions);
- `roles`: a dataset's readings of origin and destination, its periods, filter dimensions and codes;
- `query`: `flows()` and the DuckDB aggregation of origin-destination pairs;
- `suppression`: which flows and totals are hidden, from the cross-tabs of the same cells;
- `tables`: the tables, notes, export metadata and records people read;
- `chart`: the bar chart of the largest flows; `map_layers`: the flow map, its legend and its text alternative.
"""

from vipmg_core.flows.chart import flows_chart
from vipmg_core.flows.map_layers import country_label, describe_map, flow_deck, legend_svg
from vipmg_core.flows.query import country_totals, flows, pairs
from vipmg_core.flows.result import (
    DEFAULT_DIRECTION,
    DEFAULT_TOP,
    DIRECTIONS,
    MAX_TOP,
    MIN_SAMPLE,
    RANGE_SEPARATOR,
    TOTAL_CODE,
    FlowError,
    FlowQuery,
    FlowResult,
)
from vipmg_core.flows.roles import (
    default_period,
    dimension_codes,
    filter_columns,
    flow_datasets,
    flow_role,
    is_stock,
    periods,
    resolve_period,
    role_label,
)
from vipmg_core.flows.suppression import crosstab_query, period_queries
from vipmg_core.flows.tables import (
    describe_filters,
    export_meta,
    flow_label,
    flow_table,
    low_sample_count,
    notes,
    period_label,
    records,
    totals_table,
    value_header,
)

__all__ = [
    "DEFAULT_DIRECTION", "DEFAULT_TOP", "DIRECTIONS", "MAX_TOP", "MIN_SAMPLE", "RANGE_SEPARATOR", "TOTAL_CODE",
    "FlowError", "FlowQuery", "FlowResult",
    "country_label", "country_totals", "crosstab_query", "default_period", "describe_filters", "describe_map",
    "dimension_codes", "export_meta", "filter_columns", "flow_datasets", "flow_deck", "flow_label", "flow_role",
    "flow_table", "flows", "flows_chart", "is_stock", "legend_svg", "low_sample_count", "notes", "pairs",
    "period_label", "period_queries", "periods", "records", "resolve_period", "role_label", "totals_table",
    "value_header",
]
