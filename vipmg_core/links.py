"""A view's link, declared once: its parameters (short codes, as in the links people have in their e-mails),
its defaults, how a link is read and written, and the query it asks.

One frozen dataclass per view: `Context` (the shell's language, sources, countries and years), `CrosstabLink`,
`FlowLink`, `ProfileLink` and `CompareLink`. `from_params` reads a link as its page reads it: what the link leaves
out, or cannot express (a typo, a code no longer offered), is the page's default, never an error; the API reads
it `strict` (a `LinkError` names the parameter and what it may hold; vipmg_core/link_values.py). `to_params`
writes only what differs from the defaults, so links stay short; `from_params(link.to_params())` is the same link.
`query` is what the page computes from it: the page and the library's embedded views both call it, so an
article shows what the page shows for the same link.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import ClassVar

from vipmg_core import compare as cp
from vipmg_core import crosstab as xt
from vipmg_core import flows as fl
from vipmg_core import profiles as pr
from vipmg_core.codelists import codelist, project_countries
from vipmg_core.datasets import dataset, dataset_ids
from vipmg_core.i18n import DEFAULT_LANG, LANGS
from vipmg_core.link_values import (
    FLAGS,
    Filters,
    LinkError,
    Params,
    Reader,
    as_text,
    changed,
    normal_filters,
    url,
)
from vipmg_core.warehouse import Warehouse

# The shell's parameters, on every page.
LANG, SOURCES, COUNTRIES, YEARS = "lang", "src", "cty", "yr"


# -- the context: chosen once in the sidebar, kept across pages ------------------------------------------------

def lang_of(params: Params, *, strict: bool = False) -> str:
    return Reader(params, strict).choice(LANG, LANGS) or DEFAULT_LANG


def lang_params(lang: str) -> dict[str, str]:
    return changed([(LANG, lang, DEFAULT_LANG, lang)])


@dataclass(frozen=True)
class Context:
    """What the user chose once (language, sources, countries, years), kept across pages and in the URL."""

    lang: str
    dataset_ids: tuple[str, ...]  # never empty: no choice means every source
    countries: tuple[str, ...]  # never empty: no choice means every project country
    years: tuple[int, int]
    bounds: tuple[int, int] | None = None  # the years with data when read (years spanning them are the default)

    PARAMS: ClassVar[dict[str, str]] = {"lang": LANG, "dataset_ids": SOURCES, "countries": COUNTRIES, "years": YEARS}
    CHOICES: ClassVar[dict[str, Collection[object]]] = {"lang": LANGS}  # (the others depend on the data)

    @classmethod
    def of(cls, lang: str, sources: Sequence[str], countries: Sequence[str], years: tuple[int, int],
           bounds: tuple[int, int] | None) -> Context:
        """The context of the sidebar's choices: none chosen is every one."""
        return cls(lang, tuple(sources) or tuple(dataset_ids()), tuple(countries) or tuple(project_countries()),
                   (int(years[0]), int(years[1])), bounds)

    @classmethod
    def from_params(cls, params: Params, wh: Warehouse, *, strict: bool = False) -> Context:
        read, bounds = Reader(params, strict), wh.year_bounds()
        return cls.of(lang_of(params, strict=strict), read.codes(SOURCES, dataset_ids()) or (),
                      read.codes(COUNTRIES, project_countries()) or (), read.years(YEARS, bounds) or bounds, bounds)

    def to_params(self) -> dict[str, str]:
        return lang_params(self.lang) | changed([
            (SOURCES, list(self.dataset_ids), dataset_ids(), ",".join(self.dataset_ids)),
            (COUNTRIES, list(self.countries), project_countries(), ",".join(self.countries)),
            (YEARS, self.years, self.bounds, f"{self.years[0]}-{self.years[1]}")])


class _Link(ABC):
    """What every view's link shares: its page, its own parameters, its context."""

    PAGE: ClassVar[str]
    PARAMS: ClassVar[dict[str, str]]
    FILTER: ClassVar[str | None] = None  # the prefix of the parameters of filters (`xf_sex`), if any
    # The values a field may hold whatever the data (the others, datasets, dimensions, codes, periods, areas, are
    # read from the data); the defaults are the dataclass's.
    CHOICES: ClassVar[dict[str, Collection[object]]] = {}
    context: Context

    @classmethod
    def owns(cls, name: str) -> bool:
        """Whether a URL parameter is this view's own (the context's are the shell's)."""
        return name in cls.PARAMS.values() or bool(cls.FILTER and name.startswith(cls.FILTER))

    @classmethod
    def _reader(cls, params: Params, strict: bool) -> Reader:
        """A reader of this view's link; strictly, a parameter neither the view's nor the context's is refused."""
        read = Reader(params, strict)
        read.only([*cls.PARAMS.values(), *Context.PARAMS.values()], cls.FILTER)
        return read

    @abstractmethod
    def own_params(self) -> dict[str, str]:
        """The view's own parameters that differ from its defaults (each link class says which)."""

    def to_params(self) -> dict[str, str]:
        """The link's parameters that differ from the defaults: the context's, then the view's own."""
        return self.context.to_params() | self.own_params()

    def url(self) -> str:
        return url(self.PAGE, self.to_params())


# -- the cross-tab ---------------------------------------------------------------------------------------------

PERCENTS = ("none", *xt.PERCENTS)
CHARTS = ("bar", "stacked", "line", "none")
SORTS = ("label", "value")
MAX_TOP_ROWS = 10_000


@dataclass(frozen=True)
class CrosstabLink(_Link):
    """The Cross-tab page: any dimensions on rows and columns, filters, measure, and how the table is shown."""

    context: Context
    dataset: str
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    measure: str
    percent: str = "none"
    totals: bool = True
    subtotals: bool = False
    filters: Filters = ()
    source: str = ""  # where published products overlap, the one to read (a product, or an edition of one)
    shading: bool = False
    codes: bool = False
    quality: bool = False  # n and CV beside each estimate
    top: int = 0  # rows kept (0: every row)
    sort: str = "label"
    chart: str = "bar"

    PAGE: ClassVar[str] = "crosstab"
    PARAMS: ClassVar[dict[str, str]] = {
        "dataset": "xds", "rows": "xr", "cols": "xc", "measure": "xm", "percent": "xp", "totals": "xt",
        "subtotals": "xs", "source": "xsrc", "shading": "xh", "codes": "xk", "quality": "xq", "top": "xn",
        "sort": "xo", "chart": "xg"}
    FILTER: ClassVar[str] = "xf_"
    CHOICES: ClassVar[dict[str, Collection[object]]] = {
        "percent": PERCENTS, "sort": SORTS, "chart": CHARTS, "top": range(MAX_TOP_ROWS + 1),
        **dict.fromkeys(("totals", "subtotals", "shading", "codes", "quality"), FLAGS)}

    def __post_init__(self) -> None:
        object.__setattr__(self, "filters", normal_filters(self.filters))

    @classmethod
    def defaults(cls, context: Context, dataset_id: str | None = None) -> CrosstabLink:
        """A first visit's view of `dataset_id` (the context's first source when None)."""
        ds = dataset(dataset_id or context.dataset_ids[0])
        rows, cols = xt.default_layout(ds)
        return cls(context, ds.id, tuple(rows), tuple(cols), xt.measures(ds)[0])

    @staticmethod
    def filterable(dataset_id: str) -> list[str]:
        """The dimensions a link may filter: all but the reporting area (the context's countries choose it)."""
        ds = dataset(dataset_id)
        return [d.name for d in ds.dimensions if d.name != ds.area_column]

    @staticmethod
    def filter_options(wh: Warehouse, dataset_id: str, dimension: str, countries: Sequence[str],
                       years: tuple[int, int]) -> list[str]:
        """The codes a filter may hold: those with published data in the context's countries and years."""
        return xt.dimension_values(wh, dataset_id, dimension, countries, years)

    @staticmethod
    def source_options(wh: Warehouse, dataset_id: str) -> list[str]:
        """"" (the default product) and, where several products or editions hold the figures, each of them."""
        sources = dict(wh.sources(dataset_id))
        return ["", *sources] if len({r.release_id for r in sources.values()}) > 1 else [""]

    @classmethod
    def dataset_of(cls, params: Params, context: Context, *, strict: bool = False) -> str:
        """The dataset a link reads: the one it names among the context's sources, else the first source."""
        return Reader(params, strict).choice(cls.PARAMS["dataset"], context.dataset_ids) or context.dataset_ids[0]

    @classmethod
    def from_params(cls, params: Params, wh: Warehouse, context: Context | None = None, *,
                    strict: bool = False) -> CrosstabLink:
        read, n = cls._reader(params, strict), cls.PARAMS
        ctx = context or Context.from_params(params, wh, strict=strict)
        first = cls.defaults(ctx, cls.dataset_of(params, ctx, strict=strict))
        ds = dataset(first.dataset)
        dims = [d.name for d in ds.dimensions]
        rows = read.dims(n["rows"], dims, first.rows)
        cols = tuple(c for c in read.dims(n["cols"], dims, first.cols) if c not in rows)
        filterable = cls.filterable(ds.id)
        read.filters_only(cls.FILTER, filterable)
        filters = {dim: read.codes(cls.FILTER + dim, cls.filter_options(wh, ds.id, dim, ctx.countries, ctx.years))
                   or () for dim in filterable if params.get(cls.FILTER + dim)}
        return cls(
            ctx, ds.id, rows, cols,
            measure=read.choice(n["measure"], xt.measures(ds)) or first.measure,
            percent=read.choice(n["percent"], PERCENTS) or first.percent,
            totals=read.flag(n["totals"], first.totals), subtotals=read.flag(n["subtotals"], first.subtotals),
            filters=normal_filters(filters),
            source=read.choice(n["source"], cls.source_options(wh, ds.id)) or first.source,
            shading=read.flag(n["shading"], first.shading), codes=read.flag(n["codes"], first.codes),
            quality=read.flag(n["quality"], first.quality),
            top=read.integer(n["top"], range(MAX_TOP_ROWS + 1), first.top),
            sort=read.choice(n["sort"], SORTS) or first.sort, chart=read.choice(n["chart"], CHARTS) or first.chart)

    def own_params(self) -> dict[str, str]:
        first, first_dataset = self.defaults(self.context, self.dataset), self.defaults(self.context).dataset
        own = {param: as_text(getattr(self, name)) for name, param in self.PARAMS.items()
               if getattr(self, name) != (first_dataset if name == "dataset" else getattr(first, name))}
        return own | {self.FILTER + dim: ",".join(codes) for dim, codes in self.filters}

    def filter(self, dimension: str) -> tuple[str, ...]:
        return dict(self.filters).get(dimension, ())

    @property
    def is_mean(self) -> bool:
        return self.measure.startswith("mean:")

    def query(self) -> tuple[xt.CrosstabQuery, xt.View, str]:
        """The cross-tab (raises CrosstabError when it cannot be answered, e.g. without rows), how its table is
        shown, and the chart under it."""
        query = xt.make_query(self.dataset, self.rows, self.cols, filters=dict(self.filters),
                              countries=self.context.countries, years=self.context.years, measure=self.measure,
                              percent=None if self.percent == "none" or self.is_mean else self.percent,
                              totals=self.totals, subtotals=self.subtotals, source=self.source or None)
        view = xt.View(top_n=self.top or None, sort=self.sort, codes=self.codes, quality=self.quality)
        return query, view, self.chart


# -- the flow map -----------------------------------------------------------------------------------------------

FLOW_TOPS = (1, 3, 5, 10, 15, 25, 50, 100, 200)
EVERY_COUNTRY = "*"  # in a flow link, an emptied country selection (which means every flow)


@dataclass(frozen=True)
class FlowPeriods:
    """The periods a flow link may name: those of the context's years (every one, when none falls in them),
    and the default, the latest picture."""

    periods: tuple[str, ...]
    default: tuple[str, str] | None

    @classmethod
    def of(cls, available: Sequence[str], latest: tuple[str, str] | None, years: tuple[int, int]) -> FlowPeriods:
        periods = tuple(p for p in available if years[0] <= int(p[:4]) <= years[1]) or tuple(available)
        if not periods:
            return cls((), None)
        default = latest if latest and latest[0] in periods and latest[1] in periods else (periods[-1],) * 2
        return cls(periods, default)

    @classmethod
    def read(cls, wh: Warehouse, dataset_id: str, role: int, years: tuple[int, int]) -> FlowPeriods:
        return cls.of(fl.periods(wh, dataset_id, role), fl.default_period(wh, dataset_id, role), years)

    def chosen(self, span: tuple[str, str]) -> tuple[str, str] | None:
        """How a link keeps a span: None for the default, so the link follows the latest data."""
        return None if span == self.default else (span[0], span[1])

    def parse(self, raw: str | None) -> tuple[str, str] | None:
        try:
            return self.chosen(fl.resolve_period(raw, list(self.periods))) if raw else None
        except fl.FlowError:
            return None

    def check(self, name: str, raw: str) -> None:
        """A strict reading's check of the period parameter `name`: LinkError when it names none of the periods
        (FlowError when there is no period at all, whatever it names)."""
        try:
            fl.resolve_period(raw, list(self.periods))
        except fl.FlowError:
            if not self.periods:
                raise
            raise LinkError("bad_period", name, value=raw, first=self.periods[0], last=self.periods[-1]) from None

    def span(self, period: tuple[str, str] | None) -> tuple[str, str]:
        """The first and last periods shown; raises FlowError when there is no period at all."""
        if self.default is None:
            raise fl.FlowError("no_data")
        return period if period and period[0] in self.periods and period[1] in self.periods else self.default


def flow_choices(context: Context) -> list[str]:
    """The flow datasets among the context's sources (every flow dataset when none is)."""
    every = [ds.id for ds in fl.flow_datasets()]
    return [d for d in every if d in context.dataset_ids] or every


@dataclass(frozen=True)
class FlowLink(_Link):
    """The Flow map page: which flows (dataset, reading, countries, direction, period, filters) and how many."""

    context: Context
    dataset: str
    countries: tuple[str, ...]  # () every flow
    role: int = 0
    top: int = fl.DEFAULT_TOP
    direction: str = fl.DEFAULT_DIRECTION
    period: tuple[str, str] | None = None  # None: the latest picture
    filters: Filters = ()

    PAGE: ClassVar[str] = "flowmap"
    PARAMS: ClassVar[dict[str, str]] = {"dataset": "fds", "role": "frl", "direction": "fdir", "countries": "fct",
                                        "period": "fper", "top": "ftop"}
    FILTER: ClassVar[str] = "f_"
    CHOICES: ClassVar[dict[str, Collection[object]]] = {"direction": fl.DIRECTIONS, "top": FLOW_TOPS}

    def __post_init__(self) -> None:
        object.__setattr__(self, "filters", normal_filters(self.filters))

    @classmethod
    def defaults(cls, context: Context, dataset_id: str | None = None) -> FlowLink:
        return cls(context, dataset_id or flow_choices(context)[0], context.countries)

    @classmethod
    def dataset_of(cls, params: Params, context: Context, *, strict: bool = False) -> str:
        """The dataset a link reads: the flow dataset it names among the context's, else the first of them."""
        choices = flow_choices(context)
        return Reader(params, strict).choice(cls.PARAMS["dataset"], choices) or choices[0]

    @classmethod
    def from_params(cls, params: Params, wh: Warehouse, context: Context | None = None, *,
                    strict: bool = False) -> FlowLink:
        read, n = cls._reader(params, strict), cls.PARAMS
        ctx = context or Context.from_params(params, wh, strict=strict)
        first = cls.defaults(ctx, cls.dataset_of(params, ctx, strict=strict))
        roles = [str(i) for i in range(len(dataset(first.dataset).flows))]
        role = int(read.choice(n["role"], roles) or first.role)
        every = params.get(n["countries"]) == EVERY_COUNTRY
        codes = fl.dimension_codes(wh, first.dataset, role)
        read.filters_only(cls.FILTER, list(codes))
        filters = {c: read.codes(cls.FILTER + c, codes[c]) or () for c in codes}
        periods = FlowPeriods.read(wh, first.dataset, role, ctx.years)
        if strict and n["period"] in params:
            periods.check(n["period"], params[n["period"]])
        return cls(ctx, first.dataset,
                   () if every else read.codes(n["countries"], codelist("country").codes) or first.countries,
                   role=role, top=read.integer(n["top"], FLOW_TOPS, first.top),
                   direction=read.choice(n["direction"], fl.DIRECTIONS) or first.direction,
                   period=periods.parse(params.get(n["period"])), filters=normal_filters(filters))

    def own_params(self) -> dict[str, str]:
        first, key = self.defaults(self.context, self.dataset), self.PARAMS
        period = self.period and (self.period[0] if self.period[0] == self.period[1]
                                  else f"{self.period[0]}{fl.RANGE_SEPARATOR}{self.period[1]}")
        own = changed([
            (key["dataset"], self.dataset, self.defaults(self.context).dataset, self.dataset),
            (key["role"], self.role, first.role, str(self.role)),
            (key["top"], self.top, first.top, str(self.top)),
            (key["countries"], self.countries, first.countries, ",".join(self.countries) or EVERY_COUNTRY),
            (key["direction"], self.direction, first.direction, self.direction),
            (key["period"], self.period, first.period, period or "")])
        return own | {self.FILTER + column: ",".join(codes) for column, codes in self.filters}

    def filter(self, column: str) -> tuple[str, ...]:
        return dict(self.filters).get(column, ())

    def query(self, wh: Warehouse, periods: FlowPeriods | None = None) -> fl.FlowQuery:
        """The flows asked, the period resolved in the published data (FlowError when it has none); `periods`,
        when the caller has read them already (FlowPeriods.read of this dataset, reading and years)."""
        periods = periods or FlowPeriods.read(wh, self.dataset, self.role, self.context.years)
        span = periods.span(self.period)
        return fl.FlowQuery(self.dataset, self.role, self.countries, self.direction, span, self.filters, self.top)


def flows(wh: Warehouse, query: fl.FlowQuery) -> fl.FlowResult:
    """The flows of a link's query (the page and the library's embeds both read them here)."""
    return fl.flows(wh, query.dataset_id, role=query.role, countries=query.countries, direction=query.direction,
                    period=query.period, filters=dict(query.filters), top=query.top)


# -- the country profile and the comparison ---------------------------------------------------------------------

@dataclass(frozen=True)
class ProfileLink(_Link):
    """The Country profile page: a country (or group, or the region), read at the end of the context's years."""

    context: Context
    area: str
    pool: int = pr.DEFAULT_POOL  # survey years pooled for the migrants-versus-natives comparison

    PAGE: ClassVar[str] = "profile"
    PARAMS: ClassVar[dict[str, str]] = {"area": "pc", "pool": "ppool"}
    CHOICES: ClassVar[dict[str, Collection[object]]] = {"pool": pr.POOLS}

    @classmethod
    def defaults(cls, context: Context, areas: Sequence[str]) -> ProfileLink:
        """The first of the context's countries that has a profile (`areas`, pr.area_codes)."""
        return cls(context, next((c for c in context.countries if c in areas), areas[0]))

    @classmethod
    def from_params(cls, params: Params, wh: Warehouse, context: Context | None = None, *,
                    strict: bool = False) -> ProfileLink:
        read, n = cls._reader(params, strict), cls.PARAMS
        ctx = context or Context.from_params(params, wh, strict=strict)
        areas = pr.area_codes(wh)
        read.require(n["area"], areas)  # every profile link names its area (`own_params`)
        first = cls.defaults(ctx, areas)
        return cls(ctx, read.choice(n["area"], areas) or first.area, read.integer(n["pool"], pr.POOLS, first.pool))

    def own_params(self) -> dict[str, str]:
        # The area is always in the link: a profile link names its country, whatever the context's first one.
        return {self.PARAMS["area"]: self.area} | changed(
            [(self.PARAMS["pool"], self.pool, pr.DEFAULT_POOL, str(self.pool))])

    def query(self) -> tuple[str, pr.Period, int]:
        """The area, the period (figures at the end of the context's years; the whole range means "the latest
        trends") and the pooled survey years."""
        bounds = self.context.bounds or self.context.years
        return self.area, pr.period_for_years(self.context.years, bounds), self.pool


@dataclass(frozen=True)
class CompareLink(_Link):
    """The Regional comparison page: one indicator for several countries."""

    context: Context
    countries: tuple[str, ...]
    indicator: str = "immigrant_stock"

    PAGE: ClassVar[str] = "compare"
    PARAMS: ClassVar[dict[str, str]] = {"indicator": "ci", "countries": "cc"}

    @staticmethod
    def places(wh: Warehouse) -> list[str]:
        """The countries a comparison may hold: those with a profile (every project country among them)."""
        return [c for c in pr.area_codes(wh) if pr.area(c).is_country]

    @classmethod
    def defaults(cls, context: Context) -> CompareLink:
        return cls(context, context.countries)

    @classmethod
    def from_params(cls, params: Params, wh: Warehouse, context: Context | None = None, *,
                    strict: bool = False) -> CompareLink:
        read, n = cls._reader(params, strict), cls.PARAMS
        ctx = context or Context.from_params(params, wh, strict=strict)
        first = cls.defaults(ctx)
        return cls(ctx, read.codes(n["countries"], cls.places(wh)) or first.countries,
                   read.choice(n["indicator"], cp.indicators()) or first.indicator)

    def own_params(self) -> dict[str, str]:
        # The indicator is always in the link, as the page has always written it.
        return {self.PARAMS["indicator"]: self.indicator} | changed(
            [(self.PARAMS["countries"], self.countries, self.context.countries, ",".join(self.countries))])

    def query(self) -> tuple[str, tuple[str, ...], pr.Period]:
        """The indicator, the countries, and the period (read as a profile reads the context's years)."""
        return self.indicator, self.countries, pr.period_for_years(self.context.years,
                                                                   self.context.bounds or self.context.years)
