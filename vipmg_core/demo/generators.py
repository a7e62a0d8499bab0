"""Which generator makes each dataset, and the demo of one dataset as chunks, one frame or a row count."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import polars as pl

from vipmg_core.datasets import dataset
from vipmg_core.demo.arrivals import gen_arrivals
from vipmg_core.demo.census import census_parts, gen_census
from vipmg_core.demo.countries import countries
from vipmg_core.demo.frames import DEMO_SEED
from vipmg_core.demo.permits import gen_permits
from vipmg_core.demo.returns import gen_returns
from vipmg_core.demo.stand_ins import gen_encounters, gen_migrant_stock_total, gen_refugees
from vipmg_core.demo.stock import gen_migrant_stock, stock_destinations
from vipmg_core.demo.survey import SURVEY_YEARS, gen_survey, survey_layout
from vipmg_core.demo.transit import gen_transit

# Aggregates: one chunk per country, from (seed, country).
_AGGREGATES: dict[str, Callable[[int, str], pl.DataFrame]] = {
    "arrivals_departures": gen_arrivals,
    "residence_permits": gen_permits,
    "returns": gen_returns,
    "irregular_transit": gen_transit,
    "refugees": gen_refugees,
    "encounters": gen_encounters,
    "migrant_stock_total": gen_migrant_stock_total,
}


def generate_chunks(dataset_id: str, *, seed: int = DEMO_SEED, scale: float = 1.0) -> Iterator[pl.DataFrame]:
    """Yield the demo data of one dataset in chunks (one per country, country-round or country-year).

    `scale` multiplies the census and survey sample sizes and leaves aggregates unchanged.
    """
    dataset(dataset_id)  # unknown ids fail here, with the list of known ones
    if scale <= 0:
        raise ValueError("scale must be positive")
    if dataset_id in _AGGREGATES:
        for area in countries():
            yield _AGGREGATES[dataset_id](seed, area)
    elif dataset_id == "migrant_stock":
        for dest in stock_destinations():
            yield gen_migrant_stock(seed, dest)
    elif dataset_id == "census":
        for area, census_year, part, n, n_round in census_parts(scale):
            yield gen_census(seed, area, census_year, part, n, n_round)
    elif dataset_id == "survey":
        for area in countries():
            for year in SURVEY_YEARS:
                yield gen_survey(seed, area, year, scale)
    else:
        raise KeyError(f"no demo generator for dataset {dataset_id!r}")


def generate(dataset_id: str, *, seed: int = DEMO_SEED, scale: float = 1.0) -> pl.DataFrame:
    """All chunks of one dataset in one frame."""
    return pl.concat(list(generate_chunks(dataset_id, seed=seed, scale=scale)), how="vertical")


def planned_rows(dataset_id: str, scale: float = 1.0, *, seed: int = DEMO_SEED) -> int:
    """Rows `generate_chunks` will yield. Cheap for microdata (sizes only); aggregates are generated."""
    if dataset_id == "census":
        return sum(part[3] for part in census_parts(scale))
    if dataset_id == "survey":
        return sum(
            int(survey_layout(seed, area, year, scale).hh_size.sum()) for area in countries() for year in SURVEY_YEARS
        )
    return sum(chunk.height for chunk in generate_chunks(dataset_id, seed=seed, scale=scale))
