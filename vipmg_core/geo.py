"""Offline country polygons (Natural Earth 1:110m, built by `tools/build_reference.py`).

Maps draw the land from this shipped GeoJSON, so they make no outside request. Countries too small for
1:110m (Saint Lucia) have no polygon: draw them at `codelists.country_point`.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from vipmg_core.config import REFERENCE_DIR

GEOJSON_PATH = REFERENCE_DIR / "countries_110m.geojson"


@cache
def _geojson_text() -> str:
    return GEOJSON_PATH.read_text(encoding="utf-8")


def countries_geojson(lang: str = "es") -> dict[str, Any]:
    """A FeatureCollection whose features' properties are `iso3`, `name_es`, `name_en`, and `name` and
    `label` (both the name in `lang`, English if `lang` is unknown).

    The file is read once; each call parses a fresh copy (a few ms), so callers may change it freely.
    """
    collection = json.loads(_geojson_text())
    for feature in collection["features"]:
        props = feature["properties"]
        props["name"] = props["label"] = props.get(f"name_{lang}") or props["name_en"]
    return collection
