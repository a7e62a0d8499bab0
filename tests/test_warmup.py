"""Work done once for everyone: results shared by every session follow each publication, are computed once when
many ask at the same moment, the background warm-up builds what the pages open with, and maps travel light."""

from __future__ import annotations

import json
import threading

import polars as pl
import pydeck as pdk

from vipmg_core import compare as cp
from vipmg_core import profiles as pr
from vipmg_core import warmup
from vipmg_core.codelists import project_countries
from vipmg_core.crosstab import cube as cubes
from vipmg_core.kept import Kept
from vipmg_core.maps import PreparedDeck, base_layer, bubble_layer, offline_deck
from vipmg_core.warehouse import Provenance, Warehouse


def _arrivals(country: str, value: int) -> pl.DataFrame:
    return pl.DataFrame({"ref_area": country, "time_period": [f"2024-{m:02d}" for m in range(1, 13)],
                         "flow": "ARR", "nationality": "USA", "sex": "F", "age_group": "Y20T24",
                         "border_type": "AIR", "obs_value": value})


def test_a_kept_profile_is_the_profile_and_a_publication_is_never_answered_from_the_older_one(empty_wh: Warehouse):
    empty_wh.publish("arrivals_departures", [_arrivals("CRI", 5)], scope="a", provenance=Provenance("t"), actor="t")
    first = pr.kept_profile(empty_wh, "CRI")
    assert first.figure("arrivals").value == pr.profile(empty_wh, "CRI").figure("arrivals").value == 60
    assert pr.kept_profile(empty_wh, "CRI") is first  # the same object for the next session: not recomputed
    empty_wh.publish("arrivals_departures", [_arrivals("CRI", 9)], scope="a", provenance=Provenance("t"), actor="t")
    assert pr.kept_profile(empty_wh, "CRI").figure("arrivals").value == 108
    comparison = cp.kept_comparison(empty_wh, "arrivals", ["CRI"])
    assert comparison.rows["value"].to_list() == cp.compare(empty_wh, "arrivals", ["CRI"]).rows["value"].to_list()


def test_sessions_asking_at_once_wait_for_one_computation():
    kept: Kept[int] = Kept(4)
    calls, started, release = [], threading.Event(), threading.Event()

    def compute() -> int:
        calls.append(1)
        started.set()
        release.wait(5)
        return 42

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(kept.get("key", compute))) for _ in range(6)]
    threads[0].start()
    started.wait(5)  # the first session is computing; five more ask for the same thing
    for thread in threads[1:]:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(10)
    assert results == [42] * 6 and len(calls) == 1


def test_the_warm_up_builds_every_cube_and_the_pages_defaults_once_per_publication(tmp_path, monkeypatch):
    from vipmg_core import demo

    wh = Warehouse(tmp_path)
    demo.build(wh, scale=0.05)
    cubes.clear()
    every_area = pr.area_codes(wh)
    # Three areas stand for all (the first, warmed before the comparisons; one between; the last): a profile
    # is a second of work, the app warms every one the same way.
    monkeypatch.setattr(pr, "area_codes", lambda _wh: [*every_area[:2], every_area[-1]])
    warmed = warmup.warm(wh, what="all")
    published = sorted({r.dataset_id for r in wh.releases()})
    assert [w for w in warmed if w.startswith("cube:")] == [f"cube:{d}" for d in published]
    with cubes._LOCK:
        built = {key[1] for key in cubes._CUBES if key[0] == str(wh.root)}
    assert built == set(published)
    bounds = wh.year_bounds()
    latest = pr.period_for_years(bounds, bounds)
    key = (str(wh.root), wh.state_token(), project_countries()[0], latest, pr.DEFAULT_POOL)
    assert key in pr._KEPT and f"profile:{pr.area_codes(wh)[-1]}" in warmed
    assert f"compare:{cp.indicators()[0]}" in warmed

    monkeypatch.setenv(warmup.MODE_ENV, "cubes")
    thread = warmup.start(wh)
    assert thread is not None
    thread.join()
    assert warmup.start(wh) is None  # the same state: nothing to do again
    wh.publish("arrivals_departures", [_arrivals("CRI", 3)], scope="new", provenance=Provenance("t"), actor="t")
    thread = warmup.start(wh)  # a publication: warmed again, in the background
    assert thread is not None
    thread.join()
    releases = tuple(r.release_id for r in wh.releases("arrivals_departures"))
    with cubes._LOCK:
        assert (str(wh.root), "arrivals_departures", releases, wh.prefer) in cubes._CUBES
    monkeypatch.setenv(warmup.MODE_ENV, "0")
    wh.publish("arrivals_departures", [_arrivals("CRI", 4)], scope="new", provenance=Provenance("t"), actor="t")
    assert warmup.start(wh) is None


def test_a_map_travels_as_compact_json_with_only_what_its_layers_read():
    layers = [base_layer("en", set(project_countries())), bubble_layer({"CRI": 10.0}, "en", "persons", "2024")]
    deck = offline_deck(layers)
    spec = deck.to_json()
    assert json.loads(spec) == json.loads(pdk.Deck.to_json(deck))  # the same deck as pydeck writes it
    assert len(spec) < len(pdk.Deck.to_json(deck)) / 4  # pydeck indents: 1.2 MB for the world's polygons
    features = json.loads(spec)["layers"][0]["data"]["features"]
    assert all(set(f["properties"]) == {"fill"} for f in features)  # not pickable: no names, no labels
    prepared = PreparedDeck(spec, height=420)
    assert prepared.to_json() is spec and prepared._tooltip == {"text": "{label}"}
