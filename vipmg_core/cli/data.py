"""Filling and emptying the warehouse: `demo` (build or switch off the demo data), `import` (a publisher's file as
published data) and `export` (a dataset's published data as a file)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from vipmg_core.cli.common import Subcommands, UserError, dataset_arg, dataset_help, file_out, login
from vipmg_core.i18n import LANGS

if TYPE_CHECKING:
    from vipmg_core.warehouse import Warehouse


def cmd_demo(args: argparse.Namespace) -> int:
    from vipmg_core import demo
    from vipmg_core.warehouse import Warehouse

    if args.scale <= 0:
        raise UserError("--scale must be a positive number")
    wh = Warehouse()
    if args.off:
        return _demo_off(wh)

    def progress(message: str, fraction: float) -> None:
        print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)

    from vipmg_core import pack

    releases = demo.build(wh, seed=args.seed, scale=args.scale, progress=progress,
                          pack_dir=pack.PACK_DIR if args.pack else None)
    for release in releases:
        kind = "synthetic" if release.synthetic else f"{release.publisher}, {release.source_file}"
        print(f"{release.dataset_id}: {release.row_count:,} rows (version {release.version}; {kind})")
    real = sorted({r.dataset_id for r in releases if not r.synthetic})
    print(f"demo warehouse in {wh.root} (synthetic data" + (f"; real published series for {', '.join(real)})"
                                                          if real else ")"))
    return 0


def _demo_off(wh: Warehouse) -> int:
    from vipmg_core import importers

    try:
        withdrawn = importers.withdraw_demo(wh, actor="operator")
    except importers.ImportProblem as exc:
        raise UserError(exc.message("en")) from None
    for release in withdrawn:
        print(f"{release.dataset_id}: demo version {release.version} withdrawn")
    print(f"demo switched off ({len(withdrawn)} releases withdrawn); `demo` builds it again")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Load a publisher's file as published data: `import [KIND] FILE`, KIND detected when omitted."""
    from vipmg_core import importers
    from vipmg_core.warehouse import Warehouse

    items = list(args.items)
    kind = items.pop(0) if len(items) > 1 else None
    if len(items) != 1:
        raise UserError("give one file: import [KIND] FILE")
    if kind is not None and kind not in importers.KINDS:
        raise UserError(f"unknown kind {kind!r}; choose from {', '.join(importers.KINDS)} (or leave it out)")
    wh = Warehouse()
    actor = "operator"
    if args.user:
        from vipmg_core.permissions import Action, require

        account = login(wh, args)
        require(account, Action.IMPORT)
        actor = account.username
    options = {key: value for key, value in (("year", args.year), ("series", args.series)) if value}
    try:
        result = importers.import_file(wh, items[0], kind=kind, actor=actor, options=options, force=args.force)
    except importers.ImportProblem as exc:
        raise UserError(exc.message(args.lang)) from None
    if args.json:
        print(json.dumps(importers.result_dict(result), ensure_ascii=False, indent=1))
        return 0
    for line in result.lines(args.lang):
        print(line)
    for item in result.unresolved:
        kept = "-> OOO" if item.kept_as else "-> rows left out"
        hint = f" (did you mean {', '.join(item.suggestions)}?)" if item.suggestions else ""
        print(f"  unresolved {item.column}: {item.value!r} in {item.rows:,} rows {kept}{hint}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from vipmg_core.warehouse import Warehouse

    out = file_out(args.out)
    rows = Warehouse().export(args.dataset, args.format, out)
    print(f"{out}: {rows:,} rows of {args.dataset}")
    return 0


def add_demo(sub: Subcommands) -> None:
    p = sub.add_parser("demo", help="build the synthetic demo warehouse (all datasets, all project countries)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply the microdata rows (60 gives a census of over 10 million persons)")
    p.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same data)")
    p.add_argument("--off", action="store_true",
                   help="switch the demo off: withdraw its releases (once real data is published)")
    p.add_argument("--pack", action="store_true",
                   help="as on the app's first start: the public data pack's real series (data/pack) where it has "
                        "them, synthetic data only for the other datasets")
    p.set_defaults(func=cmd_demo)


def add_import(sub: Subcommands) -> None:
    p = sub.add_parser("import", help="load a public file (UN DESA, UNHCR, World Bank, regional series, CBP)",
                       description="Publish a publisher's file with its provenance. KIND is one of undesa, unhcr, "
                                   "worldbank, regional, cbp; when left out it is recognised from the file. "
                                   "Importing the same file again changes nothing.")
    p.add_argument("items", nargs="+", metavar="[KIND] FILE", help="optional kind, then the file")
    p.add_argument("--year", type=int, help="year of a World Bank matrix whose file does not say it")
    p.add_argument("--series", help="regional series when the file name does not say it (e.g. mexico_presented)")
    p.add_argument("--force", action="store_true", help="publish even an older edition than the published one")
    p.add_argument("--user", help="reviewer importing (password on standard input with --password-stdin); "
                                  "default: the machine's operator")
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument("--json", action="store_true", help="the result as JSON")
    p.add_argument("--lang", choices=LANGS, default="es", help="language of the messages (default es)")
    p.set_defaults(func=cmd_import)


def add_export(sub: Subcommands) -> None:
    p = sub.add_parser("export", help="export the published data of a dataset")
    p.add_argument("dataset", type=dataset_arg, help=dataset_help())
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("--out", required=True, help="output file")
    p.set_defaults(func=cmd_export)
