"""The data by URL: a versioned, read-only API over what the public pages show (no Streamlit here).

`respond(wh, path, query)` turns a request under `/api/v1/` into an `Answer` (status, bytes, media type,
headers); vipmg_ui/api_routes.py serves it. What it answers:

- `/api/v1/` the index and its links; `/api/v1/openapi.json` the OpenAPI description;
- `/api/v1/catalogue.json` the published datasets with their releases (publisher, edition, version);
- `/api/v1/datasets/{id}/structure.xml|.json` a dataset's SDMX structure;
- `/api/v1/{crosstab|flowmap|profile}.{csv|json|sdmx.csv}?<the page's own link parameters>`: the numbers of
  that view, made by the same functions as the page's download buttons (vipmg_core/downloads.py), so
  `/crosstab?xds=returns&xr=sex` on a page has `/api/v1/crosstab.csv?xds=returns&xr=sex` as its data twin.

It reads as the public does: published releases only (a staged submission or a draft never reaches it), through
the same computations as the pages, which apply the disclosure gate. Answers are kept per release token (which
moves when a release is published, superseded or withdrawn) and send an ETag from it; a bad parameter gets a 400
with the reason in Spanish and English, an unknown path a 404, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields, replace
from urllib.parse import urlencode

from vipmg_core import citation, downloads, library, links, sdmx
from vipmg_core import crosstab as xt
from vipmg_core import profiles as pr
from vipmg_core.datasets import dataset_ids, datasets
from vipmg_core.i18n import DEFAULT_LANG, LANGS, TranslatedError, t
from vipmg_core.kept import Kept
from vipmg_core.link_values import as_text, listed
from vipmg_core.warehouse import Warehouse

VERSION = "v1"
PREFIX = f"/api/{VERSION}"
VIEWS = ("crosstab", "flowmap", "profile")
# Kept by any cache, but asked again each time: the ETag answers 304 until a release moves, and a publication is
# seen at once (a max-age would serve the old figures for its length).
CACHE_CONTROL = "public, no-cache"
_VIEW_PATH = re.compile(r"^(crosstab|flowmap|profile)\.(csv|json|sdmx\.csv|xlsx)$")
_STRUCTURE_PATH = re.compile(r"^datasets/([a-z0-9_]+)/structure\.(xml|json)$")
_log = logging.getLogger("vipmg")

# A word on each link parameter for the OpenAPI description, by the link's field (vipmg_core/links.py names the
# parameters and their values; a field added there without a word here fails at import, so the description
# cannot fall behind).
_CONTEXT = {"lang": "language of labels, notes and citation",
            "dataset_ids": "datasets offered by the sidebar (ids, comma-separated)",
            "countries": "reporting countries (ISO3, comma-separated; default: every project country)",
            "years": "years, first-last (e.g. 2020-2024; default: every year with data)"}
_FIELDS: dict[str, dict[str, str]] = {
    "crosstab": {"dataset": "dataset id (see catalogue.json)", "rows": "dimensions on rows (comma-separated)",
                 "cols": "dimensions on columns", "measure": "measure: count, weighted or mean:VARIABLE",
                 "percent": "percent of the row, column or total", "totals": "totals", "subtotals": "subtotals",
                 "top": "keep the N largest row groups, 0 every row", "sort": "row order",
                 "codes": "codes beside names", "quality": "n and CV columns (survey, census)",
                 "source": "where products overlap, the one to read", "shading": "shading (page only)",
                 "chart": "chart kind (page only)"},
    "flowmap": {"dataset": "dataset id with origin and destination", "role": "reading of origin/destination (0, 1...)",
                "direction": "flows to, from, to and from, or between the countries",
                "countries": "selected countries (ISO3, comma-separated; * = every flow)",
                "period": "period (2024) or range (2021-01/2024-12)", "top": "number of largest flows kept"},
    "profile": {"area": "country (ISO3), group or REGION", "pool": "survey years pooled"},
}
LINKS: dict[str, type[links.CrosstabLink | links.FlowLink | links.ProfileLink]] = {
    "crosstab": links.CrosstabLink, "flowmap": links.FlowLink, "profile": links.ProfileLink}
for _page, _link in LINKS.items():
    assert set(_FIELDS[_page]) == set(_link.PARAMS), f"{_page}: describe every link parameter"
assert set(_CONTEXT) == set(links.Context.PARAMS)


def _described(text: str, choices: Collection[object] | None, default: object = None) -> str:
    """A parameter's word, with the values links.py allows and its default, where they hold for every dataset."""
    said = [listed(choices)] if choices else []
    if default is not None and default != "":
        said.append(f"default {as_text(default)}")
    return f"{text} ({'; '.join(said)})" if said else text


def _default(link: type[links.CrosstabLink | links.FlowLink | links.ProfileLink], field: str) -> object:
    found = next(f for f in fields(link) if f.name == field)
    return None if found.default is MISSING else found.default


PARAMETERS: dict[str, dict[str, str]] = {
    page: {link.PARAMS[f]: _described(text, link.CHOICES.get(f), _default(link, f) if f in link.CHOICES else None)
           for f, text in _FIELDS[page].items()}
    | ({f"{link.FILTER}<dimension>": "keep only these codes of a dimension"} if link.FILTER else {})
    | {links.Context.PARAMS[f]: _described(text, links.Context.CHOICES.get(f), DEFAULT_LANG if f == "lang" else None)
       for f, text in _CONTEXT.items()}
    for page, link in LINKS.items()}


class ApiError(TranslatedError):
    prefix = "api.error"

    def __init__(self, key: str, status: int = 400, **values: object):
        self.status = status
        super().__init__(key, **values)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    media_type: str
    headers: tuple[tuple[str, str], ...] = ()


_ANSWERS: Kept[Answer] = Kept(128)  # computed answers (bounded), keyed by the release token among the rest


def clear_cache() -> None:
    global _ANSWERS
    _ANSWERS = Kept(128)


def release_token(wh: Warehouse) -> str:
    """Moves when a release is published, superseded or withdrawn (staging a submission does not move it)."""
    return wh.remembered(("api.release_token",), lambda: library.data_version(wh)["token"])


def respond(wh: Warehouse, path: str, query: Sequence[tuple[str, str]], *, base_url: str = "",
            if_none_match: str | None = None) -> Answer:
    """The answer to GET `PREFIX/<path>?<query>`; `base_url` (scheme and host) makes the links absolute."""
    path = path.strip("/")
    lang = next((v for k, v in query if k == "lang"), DEFAULT_LANG)
    lang = lang if lang in LANGS else DEFAULT_LANG
    try:
        params = _single(query)
        token = release_token(wh)
        key = (str(wh.root), token, path, tuple(sorted(params.items())), base_url)
        etag = '"' + hashlib.sha256(repr((VERSION, *key[1:])).encode()).hexdigest()[:24] + '"'
        if if_none_match and etag in [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]:
            return Answer(304, b"", "", (("ETag", etag), ("Cache-Control", CACHE_CONTROL)))
        found = _ANSWERS.get(key, lambda: _compute(wh, path, params, lang, base_url, token))
        return replace(found, headers=(*found.headers, ("ETag", etag), ("Cache-Control", CACHE_CONTROL),
                                       ("Access-Control-Allow-Origin", "*"), ("Content-Language", lang)))
    except ApiError as exc:
        return _error(exc.status, exc)
    except TranslatedError as exc:  # the view's own checks (dataset, codes, periods, area, format)
        return _error(400, exc)
    except Exception:  # noqa: BLE001 - the operator reads it in the log; the caller a plain sentence
        _log.exception("API %s failed (parameters %s)", path, dict(query))
        return _error(500, ApiError("internal", status=500))


def _error(status: int, exc: TranslatedError) -> Answer:
    body = {"error": {"status": status, "code": exc.key, **{lang: exc.message(lang) for lang in LANGS}}}
    return Answer(status, json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json",
                  (("Cache-Control", "no-store"), ("Access-Control-Allow-Origin", "*")))


def _single(query: Sequence[tuple[str, str]]) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in query:
        if name in params:
            raise ApiError("repeated", name=name)
        params[name] = value
    return params


def _compute(wh: Warehouse, path: str, params: Mapping[str, str], lang: str, base_url: str, token: str) -> Answer:
    if path in ("", "index.json"):
        return _json(index(base_url, lang, token))
    if path == "openapi.json":
        return _json(openapi(base_url))
    if path == "catalogue.json":
        return _json(catalogue(wh, lang, base_url, token))
    if match := _STRUCTURE_PATH.match(path):
        return structure(wh, match.group(1), match.group(2), base_url)
    match = _VIEW_PATH.match(path)
    if not match:
        raise ApiError("not_found", status=404, path=f"{PREFIX}/{path}", index=f"{base_url}{PREFIX}/")
    page, fmt = match.groups()
    link = view_link(page, params, base_url)
    body = view_file(wh, page, fmt, params, lang, link)
    headers = [("Link", f'<{link}>; rel="cite-as"')]
    if fmt != downloads.JSON:  # the JSON twin holds the metadata and the citation a table has no room for
        described = data_url(page, params, downloads.JSON, base_url)
        headers = [("Link", f'<{link}>; rel="cite-as", <{described}>; rel="describedby"; type="application/json"')]
    if fmt != downloads.JSON:
        headers.append(("Content-Disposition", f'inline; filename="{page}.{fmt}"'))
    return Answer(200, body, downloads.MEDIA_TYPES[fmt], tuple(headers))


def _json(payload: dict) -> Answer:
    return Answer(200, json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8"), "application/json")


# -- views ---------------------------------------------------------------------------------------------------

def view_link(page: str, params: Mapping[str, str], base_url: str = "") -> str:
    """The page's own link for these parameters: what "copy link" on the page gives."""
    return f"{base_url}/{page}?{urlencode(params, safe=',*')}" if params else f"{base_url}/{page}"


def data_url(link_or_page: str, params: Mapping[str, str] | None = None, fmt: str = downloads.CSV,
             base_url: str = "") -> str:
    """A page's data twin: `/crosstab?xds=...` -> `/api/v1/crosstab.csv?xds=...`."""
    query = f"?{urlencode(params, safe=',*')}" if params else ""
    return f"{base_url}{PREFIX}/{link_or_page}.{fmt}{query}"


def view_file(wh: Warehouse, page: str, fmt: str, params: Mapping[str, str], lang: str, link: str) -> bytes:
    """A view's numbers as the page's download makes them, its link read by the page's own link class; a CSV
    without the page file's `#` lines (the header first, as `pandas.read_csv(url)` and spreadsheets expect).

    The link is read strictly: what the page would silently replace by a default (an unknown name, code or
    choice) is refused with a `links.LinkError` that says which parameter and what it may hold, since a program
    asking for data should hear what was wrong; a dataset with nothing published is a 404."""
    context = links.Context.from_params(params, wh, strict=True)
    if page == "crosstab":
        _published(wh, links.CrosstabLink.dataset_of(params, context, strict=True))
        query, shown, _ = links.CrosstabLink.from_params(params, wh, context, strict=True).query()
        return downloads.crosstab_file(xt.compute(query, wh), shown, lang, fmt, link, preamble=False)
    if page == "flowmap":
        _published(wh, links.FlowLink.dataset_of(params, context, strict=True))
        flow = links.FlowLink.from_params(params, wh, context, strict=True)
        return downloads.flows_file(links.flows(wh, flow.query(wh)), wh, lang, fmt, link, preamble=False)
    code, period, pool = links.ProfileLink.from_params(params, wh, context, strict=True).query()
    return downloads.profile_file(pr.kept_profile(wh, code, period, pool), lang, fmt, link, preamble=False)


def _published(wh: Warehouse, dataset_id: str) -> None:
    """A dataset with nothing published has no numbers to give: say so, rather than answer an empty table."""
    if not wh.releases(dataset_id):
        raise ApiError("unknown_dataset", status=404, dataset=dataset_id, catalogue=f"{PREFIX}/catalogue.json")


# -- catalogue, structure, index, OpenAPI --------------------------------------------------------------------

def catalogue(wh: Warehouse, lang: str, base_url: str = "", token: str = "") -> dict:
    """The published datasets: what each counts, its dimensions, its releases, how to cite it, where to read it."""
    out = []
    for ds in datasets():
        releases = wh.releases(ds.id)
        if not releases:
            continue
        page = view_link("crosstab", {"xds": ds.id}, base_url)
        out.append({
            "id": ds.id, "title": ds.titles, "unit": ds.unit, "counts_events": ds.counts_events, "kind": ds.kind,
            "time_format": ds.time_format,
            "dimensions": [{"name": d.name, "label": d.labels, "codelist": d.codelist_id} for d in ds.dimensions],
            "releases": [{"release_id": r.release_id, "scope": r.scope, "version": r.version,
                          "publisher": r.publisher, "edition": r.edition, "published_at": r.published_at,
                          "synthetic": r.synthetic, "rows": r.row_count} for r in releases],
            "citation": citation.cite(lang, title=ds.title(lang), sources=citation.sources_of(releases), link=page,
                                      accessed=_today()),
            "links": {"page": page, "crosstab_csv": data_url("crosstab", {"xds": ds.id}, base_url=base_url),
                      "structure_xml": f"{base_url}{PREFIX}/datasets/{ds.id}/structure.xml",
                      "structure_json": f"{base_url}{PREFIX}/datasets/{ds.id}/structure.json"},
        })
    return {"release_token": token, "datasets": out}


def _today() -> str:
    from vipmg_core.catalogue import now_utc

    return now_utc()[:10]


def structure(wh: Warehouse, dataset_id: str, fmt: str, base_url: str = "") -> Answer:
    if dataset_id not in dataset_ids() or not wh.releases(dataset_id):
        raise ApiError("unknown_dataset", status=404, dataset=dataset_id, catalogue=f"{base_url}{PREFIX}/catalogue.json")
    body = sdmx.structure_xml(dataset_id) if fmt == "xml" else sdmx.structure_json(dataset_id)
    media = ("application/vnd.sdmx.structure+xml; version=2.1" if fmt == "xml"
             else "application/vnd.sdmx.structure+json; version=2.0")
    return Answer(200, body, media)


def index(base_url: str, lang: str, token: str) -> dict:
    api = f"{base_url}{PREFIX}"
    return {"title": t("api.title", lang), "description": t("api.description", lang), "version": VERSION,
            "release_token": token,
            "links": {"catalogue": f"{api}/catalogue.json", "openapi": f"{api}/openapi.json",
                      "structure": f"{api}/datasets/{{id}}/structure.xml",
                      "crosstab": f"{api}/crosstab.csv?xds=returns&xr=ref_area&xc=sex",
                      "flowmap": f"{api}/flowmap.json?fds=returns&fct=GTM&fdir=in",
                      "profile": f"{api}/profile.csv?pc=GTM"},
            "formats": {page: list(downloads.FORMATS[page]) for page in VIEWS}}


def openapi(base_url: str = "") -> dict:
    """OpenAPI 3.1 description of the routes and of each view's link parameters."""
    error = {"description": "bad parameter (400) or unknown path (404): the reason in Spanish and English",
             "content": {"application/json": {"schema": {"type": "object", "properties": {"error": {
                 "type": "object", "properties": {"status": {"type": "integer"}, "code": {"type": "string"},
                                                  "es": {"type": "string"}, "en": {"type": "string"}}}}}}}}
    ok_json = {"description": "JSON", "content": {"application/json": {}}}
    paths: dict[str, dict] = {
        f"{PREFIX}/": {"get": {"summary": "Index and links", "responses": {"200": ok_json}}},
        f"{PREFIX}/catalogue.json": {"get": {"summary": "Published datasets, releases and citations",
                                             "responses": {"200": ok_json}}},
        f"{PREFIX}/datasets/{{id}}/structure.{{format}}": {"get": {
            "summary": "SDMX structure of a dataset (format: xml or json)",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                           {"name": "format", "in": "path", "required": True,
                            "schema": {"enum": ["xml", "json"]}}],
            "responses": {"200": {"description": "SDMX structure"}, "404": error}}},
    }
    for page in VIEWS:
        formats = list(downloads.FORMATS[page])
        parameters = [{"name": "format", "in": "path", "required": True, "schema": {"enum": formats}}]
        parameters += [{"name": name, "in": "query", "required": name in ("xds", "pc"), "description": text,
                        "schema": {"type": "string"}} for name, text in PARAMETERS[page].items() if "<" not in name]
        paths[f"{PREFIX}/{page}.{{format}}"] = {"get": {
            "summary": f"The numbers of a /{page} view: the page's link parameters, unchanged",
            "description": "; ".join(f"{n}: {d}" for n, d in PARAMETERS[page].items() if "<" in n),
            "parameters": parameters,
            "responses": {"200": {"description": "the view's numbers; ETag by release; Link rel=cite-as",
                                  "content": {downloads.MEDIA_TYPES[f]: {} for f in formats}},
                          "304": {"description": "not modified (If-None-Match)"}, "400": error, "404": error}}}
    return {"openapi": "3.1.0",
            "info": {"title": t("api.title", "en"), "version": VERSION, "description": t("api.description", "en")},
            "servers": [{"url": base_url or "/"}], "paths": paths}
