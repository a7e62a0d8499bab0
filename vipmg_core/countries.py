"""The shared country resolver: whatever a file calls a country, the ISO 3166-1 alpha-3 code it means.

Understands ISO3, ISO2, UN M49 numbers (with or without leading zeros), the Spanish and English names of the
country codelist, and the spellings publishers use (`St. Lucia`, `Bahamas, The`, `CHINA, PEOPLES REPUBLIC OF`,
`República de Honduras`) listed in `standard/country_aliases.toml`. Matching ignores case, accents and
punctuation. A value it cannot place gets "did you mean" suggestions (rapidfuzz), never a silent guess.

    >>> resolve("St. Lucia").iso3
    'LCA'
    >>> resolve("Hondura").suggestions[0]
    'HND'
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache

from vipmg_core.codelists import codelist
from vipmg_core.config import STANDARD_DIR

ALIASES_FILE = STANDARD_DIR / "country_aliases.toml"
SUGGESTION_CUTOFF = 80.0


@dataclass(frozen=True)
class CountryMatch:
    value: str
    iso3: str | None
    method: str  # iso3 | iso2 | m49 | name | alias | none
    suggestions: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return self.iso3 is not None


def normalise(text: object) -> str:
    """Lower case, no accents, no punctuation, single spaces; "Bahamas, The" reads "the bahamas"."""
    value = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").lower()
    value = value.replace("&", " and ").replace("'", "").replace("’", "")
    value = re.sub(r"^(.*),\s*(the|el|la|los|las)\s*$", r"\2 \1", value.strip())
    value = re.sub(r"[^a-z0-9]+", " ", value)
    return " ".join(value.split())


@dataclass(frozen=True)
class _Index:
    by_iso3: frozenset[str]
    by_iso2: dict[str, str]
    by_m49: dict[str, str]
    by_name: dict[str, tuple[str, str]]  # normalised name -> (iso3, method)
    prefixes: tuple[str, ...]


@cache
def _index() -> _Index:
    countries = codelist("country")
    by_iso2: dict[str, str] = {}
    by_m49: dict[str, str] = {}
    by_name: dict[str, tuple[str, str]] = {}

    def add(name: str, iso3: str, method: str) -> None:
        key = normalise(name)
        if not key:
            return
        known = by_name.get(key)
        if known and known[0] != iso3:
            raise ValueError(f"country name {name!r} would mean both {known[0]} and {iso3}")
        by_name.setdefault(key, (iso3, method))

    for code in countries:
        if code.attrs.get("iso2"):
            by_iso2[code.attrs["iso2"].upper()] = code.code
        if code.attrs.get("m49"):
            by_m49[str(int(code.attrs["m49"]))] = code.code
        for name in code.names.values():
            add(name, code.code, "name")
    strip: list[str] = []
    # country_aliases.toml, then any country_aliases_*.toml beside it (e.g. the importers' publisher spellings).
    for path in sorted(STANDARD_DIR.glob("country_aliases*.toml")):
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
        for iso3, spellings in raw.get("aliases", {}).items():
            if iso3 not in countries:
                raise ValueError(f"{path.name}: {iso3} is not in the country codelist")
            for spelling in spellings:
                add(spelling, iso3, "alias")
        strip += raw.get("strip_prefixes", ())
    prefixes = tuple(sorted({normalise(p) for p in strip}, key=len, reverse=True))
    return _Index(frozenset(c.code for c in countries), by_iso2, by_m49, by_name, prefixes)


def resolve(value: object, *, suggest: bool = True) -> CountryMatch:
    """The ISO3 code `value` stands for, how it was recognised, or suggestions when it was not."""
    text = "" if value is None else str(value).strip()
    index = _index()
    if not text:
        return CountryMatch(text, None, "none")
    upper = text.upper()
    if upper in index.by_iso3:
        return CountryMatch(text, upper, "iso3")
    if len(upper) == 2 and upper in index.by_iso2:
        return CountryMatch(text, index.by_iso2[upper], "iso2")
    number = _m49_number(text)
    if number is not None:
        iso3 = index.by_m49.get(number)
        return CountryMatch(text, iso3, "m49" if iso3 else "none")
    key = normalise(text)
    if key in index.by_name:
        iso3, method = index.by_name[key]
        return CountryMatch(text, iso3, method)
    for prefix in index.prefixes:
        if key.startswith(prefix + " ") and key[len(prefix) + 1:] in index.by_name:
            return CountryMatch(text, index.by_name[key[len(prefix) + 1:]][0], "alias")
    return CountryMatch(text, None, "none", suggestions(text) if suggest else ())


def _m49_number(text: str) -> str | None:
    match = re.fullmatch(r"0*(\d{1,3})(?:\.0+)?", text)
    return str(int(match.group(1))) if match else None


def suggestions(value: object, limit: int = 3) -> tuple[str, ...]:
    """ISO3 codes whose names look most like `value` (best first), for a "did you mean" prompt."""
    from rapidfuzz import fuzz, process

    key = normalise(value)
    if len(key) < 3:
        return ()
    by_name = _index().by_name
    found: list[str] = []
    for name, _score, _key in process.extract(key, list(by_name), scorer=fuzz.WRatio, limit=limit * 4,
                                              score_cutoff=SUGGESTION_CUTOFF):
        iso3 = by_name[name][0]
        if iso3 not in found:
            found.append(iso3)
    return tuple(found[:limit])


def resolve_many(values: list[object]) -> dict[str, CountryMatch]:
    """Each distinct value once (files repeat the same few names thousands of times)."""
    return {str(v): resolve(v) for v in dict.fromkeys(values) if v is not None}


def is_country(iso3: str) -> bool:
    return iso3 in _index().by_iso3
