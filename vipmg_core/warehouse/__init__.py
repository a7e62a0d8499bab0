"""The warehouse: published data as immutable Parquet files, listed in the catalogue, queried by DuckDB.

A release is written under a temporary name, fsynced and renamed, and only then recorded (with the
previous version of the same scope marked superseded) in one catalogue transaction. Readers take the list
of published files in one catalogue read, so they see the old data or the new, never half.

A scope is one product: an import's is its publisher, series and coverage (`importers`), so a new edition
replaces its own older edition and nothing else. Two products holding the same slice (reporting area and
period) are both kept; readers see one of them by an explicit precedence (`precedence`): real data before the
synthetic demo, then the one covering more parts of the slice (a dataset's `coverage_columns`), then the most
recent edition (an import is dated by the last period it covers, a submission by the day it was published),
then the one published last. `Warehouse.preferring(source)` reads another
product first, or an older edition of one (`sources` lists the choices).

`store`: the Warehouse (writing and reading); `releases`: a release, its provenance and the precedence;
`release_files`: writing a release's Parquet file; `sql`: the in-memory DuckDB and quoting.
"""

from vipmg_core.warehouse.release_files import ReleaseFile, conform, write_release_file
from vipmg_core.warehouse.releases import Provenance, Release, precedence
from vipmg_core.warehouse.sql import duck
from vipmg_core.warehouse.store import Warehouse, sweep_release_files

__all__ = [
    "Provenance", "Release", "ReleaseFile", "Warehouse", "conform", "duck", "precedence", "sweep_release_files",
    "write_release_file",
]
