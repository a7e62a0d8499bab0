"""The exchange standard: one declaration per dataset, read from `standard/datasets/*.toml`.

Everything that needs to know a dataset's shape (cross-tab, maps, validator, importers, catalogue page,
CLI, demo generator) asks this module. Adding a dataset is adding a TOML file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache

import polars as pl

from vipmg_core.codelists import Codelist, codelist
from vipmg_core.config import STANDARD_DIR

UNITS = ("events", "persons")
KINDS = ("aggregate", "microdata")
TIME_AGGREGATIONS = ("sum", "latest")
COLUMN_TYPES = ("code", "period", "count", "number", "integer", "string")
ROLES = ("dimension", "measure", "weight", "design", "numeric")

_POLARS_TYPES: dict[str, pl.DataType] = {
    "code": pl.String(),
    "period": pl.String(),
    "string": pl.String(),
    "count": pl.Int64(),
    "integer": pl.Int32(),
    "number": pl.Float64(),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    role: str
    labels: dict[str, str]
    codelist_id: str | None = None
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    derived_from: str | None = None
    synonyms: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["en"]

    @property
    def codelist(self) -> Codelist | None:
        return codelist(self.codelist_id) if self.codelist_id else None

    def require_codelist(self) -> Codelist:
        """The codelist of a coded column; a ValueError naming the column when it has none."""
        found = self.codelist
        if found is None:
            raise ValueError(f"column {self.name!r} has no codelist")
        return found

    @property
    def polars_type(self) -> pl.DataType:
        return _POLARS_TYPES[self.type]


@dataclass(frozen=True)
class FlowRole:
    """How a dataset reads as origin -> destination, optionally only for rows matching `when`."""

    origin: str
    destination: str
    when: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Dataset:
    id: str
    order: int
    titles: dict[str, str]
    unit: str
    unit_details: dict[str, str]
    kind: str
    grains: dict[str, str]
    source_type: str
    area_column: str
    time_column: str
    time_format: str
    definitions: dict[str, str]
    notes_text: dict[str, str]
    columns: tuple[Column, ...]
    flows: tuple[FlowRole, ...] = ()
    weight: str | None = None
    strata: str | None = None
    psu: str | None = None
    time_aggregation: str = "sum"  # "sum": events add up over periods; "latest": a stock is read at one date
    coverage_columns: tuple[str, ...] = ()  # columns a product may cover only part of (e.g. border regions)

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles["en"]

    def definition(self, lang: str) -> str:
        return self.definitions.get(lang) or self.definitions["en"]

    def notes(self, lang: str) -> str:
        return self.notes_text.get(lang) or self.notes_text.get("en", "")

    def grain(self, lang: str) -> str:
        return self.grains.get(lang) or self.grains["en"]

    def unit_detail(self, lang: str) -> str:
        return self.unit_details.get(lang) or self.unit_details["en"]

    @property
    def is_microdata(self) -> bool:
        return self.kind == "microdata"

    @property
    def counts_events(self) -> bool:
        return self.unit == "events"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.id} has no column {name!r}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def dimensions(self) -> list[Column]:
        """Columns one can group or filter by: coded columns and the period."""
        return [c for c in self.columns if c.role == "dimension" and c.type in ("code", "period")]

    @property
    def measure(self) -> Column | None:
        return next((c for c in self.columns if c.role == "measure"), None)

    @property
    def numeric_columns(self) -> list[Column]:
        return [c for c in self.columns if c.role == "numeric"]

    @property
    def country_columns(self) -> list[Column]:
        return [c for c in self.columns if c.codelist_id == "country"]

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.polars_type for c in self.columns}

    def template_header(self) -> list[str]:
        return self.column_names


def _column(raw: dict) -> Column:
    role = raw.get("role", "dimension")
    ctype = raw["type"]
    if ctype not in COLUMN_TYPES or role not in ROLES:
        raise ValueError(f"column {raw['name']!r}: bad type {ctype!r} or role {role!r}")
    return Column(
        name=raw["name"],
        type=ctype,
        role=role,
        labels=raw["label"],
        codelist_id=raw.get("codelist"),
        required=raw.get("required", True),
        minimum=raw.get("min"),
        maximum=raw.get("max"),
        derived_from=raw.get("derived_from"),
        synonyms=tuple(raw.get("synonyms", ())),
    )


def _dataset(raw: dict) -> Dataset:
    ds = Dataset(
        id=raw["id"],
        order=raw.get("order", 100),
        titles=raw["title"],
        unit=raw["unit"],
        unit_details=raw["unit_detail"],
        kind=raw["kind"],
        grains=raw["grain"],
        source_type=raw["source_type"],
        area_column=raw["area_column"],
        time_column=raw["time_column"],
        time_format=raw["time_format"],
        definitions=raw["definition"],
        notes_text=raw.get("notes", {}),
        columns=tuple(_column(c) for c in raw["columns"]),
        flows=tuple(FlowRole(f["origin"], f["destination"], f.get("when", {})) for f in raw.get("flows", ())),
        weight=raw.get("weight"),
        strata=raw.get("strata"),
        psu=raw.get("psu"),
        time_aggregation=raw.get("time_aggregation", "sum" if raw["unit"] == "events" else "latest"),
        coverage_columns=tuple(raw.get("coverage_columns", ())),
    )
    _check(ds)
    return ds


def _check(ds: Dataset) -> None:
    """Fail loudly on a declaration that would break the pages later."""
    if ds.time_aggregation not in TIME_AGGREGATIONS:
        raise ValueError(f"{ds.id}: time_aggregation must be one of {TIME_AGGREGATIONS}")
    if ds.unit not in UNITS or ds.kind not in KINDS:
        raise ValueError(f"{ds.id}: unit must be one of {UNITS}, kind one of {KINDS}")
    names = ds.column_names
    if len(set(names)) != len(names):
        raise ValueError(f"{ds.id}: duplicate column names")
    referenced = [ds.area_column, ds.time_column, ds.weight, ds.strata, ds.psu, *ds.coverage_columns]
    referenced += [n for f in ds.flows for n in (f.origin, f.destination, *f.when)]
    for name in filter(None, referenced):
        if name not in names:
            raise ValueError(f"{ds.id}: refers to missing column {name!r}")
    for col in ds.columns:
        if col.type == "code" and col.codelist_id is None:
            raise ValueError(f"{ds.id}.{col.name}: a code column needs a codelist")
    if ds.kind == "aggregate" and ds.measure is None:
        raise ValueError(f"{ds.id}: an aggregate dataset needs a measure column")
    if ds.kind == "microdata" and ds.weight is None:
        raise ValueError(f"{ds.id}: microdata needs a weight column")


@cache
def _all() -> dict[str, Dataset]:
    found = []
    for path in sorted((STANDARD_DIR / "datasets").glob("*.toml")):
        with path.open("rb") as handle:
            found.append(_dataset(tomllib.load(handle)))
    return {ds.id: ds for ds in sorted(found, key=lambda d: (d.order, d.id))}


def datasets() -> list[Dataset]:
    return list(_all().values())


def dataset_ids() -> list[str]:
    return list(_all())


def dataset(dataset_id: str) -> Dataset:
    try:
        return _all()[dataset_id]
    except KeyError:
        raise KeyError(f"unknown dataset {dataset_id!r}; known: {', '.join(_all())}") from None
