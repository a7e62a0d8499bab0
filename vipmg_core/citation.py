"""How to cite what a person downloads or reads by URL: one line, in the language chosen.

The line names who published the figures (each release read: publisher, edition, version), the dataset or
view, the platform, the date the figures were read, and the link that reopens the same view, e.g.
`UNHCR (2024-06, v2). «Retornos». VIPMG Data Lab, consultado el 2026-12-04. https://host/crosstab?xds=returns`.
"""

from __future__ import annotations

from collections.abc import Iterable

from vipmg_core.i18n import t

PLATFORM = "VIPMG Data Lab"
# How crosstab.compute writes one release's provenance line: publisher · edition · file · vN · SHA-256 …
_PROVENANCE_SEPARATOR = " · "


def source(publisher: str, edition: str | None, version: int | str | None) -> str:
    """One release as a citation names it: `publisher (edition, vN)`."""
    version_text = str(version) if version not in (None, "") else ""
    if version_text and not version_text.startswith("v"):
        version_text = f"v{version_text}"
    detail = ", ".join(part for part in ((edition or "").strip(), version_text) if part)
    return f"{publisher.strip()} ({detail})" if detail else publisher.strip()


def sources_from_provenance(lines: Iterable[str]) -> tuple[str, ...]:
    """The releases of provenance lines (`publisher · edition · file · vN · SHA-256 …`), once each."""
    found: list[str] = []
    for line in lines:
        parts = [part.strip() for part in line.split(_PROVENANCE_SEPARATOR)]
        version = next((p for p in parts[3:] if p.startswith("v") and p[1:].isdigit()), None)
        found.append(source(parts[0], parts[1] if len(parts) > 1 else "", version))
    return tuple(dict.fromkeys(s for s in found if s))


def sources_of(releases: Iterable[object]) -> tuple[str, ...]:
    """The citation's sources from objects with `publisher`, `edition` (and `version`): releases, profile sources."""
    return tuple(dict.fromkeys(source(r.publisher, r.edition, getattr(r, "version", None))  # type: ignore[attr-defined]
                               for r in releases))


def cite(lang: str, *, title: str, sources: Iterable[str] = (), link: str = "", accessed: str = "") -> str:
    """The "how to cite" line: sources (or the platform), title, platform, date read (YYYY-MM-DD), link."""
    who = "; ".join(dict.fromkeys(sources)) or PLATFORM
    line = t("citation.line", lang, sources=who, title=title, platform=PLATFORM, date=accessed[:10] or "–")
    return f"{line} {link}".strip() if link else line
