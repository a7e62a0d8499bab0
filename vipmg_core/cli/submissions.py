"""Submissions from the command line, under the same rules as the app, for offices that automate: `submit`
(validate a file and send it for review), `submissions` (list what you may see) and `publish` (reviewers).

A wrong password or a forbidden action exits non-zero with one line saying why.
"""

from __future__ import annotations

import argparse
import json

from vipmg_core.cli.common import Refused, Subcommands, login
from vipmg_core.permissions import Action, require
from vipmg_core.submissions import SubmissionError, SubmissionStore
from vipmg_core.warehouse import Warehouse


def cmd_submissions(args: argparse.Namespace) -> int:
    wh = Warehouse()
    store = SubmissionStore(wh)
    account = login(wh, args) if args.user else None
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
    account = login(wh, args)
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
    account = login(wh, args)
    store = SubmissionStore(wh)
    if args.reject:
        sub = store.reject(account, args.id, args.reject)
    else:
        sub = store.publish(account, args.id)
    print(f"{sub.submission_id}: {sub.status} ({sub.dataset_id} {sub.country} {sub.period} v{sub.version})")
    return 0


def add_submit(sub: Subcommands) -> None:
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


def add_submissions(sub: Subcommands) -> None:
    p = sub.add_parser("submissions", help="list submissions you may see")
    p.add_argument("action", choices=("list",), nargs="?", default="list")
    p.add_argument("--user", help="your user name (password on standard input with --password-stdin)")
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument("--country")
    p.add_argument("--dataset")
    p.add_argument("--status", choices=("draft", "submitted", "published", "rejected", "superseded"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_submissions)


def add_publish(sub: Subcommands) -> None:
    p = sub.add_parser("publish", help="publish a submitted submission (reviewers)")
    p.add_argument("id", help="submission id (see `submissions list`)")
    p.add_argument("--user", required=True)
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument("--reject", metavar="REASON", help="reject it instead, saying why")
    p.set_defaults(func=cmd_publish)
