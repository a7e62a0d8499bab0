"""Sign-ins that survive a reload: a random session id in an HttpOnly cookie, only its hash in the catalogue.

After a sign-in the page gets a one-time grant (valid two minutes) and exchanges it, through the app's own
`/vipmg/session` route, for the cookie; the secret in the cookie never reaches the page's scripts. A session
ends when it expires, on sign-out, and for every browser of an account when the account is disabled or its
password reset.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from datetime import UTC, datetime, timedelta

from vipmg_core.catalogue import Catalogue, new_id

COOKIE_NAME = "vipmg_session"
SESSION_LIFETIME = timedelta(hours=12)
GRANT_LIFETIME = timedelta(minutes=2)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def issue_grant(cat: Catalogue, username: str, *, now: datetime | None = None) -> tuple[str, str]:
    """A new session of `username`, not yet bound to a cookie: (its id, the one-time grant for the browser)."""
    now = now or datetime.now(UTC)
    grant = secrets.token_urlsafe(32)
    session_id = new_id()
    with cat.transaction() as con:
        con.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (_stamp(now),))
        con.execute(
            "INSERT INTO web_sessions (session_id, username, grant_hash, grant_expires, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (session_id, username, _hash(grant), _stamp(now + GRANT_LIFETIME), _stamp(now),
             _stamp(now + SESSION_LIFETIME)))
    return session_id, grant


def redeem_grant(cat: Catalogue, grant: str, *, now: datetime | None = None) -> str | None:
    """The cookie's secret for a valid, unused grant (it works once); None otherwise."""
    if not grant:
        return None
    now = now or datetime.now(UTC)
    secret = secrets.token_urlsafe(32)
    with cat.transaction() as con:
        changed = con.execute(
            "UPDATE web_sessions SET grant_hash = NULL, grant_expires = NULL, cookie_hash = ?"
            " WHERE grant_hash = ? AND grant_expires > ? AND revoked_at IS NULL",
            (_hash(secret), _hash(grant), _stamp(now))).rowcount
    return secret if changed == 1 else None


def user_of_cookie(cat: Catalogue, secret: str | None, *, now: datetime | None = None) -> str | None:
    """Whose live session the cookie holds, or None (unknown, expired or revoked)."""
    if not secret:
        return None
    rows = cat.query("SELECT username FROM web_sessions WHERE cookie_hash = ? AND revoked_at IS NULL"
                     " AND expires_at > ?", (_hash(secret), _stamp(now or datetime.now(UTC))))
    return rows[0]["username"] if rows else None


def is_live(cat: Catalogue, session_id: str, *, now: datetime | None = None) -> bool:
    rows = cat.query("SELECT 1 FROM web_sessions WHERE session_id = ? AND revoked_at IS NULL AND expires_at > ?",
                     (session_id, _stamp(now or datetime.now(UTC))))
    return bool(rows)


def revoke(cat: Catalogue, *, session_id: str | None = None, cookie: str | None = None) -> None:
    """Ends one session, named by its id or by its cookie's secret (sign-out)."""
    with cat.transaction() as con:
        if session_id:
            con.execute("UPDATE web_sessions SET revoked_at = ? WHERE session_id = ? AND revoked_at IS NULL",
                        (_stamp(datetime.now(UTC)), session_id))
        if cookie:
            con.execute("UPDATE web_sessions SET revoked_at = ? WHERE cookie_hash = ? AND revoked_at IS NULL",
                        (_stamp(datetime.now(UTC)), _hash(cookie)))


def revoke_user(con: sqlite3.Connection, username: str) -> None:
    """Ends every session of an account, inside the caller's transaction (disable, password reset)."""
    con.execute("UPDATE web_sessions SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL",
                (_stamp(datetime.now(UTC)), username))
