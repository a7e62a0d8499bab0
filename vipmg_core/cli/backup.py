"""`backup` (a consistent snapshot of the store while the app runs) and `restore` (every file checked first)."""

from __future__ import annotations

import argparse
from pathlib import Path

from vipmg_core.cli.common import Subcommands, UserError, source
from vipmg_core.i18n import LANGS


def cmd_backup(args: argparse.Namespace) -> int:
    """A consistent snapshot of the store while the app runs (see vipmg_core.backup)."""
    from vipmg_core import backup

    try:
        result = backup.backup(Path(args.dir), actor=source())
    except backup.BackupError as exc:
        raise UserError(exc.message(args.lang)) from None
    counts = result.manifest["counts"]
    print(f"{result.path}: {result.files} files, {result.size:,} bytes ({result.manifest['backend']} catalogue at"
          f" {result.manifest['created_at']}: {counts['releases']} releases, {counts['submissions']} submissions,"
          f" {counts['audit_log']} audit entries)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Bring a backup back into an empty data directory (or, with --replace, over the store there)."""
    from vipmg_core import backup

    try:
        result = backup.restore(Path(args.dir), Path(args.into) if args.into else None, replace=args.replace,
                                actor=source())
    except backup.BackupError as exc:
        raise UserError(exc.message(args.lang)) from None
    counts = result.manifest["counts"]
    print(f"{result.root}: restored the backup of {result.manifest['created_at']} ({counts['releases']} releases,"
          f" {counts['submissions']} submissions, {len(result.manifest['files'])} files verified)"
          + (f"; the catalogue replaced is kept as {result.replaced}" if result.replaced else ""))
    return 0


def add_backup(sub: Subcommands) -> None:
    p = sub.add_parser("backup", help="a consistent backup of the store (catalogue, release files, originals of"
                                      " submissions) while the app runs")
    p.add_argument("dir", help="a new or empty folder for the backup")
    p.add_argument("--lang", choices=LANGS, default="es", help="language of the messages (default es)")
    p.set_defaults(func=cmd_backup)


def add_restore(sub: Subcommands) -> None:
    p = sub.add_parser("restore", help="restore a backup (every file checked first) into an empty data directory")
    p.add_argument("dir", help="the backup's folder")
    p.add_argument("--into", help="the data directory to restore into (default: $VIPMG_DATA_DIR)")
    p.add_argument("--replace", action="store_true",
                   help="replace the store already there (its catalogue is kept aside); stop the app first")
    p.add_argument("--lang", choices=LANGS, default="es", help="language of the messages (default es)")
    p.set_defaults(func=cmd_restore)
