"""Command-line accounts, submissions and publication: the same rules as the app, for offices that automate.

A wrong password or a forbidden action exits non-zero with one line saying why.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from vipmg_core import accounts
from vipmg_core.accounts import AuthError
from vipmg_core.permissions import Action, Forbidden, require
from vipmg_core.submissions import SubmissionError, SubmissionStore
from vipmg_core.warehouse import Warehouse

EXIT_REFUSED = 3


class Refused(Exception):
    """Authentication or authorisation refused: exit EXIT_REFUSED with the reason."""


def read_password(args: argparse.Namespace) -> str:
    if not getattr(args, "password_stdin", False):
        raise Refused("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise Refused("no password on standard input")
    return password


def _source() -> str:
    """Where a CLI login comes from, for throttling: the operating-system user running it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _login(wh: Warehouse, args: argparse.Namespace) -> accounts.Account:
    try:
        return accounts.authenticate(wh.catalogue, args.user, read_password(args), channel="cli", source=_source())
    except AuthError as exc:
        raise Refused(str(exc)) from None


def _acting_admin(wh: Warehouse, args: argparse.Namespace) -> str:
    """Who runs an account command. The first account may be created by the machine's operator; after that,
    an admin's credentials are needed (`--as-user NAME --as-password-stdin`)."""
    if not accounts.list_users(wh.catalogue):
        return "operator"
    if not args.as_user:
        raise Refused("an admin must authorise this: add --as-user ADMIN (password on stdin after the new one)")
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        admin = accounts.authenticate(wh.catalogue, args.as_user, password, channel="cli", source=_source())
        require(admin, Action.MANAGE_ACCOUNTS)
    except (AuthError, Forbidden) as exc:
        raise Refused(str(exc)) from None
    return admin.username


def cmd_users(args: argparse.Namespace) -> int:
    wh = Warehouse()
    if args.users_command == "list":
        users = accounts.list_users(wh.catalogue)
        if args.json:
            print(json.dumps([{"username": u.username, "role": u.role, "country": u.country, "active": u.active,
                               "institution": u.institution, "demo": u.demo} for u in users], indent=2))
        for u in [] if args.json else users:
            print(f"{u.username:<20} {u.role:<12} {u.country or '-':<4} {'active' if u.active else 'disabled'}")
        return 0
    if args.users_command == "add":
        password = read_password(args)
        actor = _acting_admin(wh, args)
        user = accounts.add_user(wh.catalogue, args.name, role=args.role, country=args.country, password=password,
                                 actor=actor, institution=args.institution or "", email=args.email or "")
        print(f"added {user.username} ({user.role}{', ' + user.country if user.country else ''})")
        return 0
    if args.users_command == "reset-password":
        password = read_password(args)
        actor = _acting_admin(wh, args)
        accounts.reset_password(wh.catalogue, args.name, password, actor=actor)
        print(f"password of {args.name} changed; any back-off lifted and every browser signed out")
        return 0
    if args.users_command == "unlock":
        actor = _acting_admin(wh, args)
        accounts.unlock(wh.catalogue, args.name, actor=actor)
        print(f"{args.name} may sign in again now")
        return 0
    actor = _acting_admin(wh, args)
    accounts.set_active(wh.catalogue, args.name, args.users_command == "enable", actor=actor)
    print(f"{args.name} {args.users_command}d")
    return 0


def cmd_submissions(args: argparse.Namespace) -> int:
    wh = Warehouse()
    store = SubmissionStore(wh)
    account = _login(wh, args) if args.user else None
    subs = store.list(account, country=args.country, dataset_id=args.dataset, status=args.status)
    if account is None:
        # The public sees no submissions, only what is published (the Catalogue and exports show that).
        raise Refused("submissions are visible to signed-in focal points and reviewers: add --user NAME")
    if args.json:
        print(json.dumps([{
            "id": s.submission_id, "dataset": s.dataset_id, "country": s.country, "period": s.period,
            "version": s.version, "status": s.status, "file": s.file_name, "sha256": s.file_sha256,
            "rows": s.row_count, "submitter": s.submitter, "created_at": s.created_at, "reason": s.reason,
        } for s in subs], ensure_ascii=False, indent=2))
        return 0
    for s in subs:
        print(f"{s.submission_id}  {s.dataset_id:<20} {s.country} {s.period:<17} v{s.version} {s.status:<10} "
              f"{s.file_name}")
    if not subs:
        print("no submissions")
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    """Validate a file and, when it is ready, keep it as a new submission for review (same rules as the app)."""
    from pathlib import Path

    from vipmg_core import mapping as mp
    from vipmg_core.readers import ReadError
    from vipmg_core.validation import validate_path

    wh = Warehouse()
    account = _login(wh, args)
    country = args.country.strip().upper()
    require(account, Action.SUBMIT, country)  # before reading anything: refuse early and clearly
    profile = None
    if args.mapping:
        try:
            profile = mp.load_profile(wh.catalogue, args.dataset, country, args.mapping)
        except KeyError as exc:
            raise SubmissionError(str(exc.args[0])) from None
    try:
        read, report = validate_path(args.file, args.dataset, country, wh, profile=profile)
    except ReadError as exc:
        raise SubmissionError(exc.message("en")) from None
    if not report.ready:
        raise SubmissionError(f"the file has {report.errors} errors: run `validate` to see them, fix, and send again")
    sub = SubmissionStore(wh).create_from_report(  # the bytes validated, read once, not the file read again
        account, report, read.data, file_name=Path(args.file).name,
        source_institution=args.institution or account.institution, definitions=args.definitions or "",
        notes=args.notes or "", submit=not args.draft)
    print(f"{sub.submission_id}: {sub.status} ({sub.dataset_id} {sub.country} {sub.period} v{sub.version}, "
          f"{sub.row_count} rows, {report.warnings} warnings)")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    wh = Warehouse()
    account = _login(wh, args)
    store = SubmissionStore(wh)
    if args.reject:
        sub = store.reject(account, args.id, args.reject)
    else:
        sub = store.publish(account, args.id)
    print(f"{sub.submission_id}: {sub.status} ({sub.dataset_id} {sub.country} {sub.period} v{sub.version})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("users", help="manage local accounts (focal points, reviewers, admins)")
    users = p.add_subparsers(dest="users_command", metavar="ACTION", required=True, parser_class=type(p))
    a = users.add_parser("add", help="add an account (the password is read from standard input)")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=accounts.ROLES)
    a.add_argument("--country", help="ISO3 country of a focal point")
    a.add_argument("--institution")
    a.add_argument("--email")
    a.add_argument("--password-stdin", action="store_true", help="read the new password from standard input")
    a.add_argument("--as-user", help="the admin authorising this (their password on the next stdin line)")
    a = users.add_parser("list", help="list accounts")
    a.add_argument("--json", action="store_true")
    for action, text in (("disable", "disable an account (and sign it out everywhere)"),
                         ("enable", "enable an account"),
                         ("unlock", "lift the back-off after failed logins, so the owner may sign in now")):
        a = users.add_parser(action, help=text)
        a.add_argument("name")
        a.add_argument("--as-user", help="the admin authorising this (password on standard input)")
    a = users.add_parser("reset-password", help="set a new password (read from standard input)")
    a.add_argument("name")
    a.add_argument("--password-stdin", action="store_true")
    a.add_argument("--as-user", help="the admin authorising this (their password on the next stdin line)")
    p.set_defaults(func=cmd_users)

    p = sub.add_parser("submit", help="validate a file and send it for review (focal points, own country only)")
    p.add_argument("file")
    p.add_argument("--dataset", required=True)
    p.add_argument("--country", required=True, help="ISO3 code of your country")
    p.add_argument("--user", required=True)
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument("--mapping", help="name of a saved mapping profile")
    p.add_argument("--institution", help="source institution (default: the account's)")
    p.add_argument("--definitions", help="definitions used, if they differ from the standard")
    p.add_argument("--notes")
    p.add_argument("--draft", action="store_true", help="keep it as a draft instead of sending it for review")
    p.set_defaults(func=cmd_submit)

    p = sub.add_parser("submissions", help="list submissions you may see")
    p.add_argument("action", choices=("list",), nargs="?", default="list")
    p.add_argument("--user", help="your user name (password on standard input with --password-stdin)")
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument("--country")
    p.add_argument("--dataset")
    p.add_argument("--status", choices=("draft", "submitted", "published", "rejected", "superseded"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_submissions)

    p = sub.add_parser("publish", help="publish a submitted submission (reviewers)")
    p.add_argument("id", help="submission id (see `submissions list`)")
    p.add_argument("--user", required=True)
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument("--reject", metavar="REASON", help="reject it instead, saying why")
    p.set_defaults(func=cmd_publish)


REFUSALS = (Refused, AuthError, Forbidden, SubmissionError)
