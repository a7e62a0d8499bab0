"""The data by URL (served by `app.py`, an `st.App`): `/api/v1/...` answered by vipmg_core/api.py.

Public and read-only: no session or cookie is read, so a signed-in person's drafts never reach it; the answer
is computed in a worker thread (the server's event loop keeps serving the pages meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vipmg_core import api, demo
from vipmg_core.config import data_dir
from vipmg_core.downloads import CSV
from vipmg_core.warehouse import Warehouse

_mounted = False  # set when app.py builds the routes: pages then show their data twin's address


@cache
def _warehouse_at(root: str) -> Warehouse:
    return Warehouse(root)


def warehouse() -> Warehouse:
    return _warehouse_at(str(data_dir()))


def routes(get_warehouse: Callable[[], Warehouse] = warehouse) -> list[Route]:
    global _mounted
    _mounted = True

    async def answer(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        path = request.path_params.get("path", "")
        query = parse_qsl(request.url.query, keep_blank_values=True)
        wh = get_warehouse()
        if wh.is_empty() and demo.demo_on_empty():  # first start, asked by URL before any page: as the pages do
            await run_in_threadpool(demo.ensure_demo, wh)
        found = await run_in_threadpool(api.respond, wh, path, query, base_url=base,
                                        if_none_match=request.headers.get("if-none-match"))
        return Response(found.body, status_code=found.status, media_type=found.media_type or None,
                        headers=dict(found.headers))

    return [Route(api.PREFIX, answer, methods=["GET", "HEAD"]),
            Route(api.PREFIX + "/{path:path}", answer, methods=["GET", "HEAD"])]


def data_twin(page: str, params: dict[str, str], fmt: str = CSV) -> str | None:
    """The address of the page's numbers by URL (relative to the server), or None when the routes are not
    served (`streamlit run Home.py`)."""
    return api.data_url(page, params, fmt) if _mounted else None


def page_link(page: str, params: dict[str, str], url: str | None) -> str:
    """The link a person copies from the address bar (`url`: st.context.url, without the query)."""
    parts = urlsplit(url or "")
    base = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    path = parts.path.rstrip("/")
    base += path if path.endswith(f"/{page}") else f"/{page}"
    return f"{base}?{urlencode(params, safe=',*')}" if params else base
