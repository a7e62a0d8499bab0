"""SDMX for every dataset, generated from its declaration: a structure message and full-key SDMX-CSV 2.0 data.

    from vipmg_core import sdmx
    sdmx.structure_id("returns")        # "VIPMG:DSD_RETURNS(1.0)", the STRUCTURE_ID of every data file of it
    sdmx.structure_xml("returns")       # SDMX-ML 2.1 Structure message (sdmx1 and pysdmx read it)
    sdmx.structure_json("returns")      # SDMX-JSON 2.0 structure message (pysdmx reads it; sdmx1 reads no JSON structure)
    sdmx.data_csv(crosstab_result)      # SDMX-CSV 2.0 of the cells the cross-tab shows

`model`: the structure (concepts, codelists, data structure, dataflow) and the codes; `messages`: it as SDMX-ML and
SDMX-JSON; `data`: the cells of a cross-tab as SDMX-CSV with the full key.
"""

from vipmg_core.sdmx.data import MISSING_VALUE, SdmxError, data_csv, period_range, unwritable
from vipmg_core.sdmx.messages import structure_json, structure_xml
from vipmg_core.sdmx.model import (
    AGENCY,
    CONF_CONFIDENTIAL,
    CONF_FREE,
    MEASURE,
    OBS_LOW_RELIABILITY,
    OBS_LOWER_BOUND,
    OBS_MISSING,
    OBS_NORMAL,
    OBS_SUPPRESSED,
    OBS_VALUE,
    PERCENTS,
    PROJECT_AREA,
    TIME_PERIOD,
    UNITS,
    VERSION,
    Code,
    Codelist,
    Component,
    Structure,
    area_aggregates,
    component_id,
    measure_code,
    structure,
    structure_id,
)

__all__ = [
    "AGENCY", "CONF_CONFIDENTIAL", "CONF_FREE", "MEASURE", "MISSING_VALUE", "OBS_LOWER_BOUND", "OBS_LOW_RELIABILITY",
    "OBS_MISSING", "OBS_NORMAL", "OBS_SUPPRESSED", "OBS_VALUE", "PERCENTS", "PROJECT_AREA", "TIME_PERIOD", "UNITS",
    "VERSION", "Code", "Codelist", "Component", "SdmxError", "Structure", "area_aggregates", "component_id",
    "data_csv", "measure_code", "period_range", "structure", "structure_id", "structure_json", "structure_xml",
    "unwritable",
]
