"""Sign-in hardening: the login limit cannot be raced, no stranger can keep an account locked, names are clean,
and a browser's sign-in survives a reload only while its server-side session lives."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vipmg_core import accounts, web_sessions
from vipmg_core.accounts import ACCOUNT_BACKOFF, GUESS_BACKOFF, SOURCE_BACKOFF, AuthError, authenticate
from vipmg_core.catalogue import Catalogue
from vipmg_core.i18n import LANGS, t
from vipmg_core.warehouse import Warehouse

PASSWORD = "correct horse battery"
START = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def cat(tmp_path: Path) -> Catalogue:
    catalogue = Warehouse(tmp_path / "wh").catalogue
    accounts.add_user(catalogue, "fp_gtm", role="focal_point", country="GTM", password=PASSWORD, actor="t")
    accounts.add_user(catalogue, "adm", role="admin", password=PASSWORD, actor="t")
    return catalogue


def outcomes(cat: Catalogue, username: str) -> list[str]:
    return [e["details"]["outcome"] for e in cat.audit_entries("account", username)
            if e["action"] in ("login", "login_failed")]


def attempt(cat: Catalogue, username: str, password: str, at: datetime, source: str) -> str:
    """"ok", or the refusal's code."""
    try:
        authenticate(cat, username, password, source=source, now=at)
    except AuthError as exc:
        return exc.code
    return "ok"


# -- 1. the limit cannot be raced ----------------------------------------------------------------------------

def test_parallel_wrong_passwords_are_checked_against_one_limit(cat):
    """12 wrong passwords at the same instant: only the free ones are verified, the rest wait their turn and
    find the account in back-off (before, all 12 were checked against a limit of 5)."""
    start = threading.Barrier(12)
    codes: list[str] = []

    def guess(i: int) -> None:
        start.wait()
        codes.append(attempt(cat, "fp_gtm", f"wrong-{i}", START, "ip:198.51.100.7"))

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == sorted(["wrong"] * GUESS_BACKOFF.free + ["throttled"] * (12 - GUESS_BACKOFF.free))
    assert outcomes(cat, "fp_gtm").count("wrong") == GUESS_BACKOFF.free


# -- 2. back-off, not a lock anyone can hold ------------------------------------------------------------------

def test_a_stranger_hammering_an_account_from_one_place_slows_only_themselves(cat):
    """A stranger tries every 30 s for an hour; the owner, from her own office, gets in whenever she tries."""
    owner_in = 0
    for second in range(0, 3600, 30):
        now = START + timedelta(seconds=second)
        attempt(cat, "fp_gtm", f"guess-{second}", now, "ip:198.51.100.7")
        if second % 900 == 0:
            owner_in += attempt(cat, "fp_gtm", PASSWORD, now + timedelta(seconds=1), "ip:203.0.113.5") == "ok"
    assert owner_in == 4
    # the stranger got a few guesses, not 120: the back-off grew, and the refused tries did not count
    assert outcomes(cat, "fp_gtm").count("wrong") < 15


def test_strangers_from_many_places_keep_an_account_shut_no_longer_than_the_cap(cat):
    """Guesses from a new address every 10 s for 45 minutes: the account's back-off grows to its cap and no
    further, however many tries are refused meanwhile; then the owner gets in."""
    shut_since: datetime | None = None
    longest = timedelta(0)
    for second in range(0, 45 * 60, 10):
        now = START + timedelta(seconds=second)
        if attempt(cat, "fp_gtm", f"guess-{second}", now, f"ip:198.51.{second // 2560}.{second // 10 % 256}") \
                == "throttled":
            shut_since = shut_since or now
            longest = max(longest, now - shut_since)
        else:
            shut_since = None
    assert ACCOUNT_BACKOFF.cap / 2 < longest <= ACCOUNT_BACKOFF.cap
    assert attempt(cat, "fp_gtm", PASSWORD, now + ACCOUNT_BACKOFF.cap, "ip:203.0.113.5") == "ok"


def test_tries_refused_during_a_back_off_do_not_extend_it(cat):
    for i in range(GUESS_BACKOFF.free):
        assert attempt(cat, "fp_gtm", f"guess-{i}", START, "ip:203.0.113.5") == "wrong"
    wait = GUESS_BACKOFF.wait(GUESS_BACKOFF.free)
    assert wait is not None
    for second in range(1, int(wait.total_seconds()), 5):  # refused, and not counted
        assert attempt(cat, "fp_gtm", f"again-{second}", START + timedelta(seconds=second), "ip:203.0.113.5") \
            == "throttled"
    assert attempt(cat, "fp_gtm", PASSWORD, START + wait, "ip:203.0.113.5") == "ok"


def test_the_wait_doubles_up_to_the_cap():
    for backoff in (GUESS_BACKOFF, ACCOUNT_BACKOFF, SOURCE_BACKOFF):
        waits = [backoff.wait(n) for n in range(backoff.free + 12)]
        assert waits[:backoff.free] == [None] * backoff.free
        growing = [w for w in waits if w is not None]
        assert growing[1] == 2 * growing[0] and growing[-1] == backoff.cap


def test_one_source_guessing_many_accounts_is_slowed_too(cat):
    for i in range(SOURCE_BACKOFF.free):  # one guess at each of many accounts
        assert attempt(cat, f"user{i}", "guess-guess", START, "ip:198.51.100.7") == "wrong"
    assert attempt(cat, "fp_gtm", PASSWORD, START, "ip:198.51.100.7") == "throttled"
    assert attempt(cat, "fp_gtm", PASSWORD, START, "ip:203.0.113.5") == "ok"  # others are not


def test_a_password_reset_or_an_unlock_lets_the_owner_in_at_once(cat):
    """Before, a focal point was still refused with the new password after the admin's reset."""
    for i in range(GUESS_BACKOFF.free):
        attempt(cat, "fp_gtm", f"guess-{i}", START, "cli:ana")
    soon = START + timedelta(seconds=1)
    assert attempt(cat, "fp_gtm", PASSWORD, soon, "cli:ana") == "throttled"
    accounts.reset_password(cat, "fp_gtm", "a brand new password", actor="adm")
    assert attempt(cat, "fp_gtm", "a brand new password", soon, "cli:ana") == "ok"

    for i in range(GUESS_BACKOFF.free):
        attempt(cat, "fp_gtm", f"guess-{i}", soon, "cli:ana")
    assert attempt(cat, "fp_gtm", "a brand new password", soon, "cli:ana") == "throttled"
    accounts.unlock(cat, "fp_gtm", actor="adm")
    assert attempt(cat, "fp_gtm", "a brand new password", soon, "cli:ana") == "ok"
    assert [e["action"] for e in cat.audit_entries("account", "fp_gtm")
            if e["action"] in ("reset_password", "unlock_user")] == ["reset_password", "unlock_user"]


# -- 6. user names -----------------------------------------------------------------------------------------

HOSTILE_NAME = "adm\u202e" + "x" * 100_000  # 100,004 characters with a right-to-left override


@pytest.mark.parametrize("name", [HOSTILE_NAME, "adm\u202enimda", "fp\u200bgtm", "ana\nmaría", "jos\u00e9", "",
                                  "x" * (accounts.USERNAME_MAX_LENGTH + 1), "-admin", "fp gtm"])
def test_a_bad_user_name_is_refused_with_a_clear_message_and_never_stored(cat, name):
    with pytest.raises(AuthError) as created:
        accounts.add_user(cat, name, role="reviewer", password=PASSWORD, actor="t")
    with pytest.raises(AuthError) as signed_in:
        authenticate(cat, name, PASSWORD, source="ip:198.51.100.7")
    assert created.value.code == signed_in.value.code == "bad_username"
    messages = {lang: t("auth.error_bad_username", lang, **created.value.values) for lang in LANGS}
    assert len(set(messages.values())) == len(LANGS) and all(str(accounts.USERNAME_MAX_LENGTH) in m
                                                               for m in messages.values())
    assert len(str(created.value)) < 200
    stored = [" ".join(str(v) for v in row) for table in ("accounts", "login_attempts", "audit_log", "login_throttle")
              for row in cat.query(f"SELECT * FROM {table}")]  # noqa: S608 - fixed table names
    assert not any(name and name.strip() in text for text in stored if name.strip())
    assert max(len(text) for text in stored) < 1000


def test_ordinary_names_are_accepted(cat):
    for name in ("fp_cri", "maria.lopez", "rev2", "ana@inec.cr", "Admin-01"):
        accounts.add_user(cat, name, role="reviewer", password=PASSWORD, actor="t")
    assert authenticate(cat, " maria.lopez ", PASSWORD).username == "maria.lopez"


# -- 8. sessions that survive a reload --------------------------------------------------------------------

def test_a_grant_becomes_a_cookie_once_and_only_its_hash_is_kept(cat):
    session_id, grant = web_sessions.issue_grant(cat, "fp_gtm")
    cookie = web_sessions.redeem_grant(cat, grant)
    assert cookie and web_sessions.user_of_cookie(cat, cookie) == "fp_gtm"
    assert web_sessions.redeem_grant(cat, grant) is None  # a grant works once
    assert web_sessions.user_of_cookie(cat, "forged-" + cookie) is None
    stored = " ".join(str(v) for row in cat.query("SELECT * FROM web_sessions") for v in row)
    assert cookie not in stored and grant not in stored
    assert web_sessions.is_live(cat, session_id)


def test_a_late_grant_or_an_old_session_is_refused(cat):
    _, grant = web_sessions.issue_grant(cat, "fp_gtm", now=START)
    assert web_sessions.redeem_grant(cat, grant, now=START + web_sessions.GRANT_LIFETIME) is None
    _, grant = web_sessions.issue_grant(cat, "fp_gtm", now=START)
    cookie = web_sessions.redeem_grant(cat, grant, now=START)
    assert web_sessions.user_of_cookie(cat, cookie, now=START + web_sessions.SESSION_LIFETIME) is None


@pytest.mark.parametrize("end", ["sign_out", "disable", "reset_password"])
def test_a_session_ends_on_sign_out_disable_and_password_reset(cat, end):
    session_id, grant = web_sessions.issue_grant(cat, "fp_gtm")
    cookie = web_sessions.redeem_grant(cat, grant)
    _, other_grant = web_sessions.issue_grant(cat, "adm")
    other = web_sessions.redeem_grant(cat, other_grant)
    if end == "sign_out":
        web_sessions.revoke(cat, cookie=cookie)
    elif end == "disable":
        accounts.set_active(cat, "fp_gtm", False, actor="adm")
    else:
        accounts.reset_password(cat, "fp_gtm", "a brand new password", actor="adm")
    assert web_sessions.user_of_cookie(cat, cookie) is None and not web_sessions.is_live(cat, session_id)
    assert web_sessions.user_of_cookie(cat, other) == "adm"


def test_an_account_made_before_names_were_checked_still_signs_in_and_can_be_managed(cat):
    """Accents were allowed before: such an account is not locked out by the new rule."""
    from argon2 import PasswordHasher

    with cat.transaction() as con:
        con.execute("INSERT INTO accounts (account_id, username, display_name, role, password_hash, created_at,"
                    " updated_at) VALUES ('old', 'josé', 'José', 'reviewer', ?, 'x', 'x')",
                    (PasswordHasher().hash(PASSWORD),))
    assert authenticate(cat, "josé", PASSWORD).username == "josé"
    assert not accounts.set_active(cat, "josé", False, actor="adm").active
