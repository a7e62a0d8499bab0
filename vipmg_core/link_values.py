"""A link's parameter values, read and written: how a short code in a URL becomes a value and back.

A page reads a link leniently, as a person typed or kept it: a value it does not offer (a typo, a code no longer
offered) is the page's default. The API reads the same parameters strictly, as a program's request: such a value is
a `LinkError` naming the parameter and what it may hold, said in Spanish and English. vipmg_core/links.py declares
each view's parameters, allowed values and defaults, and reads them through a `Reader`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from vipmg_core.i18n import TranslatedError

Params = Mapping[str, str]
Filters = tuple[tuple[str, tuple[str, ...]], ...]  # (dimension, codes), only the filtered dimensions
FLAGS = {"1": True, "0": False}  # how a link writes a yes/no choice


class LinkError(TranslatedError):
    """A value a strict reading refuses (`from_params(..., strict=True)`): `name` is the parameter."""

    prefix = "links.error"

    def __init__(self, key: str, name: str, **values: object):
        self.name = name
        super().__init__(key, name=name, **values)


def listed(values: Collection[object], limit: int = 30) -> str:
    """What a parameter may hold, for a message: a range's ends, or the values (the first `limit`)."""
    if isinstance(values, range):
        return f"{values.start}–{values.stop - 1}"
    shown = [str(v) for v in values]
    return ", ".join(shown[:limit]) + (", …" if len(shown) > limit else "")


@dataclass(frozen=True)
class Reader:
    """Reads a link's parameters. Each method returns the value, or None / the default where the link leaves the
    parameter out or (read leniently) holds a value not allowed; read `strict`ly, such a value is a LinkError."""

    params: Params
    strict: bool = False

    def refuse(self, name: str, allowed: str, value: str | None = None) -> None:
        """Strictly read, the parameter `name` is refused (`value`: what it holds, when not its whole value)."""
        if self.strict:
            raise LinkError("bad_value", name, value=self.params[name] if value is None else value, allowed=allowed)

    def only(self, known: Sequence[str], prefix: str | None = None) -> None:
        """Strictly read, a parameter the view does not know (nor starting with its filters' `prefix`) is refused."""
        if not self.strict:
            return
        for name in self.params:
            if name not in known and not (prefix and name.startswith(prefix)):
                shown = [*known, *([f"{prefix}<dimension>"] if prefix else [])]
                raise LinkError("unknown_parameter", name, allowed=", ".join(shown))

    def filters_only(self, prefix: str, dimensions: Collection[str]) -> None:
        """Strictly read, a filter (`prefix` + dimension) of a dimension the view does not filter is refused."""
        for name in self.params:
            if name.startswith(prefix) and name.removeprefix(prefix) not in dimensions:
                self.refuse(name, listed(dimensions), value=name.removeprefix(prefix))

    def require(self, name: str, allowed: Collection[object]) -> None:
        """Strictly read, a parameter every link of the view writes must be there."""
        if self.strict and name not in self.params:
            raise LinkError("missing", name, allowed=listed(allowed))

    def choice(self, name: str, allowed: Collection[str]) -> str | None:
        raw = self.params.get(name)
        if raw is None or raw in allowed:
            return raw
        self.refuse(name, listed(allowed))
        return None

    def codes(self, name: str, allowed: Collection[str]) -> tuple[str, ...] | None:
        """The codes of a comma list that `allowed` holds, each once, in the link's order; None when none is
        (a blank list is none chosen, never refused)."""
        raw = self.params.get(name)
        pieces = (raw or "").split(",")
        if raw and any(c not in allowed for c in pieces):
            self.refuse(name, listed(allowed))
        return tuple(dict.fromkeys(c for c in pieces if c in allowed)) or None

    def dims(self, name: str, allowed: Collection[str], default: Sequence[str]) -> tuple[str, ...]:
        """Dimensions: absent or unreadable, the default; present and empty (`xc=`), none (the person removed them)."""
        raw = self.params.get(name)
        if raw is None:
            return tuple(default)
        return () if raw == "" else self.codes(name, allowed) or tuple(default)

    def flag(self, name: str, default: bool) -> bool:
        raw = self.params.get(name)
        if raw is None:
            return default
        if raw in FLAGS:
            return FLAGS[raw]
        self.refuse(name, listed(FLAGS))
        return default

    def integer(self, name: str, allowed: Collection[int], default: int) -> int:
        raw = self.params.get(name)
        if raw is None:
            return default
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        if raw.isdecimal() and int(raw) in allowed:
            return int(raw)
        self.refuse(name, listed(allowed))
        return default

    def years(self, name: str, bounds: tuple[int, int]) -> tuple[int, int] | None:
        """`2015-2020`, within the years that have data (`bounds`); None when it names none of them."""
        raw = self.params.get(name)
        if raw is None:
            return None
        try:
            first, last = (int(part) for part in raw.split("-"))
        except ValueError:
            first, last = 1, 0
        first, last = max(first, bounds[0]), min(last, bounds[1])
        if first <= last:
            return first, last
        self.refuse(name, f"{bounds[0]}-{bounds[1]}")
        return None


# -- writing ---------------------------------------------------------------------------------------------------

def normal_filters(pairs: Mapping[str, Sequence[str]] | Filters) -> Filters:
    """One order (by dimension) and no empty choice, whichever order the page or the link gave them in."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    return tuple(sorted((dim, tuple(codes)) for dim, codes in items if codes))


def changed(pairs: Sequence[tuple[str, object, object, str]]) -> dict[str, str]:
    """(parameter, value, default, text) -> the parameters whose value is not the default."""
    return {name: text for name, value, default, text in pairs if value != default}


def as_text(value: object) -> str:
    """A value as a link writes it: a flag as 1 or 0, codes separated by commas."""
    if isinstance(value, bool):
        return next(text for text, meaning in FLAGS.items() if meaning is value)
    return ",".join(value) if isinstance(value, tuple) else str(value)


def url(page: str, params: Mapping[str, str]) -> str:
    """The link's path and query, as the pages write it (codes separated by commas, readable in an e-mail)."""
    return f"/{page}?{urlencode(dict(params), safe=',')}" if params else f"/{page}"
