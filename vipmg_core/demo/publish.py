"""Publishing the demo into a warehouse: `build` (the `demo` command, the tests), and `ensure_demo` on first start,
which builds it once even when several app processes start together on one empty data directory."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from vipmg_core import pack
from vipmg_core.datasets import dataset_ids
from vipmg_core.demo.frames import DEMO_SEED
from vipmg_core.demo.generators import generate_chunks
from vipmg_core.warehouse import Provenance, Release, Warehouse

DEMO_SCOPE = "demo"
DEMO_ACTOR = "system:demo"
DEMO_PUBLISHER = "VIPMG Data Lab demo generator (synthetic)"


def demo_on_empty() -> bool:
    """Whether an empty data directory gets the demo on first start (`VIPMG_DEMO=0` turns it off)."""
    return os.environ.get("VIPMG_DEMO", "1").strip().lower() not in ("0", "false", "no", "off")


def build(
    wh: Warehouse,
    *,
    seed: int = DEMO_SEED,
    scale: float = 1.0,
    progress: Callable[[str, float], None] | None = None,
    pack_dir: Path | None = None,
) -> list[Release]:
    """Publish the demo data into `wh`, each dataset as a new version of the `demo` scope.

    With `pack_dir` (the public data pack, `vipmg_core.pack`), the pack's real published series are loaded first
    and the synthetic demo is built only for the datasets the pack has no series for (census, survey, arrivals
    and departures, permits...). Without it (the default, as the tests and `demo` use it), every dataset is
    synthetic.
    """
    real = pack.datasets_in(pack_dir) if pack_dir is not None else []
    releases = pack.load(wh, pack_dir, progress=progress) if pack_dir is not None and real else []
    ids = [d for d in dataset_ids() if d not in real]
    for i, ds_id in enumerate(ids):
        if progress:
            progress(ds_id, i / len(ids))
        provenance = Provenance(publisher=DEMO_PUBLISHER, edition=f"seed {seed}, scale {scale:g}", synthetic=True)
        releases.append(wh.publish(ds_id, generate_chunks(ds_id, seed=seed, scale=scale), scope=DEMO_SCOPE,
                                   provenance=provenance, actor=DEMO_ACTOR))
    if progress:
        progress("", 1.0)
    return releases


def ensure_demo(wh: Warehouse, progress: Callable[[str, float], None] | None = None) -> bool:
    """First start: if `wh` is empty, load the public data pack (unless `VIPMG_PACK=0`) and the synthetic demo for
    the datasets it has no series for; True if this call built it.

    A file lock makes several app processes starting together on one empty directory build it once.
    """
    with _exclusive(wh.root / ".demo.lock"):
        if not wh.is_empty():
            return False
        try:
            build(wh, progress=progress, pack_dir=pack.PACK_DIR if pack.pack_on_first_start() else None)
        except pack.PackError:  # checked before anything is published: the warehouse is still empty
            logging.getLogger("vipmg").exception("public data pack not loaded; starting on the synthetic demo")
            build(wh, progress=progress)
        return True


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing), waiting as long as another thread or process holds it.

    portalocker locks with `fcntl` on POSIX and `msvcrt` on Windows; imported here, so importing the demo needs no
    platform lock module. It is tried without blocking in a loop: a blocking `msvcrt` lock gives up after ten
    seconds, and building the demo takes longer.
    """
    import portalocker

    with path.open("a") as handle:
        while True:
            try:
                portalocker.lock(handle, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
                break
            except portalocker.AlreadyLocked:
                time.sleep(0.1)
        try:
            yield
        finally:
            portalocker.unlock(handle)
