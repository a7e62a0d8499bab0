"""What a dataset offers as flows: its declared readings (roles) of origin and destination, and for each the
periods, filter dimensions and codes present in the warehouse; a period request resolved to the periods there."""

from __future__ import annotations

from vipmg_core import rules
from vipmg_core.datasets import Column, Dataset, FlowRole, dataset, datasets
from vipmg_core.flows.result import RANGE_SEPARATOR, FlowError
from vipmg_core.warehouse import Warehouse
from vipmg_core.warehouse.sql import quote as _q


def flow_datasets() -> list[Dataset]:
    """Datasets whose declaration gives them an origin and a destination."""
    return [ds for ds in datasets() if ds.flows]


def flow_role(ds: Dataset, role: int) -> FlowRole:
    if not ds.flows:
        raise FlowError("no_flows", dataset=ds.id)
    if not 0 <= role < len(ds.flows):
        raise FlowError("bad_role", role=role, count=len(ds.flows))
    return ds.flows[role]


def code_label(column: Column, code: str, lang: str) -> str:
    """A code's name in its column's codelist (the code itself where the column has none)."""
    return column.codelist.name(code, lang) if column.codelist else code


def role_label(ds: Dataset, role: int, lang: str) -> str:
    """'Arrivals: Nationality → Reporting country', built from the declaration."""
    spec = flow_role(ds, role)
    arrow = f"{ds.column(spec.origin).label(lang)} → {ds.column(spec.destination).label(lang)}"
    conditions = [code_label(ds.column(col), code, lang) for col, code in spec.when.items()]
    return f"{', '.join(conditions)}: {arrow}" if conditions else arrow


def filter_columns(ds: Dataset, role: int) -> list[str]:
    """The dimensions a user may narrow the flows by: every coded dimension but the role's own columns."""
    spec = flow_role(ds, role)
    taken = {spec.origin, spec.destination, *spec.when, ds.time_column}
    return [c.name for c in ds.dimensions if c.name not in taken and c.type == "code"]


def is_stock(ds: Dataset) -> bool:
    # Events happen during a period and add up; persons are counted at a date and do not (`rules`).
    return rules.is_stock(ds)


def role_rows(ds: Dataset, spec: FlowRole) -> tuple[list[str], dict[str, object]]:
    """The SQL conditions (and their parameters) of the rows that are flows of this role."""
    clauses = [f"{_q(spec.origin)} IS NOT NULL", f"{_q(spec.destination)} IS NOT NULL",
               f"{_q(spec.origin)} <> {_q(spec.destination)}"]
    if ds.measure is not None and not ds.is_microdata:
        clauses.append(f"{_q(ds.measure.name)} IS NOT NULL")  # a value the publisher hid (UNHCR's 1-4) is no flow
    params: dict[str, object] = {}
    for i, (column, code) in enumerate(spec.when.items()):
        clauses.append(f"{_q(ds.column(column).name)} = $when{i}")
        params[f"when{i}"] = code
    return clauses, params


def periods(wh: Warehouse, dataset_id: str, role: int = 0) -> list[str]:
    """The periods with at least one flow of this role, oldest first."""
    ds = dataset(dataset_id)
    clauses, params = role_rows(ds, flow_role(ds, role))
    time = _q(ds.time_column)
    frame = wh.query(ds.id, f"SELECT DISTINCT CAST({time} AS VARCHAR) AS p FROM data"
                            f" WHERE {' AND '.join(clauses)} AND {time} IS NOT NULL ORDER BY p", params)
    return frame["p"].to_list()


def default_period(wh: Warehouse, dataset_id: str, role: int = 0) -> tuple[str, str] | None:
    """The latest picture: the last period for events; for a stock, the span that holds every reporting
    country's latest period (so each census country shows its latest round)."""
    ds = dataset(dataset_id)
    clauses, params = role_rows(ds, flow_role(ds, role))
    time, area = f"CAST({_q(ds.time_column)} AS VARCHAR)", _q(ds.area_column)
    (first, last), = wh.query(
        ds.id,
        f"SELECT MIN(latest), MAX(latest) FROM (SELECT {area}, MAX({time}) AS latest FROM data"
        f" WHERE {' AND '.join(clauses)} GROUP BY ALL)", params,
    ).rows()
    if last is None:
        return None
    return (first, last) if is_stock(ds) else (last, last)


def dimension_codes(wh: Warehouse, dataset_id: str, role: int = 0) -> dict[str, list[str]]:
    """For each filter column, the codes present in the flows' rows, in codelist order."""
    ds = dataset(dataset_id)
    columns = filter_columns(ds, role)
    if not columns:
        return {}
    clauses, params = role_rows(ds, flow_role(ds, role))
    lists = ", ".join(f"LIST(DISTINCT {_q(c)}) FILTER (WHERE {_q(c)} IS NOT NULL) AS {_q(c)}" for c in columns)
    row = wh.query(ds.id, f"SELECT {lists} FROM data WHERE {' AND '.join(clauses)}", params).row(0, named=True)
    found = {}
    for column in columns:
        present = set(row[column] or ())
        known = ds.column(column).codelist
        order = list(known.codes) if known else []
        found[column] = [c for c in order if c in present] + sorted(present - set(order))
    return found


def resolve_period(spec: str | tuple[str, str] | None, available: list[str]) -> tuple[str, str]:
    """A period request as the first and last periods present in the data.

    "2024" is one period, or every period that starts with it ("2024" on monthly data is its twelve months);
    "2021-01/2024-12" (or "2021/2023") is a range. A pair of periods is taken as a range.
    """
    if not available:
        raise FlowError("no_data")
    if spec is None:
        raise FlowError("no_period")
    if isinstance(spec, tuple):
        low, high = spec
    elif RANGE_SEPARATOR in spec:
        low, high = (part.strip() for part in spec.split(RANGE_SEPARATOR, 1))
    else:
        low = high = spec.strip()
    inside = [p for p in available if (p >= low or p.startswith(low)) and (p <= high or p.startswith(high))]
    if not low or not high or not inside:
        raise FlowError("bad_period", period=spec if isinstance(spec, str) else RANGE_SEPARATOR.join(spec),
                        first=available[0], last=available[-1])
    return inside[0], inside[-1]
