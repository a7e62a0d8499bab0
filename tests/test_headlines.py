"""Home headline figures: the latest year, compared like with like."""

import polars as pl

from vipmg_core.headlines import headline_figures, immigrant_stock_by_country
from vipmg_core.warehouse import Provenance

ROWS = [  # GTM returns: all of 2023, and 2024 up to March
    *[("GTM", f"2023-{m:02d}", 10) for m in range(1, 13)],
    *[("GTM", f"2024-{m:02d}", 12) for m in range(1, 4)],
]


def _returns(rows):
    return pl.DataFrame(
        {"ref_area": [r[0] for r in rows], "time_period": [r[1] for r in rows], "returned_from": "USA",
         "sex": "F", "age_group": "Y20T24", "minor_status": "ADULT", "transport": "AIR",
         "obs_value": [r[2] for r in rows]})


def test_a_partial_latest_year_is_compared_with_the_same_months_of_the_year_before(empty_wh):
    empty_wh.publish("returns", [_returns(ROWS)], scope="t", provenance=Provenance("t"), actor="t")
    (fig,) = headline_figures(empty_wh, ["GTM"], (2020, 2024), ["returns"])
    assert fig.year == "2024-01/2024-03"
    assert fig.value == 36 and fig.previous_value == 30 and fig.previous_year == "2023-01/2023-03"  # as the profile says
    assert round(fig.change, 2) == 0.2


def test_the_year_range_and_countries_bound_the_figure(empty_wh):
    empty_wh.publish("returns", [_returns(ROWS)], scope="t", provenance=Provenance("t"), actor="t")
    (fig,) = headline_figures(empty_wh, ["GTM"], (2020, 2023), ["returns"])
    assert (fig.year, fig.value, fig.previous_value) == ("2023", 120, None)
    assert headline_figures(empty_wh, ["HND"], (2020, 2024), ["returns"]) == []


def test_immigrant_stock_map_uses_the_latest_stock_year_in_range(demo_wh):
    period, values = immigrant_stock_by_country(demo_wh, ["CRI", "PAN"], (1990, 2020))
    assert period == "2020" and set(values) == {"CRI", "PAN"}
    expected = demo_wh.query("migrant_stock", "SELECT SUM(obs_value) FROM data WHERE destination = 'CRI'"
                             " AND time_period = '2020'").item()
    assert values["CRI"] == expected


def test_home_reads_events_by_the_profiles_rules_a_total_never_added_to_its_parts(empty_wh):
    from vipmg_core import profiles as pr

    detail = _returns([("GTM", "2024-01", 7)]).with_columns(sex=pl.lit("F"))
    other = _returns([("GTM", "2024-01", 5)]).with_columns(sex=pl.lit("M"))
    total = _returns([("GTM", "2024-01", 12)]).with_columns(sex=pl.lit("_T"))  # the same cell, as a total
    empty_wh.publish("returns", [pl.concat([detail, other, total])], scope="t", provenance=Provenance("t"),
                     actor="t")
    (fig,) = headline_figures(empty_wh, ["GTM"], (2020, 2024), ["returns"])
    assert fig.value == 12  # not 24: the published total stands for its own parts
    assert fig.value == pr.profile(empty_wh, "GTM", pr.Period(2020, 2024)).figure("returns").value


def test_a_sum_over_countries_is_hidden_where_one_countrys_own_figure_is(empty_wh):
    """An attacker who picks {GTM, HND} and then {HND} on Home (or reads the region's profile beside its
    countries') must not learn GTM's hidden count by subtraction."""
    from vipmg_core import profiles as pr

    rows = [("GTM", "2024-01", 2), ("HND", "2024-01", 40), ("GTM", "2023-01", 9), ("HND", "2023-01", 30)]
    empty_wh.publish("returns", [_returns(rows)], scope="t", provenance=Provenance("t"), actor="t")
    assert pr.profile(empty_wh, "GTM", pr.Period(2020, 2024)).figure("returns").value is None  # 2: under 3
    assert headline_figures(empty_wh, ["GTM", "HND"], (2020, 2024), ["returns"]) == []  # hidden, as GTM's
    # Nor HND alone: with two countries the cross-tab of returns by country hides HND as GTM's complement, and
    # the profile and Home hide what it hides (else its total less HND's 40 gives GTM's 2).
    assert headline_figures(empty_wh, ["HND"], (2020, 2024), ["returns"]) == []
    assert pr.profile(empty_wh, "HND", pr.Period(2020, 2024)).figure("returns").value is None
    trend = pr.yearly(pr.series(empty_wh, pr.figure_spec("returns"), ["GTM", "HND"]), pr.Period(2020, 2024))
    assert dict(zip(trend["year"], trend["value"])) == {2023: 39, 2024: None}  # the region's point too
