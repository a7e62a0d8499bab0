"""The country polygons as a plain HTTP file (served by `app.py`, an `st.App`), so maps fetch them once.

Sent inside every map, the world's polygons (0.2 MB) travelled with each page view, and the browser walked
them through deck.gl's JSON converter before drawing anything: about 0.3 s of every page with a map. Fetched
from `/vipmg/geo/...` they come from this server (no outside request), once per browser (cached, the file's
hash in the URL), and the page is drawn while they load. Started as `streamlit run Home.py` (no routes), maps
carry the polygons inline as before.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vipmg_core.geo import countries_geojson
from vipmg_core.i18n import LANGS

GEO_PATH = "/vipmg/geo/countries_{lang}.geojson"
_mounted = False  # set when app.py builds the routes: the maps then ask the browser to fetch the polygons


@cache
def _body(lang: str) -> bytes:
    """The polygons with only what a map reads: the code (the fill is chosen by it) and the name (tooltips)."""
    collection = countries_geojson(lang)
    for feature in collection["features"]:
        props = feature["properties"]
        feature["properties"] = {"iso3": props["iso3"], "label": props["label"]}
    return json.dumps(collection, separators=(",", ":")).encode("utf-8")


@cache
def _version(lang: str) -> str:
    return hashlib.sha256(_body(lang)).hexdigest()[:12]


def polygons_url(lang: str) -> str | None:
    """Where a map fetches the polygons in `lang`, or None when the route is not served (then maps carry them)."""
    if not _mounted or lang not in LANGS:
        return None
    return GEO_PATH.format(lang=lang) + f"?v={_version(lang)}"


async def polygons(request: Request) -> Response:
    lang = request.path_params["lang"]
    if lang not in LANGS:
        return Response(status_code=404)
    etag = f'"{_version(lang)}"'
    headers = {"Cache-Control": "public, max-age=86400", "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(_body(lang), media_type="application/json", headers=headers)


def routes() -> list[Route]:
    global _mounted
    _mounted = True
    return [Route(GEO_PATH.replace("{lang}", "{lang:str}"), polygons, methods=["GET"])]
