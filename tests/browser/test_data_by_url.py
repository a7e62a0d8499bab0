"""The data by URL on the app as `make run` starts it (app.py): pandas reads a view's numbers from its link."""

from __future__ import annotations

import io

import pandas as pd

from vipmg_core import api
from vipmg_core.warehouse import Warehouse

QUERY = {"xds": "returns", "xr": "ref_area", "xc": "sex", "cty": "GTM,HND", "yr": "2023-2024", "lang": "en"}


def test_pandas_reads_a_crosstab_by_url_with_the_cells_of_the_views_download(app_url, demo_dir, monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):  # 127.0.0.1 is never behind a proxy
        monkeypatch.delenv(name, raising=False)
    url = api.data_url("crosstab", QUERY, base_url=app_url)
    by_url = pd.read_csv(url)
    made_here = api.view_file(Warehouse(demo_dir), "crosstab", "csv", QUERY, "en", api.view_link("crosstab", QUERY))
    pd.testing.assert_frame_equal(by_url, pd.read_csv(io.BytesIO(made_here)))
    assert by_url.columns.tolist() == ["Country receiving its nationals", "Female", "Male", "Total"]
    assert by_url.iloc[:, 0].tolist() == ["Guatemala", "Honduras", "Total"]
