"""The pages show what an article embeds for the same link, and write back the link they were opened with (so
the page computes from that link's Link object, vipmg_core/links.py; tests/test_links.py checks 50 random links
against those objects). The links below carry what embedded views used to lose: a filter on a row dimension,
the quality columns, no columns at all (`xc=`), no dataset (the first chosen source), a flow filter."""

from urllib.parse import urlencode

import pytest

from vipmg_core import library, links

from .conftest import open_page

LINKS = [
    ("pages/crosstab.py", {"xds": "survey", "xr": "ref_area,sex", "xc": "labour_status", "xf_sex": "F", "xq": "1",
                           "cty": "GTM,HND", "yr": "2022-2024"}),
    ("pages/crosstab.py", {"xds": "census", "xr": "country_of_birth", "xc": "", "xf_country_of_birth": "NIC,USA",
                           "xn": "5", "xo": "value", "cty": "CRI,PAN"}),
    ("pages/crosstab.py", {"src": "returns,census", "xr": "sex", "xc": "transport", "xp": "row", "yr": "2023-2024"}),
    ("pages/flowmap.py", {"fds": "returns", "fct": "GTM,HND", "fdir": "in", "f_sex": "F", "fper": "2023",
                          "ftop": "10"}),
]


@pytest.mark.parametrize(("page", "params"), LINKS, ids=["survey", "census", "sources", "flows"])
def test_a_page_shows_the_cells_an_article_embeds_for_its_link(demo_dir, demo_wh, page, params):
    at = open_page(page, {"lang": "en", **params})
    kind = links.CrosstabLink if page.endswith("crosstab.py") else links.FlowLink
    written = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert kind.from_params(written, demo_wh) == kind.from_params({"lang": "en", **params}, demo_wh)
    embedded = library.embed(demo_wh, f"/{kind.PAGE}?{urlencode(params)}", "en").table
    shown, columns = at.dataframe[0].value, list(embedded.columns)
    if kind is links.CrosstabLink:  # the flow page keeps its code columns for the downloads, unshown
        assert list(shown.columns) == columns
    assert len(shown) > 1 and shown[columns].astype(str).values.tolist() == embedded.astype(str).values.tolist()
