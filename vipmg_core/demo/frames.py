"""What every demo generator shares: the seeded random generators, the code orders (age groups, months, sex),
and turning arrays of codes or count cubes into frames with exactly the dataset's declared columns and types."""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from vipmg_core.datasets import dataset

DEMO_SEED = 2026
AGE_GROUPS: tuple[str, ...] = tuple(f"Y{a}T{a + 4}" for a in range(0, 85, 5)) + ("Y_GE85",)
MONTHS: tuple[str, ...] = tuple(f"{y}-{m:02d}" for y in range(2021, 2025) for m in range(1, 13))
SEX = ("F", "M")


def seeded_rng(seed: int, *key: object) -> np.random.Generator:
    # A CRC of the key, not hash(): hash() of strings changes between interpreter runs.
    crc = zlib.crc32("/".join(map(str, key)).encode())
    return np.random.default_rng(np.random.SeedSequence([int(seed) % 2**64, crc]))



def label_series(values: Sequence[str | None], index: np.ndarray) -> pl.Series:
    return pl.Series(values=list(values), dtype=pl.String).gather(index)


def declared_frame(dataset_id: str, columns: Mapping[str, pl.Series | str | None], height: int) -> pl.DataFrame:
    """Order and type the columns as declared; plain strings (or None) become constant columns."""
    ds = dataset(dataset_id)
    frame = pl.DataFrame({k: v for k, v in columns.items() if isinstance(v, pl.Series)}, height=height)
    consts = {k: v for k, v in columns.items() if not isinstance(v, pl.Series)}
    if consts:
        frame = frame.with_columns(pl.lit(v, dtype=pl.String).alias(k) for k, v in consts.items())
    return frame.select(ds.column_names).cast(pl.Schema(ds.polars_schema))


def cube_frame(
    dataset_id: str,
    cube: np.ndarray,
    axes: list[tuple[str, list[str]]],
    fixed: Mapping[str, str | None],
) -> pl.DataFrame:
    """One row per non-zero cell of a count cube whose axes are (column, labels)."""
    idx = np.nonzero(cube > 0)
    columns: dict[str, pl.Series | str | None] = dict(fixed)
    for (name, labels), pos in zip(axes, idx, strict=True):
        columns[name] = label_series(labels, pos)
    columns["obs_value"] = pl.Series(cube[idx].astype(np.int64))
    return declared_frame(dataset_id, columns, len(idx[0]))


def normalise(weights: Mapping[str, float]) -> tuple[list[str], np.ndarray]:
    keys = list(weights)
    values = np.asarray([weights[k] for k in keys], float)
    return keys, values / values.sum()


def age_index(age: np.ndarray) -> np.ndarray:
    """Vectorised `codelists.age_group_of`: index into AGE_GROUPS."""
    return np.minimum(age // 5, len(AGE_GROUPS) - 1)


def month_parts() -> tuple[np.ndarray, np.ndarray]:
    years = np.array([int(m[:4]) for m in MONTHS])
    months = np.array([int(m[5:]) for m in MONTHS])
    return years, months


def distribution(values: Sequence[float]) -> np.ndarray:
    arr = np.asarray(values, float)
    return arr / arr.sum()
