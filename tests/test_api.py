"""The data by URL (/api/v1/): a view's link gives the same cells as its page's download and the CLI, reads only
published data, is kept and revalidated by release, and says what is wrong with a bad parameter in es and en."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pandas as pd
import polars as pl
import pytest
from starlette.applications import Starlette

from vipmg_core import accounts, api, cli, demo, downloads
from vipmg_core import flows as fl
from vipmg_core.datasets import dataset
from vipmg_core.i18n import t
from vipmg_core.submissions import SubmissionStore
from vipmg_core.warehouse import Provenance, Warehouse
from vipmg_ui import api_routes

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx's successor
    from starlette.testclient import TestClient

CROSSTAB = "/crosstab?xds=returns&xr=ref_area&xc=sex&cty=GTM,HND&yr=2023-2024"
SURVEY = "/crosstab?xds=survey&xr=ref_area,sex&xc=labour_status&xp=row&xq=1&cty=GTM,SLV&lang=en"
FLOWS = "/flowmap?fds=returns&fct=GTM,HND,SLV&fdir=in&fper=2024"


@pytest.fixture(scope="module")
def api_wh(demo_dir, tmp_path_factory) -> Warehouse:
    """A copy of the session's demo warehouse: this module stages and publishes a submission in it."""
    root = tmp_path_factory.mktemp("api") / "wh"
    shutil.copytree(demo_dir, root, ignore=shutil.ignore_patterns("catalogue.sqlite*"))
    with sqlite3.connect(demo_dir / "catalogue.sqlite") as source, sqlite3.connect(root / "catalogue.sqlite") as copy:
        source.backup(copy)
    api.clear_cache()
    return Warehouse(root)


@pytest.fixture(scope="module")
def client(api_wh) -> TestClient:
    return TestClient(Starlette(routes=api_routes.routes(lambda: api_wh)))


def data_url(link: str, fmt: str = "csv") -> str:
    page, _, query = link.lstrip("/").partition("?")
    return f"/api/v1/{page}.{fmt}?{query}"


def cells(body: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(body), comment="#", dtype=str)  # the page and CLI files open with `#` lines


def cli_file(args: list[str], wh: Warehouse, tmp_path, monkeypatch) -> bytes:
    monkeypatch.setenv("VIPMG_DATA_DIR", str(wh.root))
    out = tmp_path / "out.csv"
    assert cli.main([*args, "--out", str(out)]) == 0
    return out.read_bytes()


@pytest.mark.parametrize(("link", "cli_args"), [
    (CROSSTAB, ["crosstab", "returns", "--rows", "ref_area", "--cols", "sex", "--countries", "GTM,HND",
                "--years", "2023-2024", "--totals"]),
    (SURVEY, ["crosstab", "survey", "--rows", "ref_area,sex", "--cols", "labour_status", "--percent", "row",
              "--quality", "--countries", "GTM,SLV", "--totals", "--lang", "en"]),
    # The page writes `xc=` when no dimension is left on columns, and filters a dimension shown on rows.
    ("/crosstab?xds=returns&xr=ref_area,sex&xc=&xf_sex=F&xf_transport=AIR&cty=GTM,HND",
     ["crosstab", "returns", "--rows", "ref_area,sex", "--filter", "sex=F", "--filter", "transport=AIR",
      "--countries", "GTM,HND", "--totals"]),
])
def test_a_crosstab_data_url_holds_the_cells_of_the_page_download_and_of_the_cli(client, api_wh, link, cli_args,
                                                                                  tmp_path, monkeypatch):
    answer = client.get(data_url(link))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    by_url = cells(answer.content)
    assert len(by_url) >= 3 and by_url.notna().all().all()
    by_cli = cells(cli_file(cli_args, api_wh, tmp_path, monkeypatch))
    by_link = cells(cli_file(["view", link], api_wh, tmp_path, monkeypatch))
    pd.testing.assert_frame_equal(by_url, by_cli)
    pd.testing.assert_frame_equal(by_url, by_link)
    sdmx = pd.read_csv(io.BytesIO(client.get(data_url(link, "sdmx.csv")).content))
    assert list(sdmx.columns[:3]) == ["STRUCTURE", "STRUCTURE_ID", "ACTION"]
    # SDMX holds the table's cells (hidden ones as NaN), but not a total over chosen codes only, which no SDMX
    # key can name.
    shown = {float(v) for v in pd.to_numeric(by_url.stack(), errors="coerce").dropna()}
    written = pd.to_numeric(sdmx["OBS_VALUE"], errors="coerce").dropna()
    assert len(written) and {float(v) for v in written} <= shown


def test_a_flow_map_data_url_holds_the_page_download_and_the_cli_numbers(client, api_wh, tmp_path, monkeypatch):
    answer = client.get(data_url(FLOWS))
    assert answer.status_code == 200
    by_url = cells(answer.content)
    # The page: its widgets' choices go to flows(), and its button to downloads.flows_file.
    page = fl.flows(api_wh, "returns", countries=("GTM", "HND", "SLV"), direction="in", period="2024")
    pd.testing.assert_frame_equal(by_url, cells(downloads.flows_file(page, api_wh, "es", downloads.CSV)))
    by_cli = pd.read_csv(io.BytesIO(cli_file(["flows", "returns", "--country", "GTM,HND,SLV", "--direction", "in",
                                               "--period", "2024"], api_wh, tmp_path, monkeypatch)), dtype=str)
    assert len(by_url) == len(by_cli) >= 4
    value = fl.value_header(dataset("returns"), "es")
    assert by_url[t("flows.col_origin_code", "es")].tolist() == by_cli["origin"].tolist()
    assert by_url[value].tolist() == by_cli["value"].fillna("x").str.removesuffix(".0").tolist()


def test_answers_say_how_to_cite_them_in_the_language_asked(client):
    table = client.get(data_url(CROSSTAB))
    assert table.content.decode("utf-8-sig").startswith("País que recibe a sus nacionales,")  # the header first
    cite_as, described = table.headers["link"].split(", <")
    assert cite_as == f'<http://testserver{CROSSTAB}>; rel="cite-as"'
    spanish = client.get(described.split(">")[0].removeprefix("http://testserver")).json()["citation"]
    assert "«Retornos»" in spanish and "consultado el" in spanish
    answer = client.get(data_url(CROSSTAB + "&lang=en", "json"))
    payload = answer.json()
    link = "http://testserver" + CROSSTAB + "&lang=en"
    assert payload["citation"].startswith("VIPMG Data Lab demo generator (synthetic) (seed 2026")
    assert "“Returns”" in payload["citation"] and "accessed" in payload["citation"]
    assert payload["citation"].endswith(link) and payload["link"] == link
    assert answer.headers["link"] == f'<{link}>; rel="cite-as"'
    entry = next(d for d in client.get("/api/v1/catalogue.json?lang=en").json()["datasets"] if d["id"] == "returns")
    assert "“Returns”" in entry["citation"] and entry["releases"][0]["version"] >= 1


@pytest.mark.parametrize(("url", "status", "named"), [
    ("/api/v1/crosstab.csv?xds=returns&xr=sexo", 400, "xr"),
    ("/api/v1/crosstab.csv?xds=returns&xr=sex&xt=yes", 400, "xt"),
    ("/api/v1/crosstab.csv?xds=retornos", 400, "xds"),
    ("/api/v1/crosstab.csv?xds=returns&rows=sex", 400, "rows"),
    ("/api/v1/crosstab.csv?xds=returns&xf_sex=Q", 400, "xf_sex"),
    ("/api/v1/crosstab.csv?xds=returns&xf_ref_area=GTM", 400, "xf_ref_area"),
    ("/api/v1/crosstab.csv?xds=returns&cty=GTM&cty=HND", 400, "cty"),
    ("/api/v1/flowmap.json?fds=returns&fper=1999", 400, "1999"),
    ("/api/v1/flowmap.sdmx.csv?fds=returns", 400, "sdmx.csv"),
    ("/api/v1/profile.csv?pc=XYZ", 400, "XYZ"),
    ("/api/v1/profile.csv", 400, "pc"),
    # Each of these used to answer 200 with other numbers than asked: the census (the first source named), every
    # year, the table without its filter (a code of the codelist with no data), the latest period.
    ("/api/v1/crosstab.csv?xds=returns&src=census", 400, "xds"),
    ("/api/v1/crosstab.csv?xds=returns&yr=1980-1985", 400, "1980-1985"),
    ("/api/v1/crosstab.csv?xds=returns&cty=GTM&xf_sex=_U", 400, "xf_sex"),
    ("/api/v1/flowmap.csv?fds=returns&yr=2023-2024&fper=2022", 400, "fper"),
    ("/api/v1/crosstab.xml?xds=returns", 404, "crosstab.xml"),
])
def test_a_bad_parameter_gets_a_clear_error_in_spanish_and_english(client, url, status, named):
    answer = client.get(url)
    assert answer.status_code == status and answer.headers["content-type"] == "application/json"
    error = answer.json()["error"]
    assert named in error["es"] and named in error["en"] and error["es"] != error["en"]
    assert "Traceback" not in answer.text


def test_an_answer_is_kept_by_release_and_revalidated_with_its_etag(client):
    url = data_url(CROSSTAB)
    first, again = client.get(url), client.get(url)
    etag = first.headers["etag"]
    assert again.headers["etag"] == etag and again.content == first.content
    assert first.headers["cache-control"] == "public, no-cache"  # revalidated each time: a publication shows at once
    unchanged = client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert client.get(url + "&xt=0").headers["etag"] != etag


def test_sessions_asking_at_once_get_one_and_the_same_answer(api_wh):
    api.clear_cache()
    query = [("xds", "returns"), ("xr", "returned_from"), ("xc", "sex"), ("cty", "HND")]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: api.respond(api_wh, "crosstab.csv", query), range(6)))
    assert {a.status for a in answers} == {200} and len({a.body for a in answers}) == 1


def test_the_index_and_openapi_describe_every_view_and_its_link_parameters(client):
    index = client.get("/api/v1/").json()
    assert {"catalogue", "openapi", "crosstab", "flowmap", "profile"} <= set(index["links"])
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for page, name in (("crosstab", "xds"), ("flowmap", "fds"), ("profile", "pc")):
        operation = spec["paths"][f"/api/v1/{page}.{{format}}"]["get"]
        assert name in [p["name"] for p in operation["parameters"]]


class _StoppedClock(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime(2026, 12, 4, 12, 0, 0, tzinfo=tz)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_dataset_structure_is_served_from_the_sdmx_module(client, fmt, monkeypatch):
    from vipmg_core import sdmx
    # The structure says when it was prepared, to the second: one clock for both, or a slow machine ticks between.
    for made_by in (sdmx.structure_xml, sdmx.structure_json):
        monkeypatch.setattr(sys.modules[made_by.__module__], "datetime", _StoppedClock)
    answer = client.get(f"/api/v1/datasets/returns/structure.{fmt}")
    assert answer.status_code == 200
    made = sdmx.structure_xml("returns") if fmt == "xml" else sdmx.structure_json("returns")
    assert (made if isinstance(made, bytes) else made.encode() if isinstance(made, str) else
            json.dumps(made, ensure_ascii=False, indent=1).encode()) == answer.content
    assert client.get(f"/api/v1/datasets/nothing/structure.{fmt}").status_code == 404


# Last in this module: it stages and then publishes a submission.
def test_a_staged_submission_is_absent_from_every_answer_until_it_is_published(client, api_wh):
    months = "/crosstab?xds=returns&xr=time_period&xc=sex&cty=GTM&yr=2024-2024"
    may = "/flowmap?fds=returns&fct=GTM&fdir=in&fper=2024-05"
    profile = "/api/v1/profile.json?pc=GTM&yr=2024-2024"  # computed once (seconds): checked against the cross-tab
    urls = [data_url(months), data_url(months, "json"), data_url(months, "sdmx.csv"), data_url(may),
            data_url(may, "json"), "/api/v1/catalogue.json"]
    before = {url: client.get(url) for url in urls}
    year = next(c["OBS_VALUE"] for c in before[urls[1]].json()["cells"] if c["time_period"] == c["sex"] == "_T")
    fp = accounts.add_user(api_wh.catalogue, "fp_api", role="focal_point", country="GTM",
                           password="a-long-password-1", actor="t")
    rev = accounts.add_user(api_wh.catalogue, "rev_api", role="reviewer", password="a-long-password-1", actor="t")
    store = SubmissionStore(api_wh)
    frame = pl.DataFrame({"ref_area": ["GTM"] * 3, "time_period": ["2024-05"] * 3,
                          "returned_from": ["USA", "MEX", "USA"], "sex": ["F", "M", "M"],
                          "age_group": ["Y20T24"] * 3, "minor_status": ["ADULT"] * 3,
                          "transport": ["AIR", "LAND", "AIR"], "obs_value": [777_777] * 3})
    sub = store.create(fp, dataset_id="returns", country="GTM", file_name="mayo.csv", data=b"staged",
                       frame=frame, mapping={}, report={"ready": True, "errors": []}, ready=True, submit=True)
    api.clear_cache()  # not the kept answers: a fresh computation must not see the staged rows either
    staged = {url: client.get(url) for url in urls}
    for url in urls:
        assert staged[url].status_code == 200, url
        assert staged[url].headers["etag"] == before[url].headers["etag"], url  # the release token did not move
        assert "777777" not in staged[url].text and "2333331" not in staged[url].text, url
        assert sub.release_id not in staged[url].text, url
    pd.testing.assert_frame_equal(cells(staged[urls[0]].content), cells(before[urls[0]].content))
    pd.testing.assert_frame_equal(cells(staged[urls[3]].content), cells(before[urls[3]].content))
    figures = client.get(profile).json()["figures"]
    assert "777777" not in json.dumps(figures) and next(f for f in figures if f["figure"] == "returns")["value"] == year

    store.publish(rev, sub.submission_id)  # now readers see it: the same URLs say so, with new ETags
    published = client.get(urls[0])
    assert published.headers["etag"] != before[urls[0]].headers["etag"]
    assert "2333331" in published.text
    assert "1555554" in client.get(urls[3]).text
    assert sub.release_id in client.get("/api/v1/catalogue.json").text


def test_the_first_request_on_an_empty_data_directory_gets_the_demo_first(tmp_path, monkeypatch):
    """`make run`, then `curl`: on first start the routes build the demo as the pages do, not answer empty tables
    (which caches would keep)."""
    built = []

    def build_demo(wh, progress=None):
        built.append(wh.root)
        row = {"ref_area": "GTM", "time_period": "2024-01", "returned_from": "USA", "sex": "F", "age_group": "Y18T29",
               "minor_status": "ADULT", "transport": "AIR", "obs_value": 70}
        wh.publish("returns", [pl.DataFrame([row])],
                   scope="demo", actor="test", provenance=Provenance(publisher="test", synthetic=True))
        return True

    monkeypatch.setattr(demo, "ensure_demo", build_demo)
    monkeypatch.setenv("VIPMG_DEMO", "1")
    empty = Warehouse(tmp_path / "fresh")
    client = TestClient(Starlette(routes=api_routes.routes(lambda: empty)))
    answer = client.get("/api/v1/crosstab.csv?xds=returns&xr=ref_area&xc=")
    assert built == [empty.root] and answer.status_code == 200
    assert answer.content.decode("utf-8-sig").splitlines()[1:] == ["Guatemala,70", "Total,70"]
    client.get("/api/v1/catalogue.json")
    assert built == [empty.root]  # once
    nothing = client.get("/api/v1/crosstab.csv?xds=residence_permits")  # nothing published: said, not an empty table
    assert nothing.status_code == 404 and "residence_permits" in nothing.json()["error"]["en"], nothing.json()
