"""Build the public data pack (`data/pack/`) from the publishers' files, with the lab's own importers.

    python tools/build_pack.py [--realdata ../shared/realdata] [--out data/pack]

Each source file below is imported, as `python -m vipmg_core import FILE` would, into a throwaway warehouse; every
release the import publishes is written to the pack as one compact Parquet file, and `manifest.json` records its
dataset, release scope and the importer's provenance (publisher, edition, file name, the file's SHA-256), with the
licence and the attribution that licence asks for. `NOTICE.md` says the same for people. The publishers' files
themselves are never copied into the project. Rerun after an importer changes (the release scopes and provenance
come from the importers, so the pack follows them) or when a newer edition is published; review the diff.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from vipmg_core import importers  # noqa: E402
from vipmg_core.datasets import dataset  # noqa: E402
from vipmg_core.pack import MANIFEST, PACK_ACTOR, PACK_DIR, PackEntry, file_sha256  # noqa: E402
from vipmg_core.warehouse import Warehouse  # noqa: E402

GDI = "iom_gdidata_regional_series"
GDI_NOTE = ("Compiled as a tidy series by the IOM Global Data Institute in the `gdidata` R package "
            "(https://github.com/iom/gdidata, MIT licence; not affiliated with or endorsed by IOM or the data "
            "providers).")


@dataclass(frozen=True)
class PackSource:
    path: str  # under the realdata folder
    licence: str
    attribution: str
    options: tuple[tuple[str, str], ...] = ()


# In load order: where two series report the same country and month (returns to Guatemala), the later wins, as
# it would for imports made in this order.
SOURCES: tuple[PackSource, ...] = (
    PackSource(f"{GDI}/undesa_stocks.csv", "CC BY 3.0 IGO",
               "Source: United Nations, Department of Economic and Social Affairs, Population Division (2024). "
               "International Migrant Stock 2024. " + GDI_NOTE),
    PackSource("undesa_ims2020_destination/undesa_pd_2020_ims_stock_by_sex_and_destination.xlsx", "CC BY 3.0 IGO",
               "Source: United Nations, Department of Economic and Social Affairs, Population Division (2020). "
               "International Migrant Stock 2020 (UN database, POP/DB/MIG/Stock/Rev.2020)."),
    PackSource(f"{GDI}/unhcr.csv", "Reuse with attribution (UNHCR Refugee Data Finder terms)",
               "Source: UNHCR Refugee Data Finder (https://www.unhcr.org/refugee-statistics/), downloaded 2024-09-04. "
               + GDI_NOTE),
    PackSource(f"{GDI}/irreg_darien_nat.csv", "Public government statistics (reuse with attribution)",
               "Source: Servicio Nacional de Migración de Panamá, irregular transit through Darién by nationality "
               "(migracion.gob.pa/estadisticas). " + GDI_NOTE),
    PackSource(f"{GDI}/irreg_honduras_nat.csv", "Public government statistics (reuse with attribution)",
               "Source: Instituto Nacional de Migración de Honduras, Flujo Migratorio Irregular. " + GDI_NOTE),
    PackSource(f"{GDI}/irreg_mexico_nat.csv", "Public government statistics (reuse with attribution)",
               "Source: Unidad de Política Migratoria, Registro e Identidad de Personas, SEGOB, México, Boletines "
               "Estadísticos, table 3.1.1. " + GDI_NOTE),
    PackSource(f"{GDI}/irreg_mexico_exp.csv", "Public government statistics (reuse with attribution)",
               "Source: Unidad de Política Migratoria, Registro e Identidad de Personas, SEGOB, México, Boletines "
               "Estadísticos, table 3.2.4. " + GDI_NOTE),
    PackSource(f"{GDI}/irreg_guatemala.csv", "Public government statistics (reuse with attribution)",
               "Source: Instituto Guatemalteco de Migración, informes estadísticos (igm.gob.gt). " + GDI_NOTE),
    PackSource(f"{GDI}/irreg_usa.csv", "Public domain (work of the U.S. federal government)",
               "Source: U.S. Customs and Border Protection, Southwest Land Border Encounters (cbp.gov). " + GDI_NOTE),
)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_")


def build(realdata: Path, out: Path, sources: tuple[PackSource, ...] = SOURCES) -> list[PackEntry]:
    """Import every source into a throwaway warehouse and write what it published to `out` (see the module doc)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.parquet"):
        old.unlink()
    built: list[PackEntry] = []
    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse(Path(tmp))
        for source in sources:
            result = importers.import_file(wh, realdata / source.path, actor=PACK_ACTOR, options=dict(source.options))
            for item in result.datasets:
                release = item.release
                frame = pl.read_parquet(wh.root / release.path)
                name = f"{release.dataset_id}__{_slug(release.scope.removeprefix(importers.SCOPE_PREFIX))}.parquet"
                frame.write_parquet(out / name, compression="zstd", compression_level=19, statistics=False)
                notes = dict(release.provenance.get("notes") or {})
                notes.pop("imported_at", None)  # the pack's build date would change the manifest on every build
                built.append(PackEntry(
                    file=name, dataset_id=release.dataset_id, scope=release.scope, rows=frame.height,
                    sha256=file_sha256(out / name), publisher=release.publisher,
                    source_file=release.source_file or "", edition=release.edition or "", licence=source.licence,
                    attribution=source.attribution, notes=notes))
    (out / MANIFEST).write_text(json.dumps({"releases": [asdict(e) for e in built]}, ensure_ascii=False, indent=1)
                                + "\n", encoding="utf-8")
    (out / "NOTICE.md").write_text(notice(built), encoding="utf-8")
    return built


def notice(built: list[PackEntry]) -> str:
    lines = ["# Public data pack: sources and licences", "",
             "Real published series, converted into the exchange standard by the lab's importers "
             "(`python tools/build_pack.py`). Figures are as published; nothing is estimated or filled in.",
             "The publishers' original files are not part of the project: their names and SHA-256 are listed so "
             "anyone can check a figure against the original.", ""]
    for e in built:
        lines += [f"## `{e.file}`", "",
                  f"- Dataset: `{e.dataset_id}` ({dataset(e.dataset_id).title('en')}), {e.rows:,} rows; "
                  f"release scope `{e.scope}`",
                  f"- Publisher: {e.publisher}",
                  f"- Edition: {e.edition}",
                  f"- Original file: `{e.source_file}`, SHA-256 `{e.source_sha256}`",
                  f"- Licence: {e.licence}",
                  f"- Attribution: {e.attribution}", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--realdata", type=Path, default=PROJECT.parent / "shared" / "realdata")
    parser.add_argument("--out", type=Path, default=PACK_DIR)
    args = parser.parse_args()
    built = build(args.realdata, args.out)
    size = sum((args.out / e.file).stat().st_size for e in built)
    for e in built:
        print(f"{e.file}: {e.rows:,} rows")
    print(f"{len(built)} releases, {size / 1024 / 1024:.1f} MB in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
