"""Origin-destination flows: the numbers (against an independent pandas computation over the exported data),
the choices (direction, period, filters, top N), the map they draw, and the `flows` command."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from vipmg_core import flows as fl
from vipmg_core import maps, quality
from vipmg_core.cli import main
from vipmg_core.codelists import UNKNOWN_COUNTRY, country_point
from vipmg_core.datasets import dataset, datasets
from vipmg_core.warehouse import Provenance, Warehouse

FLOW_ROLES = [(ds.id, role) for ds in datasets() for role in range(len(ds.flows))]


@pytest.fixture(scope="module")
def exported(demo_wh: Warehouse, tmp_path_factory: pytest.TempPathFactory):
    """Each dataset as a user downloads it (the warehouse export), read back with pandas."""
    folder = tmp_path_factory.mktemp("exported")
    cache: dict[str, pd.DataFrame] = {}

    def read(dataset_id: str) -> pd.DataFrame:
        if dataset_id not in cache:
            path = folder / f"{dataset_id}.parquet"
            demo_wh.export(dataset_id, "parquet", path)
            cache[dataset_id] = pd.read_parquet(path)
        return cache[dataset_id]

    return read


def pandas_pairs(frame: pd.DataFrame, dataset_id: str, role: int, periods: tuple[str, str] | None) -> pd.Series:
    """The flows computed independently: role rows, no self-flows, the period, summed per pair.

    Stocks take each reporting country's latest period (over the range, or over all periods when None)."""
    ds = dataset(dataset_id)
    spec = ds.flows[role]
    rows = frame
    for column, code in spec.when.items():
        rows = rows[rows[column] == code]
    rows = rows.dropna(subset=[spec.origin, spec.destination])
    rows = rows[rows[spec.origin] != rows[spec.destination]]
    time = rows[ds.time_column].astype(str)
    if periods is not None:
        rows = rows[(time >= periods[0]) & (time <= periods[1])]
    if ds.unit == "persons":
        latest = rows.groupby(ds.area_column)[ds.time_column].transform("max")
        rows = rows[rows[ds.time_column] == latest]
    value = ds.weight if ds.is_microdata else ds.measure.name
    return rows.groupby([spec.origin, spec.destination])[value].sum().rename_axis(["origin", "destination"])


def as_series(result: fl.FlowResult) -> pd.Series:
    return result.flows.to_pandas().set_index(["origin", "destination"])["value"]


def test_the_datasets_with_an_origin_and_a_destination_are_the_declared_ones():
    assert {ds.id for ds in fl.flow_datasets()} == {ds.id for ds in datasets() if ds.flows}
    assert "survey" not in {ds.id for ds in fl.flow_datasets()}
    assert len(dataset("census").flows) == 2  # country of birth, residence five years ago


@pytest.mark.parametrize(("dataset_id", "role"), FLOW_ROLES)
def test_flows_and_country_totals_equal_an_independent_pandas_computation(demo_wh, exported, dataset_id, role):
    ds = dataset(dataset_id)
    if not demo_wh.releases(dataset_id):  # declared, but only real imports fill it: a clear answer, no crash
        with pytest.raises(fl.FlowError) as caught:
            fl.flows(demo_wh, dataset_id, role=role)
        assert caught.value.key == "no_data"
        return
    available = fl.periods(demo_wh, dataset_id, role)
    if ds.unit == "events":  # a whole year of events, added up
        year = available[-1][:4]
        period, expected_span = year, (min(p for p in available if p.startswith(year)), available[-1])
        result = fl.flows(demo_wh, dataset_id, role=role, period=period, top=None)
        expected = pandas_pairs(exported(dataset_id), dataset_id, role, expected_span)
    else:  # the default for stocks: each reporting country's latest figure
        result = fl.flows(demo_wh, dataset_id, role=role, top=None)
        expected = pandas_pairs(exported(dataset_id), dataset_id, role, None)

    got = as_series(result)  # hidden flows (disclosure control) are NaN: every other one equals pandas
    assert len(got) == len(expected) > 0
    shown = got.notna()
    pd.testing.assert_series_equal(got[shown].sort_index().astype(float),
                                   expected.loc[got[shown].index].sort_index().astype(float),
                                   check_names=False, rtol=1e-9)
    assert result.matching == len(expected)
    if result.matching_value is not None:
        assert result.matching_value == pytest.approx(expected.sum(), rel=1e-9)

    totals = result.totals.to_pandas().set_index("country")
    incoming = expected.groupby(level="destination").sum()
    outgoing = expected.groupby(level="origin").sum()
    for side, truth in (("incoming", incoming), ("outgoing", outgoing)):
        published = totals[side].loc[truth.index]
        assert published.dropna().to_numpy() == pytest.approx(truth[published.notna()].to_numpy(), rel=1e-9)
    both = totals.dropna(subset=["incoming", "outgoing"])
    assert (both["net"] == both["incoming"] - both["outgoing"]).all()


def test_a_stock_over_a_range_takes_each_countrys_latest_census_not_the_sum(demo_wh, exported):
    result = fl.flows(demo_wh, "census", period="2010/2024", countries=["GTM", "CRI"], direction="in", top=None)
    periods = dict(zip(result.flows["destination"], result.flows["last_period"]))
    assert periods["GTM"] == "2018" and periods["CRI"] == "2022"  # their latest rounds, one each
    assert (result.flows["first_period"] == result.flows["last_period"]).all()
    expected = pandas_pairs(exported("census"), "census", 0, ("2010", "2024"))
    expected = expected[expected.index.get_level_values("destination").isin(["GTM", "CRI"])]
    assert result.matching_value == pytest.approx(expected.sum(), rel=1e-9)


def test_events_over_a_range_add_up_every_period(demo_wh):
    months = [fl.flows(demo_wh, "returns", period=f"2023-{m:02d}", countries=["HND"], direction="in", top=None)
              for m in range(1, 13)]
    year = fl.flows(demo_wh, "returns", period="2023-01/2023-12", countries=["HND"], direction="in", top=None)
    assert year.matching_value == sum(m.matching_value for m in months)
    assert year.query.period == ("2023-01", "2023-12")


@pytest.mark.parametrize("direction", fl.DIRECTIONS)
def test_direction_keeps_incoming_outgoing_both_or_only_between_the_selected(demo_wh, direction):
    chosen = {"MEX", "GTM"}
    everything = fl.flows(demo_wh, "migrant_stock", period="2024", top=None).flows
    result = fl.flows(demo_wh, "migrant_stock", period="2024", countries=sorted(chosen), direction=direction,
                      top=None).flows
    into = everything["destination"].is_in(chosen)
    out_of = everything["origin"].is_in(chosen)
    keep = {"in": into, "out": out_of, "both": into | out_of, "between": into & out_of}[direction]
    expected = everything.filter(keep)
    assert result.height == expected.height > 0
    assert set(zip(result["origin"], result["destination"])) == set(zip(expected["origin"], expected["destination"]))


def test_no_country_means_every_flow_and_the_top_n_are_the_largest(demo_wh):
    everything = fl.flows(demo_wh, "irregular_transit", period="2023", top=None)
    top = fl.flows(demo_wh, "irregular_transit", period="2023", top=5)
    assert top.flows.height == 5 and top.matching == everything.matching > 5
    shown = [v for v in everything.flows["value"].to_list() if v is not None]  # hidden flows come last
    assert top.flows["value"].to_list() == sorted(shown, reverse=True)[:5]
    assert top.matching_value == everything.matching_value > top.shown_value
    assert top.totals.equals(everything.totals)  # totals cover every flow, not only the top ones


def test_filters_narrow_the_flows_and_sexes_add_up_to_the_whole(demo_wh):
    kwargs = {"period": "2024", "countries": ["CRI"], "direction": "in", "top": None}
    whole = fl.flows(demo_wh, "migrant_stock", **kwargs)
    women = fl.flows(demo_wh, "migrant_stock", filters={"sex": ["F"]}, **kwargs)
    men = fl.flows(demo_wh, "migrant_stock", filters={"sex": "M"}, **kwargs)
    assert 0 < women.matching_value < whole.matching_value
    assert women.matching_value + men.matching_value == whole.matching_value
    assert women.query.filters == (("sex", ("F",)),)


def test_a_published_total_row_is_used_only_where_no_detail_exists(tmp_path):
    """Real stock tables (UN DESA) carry both sexes and a total; the total must not be added to its parts."""
    wh = Warehouse(tmp_path / "wh")
    rows = [  # CRI publishes detail and a total; PAN only a total
        ("CRI", "NIC", "2024", "F", 60), ("CRI", "NIC", "2024", "M", 40), ("CRI", "NIC", "2024", "_T", 100),
        ("PAN", "COL", "2024", "_T", 70),
    ]
    frame = pl.DataFrame(rows, schema=["destination", "origin", "time_period", "sex", "obs_value"], orient="row")
    wh.publish("migrant_stock", [frame], scope="test", provenance=Provenance(publisher="test"), actor="test")

    result = fl.flows(wh, "migrant_stock", top=None)
    values = dict(zip(zip(result.flows["origin"], result.flows["destination"]), result.flows["value"]))
    assert values == {("NIC", "CRI"): 100, ("COL", "PAN"): 70}
    assert fl.flows(wh, "migrant_stock", filters={"sex": ["F"]}, top=None).matching_value == 60


def test_a_total_row_of_one_reading_is_not_hidden_by_the_detail_of_another(tmp_path):
    wh = Warehouse(tmp_path / "wh")
    columns = ["ref_area", "time_period", "flow", "nationality", "sex", "age_group", "border_type", "obs_value"]
    rows = [  # arrivals in detail (with their total), departures only as a total
        ("CRI", "2024-01", "ARR", "NIC", "F", "_T", "LAND", 30),
        ("CRI", "2024-01", "ARR", "NIC", "M", "_T", "LAND", 20),
        ("CRI", "2024-01", "ARR", "NIC", "_T", "_T", "LAND", 50),
        ("CRI", "2024-01", "DEP", "NIC", "_T", "_T", "LAND", 45),
    ]
    frame = pl.DataFrame(rows, schema=columns, orient="row")
    wh.publish("arrivals_departures", [frame], scope="test", provenance=Provenance(publisher="test"), actor="test")
    arrivals = fl.flows(wh, "arrivals_departures", role=0, top=None)
    departures = fl.flows(wh, "arrivals_departures", role=1, top=None)
    assert arrivals.flows.select("origin", "destination", "value").rows() == [("NIC", "CRI", 50)]
    assert departures.flows.select("origin", "destination", "value").rows() == [("CRI", "NIC", 45)]


def test_period_requests_resolve_to_the_periods_present():
    months = [f"2023-{m:02d}" for m in range(1, 13)] + ["2024-01"]
    assert fl.resolve_period("2023", months) == ("2023-01", "2023-12")
    assert fl.resolve_period("2023-03/2023-05", months) == ("2023-03", "2023-05")
    assert fl.resolve_period("2023/2024", months) == ("2023-01", "2024-01")
    assert fl.resolve_period(("2023-12", "2024-01"), months) == ("2023-12", "2024-01")
    assert fl.resolve_period("2024", ["2020", "2024"]) == ("2024", "2024")
    with pytest.raises(fl.FlowError) as caught:
        fl.resolve_period("2019", months)
    assert caught.value.message("es") == "No hay datos para el período «2019»; los datos van de 2023-01 a 2024-01."
    assert caught.value.message("en") == 'No data for period "2019"; the data runs from 2023-01 to 2024-01.'


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"dataset_id": "survey"}, "no_flows"),
    ({"dataset_id": "nope"}, "unknown_dataset"),
    ({"dataset_id": "census", "role": 2}, "bad_role"),
    ({"dataset_id": "returns", "direction": "sideways"}, "bad_direction"),
    ({"dataset_id": "returns", "countries": ["XXX"]}, "bad_country"),
    ({"dataset_id": "returns", "top": 0}, "bad_top"),
    ({"dataset_id": "returns", "filters": {"ref_area": ["GTM"]}}, "bad_filter"),
    ({"dataset_id": "returns", "filters": {"sex": ["Q"]}}, "bad_code"),
])
def test_requests_that_cannot_be_answered_say_why_in_each_language(demo_wh, kwargs, key):
    with pytest.raises(fl.FlowError) as caught:
        fl.flows(demo_wh, **kwargs)
    assert caught.value.key == key
    assert caught.value.message("es") != caught.value.message("en")


def test_unknown_origins_stay_in_the_table_and_totals_but_are_not_drawn(demo_wh):
    result = fl.flows(demo_wh, "arrivals_departures", period="2024", countries=["CRI"], direction="in", top=None)
    assert UNKNOWN_COUNTRY in set(result.flows["origin"])
    assert UNKNOWN_COUNTRY in set(result.totals["country"])
    assert set(result.undrawn["origin"]) == {UNKNOWN_COUNTRY}
    spec = json.loads(fl.flow_deck(result, "en").to_json())
    arcs = next(layer for layer in spec["layers"] if layer["id"] == "flows")["data"]
    assert len(arcs) == result.flows.height - result.undrawn.height
    assert UNKNOWN_COUNTRY not in {arc["origin"] for arc in arcs}
    assert any("Other countries / unknown" in note and "not drawn" in note for note in fl.notes(result, "en"))


def test_the_deck_has_countries_arcs_and_totals_with_one_tooltip_and_no_map_style(demo_wh):
    result = fl.flows(demo_wh, "migrant_stock", countries=["CRI"], top=10)
    spec = json.loads(fl.flow_deck(result, "es").to_json())
    assert [layer["id"] for layer in spec["layers"]] == ["countries", "flows", "totals"]
    assert spec["mapStyle"] == "__MAP_STYLE__" and "mapProvider" not in spec  # no basemap, no style URL
    assert "http" not in json.dumps(spec)
    assert spec["views"][0]["@@type"] == "MapView"
    arcs = spec["layers"][1]
    assert arcs["@@type"] == "ArcLayer" and arcs["greatCircle"] is True and len(arcs["data"]) <= 10
    widths = [arc["width"] for arc in sorted(arcs["data"], key=lambda a: a["label"])]
    assert len(set(widths)) > 1  # the width follows the flow
    for layer in spec["layers"]:  # every pickable object carries the one `label` the tooltip shows
        rows = layer["data"]["features"] if layer["@@type"] == "GeoJsonLayer" else layer["data"]
        assert all((row.get("properties") or row).get("label") for row in rows), layer["id"]
    first = result.flows.row(0, named=True)
    assert fl.flow_label(first["origin"], first["destination"], first["value"], "2024", "persons", "es") in \
        {arc["label"] for arc in arcs["data"]}
    cri = next(f for f in spec["layers"][0]["data"]["features"] if f["properties"]["iso3"] == "CRI")
    assert cri["properties"]["label"].startswith("Costa Rica\nEntradas: ")


def test_tooltips_read_in_the_chosen_language():
    es = fl.flow_label("NIC", "CRI", 414974, "2024", "persons", "es")
    en = fl.flow_label("NIC", "CRI", 414974, "2024", "events", "en")
    assert es == "Origen: Nicaragua\nDestino: Costa Rica\n414\u202f974 personas\nPeríodo: 2024"
    assert en == "Origin: Nicaragua\nDestination: Costa Rica\n414,974 events\nPeriod: 2024"


def test_arc_width_and_opacity_grow_with_the_flow_and_the_legend_shows_the_scale():
    widths = [maps.arc_width(v, 1000) for v in (1, 10, 100, 1000)]
    alphas = [maps.arc_alpha(v, 1000) for v in (1, 10, 100, 1000)]
    assert widths == sorted(widths) and widths[-1] == maps.ARC_MAX_PX and widths[0] >= maps.ARC_MIN_PX
    assert alphas == sorted(alphas) and len(set(alphas)) == 4
    assert maps.legend_samples([1_234_567, 40_000, 2_345]) == [1_200_000, 40_000, 2_300]
    svg = maps.flow_legend_svg([(1_200_000, "1,200,000")], 1_234_567, "origin", "destination", "Width", "Circles",
                               "net in", "net out")
    assert svg.startswith("<svg") and "1,200,000" in svg and "origin" in svg and "net out" in svg


def test_a_click_on_a_country_polygon_or_circle_gives_its_code():
    polygon = {"selection": {"indices": {"countries": [3]},
                             "objects": {"countries": [{"type": "Feature", "properties": {"iso3": "GTM"}}]}}}
    circle = {"selection": {"indices": {"totals": [0]}, "objects": {"totals": [{"iso3": "LCA", "label": "x"}]}}}
    arc = {"selection": {"indices": {"flows": [0]}, "objects": {"flows": [{"origin": "NIC", "label": "x"}]}}}
    assert maps.picked_country(polygon) == "GTM"
    assert maps.picked_country(circle) == "LCA"
    assert maps.picked_country(arc) is None
    assert maps.picked_country(None) is None
    assert maps.picked_country({"selection": {"indices": {}, "objects": {}}}) is None


def test_the_view_fits_the_countries_of_the_flows():
    points = [country_point(c) for c in ("MEX", "PAN", "JAM")]
    view = maps.fit_view(points)
    assert -92 < view.longitude < -70 and 8 < view.latitude < 22 and 2 < view.zoom <= maps.FIT_MAX_ZOOM
    assert maps.fit_view([]) == maps.REGION_VIEW
    assert maps.fit_view([country_point("CHN"), country_point("MEX")]).zoom < 2


def test_the_table_chart_and_export_say_events_for_admin_data(demo_wh):
    result = fl.flows(demo_wh, "returns", countries=["GTM"], top=5)
    table = fl.flow_table(result, "es")
    assert "Valor (eventos)" in table.columns and len(table) == result.flows.height
    assert table["Valor (eventos)"].tolist() == result.flows["value"].to_list()
    chart = fl.flows_chart(result, "en").to_plotly_json()
    assert "Counts events, not persons" in chart["layout"]["xaxis"]["title"]["text"]
    meta = dict(fl.export_meta(result, "en", synthetic=True).rows())
    assert meta["Unit"].startswith("events")


def test_microdata_flows_are_weighted_with_the_sample_count_beside_them(demo_wh):
    result = fl.flows(demo_wh, "census", role=1, countries=["CRI"], top=None)
    assert result.weighted and "n" in result.flows.columns
    table = fl.flow_table(result, "en")
    assert table["Sample records (n)"].fillna(-1).tolist() == result.flows["n"].fill_null(-1).to_list()


def test_a_census_flow_from_fewer_sample_records_than_the_threshold_is_hidden(demo_wh):
    rule = quality.rules()
    result = fl.flows(demo_wh, "census", role=1, countries=["CRI"], top=None)
    open_result = _without_rules(lambda: fl.flows(demo_wh, "census", role=1, countries=["CRI"], top=None))
    small = open_result.flows.filter(pl.col("n") < rule.min_unweighted_n)
    assert small.height, "the case should have flows from few records"
    shown = result.flows.filter(pl.col("value").is_not_null())
    assert (shown["n"] >= rule.min_unweighted_n).all()
    hidden = result.flows.filter(pl.col("value").is_null())
    assert set(zip(small["origin"], small["destination"])) <= set(zip(hidden["origin"], hidden["destination"]))
    assert hidden["n"].is_null().all()  # a small n would tell why it is hidden
    table = fl.flow_table(result, "en")
    assert (table[fl.value_header(result.dataset, "en")] == rule.symbol_suppressed).sum() == hidden.height
    assert any(rule.symbol_suppressed in note for note in fl.notes(result, "en"))


def _without_rules(call):
    saved = quality.rules
    quality.rules = lambda path=None: quality.Rules(min_unweighted_n=0, admin_min_count=0)
    try:
        return call()
    finally:
        quality.rules = saved


def test_admin_flows_show_no_count_under_the_threshold_and_the_totals_do_not_give_one_away(demo_wh):
    rule = quality.rules()
    kwargs = dict(countries=["CRI"], direction="in", top=None, period="2023")  # one small count among 25
    result = fl.flows(demo_wh, "residence_permits", **kwargs)
    truth = _without_rules(lambda: fl.flows(demo_wh, "residence_permits", **kwargs))
    values = result.flows["value"].drop_nulls()
    assert not ((values > 0) & (values < rule.admin_min_count)).any()
    small = truth.flows.filter((pl.col("value") > 0) & (pl.col("value") < rule.admin_min_count))
    assert small.height, "the case should have small counts"
    hidden = result.flows.filter(pl.col("value").is_null())
    assert hidden.height >= 2 or result.matching_value is None  # never one alone beside the total
    if result.matching_value is not None:
        assert result.matching_value - values.sum() >= hidden.height  # the total minus the rest pins nothing


def test_darien_flows_into_panama_in_november_2024_print_no_count_under_the_threshold(realdata, tmp_path, capsys):
    from vipmg_core.importers import import_file

    wh = Warehouse(tmp_path / "wh")
    import_file(wh, realdata / "iom_gdidata_regional_series/irreg_darien_nat.csv", actor="test")
    result = fl.flows(wh, "irregular_transit", countries=["PAN"], direction="in", period="2024-11", top=None)
    values = result.flows["value"].drop_nulls()
    small = (values > 0) & (values < quality.rules().admin_min_count)
    assert result.flows["value"].is_null().any() and not small.any()
    totals = result.totals.filter(pl.col("incoming").is_not_null() & (pl.col("incoming") > 0))
    assert not (totals["incoming"] < quality.rules().admin_min_count).any()


# -- the command line ----------------------------------------------------------------------------------------

def test_the_flows_command_gives_the_same_numbers_as_the_python_api(demo_wh, capsys):
    assert main(["flows", "returns", "--country", "GTM", "--direction", "in", "--period", "2023", "--top", "3"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    api = fl.flows(demo_wh, "returns", countries=["GTM"], direction="in", period="2023", top=3)
    assert [(r["origin"], r["destination"], int(r["value"])) for r in rows] == \
        list(zip(api.flows["origin"], api.flows["destination"], api.flows["value"]))
    assert {r["unit"] for r in rows} == {"events"} and rows[0]["first_period"] == "2023-01"


def test_the_flows_command_json_carries_the_choices_flows_and_totals(demo_wh, capsys, tmp_path: Path):
    out = tmp_path / "flows.json"
    args = ["flows", "census", "--role", "1", "--country", "CRI,PAN", "--direction", "between", "--top", "all",
            "--format", "json", "--lang", "en", "--out", str(out)]
    assert main(args) == 0
    assert str(out) in capsys.readouterr().out
    payload = json.loads(out.read_text(encoding="utf-8"))
    api = fl.flows(demo_wh, "census", role=1, countries=["CRI", "PAN"], direction="between", top=None)
    assert payload["reading"] == "Country of residence 5 years ago → Census country"
    assert payload["countries"] == ["CRI", "PAN"] and payload["unit"] == "persons" and payload["weighted"]
    assert [(f["origin"], f["destination"]) for f in payload["flows"]] == \
        list(zip(api.flows["origin"], api.flows["destination"]))
    values = [(f["value"], v) for f, v in zip(payload["flows"], api.flows["value"].to_list())]
    assert all((a is None) == (b is None) for a, b in values)  # a hidden flow is null in the JSON too
    assert [a for a, _ in values if a is not None] == pytest.approx([b for _, b in values if b is not None], rel=1e-9)
    assert payload["matching_flows"] == api.matching and len(payload["totals"]) == api.totals.height


@pytest.mark.parametrize("args", [
    ["flows", "survey"],
    ["flows", "returns", "--country", "XXX"],
    ["flows", "returns", "--period", "1999"],
    ["flows", "returns", "--top", "many"],
    ["flows", "returns", "--filter", "sex"],
    ["flows", "returns", "--direction", "up"],
])
def test_the_flows_command_fails_with_one_line_and_a_non_zero_exit(demo_wh, capsys, args):
    try:
        code = main(args)
    except SystemExit as stopped:  # argparse refuses a bad choice itself
        code = stopped.code
    err = capsys.readouterr().err
    assert code != 0
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_downloads_hold_the_table_shown_with_its_choices_and_the_synthetic_warning(demo_wh):
    from vipmg_core.exports import csv_bytes, excel_bytes

    result = fl.flows(demo_wh, "arrivals_departures", role=1, countries=["CRI"], direction="out", period="2024",
                      filters={"sex": ["F"]}, top=5)
    table = fl.flow_table(result, "en")
    meta = fl.export_meta(result, "en", synthetic=True)
    text = csv_bytes(table, meta).decode("utf-8-sig")
    preamble = [line for line in text.splitlines() if line.startswith("# ")]
    body = pd.read_csv(io.StringIO(text), comment="#")
    assert body["Value (events)"].tolist() == result.flows["value"].to_list()
    assert body["Origin code"].unique().tolist() == ["CRI"]
    joined = "\n".join(preamble)
    for expected in ("Departures: Reporting country → Nationality", "2024-01–2024-12", "Outgoing", "Costa Rica",
                     "Sex: Female", "Counts events, not persons", "synthetic"):
        assert expected.lower() in joined.lower(), expected
    workbook = pd.read_excel(io.BytesIO(excel_bytes(table, meta)), sheet_name=None, engine="openpyxl")
    sheets = list(workbook.values())
    assert len(sheets) == 2 and sheets[0]["Value (events)"].tolist() == body["Value (events)"].tolist()
