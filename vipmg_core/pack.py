"""The public data pack: real published series shipped with the project, loaded on first start.

`tools/build_pack.py` runs the lab's own importers on the publishers' files and writes what each import
published as one compact Parquet file under `data/pack/`, with `manifest.json` (one entry per release, in load
order: dataset, release scope, the importer's provenance, licence and attribution) and `NOTICE.md`. Loading the
pack publishes each file as the importer would have: same scope, same provenance (the source file's SHA-256
included), so re-importing that file is "already imported" and a newer edition of one product supersedes that
product's pack release only. The pack is real data (`synthetic=False`): `demo --off` leaves it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from vipmg_core.blobs import file_sha256
from vipmg_core.config import PROJECT_DIR
from vipmg_core.datasets import dataset, dataset_ids
from vipmg_core.i18n import t
from vipmg_core.warehouse import Provenance, Release, Warehouse

PACK_DIR = PROJECT_DIR / "data" / "pack"
MANIFEST = "manifest.json"
PACK_ACTOR = "system:pack"


@dataclass(frozen=True)
class PackEntry:
    """One release of the pack: which file, for which dataset and scope, from which publisher's file."""

    file: str
    dataset_id: str
    scope: str
    rows: int
    sha256: str  # of the Parquet file in the pack
    publisher: str
    source_file: str
    edition: str
    licence: str
    attribution: str
    notes: dict[str, str] = field(default_factory=dict)  # the importer's provenance notes (source SHA-256, ...)

    @property
    def source_sha256(self) -> str:
        return self.notes.get("sha256", "")

    def provenance(self) -> Provenance:
        return Provenance(publisher=self.publisher, source_file=self.source_file, edition=self.edition,
                          synthetic=False, notes={**self.notes, "licence": self.licence,
                                                  "attribution": self.attribution, "loaded_from": "data/pack"})


class PackError(ValueError):
    """The shipped pack is damaged (a file missing or changed since it was built)."""


def pack_on_first_start() -> bool:
    """Whether first start loads the public pack where it exists (`VIPMG_PACK=0` gives the all-synthetic demo)."""
    return os.environ.get("VIPMG_PACK", "1").strip().lower() not in ("0", "false", "no", "off")


def entries(pack_dir: Path = PACK_DIR) -> list[PackEntry]:
    """The pack's releases in load order; none when the project ships no pack."""
    path = Path(pack_dir) / MANIFEST
    if not path.is_file():
        return []
    raw = json.loads(path.read_text(encoding="utf-8"))
    return [PackEntry(**item) for item in raw["releases"]]


def datasets_in(pack_dir: Path = PACK_DIR) -> list[str]:
    """The datasets the pack holds a real series for, in the standard's order."""
    held = {e.dataset_id for e in entries(pack_dir)}
    return [d for d in dataset_ids() if d in held]


def load(wh: Warehouse, pack_dir: Path = PACK_DIR,
         progress: Callable[[str, float], None] | None = None) -> list[Release]:
    """Publish every release of the pack into `wh`, as the importers published it when the pack was built."""
    items = entries(pack_dir)
    for item in items:  # check everything before publishing anything
        path = Path(pack_dir) / item.file
        if not path.is_file() or file_sha256(path) != item.sha256:
            raise PackError(f"data pack file {item.file} is missing or changed; rebuild with tools/build_pack.py")
    releases = []
    for i, item in enumerate(items):
        if progress:
            progress(item.dataset_id, i / max(len(items), 1))
        frame = pl.read_parquet(Path(pack_dir) / item.file)
        releases.append(wh.publish(item.dataset_id, [frame], scope=item.scope, provenance=item.provenance(),
                                   actor=PACK_ACTOR))
    return releases


def synthetic_datasets(wh: Warehouse) -> list[str]:
    """The datasets whose readers see synthetic rows, in the standard's order: what the demo notice names."""
    return [d for d in dataset_ids() if wh.releases(d) and wh.has_synthetic([d])]


def synthetic_notice(wh: Warehouse, lang: str) -> str | None:
    """The warning every page shows while synthetic data is visible, naming only the synthetic datasets when the
    warehouse also holds real series (the app's first start with the pack); None when nothing is synthetic."""
    synthetic = synthetic_datasets(wh)
    if not synthetic:
        return None
    if not any(not r.synthetic for r in wh.releases()):  # nothing real at all: the whole app is the demo
        return t("shell.synthetic_notice", lang)
    return t("pack.synthetic_notice", lang, datasets=", ".join(dataset(d).title(lang) for d in synthetic))


def source_label(wh: Warehouse, dataset_id: str, lang: str) -> str:
    """Where a dataset's figures come from, for a caption: "publisher, edition" of each real release, or "synthetic
    demo"."""
    releases = sorted(wh.releases(dataset_id), key=lambda r: (r.synthetic, r.publisher))
    names = dict.fromkeys(t("home.demo_label", lang) if r.synthetic
                          else ", ".join(filter(None, (r.publisher, r.edition))) for r in releases)
    return "; ".join(names)
