"""User-facing text in Spanish and English, and locale-aware number formatting.

Messages live in `locales/*.toml` (one file per feature: `messages.toml` for the shell and home, then
`crosstab.toml`, ...), one table per key with `es` and `en` side by side, so a missing translation shows up
in review and in tests. A key defined in two files is an error. Spanish is the default language.
"""

from __future__ import annotations

import math
import tomllib
from functools import cache

from vipmg_core.config import PACKAGE_DIR

LANGS = ("es", "en")
DEFAULT_LANG = "es"
LANG_NAMES = {"es": "Español", "en": "English"}


@cache
def messages() -> dict[str, dict[str, str]]:
    flat: dict[str, dict[str, str]] = {}

    def walk(prefix: str, node: dict, source: str) -> None:
        if "es" in node and isinstance(node["es"], str):
            if prefix in flat:
                raise ValueError(f"message {prefix!r} is defined twice (again in {source})")
            flat[prefix] = node
            return
        for key, child in node.items():
            walk(f"{prefix}.{key}" if prefix else key, child, source)

    for path in sorted((PACKAGE_DIR / "locales").glob("*.toml")):
        with path.open("rb") as handle:
            walk("", tomllib.load(handle), path.name)
    return flat


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """The message `key` in `lang`, with `{name}` placeholders filled from `values`."""
    entry = messages().get(key)
    if entry is None:
        raise KeyError(f"no message {key!r}")
    text = entry.get(lang) or entry[DEFAULT_LANG]
    return text.format(**values) if values else text


class TranslatedError(ValueError):
    """A problem the user can fix, said in their language by `message(lang)`.

    Subclasses set `prefix`; the message key is `<prefix>.<key>` (or `key` itself with no prefix).
    """

    prefix = ""

    def __init__(self, key: str, **values: object):
        self.key, self.values = key, values
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        return t(f"{self.prefix}.{self.key}" if self.prefix else self.key, lang, **self.values)


def normalise_lang(lang: object) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def fmt_number(value: float | None, lang: str = DEFAULT_LANG, decimals: int = 0) -> str:
    """Thousands grouped as readers of each language expect: 1 234 567 (es, SI/RAE style), 1,234,567 (en)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    if lang == "es":
        # A narrow no-break space never wraps inside a number and reads the same in every Spanish-speaking
        # country, whichever of comma or point it uses for decimals.
        text = text.replace(",", "\u202f")
    return text


def fmt_percent(value: float | None, lang: str = DEFAULT_LANG, decimals: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{fmt_number(value, lang, decimals)} %"


def fmt_change(ratio: float | None, lang: str = DEFAULT_LANG) -> str:
    """A relative change (0.12 -> '+12.0 %')."""
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return "–"
    sign = "+" if ratio >= 0 else "−"
    return f"{sign}{fmt_percent(abs(ratio) * 100, lang)}"
