"""What every command group of `python -m vipmg_core` shares: exit codes, the errors a user can fix, argument
helpers, the one CLI login, and output to a file or standard output.

A problem the user can fix is raised as `UserError` (or `Refused` for authentication and authorisation) and
printed by `main` as one line; translated errors from the core give their message in the command's `--lang`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import NoReturn

from vipmg_core import accounts
from vipmg_core.accounts import AuthError
from vipmg_core.datasets import dataset_ids
from vipmg_core.permissions import Forbidden
from vipmg_core.submissions import SubmissionError
from vipmg_core.warehouse import Warehouse

EXIT_USAGE = 2
EXIT_FAILED = 1
EXIT_REFUSED = 3

# argparse's own type for `add_subparsers()`; every group adds its commands to it.
Subcommands = argparse._SubParsersAction


class UserError(Exception):
    """A problem the user can fix; printed as one line."""


class Refused(Exception):
    """Authentication or authorisation refused: exit EXIT_REFUSED with the reason."""


# Printed as "refused: ..." with EXIT_REFUSED.
REFUSALS = (Refused, AuthError, Forbidden, SubmissionError)


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would print the whole usage block
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see --help)\n")


def dataset_arg(value: str) -> str:
    if value not in dataset_ids():
        raise argparse.ArgumentTypeError(f"unknown dataset {value!r}; choose from {', '.join(dataset_ids())}")
    return value


def dataset_help() -> str:
    return f"one of: {', '.join(dataset_ids())}"


def codes(value: str | None) -> list[str]:
    """A comma-separated option as its codes: "HND, GTM," -> ["HND", "GTM"]."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def filters(items: list[str] | None) -> dict[str, list[str]]:
    """`--filter DIM=v1,v2` options (repeatable) as {dimension: codes}."""
    found: dict[str, list[str]] = {}
    for item in items or []:
        name, sep, values = item.partition("=")
        if not sep or not codes(values):
            raise UserError(f"--filter {item!r}: write DIMENSION=code1,code2")
        found.setdefault(name.strip(), []).extend(codes(values))
    return found


def file_out(value: str) -> Path:
    """An output file named by an option; a folder is refused (the user meant a file in it)."""
    out = Path(value)
    if out.is_dir():
        raise UserError(f"{out} is a directory; give a file name")
    return out


def read_password(args: argparse.Namespace) -> str:
    if not getattr(args, "password_stdin", False):
        raise Refused("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise Refused("no password on standard input")
    return password


def source() -> str:
    """Where a CLI login comes from, for throttling: the operating-system user running it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def login(wh: Warehouse, args: argparse.Namespace) -> accounts.Account:
    """The account of `--user`, its password read from standard input (`--password-stdin`)."""
    try:
        return accounts.authenticate(wh.catalogue, args.user, read_password(args), channel="cli", source=source())
    except AuthError as exc:
        raise Refused(str(exc)) from None
