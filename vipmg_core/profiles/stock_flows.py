"""The migrant stock as flows: where a country's immigrants were born, where its emigrants live."""

from __future__ import annotations

from collections.abc import Sequence

from vipmg_core import flows as fl
from vipmg_core.indicators import profile_sections
from vipmg_core.profiles.periods import LATEST, Period, year_of
from vipmg_core.profiles.sources import Source, release_sources
from vipmg_core.warehouse import Warehouse
from vipmg_core.warehouse.sql import quote as _q

TOP = 10  # countries in the origins and destinations tables
MAP_TOP = 15  # flows on the small map


def flows_dataset() -> str:
    """The stock read as flows, as `standard/indicators.toml` declares it."""
    return profile_sections().flows_dataset


def _stock_period(wh: Warehouse, period: Period) -> str | None:
    if not wh.releases(flows_dataset()):
        return None
    available = [p for p in fl.periods(wh, flows_dataset()) if year_of(p) <= period.bound()[0]]
    return available[-1] if available else None


def stock_flows(wh: Warehouse, areas: Sequence[str], direction: str, period: Period = LATEST, top: int = TOP
                ) -> fl.FlowResult | None:
    """Migrant stock flows ("in": where the immigrants were born; "out": where the emigrants live)."""
    when = _stock_period(wh, period)
    if when is None:
        return None
    try:
        result = fl.flows(wh, flows_dataset(), countries=list(areas), direction=direction, period=(when, when),
                          top=top)
    except fl.FlowError:
        return None
    return result if result.flows.height else None


def stock_flow_sources(wh: Warehouse, result: fl.FlowResult, areas: Sequence[str]) -> tuple[Source, ...]:
    """The releases behind flows to or from `areas` in the result's period (either end may be reported)."""
    ds = result.dataset
    role = fl.flow_role(ds, result.query.role)
    if result.query.period is None:  # a stock's flows are read at one date, always given (`stock_flows`)
        return ()
    first, last = result.query.period
    ids = wh.query(ds.id, f"SELECT DISTINCT release_id FROM data WHERE ({_q(role.origin)} IN (SELECT UNNEST($areas))"
                          f" OR {_q(role.destination)} IN (SELECT UNNEST($areas)))"
                          f" AND CAST({_q(ds.time_column)} AS VARCHAR) BETWEEN $first AND $last",
                   {"areas": list(areas), "first": first, "last": last}, with_release=True)["release_id"]
    return release_sources(wh, ds.id, ids)
