"""The demo generator: deterministic, shaped like the standard, and telling the stories demos rely on."""

from __future__ import annotations

import polars as pl
import pytest

from vipmg_core import demo
from vipmg_core.codelists import age_group_of, codelist, project_countries
from vipmg_core.datasets import dataset, dataset_ids

# Microdata are generated small here; the shape checks do not need the full default sample.
SMALL = 0.1


@pytest.fixture(scope="module")
def frames() -> dict[str, pl.DataFrame]:
    return {ds_id: demo.generate(ds_id) for ds_id in dataset_ids()}


def _code_values(frame: pl.DataFrame, column: str) -> set[str]:
    return set(frame.get_column(column).drop_nulls().unique().to_list())


def test_every_standard_dataset_has_a_generator(frames):
    assert set(frames) == set(dataset_ids())
    assert all(frame.height > 0 for frame in frames.values())


@pytest.mark.parametrize("ds_id", dataset_ids())
def test_same_seed_same_data_other_seed_other_data(ds_id):
    first = demo.generate(ds_id, scale=SMALL)
    assert first.equals(demo.generate(ds_id, scale=SMALL))
    assert not first.equals(demo.generate(ds_id, seed=demo.DEMO_SEED + 1, scale=SMALL))


@pytest.mark.parametrize("ds_id", dataset_ids())
def test_columns_and_dtypes_are_exactly_the_declared_ones(frames, ds_id):
    ds = dataset(ds_id)
    assert frames[ds_id].columns == ds.column_names
    assert dict(frames[ds_id].schema) == ds.polars_schema


@pytest.mark.parametrize("ds_id", dataset_ids())
def test_all_project_countries_appear(frames, ds_id):
    area = dataset(ds_id).area_column
    assert set(project_countries()) <= _code_values(frames[ds_id], area)


@pytest.mark.parametrize("ds_id", dataset_ids())
def test_codes_exist_in_their_codelists_and_no_totals_are_stored(frames, ds_id):
    ds = dataset(ds_id)
    for col in ds.columns:
        if col.type != "code":
            continue
        values = _code_values(frames[ds_id], col.name)
        assert "_T" not in values, f"{ds_id}.{col.name} stores totals"
        try:
            known = codelist(col.codelist_id)
        except KeyError:
            if col.codelist_id == "country":
                continue  # country.csv is written separately; the other checks still run
            raise
        unknown = values - set(known.codes)
        assert not unknown, f"{ds_id}.{col.name}: codes not in {col.codelist_id}: {sorted(unknown)}"


@pytest.mark.parametrize("ds_id", [d.id for d in map(dataset, dataset_ids()) if not d.is_microdata])
def test_aggregates_are_positive_counts_and_ignore_scale(frames, ds_id):
    frame = frames[ds_id]
    assert frame.get_column("obs_value").min() > 0  # zero cells are omitted, never negative
    assert demo.generate(ds_id, scale=3.0).equals(frame)


def test_periods_cover_the_documented_ranges(frames):
    for ds_id in ("arrivals_departures", "returns", "irregular_transit"):
        assert sorted(_code_values(frames[ds_id], "time_period")) == list(demo.MONTHS)
    assert _code_values(frames["residence_permits"], "time_period") == {str(y) for y in range(2015, 2025)}
    assert _code_values(frames["migrant_stock"], "time_period") == {str(y) for y in demo.STOCK_YEARS}
    assert _code_values(frames["survey"], "time_period") == {str(y) for y in range(2019, 2025)}
    rounds = frames["census"].group_by("ref_area").agg(pl.col("census_year").n_unique()).get_column("census_year")
    assert rounds.min() == 3


@pytest.mark.parametrize("ds_id", ["census", "survey"])
def test_age_group_agrees_with_age(frames, ds_id):
    pairs = frames[ds_id].select("age", "age_group").unique()
    assert all(age_group_of(age) == group for age, group in pairs.iter_rows())
    assert pairs.get_column("age").min() >= 0 and pairs.get_column("age").max() <= 120


def test_census_cri_2020_round_foreign_born_are_mostly_nicaraguan(frames):
    cri = frames["census"].filter(pl.col("ref_area") == "CRI")
    latest = max(_code_values(cri, "census_year"))
    assert 2018 <= int(latest) <= 2024
    born = (
        cri.filter(pl.col("census_year") == latest, pl.col("country_of_birth") != "CRI")
        .group_by("country_of_birth")
        .agg(pl.col("weight").sum())
        .sort("weight", descending=True)
    )
    assert born.item(0, "country_of_birth") == "NIC"


def test_census_weights_expand_to_the_population_and_nulls_mean_what_they_say(frames):
    census = frames["census"]
    cri = census.filter(pl.col("ref_area") == "CRI", pl.col("census_year") == "2022")
    assert 4.5e6 < cri.get_column("weight").sum() < 6e6
    assert cri.get_column("weight").n_unique() > 100  # weights vary by row
    native = pl.col("country_of_birth") == pl.col("ref_area")
    assert census.filter(native & pl.col("year_of_arrival").is_not_null()).is_empty()
    assert census.filter(~native & pl.col("year_of_arrival").is_null()).is_empty()
    assert census.filter(pl.col("year_of_arrival") > pl.col("census_year").cast(pl.Int32)).is_empty()
    assert census.filter((pl.col("age") < 5) & pl.col("residence_5y_ago").is_not_null()).is_empty()
    assert census.filter((pl.col("age") < 5) & (pl.col("education") != "_Z")).is_empty()
    assert census.filter((pl.col("age") < 15) & (pl.col("labour_status") != "_Z")).is_empty()


def test_census_foreign_born_shares(frames):
    census = frames["census"].with_columns(foreign=pl.col("country_of_birth") != pl.col("ref_area"))
    share = dict(
        census.group_by("ref_area")
        .agg((pl.col("weight") * pl.col("foreign")).sum() / pl.col("weight").sum())
        .iter_rows()
    )
    assert 0.07 < share["CRI"] < 0.14
    assert 0.04 < share["PAN"] < 0.10
    assert 0.12 < share["BLZ"] < 0.20
    assert all(0.005 < share[c] < 0.04 for c in ("SLV", "GTM", "HND", "MEX", "NIC", "JAM"))


def test_migrant_stock_pan_2020_led_by_venezuelans_and_colombians(frames):
    top = (
        frames["migrant_stock"]
        .filter(pl.col("destination") == "PAN", pl.col("time_period") == "2020")
        .group_by("origin")
        .agg(pl.col("obs_value").sum())
        .sort("obs_value", descending=True)
    )
    assert set(top.get_column("origin").head(2)) == {"VEN", "COL"}


def test_migrant_stock_shows_emigrants_abroad(frames):
    stock = frames["migrant_stock"].filter(pl.col("time_period") == "2020")
    mex_usa = stock.filter(pl.col("destination") == "USA", pl.col("origin") == "MEX").get_column("obs_value").sum()
    assert 9e6 < mex_usa < 13e6
    assert {"USA", "CAN", "ESP"} <= _code_values(stock.filter(pl.col("origin") == "HND"), "destination")


def test_returns_to_northern_central_america_come_from_usa_and_mexico(frames):
    returns = frames["returns"].filter(pl.col("ref_area").is_in(["GTM", "HND", "SLV"]))
    by_source = returns.group_by("returned_from").agg(pl.col("obs_value").sum())
    total = by_source.get_column("obs_value").sum()
    main = by_source.filter(pl.col("returned_from").is_in(["USA", "MEX"])).get_column("obs_value").sum()
    assert main / total > 0.9
    from_mex = returns.filter(pl.col("returned_from") == "MEX")
    modes = dict(from_mex.group_by("transport").agg(pl.col("obs_value").sum()).iter_rows())
    assert modes["LAND"] > modes.get("AIR", 0)
    minors = returns.filter(pl.col("minor_status") != "ADULT")
    assert "UNACCOMPANIED" in _code_values(minors, "minor_status")
    assert _code_values(minors, "age_group") <= {"Y0T4", "Y5T9", "Y10T14", "Y15T19"}


def test_darien_transit_is_mostly_venezuelan_with_a_2023_peak(frames):
    pan = frames["irregular_transit"].filter(pl.col("ref_area") == "PAN")
    top = pan.group_by("nationality").agg(pl.col("obs_value").sum()).sort("obs_value", descending=True)
    assert top.item(0, "nationality") == "VEN"
    by_year = pan.group_by(pl.col("time_period").str.slice(0, 4)).agg(pl.col("obs_value").sum())
    assert by_year.sort("obs_value").item(-1, "time_period") == "2023"


def test_islands_fly_central_america_drives(frames):
    arrivals = frames["arrivals_departures"]
    share = (
        arrivals.group_by("ref_area", "border_type")
        .agg(pl.col("obs_value").sum())
        .with_columns(pl.col("obs_value") / pl.col("obs_value").sum().over("ref_area"))
    )

    def of(area: str, border: str) -> float:
        row = share.filter(pl.col("ref_area") == area, pl.col("border_type") == border)
        return row.item(0, "obs_value") if row.height else 0.0

    assert of("JAM", "AIR") > 0.8 and of("LCA", "AIR") > 0.8
    assert of("GTM", "LAND") > 0.5 and of("HND", "LAND") > 0.5
    flows = dict(arrivals.group_by("flow").agg(pl.col("obs_value").sum()).iter_rows())
    assert 0.9 < flows["DEP"] / flows["ARR"] < 1.1


def test_survey_design_is_nested_and_weights_vary(frames):
    survey = frames["survey"]
    key = ["ref_area", "time_period"]
    assert survey.group_by(key).agg(pl.col("weight").n_unique()).get_column("weight").min() > 10
    assert survey.group_by([*key, "psu"]).agg(pl.col("strata").n_unique()).get_column("strata").max() == 1
    households = survey.group_by("household_id").agg(pl.col("psu").n_unique(), pl.len(), pl.col("weight").n_unique())
    assert households.get_column("psu").max() == 1
    assert households.get_column("weight").max() == 1  # one weight per household
    assert 1 <= households.get_column("len").min() and households.get_column("len").max() <= 7
    # Every stratum keeps at least two PSUs, so a design-based variance exists.
    assert survey.group_by([*key, "strata"]).agg(pl.col("psu").n_unique()).get_column("psu").min() >= 2


def test_survey_migrant_status_and_remittances(frames):
    survey = frames["survey"]
    foreign = pl.col("country_of_birth") != pl.col("ref_area")
    assert survey.filter(foreign != (pl.col("migrant_status") == "FOREIGN_BORN")).is_empty()
    remit = dict(
        survey.group_by("ref_area")
        .agg((pl.col("weight") * (pl.col("receives_remittances") == "Y")).sum() / pl.col("weight").sum())
        .iter_rows()
    )
    assert min(remit[c] for c in ("SLV", "HND", "GTM", "JAM")) > max(remit[c] for c in ("CRI", "PAN", "MEX"))
    by_status = dict(
        survey.group_by("migrant_status").agg((pl.col("receives_remittances") == "Y").mean()).iter_rows()
    )
    assert by_status["RETURNED"] > by_status["NATIVE"]
    # Small cells exist, so reliability flags have something to flag.
    nic_foreign = survey.filter(pl.col("ref_area") == "NIC", pl.col("time_period") == "2023", foreign).height
    assert 0 < nic_foreign < 100


def test_scale_grows_microdata_not_weighted_totals(frames):
    for ds_id, period in (("survey", "2023"), ("census", "2020")):
        mex = (pl.col("ref_area") == "MEX") & (pl.col(dataset(ds_id).time_column) == period)
        full, small = frames[ds_id].filter(mex), demo.generate(ds_id, scale=SMALL).filter(mex)
        assert small.height < full.height / 5
        assert small.get_column("weight").sum() == pytest.approx(full.get_column("weight").sum(), rel=0.02)
        assert full.get_column("weight").sum() == pytest.approx(126e6, rel=0.05)


@pytest.mark.parametrize("ds_id", ["census", "survey"])
def test_planned_rows_match_what_is_generated(ds_id):
    chunks = list(demo.generate_chunks(ds_id, scale=SMALL))
    assert sum(c.height for c in chunks) == demo.planned_rows(ds_id, SMALL)


def test_documented_scale_gives_ten_million_census_rows_in_bounded_chunks():
    assert demo.planned_rows("census", demo.CENSUS_10M_SCALE) >= 10_000_000
    assert 150_000 <= demo.planned_rows("census") <= 250_000
    assert 150_000 <= demo.planned_rows("survey") <= 250_000
    first = next(demo.generate_chunks("census", scale=demo.CENSUS_10M_SCALE))
    assert first.height <= demo.MAX_CHUNK_ROWS


def test_two_first_starts_at_once_build_one_whole_demo(tmp_path, monkeypatch):
    """Two app processes starting together on one empty data directory: one builds the demo while the other waits
    for it (the lock, portalocker's on every platform), then finds it there. Threads here, each with its own
    Warehouse and lock file handle as a process would have."""
    import threading

    from vipmg_core.demo import publish
    from vipmg_core.warehouse import Warehouse

    monkeypatch.setenv("VIPMG_PACK", "0")
    real_build, builds = publish.build, []

    def small_build(wh, *, progress=None, pack_dir=None):
        builds.append(threading.current_thread().name)
        return real_build(wh, scale=0.02, progress=progress, pack_dir=pack_dir)

    monkeypatch.setattr(publish, "build", small_build)
    root, start, results = tmp_path / "fresh", threading.Barrier(2), {}

    def first_start(name):
        start.wait()
        results[name] = demo.ensure_demo(Warehouse(root))

    threads = [threading.Thread(target=first_start, args=(name,), name=name) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results.values()) == [False, True] and len(builds) == 1
    releases = Warehouse(root).releases(published_only=False)
    assert sorted(r.dataset_id for r in releases) == sorted(dataset_ids())  # each dataset once, all of them
    assert {r.version for r in releases} == {1}
