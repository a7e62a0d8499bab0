"""The app's own HTTP routes that keep a sign-in across reloads (served by `app.py`, an `st.App`).

After a sign-in the page posts the one-time grant it was given to `/vipmg/session`; the answer sets an HttpOnly,
SameSite=Strict cookie holding a random session id (only its hash is kept, in the catalogue, with an expiry),
which scripts in the page can never read. Each script run then restores the account from that cookie
(`st.context.cookies`). `/vipmg/sign-out` ends the session and deletes the cookie. Started as `streamlit run
Home.py` (no routes), sign-in still works but lasts only while the page stays open.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vipmg_core import web_sessions
from vipmg_core.catalogue import Catalogue
from vipmg_core.config import data_dir

SESSION_PATH = "/vipmg/session"
SIGN_OUT_PATH = "/vipmg/sign-out"
MAX_GRANT_BYTES = 200
_mounted = False  # set when app.py builds the routes: the scripts then ask the browser to use them


def mounted() -> bool:
    return _mounted


def _catalogue() -> Catalogue:
    return Catalogue(data_dir() / "catalogue.sqlite")


def _same_origin(request: Request) -> bool:
    """A browser names the page that sent a POST; refuse one sent from another site."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host", "")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"


async def start_session(request: Request) -> Response:
    """Exchanges a one-time grant (the POST body) for the session cookie."""
    if not _same_origin(request):
        return Response(status_code=403)
    grant = (await request.body())[:MAX_GRANT_BYTES].decode("ascii", errors="replace").strip()
    cookie = await run_in_threadpool(lambda: web_sessions.redeem_grant(_catalogue(), grant))
    if cookie is None:
        return Response(status_code=403)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.set_cookie(web_sessions.COOKIE_NAME, cookie, max_age=int(web_sessions.SESSION_LIFETIME.total_seconds()),
                        path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


async def end_session(request: Request) -> Response:
    if not _same_origin(request):
        return Response(status_code=403)
    cookie = request.cookies.get(web_sessions.COOKIE_NAME)
    if cookie:
        await run_in_threadpool(lambda: web_sessions.revoke(_catalogue(), cookie=cookie))
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.delete_cookie(web_sessions.COOKIE_NAME, path="/", httponly=True, samesite="strict",
                           secure=_secure(request))
    return response


def routes() -> list[Route]:
    global _mounted
    _mounted = True
    return [Route(SESSION_PATH, start_session, methods=["POST"]),
            Route(SIGN_OUT_PATH, end_session, methods=["POST"])]
