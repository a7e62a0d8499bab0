"""Writing a release's file: the frames conformed to the dataset's declaration, written as one Parquet file under a
temporary name, fsynced and renamed, with what it covers; nothing names it until the catalogue records it."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from vipmg_core import rules as data_rules
from vipmg_core.blobs import file_sha256
from vipmg_core.datasets import Dataset


@dataclass(frozen=True)
class ReleaseFile:
    """A release's file once written: its path relative to the store's root, SHA-256 and row count, and what it
    covers: the (reporting area, period) slices and, for a dataset with `coverage_columns`, its parts."""

    path: Path
    sha256: str
    rows: int
    slices: frozenset[tuple[str, str]]
    parts: frozenset[str]


def write_release_file(root: Path, ds: Dataset, release_id: str, frames: Iterable[pl.DataFrame],
                       on_rows: Callable[[int], None] | None = None) -> ReleaseFile:
    """Write `frames` as `warehouse/<dataset>/<release_id>.parquet` under `root` (conformed to the declaration; for
    aggregates, without a total beside its parts); `on_rows` hears the rows written so far."""
    rel_path = Path("warehouse") / ds.id / f"{release_id}.parquet"
    final = root / rel_path
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{release_id}.parquet.tmp")
    rows = 0
    slices: set[tuple[str, str]] = set()
    parts: set[str] = set()
    try:
        writer = None
        schema = ds.polars_schema
        for frame in frames:
            conformed = conform(frame, ds, schema)
            if not ds.is_microdata:  # every path (submissions, importers, the API): a total never beside its parts
                conformed = data_rules.without_covered_totals(ds, conformed)
            slices |= set(conformed.select(ds.area_column, pl.col(ds.time_column).cast(pl.String))
                          .unique().iter_rows())
            if ds.coverage_columns:
                parts |= {"|".join(str(v) for v in row)
                          for row in conformed.select(ds.coverage_columns).unique().iter_rows()}
            table = conformed.to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=1_000_000)
            rows += table.num_rows
            if on_rows:
                on_rows(rows)
        if writer is None:
            pl.DataFrame(schema=schema).write_parquet(tmp)
        else:
            writer.close()
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        digest = file_sha256(tmp)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return ReleaseFile(rel_path, digest, rows, frozenset(slices), frozenset(parts))


def conform(frame: pl.DataFrame, ds: Dataset, schema: dict | None = None) -> pl.DataFrame:
    """The frame with exactly the declared columns, in order, cast to the declared types."""
    schema = schema or ds.polars_schema
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise ValueError(f"{ds.id}: missing columns {missing}")
    return frame.select(pl.col(name).cast(dtype, strict=True) for name, dtype in schema.items())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
