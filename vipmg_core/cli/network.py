"""The network of national offices from the command line: `network` (the board, the focal-point directory and the
reporting calendar) and `workshop` (serve the app to the room over the local network)."""

from __future__ import annotations

import argparse
import csv
import io
import json

from vipmg_core.cli.common import Refused, Subcommands, codes, login


def cmd_network(args: argparse.Namespace) -> int:
    """The Network board (members) or published coverage (public), the directory and the calendar."""
    from vipmg_core import network
    from vipmg_core.warehouse import Warehouse

    wh = Warehouse()
    account = login(wh, args) if args.user else None
    rows: list[dict[str, object]]
    if args.network_command == "calendar":
        if args.set:
            if account is None:
                raise Refused("only reviewers set the calendar: add --user NAME --password-stdin")
            network.set_calendar(wh, account, args.set, args.frequency or network.default_frequency(args.set),
                                 due_days=args.due_days, since=args.since or "")
        rows = [vars(e) for e in network.calendar(wh).values()]
    elif args.network_command == "directory":
        rows = [vars(p) for p in network.directory(wh, account, country=args.country)]
    else:
        countries = codes(args.country) or None
        datasets_ = codes(args.dataset) or None
        years = (args.year, args.year) if args.year else None
        if account is None:  # the public: published coverage only, nothing of submissions
            rows = network.coverage(wh, countries=countries, dataset_ids_=datasets_, years=years).to_dicts()
        else:
            cells = network.board(wh, account, countries=countries, dataset_ids_=datasets_, years=years)
            rows = cells.with_columns(cells["due"].cast(str)).to_dicts()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
    elif rows:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ",".join(v) if isinstance(v, tuple) else v for k, v in r.items()} for r in rows)
        print(out.getvalue(), end="")
    return 0


def cmd_workshop(args: argparse.Namespace) -> int:
    from vipmg_core import workshop

    return workshop.serve(args.address, args.port)


def add_network(sub: Subcommands) -> None:
    p = sub.add_parser("network", help="the Network board, focal-point directory and reporting calendar",
                       description="board: statuses per country, dataset and period (the public gets published "
                                   "coverage only); directory: focal points (signed-in members only); calendar: "
                                   "when each dataset is due (reviewers set it with --set).")
    p.add_argument("network_command", choices=("board", "directory", "calendar"))
    p.add_argument("--user", help="your user name (password on standard input with --password-stdin)")
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument("--country", help="ISO3 code(s), comma-separated")
    p.add_argument("--dataset", help="dataset id(s), comma-separated")
    p.add_argument("--year", type=int, help="one year of periods")
    p.add_argument("--set", metavar="DATASET", help="calendar: set the calendar of this dataset")
    p.add_argument("--frequency", choices=("monthly", "quarterly", "yearly"))
    p.add_argument("--due-days", type=int, default=30, help="days allowed after the period ends (default 30)")
    p.add_argument("--since", help="first period expected (YYYY, YYYY-Qn or YYYY-MM)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_network)


def add_workshop(sub: Subcommands) -> None:
    p = sub.add_parser("workshop", help="serve the app to the room over the local network (prints the address"
                                        " and its QR code; nothing leaves the network)")
    p.add_argument("--address", help="the address to bind and share (default: this machine's LAN address)")
    p.add_argument("--port", type=int, default=8501, help="default 8501")
    p.set_defaults(func=cmd_workshop)
