"""What the lab publishes, from the command line: `bulletin` (a country's or the region's bulletin, HTML or PDF)
and `library` (the publications library: list, or one article as offline HTML)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vipmg_core.cli.common import Subcommands, UserError, login
from vipmg_core.i18n import LANGS, t


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
        if match.iso3 is None:  # not found
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
        raise UserError(t("profiles.no_data", lang, area=area.name(lang)))
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


def cmd_library(args: argparse.Namespace) -> int:
    """The library as the public (or, with --user, an author or reviewer) sees it; drafts never for the public."""
    from vipmg_core import library
    from vipmg_core.warehouse import Warehouse

    wh = Warehouse()
    account = login(wh, args) if args.user else None
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


def add_bulletin(sub: Subcommands) -> None:
    p = sub.add_parser("bulletin", help="a country's or the region's bulletin (offline HTML, or PDF)",
                       description="Headline figures, charts, the main changes in sentences, sources and notes, "
                                   "for a country or the region and a period; the same as the Profile page.")
    p.add_argument("--country", required=True, metavar="ISO3|REGION",
                   help="an ISO3 code (or a country name), a group (MESOAMERICA, CARIBBEAN) or REGION")
    p.add_argument("--period", default="", help="a year (2024), a month (2024-06: January to June, for monthly "
                                                "routines) or a range (2020-2024); default: the latest data")
    p.add_argument("--lang", choices=LANGS, default="es", help="language of the bulletin (default es)")
    p.add_argument("--out", required=True, help="output file: .html (self-contained, offline) or .pdf (needs Chromium)")
    p.set_defaults(func=cmd_bulletin)


def add_library(sub: Subcommands) -> None:
    p = sub.add_parser("library", help="the publications library: list articles, or one as offline HTML",
                       description="list: the articles you may see (the public: published only); html ID: one "
                                   "article as a self-contained HTML file with its live figures.")
    p.add_argument("library_command", choices=("list", "html"))
    p.add_argument("id", nargs="?", help="html: the article id")
    p.add_argument("--version", type=int, help="html: a given version (default: the newest you may see)")
    p.add_argument("--country", help="list: only articles about this ISO3 country")
    p.add_argument("--topic", help="list: only articles on this dataset")
    p.add_argument("--lang", choices=LANGS, default="es")
    p.add_argument("--out", help="html: output file (default: standard output)")
    p.add_argument("--user", help="your user name (password on standard input with --password-stdin)")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(func=cmd_library)
