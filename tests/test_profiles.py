"""Country profiles: every figure equals an independent computation over the exported data, says what it counts,
where it comes from and whether it is demo data; periods, totals, small counts and new countries behave."""

import functools

import polars as pl
import pytest

from vipmg_core import profiles as pr
from vipmg_core.codelists import project_countries
from vipmg_core.indicators import indicators
from vipmg_core.quality import RELIABLE, SUPPRESSED, rules
from vipmg_core.warehouse import Provenance, Warehouse

EXPORTED = ("arrivals_departures", "migrant_stock", "migrant_stock_total", "residence_permits", "returns",
            "census", "survey")


@pytest.fixture(scope="module")
def exported(demo_wh: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    """The published data as a user downloads it (`export` to CSV), read back with polars."""
    folder = tmp_path_factory.mktemp("export")
    frames = {}
    for dataset_id in EXPORTED:
        path = folder / f"{dataset_id}.csv"
        demo_wh.export(dataset_id, "csv", path)
        frames[dataset_id] = pl.read_csv(path, infer_schema_length=0).with_columns(
            pl.col("^(obs_value|weight)$").cast(pl.Float64))
    return frames


@pytest.fixture(scope="module")
def cri(demo_wh: Warehouse) -> pr.Profile:
    return pr.profile(demo_wh, "CRI")


def year_totals(frame: pl.DataFrame, period_col: str = "time_period") -> dict[int, float]:
    out = frame.group_by(pl.col(period_col).str.slice(0, 4).cast(pl.Int32).alias("y")).agg(pl.col("obs_value").sum())
    return dict(zip(out["y"].to_list(), out["obs_value"].to_list()))


# --- headline figures against the exported data ----------------------------------------------------------

def test_arrivals_are_the_latest_years_crossings_with_the_change_on_the_year_before(cri, exported):
    rows = exported["arrivals_departures"].filter((pl.col("ref_area") == "CRI") & (pl.col("flow") == "ARR"))
    totals = year_totals(rows)
    latest = max(totals)
    fig = cri.figure("arrivals")
    assert (fig.period, fig.previous_period) == (str(latest), str(latest - 1))
    assert fig.value == totals[latest] and fig.previous_value == totals[latest - 1]
    assert fig.change == pytest.approx(totals[latest] / totals[latest - 1] - 1)
    assert fig.unit == "events" and fig.counts_events and fig.synthetic and fig.dataset_id == "arrivals_departures"


def test_departures_permits_and_returns_equal_their_sums(cri, exported):
    checks = {
        "departures": exported["arrivals_departures"].filter((pl.col("ref_area") == "CRI") & (pl.col("flow") == "DEP")),
        "permits": exported["residence_permits"].filter(pl.col("ref_area") == "CRI"),
        "returns": exported["returns"].filter(pl.col("ref_area") == "CRI"),
        "returns_unaccompanied": exported["returns"].filter((pl.col("ref_area") == "CRI")
                                                             & (pl.col("minor_status") == "UNACCOMPANIED")),
    }
    for key, rows in checks.items():
        totals = year_totals(rows)
        fig = cri.figure(key)
        assert fig.value == totals[int(fig.period)], key
        assert fig.unit == "events", key


def test_the_immigrant_stock_is_read_at_its_latest_date_and_compared_with_the_one_before(cri, exported):
    rows = exported["migrant_stock_total"].filter(pl.col("destination") == "CRI")
    totals = year_totals(rows)
    years = sorted(totals)
    fig = cri.figure("immigrant_stock")
    assert (fig.period, fig.previous_period) == (str(years[-1]), str(years[-2]))
    assert (fig.value, fig.previous_value) == (totals[years[-1]], totals[years[-2]])
    assert fig.unit == "persons" and not fig.counts_events


def test_the_emigrant_stock_counts_persons_born_in_the_country_living_elsewhere(demo_wh, exported):
    rows = exported["migrant_stock"].filter((pl.col("origin") == "GTM") & (pl.col("destination") != "GTM"))
    totals = year_totals(rows)
    fig = pr.profile(demo_wh, "GTM").figure("emigrant_stock")
    assert fig.value == totals[max(totals)] and fig.period == str(max(totals))


def test_the_region_adds_up_its_countries_but_not_transits(demo_wh, exported):
    region = pr.profile(demo_wh, pr.REGION)
    rows = exported["arrivals_departures"].filter(pl.col("ref_area").is_in(project_countries())
                                                  & (pl.col("flow") == "ARR"))
    fig = region.figure("arrivals")
    assert fig.value == year_totals(rows)[int(fig.period)]
    assert set(fig.areas) == set(project_countries())
    assert region.figure("transits") is None and "transits" in region.notes  # one person, several countries


def test_the_trend_holds_each_years_total(cri, exported):
    rows = exported["arrivals_departures"].filter((pl.col("ref_area") == "CRI") & (pl.col("flow") == "ARR"))
    trend = cri.trends.filter(pl.col("key") == "arrivals")
    assert dict(zip(trend["year"], trend["value"])) == year_totals(rows)
    assert not trend["partial"].any()


def test_permits_by_type_are_the_latest_years_sums(cri, exported):
    rows = exported["residence_permits"].filter((pl.col("ref_area") == "CRI")
                                                & (pl.col("time_period") == cri.permits.period))
    expected = dict(rows.group_by("permit_type").agg(pl.col("obs_value").sum()).iter_rows())
    assert dict(cri.permits.frame.iter_rows()) == expected
    assert cri.permits.frame["code"].to_list()[:2] == ["TEMP", "PERM"]  # codelist order


def test_top_origins_and_destinations_are_the_largest_stocks(cri, exported):
    stock = exported["migrant_stock"].filter(pl.col("time_period") == cri.origins.query.period[1])
    into = (stock.filter((pl.col("destination") == "CRI") & (pl.col("origin") != "CRI"))
            .group_by("origin").agg(pl.col("obs_value").sum()).sort("obs_value", descending=True).head(pr.TOP))
    assert cri.origins.flows["origin"].to_list() == into["origin"].to_list()
    assert cri.origins.flows["value"].to_list() == into["obs_value"].to_list()
    out = (stock.filter((pl.col("origin") == "CRI") & (pl.col("destination") != "CRI"))
           .group_by("destination").agg(pl.col("obs_value").sum()).sort("obs_value", descending=True))
    assert cri.destinations.flows["destination"][0] == out["destination"][0]


# --- survey and census estimates ----------------------------------------------------------------------------

def _weighted(frame: pl.DataFrame, keep: pl.Expr) -> float:
    return float(frame.filter(keep)["weight"].sum())


def test_the_foreign_born_share_is_the_weighted_share_of_the_source_it_names(cri, exported):
    share = cri.figure(pr.SHARE_KEY)
    assert share.dataset_id == "census" and share.percent and share.unit == "persons"
    rows = exported["census"].filter((pl.col("ref_area") == "CRI") & (pl.col("census_year") == share.period))
    foreign = _weighted(rows, pl.col("country_of_birth") != "CRI")
    assert share.value == pytest.approx(100 * foreign / _weighted(rows, pl.lit(True)), rel=1e-9)
    assert share.n == rows.filter(pl.col("country_of_birth") != "CRI").height
    r = rules()
    assert share.flag == RELIABLE and share.cv <= r.cv_reliable_max and share.n >= r.min_unweighted_n


def test_the_region_share_comes_from_the_survey_all_countries_share(demo_wh, exported):
    share = pr.profile(demo_wh, pr.REGION).figure(pr.SHARE_KEY)
    assert share.dataset_id == "survey"  # census rounds differ between countries: no common year
    rows = exported["survey"].filter(pl.col("ref_area").is_in(project_countries())
                                     & (pl.col("time_period") == share.period))
    expected = 100 * _weighted(rows, pl.col("migrant_status") == "FOREIGN_BORN") / _weighted(rows, pl.lit(True))
    assert share.value == pytest.approx(expected, rel=1e-9)


def test_the_pyramid_holds_weighted_persons_by_age_and_sex_with_their_sample_counts(cri, exported):
    pyr = cri.pyramid
    rows = exported["census"].filter((pl.col("ref_area") == "CRI") & (pl.col("census_year") == pyr.period))
    assert pyr.grouping in ("five_year", "broad")
    for cell in pyr.cells.iter_rows(named=True):
        native = pl.col("country_of_birth") == "CRI"
        born = native if cell["birth"] == "native" else ~native
        if pyr.grouping == "broad":
            bounds = {"Y0T14": (0, 14), "Y15T24": (15, 24), "Y25T64": (25, 64), "Y_GE65": (65, 200)}
            low, high = bounds[cell["age_group"]]
            age = pl.col("age").cast(pl.Int32).is_between(low, high)
        else:
            age = pl.col("age_group") == cell["age_group"]
        chosen = rows.filter(born & age & (pl.col("sex") == cell["sex"]))
        if cell["flag"] != SUPPRESSED:
            assert cell["n"] == chosen.height
            assert cell["value"] == pytest.approx(chosen["weight"].sum(), rel=1e-9)
        else:  # hidden with its sample count (a small n would tell a suppressed cell from a complement)
            assert cell["value"] is None and cell["n"] is None
    native = pyr.cells.filter(pl.col("birth") == "native")
    assert native["value"].null_count() == 0  # the native-born sample is large enough everywhere


def test_migrants_and_natives_are_compared_as_shares_of_each_group(cri, exported):
    cond = cri.conditions
    first, last = cond.years
    rows = exported["survey"].filter((pl.col("ref_area") == "CRI")
                                     & pl.col("time_period").cast(pl.Int32).is_between(first, last)
                                     & pl.col("labour_status").is_in(["EMP", "UNE", "OLF"]))
    for birth, status in (("native", ["NATIVE", "RETURNED"]), ("foreign", ["FOREIGN_BORN"])):
        group = rows.filter(pl.col("migrant_status").is_in(status))
        cells = cond.of("labour_status").filter((pl.col("birth") == birth) & (pl.col("code") == "EMP"))
        cell = cells.row(0, named=True)
        assert cell["value"] == pytest.approx(100 * _weighted(group, pl.col("labour_status") == "EMP")
                                              / _weighted(group, pl.lit(True)), rel=1e-9)
        assert cell["n"] == group.filter(pl.col("labour_status") == "EMP").height
    assert cond.dataset_id == "survey" and cond.period == f"{first}–{last}" and last - first == pr.DEFAULT_POOL - 1


def test_hidden_estimates_have_no_value_and_say_why(demo_wh):
    cond = pr.profile(demo_wh, "GTM").conditions
    hidden = cond.cells.filter(pl.col("flag") == SUPPRESSED)
    assert hidden.height and hidden["value"].null_count() == hidden.height


# --- what each figure says about itself ---------------------------------------------------------------------

def test_every_figure_says_its_unit_source_period_and_demo_status(cri):
    for fig in cri.figures:
        caption = pr.figure_caption(fig, "en")
        assert ("Counts events, not persons" if fig.unit == "events" else "Counts persons") in caption
        assert "(demo data)" in caption and pr.period_text(fig.period, "en") in caption
        assert fig.sources and all(s.synthetic for s in fig.sources)
    share = cri.figure(pr.SHARE_KEY)
    assert "reliable (n = " in pr.figure_caption(share, "en")


def test_a_real_release_for_one_country_makes_only_that_country_not_demo(empty_wh):
    def arrivals(country: str, value: int) -> pl.DataFrame:
        return pl.DataFrame({"ref_area": country, "time_period": [f"2024-{m:02d}" for m in range(1, 13)],
                             "flow": "ARR", "nationality": "USA", "sex": "F", "age_group": "Y20T24",
                             "border_type": "AIR", "obs_value": value})

    empty_wh.publish("arrivals_departures", [arrivals("CRI", 5), arrivals("PAN", 7)], scope="demo",
                     provenance=Provenance("demo generator", synthetic=True), actor="t")
    empty_wh.publish("arrivals_departures", [arrivals("CRI", 9)], scope="import:cri",
                     provenance=Provenance("Dirección General de Migración", edition="2025"), actor="t")
    cri, pan = (pr.profile(empty_wh, c).figure("arrivals") for c in ("CRI", "PAN"))
    assert (cri.value, cri.synthetic, cri.sources[0].publisher) == (108, False, "Dirección General de Migración")
    assert (pan.value, pan.synthetic) == (84, True)


# --- periods, totals, small counts, new countries -----------------------------------------------------------

def _returns(rows: list[tuple[str, str, str, int]]) -> pl.DataFrame:
    return pl.DataFrame({"ref_area": [r[0] for r in rows], "time_period": [r[1] for r in rows],
                         "returned_from": "USA", "sex": "F", "age_group": "Y10T14",
                         "minor_status": [r[2] for r in rows], "transport": "AIR", "obs_value": [r[3] for r in rows]})


def test_an_incomplete_year_is_compared_month_for_month_and_months_without_minors_count_as_zero(empty_wh):
    rows = [("GTM", f"2023-{m:02d}", "ADULT", 100) for m in range(1, 13)]
    rows += [("GTM", f"2024-{m:02d}", "ADULT", 120) for m in range(1, 4)]
    rows += [("GTM", "2023-02", "UNACCOMPANIED", 8), ("GTM", "2023-11", "UNACCOMPANIED", 50),
             ("GTM", "2024-03", "UNACCOMPANIED", 6)]
    empty_wh.publish("returns", [_returns(rows)], scope="t", provenance=Provenance("t"), actor="t")
    prof = pr.profile(empty_wh, "GTM")
    returns, minors = prof.figure("returns"), prof.figure("returns_unaccompanied")
    assert (returns.period, returns.previous_period) == ("2024-01/2024-03", "2023-01/2023-03")
    assert (returns.value, returns.previous_value) == (360 + 6, 300 + 8)
    assert (minors.period, minors.value, minors.previous_value) == ("2024-01/2024-03", 6, 8)
    trend = prof.trends.filter(pl.col("key") == "returns_unaccompanied")
    assert trend["partial"].to_list() == [False, True] and trend["months"].to_list() == [12, 3]
    assert pr.period_text(returns.period, "es") == "ene.–mar. 2024"


def test_a_period_ending_in_a_month_is_a_monthly_routine(empty_wh):
    rows = [("GTM", f"{y}-{m:02d}", "ADULT", 10 * y - 20_000 + m) for y in (2023, 2024) for m in range(1, 13)]
    empty_wh.publish("returns", [_returns(rows)], scope="t", provenance=Provenance("t"), actor="t")
    fig = pr.profile(empty_wh, "GTM", pr.parse_period("2024-06")).figure("returns")
    assert fig.period == "2024-01/2024-06"
    assert fig.value == sum(10 * 2024 - 20_000 + m for m in range(1, 7))


def test_one_or_two_events_are_hidden_by_the_small_count_rule(empty_wh):
    rows = [("LCA", f"2024-{m:02d}", "ADULT", 40) for m in range(1, 13)] + [("LCA", "2024-05", "UNACCOMPANIED", 2)]
    empty_wh.publish("returns", [_returns(rows)], scope="t", provenance=Provenance("t"), actor="t")
    minors = pr.profile(empty_wh, "LCA").figure("returns_unaccompanied")
    assert minors.value is None and minors.flag == SUPPRESSED
    assert pr.figure_value(minors, "en") == rules().symbol_suppressed
    assert "fewer than 3 events" in pr.figure_caption(minors, "en")


def test_a_published_total_is_never_added_to_its_own_parts(empty_wh):
    frame = pl.DataFrame({"destination": ["CRI", "CRI", "CRI", "PAN"], "time_period": "2024",
                          "sex": ["F", "M", "_T", "_T"], "obs_value": [40, 60, 100, 70]})
    empty_wh.publish("migrant_stock_total", [frame], scope="t", provenance=Provenance("t"), actor="t")
    assert pr.profile(empty_wh, "CRI").figure("immigrant_stock").value == 100  # F + M, not + _T
    assert pr.profile(empty_wh, "PAN").figure("immigrant_stock").value == 70  # only the total was published


def test_adding_a_country_is_a_data_change(empty_wh):
    frame = pl.DataFrame({"ref_area": "DOM", "time_period": "2024", "nationality": "HTI", "sex": "F",
                          "permit_type": "WORK", "obs_value": [1234]})
    empty_wh.publish("residence_permits", [frame], scope="t", provenance=Provenance("t"), actor="t")
    codes = pr.area_codes(empty_wh)
    assert codes[:12] == project_countries() and "DOM" in codes and codes[-1] == pr.REGION
    assert pr.profile(empty_wh, "DOM").figure("permits").value == 1234


@pytest.mark.parametrize("text, expected", [
    ("", pr.Period()), ("latest", pr.Period()), ("2024", pr.Period(None, 2024)),
    ("2024-06", pr.Period(None, 2024, 6)), ("2020-2024", pr.Period(2020, 2024)), ("2020/2024", pr.Period(2020, 2024)),
])
def test_periods_are_read_as_people_write_them(text, expected):
    assert pr.parse_period(text) == expected


@pytest.mark.parametrize("text", ["2024-13", "2025-2020", "20x4", "last year"])
def test_a_bad_period_says_how_to_write_one_in_each_language(text):
    with pytest.raises(pr.ProfileError) as caught:
        pr.parse_period(text)
    assert "2020-2024" in caught.value.message("en") and "escriba un año" in caught.value.message("es")


def test_areas_are_countries_groups_or_the_region():
    assert pr.area("cri").countries == ("CRI",) and pr.area("CRI").is_country
    assert pr.area("MESOAMERICA").countries == ("CRI", "SLV", "GTM", "HND", "MEX", "NIC", "PAN")
    assert pr.area(pr.REGION).countries == tuple(project_countries()) and not pr.area(pr.REGION).is_country
    assert pr.area("REGION").name("es") == "Región (todos los países del proyecto)"
    for bad in ("XXX", "OOO", ""):
        with pytest.raises(pr.ProfileError):
            pr.area(bad)


def test_an_empty_warehouse_gives_an_empty_profile_not_an_error(empty_wh):
    prof = pr.profile(empty_wh, "HND")
    assert prof.figures == () and prof.pyramid is None and prof.origins is None and prof.trends.is_empty()



# --- one gate for figures and trend points; publishers' hidden values; the `_T` partition --------------------

def _point(prof: pr.Profile, key: str, year: int) -> dict:
    rows = prof.trends.filter((pl.col("key") == key) & (pl.col("year") == year))
    assert rows.height == 1, (key, year, prof.trends)
    return rows.row(0, named=True)


def _figure_and_point_agree(prof: pr.Profile) -> None:
    """Every headline figure of one whole year and the trend point of that year show the same thing."""
    for fig in prof.figures:
        if fig.percent or not fig.period.isdigit():
            continue
        points = prof.trends.filter((pl.col("key") == fig.key) & (pl.col("year") == int(fig.period)))
        if points.height:
            point = points.row(0, named=True)
            assert (point["value"], point["mark"]) == (fig.value, fig.mark), (fig, point)


def test_a_small_year_is_a_gap_in_the_trend_that_says_why_in_both_languages(empty_wh):
    rows = [("LCA", f"{y}-{m:02d}", "ADULT", 40) for y in (2022, 2023, 2024) for m in range(1, 13)]
    rows += [("LCA", "2022-04", "UNACCOMPANIED", 9), ("LCA", "2023-05", "UNACCOMPANIED", 2),
             ("LCA", "2024-02", "UNACCOMPANIED", 7)]
    empty_wh.publish("returns", [_returns(rows)], scope="t", provenance=Provenance("t"), actor="t")
    prof = pr.profile(empty_wh, "LCA")
    point = _point(prof, "returns_unaccompanied", 2023)
    assert point["value"] is None and point["hidden"] == pr.HIDDEN_SMALL  # a gap, never drawn or downloaded
    assert _point(prof, "returns_unaccompanied", 2024)["value"] == 7 and prof.sparkline("returns_unaccompanied") is None
    minimum = rules().admin_min_count
    es, en = pr.trend_notes(prof.trends, "es"), pr.trend_notes(prof.trends, "en")
    assert len(es) == len(en) == 1 and str(minimum) in es[0] and str(minimum) in en[0] and es[0] != en[0]
    from vipmg_core import charts
    subtitle = charts.trend_chart(prof, "en", "events").layout.title.subtitle.text.replace("<br>", " ")
    assert "are hidden by the confidentiality rule" in subtitle  # the chart and its PNG say why
    # The headline of 2023 and its trend point pass through the same gate: both hidden.
    then = pr.profile(empty_wh, "LCA", pr.parse_period("2023"))
    minors = then.figure("returns_unaccompanied")
    assert minors.value is None and minors.flag == SUPPRESSED
    assert _point(then, "returns_unaccompanied", 2023)["value"] is None
    _figure_and_point_agree(then)


def test_headline_figures_and_trend_points_of_the_same_year_agree(cri, demo_wh):
    _figure_and_point_agree(cri)
    _figure_and_point_agree(pr.profile(demo_wh, "LCA", pr.parse_period("2023")))


def _refugees(rows: list[tuple[str, str, str, str, int | None]]) -> pl.DataFrame:
    """asylum, origin, year, population type, persons (None: hidden by UNHCR, `*`)."""
    return pl.DataFrame({"asylum": [r[0] for r in rows], "origin": [r[1] for r in rows],
                         "time_period": [r[2] for r in rows], "population_type": [r[3] for r in rows],
                         "redacted": ["Y" if r[4] is None else "N" for r in rows],
                         "obs_value": pl.Series([r[4] for r in rows], dtype=pl.Int64)})


@pytest.fixture
def unhcr_like(empty_wh: Warehouse) -> Warehouse:
    rows = [("CRI", "VEN", "2022", "REF", 80), ("CRI", "NIC", "2022", "REF", 20),
            ("CRI", "VEN", "2023", "REF", 100), ("CRI", "NIC", "2023", "REF", None), ("CRI", "COL", "2023", "ASY", 50),
            ("PAN", "VEN", "2022", "REF", 30), ("PAN", "VEN", "2023", "REF", None), ("PAN", "COL", "2023", "ASY", None)]
    empty_wh.publish("refugees", [_refugees(rows)], scope="t", provenance=Provenance("UNHCR"), actor="t")
    return empty_wh


def test_a_figure_with_parts_unhcr_hid_is_at_least_its_known_parts_and_one_made_only_of_them_is_never_zero(
        unhcr_like):
    cri = pr.profile(unhcr_like, "CRI")
    fig = cri.figure("refugees")
    assert (fig.value, fig.mark, fig.period) == (150, "lower_bound", "2023")
    assert fig.change is None  # a change from a lower bound would be presented as exact
    assert pr.figure_value(fig, "en") == "≥ 150" and pr.figure_value(fig, "es") == "≥ 150"
    assert "At least" in pr.figure_caption(fig, "en") and "Al menos" in pr.figure_caption(fig, "es")
    assert _point(cri, "refugees", 2023)["mark"] == "lower_bound" and _point(cri, "refugees", 2022)["mark"] is None
    pan = pr.profile(unhcr_like, "PAN")
    fig = pan.figure("refugees")
    assert (fig.value, fig.mark, fig.period) == (None, "redacted", "2023")  # not 0, not 2022's figure
    assert pr.figure_value(fig, "en") == "r"
    point = _point(pan, "refugees", 2023)
    assert point["value"] is None and point["mark"] == "redacted"
    assert len(pr.trend_notes(pan.trends, "es")) == len(pr.trend_notes(pan.trends, "en")) == 1
    _figure_and_point_agree(cri)
    _figure_and_point_agree(pan)
    # The region adds both up: at least 150, never 150 as if exact.
    region = pr.profile(unhcr_like, "MESOAMERICA").figure("refugees")
    assert (region.value, region.mark) == (150, "lower_bound")


def test_a_sex_total_of_one_nationality_counts_beside_sex_detail_of_another(empty_wh):
    from vipmg_core import rules as data_rules
    from vipmg_core.datasets import dataset
    frame = pl.DataFrame({"ref_area": "CRI", "time_period": "2024", "nationality": ["HTI", "HTI", "VEN", "NIC", "NIC"],
                          "sex": ["F", "M", "_T", "F", "_T"], "permit_type": "WORK", "obs_value": [30, 40, 50, 5, 5]})
    published = data_rules.without_covered_totals(dataset("residence_permits"), frame)
    assert published["obs_value"].sum() == 30 + 40 + 50 + 5  # NIC's _T goes (its part is there), VEN's stays
    empty_wh.publish("residence_permits", [frame], scope="t", provenance=Provenance("t"), actor="t")
    assert pr.profile(empty_wh, "CRI").figure("permits").value == published["obs_value"].sum()


def test_permits_by_type_hide_exactly_what_the_cross_tab_of_the_same_cells_suppresses(demo_wh):
    from vipmg_core.crosstab import crosstab
    compared = 0
    for code in [*pr.area_codes(demo_wh)]:
        where = pr.area(code)
        permits = pr.breakdown(demo_wh, "residence_permits", "permit_type", list(where.countries))
        if permits is None:
            continue
        year = int(permits.period)
        result = crosstab("residence_permits", ["permit_type"], countries=list(where.countries), years=(year, year),
                          warehouse=demo_wh)
        cells = result.cells.filter(pl.col("permit_type") != "_T")
        expected = {r["permit_type"]: r["value"] for r in cells.iter_rows(named=True)}
        assert dict(permits.frame.iter_rows()) == expected, code
        compared += 1
    assert compared > 5


def test_a_small_permit_type_is_hidden_with_the_cross_tabs_complement(empty_wh):
    from vipmg_core.crosstab import crosstab
    # Equal parts: several complements would do, and two surfaces choosing apart would show, between them,
    # every complement (and with the total, the small part).
    frame = pl.DataFrame({"ref_area": "BLZ", "time_period": "2024", "nationality": "GTM", "sex": "F",
                          "permit_type": ["TEMP", "PERM", "WORK", "STUDY", "FAMILY", "HUMANITARIAN"],
                          "obs_value": [1, 20, 20, 20, 20, 20]})
    empty_wh.publish("residence_permits", [frame], scope="t", provenance=Provenance("t"), actor="t")
    permits = pr.profile(empty_wh, "BLZ").permits
    result = crosstab("residence_permits", ["permit_type"], countries=["BLZ"], years=(2024, 2024), warehouse=empty_wh)
    shown = {r["permit_type"]: r["value"] for r in result.cells.iter_rows(named=True) if r["permit_type"] != "_T"}
    assert dict(permits.frame.iter_rows()) == shown and shown["TEMP"] is None
    assert sum(v is None for v in shown.values()) == 2  # the small one and one complement, the same on both


def test_a_profile_hides_what_the_crosstab_of_the_same_cells_hides_as_a_complement(empty_wh):
    """Returns by country in one month: LCA's 2 is hidden, and the cross-tab hides a complement so its total
    cannot give it away. A profile must hide that complement too, or its figure plus the cross-tab's total and
    the other countries' cells give LCA's 2."""
    import polars as pl

    from vipmg_core import crosstab as xt
    from vipmg_core.warehouse import Provenance

    counts = {"LCA": 2, "BLZ": 9, "GUY": 40, "JAM": 55}
    rows = pl.DataFrame({"ref_area": list(counts), "time_period": "2024-01", "returned_from": "USA", "sex": "F",
                         "age_group": "Y20T24", "minor_status": "ADULT", "transport": "AIR",
                         "obs_value": list(counts.values())})
    empty_wh.publish("returns", [rows], scope="t", provenance=Provenance("t"), actor="t")
    cells = xt.crosstab("returns", ["ref_area"], years=(2024, 2024), warehouse=empty_wh).cells
    hidden = set(cells.filter(pl.col("value").is_null())["ref_area"].to_list())
    assert "LCA" in hidden and len(hidden - {"LCA"}) >= 1  # the small count and its complement
    for area in counts:
        fig = pr.profile(empty_wh, area, pr.Period(2020, 2024)).figure("returns")
        assert (fig.value is None) == (area in hidden), area


def test_a_trend_point_or_figure_the_crosstab_over_time_hides_is_hidden(demo_wh):
    """The table a user makes of a profile's trend, rows = country and columns = period (monthly data: one year's
    months beside their total; yearly data: every year), protects its small cells with complements of its own,
    a year's total say. A profile's yearly point (and its headline figure, the latest point) is hidden wherever
    that table hides it: on the old code 22 points of unaccompanied returns were shown that it hides."""
    from vipmg_core import crosstab as xt
    from vipmg_core import disclosure

    bounds = demo_wh.year_bounds()
    period = pr.period_for_years(bounds, bounds)
    codes = [c for c in pr.area_codes(demo_wh) if c != pr.REGION]
    leaks, checked = [], 0
    for spec in indicators("profile"):
        if spec.is_estimate:
            continue
        s = pr.series(demo_wh, spec, codes)
        if s is None or disclosure.kind(s.dataset) is None or spec.rules:
            continue
        ds = s.dataset
        area = spec.area_of(ds)
        filters = {column: list(values) for column, values in spec.filters}

        @functools.cache
        def hidden(year: int) -> set[str]:
            monthly = ds.time_format == "month"
            table = xt.crosstab(ds.id, [area], [ds.time_column], filters=filters, totals=True, warehouse=demo_wh,
                                years=(year, year) if monthly else bounds).cells
            column = "_T" if monthly else str(year)
            return set(table.filter((pl.col(ds.time_column) == column) & (pl.col("conf") != "F"))[area].to_list())

        for code in codes:
            trend = pr.yearly(s, period, [code], wh=demo_wh)
            for year, value in zip(trend["year"].to_list(), trend["value"].to_list()):
                checked += 1
                if value is not None and code in hidden(year):
                    leaks.append((spec.key, code, year, value))
            figure = pr.figure_from(demo_wh, s, period, [code])
            if figure is not None and figure.value is not None and figure.period.isdigit():
                if code in hidden(int(figure.period)):
                    leaks.append((spec.key, code, figure.period, figure.value, "figure"))
    assert checked > 100
    assert not leaks, leaks
