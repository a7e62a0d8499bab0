"""Local accounts: roles, salted slow password hashes (argon2id), throttled and logged logins.

Used where no OpenID Connect provider is configured (workshops, offline deployments). Passwords are never
stored or logged in plain text.

Failed logins are throttled with an exponential back-off (OWASP's advice rather than a hard lock), kept for one
source on one account, for one account from every source, and for one source across accounts: after a few
failures each further one doubles the wait, up to a cap, and attempts refused during a wait change nothing. A
guesser gets a handful of tries an hour; a stranger hammering someone's account from one place slows only
themselves, and from many places keeps the owner out for at most the account's cap. An admin lifts it at once
(`users unlock`, or a password reset). The check, the password verification and the record are one catalogue
transaction, so parallel attempts cannot all slip under the limit.
"""

from __future__ import annotations

import math
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from vipmg_core import web_sessions
from vipmg_core.catalogue import Catalogue, new_id, now_utc
from vipmg_core.codelists import codelist

ROLES = ("focal_point", "reviewer", "admin")
MIN_PASSWORD_LENGTH = 10
USERNAME_MAX_LENGTH = 64
# ASCII only: letters and digits look alike across scripts, and bidi or control characters reorder a name.
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")


@dataclass(frozen=True)
class Backoff:
    """Failures allowed free, then a wait of `first` doubling with each further failure, never above `cap`;
    failures are forgotten after `forget_after` without one."""

    free: int
    first: timedelta
    cap: timedelta
    forget_after: timedelta = timedelta(hours=1)

    def wait(self, failures: int) -> timedelta | None:
        if failures < self.free:
            return None
        return min(self.first * 2 ** min(failures - self.free, 30), self.cap)


# One source guessing one account: 5 tries, then 30 s, 1 min, 2 min ... at most an hour.
GUESS_BACKOFF = Backoff(free=5, first=timedelta(seconds=30), cap=timedelta(hours=1))
# Every source together on one account (guesses spread over many addresses): refuses its owner too, so it starts
# later and its cap is the longest anyone can keep an owner out.
ACCOUNT_BACKOFF = Backoff(free=20, first=timedelta(seconds=30), cap=timedelta(minutes=15))
# One source across every account it tries (one guess at each of many accounts).
SOURCE_BACKOFF = Backoff(free=30, first=timedelta(seconds=30), cap=timedelta(hours=1))
DEMO_PASSWORD = "demo-vipmg-2026"

_hasher = PasswordHasher()


class AuthError(Exception):
    """A login or account action that is refused; the message is safe to show as one line."""

    def __init__(self, code: str, message: str, **values: object):
        super().__init__(message)
        self.code = code
        self.values = values  # for the translated message `auth.error_<code>`


@dataclass(frozen=True)
class Account:
    account_id: str
    username: str
    display_name: str
    role: str
    country: str | None
    institution: str
    email: str
    active: bool
    demo: bool

    @classmethod
    def from_row(cls, row) -> Account:
        return cls(row["account_id"], row["username"], row["display_name"], row["role"], row["country"],
                   row["institution"], row["email"], bool(row["active"]), bool(row["demo"]))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError("weak_password", f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def check_username(username: str | None) -> str:
    """The name without surrounding spaces, if it can be a user name; refused before it is stored or logged."""
    username = (username or "").strip()
    if not (len(username) <= USERNAME_MAX_LENGTH and _USERNAME.fullmatch(username)):
        raise AuthError("bad_username", f"a user name has 1 to {USERNAME_MAX_LENGTH} characters: letters a-z, "
                        "digits and . _ - @ (no spaces or accents)", max=USERNAME_MAX_LENGTH)
    return username


def add_user(cat: Catalogue, username: str, *, role: str, password: str, actor: str, country: str | None = None,
             display_name: str = "", institution: str = "", email: str = "", demo: bool = False) -> Account:
    username = check_username(username)
    if role not in ROLES:
        raise AuthError("bad_role", f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if role == "focal_point":
        if not country or country not in codelist("country") or country == "OOO":
            raise AuthError("bad_country", "a focal point needs --country with an ISO 3166 alpha-3 code")
    elif country:
        raise AuthError("bad_country", "only focal points are bound to a country")
    _check_password(password)
    stamp = now_utc()
    account_id = new_id()
    with cat.transaction() as con:
        if con.execute("SELECT 1 FROM accounts WHERE username = ?", (username,)).fetchone():
            raise AuthError("exists", f"user {username!r} already exists")
        con.execute(
            "INSERT INTO accounts (account_id, username, display_name, role, country, institution, email,"
            " password_hash, active, demo, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
            (account_id, username, display_name or username, role, country if role == "focal_point" else None,
             institution, email, _hasher.hash(password), int(demo), stamp, stamp),
        )
        Catalogue.audit(con, actor, "add_user", "account", username, {"role": role, "country": country})
    return get_user(cat, username)


def get_user(cat: Catalogue, username: str) -> Account:
    rows = cat.query("SELECT * FROM accounts WHERE username = ?", (username,))
    if not rows:
        check_username(username)  # a name that can never exist says why, and is not echoed
        raise AuthError("unknown_user", f"no user {username!r}")
    return Account.from_row(rows[0])


def list_users(cat: Catalogue) -> list[Account]:
    return [Account.from_row(r) for r in cat.query("SELECT * FROM accounts ORDER BY role, country, username")]


def set_active(cat: Catalogue, username: str, active: bool, *, actor: str) -> Account:
    get_user(cat, username)
    with cat.transaction() as con:
        con.execute("UPDATE accounts SET active = ?, updated_at = ? WHERE username = ?",
                    (int(active), now_utc(), username))
        if not active:
            web_sessions.revoke_user(con, username)
        Catalogue.audit(con, actor, "enable_user" if active else "disable_user", "account", username)
    return get_user(cat, username)


def reset_password(cat: Catalogue, username: str, password: str, *, actor: str) -> None:
    """A new password; it works at once (any back-off is lifted) and every signed-in browser is signed out."""
    get_user(cat, username)
    _check_password(password)
    with cat.transaction() as con:
        con.execute("UPDATE accounts SET password_hash = ?, updated_at = ? WHERE username = ?",
                    (_hasher.hash(password), now_utc(), username))
        _forget_failures(con, username)
        web_sessions.revoke_user(con, username)
        Catalogue.audit(con, actor, "reset_password", "account", username)


def unlock(cat: Catalogue, username: str, *, actor: str) -> None:
    """Lifts the back-off on an account, so its owner can sign in again now (admins)."""
    get_user(cat, username)
    with cat.transaction() as con:
        _forget_failures(con, username)
        Catalogue.audit(con, actor, "unlock_user", "account", username)


def _keys(username: str, source: str) -> tuple[tuple[str, Backoff], ...]:
    return ((f"account:{username}|source:{source}", GUESS_BACKOFF), (f"account:{username}", ACCOUNT_BACKOFF),
            (f"source:{source}", SOURCE_BACKOFF))


def _forget_failures(con: sqlite3.Connection, username: str, source: str | None = None) -> None:
    """The account's back-off, from one source or (no source) from all."""
    if source is None:
        prefix = f"account:{username}|"
        con.execute("DELETE FROM login_throttle WHERE throttle_key = ? OR substr(throttle_key, 1, ?) = ?",
                    (f"account:{username}", len(prefix), prefix))
    else:
        con.execute("DELETE FROM login_throttle WHERE throttle_key IN (?, ?)",
                    (f"account:{username}", f"account:{username}|source:{source}"))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _blocked_for(con: sqlite3.Connection, key: str, now: datetime) -> timedelta | None:
    row = con.execute("SELECT blocked_until FROM login_throttle WHERE throttle_key = ?", (key,)).fetchone()
    if row is None or row["blocked_until"] is None:
        return None
    left = datetime.fromisoformat(row["blocked_until"]) - now
    return left if left > timedelta(0) else None


def _record_failure(con: sqlite3.Connection, key: str, backoff: Backoff, now: datetime) -> None:
    row = con.execute("SELECT failures, last_failure FROM login_throttle WHERE throttle_key = ?", (key,)).fetchone()
    failures = 1
    if row is not None and now - datetime.fromisoformat(row["last_failure"]) < backoff.forget_after:
        failures = row["failures"] + 1
    wait = backoff.wait(failures)
    con.execute(
        "INSERT INTO login_throttle (throttle_key, failures, last_failure, blocked_until) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (throttle_key) DO UPDATE SET failures = excluded.failures,"
        " last_failure = excluded.last_failure, blocked_until = excluded.blocked_until",
        (key, failures, _stamp(now), _stamp(now + wait) if wait else None))


def authenticate(cat: Catalogue, username: str, password: str, *, channel: str = "app", source: str | None = None,
                 now: datetime | None = None) -> Account:
    """The account if the password is right; AuthError otherwise. Every attempt is logged.

    The same message for an unknown user and a wrong password, so names cannot be probed. `source` says where
    the attempt comes from (a browser's address, the CLI's operating-system user); `now` is for tests.
    """
    try:
        username = check_username(username)
    except AuthError:
        # Accounts created before names were checked (accents were allowed) may still sign in; no other
        # such name is looked at further, counted or logged.
        if not cat.query("SELECT 1 FROM accounts WHERE username = ?", ((username or "").strip(),)):
            raise
        username = (username or "").strip()
    now = now or datetime.now(UTC)
    source = source or channel
    keys = _keys(username, source)
    with cat.transaction() as con:  # BEGIN IMMEDIATE: check, verify and record before the next attempt looks
        waits = [left for key, _ in keys if (left := _blocked_for(con, key, now)) is not None]
        if waits:
            minutes = math.ceil(max(waits).total_seconds() / 60)
            _log_attempt(con, username, False, channel, source, "throttled")
            outcome = AuthError("throttled", f"too many failed logins; try again in {minutes} min", minutes=minutes)
        else:
            row = con.execute("SELECT * FROM accounts WHERE username = ?", (username,)).fetchone()
            ok = False
            if row is not None:
                try:
                    ok = _hasher.verify(row["password_hash"], password or "")
                except (VerificationError, InvalidHashError):
                    ok = False
            else:
                _hasher.hash(password or "x")  # spend the same time as a real check
            if ok and not row["active"]:
                _log_attempt(con, username, False, channel, source, "disabled")
                outcome = AuthError("disabled", "this account is disabled")
            elif ok:
                _forget_failures(con, username, source)
                _log_attempt(con, username, True, channel, source, "ok")
                return Account.from_row(row)
            else:
                for key, backoff in keys:
                    _record_failure(con, key, backoff, now)
                _log_attempt(con, username, False, channel, source, "wrong")
                outcome = AuthError("wrong", "wrong user name or password")
    raise outcome


def _log_attempt(con: sqlite3.Connection, username: str, success: bool, channel: str, source: str,
                 outcome: str) -> None:
    con.execute("INSERT INTO login_attempts (attempt_id, username, at, success, channel) VALUES (?, ?, ?, ?, ?)",
                (new_id(), username, now_utc(), int(success), channel))
    Catalogue.audit(con, username, "login" if success else "login_failed", "account", username,
                    {"channel": channel, "outcome": outcome, "source": source})


def demo_accounts_enabled() -> bool:
    """Workshop accounts exist only when demo mode is explicitly on (`VIPMG_DEMO_ACCOUNTS=1`)."""
    return os.environ.get("VIPMG_DEMO_ACCOUNTS", "").strip().lower() in ("1", "true", "yes", "on")


def ensure_demo_accounts(cat: Catalogue, countries: list[str]) -> list[Account]:
    """One focal point per country (`fp_cri`...), a reviewer and an admin, all with DEMO_PASSWORD."""
    wanted: list[tuple[str, str, str | None]] = [("reviewer", "reviewer", None), ("admin", "admin", None)]
    wanted += [(f"fp_{c.lower()}", "focal_point", c) for c in countries]
    existing = {a.username for a in list_users(cat)}
    for username, role, country in wanted:
        if username not in existing:
            add_user(cat, username, role=role, country=country, password=DEMO_PASSWORD, actor="system:demo",
                     display_name=username, demo=True)
    return [get_user(cat, u) for u, _, _ in wanted]
