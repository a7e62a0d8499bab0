"""Regional comparison: each country's figure is its profile's, and what makes them less comparable is said."""

import io

import pandas as pd
import polars as pl
import pytest

from vipmg_core import compare as cp
from vipmg_core import profiles as pr
from vipmg_core.accounts import add_user
from vipmg_core.exports import csv_bytes
from vipmg_core.i18n import t
from vipmg_core.submissions import SubmissionStore
from vipmg_core.warehouse import Provenance, Warehouse

NEIGHBOURS = ["CRI", "PAN", "NIC", "LCA"]


def messages(c: cp.Comparison, lang: str = "en") -> str:
    return "\n".join(k.message(lang) for k in c.caveats)


@pytest.mark.parametrize("indicator", ["arrivals", "immigrant_stock", "returns", pr.SHARE_KEY])
def test_each_country_gets_the_figure_of_its_own_profile(demo_wh, indicator):
    c = cp.compare(demo_wh, indicator, NEIGHBOURS)
    assert c.rows["country"].to_list() == NEIGHBOURS
    for row in c.rows.iter_rows(named=True):
        fig = pr.profile(demo_wh, row["country"]).figure(indicator)
        assert (row["period"], row["dataset_id"]) == (fig.period, fig.dataset_id)
        assert row["value"] == pytest.approx(fig.value, rel=1e-12)  # parallel sums: the last digit may differ


def test_the_datasets_own_notes_on_comparability_are_shown(demo_wh):
    c = cp.compare(demo_wh, "arrivals", NEIGHBOURS)
    assert "Definitions of border post and resident differ between countries." in messages(c)
    assert "Las definiciones de puesto y de residente difieren entre países." in messages(c, "es")
    assert "Demo data (synthetic), not official: Costa Rica, Panama, Nicaragua, Saint Lucia." in messages(c)


def test_estimates_from_different_sources_and_years_are_flagged(demo_wh):
    c = cp.compare(demo_wh, pr.SHARE_KEY, ["CRI", "MEX", "NIC"])
    text = messages(c)
    assert "different sources" in text and "Population census (sample)" in text and "Household survey" in text
    assert "The reference periods differ" in text
    assert "pale bars are to use with caution" in text
    assert c.percent and c.axis("en") == "% of the population"


def test_transits_are_said_not_to_add_up_across_countries(demo_wh):
    c = cp.compare(demo_wh, "transits", ["PAN", "CRI"])
    assert "Do not add these figures across countries" in messages(c)


def test_a_country_without_data_is_listed_not_hidden(demo_wh):
    c = cp.compare(demo_wh, "transits", ["PAN", "USA"])
    assert c.missing == ["USA"] and "No published data for: United States." in messages(c)


def test_definitions_sent_with_a_submission_are_shown_beside_other_sources(tmp_path):
    wh = Warehouse(tmp_path / "wh")

    def returns(country: str, value: int) -> pl.DataFrame:
        return pl.DataFrame({"ref_area": country, "time_period": [f"2024-{m:02d}" for m in range(1, 13)],
                             "returned_from": "USA", "sex": "M", "age_group": "Y20T24", "minor_status": "ADULT",
                             "transport": "AIR", "obs_value": value})

    wh.publish("returns", [returns("GTM", 10), returns("HND", 20)], scope="demo",
               provenance=Provenance("demo generator", synthetic=True), actor="t")
    store = SubmissionStore(wh)
    focal = add_user(wh.catalogue, "fp_hnd", role="focal_point", country="HND", password="a long password 1",
                     actor="admin")
    reviewer = add_user(wh.catalogue, "rev", role="reviewer", password="a long password 2", actor="admin")
    sub = store.create(focal, dataset_id="returns", country="HND", file_name="retornos.csv", data=b"x",
                       frame=returns("HND", 30), mapping={}, report={"ready": True}, ready=True, submit=True,
                       definitions="Solo retornos por vía aérea desde EE. UU.")
    store.publish(reviewer, sub.submission_id)

    c = cp.compare(wh, "returns", ["GTM", "HND"])
    assert dict(zip(c.rows["country"], c.rows["value"])) == {"GTM": 120, "HND": 360}
    text = messages(c)
    assert "National definition sent by Honduras: Solo retornos por vía aérea desde EE. UU." in text
    assert "different sources" in text and "demo generator: Guatemala" in text
    assert "Demo data (synthetic), not official: Guatemala." in text


def test_the_table_and_its_download_carry_the_numbers_and_the_caveats(demo_wh):
    c = cp.compare(demo_wh, "arrivals", NEIGHBOURS)
    table = cp.table(c, "es")
    assert list(table["País"]) == ["Costa Rica", "Panamá", "Nicaragua", "Santa Lucía"]
    assert list(table["Valor (eventos)"]) == c.rows["value"].to_list()
    assert list(table["Código ISO3"]) == NEIGHBOURS and set(table["Datos de demostración"]) == {"sí"}
    raw = csv_bytes(table, cp.export_meta(c, "es")).decode("utf-8-sig")
    assert "Las definiciones de puesto y de residente difieren" in raw and "sintéticos" in raw
    body = pd.read_csv(io.StringIO(raw), comment="#")
    assert list(body["Valor (eventos)"]) == c.rows["value"].to_list()


def test_bad_requests_say_what_to_do(demo_wh):
    with pytest.raises(pr.ProfileError) as caught:
        cp.compare(demo_wh, "weather", ["CRI"])
    assert "arrivals" in caught.value.message("en")
    with pytest.raises(pr.ProfileError) as caught:
        cp.compare(demo_wh, "arrivals", [])
    assert caught.value.message("es") == "Elija al menos un país."


def test_a_comparison_marks_lower_bounds_and_values_only_their_publisher_knows(empty_wh):
    rows = [("CRI", "VEN", "REF", 100), ("CRI", "NIC", "REF", None), ("PAN", "VEN", "REF", None),
            ("NIC", "VEN", "REF", 12)]
    frame = pl.DataFrame({"asylum": [r[0] for r in rows], "origin": [r[1] for r in rows], "time_period": "2023",
                          "population_type": [r[2] for r in rows],
                          "redacted": ["Y" if r[3] is None else "N" for r in rows],
                          "obs_value": pl.Series([r[3] for r in rows], dtype=pl.Int64)})
    empty_wh.publish("refugees", [frame], scope="t", provenance=Provenance("UNHCR"), actor="t")
    c = cp.compare(empty_wh, "refugees", ["CRI", "PAN", "NIC"])
    got = {r["country"]: (r["value"], r["mark"]) for r in c.rows.iter_rows(named=True)}
    assert got == {"CRI": (100, "lower_bound"), "PAN": (None, "redacted"), "NIC": (12, None)}
    assert {k.key for k in c.caveats} >= {"lower_bound", "redacted"}
    for lang in ("es", "en"):
        table = cp.table(c, lang).set_index(t("compare.col_code", lang))
        marks = table[t("compare.col_mark", lang)]
        assert marks["CRI"].startswith("≥") and marks["PAN"].startswith("r") and marks["NIC"] == ""
        assert pd.isna(table.iloc[:, 1]["PAN"])  # empty, never 0
        assert all(k.message(lang) for k in c.caveats)
