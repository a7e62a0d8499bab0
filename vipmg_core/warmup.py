"""Work done once per publication, not in a user's request.

Right after the app starts, and right after the published data change (a publication, an import, a withdrawal:
anything that changes `Warehouse.state_token()`), a background thread builds what the first visitors would
otherwise wait for:

- the cube of sums of every published dataset and its roll-up (`vipmg_core.cube`), which the first cross-tab,
  profile or comparison of a release would build in its request (1.7 s on a 10.6M-row census);
- the profile a Profile link opens by default (the first project country, latest data), kept for every
  session by `profiles.kept_profile`.

`start(wh)` is cheap and idempotent: the app calls it on every run, and it starts one thread per state of
each warehouse. `warm(wh)` does the same work in the caller's thread (the CLI and tests).
"""

from __future__ import annotations

import logging
import threading

from vipmg_core import crosstab as xt
from vipmg_core import profiles as pr
from vipmg_core.codelists import project_countries
from vipmg_core.datasets import dataset
from vipmg_core.warehouse import Warehouse

THREAD_NAME = "vipmg-warmup"
_log = logging.getLogger("vipmg")
_lock = threading.Lock()
_started: dict[str, tuple[str, threading.Thread]] = {}  # warehouse root -> (state token, its thread)


def warm(wh: Warehouse) -> list[str]:
    """Build every published dataset's cube and the default profile now; returns the datasets warmed.
    A dataset that fails is logged and skipped: warming never stops the app."""
    warmed = []
    for dataset_id in sorted({r.dataset_id for r in wh.releases()}):
        ds = dataset(dataset_id)
        try:  # the smallest cross-tab builds the release's cube and roll-up, exactly as a user's would
            xt.crosstab(ds.id, [ds.area_column], warehouse=wh)
            warmed.append(ds.id)
        except Exception:
            _log.exception("warm-up: the cube of %s could not be built", ds.id)
    if warmed:
        try:
            bounds = wh.year_bounds()
            pr.kept_profile(wh, project_countries()[0], pr.period_for_years(bounds, bounds), pr.DEFAULT_POOL)
        except Exception:
            _log.exception("warm-up: the default profile could not be computed")
    return warmed


def start(wh: Warehouse) -> threading.Thread | None:
    """Warm `wh` in a background thread, once per state of its data; None when this state is warm or being
    warmed already."""
    token = wh.state_token()
    root = str(wh.root)
    with _lock:
        previous = _started.get(root)
        if previous is not None and previous[0] == token:
            return None
        thread = threading.Thread(target=warm, args=(wh,), name=THREAD_NAME, daemon=True)
        _started[root] = (token, thread)
    thread.start()
    return thread
