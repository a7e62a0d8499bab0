"""A release (one immutable file of one product, as the catalogue records it), its provenance, and the precedence
that decides which of two products holding the same slice readers see."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Provenance:
    publisher: str
    source_file: str | None = None
    edition: str | None = None
    synthetic: bool = False
    notes: dict[str, str] | None = None



@dataclass(frozen=True)
class Release:
    release_id: str
    dataset_id: str
    scope: str
    version: int
    status: str
    path: str
    sha256: str
    row_count: int
    synthetic: bool
    publisher: str
    source_file: str | None
    edition: str | None
    provenance: dict
    created_by: str
    created_at: str
    published_at: str | None
    published_seq: str | None

    @classmethod
    def from_row(cls, row) -> Release:
        data = dict(row)
        data["synthetic"] = bool(data["synthetic"])
        data["provenance"] = json.loads(data["provenance"])
        return cls(**data)

    @property
    def notes(self) -> dict:
        return self.provenance.get("notes") or {}

    @property
    def product(self) -> str:
        """What a reader may choose by (`Warehouse.preferring`): an import's series, else the scope."""
        return self.notes.get("series") or self.scope

    @property
    def edition_key(self) -> str:
        """One edition of a product: `<series>@<last period it covers>` (e.g. `undesa-tidy@2020`)."""
        dated = self.notes.get("edition_date")
        return f"{self.product}@{dated}" if dated else self.product

    @property
    def dated(self) -> str:
        """How recent the edition is: the last period an import covers; for others, the day published."""
        return self.notes.get("edition_date") or (self.published_at or self.created_at or "")[:10]

    def chosen_by(self, source: str | None) -> bool:
        return bool(source) and source in (self.product, self.edition_key, self.release_id, self.scope)


def precedence(release: Release, source: str | None = None) -> tuple:
    """Where published products hold the same slice, the one with the highest key is read: the one chosen,
    then real data before the synthetic demo, then the one covering more parts of the slice (a dataset's
    `coverage_columns`: border regions, say), then the most recent edition, then the one published last."""
    return (release.chosen_by(source), not release.synthetic, len(release.provenance.get("parts") or ()),
            release.dated, release.published_seq or "")
