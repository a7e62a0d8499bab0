"""The numbers of the pages from the command line: `crosstab`, `flows`, `view` (a page's link as its download)
and `sdmx-structure` (the SDMX structure `crosstab --format sdmx` follows)."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from vipmg_core.cli.common import Subcommands, UserError, codes, dataset_arg, dataset_help, file_out, filters
from vipmg_core.i18n import LANGS


def _check_crosstab_codes(dataset_id: str, chosen: dict[str, list[str]], countries: list[str], lang: str) -> None:
    """Typed codes must exist, as `flows` requires: an unknown one would match nothing and give an empty table."""
    from vipmg_core import crosstab as xt
    from vipmg_core.datasets import dataset
    from vipmg_core.i18n import t

    try:
        ds = dataset(dataset_id)
    except KeyError:
        return  # crosstab() says so, in the user's language
    wanted = {**chosen, ds.area_column: [*chosen.get(ds.area_column, []), *countries]}
    for column, typed in wanted.items():
        try:
            known = ds.column(column).codelist
        except KeyError:
            continue  # not a dimension: crosstab() says which exist
        unknown = [c for c in typed if known is not None and c not in known and c != xt.MISSING]
        if unknown:
            key = "crosstab.error.bad_country" if column == ds.area_column else "crosstab.error.bad_code"
            raise UserError(t(key, lang, column=column, codes=", ".join(dict.fromkeys(unknown))))


def cmd_sdmx_structure(args: argparse.Namespace) -> int:
    """A dataset's SDMX structure (concepts, codelists, data structure, dataflow), generated from its declaration."""
    from vipmg_core import sdmx

    data = sdmx.structure_xml(args.dataset) if args.format == "xml" else sdmx.structure_json(args.dataset)
    if not args.out:
        sys.stdout.write(data.decode("utf-8"))
        return 0
    out = file_out(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"{out}: {sdmx.structure_id(args.dataset)} ({'SDMX-ML 2.1' if args.format == 'xml' else 'SDMX-JSON 2.0'})")
    return 0


def cmd_crosstab(args: argparse.Namespace) -> int:
    """A cross-tab as the Cross-tab page computes it, written as CSV, Excel, JSON or SDMX-CSV."""
    from vipmg_core import crosstab as xt
    from vipmg_core import downloads, sdmx

    chosen = filters(args.filter)
    _check_crosstab_codes(args.dataset, chosen, codes(args.countries), args.lang)
    years = None
    if args.years:
        first, _, last = args.years.partition("-")
        if not (first.isdigit() and (last or first).isdigit()):
            raise UserError(f"--years {args.years!r}: write a year (2024) or a range (2020-2024)")
        years = (int(first), int(last or first))
    out = file_out(args.out)
    try:
        result = xt.crosstab(args.dataset, codes(args.rows), codes(args.cols), filters=chosen,
                             countries=codes(args.countries), years=years, measure=args.measure,
                             percent=args.percent, totals=args.totals, subtotals=args.subtotals,
                             source=args.source)
    except xt.CrosstabError as exc:
        raise UserError(exc.message(args.lang)) from None
    lang, view = args.lang, xt.View(top_n=args.top, sort=args.sort, codes=args.codes, quality=args.quality)
    try:
        data = downloads.crosstab_file(result, view, lang, downloads.SDMX if args.format == "sdmx" else args.format)
    except sdmx.SdmxError as exc:
        raise UserError(exc.message(args.lang)) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"{out}: {result.table(lang, view).numeric.height} rows; {result.measure_label(lang)}; "
          f"{result.unit_label(lang)}")
    return 0


def cmd_flows(args: argparse.Namespace) -> int:
    """Origin-destination flows as the Flow map page computes them, as CSV (codes) or JSON (with totals)."""
    from vipmg_core import downloads
    from vipmg_core import flows as fl
    from vipmg_core.warehouse import Warehouse

    chosen = filters(args.filter)
    top = None if args.top.lower() == "all" else int(args.top) if args.top.isdigit() else -1
    if top == -1:
        raise UserError(f"--top {args.top!r}: write a number of flows (e.g. 25) or 'all'")
    countries = [code for value in args.country or [] for code in codes(value)]
    wh = Warehouse()
    try:
        result = fl.flows(wh, args.dataset, role=args.role, countries=countries, direction=args.direction,
                          period=args.period, filters=chosen, top=top)
    except fl.FlowError as exc:
        raise UserError(exc.message(args.lang)) from None
    records = fl.records(result)
    if args.format == "json":
        text = downloads.flows_file(result, wh, args.lang, downloads.JSON).decode("utf-8")
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(records[0]) if records else ["origin", "destination",
                                                                                      "value", "unit"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        text = buffer.getvalue()
    if args.out and args.out != "-":
        out = file_out(args.out)
        out.write_text(text, encoding="utf-8")
        print(f"{out}: {len(records)} of {result.matching} flows ({result.unit})")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def cmd_view(args: argparse.Namespace) -> int:
    """A page's link (`/crosstab?xds=...`, `/flowmap?...`, `/profile?pc=GTM`) as the file its page downloads and
    `/api/v1/<page>.<format>?...` answers: the same function makes all three."""
    from urllib.parse import parse_qsl, urlsplit

    from vipmg_core import api
    from vipmg_core.i18n import TranslatedError
    from vipmg_core.warehouse import Warehouse

    parts = urlsplit(args.link.strip())
    page = parts.path.strip("/").rsplit("/", 1)[-1]
    if page not in api.VIEWS:
        raise UserError(f"{args.link!r}: give a link of the {', '.join(api.VIEWS)} page")
    params = dict(parse_qsl(parts.query, keep_blank_values=True))  # `xc=` means something on the page
    lang = args.lang or params.get("lang", "es")
    try:
        data = api.view_file(Warehouse(), page, args.format, params, lang, args.link.strip())
    except TranslatedError as exc:
        raise UserError(exc.message(lang)) from None
    if args.out and args.out != "-":
        Path(args.out).write_bytes(data)
        print(f"wrote {args.out}")
    else:
        sys.stdout.buffer.write(data)
    return 0


def add_crosstab(sub: Subcommands) -> None:
    from vipmg_core import links  # the page's choices, said once
    p = sub.add_parser("crosstab", help="cross-tab of a dataset (weighted, with quality flags and suppression)",
                       description="The Cross-tab page's table: dimensions on rows and columns, filters, measure, "
                                   "percentages, totals; exact same numbers, flags and suppressed cells.")
    p.add_argument("dataset", type=dataset_arg, help=dataset_help())
    p.add_argument("--rows", required=True, help="dimension(s) on rows, comma-separated, in order")
    p.add_argument("--cols", default="", help="dimension(s) on columns, comma-separated, in order")
    p.add_argument("--filter", action="append", metavar="DIM=v1,v2", help="keep only these codes (repeatable)")
    p.add_argument("--countries", help="reporting countries (ISO3, comma-separated; default all)")
    p.add_argument("--years", help="a year or a range of years, e.g. 2020-2024 (default all)")
    p.add_argument("--measure", help="count | weighted | mean:VARIABLE (default: weighted for microdata, count otherwise)")
    p.add_argument("--percent", choices=[p for p in links.PERCENTS if p != "none"], help="show percentages of row, column or total")
    p.add_argument("--totals", action="store_true", help="add grand totals (recomputed from the data)")
    p.add_argument("--subtotals", action="store_true", help="add subtotals when a side has several dimensions")
    p.add_argument("--source", help="where published products overlap, the one to read (a series, or "
                                    "SERIES@EDITION for an older edition; the table's notes name the others)")
    p.add_argument("--top", type=int, help="keep the N row groups with the largest totals")
    p.add_argument("--sort", choices=links.SORTS, default=links.SORTS[0], help="row order (default: codelist)")
    p.add_argument("--codes", action="store_true", help="show codes beside the names")
    p.add_argument("--quality", action="store_true", help="add unweighted n and CV columns (survey and census)")
    p.add_argument("--format", choices=("csv", "json", "xlsx", "sdmx"), default="csv")
    p.add_argument("--lang", choices=LANGS, default="es", help="language of labels and notes (default es)")
    p.add_argument("--out", required=True, help="output file")
    p.set_defaults(func=cmd_crosstab)


def add_sdmx_structure(sub: Subcommands) -> None:
    p = sub.add_parser("sdmx-structure", help="the SDMX structure of a dataset (SDMX-ML 2.1 or SDMX-JSON 2.0)",
                       description="Concept scheme, codelists, data structure definition and dataflow of a dataset, "
                                   "generated from its declaration; the data files of `crosstab --format sdmx` "
                                   "follow it (STRUCTURE_ID VIPMG:DSD_<DATASET>(1.0)).")
    p.add_argument("dataset", type=dataset_arg, help=dataset_help())
    p.add_argument("--format", choices=("xml", "json"), default="xml", help="SDMX-ML 2.1 (xml) or SDMX-JSON 2.0")
    p.add_argument("--out", help="output file (default: standard output)")
    p.set_defaults(func=cmd_sdmx_structure)


def add_flows(sub: Subcommands) -> None:
    p = sub.add_parser("flows", help="origin-destination flows of a dataset (the Flow map's numbers)",
                       description="Flows to, from or between countries, largest first, with the dataset's own "
                                   "reading of origin and destination; the same numbers as the Flow map page.")
    p.add_argument("dataset", type=dataset_arg, help=dataset_help())
    p.add_argument("--country", action="append", metavar="ISO3",
                   help="selected country (repeatable or comma-separated; default: every flow)")
    p.add_argument("--direction", choices=("in", "out", "both", "between"), default="both",
                   help="flows into, out of, both, or only between the countries (default both)")
    p.add_argument("--period", help="a period (2024; 2024 on monthly data is its 12 months) or a range "
                                    "(2021-01/2024-12); default: the latest (for stocks, each country's latest)")
    p.add_argument("--top", default="25", help="keep the N largest flows, or 'all' (default 25)")
    p.add_argument("--role", type=int, default=0,
                   help="which origin-destination reading, when the dataset declares several (default 0)")
    p.add_argument("--filter", action="append", metavar="DIM=v1,v2", help="keep only these codes (repeatable)")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--lang", choices=LANGS, default="es", help="language of messages and notes (default es)")
    p.add_argument("--out", help="output file (default: standard output)")
    p.set_defaults(func=cmd_flows)


def add_view(sub: Subcommands) -> None:
    p = sub.add_parser("view", help="the numbers of a page's link (cross-tab, flow map, profile), as its download",
                       description="LINK is a Cross-tab, Flow map or Country profile link (what the page's address "
                                   "bar shows); the file is the page's download and the API's answer for it.")
    p.add_argument("link", help="e.g. 'http://127.0.0.1:8501/crosstab?xds=returns&xr=ref_area&xc=sex'")
    p.add_argument("--format", choices=("csv", "json", "sdmx.csv", "xlsx"), default="csv")
    p.add_argument("--lang", choices=LANGS, help="language (default: the link's, else es)")
    p.add_argument("--out", help="output file (default: standard output)")
    p.set_defaults(func=cmd_view)
