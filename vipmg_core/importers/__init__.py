"""Importers for real public data: UN DESA, UNHCR, the World Bank, regional series and US CBP, in one call.

    from vipmg_core.importers import import_file
    result = import_file(Warehouse(), "UN_MigrantStockByOriginAndDestination_2015.xlsx", actor="cli:ana")
    result.datasets[0].release.version, result.unresolved, result.aggregates

One module per publisher (`undesa`, `unhcr`, `worldbank`, `regional`, `cbp`) reads its files into `Table`s:
rows in the shape of a dataset of the standard, with country columns still as the file writes them. What every
import shares (`publishing`):

- Countries resolve only through `vipmg_core.countries`. A value it cannot place is never dropped silently:
  in an origin or nationality column it is counted under "other/unknown" (OOO), so totals still add up; in
  the reporting column (destination, asylum, recording country) the rows are left out. Both are listed, with
  their rows and values, in the result. Empty cells are "not stated" (null), also counted.
- Regional aggregates (WORLD, Central America, income groups...) are set apart by the publisher module and
  listed; they never become country rows.
- Each dataset a file feeds is one warehouse release, scope `import:<publisher>:<series>[:<coverage>]:<dataset>`
  (one product: the publisher's series, and what part of it the file covers), with the source's SHA-256, size
  and edition in the release's provenance. A file whose SHA-256 is already in the warehouse changes nothing
  ("already imported"); a newer edition becomes a new version of its own product's scope and replaces only
  that product's older edition (the summary says which); an older edition than the one published is refused
  unless forced. Another product holding the same countries and periods is kept: readers see one of them by
  the warehouse's precedence (`warehouse.precedence`) and can choose the other (`Warehouse.preferring`).

The package: `source` (the file, read through `vipmg_core.readers`' checks, and `ImportProblem`), `result` (what
was read and what the import did), `publishing` (`import_file`), `provenance` (sources, the demo), `recoding`
(helpers the publisher modules share).
"""

from vipmg_core.importers.provenance import (
    demo_releases,
    has_real_data,
    imported_releases,
    provenance_line,
    provenance_lines,
    source_note,
    source_sha256,
    sources_table,
    withdraw_demo,
)
from vipmg_core.importers.publishing import KINDS, detect, import_file, module
from vipmg_core.importers.recoding import codes_of, month_of, recode, tidy_count, without_missing_values
from vipmg_core.importers.result import (
    SCOPE_PREFIX,
    DatasetImport,
    ImportResult,
    Note,
    Parsed,
    Table,
    Unresolved,
    result_dict,
)
from vipmg_core.importers.source import PUBLISHED, ImportProblem, Source

DEMO_SCOPE = "demo"

__all__ = [
    "DEMO_SCOPE", "KINDS", "PUBLISHED", "SCOPE_PREFIX", "DatasetImport", "ImportProblem", "ImportResult", "Note",
    "Parsed", "Source", "Table", "Unresolved", "codes_of", "demo_releases", "detect", "has_real_data",
    "import_file", "imported_releases", "module", "month_of", "provenance_line", "provenance_lines", "recode",
    "result_dict", "source_note", "source_sha256", "sources_table", "tidy_count", "withdraw_demo",
    "without_missing_values",
]
