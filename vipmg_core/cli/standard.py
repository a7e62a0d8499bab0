"""The exchange standard from the command line: `datasets`, `template`, `validate` (validate-only) and `guide`."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from vipmg_core.cli.common import EXIT_FAILED, EXIT_USAGE, Subcommands, UserError, dataset_arg, dataset_help
from vipmg_core.datasets import dataset, datasets
from vipmg_core.describe import template_csv
from vipmg_core.i18n import LANGS

if TYPE_CHECKING:
    from vipmg_core.validation import Report


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


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate-only: exit 0 when the file is ready, 1 when it has errors, 2 when it cannot be read at all."""
    from vipmg_core import mapping as mp
    from vipmg_core.catalogue import Catalogue
    from vipmg_core.config import data_dir
    from vipmg_core.countries import is_country
    from vipmg_core.readers import ReadError
    from vipmg_core.validation import validate_path
    from vipmg_core.warehouse import Warehouse

    country = args.country.strip().upper()
    if not is_country(country):
        raise UserError(f"unknown country {args.country!r}: give an ISO3 code such as HND")
    # Only an existing warehouse is opened: validating never creates or changes anything.
    wh = Warehouse() if Catalogue.exists(data_dir() / "catalogue.sqlite") else None
    profile = None
    if args.mapping:
        if wh is None:
            raise UserError(f"no mapping profiles: there is no warehouse in {data_dir()}")
        try:
            profile = mp.load_profile(wh.catalogue, args.dataset, country, args.mapping)
        except KeyError as exc:
            raise UserError(str(exc.args[0])) from None
    try:
        _, report = validate_path(args.file, args.dataset, country, wh, profile=profile, sheet=args.sheet,
                                  header_row=args.header_row, encoding=args.encoding)
    except ReadError as exc:
        print(f"error: {exc.message(args.lang)}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(report.to_json(args.lang))
    else:
        _print_report(report, args.lang, args.limit)
    return 0 if report.ready else EXIT_FAILED


def _print_report(report: Report, lang: str, limit: int) -> None:
    from vipmg_core.i18n import t

    info = report.info
    verdict = t("upload.ready" if report.ready else "upload.not_ready", lang)
    print(f"{info.name}  {info.size:,} bytes  sha256 {info.sha256}  {report.rows:,} rows")
    print(f"{verdict}: {report.errors} {t('report.severity_error', lang).lower()}, "
          f"{report.warnings} {t('report.severity_warning', lang).lower()}")
    for problem in report.problems.head(limit).iter_rows(named=True):
        where = f"{problem['row']}" if problem["row"] is not None else "-"
        print(f"  [{problem['severity']}] {problem['code']} row {where}: {report.message(problem, lang)} "
              f"-> {report.fix(problem, lang)}")
    if report.problems.height > limit:
        print(f"  ... {report.problems.height - limit} more (--json lists every problem)")


def cmd_guide(args: argparse.Namespace) -> int:
    """The Guide as one offline HTML file, or one dataset's correct example file."""
    from vipmg_core import guide

    if args.example:
        out = Path(args.out or guide.example_file_name(dataset(args.example)))
        out.write_bytes(guide.example_csv(dataset(args.example)))
    elif args.out and args.out.lower().endswith(".pdf"):
        from vipmg_core import bulletins

        out = Path(args.out)
        try:
            out.write_bytes(bulletins.to_pdf(guide.to_html(args.lang)))  # printed by headless chromium
        except bulletins.BulletinError as exc:
            raise UserError(exc.message(args.lang)) from None
    else:
        out = Path(args.out or guide.file_name(args.lang))
        out.write_text(guide.to_html(args.lang), encoding="utf-8")
    print(f"wrote {out}")
    return 0


def add_datasets(sub: Subcommands) -> None:
    p = sub.add_parser("datasets", help="list the datasets of the exchange standard")
    p.add_argument("--json", action="store_true", help="full declarations as JSON")
    p.add_argument("--lang", choices=LANGS, default="es", help="language of the titles (default es)")
    p.set_defaults(func=cmd_datasets)


def add_template(sub: Subcommands) -> None:
    p = sub.add_parser("template", help="write the empty template CSV of a dataset (canonical headers)")
    p.add_argument("dataset", type=dataset_arg, help=dataset_help())
    p.add_argument("--out", help="output file (default DATASET_template.csv; '-' for stdout)")
    p.set_defaults(func=cmd_template)


def add_validate(sub: Subcommands) -> None:
    p = sub.add_parser("validate", help="validate a file against a dataset (validate-only: stores nothing)",
                       description="Exit 0 when the file is ready, 1 when it has errors, 2 when it cannot be read.")
    p.add_argument("file", help="CSV/TSV/TXT, Excel (.xlsx, .xls), SPSS (.sav) or Stata (.dta)")
    p.add_argument("--dataset", required=True, type=dataset_arg, help=dataset_help())
    p.add_argument("--country", required=True, help="ISO3 code of the reporting country, e.g. HND")
    p.add_argument("--mapping", help="name of a saved mapping profile for this dataset and country")
    p.add_argument("--sheet", help="Excel sheet to read (default: the first with data)")
    p.add_argument("--header-row", type=int, help="row of the header as numbered in the file (default: detected)")
    p.add_argument("--encoding", help="text encoding (default: detected; e.g. utf-8, cp1252)")
    p.add_argument("--json", action="store_true", help="the full report as JSON")
    p.add_argument("--lang", choices=LANGS, default="es", help="language of the messages (default es)")
    p.add_argument("--limit", type=int, default=200, help="problems printed as text (default 200)")
    p.set_defaults(func=cmd_validate)


def add_guide(sub: Subcommands) -> None:
    p = sub.add_parser("guide", help="the Guide for focal points as one offline HTML file (or an example file)")
    p.add_argument("--lang", choices=LANGS, default="es")
    p.add_argument("--example", type=dataset_arg, help="write this dataset's correct example CSV instead")
    p.add_argument("--out", help="output file (default: vipmg_guide_<lang>.html or <dataset>_example.csv); "
                                 "a name ending in .pdf prints the guide to PDF with chromium")
    p.set_defaults(func=cmd_guide)
