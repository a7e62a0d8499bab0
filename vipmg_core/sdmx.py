"""SDMX for every dataset, generated from its declaration: a structure message and full-key SDMX-CSV 2.0 data.

    from vipmg_core import sdmx
    sdmx.structure_id("returns")        # "VIPMG:DSD_RETURNS(1.0)", the STRUCTURE_ID of every data file of it
    sdmx.structure_xml("returns")       # SDMX-ML 2.1 Structure message (sdmx1 and pysdmx read it)
    sdmx.structure_json("returns")      # SDMX-JSON 2.0 structure message (pysdmx reads it; sdmx1 reads no JSON structure)
    sdmx.data_csv(crosstab_result)      # SDMX-CSV 2.0 of the cells the cross-tab shows

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

The data carry the full key: a dimension the table does not show is `_T` (or the one code a filter kept), the period
is always there (a period, or the range the figure covers: `2020-01-01/P5Y`). A total over a dimension the table
was filtered on is a total of the chosen codes only, which no code of the dimension says: such totals are left out
(their parts are in the file). Flags use the cross-domain codes: OBS_STATUS `A` normal, `U` low reliability (use
with caution), `Q` missing value, suppressed, `O` missing value, and the project's `LB` (a lower bound: it includes
values its publisher hid); CONF_STATUS `F` free, `C` confidential (a count hidden by the small-count rule or by its
publisher). A survey estimate hidden for its reliability is `Q` and `F`: suppressed, not confidential. Hidden
cells are marked alike, so a primary cell cannot be told from a complement (`crosstab._public_marks`). A hidden
value is written `NaN`, SDMX's missing number, which sdmx1 and pysdmx read as a missing float.
"""

from __future__ import annotations

import csv
import io
import json
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from vipmg_core import rules
from vipmg_core.codelists import LANGS, codelist, country_groups, project_countries
from vipmg_core.datasets import Column, Dataset, dataset
from vipmg_core.i18n import TranslatedError, t

AGENCY = "VIPMG"
VERSION = "1.0"
TIME_PERIOD = "TIME_PERIOD"
MEASURE = "MEASURE"
OBS_VALUE = "OBS_VALUE"
MISSING_VALUE = "NaN"
PERCENTS = ("row", "col", "total")
PROJECT_AREA = "VIPMG"  # the project's countries taken together (a group of `project.toml` has its own id)

# Observation status (SDMX cross-domain CL_OBS_STATUS, plus the project's lower bound) and confidentiality status.
OBS_NORMAL, OBS_LOW_RELIABILITY, OBS_SUPPRESSED, OBS_MISSING, OBS_LOWER_BOUND = "A", "U", "Q", "O", "LB"
CONF_FREE, CONF_CONFIDENTIAL = "F", "C"
UNITS = {"persons": "PS", "events": "EVENTS", "percent": "PC", "years": "YR"}


class SdmxError(TranslatedError):
    """A cross-tab that cannot be written with a full key; `message(lang)` says what to change."""

    prefix = "sdmx.error"


# --- the structure -------------------------------------------------------------------------------------------

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


def _column_codelist(col: Column) -> Codelist:
    """A declared codelist with the codes a cross-tab cell may carry besides its own."""
    source = codelist(col.codelist_id)
    codes = [Code(c.code, {lang: c.name(lang) for lang in LANGS}) for c in source]
    extra = [(rules.TOTAL, "crosstab.total"), (rules.MISSING, "crosstab.missing")]
    if rules.TOTAL in source:  # a publisher may send a `_T` row: read by this dimension, it is a total not split
        extra.append((rules.UNSPLIT, "crosstab.unsplit"))
    codes += [Code(code, _names(key)) for code, key in extra if code not in source]
    if col.codelist_id == "country":  # the sidebar's choice of countries, as one area
        codes += [Code(code, names) for code, (names, _) in area_aggregates().items()]
    return Codelist(f"CL_{col.codelist_id.upper()}", _names("sdmx.codelist", name=col.codelist_id), tuple(codes))


def area_aggregates() -> dict[str, tuple[dict[str, str], frozenset[str]]]:
    """Codes of the country aggregates a table may be read over: each group of `project.toml` and all the project's
    countries; code -> (names, countries)."""
    out = {g.id: ({lang: g.name(lang) for lang in LANGS}, frozenset(g.countries)) for g in country_groups()}
    out[PROJECT_AREA] = (_names("sdmx.project_area"), frozenset(project_countries()))
    return out


def _area_code(countries) -> str | None:
    """The aggregate code of exactly these countries, if there is one."""
    chosen = frozenset(countries)
    return next((code for code, (_, members) in area_aggregates().items() if members == chosen), None)


def _structure(ds: Dataset) -> Structure:
    from vipmg_core.crosstab import measure_label

    codelists: dict[str, Codelist] = {}
    dims = []
    for col in ds.dimensions:
        if col.type != "code":
            continue
        cl = _column_codelist(col)
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
    return _structure(dataset(dataset_id))


def structure_id(dataset_id: str) -> str:
    """`VIPMG:DSD_<ID>(1.0)`: the STRUCTURE_ID of every SDMX-CSV file of the dataset."""
    return f"{AGENCY}:DSD_{dataset(dataset_id).id.upper()}({VERSION})"


# --- SDMX-ML 2.1 ---------------------------------------------------------------------------------------------

_NS = {
    "mes": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
    "str": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
    "com": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
for _prefix, _uri in _NS.items():
    ET.register_namespace(_prefix, _uri)


def _q(prefix: str, tag: str) -> str:
    return f"{{{_NS[prefix]}}}{tag}"


def _urn(kind: str, ident: str) -> str:
    return f"urn:sdmx:org.sdmx.infomodel.{kind}={AGENCY}:{ident}({VERSION})"


def _maintainable(parent: ET.Element, tag: str, ident: str, kind: str, names: dict[str, str],
                  descriptions: dict[str, str] | None = None) -> ET.Element:
    node = ET.SubElement(parent, _q("str", tag), {"id": ident, "agencyID": AGENCY, "version": VERSION,
                                                  "urn": _urn(kind, ident), "isFinal": "true"})
    _name(node, names, descriptions)
    return node


def _name(node: ET.Element, names: dict[str, str], descriptions: dict[str, str] | None = None) -> None:
    for lang in LANGS:
        ET.SubElement(node, _q("com", "Name"), {_XML_LANG: lang}).text = names.get(lang) or names["en"]
    for lang in LANGS if descriptions else ():
        ET.SubElement(node, _q("com", "Description"), {_XML_LANG: lang}).text = descriptions.get(lang) or descriptions["en"]


def _ref(parent: ET.Element, **attrs: str) -> None:
    ET.SubElement(parent, "Ref", {k: v for k, v in attrs.items()})


def _component_xml(parent: ET.Element, tag: str, comp: Component, s: Structure, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, _q("str", tag), {"id": comp.id, **attrs})
    _ref(ET.SubElement(node, _q("str", "ConceptIdentity")), id=comp.id, maintainableParentID=s.concept_scheme_id,
         maintainableParentVersion=VERSION, agencyID=AGENCY, package="conceptscheme", **{"class": "Concept"})
    rep = ET.SubElement(node, _q("str", "LocalRepresentation"))
    if comp.codelist:
        _ref(ET.SubElement(rep, _q("str", "Enumeration")), id=comp.codelist, version=VERSION, agencyID=AGENCY,
             package="codelist", **{"class": "Codelist"})
    else:
        ET.SubElement(rep, _q("str", "TextFormat"), {"textType": comp.text_type})
    return node


def structure_xml(dataset_id: str) -> bytes:
    """SDMX-ML 2.1 Structure message: dataflow, codelists, concept scheme and data structure of the dataset."""
    s = structure(dataset_id)
    root = ET.Element(_q("mes", "Structure"))
    header = ET.SubElement(root, _q("mes", "Header"))
    ET.SubElement(header, _q("mes", "ID")).text = f"{s.dsd_id}_STRUCTURE"
    ET.SubElement(header, _q("mes", "Test")).text = "false"
    ET.SubElement(header, _q("mes", "Prepared")).text = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    ET.SubElement(header, _q("mes", "Sender"), {"id": AGENCY})
    structures = ET.SubElement(root, _q("mes", "Structures"))

    flows = ET.SubElement(structures, _q("str", "Dataflows"))
    flow = _maintainable(flows, "Dataflow", s.dataflow_id, "datastructure.Dataflow", s.names, s.descriptions)
    _ref(ET.SubElement(flow, _q("str", "Structure")), id=s.dsd_id, version=VERSION, agencyID=AGENCY,
         package="datastructure", **{"class": "DataStructure"})

    lists = ET.SubElement(structures, _q("str", "Codelists"))
    for cl in s.codelists:
        node = _maintainable(lists, "Codelist", cl.id, "codelist.Codelist", cl.names)
        for code in cl.codes:
            item = ET.SubElement(node, _q("str", "Code"), {"id": code.id})
            _name(item, code.names)

    schemes = ET.SubElement(structures, _q("str", "Concepts"))
    scheme = _maintainable(schemes, "ConceptScheme", s.concept_scheme_id, "conceptscheme.ConceptScheme",
                           {lang: t("sdmx.concept_scheme", lang, title=s.names.get(lang) or s.names["en"])
                            for lang in LANGS})
    for comp in s.components:
        _name(ET.SubElement(scheme, _q("str", "Concept"), {"id": comp.id}), comp.names)

    dsds = ET.SubElement(structures, _q("str", "DataStructures"))
    dsd = _maintainable(dsds, "DataStructure", s.dsd_id, "datastructure.DataStructure", s.names, s.descriptions)
    parts = ET.SubElement(dsd, _q("str", "DataStructureComponents"))
    dim_list = ET.SubElement(parts, _q("str", "DimensionList"), {"id": "DimensionDescriptor"})
    for position, comp in enumerate(s.dimensions, start=1):
        tag = "TimeDimension" if comp.id == TIME_PERIOD else "Dimension"
        _component_xml(dim_list, tag, comp, s, position=str(position))
    attr_list = ET.SubElement(parts, _q("str", "AttributeList"), {"id": "AttributeDescriptor"})
    for comp in s.attributes:
        node = _component_xml(attr_list, "Attribute", comp, s,
                              assignmentStatus="Mandatory" if comp.mandatory else "Conditional")
        _ref(ET.SubElement(ET.SubElement(node, _q("str", "AttributeRelationship")), _q("str", "PrimaryMeasure")),
             id=OBS_VALUE)
    measure_list = ET.SubElement(parts, _q("str", "MeasureList"), {"id": "MeasureDescriptor"})
    _component_xml(measure_list, "PrimaryMeasure", s.measure, s)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# --- SDMX-JSON 2.0 -------------------------------------------------------------------------------------------

def _json_names(names: dict[str, str]) -> dict:
    return {"name": names.get("en") or next(iter(names.values())),
            "names": {lang: names.get(lang) or names["en"] for lang in LANGS}}


def _json_component(comp: Component, s: Structure) -> dict:
    out: dict = {"id": comp.id,
                 "conceptIdentity": f"urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept="
                                    f"{AGENCY}:{s.concept_scheme_id}({VERSION}).{comp.id}"}
    if comp.codelist:
        out["localRepresentation"] = {"enumeration": _urn("codelist.Codelist", comp.codelist)}
    else:
        out["localRepresentation"] = {"format": {"dataType": comp.text_type}}
    return out


def structure_json(dataset_id: str) -> bytes:
    """SDMX-JSON 2.0 structure message (the same artefacts as `structure_xml`); pysdmx reads it."""
    s = structure(dataset_id)

    def maintainable(ident: str, names: dict[str, str], descriptions: dict[str, str] | None = None) -> dict:
        out = {"id": ident, "agencyID": AGENCY, "version": VERSION, "isExternalReference": False, **_json_names(names)}
        if descriptions:
            out |= {"description": descriptions.get("en") or "",
                    "descriptions": {lang: descriptions.get(lang) or descriptions["en"] for lang in LANGS}}
        return out

    dims = [{**_json_component(c, s), "position": i} for i, c in enumerate(s.dimensions)]
    attributes = [{**_json_component(c, s), "usage": "mandatory" if c.mandatory else "optional",
                   "attributeRelationship": {"observation": {}}} for c in s.attributes]
    payload = {
        "meta": {"schema": "https://json.sdmx.org/2.0.0/sdmx-json-structure-schema.json",
                 "id": f"{s.dsd_id}_STRUCTURE", "test": False,
                 "prepared": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "contentLanguages": list(LANGS), "sender": {"id": AGENCY}},
        "data": {
            "dataflows": [{**maintainable(s.dataflow_id, s.names, s.descriptions),
                           "structure": _urn("datastructure.DataStructure", s.dsd_id)}],
            "codelists": [{**maintainable(cl.id, cl.names),
                           "codes": [{"id": c.id, **_json_names(c.names)} for c in cl.codes]}
                          for cl in s.codelists],
            "conceptSchemes": [{**maintainable(s.concept_scheme_id, {
                lang: t("sdmx.concept_scheme", lang, title=s.names.get(lang) or s.names["en"]) for lang in LANGS}),
                "concepts": [{"id": c.id, **_json_names(c.names)} for c in s.components]}],
            "dataStructures": [{**maintainable(s.dsd_id, s.names, s.descriptions), "dataStructureComponents": {
                "dimensionList": {"id": "DimensionDescriptor", "dimensions": dims[:-1], "timeDimension": dims[-1]},
                "attributeList": {"id": "AttributeDescriptor", "attributes": attributes},
                "measureList": {"id": "MeasureDescriptor", "measures": [
                    {**_json_component(s.measure, s), "usage": "mandatory"}]},
            }}],
        },
    }
    return json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")


# --- SDMX-CSV 2.0 data ---------------------------------------------------------------------------------------

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
    if column == ds.area_column and _area_code(chosen):
        return _area_code(chosen)
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
    s = _structure(ds)
    cells = result.shown_cells(view)
    filtered = {name for name, _ in q.filters}
    if q.countries and ds.area_column in q.dims:
        area_total = _area_code(q.countries)
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
