"""Indicators are declared once (`standard/indicators.toml`): a bad declaration stops the lab naming the entry,
every surface reads the same declaration, and Home's figures are the profile's."""

import copy
import tomllib

import polars as pl
import pytest

from vipmg_core import compare, indicators
from vipmg_core import profiles as pr
from vipmg_core.headlines import headline_figures, immigrant_stock_by_country
from vipmg_core.warehouse import Provenance


@pytest.fixture(scope="module")
def declared() -> dict:
    with indicators.DECLARATIONS.open("rb") as handle:
        return tomllib.load(handle)


def _with(declared: dict, key: str, **changes: object) -> dict:
    raw = copy.deepcopy(declared)
    entry = next(e for e in raw["indicator"] if e["key"] == key)
    entry.update(changes)
    return raw


@pytest.mark.parametrize(("key", "changes", "says"), [
    ("arrivals", {"datasets": ["arrivals"]}, "unknown dataset 'arrivals'"),
    ("arrivals", {"filters": {"flow": ["ARRIVED"]}}, "codes ARRIVED are not in the codelist"),
    ("refugees", {"period": "latest_year"}, "aggregates over time as 'latest'"),  # a stock is never summed
    ("returns", {"unit": "persons"}, "unit 'persons' differs"),
    ("permits", {"label": "profiles.figure.no_such_label"}, "is not a message in every language"),
    ("permits", {"measure": "persons"}, "measure 'persons' is not the measure"),
    ("transits", {"surfaces": ["home", "bulletins"]}, "surfaces must be some of"),
    ("departures", {"surfaces": ["home"]}, "it needs a headline label"),
    ("emigrant_stock", {"area_column": "born_in"}, "has no column 'born_in'"),
])
def test_a_bad_declaration_stops_the_lab_with_an_error_naming_the_entry(declared, key, changes, says):
    with pytest.raises(indicators.IndicatorError) as error:
        indicators.load(_with(declared, key, **changes))
    assert f"indicator {key!r}" in str(error.value) and says in str(error.value)
    assert indicators.load(declared) == indicators.indicators()  # the shipped declaration is valid


def test_every_surface_shows_what_the_declaration_says(demo_wh):
    assert compare.indicators() == list(indicators.keys("compare"))
    assert pr.FIGURE_KEYS == indicators.keys("profile")
    assert set(indicators.keys("home")) <= set(pr.FIGURE_KEYS)  # Home's figures are the profile's
    bounds = demo_wh.year_bounds()
    (returns,) = headline_figures(demo_wh, ["GTM"], bounds, ["returns"])  # only the sources chosen
    assert returns.key == "returns" and returns.label("en") == "Returns received"
    assert returns.label("es") != returns.label("en")


def test_an_indicator_added_to_the_declaration_is_read_with_no_code(empty_wh, declared):
    frame = pl.DataFrame({"ref_area": "GTM", "time_period": ["2024-01", "2024-01", "2024-02"],
                          "returned_from": "USA", "sex": ["F", "M", "F"], "age_group": "Y20T24",
                          "minor_status": "ADULT", "transport": "AIR", "obs_value": [40, 60, 30]})
    empty_wh.publish("returns", [frame], scope="t", provenance=Provenance("t"), actor="t")
    raw = copy.deepcopy(declared)
    raw["indicator"].append({"key": "returns_women", "label": "profiles.figure.returns", "datasets": ["returns"],
                             "measure": "obs_value", "filters": {"sex": ["F"]}, "period": "latest_year",
                             "unit": "events", "surfaces": ["profile"]})
    women = indicators.load(raw)[-1]
    fig = pr.figure_from(empty_wh, pr.series(empty_wh, women, ["GTM"]), pr.Period(None, 2024))
    assert (fig.value, fig.period) == (70, "2024-01/2024-02")  # the women's returns of both months


def _stocks(empty_wh):
    by_origin = pl.DataFrame([("CRI", "NIC", "2020", "_T", 400), ("CRI", "CRI", "2020", "_T", 999)],
                             schema=["destination", "origin", "time_period", "sex", "obs_value"], orient="row")
    total = pl.DataFrame([("CRI", "2020", "_T", 500)], schema=["destination", "time_period", "sex", "obs_value"],
                         orient="row")
    empty_wh.publish("migrant_stock", [by_origin], scope="t", provenance=Provenance("UN DESA"), actor="t")
    empty_wh.publish("migrant_stock_total", [total], scope="t", provenance=Provenance("UN DESA"), actor="t")


def test_homes_immigrant_stock_is_the_profiles_and_read_only_from_the_sources_chosen(empty_wh):
    """Home's immigrant stock agrees with the country profile's, and follows the sidebar's sources: with only
    the stock by origin chosen it is that stock's immigrants (origin other than where they live, 400, not the
    999 born there), not the total by destination the user left out (500, the old figure); with only the total
    chosen it is shown (the old Home showed nothing)."""
    _stocks(empty_wh)
    profile = pr.profile(empty_wh, "CRI", pr.Period(None, 2024)).figure("immigrant_stock")
    (every,) = headline_figures(empty_wh, ["CRI"], (2010, 2024))
    assert every.value == profile.value == 500 and every.dataset_id == profile.dataset_id == "migrant_stock_total"
    (by_origin,) = headline_figures(empty_wh, ["CRI"], (2010, 2024), ["migrant_stock"])
    assert (by_origin.value, by_origin.dataset_id) == (400, "migrant_stock")
    (total,) = headline_figures(empty_wh, ["CRI"], (2010, 2024), ["migrant_stock_total"])
    assert (total.value, total.dataset_id) == (500, "migrant_stock_total")
    assert immigrant_stock_by_country(empty_wh, ["CRI"], (2010, 2024)) == ("2020", {"CRI": 500.0})
