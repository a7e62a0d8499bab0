"""The structure of a dataset as messages: SDMX-ML 2.1 (sdmx1 and pysdmx read it) and SDMX-JSON 2.0 (pysdmx)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from vipmg_core.codelists import LANGS
from vipmg_core.i18n import t
from vipmg_core.sdmx.model import AGENCY, OBS_VALUE, TIME_PERIOD, VERSION, Component, Structure, structure

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
    if descriptions:
        for lang in LANGS:
            ET.SubElement(node, _q("com", "Description"), {_XML_LANG: lang}).text = (descriptions.get(lang)
                                                                                    or descriptions["en"])


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

