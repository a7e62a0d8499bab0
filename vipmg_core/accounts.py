"""Local accounts: roles, salted slow password hashes (argon2id), rate-limited and logged logins.

Used where no OpenID Connect provider is configured (workshops, offline deployments). Passwords are never
stored or logged in plain text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from vipmg_core.catalogue import Catalogue, new_id, now_utc
from vipmg_core.codelists import codelist

ROLES = ("focal_point", "reviewer", "admin")
MIN_PASSWORD_LENGTH = 10
# Failed logins allowed for one user name within the window before further attempts are refused.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
DEMO_PASSWORD = "demo-vipmg-2026"

_hasher = PasswordHasher()


class AuthError(Exception):
    """A login or account action that is refused; the message is safe to show as one line."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


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


def add_user(cat: Catalogue, username: str, *, role: str, password: str, actor: str, country: str | None = None,
             display_name: str = "", institution: str = "", email: str = "", demo: bool = False) -> Account:
    username = username.strip()
    if not username or any(c.isspace() for c in username):
        raise AuthError("bad_username", "the user name must be one word")
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
        raise AuthError("unknown_user", f"no user {username!r}")
    return Account.from_row(rows[0])


def list_users(cat: Catalogue) -> list[Account]:
    return [Account.from_row(r) for r in cat.query("SELECT * FROM accounts ORDER BY role, country, username")]


def set_active(cat: Catalogue, username: str, active: bool, *, actor: str) -> Account:
    get_user(cat, username)
    with cat.transaction() as con:
        con.execute("UPDATE accounts SET active = ?, updated_at = ? WHERE username = ?",
                    (int(active), now_utc(), username))
        Catalogue.audit(con, actor, "enable_user" if active else "disable_user", "account", username)
    return get_user(cat, username)


def reset_password(cat: Catalogue, username: str, password: str, *, actor: str) -> None:
    get_user(cat, username)
    _check_password(password)
    with cat.transaction() as con:
        con.execute("UPDATE accounts SET password_hash = ?, updated_at = ? WHERE username = ?",
                    (_hasher.hash(password), now_utc(), username))
        Catalogue.audit(con, actor, "reset_password", "account", username)


def authenticate(cat: Catalogue, username: str, password: str, *, channel: str = "app") -> Account:
    """The account if the password is right; AuthError otherwise. Every attempt is logged.

    The same message for an unknown user and a wrong password, so names cannot be probed.
    """
    username = (username or "").strip()
    since = (datetime.now(UTC) - FAILURE_WINDOW).isoformat(timespec="seconds")
    (failures,), = cat.query(
        "SELECT COUNT(*) FROM login_attempts WHERE username = ? AND success = 0 AND at >= ?", (username, since))
    if failures >= MAX_FAILURES:
        _log_attempt(cat, username, False, channel, "locked")
        raise AuthError("locked", f"too many failed logins; try again in {FAILURE_WINDOW.seconds // 60} minutes")
    rows = cat.query("SELECT * FROM accounts WHERE username = ?", (username,))
    ok = False
    if rows:
        try:
            ok = _hasher.verify(rows[0]["password_hash"], password or "")
        except (VerificationError, InvalidHashError):
            ok = False
    else:
        _hasher.hash(password or "x")  # spend the same time as a real check
    if ok and not rows[0]["active"]:
        _log_attempt(cat, username, False, channel, "disabled")
        raise AuthError("disabled", "this account is disabled")
    _log_attempt(cat, username, ok, channel, "ok" if ok else "wrong")
    if not ok:
        raise AuthError("wrong", "wrong user name or password")
    return Account.from_row(rows[0])


def _log_attempt(cat: Catalogue, username: str, success: bool, channel: str, outcome: str) -> None:
    with cat.transaction() as con:
        con.execute("INSERT INTO login_attempts (attempt_id, username, at, success, channel) VALUES (?, ?, ?, ?, ?)",
                    (new_id(), username, now_utc(), int(success), channel))
        Catalogue.audit(con, username or "?", "login" if success else "login_failed", "account", username or "?",
                        {"channel": channel, "outcome": outcome})


def demo_accounts_enabled() -> bool:
    """Workshop accounts exist only when demo mode is explicitly on (`VIPMG_DEMO_ACCOUNTS=1`)."""
    return os.environ.get("VIPMG_DEMO_ACCOUNTS", "").strip().lower() in ("1", "true", "yes", "on")


def ensure_demo_accounts(cat: Catalogue, countries: list[str]) -> list[Account]:
    """One focal point per country (`fp_cri`...), a reviewer and an admin, all with DEMO_PASSWORD."""
    wanted = [("reviewer", "reviewer", None), ("admin", "admin", None)]
    wanted += [(f"fp_{c.lower()}", "focal_point", c) for c in countries]
    existing = {a.username for a in list_users(cat)}
    for username, role, country in wanted:
        if username not in existing:
            add_user(cat, username, role=role, country=country, password=DEMO_PASSWORD, actor="system:demo",
                     display_name=username, demo=True)
    return [get_user(cat, u) for u, _, _ in wanted]
