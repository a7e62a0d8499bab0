"""SDMX: each dataset's structure loads in sdmx1 and pysdmx, and a full-key data file of a cross-tab loads with it,
observation for observation equal to the cross-tab's cells (suppressed ones marked, never 0)."""

from __future__ import annotations

import csv
import dataclasses
import io
import math

import pytest
import sdmx as sdmx1
from pysdmx.io import get_datasets
from pysdmx.io import read_sdmx as pysdmx_read

from vipmg_core import crosstab as xt
from vipmg_core import rules, sdmx
from vipmg_core.cli import main
from vipmg_core.codelists import Code, Codelist, codelist
from vipmg_core.datasets import Column, dataset, dataset_ids

QUALITY = {"caution": sdmx.OBS_LOW_RELIABILITY, "suppressed": sdmx.OBS_SUPPRESSED}


def _layout(dataset_id: str, wh) -> tuple[list[str], list[str], dict]:
    """A table per dataset: the reporting area and its smallest other dimension by period, with totals, over the
    last two periods with data (small, so the file stays fast to check). The survey: shares of migrant status by
    country, each country at its latest year (the period not shown), some to be used with caution, some hidden."""
    ds = dataset(dataset_id)
    if dataset_id == "survey":
        return [ds.area_column], ["migrant_status"], {"years": (2020, 2024), "percent": "row"}
    other = min((c for c in ds.dimensions if c.type == "code" and c.name != ds.area_column),
                key=lambda c: len(c.codelist))
    last = xt.dimension_values(wh, dataset_id, ds.time_column)[-2:]
    years = (int(last[0][:4]), int(last[-1][:4]))
    return [ds.area_column, other.name], [ds.time_column], {"years": years}


def _sdmx1_structure(data: bytes, dataset_id: str):
    return sdmx1.read_sdmx(io.BytesIO(data)).structure[f"DSD_{dataset_id.upper()}"]


def _declared_dimensions(dataset_id: str) -> list[str]:
    ds = dataset(dataset_id)
    return [c.name.upper() for c in ds.dimensions if c.type == "code"] + ["MEASURE", "TIME_PERIOD"]


@pytest.mark.parametrize("dataset_id", dataset_ids())
def test_each_structure_loads_in_sdmx1_and_pysdmx_as_declared(dataset_id, tmp_path):
    ds = dataset(dataset_id)
    xml, js = sdmx.structure_xml(dataset_id), sdmx.structure_json(dataset_id)
    dsd = _sdmx1_structure(xml, dataset_id)
    assert [d.id for d in dsd.dimensions.components] == _declared_dimensions(dataset_id)
    assert {a.id for a in dsd.attributes.components} >= {"OBS_STATUS", "CONF_STATUS", "UNIT_MEASURE", "DECIMALS"}
    for col in ds.dimensions:
        if col.type != "code":
            continue
        codes = {c.id for c in dsd.dimensions.get(col.name.upper()).local_representation.enumerated}
        assert {c.code for c in col.codelist} | {rules.TOTAL} <= codes, col.name
    assert str(dsd.dimensions.get("TIME_PERIOD").concept_identity.name.localizations["es"]) == \
        ds.column(ds.time_column).label("es")
    (tmp_path / "s.xml").write_bytes(xml)
    (tmp_path / "s.json").write_bytes(js)
    for path in ("s.xml", "s.json"):  # pysdmx checks both against the SDMX schemas as it reads
        message = pysdmx_read(tmp_path / path)
        loaded = message.get_data_structure_definitions()[0]
        assert [c.id for c in loaded.components.dimensions] == _declared_dimensions(dataset_id)
        assert loaded.components["OBS_VALUE"].dtype.name == "DOUBLE"
        assert message.get_dataflows()[0].id == f"DF_{dataset_id.upper()}"
    assert sdmx.structure_id(dataset_id) == f"VIPMG:DSD_{dataset_id.upper()}(1.0)"


def _expected(result) -> dict[tuple, tuple[float, str, str]]:
    """The cross-tab's cells as SDMX observations, key -> (value rounded as shown, OBS_STATUS, CONF_STATUS)."""
    ds, q = result.dataset, result.query
    cells = result.shown_cells()
    latest = dict(result.latest)  # a stock whose period is not shown: each area at its latest period
    periods = sorted(latest.values()) if latest else sorted(
        p for p in cells[ds.time_column].unique() if p != rules.TOTAL)
    decimals = xt.table_decimals(q)
    out = {}
    for cell in cells.iter_rows(named=True):
        key = []
        for name in _declared_dimensions(ds.id):
            column = ds.time_column if name == "TIME_PERIOD" else name.lower()
            if name == "MEASURE":
                key.append(sdmx.measure_code(q.measure, q.percent))
            elif name == "TIME_PERIOD" and column not in q.dims:
                key.append(latest.get(cell[ds.area_column], sdmx.period_range(periods[0], periods[-1])))
            elif column not in q.dims:
                key.append(rules.TOTAL)
            elif name == "TIME_PERIOD" and cell[column] == rules.TOTAL:
                key.append(sdmx.period_range(periods[0], periods[-1]))
            else:
                key.append(cell[column])
        hidden = cell["flag"] == "suppressed"
        value = math.nan if cell["value"] is None else round(cell["value"], decimals)
        status = QUALITY.get(cell["flag"], sdmx.OBS_NORMAL if cell["value"] is not None else sdmx.OBS_MISSING)
        conf = sdmx.CONF_CONFIDENTIAL if hidden and result.method == "admin" else sdmx.CONF_FREE
        out[tuple(key)] = (value, status, conf)
    return out


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-9)


@pytest.mark.parametrize("dataset_id", dataset_ids())
def test_a_full_key_data_file_loads_in_both_and_equals_the_crosstab(dataset_id, demo_wh, tmp_path):
    rows, cols, options = _layout(dataset_id, demo_wh)
    result = xt.crosstab(dataset_id, rows, cols, warehouse=demo_wh, totals=True, **options)
    expected = _expected(result)
    assert expected, "the demo has data for this table"
    data = sdmx.data_csv(result)
    xml = sdmx.structure_xml(dataset_id)

    dsd = _sdmx1_structure(xml, dataset_id)
    message = sdmx1.read_sdmx(io.BytesIO(data), structure=dsd, format="csv")
    frame = sdmx1.to_pandas(message.data[0], attributes="o").reset_index()
    dims = _declared_dimensions(dataset_id)
    loaded = {tuple(r[d] for d in dims): (float(r["value"]), r["OBS_STATUS"], r["CONF_STATUS"])
              for r in frame.to_dict("records")}
    assert loaded.keys() == expected.keys()
    for key, (value, status, conf) in expected.items():
        got = loaded[key]
        assert _same(got[0], value) and got[1:] == (status, conf), (key, got, (value, status, conf))
    # Values as the table shows them (its decimals), a hidden one as SDMX's missing number.
    decimals = xt.table_decimals(result.query)
    for row in csv.DictReader(io.StringIO(data.decode())):
        value = row["OBS_VALUE"]
        assert value == "NaN" or len(value.partition(".")[2]) == decimals, value
    if dataset_id == "survey":
        assert set(frame["OBS_STATUS"]) >= {sdmx.OBS_LOW_RELIABILITY, sdmx.OBS_SUPPRESSED}
    # Every key value is a code of the structure (what .Stat checks before it loads a file).
    for dim in dsd.dimensions.components:
        if dim.local_representation.enumerated is not None:
            assert set(frame[dim.id]) <= {c.id for c in dim.local_representation.enumerated}, dim.id

    (tmp_path / "s.xml").write_bytes(xml)
    (tmp_path / "d.csv").write_bytes(data)
    table = get_datasets(tmp_path / "d.csv", tmp_path / "s.xml", validate=False)[0]  # the structure test validates
    assert table.short_urn.endswith(f"DSD_{dataset_id.upper()}(1.0)")
    again = {tuple(r[d] for d in dims): (float(r["OBS_VALUE"]), r["OBS_STATUS"], r["CONF_STATUS"])
             for r in table.data.to_dict("records")}
    assert again.keys() == expected.keys()
    assert all(_same(again[k][0], v[0]) and again[k][1:] == v[1:] for k, v in expected.items())


def test_suppressed_counts_are_marked_not_zero(demo_wh):
    # Small monthly return counts of one country: some are hidden by the small-count rule and their complements.
    result = xt.crosstab("returns", ["ref_area", "sex"], ["time_period"], warehouse=demo_wh, years=(2024, 2024))
    frame = sdmx1.to_pandas(sdmx1.read_sdmx(io.BytesIO(sdmx.data_csv(result)), format="csv", structure=_sdmx1_structure(
        sdmx.structure_xml("returns"), "returns")).data[0], attributes="o").reset_index()
    hidden = frame[frame["OBS_STATUS"] == sdmx.OBS_SUPPRESSED]
    assert len(hidden) and hidden["value"].isna().all() and set(hidden["CONF_STATUS"]) == {"C"}
    shown = frame[frame["OBS_STATUS"] == sdmx.OBS_NORMAL]
    assert (shown["value"] > 0).all() and set(frame["UNIT_MEASURE"]) == {"EVENTS"}


def test_the_structure_follows_a_changed_declaration(monkeypatch):
    """A new column, a renamed label and a new code reach the structure without touching vipmg_core/sdmx/."""
    ds = dataset("returns")
    border = Column("border_type", "code", "dimension", {"es": "Tipo de frontera", "en": "Border type"}, "border_type")
    changed = dataclasses.replace(ds, columns=tuple(
        dataclasses.replace(c, labels={"es": "Sexo declarado", "en": "Declared sex"}) if c.name == "sex" else c
        for c in ds.columns) + (border,))
    extended = Codelist("sex", {**codelist("sex").codes, "X": Code("X", {"es": "Otro", "en": "Other"})})
    monkeypatch.setattr(sdmx.model, "dataset", lambda _: changed)  # where the structure reads the declarations
    monkeypatch.setattr(sdmx.model, "codelist", lambda cid: extended if cid == "sex" else codelist(cid))
    dsd = _sdmx1_structure(sdmx.structure_xml("returns"), "returns")
    assert "BORDER_TYPE" in [d.id for d in dsd.dimensions.components]
    sex = dsd.dimensions.get("SEX")
    assert str(sex.concept_identity.name.localizations["en"]) == "Declared sex"
    assert "X" in {c.id for c in sex.local_representation.enumerated}


def test_partial_totals_are_left_out_and_a_country_group_is_its_own_code(demo_wh):
    # Two countries: their sum is not the total of every country, so no `_T` row of REF_AREA is written.
    two = xt.crosstab("returns", ["ref_area"], ["sex"], countries=["GTM", "HND"], years=(2024, 2024),
                      warehouse=demo_wh)
    rows = list(csv.DictReader(io.StringIO(sdmx.data_csv(two).decode())))
    assert {r["REF_AREA"] for r in rows} == {"GTM", "HND"} and {r["TIME_PERIOD"] for r in rows} == {"2024-01-01/P1Y"}
    # The project's countries taken together are an area of the codelist; one country hidden in the key is itself.
    project = xt.crosstab("returns", ["sex"], countries=sdmx.area_aggregates()[sdmx.PROJECT_AREA][1],
                          years=(2024, 2024), warehouse=demo_wh)
    assert {r["REF_AREA"] for r in csv.DictReader(io.StringIO(sdmx.data_csv(project).decode()))} == {"VIPMG"}
    # A sum over several codes of a dimension the table does not show has no key: the page says so.
    mixed = xt.crosstab("returns", ["sex"], countries=["GTM", "HND"], years=(2024, 2024), warehouse=demo_wh)
    assert "ref_area" in sdmx.unwritable(mixed, "en")
    with pytest.raises(sdmx.SdmxError):
        sdmx.data_csv(mixed)


def test_cli_writes_the_structure(tmp_path, capsys):
    out = tmp_path / "returns.json"
    assert main(["sdmx-structure", "returns", "--format", "json", "--out", str(out)]) == 0
    assert "VIPMG:DSD_RETURNS(1.0)" in capsys.readouterr().out
    assert pysdmx_read(out).get_data_structure_definitions()[0].id == "DSD_RETURNS"
