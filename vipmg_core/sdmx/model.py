"""The SDMX structure of a dataset, built from its declaration, and the codes SDMX files of the lab use.

The structure of a dataset (nothing here is written by hand, so it cannot drift from `standard/datasets/*.toml`):
- a concept scheme `CS_<ID>` with one concept per component, named as the declaration names the column;
- codelists: each declared codelist (`CL_<CODELIST>`) with the codes of `standard/codelists/*.csv` and the project's
  own codes a cross-tab cell may carry: `_T` (total), `_Z` (not applicable / not stated) and, where a publisher
  may send a total row, `_TN` (a publisher's total not broken down); `CL_MEASURE_<ID>` (what a value is: a count, a
  weighted estimate, a mean, a percentage of one); `CL_UNIT_MEASURE`, `CL_OBS_STATUS`, `CL_CONF_STATUS`, `CL_DECIMALS`;
- a data structure `DSD_<ID>`: one dimension per coded column of the declaration, `MEASURE`, and `TIME_PERIOD` (the
  declared time column, whatever it is called); attributes UNIT_MEASURE, DECIMALS, OBS_STATUS, CONF_STATUS (and,
  for microdata, N_UNWEIGHTED and CV_PERCENT); the measure OBS_VALUE;
- a dataflow `DF_<ID>` over it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from vipmg_core import rules
from vipmg_core.codelists import LANGS, codelist, country_groups, project_countries
from vipmg_core.crosstab.query import PERCENTS
from vipmg_core.datasets import Dataset, dataset
from vipmg_core.i18n import t

AGENCY = "VIPMG"
VERSION = "1.0"
TIME_PERIOD = "TIME_PERIOD"
MEASURE = "MEASURE"
OBS_VALUE = "OBS_VALUE"
PROJECT_AREA = "VIPMG"  # the project's countries taken together (a group of `project.toml` has its own id)

# Observation status (SDMX cross-domain CL_OBS_STATUS, plus the project's lower bound) and confidentiality status.
OBS_NORMAL, OBS_LOW_RELIABILITY, OBS_SUPPRESSED, OBS_MISSING, OBS_LOWER_BOUND = "A", "U", "Q", "O", "LB"
CONF_FREE, CONF_CONFIDENTIAL = "F", "C"
UNITS = {"persons": "PS", "events": "EVENTS", "percent": "PC", "years": "YR"}


@dataclass(frozen=True)
class Code:
    id: str
    names: dict[str, str]


@dataclass(frozen=True)
class Codelist:
    id: str
    names: dict[str, str]
    codes: tuple[Code, ...]


@dataclass(frozen=True)
class Component:
    id: str
    names: dict[str, str]  # the concept's name
    codelist: str | None = None  # codelist id, or None for a text format
    text_type: str = "String"
    mandatory: bool = True


@dataclass(frozen=True)
class Structure:
    dataset_id: str
    names: dict[str, str]
    descriptions: dict[str, str]
    dimensions: tuple[Component, ...]  # in key order, TIME_PERIOD last
    attributes: tuple[Component, ...]
    measure: Component
    codelists: tuple[Codelist, ...]

    @property
    def dsd_id(self) -> str:
        return f"DSD_{self.dataset_id.upper()}"

    @property
    def dataflow_id(self) -> str:
        return f"DF_{self.dataset_id.upper()}"

    @property
    def concept_scheme_id(self) -> str:
        return f"CS_{self.dataset_id.upper()}"

    @property
    def components(self) -> tuple[Component, ...]:
        return (*self.dimensions, *self.attributes, self.measure)


def _names(key: str, **values: object) -> dict[str, str]:
    return {lang: t(key, lang, **values) for lang in LANGS}


def component_id(column: str) -> str:
    """The SDMX id of a declared column (upper case)."""
    return column.upper()


def measure_code(measure: str, percent: str | None = None) -> str:
    """"COUNT", "WEIGHTED", "MEAN_AGE", "PCT_ROW_WEIGHTED": what a value of a cross-tab is."""
    code = measure.upper().replace(":", "_")
    return f"PCT_{percent.upper()}_{code}" if percent else code


def _measure_codes(ds: Dataset) -> list[tuple[str, str | None]]:
    from vipmg_core.crosstab import measures

    out: list[tuple[str, str | None]] = []
    for measure in measures(ds):
        out.append((measure, None))
        if not measure.startswith("mean:"):
            out += [(measure, p) for p in PERCENTS]
    return out


def _column_codelist(codelist_id: str) -> Codelist:
    """A declared codelist with the codes a cross-tab cell may carry besides its own."""
    source = codelist(codelist_id)
    codes = [Code(c.code, {lang: c.name(lang) for lang in LANGS}) for c in source]
    extra = [(rules.TOTAL, "crosstab.total"), (rules.MISSING, "crosstab.missing")]
    if rules.TOTAL in source:  # a publisher may send a `_T` row: read by this dimension, it is a total not split
        extra.append((rules.UNSPLIT, "crosstab.unsplit"))
    codes += [Code(code, _names(key)) for code, key in extra if code not in source]
    if codelist_id == "country":  # the sidebar's choice of countries, as one area
        codes += [Code(code, names) for code, (names, _) in area_aggregates().items()]
    return Codelist(f"CL_{codelist_id.upper()}", _names("sdmx.codelist", name=codelist_id), tuple(codes))


def area_aggregates() -> dict[str, tuple[dict[str, str], frozenset[str]]]:
    """Codes of the country aggregates a table may be read over: each group of `project.toml` and all the project's
    countries; code -> (names, countries)."""
    out = {g.id: ({lang: g.name(lang) for lang in LANGS}, frozenset(g.countries)) for g in country_groups()}
    out[PROJECT_AREA] = (_names("sdmx.project_area"), frozenset(project_countries()))
    return out


def area_code(countries: Iterable[str]) -> str | None:
    """The aggregate code of exactly these countries, if there is one."""
    chosen = frozenset(countries)
    return next((code for code, (_, members) in area_aggregates().items() if members == chosen), None)


def structure_of(ds: Dataset) -> Structure:
    """`structure` of a dataset declaration already read."""
    from vipmg_core.crosstab import measure_label

    codelists: dict[str, Codelist] = {}
    dims = []
    for col in ds.dimensions:
        if col.type != "code":
            continue
        if col.codelist_id is None:  # `datasets` refuses such a declaration
            raise ValueError(f"{ds.id}: the coded column {col.name!r} names no codelist")
        cl = _column_codelist(col.codelist_id)
        codelists.setdefault(cl.id, cl)
        dims.append(Component(component_id(col.name), dict(col.labels), cl.id))
    measure_cl = Codelist(f"CL_MEASURE_{ds.id.upper()}", _names("sdmx.concept.MEASURE"), tuple(
        Code(measure_code(m, p), {lang: measure_label(ds, m, lang, p) for lang in LANGS})
        for m, p in _measure_codes(ds)))
    dims.append(Component(MEASURE, _names("sdmx.concept.MEASURE"), measure_cl.id))
    dims.append(Component(TIME_PERIOD, dict(ds.column(ds.time_column).labels), None, "ObservationalTimePeriod"))
    fixed = [
        Codelist("CL_UNIT_MEASURE", _names("sdmx.concept.UNIT_MEASURE"),
                 tuple(Code(code, _names(f"sdmx.unit.{unit}")) for unit, code in UNITS.items())),
        Codelist("CL_DECIMALS", _names("sdmx.concept.DECIMALS"), tuple(Code(d, {lang: d for lang in LANGS})
                                                                        for d in ("0", "1"))),
        Codelist("CL_OBS_STATUS", _names("sdmx.concept.OBS_STATUS"), tuple(
            Code(c, _names(f"sdmx.obs_status.{c}"))
            for c in (OBS_NORMAL, OBS_LOW_RELIABILITY, OBS_SUPPRESSED, OBS_MISSING, OBS_LOWER_BOUND))),
        Codelist("CL_CONF_STATUS", _names("sdmx.concept.CONF_STATUS"), tuple(
            Code(c, _names(f"sdmx.conf_status.{c}")) for c in (CONF_FREE, CONF_CONFIDENTIAL))),
    ]
    attributes = [Component(a, _names(f"sdmx.concept.{a}"), f"CL_{a}")
                  for a in ("UNIT_MEASURE", "DECIMALS", "OBS_STATUS", "CONF_STATUS")]
    if ds.is_microdata:
        attributes += [Component("N_UNWEIGHTED", _names("sdmx.concept.N_UNWEIGHTED"), None, "Integer", False),
                       Component("CV_PERCENT", _names("sdmx.concept.CV_PERCENT"), None, "Double", False)]
    return Structure(
        ds.id, dict(ds.titles), dict(ds.definitions), tuple(dims), tuple(attributes),
        Component(OBS_VALUE, {lang: f"{ds.measure.label(lang) if ds.measure else t('sdmx.concept.OBS_VALUE', lang)}"
                              f" ({t(f'unit.{ds.unit}', lang)})" for lang in LANGS}, None, "Double"),
        (*codelists.values(), measure_cl, *fixed))


def structure(dataset_id: str) -> Structure:
    """The SDMX structure of a dataset, built from its declaration."""
    return structure_of(dataset(dataset_id))


def structure_id(dataset_id: str) -> str:
    """`VIPMG:DSD_<ID>(1.0)`: the STRUCTURE_ID of every SDMX-CSV file of the dataset."""
    return f"{AGENCY}:DSD_{dataset(dataset_id).id.upper()}({VERSION})"

