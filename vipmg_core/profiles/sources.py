"""The releases behind a figure: who published them, which edition, whether they are synthetic."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vipmg_core.datasets import Dataset, dataset, dataset_ids
from vipmg_core.profiles.periods import year_sql
from vipmg_core.warehouse import Release, Warehouse
from vipmg_core.warehouse.sql import quote as _q


@dataclass(frozen=True)
class Source:
    """One release behind a figure: who published it, which edition, and whether it is synthetic."""

    dataset_id: str
    release_id: str
    publisher: str
    edition: str
    synthetic: bool


def known_dataset(dataset_id: str) -> Dataset | None:
    return dataset(dataset_id) if dataset_id in dataset_ids() else None


def release_map(wh: Warehouse, dataset_id: str) -> dict[str, Release]:
    return {r.release_id: r for r in wh.releases(dataset_id)}


def release_sources(wh: Warehouse, dataset_id: str, release_ids: Iterable[str]) -> tuple[Source, ...]:
    known = release_map(wh, dataset_id)
    out = []
    for rid in sorted(set(release_ids)):
        r = known.get(rid)
        if r is not None:
            out.append(Source(dataset_id, rid, r.publisher, r.edition or "", r.synthetic))
    return tuple(out)


def releases_in(wh: Warehouse, ds: Dataset, areas: Sequence[str], years: tuple[int, int]) -> tuple[Source, ...]:
    year = year_sql(ds)
    ids = wh.query(ds.id, f"SELECT DISTINCT release_id FROM data WHERE {_q(ds.area_column)} IN"
                          f" (SELECT UNNEST($areas)) AND {year} BETWEEN $y0 AND $y1",
                   {"areas": list(areas), "y0": years[0], "y1": years[1]}, with_release=True)["release_id"]
    return release_sources(wh, ds.id, ids)
