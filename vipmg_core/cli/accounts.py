"""`users`: local accounts (focal points, reviewers, admins) from the command line, under the app's rules.

The first account may be created by the machine's operator; after that an admin authorises each change.
"""

from __future__ import annotations

import argparse
import json
import sys

from vipmg_core import accounts
from vipmg_core.accounts import AuthError
from vipmg_core.cli.common import Refused, Subcommands, read_password, source
from vipmg_core.permissions import Action, Forbidden, require
from vipmg_core.warehouse import Warehouse


def _acting_admin(wh: Warehouse, args: argparse.Namespace) -> str:
    """Who runs an account command. The first account may be created by the machine's operator; after that,
    an admin's credentials are needed (`--as-user NAME --as-password-stdin`)."""
    if not accounts.list_users(wh.catalogue):
        return "operator"
    if not args.as_user:
        raise Refused("an admin must authorise this: add --as-user ADMIN (password on stdin after the new one)")
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        admin = accounts.authenticate(wh.catalogue, args.as_user, password, channel="cli", source=source())
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


def add_users(sub: Subcommands) -> None:
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
