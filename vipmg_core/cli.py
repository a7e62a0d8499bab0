"""`python -m vipmg_core`: the same core the app uses, for notebooks, scripts and monthly routines.

Bad arguments or bad input end with one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from vipmg_core import cli_submissions
from vipmg_core.datasets import dataset, dataset_ids, datasets
from vipmg_core.describe import template_csv

EXIT_USAGE = 2
EXIT_FAILED = 1


class UserError(Exception):
    """A problem the user can fix; printed as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print the whole usage block
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see --help)\n")


def _dataset_arg(value: str) -> str:
    if value not in dataset_ids():
        raise argparse.ArgumentTypeError(f"unknown dataset {value!r}; choose from {', '.join(dataset_ids())}")
    return value


def cmd_datasets(args: argparse.Namespace) -> int:
    if args.json:
        payload = [
            {"id": ds.id, "title": ds.titles, "unit": ds.unit, "kind": ds.kind, "grain": ds.grains,
             "time_format": ds.time_format, "definition": ds.definitions, "weight": ds.weight,
             "columns": [{"name": c.name, "type": c.type, "role": c.role, "codelist": c.codelist_id,
                          "required": c.required, "label": c.labels} for c in ds.columns]}
            for ds in datasets()
        ]
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    lang = args.lang
    width = max(len(ds.id) for ds in datasets())
    for ds in datasets():
        print(f"{ds.id:<{width}}  {ds.unit:<7}  {ds.kind:<9}  {ds.title(lang)}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    ds = dataset(args.dataset)
    out = Path(args.out) if args.out else Path(f"{ds.id}_template.csv")
    if str(out) == "-":
        csv.writer(sys.stdout).writerow(ds.template_header())
        return 0
    out.write_bytes(template_csv(ds))
    print(f"{out}: {len(ds.column_names)} columns ({', '.join(ds.column_names)})")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from vipmg_core import demo
    from vipmg_core.warehouse import Warehouse

    if args.scale <= 0:
        raise UserError("--scale must be a positive number")
    wh = Warehouse()

    def progress(message: str, fraction: float) -> None:
        print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)

    releases = demo.build(wh, seed=args.seed, scale=args.scale, progress=progress)
    for release in releases:
        print(f"{release.dataset_id}: {release.row_count:,} rows (version {release.version})")
    print(f"demo warehouse in {wh.root} (synthetic data)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from vipmg_core.warehouse import Warehouse

    out = Path(args.out)
    if out.exists() and out.is_dir():
        raise UserError(f"{out} is a directory; give a file name")
    rows = Warehouse().export(args.dataset, args.format, out)
    print(f"{out}: {rows:,} rows of {args.dataset}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m vipmg_core",
        description="VIPMG Data Lab: the migration data standard, the warehouse and its tools.",
        epilog="The data directory is $VIPMG_DATA_DIR (default: data/ in the project).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("datasets", help="list the datasets of the exchange standard")
    p.add_argument("--json", action="store_true", help="full declarations as JSON")
    p.add_argument("--lang", choices=("es", "en"), default="es", help="language of the titles (default es)")
    p.set_defaults(func=cmd_datasets)

    p = sub.add_parser("template", help="write the empty template CSV of a dataset (canonical headers)")
    p.add_argument("dataset", type=_dataset_arg, help=f"one of: {', '.join(dataset_ids())}")
    p.add_argument("--out", help="output file (default DATASET_template.csv; '-' for stdout)")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("demo", help="build the synthetic demo warehouse (all datasets, all project countries)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply the microdata rows (60 gives a census of over 10 million persons)")
    p.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same data)")
    p.set_defaults(func=cmd_demo)

    cli_submissions.register(sub)

    p = sub.add_parser("export", help="export the published data of a dataset")
    p.add_argument("dataset", type=_dataset_arg, help=f"one of: {', '.join(dataset_ids())}")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("--out", required=True, help="output file")
    p.set_defaults(func=cmd_export)
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
    except cli_submissions.REFUSALS as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return cli_submissions.EXIT_REFUSED
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
