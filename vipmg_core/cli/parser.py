"""The parser of `python -m vipmg_core`, built from the command groups, and `main`, which runs one command and
turns every problem the user can fix into one line on stderr and an exit code, never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable

from vipmg_core.cli import accounts, backup, data, network, publications, standard, submissions, tables
from vipmg_core.cli.common import EXIT_FAILED, EXIT_REFUSED, EXIT_USAGE, REFUSALS, Parser, Subcommands, UserError

# In the order `--help` lists them.
COMMANDS: tuple[Callable[[Subcommands], None], ...] = (
    standard.add_datasets, standard.add_template,
    data.add_demo, data.add_import,
    accounts.add_users,
    submissions.add_submit, submissions.add_submissions, submissions.add_publish,
    standard.add_validate,
    tables.add_crosstab, tables.add_sdmx_structure, tables.add_flows, tables.add_view,
    publications.add_bulletin,
    network.add_network,
    publications.add_library,
    standard.add_guide,
    network.add_workshop,
    backup.add_backup, backup.add_restore,
    data.add_export,
)


def build_parser() -> Parser:
    parser = Parser(
        prog="python -m vipmg_core",
        description="VIPMG Data Lab: the migration data standard, the warehouse and its tools.",
        epilog="The data directory is $VIPMG_DATA_DIR (default: data/ in the project).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except REFUSALS as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
