"""`python -m vipmg_core`: the same core the app uses, for notebooks, scripts and monthly routines.

Bad arguments or bad input end with one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import io
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


def _demo_off(wh) -> int:
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
        from vipmg_core.cli_submissions import _login
        from vipmg_core.permissions import Action, require

        account = _login(wh, args)
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


def cmd_bulletin(args: argparse.Namespace) -> int:
    """A country's (or the region's) bulletin: one offline HTML file, or a PDF when --out ends in .pdf."""
    from vipmg_core import bulletins, profiles
    from vipmg_core.countries import resolve
    from vipmg_core.warehouse import Warehouse

    lang = args.lang
    try:
        area = profiles.area(args.country)
    except profiles.ProfileError as exc:
        match = resolve(args.country)  # a name works too: "Costa Rica", "St. Lucia"
        if not match.found:
            raise UserError(exc.message(lang)) from None
        area = profiles.area(match.iso3)
    try:
        period = profiles.parse_period(args.period)
    except profiles.ProfileError as exc:
        raise UserError(exc.message(lang)) from None
    out = Path(args.out)
    if out.is_dir():
        raise UserError(f"{out} is a directory; give a file name")
    if out.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise UserError(f"--out {args.out!r}: give a file ending in .html (offline, prints to PDF) or .pdf")
    result = bulletins.bulletin(Warehouse(), area.code, period, lang)
    if not result.profile.figures:
        raise UserError(profiles.t("profiles.no_data", lang, area=area.name(lang)))
    html = bulletins.to_html(result)
    try:
        data = bulletins.to_pdf(html) if out.suffix.lower() == ".pdf" else html.encode("utf-8")
    except bulletins.BulletinError as exc:
        raise UserError(exc.message(lang)) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    demo = " (demo data)" if result.profile.synthetic else ""
    print(f"{out}: {result.title} · {result.period_label}; {len(result.profile.figures)} figures, "
          f"{len(result.charts)} charts{demo}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from vipmg_core.warehouse import Warehouse

    out = Path(args.out)
    if out.exists() and out.is_dir():
        raise UserError(f"{out} is a directory; give a file name")
    rows = Warehouse().export(args.dataset, args.format, out)
    print(f"{out}: {rows:,} rows of {args.dataset}")
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


def _print_report(report, lang: str, limit: int) -> None:
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


def _codes(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _filters(items: list[str] | None) -> dict[str, list[str]]:
    """`--filter DIM=v1,v2` options (repeatable) as {dimension: codes}."""
    filters: dict[str, list[str]] = {}
    for item in items or []:
        name, sep, values = item.partition("=")
        if not sep or not _codes(values):
            raise UserError(f"--filter {item!r}: write DIMENSION=code1,code2")
        filters.setdefault(name.strip(), []).extend(_codes(values))
    return filters


def _check_crosstab_codes(dataset_id: str, filters: dict[str, list[str]], countries: list[str], lang: str) -> None:
    """Typed codes must exist, as `flows` requires: an unknown one would match nothing and give an empty table."""
    from vipmg_core import crosstab as xt
    from vipmg_core.datasets import dataset
    from vipmg_core.i18n import t

    try:
        ds = dataset(dataset_id)
    except KeyError:
        return  # crosstab() says so, in the user's language
    wanted = {**filters, ds.area_column: [*filters.get(ds.area_column, []), *countries]}
    for column, codes in wanted.items():
        try:
            known = ds.column(column).codelist
        except KeyError:
            continue  # not a dimension: crosstab() says which exist
        unknown = [c for c in codes if known is not None and c not in known and c != xt.MISSING]
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
    out = Path(args.out)
    if out.is_dir():
        raise UserError(f"{out} is a directory; give a file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"{out}: {sdmx.structure_id(args.dataset)} ({'SDMX-ML 2.1' if args.format == 'xml' else 'SDMX-JSON 2.0'})")
    return 0


def cmd_crosstab(args: argparse.Namespace) -> int:
    """A cross-tab as the Cross-tab page computes it, written as CSV, Excel, JSON or SDMX-CSV."""
    from vipmg_core import crosstab as xt
    from vipmg_core import downloads, sdmx

    filters = _filters(args.filter)
    _check_crosstab_codes(args.dataset, filters, _codes(args.countries), args.lang)
    years = None
    if args.years:
        first, _, last = args.years.partition("-")
        if not (first.isdigit() and (last or first).isdigit()):
            raise UserError(f"--years {args.years!r}: write a year (2024) or a range (2020-2024)")
        years = (int(first), int(last or first))
    out = Path(args.out)
    if out.is_dir():
        raise UserError(f"{out} is a directory; give a file name")
    try:
        result = xt.crosstab(args.dataset, _codes(args.rows), _codes(args.cols), filters=filters,
                             countries=_codes(args.countries), years=years, measure=args.measure,
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

    filters = _filters(args.filter)
    top = None if args.top.lower() == "all" else int(args.top) if args.top.isdigit() else -1
    if top == -1:
        raise UserError(f"--top {args.top!r}: write a number of flows (e.g. 25) or 'all'")
    countries = [code for value in args.country or [] for code in _codes(value)]
    wh = Warehouse()
    try:
        result = fl.flows(wh, args.dataset, role=args.role, countries=countries, direction=args.direction,
                          period=args.period, filters=filters, top=top)
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
        out = Path(args.out)
        if out.is_dir():
            raise UserError(f"{out} is a directory; give a file name")
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


def cmd_network(args: argparse.Namespace) -> int:
    """The Network board (members) or published coverage (public), the directory and the calendar."""
    from vipmg_core import network
    from vipmg_core.cli_submissions import _login
    from vipmg_core.warehouse import Warehouse

    wh = Warehouse()
    account = _login(wh, args) if args.user else None
    if args.network_command == "calendar":
        if args.set:
            if account is None:
                raise cli_submissions.Refused("only reviewers set the calendar: add --user NAME --password-stdin")
            network.set_calendar(wh, account, args.set, args.frequency or network.default_frequency(args.set),
                                 due_days=args.due_days, since=args.since or "")
        rows = [vars(e) for e in network.calendar(wh).values()]
    elif args.network_command == "directory":
        rows = [vars(p) for p in network.directory(wh, account, country=args.country)]
    else:
        countries = _codes(args.country) or None
        datasets_ = _codes(args.dataset) or None
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


def cmd_library(args: argparse.Namespace) -> int:
    """The library as the public (or, with --user, an author or reviewer) sees it; drafts never for the public."""
    from vipmg_core import library
    from vipmg_core.cli_submissions import _login
    from vipmg_core.warehouse import Warehouse

    wh = Warehouse()
    account = _login(wh, args) if args.user else None
    if args.library_command == "list":
        for a in library.articles(wh, account, country=args.country, topic=args.topic):
            print(f"{a.article_id}  v{a.version} {a.status:<9} {a.date} {a.kind:<8} {a.text(args.lang)['title']}")
        return 0
    if not args.id:
        raise UserError("give the article id (see: library list)")
    art = library.get(wh, account, args.id, args.version)
    try:
        page = library.to_html(wh, art, args.lang)
    except library.LibraryError as exc:
        raise UserError(exc.message(args.lang)) from None
    if args.out:
        Path(args.out).write_text(page, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(page)
    return 0


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


def cmd_workshop(args: argparse.Namespace) -> int:
    from vipmg_core import workshop

    return workshop.serve(args.address, args.port)


def cmd_backup(args: argparse.Namespace) -> int:
    """A consistent snapshot of the store while the app runs (see vipmg_core/backup.py)."""
    from vipmg_core import backup
    from vipmg_core.cli_submissions import _source

    try:
        result = backup.backup(Path(args.dir), actor=_source())
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
    from vipmg_core.cli_submissions import _source

    try:
        result = backup.restore(Path(args.dir), Path(args.into) if args.into else None, replace=args.replace,
                                actor=_source())
    except backup.BackupError as exc:
        raise UserError(exc.message(args.lang)) from None
    counts = result.manifest["counts"]
    print(f"{result.root}: restored the backup of {result.manifest['created_at']} ({counts['releases']} releases,"
          f" {counts['submissions']} submissions, {len(result.manifest['files'])} files verified)"
          + (f"; the catalogue replaced is kept as {result.replaced}" if result.replaced else ""))
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
    p.add_argument("--off", action="store_true",
                   help="switch the demo off: withdraw its releases (once real data is published)")
    p.add_argument("--pack", action="store_true",
                   help="as on the app's first start: the public data pack's real series (data/pack) where it has "
                        "them, synthetic data only for the other datasets")
    p.set_defaults(func=cmd_demo)

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
    p.add_argument("--lang", choices=("es", "en"), default="es", help="language of the messages (default es)")
    p.set_defaults(func=cmd_import)

    cli_submissions.register(sub)

    p = sub.add_parser("validate", help="validate a file against a dataset (validate-only: stores nothing)",
                       description="Exit 0 when the file is ready, 1 when it has errors, 2 when it cannot be read.")
    p.add_argument("file", help="CSV/TSV/TXT, Excel (.xlsx, .xls), SPSS (.sav) or Stata (.dta)")
    p.add_argument("--dataset", required=True, type=_dataset_arg, help=f"one of: {', '.join(dataset_ids())}")
    p.add_argument("--country", required=True, help="ISO3 code of the reporting country, e.g. HND")
    p.add_argument("--mapping", help="name of a saved mapping profile for this dataset and country")
    p.add_argument("--sheet", help="Excel sheet to read (default: the first with data)")
    p.add_argument("--header-row", type=int, help="row of the header as numbered in the file (default: detected)")
    p.add_argument("--encoding", help="text encoding (default: detected; e.g. utf-8, cp1252)")
    p.add_argument("--json", action="store_true", help="the full report as JSON")
    p.add_argument("--lang", choices=("es", "en"), default="es", help="language of the messages (default es)")
    p.add_argument("--limit", type=int, default=200, help="problems printed as text (default 200)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("crosstab", help="cross-tab of a dataset (weighted, with quality flags and suppression)",
                       description="The Cross-tab page's table: dimensions on rows and columns, filters, measure, "
                                   "percentages, totals; exact same numbers, flags and suppressed cells.")
    p.add_argument("dataset", type=_dataset_arg, help=f"one of: {', '.join(dataset_ids())}")
    p.add_argument("--rows", required=True, help="dimension(s) on rows, comma-separated, in order")
    p.add_argument("--cols", default="", help="dimension(s) on columns, comma-separated, in order")
    p.add_argument("--filter", action="append", metavar="DIM=v1,v2", help="keep only these codes (repeatable)")
    p.add_argument("--countries", help="reporting countries (ISO3, comma-separated; default all)")
    p.add_argument("--years", help="a year or a range of years, e.g. 2020-2024 (default all)")
    p.add_argument("--measure", help="count | weighted | mean:VARIABLE (default: weighted for microdata, count otherwise)")
    p.add_argument("--percent", choices=("row", "col", "total"), help="show percentages of row, column or total")
    p.add_argument("--totals", action="store_true", help="add grand totals (recomputed from the data)")
    p.add_argument("--subtotals", action="store_true", help="add subtotals when a side has several dimensions")
    p.add_argument("--source", help="where published products overlap, the one to read (a series, or "
                                    "SERIES@EDITION for an older edition; the table's notes name the others)")
    p.add_argument("--top", type=int, help="keep the N row groups with the largest totals")
    p.add_argument("--sort", choices=("label", "value"), default="label", help="row order (default: codelist)")
    p.add_argument("--codes", action="store_true", help="show codes beside the names")
    p.add_argument("--quality", action="store_true", help="add unweighted n and CV columns (survey and census)")
    p.add_argument("--format", choices=("csv", "json", "xlsx", "sdmx"), default="csv")
    p.add_argument("--lang", choices=("es", "en"), default="es", help="language of labels and notes (default es)")
    p.add_argument("--out", required=True, help="output file")
    p.set_defaults(func=cmd_crosstab)

    p = sub.add_parser("sdmx-structure", help="the SDMX structure of a dataset (SDMX-ML 2.1 or SDMX-JSON 2.0)",
                       description="Concept scheme, codelists, data structure definition and dataflow of a dataset, "
                                   "generated from its declaration; the data files of `crosstab --format sdmx` "
                                   "follow it (STRUCTURE_ID VIPMG:DSD_<DATASET>(1.0)).")
    p.add_argument("dataset", type=_dataset_arg, help=f"one of: {', '.join(dataset_ids())}")
    p.add_argument("--format", choices=("xml", "json"), default="xml", help="SDMX-ML 2.1 (xml) or SDMX-JSON 2.0")
    p.add_argument("--out", help="output file (default: standard output)")
    p.set_defaults(func=cmd_sdmx_structure)

    p = sub.add_parser("flows", help="origin-destination flows of a dataset (the Flow map's numbers)",
                       description="Flows to, from or between countries, largest first, with the dataset's own "
                                   "reading of origin and destination; the same numbers as the Flow map page.")
    p.add_argument("dataset", type=_dataset_arg, help=f"one of: {', '.join(dataset_ids())}")
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
    p.add_argument("--lang", choices=("es", "en"), default="es", help="language of messages and notes (default es)")
    p.add_argument("--out", help="output file (default: standard output)")
    p.set_defaults(func=cmd_flows)

    p = sub.add_parser("view", help="the numbers of a page's link (cross-tab, flow map, profile), as its download",
                       description="LINK is a Cross-tab, Flow map or Country profile link (what the page's address "
                                   "bar shows); the file is the page's download and the API's answer for it.")
    p.add_argument("link", help="e.g. 'http://127.0.0.1:8501/crosstab?xds=returns&xr=ref_area&xc=sex'")
    p.add_argument("--format", choices=("csv", "json", "sdmx.csv", "xlsx"), default="csv")
    p.add_argument("--lang", choices=("es", "en"), help="language (default: the link's, else es)")
    p.add_argument("--out", help="output file (default: standard output)")
    p.set_defaults(func=cmd_view)

    p = sub.add_parser("bulletin", help="a country's or the region's bulletin (offline HTML, or PDF)",
                       description="Headline figures, charts, the main changes in sentences, sources and notes, "
                                   "for a country or the region and a period; the same as the Profile page.")
    p.add_argument("--country", required=True, metavar="ISO3|REGION",
                   help="an ISO3 code (or a country name), a group (MESOAMERICA, CARIBBEAN) or REGION")
    p.add_argument("--period", default="", help="a year (2024), a month (2024-06: January to June, for monthly "
                                                "routines) or a range (2020-2024); default: the latest data")
    p.add_argument("--lang", choices=("es", "en"), default="es", help="language of the bulletin (default es)")
    p.add_argument("--out", required=True, help="output file: .html (self-contained, offline) or .pdf (needs Chromium)")
    p.set_defaults(func=cmd_bulletin)

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

    p = sub.add_parser("library", help="the publications library: list articles, or one as offline HTML",
                       description="list: the articles you may see (the public: published only); html ID: one "
                                   "article as a self-contained HTML file with its live figures.")
    p.add_argument("library_command", choices=("list", "html"))
    p.add_argument("id", nargs="?", help="html: the article id")
    p.add_argument("--version", type=int, help="html: a given version (default: the newest you may see)")
    p.add_argument("--country", help="list: only articles about this ISO3 country")
    p.add_argument("--topic", help="list: only articles on this dataset")
    p.add_argument("--lang", choices=("es", "en"), default="es")
    p.add_argument("--out", help="html: output file (default: standard output)")
    p.add_argument("--user", help="your user name (password on standard input with --password-stdin)")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(func=cmd_library)

    p = sub.add_parser("guide", help="the Guide for focal points as one offline HTML file (or an example file)")
    p.add_argument("--lang", choices=("es", "en"), default="es")
    p.add_argument("--example", type=_dataset_arg, help="write this dataset's correct example CSV instead")
    p.add_argument("--out", help="output file (default: vipmg_guide_<lang>.html or <dataset>_example.csv); "
                                 "a name ending in .pdf prints the guide to PDF with chromium")
    p.set_defaults(func=cmd_guide)

    p = sub.add_parser("workshop", help="serve the app to the room over the local network (prints the address"
                                        " and its QR code; nothing leaves the network)")
    p.add_argument("--address", help="the address to bind and share (default: this machine's LAN address)")
    p.add_argument("--port", type=int, default=8501, help="default 8501")
    p.set_defaults(func=cmd_workshop)

    p = sub.add_parser("backup", help="a consistent backup of the store (catalogue, release files, originals of"
                                      " submissions) while the app runs")
    p.add_argument("dir", help="a new or empty folder for the backup")
    p.add_argument("--lang", choices=("es", "en"), default="es", help="language of the messages (default es)")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restore a backup (every file checked first) into an empty data directory")
    p.add_argument("dir", help="the backup's folder")
    p.add_argument("--into", help="the data directory to restore into (default: $VIPMG_DATA_DIR)")
    p.add_argument("--replace", action="store_true",
                   help="replace the store already there (its catalogue is kept aside); stop the app first")
    p.add_argument("--lang", choices=("es", "en"), default="es", help="language of the messages (default es)")
    p.set_defaults(func=cmd_restore)

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
