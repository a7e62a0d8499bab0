"""A view's link is declared once (vipmg_core/links.py): a link reads back as the same view, and an article's
embedded view shows the cells its page shows for the same link.

The pages compute from the Link objects: pages/crosstab.py calls `CrosstabLink.query()`, pages/flowmap.py
`FlowLink.query(wh, ...)` then `links.flows`, pages/profile.py `ProfileLink.query()`; the library reads a saved
link with `from_params` and calls the same functions. So for the 50 random links the page's cells are computed
here by those functions; tests/app/test_link_pages.py opens pages with AppTest to check that they show those
cells and write back the link they were opened with.
"""

from __future__ import annotations

import random
from urllib.parse import urlencode

import pytest

from vipmg_core import crosstab as xt
from vipmg_core import flows as fl
from vipmg_core import library, links
from vipmg_core import profiles as pr
from vipmg_core.codelists import project_countries
from vipmg_core.datasets import dataset, dataset_ids
from vipmg_core.i18n import LANGS

SEED = 18


def pick(rng: random.Random, options, low: int = 1, high: int = 2) -> list:
    return rng.sample(list(options), rng.randint(low, min(high, len(options))))


def crosstab_params(rng: random.Random, wh, i: int) -> dict[str, str]:
    """A link as a person makes one on the Cross-tab page, sometimes with a typo or a value no longer offered.
    Every third filters a dimension that is on the rows or columns, every fourth asks for the quality columns
    (the two things the embedded views used to drop)."""
    every = dataset_ids()
    ds = dataset(every[rng.randrange(len(every))] if i % 4 else rng.choice(["survey", "census"]))
    dims = [d.name for d in ds.dimensions if d.name != ds.time_column or rng.random() < 0.3]
    rows = pick(rng, dims)
    cols = pick(rng, [d for d in dims if d not in rows], 0, 1)
    countries = pick(rng, project_countries(), 1, 4)
    low, high = wh.year_bounds()
    first = rng.randint(high - 6, high)
    params = {"xds": ds.id, "xr": ",".join(rows), "xc": ",".join(cols), "cty": ",".join(countries),
              "yr": f"{first}-{rng.randint(first, high)}"}
    if i % 3 == 0 or rng.random() < 0.3:
        filtered = [d for d in (rows + cols if i % 3 == 0 else dims) if d != ds.area_column]
        for dim in pick(rng, filtered, 1, 1) if filtered else ():
            values = xt.dimension_values(wh, ds.id, dim, countries, (low, high))
            if values:
                params[f"xf_{dim}"] = ",".join(pick(rng, values, 1, 2))
    params["xm"] = rng.choice(xt.measures(ds))
    params["xp"] = rng.choice([*links.PERCENTS, "diagonal"])
    params["xq"] = "1" if i % 4 == 0 else rng.choice(["0", "1", "maybe"])
    for key, choices in (("xt", ["0", "1"]), ("xs", ["0", "1"]), ("xn", ["0", "3", "-2"]),
                         ("xo", list(links.SORTS)), ("xk", ["0", "1"]), ("xg", list(links.CHARTS))):
        if rng.random() < 0.4:
            params[key] = rng.choice(choices)
    if rng.random() < 0.15:  # the page's default dataset is the first chosen source: a link may leave it out
        params["src"] = params.pop("xds")
    return params


def flow_params(rng: random.Random, wh) -> dict[str, str]:
    ds = rng.choice(fl.flow_datasets())
    role = rng.randrange(len(ds.flows))
    params = {"fds": ds.id, "frl": str(role), "fct": rng.choice(["GTM", "CRI,PAN", "*", "MEX,XXX"]),
              "fdir": rng.choice(fl.DIRECTIONS), "ftop": str(rng.choice([5, 10, 7]))}
    periods = fl.periods(wh, ds.id, role)
    if periods and rng.random() < 0.6:
        params["fper"] = rng.choice([periods[-1][:4], f"{periods[0]}/{periods[-1]}", "1800"])
    for column, codes in fl.dimension_codes(wh, ds.id, role).items():
        if codes and rng.random() < 0.3:
            params[f"f_{column}"] = codes[0]
    return params


def crosstab_cells(wh, params: dict[str, str], lang: str):
    """The page's table for a link: the Link the page builds, its query, the cells it shows."""
    query, view, _ = links.CrosstabLink.from_params(params, wh).query()
    return xt.compute(query, wh).table(lang, view).display.to_pandas()


@pytest.fixture(scope="module")
def random_links(demo_wh) -> list[tuple[str, dict[str, str]]]:
    rng = random.Random(SEED)
    out = [("crosstab", crosstab_params(rng, demo_wh, i)) for i in range(43)]
    out += [("flowmap", flow_params(rng, demo_wh)) for _ in range(6)]
    return out + [("profile", {"pc": rng.choice(project_countries()), "yr": "2020-2024", "ppool": "9"})]


@pytest.fixture
def computed_once(monkeypatch):
    """Each cross-tab and flow query computed once: when the embed asks the page's query the second reading is
    the first one (the same query gives the same cells); a query that differs is computed, and compared."""
    for module, name in ((xt, "compute"), (fl, "flows")):
        original, seen = getattr(module, name), {}

        def once(*args, _original=original, _seen=seen, **kwargs):
            key = repr((args, sorted(kwargs.items())))
            if key not in _seen:
                _seen[key] = _original(*args, **kwargs)
            return _seen[key]

        monkeypatch.setattr(module, name, once)


def test_a_link_reads_back_as_the_same_view_and_leaves_defaults_out(demo_wh, random_links):
    for page, params in random_links + [("compare", {"ci": "arrivals", "cc": "CRI,PAN,XXX"})]:
        kind = {"crosstab": links.CrosstabLink, "flowmap": links.FlowLink, "profile": links.ProfileLink,
                "compare": links.CompareLink}[page]
        link = kind.from_params(params, demo_wh)
        assert kind.from_params(link.to_params(), demo_wh) == link, params
        assert kind.from_params(link.to_params(), demo_wh, strict=True) == link, params  # the API takes it as is
        assert set(link.to_params()) <= set(params) | {"xds", "src", "pc", "ci"}, params  # nothing the link left out
    first = links.CrosstabLink.from_params({}, demo_wh)
    assert first.to_params() == {} and links.FlowLink.from_params({}, demo_wh).to_params() == {}
    assert links.CrosstabLink.from_params({"xds": "nope", "xr": "zzz,,", "xc": "sex,sex", "xn": "-3"},
                                          demo_wh) == first  # what a link cannot express is the page's default


def test_fifty_random_links_embed_the_cells_their_page_shows(demo_wh, random_links, computed_once):
    lang = "en"
    assert sum(1 for page, p in random_links if page == "crosstab" and p.get("xq") == "1") >= 10
    assert any(p.get(f"xf_{d}") for page, p in random_links if page == "crosstab"
               for d in p.get("xr", "").split(",") + p.get("xc", "").split(","))
    for page, params in random_links:
        link = f"/{page}?{urlencode(params)}"
        if page == "crosstab":
            try:
                shown = crosstab_cells(demo_wh, params, lang)
            except xt.CrosstabError:  # the page says why (no rows); saving such a view is refused
                with pytest.raises(library.LibraryError):
                    library.embed(demo_wh, link, lang)
                continue
            embedded = library.embed(demo_wh, link, lang).table
            assert embedded.equals(shown), link
        elif page == "flowmap":
            flow = links.FlowLink.from_params(params, demo_wh)
            shown = fl.flow_table(links.flows(demo_wh, flow.query(demo_wh)), lang)
            embedded = library.embed(demo_wh, link, lang).table
            assert embedded.equals(shown[list(embedded.columns)]), link
        else:
            code, period, pool = links.ProfileLink.from_params(params, demo_wh).query()
            shown = library.profile_table(pr.kept_profile(demo_wh, code, period, pool), lang)[1]
            assert library.embed(demo_wh, link, lang).numeric.equals(shown), link


def test_a_strict_reading_refuses_what_the_page_replaces_by_its_default(demo_wh):
    """The API reads a link strictly: a value the page silently replaces by its default is a LinkError naming the
    parameter and what it may hold, in Spanish and English. The page, reading leniently, opens the default."""
    xt_, fl_, pr_ = links.CrosstabLink, links.FlowLink, links.ProfileLink
    cases = [  # (link, parameters, the refused one, a value the message offers)
        (xt_, {"xp": "diagonal"}, "xp", links.PERCENTS[-1]), (xt_, {"xg": "pie"}, "xg", links.CHARTS[-1]),
        (xt_, {"xo": "size"}, "xo", links.SORTS[-1]), (xt_, {"xn": str(links.MAX_TOP_ROWS + 1)}, "xn",
                                                       str(links.MAX_TOP_ROWS)),
        (xt_, {"xq": "maybe"}, "xq", "1"), (xt_, {"xr": "sexo"}, "xr", "sex"), (xt_, {"lang": "fr"}, "lang", "en"),
        (xt_, {"xds": "returns", "xf_sex": "_U", "cty": "GTM"}, "xf_sex", "F"),
        (fl_, {"ftop": "7"}, "ftop", str(links.FLOW_TOPS[-1])), (fl_, {"fdir": "up"}, "fdir", fl.DIRECTIONS[-1]),
        (pr_, {"pc": "GTM", "ppool": "9"}, "ppool", str(pr.POOLS[-1])), (pr_, {"pc": "XYZ"}, "pc", "GTM"),
        (pr_, {}, "pc", "GTM"),  # every profile link names its area
    ]
    for kind, params, name, offered in cases:
        others = {k: v for k, v in params.items() if k != name}
        assert kind.from_params(params, demo_wh) == kind.from_params(others, demo_wh), params
        with pytest.raises(links.LinkError) as refused:
            kind.from_params(params, demo_wh, strict=True)
        assert refused.value.name == name, params
        messages = [refused.value.message(lang) for lang in LANGS]
        assert all(name in m and params.get(name, "") in m and offered in m for m in messages), messages
        assert messages[0] != messages[1]


def test_a_link_whose_number_int_cannot_read_opens_the_default_view(demo_wh):
    """`xn=²` (a superscript two: a digit to str.isdigit, not to int) used to stop the page with a ValueError."""
    assert links.CrosstabLink.from_params({"xn": "\u00b2"}, demo_wh) == links.CrosstabLink.from_params({}, demo_wh)
    with pytest.raises(links.LinkError):
        links.CrosstabLink.from_params({"xn": "\u00b2"}, demo_wh, strict=True)
