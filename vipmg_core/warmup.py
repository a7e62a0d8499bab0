"""Work done once per publication, not in a user's request.

Right after the app starts, and right after the published data change (a publication, an import, a withdrawal:
anything that changes `Warehouse.state_token()`), a background thread builds what the first visitors would
otherwise wait for:

- the cube of sums of every published dataset and its roll-up (`vipmg_core.crosstab.cube`), which the first cross-tab,
  profile or comparison of a release would build in its request (1.7 s on a 10.6M-row census);
- the profiles the Profile page opens (every area, latest data, default pooling: the first project country
  first, the one a link without a country opens), kept for every session by `profiles.kept_profile`;
- the comparisons the Compare page opens (every indicator for the project countries, latest data), kept by
  `compare.kept_comparison`.

`start(wh)` is cheap and idempotent: the app calls it on every run, and it starts one thread per state of
each warehouse. `warm(wh)` does the same work in the caller's thread. `VIPMG_WARMUP=cubes` builds the cubes
only (the test suite, whose many small warehouses would each start the whole warm-up), `VIPMG_WARMUP=0` nothing.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import Callable
from functools import partial

from vipmg_core import compare as cp
from vipmg_core import crosstab as xt
from vipmg_core import profiles as pr
from vipmg_core.codelists import project_countries
from vipmg_core.datasets import dataset
from vipmg_core.warehouse import Warehouse

THREAD_NAME = "vipmg-warmup"
MODE_ENV = "VIPMG_WARMUP"  # "all" (default), "cubes", or "0"
logger = logging.getLogger("vipmg")
_lock = threading.Lock()
_started: dict[str, tuple[str, threading.Thread]] = {}  # warehouse root -> (state token, its thread)


def mode() -> str:
    value = os.environ.get(MODE_ENV, "all").strip().lower()
    return "off" if value in ("0", "off", "no", "false") else "cubes" if value == "cubes" else "all"


def warm(wh: Warehouse, *, what: str | None = None) -> list[str]:
    """Build every published dataset's cube, then (`what="all"`) the pages' default profiles and comparisons;
    returns what was warmed ("cube:census", "profile:CRI", "compare:arrivals"). A piece that fails is logged
    and skipped: warming never stops the app."""
    what = what or mode()
    warmed: list[str] = []
    if what == "off":
        return warmed

    def attempt(label: str, work: Callable[[], object]) -> None:
        try:
            work()
            warmed.append(label)
        except Exception:
            logger.exception("warm-up: %s failed", label)

    for dataset_id in sorted({r.dataset_id for r in wh.releases()}):
        ds = dataset(dataset_id)  # the smallest cross-tab builds the cube and roll-up, exactly as a user's would
        attempt(f"cube:{ds.id}", partial(xt.crosstab, ds.id, [ds.area_column], warehouse=wh))
    if what != "all" or not warmed:
        return warmed
    bounds = wh.year_bounds()
    latest = pr.period_for_years(bounds, bounds)  # what a page opens with the sidebar's whole range of years
    codes = pr.area_codes(wh)
    attempt(f"profile:{codes[0]}", partial(pr.kept_profile, wh, codes[0], latest, pr.DEFAULT_POOL))
    countries = tuple(project_countries())
    for indicator in cp.indicators():
        attempt(f"compare:{indicator}", partial(cp.kept_comparison, wh, indicator, countries, latest))
    for code in codes[1:]:
        attempt(f"profile:{code}", partial(pr.kept_profile, wh, code, latest, pr.DEFAULT_POOL))
    return warmed


def _warm_and_freeze(wh: Warehouse) -> None:
    warm(wh)
    # What exists now (modules, cubes, kept profiles) lives as long as the server: frozen, Python's collector
    # no longer walks it, so a full collection no longer holds every session for a tenth of a second.
    gc.collect()
    gc.freeze()


def start(wh: Warehouse) -> threading.Thread | None:
    """Warm `wh` in a background thread, once per state of its data; None when this state is warm or being
    warmed already."""
    if mode() == "off":
        return None
    token = wh.state_token()
    root = str(wh.root)
    with _lock:
        previous = _started.get(root)
        if previous is not None and previous[0] == token:
            return None
        thread = threading.Thread(target=_warm_and_freeze, args=(wh,), name=THREAD_NAME, daemon=True)
        _started[root] = (token, thread)
    thread.start()
    return thread
