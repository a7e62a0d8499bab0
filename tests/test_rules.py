"""The data rules every surface shares (vipmg_core/rules.py): stocks never add up over periods, values a
publisher hid are never 0, notes follow the dataset's unit, a table names only the sources in it, and Home and
the Country profile read the immigrant stock by one rule."""

from __future__ import annotations

import polars as pl
import pytest

from vipmg_core import profiles, rules
from vipmg_core.crosstab import TOTAL, crosstab
from vipmg_core.datasets import dataset, datasets
from vipmg_core.headlines import headline_figures, immigrant_stock_by_country
from vipmg_core.warehouse import Provenance


def _cell(result, **codes) -> dict:
    q = result.query
    want = {d: codes.get(d, TOTAL) for d in q.dims}
    cells = result.cells.filter(pl.all_horizontal([pl.col(d) == v for d, v in want.items()]))
    assert cells.height == 1, (codes, cells)
    return cells.row(0, named=True)


def _latest_only(frame: pl.DataFrame, area: str, time: str) -> pl.DataFrame:
    return frame.filter(pl.col(time).cast(pl.String) == pl.col(time).cast(pl.String).max().over(area))


# -- stocks never add up over periods -------------------------------------------------------------------------

def test_every_dataset_declares_how_it_adds_up_over_time_events_sum_and_stocks_never():
    for ds in datasets():
        assert rules.adds_over_time(ds) == (ds.unit == "events"), ds.id
    assert not rules.adds_over_time(dataset("census")) and not rules.adds_over_time(dataset("refugees"))


def test_a_census_cross_tab_without_a_year_reads_each_country_at_its_latest_round_and_says_so(demo_wh):
    rows = demo_wh.frame("census")
    assert rows.filter(pl.col("ref_area") == "CRI")["census_year"].n_unique() > 1  # several rounds to add up
    result = crosstab("census", ["ref_area"], ["sex"], warehouse=demo_wh)
    latest = _latest_only(rows, "ref_area", "census_year")
    cri = latest.filter(pl.col("ref_area") == "CRI")
    assert _cell(result, ref_area="CRI")["value"] == pytest.approx(cri["weight"].sum(), rel=1e-12)
    assert _cell(result, ref_area="CRI")["value"] < rows.filter(pl.col("ref_area") == "CRI")["weight"].sum()
    assert _cell(result)["value"] == pytest.approx(latest["weight"].sum(), rel=1e-12)
    assert ("CRI", cri["census_year"][0]) in result.latest
    note = " ".join(result.notes("en"))
    assert "not added up over periods" in note and f"Costa Rica {cri['census_year'][0]}" in note
    assert "no se suma entre períodos" in " ".join(result.notes("es"))


def test_with_the_period_as_a_column_each_census_round_is_shown_apart(demo_wh):
    rows = demo_wh.frame("census").filter(pl.col("ref_area") == "CRI")
    result = crosstab("census", ["ref_area"], ["census_year"], countries=["CRI"], warehouse=demo_wh)
    for year, part in rows.group_by("census_year"):
        assert _cell(result, ref_area="CRI", census_year=year[0])["value"] == pytest.approx(part["weight"].sum())
    assert not result.latest


@pytest.mark.parametrize("use_cube, dense", [(True, True), (True, False), (False, False)])
def test_a_survey_over_six_years_is_never_added_up_on_any_path(demo_wh, use_cube, dense):
    from vipmg_core import crosstab as xt

    rows = demo_wh.frame("survey").filter(pl.col("ref_area") == "HND")
    assert rows["time_period"].n_unique() >= 6
    result = crosstab("survey", ["ref_area"], countries=["HND"], warehouse=demo_wh,
                      engine=xt.Engine(cube=use_cube, dense=dense))
    latest = _latest_only(rows, "ref_area", "time_period")
    assert _cell(result, ref_area="HND")["value"] == pytest.approx(latest["weight"].sum(), rel=1e-12)
    assert result.latest == (("HND", latest["time_period"][0]),)


def test_migrant_stock_over_nine_years_reads_the_latest_year(demo_wh):
    rows = demo_wh.frame("migrant_stock").filter((pl.col("destination") == "CRI") & (pl.col("origin") == "NIC"))
    assert rows["time_period"].n_unique() > 1
    result = crosstab("migrant_stock", ["destination"], filters={"origin": ["NIC"]}, countries=["CRI"],
                      warehouse=demo_wh)
    latest = _latest_only(rows, "destination", "time_period")
    assert _cell(result, destination="CRI")["value"] == latest["obs_value"].sum() < rows["obs_value"].sum()


def _refugees(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"asylum": pl.String, "origin": pl.String, "time_period": pl.String,
                                      "population_type": pl.String, "redacted": pl.String, "obs_value": pl.Int64},
                        orient="row")


def test_refugees_of_the_1980s_are_not_added_up(empty_wh):
    frame = _refugees([("CRI", "NIC", str(year), "REF", "N", 1000 + year) for year in range(1980, 1990)])
    empty_wh.publish("refugees", [frame], scope="t", provenance=Provenance("UNHCR"), actor="t")
    result = crosstab("refugees", ["asylum"], years=(1980, 1989), warehouse=empty_wh)
    assert _cell(result, asylum="CRI")["value"] == 1000 + 1989
    assert result.latest == (("CRI", "1989"),)


# -- redacted stays redacted ---------------------------------------------------------------------------------

@pytest.fixture
def redacted_wh(empty_wh):
    frame = _refugees([("CRI", "COL", "2014", "REF", "N", 10), ("CRI", "VEN", "2014", "REF", "Y", None),
                       ("PAN", "VEN", "2014", "REF", "Y", None), ("PAN", "COL", "2014", "REF", "N", 40)])
    empty_wh.publish("refugees", [frame], scope="t", provenance=Provenance("UNHCR"), actor="t")
    return empty_wh


@pytest.mark.parametrize("use_cube, dense", [(True, True), (True, False), (False, False)])
def test_a_cell_of_hidden_values_shows_the_redaction_symbol_and_a_total_with_them_is_a_lower_bound(
        redacted_wh, use_cube, dense):
    from vipmg_core import crosstab as xt

    result = crosstab("refugees", ["asylum"], ["origin"], warehouse=redacted_wh,
                      engine=xt.Engine(cube=use_cube, dense=dense))
    hidden = _cell(result, asylum="PAN", origin="VEN")
    assert hidden["value"] is None and hidden["mark"] == "redacted"  # never 0
    assert _cell(result, asylum="CRI")["value"] == 10 and _cell(result, asylum="CRI")["mark"] == "lower_bound"
    assert _cell(result, origin="VEN")["mark"] == "redacted"
    assert _cell(result)["mark"] == "lower_bound" and _cell(result, asylum="PAN", origin="COL")["mark"] is None
    table = result.table("en").display
    row = table.filter(pl.col("Country of asylum or residence") == "Panama").row(0, named=True)
    assert row["Venezuela"] == rules.REDACTED_SYMBOL and row["Total"] == "≥ 40"
    exported = result.export_frame("en")
    assert rules.REDACTED_SYMBOL in exported["Venezuela"].tolist()
    legend = result.flags_legend("es")
    assert "no es cero" in legend[rules.REDACTED_SYMBOL] and rules.LOWER_BOUND_MARK in legend
    assert any("hidden by their publisher" in note for note in result.notes("en"))


# -- smaller rules -------------------------------------------------------------------------------------------

def test_notes_about_small_counts_say_persons_for_refugees_and_events_for_crossings(redacted_wh, demo_wh):
    refugees = crosstab("refugees", ["asylum"], warehouse=redacted_wh)
    assert "fewer than 3 persons" in refugees.method_note("en") and "events" not in refugees.method_note("en")
    assert "menos de 3 personas" in refugees.method_note("es")
    transits = crosstab("irregular_transit", ["ref_area"], warehouse=demo_wh)
    assert "fewer than 3 events" in transits.method_note("en")


def _transits(area: str, value: int) -> pl.DataFrame:
    return pl.DataFrame({"ref_area": [area], "time_period": ["2024-01"], "nationality": ["VEN"], "sex": ["F"],
                         "age_group": ["Y20T24"], "obs_value": [value]})


def test_a_table_names_only_the_sources_that_gave_it_a_row(empty_wh):
    empty_wh.publish("irregular_transit", [_transits("PAN", 100)], scope="pan",
                     provenance=Provenance("Servicio Nacional de Migración de Panamá"), actor="t")
    empty_wh.publish("irregular_transit", [_transits("HND", 50)], scope="hnd",
                     provenance=Provenance("Instituto Nacional de Migración de Honduras"), actor="t")
    panama = crosstab("irregular_transit", ["ref_area"], countries=["PAN"], warehouse=empty_wh)
    assert len(panama.provenance) == 1 and "Panamá" in panama.provenance[0]
    both = crosstab("irregular_transit", ["ref_area"], warehouse=empty_wh)
    assert len(both.provenance) == 2


def test_home_and_the_country_profile_read_the_immigrant_stock_by_one_rule(empty_wh):
    frame = pl.DataFrame(
        [("CRI", "NIC", "2015", "_T", 300), ("CRI", "CRI", "2015", "_T", 999),  # living where born: no migrant
         ("CRI", "NIC", "2020", "_T", 400), ("CRI", "PAN", "2020", "_T", 20),
         ("PAN", "COL", "2015", "_T", 70)],  # Panama's latest date is earlier than Costa Rica's
        schema=["destination", "origin", "time_period", "sex", "obs_value"], orient="row")
    empty_wh.publish("migrant_stock", [frame], scope="t", provenance=Provenance("UN DESA"), actor="t")
    period, by_country = immigrant_stock_by_country(empty_wh, ["CRI", "PAN"], (2010, 2024))
    assert by_country == {"CRI": 420, "PAN": 70} and period == "2015/2020"
    (headline,) = headline_figures(empty_wh, ["CRI", "PAN"], (2010, 2024), ["migrant_stock"])
    region = profiles.figure_from(empty_wh, profiles.series(empty_wh, profiles.figure_spec("immigrant_stock"),
                                                            ["CRI", "PAN"]), profiles.Period(None, 2024))
    assert headline.value == region.value == 490 and headline.year == region.period == "2015/2020"
    cri = profiles.figure_from(empty_wh, profiles.series(empty_wh, profiles.figure_spec("immigrant_stock"),
                                                         ["CRI"]), profiles.Period(None, 2024))
    assert cri.value == by_country["CRI"] and cri.previous_value == 300


def test_a_publishers_total_row_reads_as_a_total_not_broken_down_beside_the_tables_own_total(empty_wh):
    # The UN DESA 2015 workbook gives both sexes together (`_T`); the 2024 series gives females and males.
    frame = pl.DataFrame([("CRI", "NIC", "2015", "_T", 300), ("PAN", "COL", "2015", "F", 5),
                          ("PAN", "COL", "2015", "M", 6)],
                         schema=["destination", "origin", "time_period", "sex", "obs_value"], orient="row")
    empty_wh.publish("migrant_stock", [frame], scope="t", provenance=Provenance("UN DESA"), actor="t")
    result = crosstab("migrant_stock", ["destination"], ["sex"], warehouse=empty_wh)
    assert _cell(result, destination="CRI", sex=rules.UNSPLIT)["value"] == 300
    assert _cell(result, destination="CRI")["value"] == 300 and _cell(result)["value"] == 311
    table = result.table("en").display
    assert table.columns == ["Destination", "Female", "Male", "Total, not broken down", "Total"]
    assert "Total sin desglose" in result.table("es").display.columns


def test_an_unknown_source_is_refused_with_the_sources_there_are(empty_wh):
    from vipmg_core.crosstab import CrosstabError

    empty_wh.publish("irregular_transit", [_transits("PAN", 100)], scope="pan", provenance=Provenance("SNM"),
                     actor="t")
    with pytest.raises(CrosstabError) as info:
        crosstab("irregular_transit", ["ref_area"], source="nope", warehouse=empty_wh)
    assert info.value.message("en") == "irregular_transit has no source 'nope'. Published sources: pan."
    assert "no tiene la fuente «nope»" in info.value.message("es")


# -- the `_T` total: one partition at publication and at reading -------------------------------------------------

def test_a_total_row_is_dropped_at_reading_exactly_where_publication_drops_it():
    import duckdb

    ds = dataset("arrivals_departures")
    rows = [("HTI", "F", "Y20T24", 30), ("HTI", "M", "Y20T24", 40),  # detail by sex
            ("VEN", "_T", "Y20T24", 50),  # another nationality's sex total: the only figure, it stays
            ("NIC", "F", "Y20T24", 5), ("NIC", "_T", "Y20T24", 5),  # a total beside its part: it goes
            ("COL", "_T", "Y20T24", 7), ("COL", "_T", "_T", 9),  # the age total of an age group: it goes
            ("CUB", "F", "Y20T24", 3), ("CUB", "_T", "Y20T24", 3), ("CUB", "_T", "_T", 3)]  # both totals go
    frame = pl.DataFrame({"ref_area": "CRI", "time_period": "2024-01", "flow": "ARR",
                          "nationality": [r[0] for r in rows], "sex": [r[1] for r in rows],
                          "age_group": [r[2] for r in rows], "border_type": "AIR", "obs_value": [r[3] for r in rows]})
    published = rules.without_covered_totals(ds, frame)
    detail, keep = rules.total_stands_in(ds, rules.total_columns(ds, exclude=[ds.area_column]))
    data = frame  # noqa: F841 (read by duckdb below)
    read = duckdb.sql(f"SELECT * EXCLUDE ({', '.join(f'_d{i}' for i in range(len(detail)))}) FROM"
                      f" (SELECT *, {', '.join(detail)} FROM data) WHERE {' AND '.join(keep)}").pl()
    key = ["nationality", "sex", "age_group"]
    assert read.sort(key).select(*key, "obs_value").rows() == published.sort(key).select(*key, "obs_value").rows()
    assert published["obs_value"].sum() == 30 + 40 + 50 + 5 + 7 + 3
