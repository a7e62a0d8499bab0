"""Build the country codelist and the offline country polygons (a dev script, run by hand).

    python tools/build_reference.py [--wheel path/to/geopandas-0.14.4-py3-none-any.whl]

Writes, from the project root:

- `vipmg_core/standard/codelists/country.csv`: every ISO 3166-1 country (code = alpha-3) with Spanish
  and English names, alpha-2, UN M49 code (ISO numeric, zero-padded) and a point (lat, lon) where flows
  to and from the country are drawn; plus `OOO` (other countries / unknown), which has no point.
- `data/reference/countries_110m.geojson`: Natural Earth 1:110m Admin 0 country polygons, properties
  `{"iso3", "name_es", "name_en"}`, coordinates rounded to 3 decimals (about 200 KB).
- `data/reference/NOTICE.md`: sources and licences.

Sources, both from package registries (needs network unless `--wheel` is given):

- Natural Earth (public domain) as shipped in the geopandas 0.14.4 wheel
  (`geopandas/datasets/naturalearth_lowres` and `naturalearth_cities`), fetched with
  `pip download --no-deps` and read with pyshp straight from the zip (no GDAL, geopandas not installed).
- pycountry (ISO 3166-1 codes, English names and the iso-codes Spanish translations), corrected by the
  NAME_OVERRIDES table below where the ISO name is clumsy or the translation is wrong.

A country's point is the area-weighted centroid of its largest polygon at 110m (moved onto land when
it falls outside, as for Haiti); a country too small
for 110m (Saint Lucia and other islands) gets its capital from naturalearth_cities (CAPITALS table);
otherwise lat/lon stay empty and the script lists it. Rerun after upgrading pycountry; review the diff.
"""

from __future__ import annotations

import argparse
import csv
import gettext
import io
import json
import math
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pycountry
import shapefile  # pyshp

PROJECT_DIR = Path(__file__).resolve().parents[1]
CODELIST_PATH = PROJECT_DIR / "vipmg_core" / "standard" / "codelists" / "country.csv"
REFERENCE_DIR = PROJECT_DIR / "data" / "reference"
GEOJSON_PATH = REFERENCE_DIR / "countries_110m.geojson"
NOTICE_PATH = REFERENCE_DIR / "NOTICE.md"

GEOPANDAS = "geopandas==0.14.4"
DATASETS = "geopandas/datasets"
DIGITS = 3

UNKNOWN = ("OOO", "Otros países / desconocido", "Other countries / unknown")

# (Spanish, English) short names where pycountry's is clumsy, long-winded or its translation is wrong.
# None keeps pycountry's name in that language.
NAME_OVERRIDES: dict[str, tuple[str | None, str | None]] = {
    "ALA": ("Islas Åland", None),
    "BES": ("Bonaire, San Eustaquio y Saba", None),
    "BFA": ("Burkina Faso", None),
    "BMU": ("Bermudas", None),
    "BOL": ("Bolivia", "Bolivia"),
    "BRN": ("Brunéi", "Brunei"),
    "CIV": ("Costa de Marfil", "Côte d'Ivoire"),
    "COD": ("República Democrática del Congo", "DR Congo"),
    "COG": ("República del Congo", "Republic of the Congo"),
    "COM": ("Comoras", None),
    "CZE": ("Chequia", "Czechia"),
    "DZA": ("Argelia", None),
    "FLK": ("Islas Malvinas (Falkland)", "Falkland Islands (Malvinas)"),
    "FSM": ("Micronesia", "Micronesia"),
    "GBR": ("Reino Unido", "United Kingdom"),
    "IRN": ("Irán", "Iran"),
    "KOR": ("Corea del Sur", "South Korea"),
    "LAO": ("Laos", "Laos"),
    "MAF": ("San Martín (parte francesa)", None),
    "MDA": ("Moldavia", "Moldova"),
    "MDV": ("Maldivas", None),
    "MMR": ("Myanmar", "Myanmar"),
    "NER": ("Níger", None),
    "PCN": ("Islas Pitcairn", "Pitcairn Islands"),
    "PRK": ("Corea del Norte", "North Korea"),
    "PSE": ("Palestina", "Palestine"),
    "RUS": ("Rusia", "Russia"),
    "SAU": ("Arabia Saudita", None),
    "SHN": ("Santa Elena, Ascensión y Tristán de Acuña", None),
    "STP": ("Santo Tomé y Príncipe", "São Tomé and Príncipe"),
    "SUR": ("Surinam", "Suriname"),
    "SXM": ("San Martín (parte neerlandesa)", "Sint Maarten (Dutch part)"),
    "SYR": ("Siria", "Syria"),
    "TLS": ("Timor Oriental", "Timor-Leste"),
    "TUN": ("Túnez", None),
    "TWN": ("Taiwán", "Taiwan"),
    "TZA": ("Tanzania", "Tanzania"),
    "USA": ("Estados Unidos", "United States"),
    "VAT": ("Ciudad del Vaticano", "Vatican City"),
    "VEN": ("Venezuela", "Venezuela"),
    "VGB": ("Islas Vírgenes Británicas", "British Virgin Islands"),
    "VIR": ("Islas Vírgenes de los Estados Unidos", "U.S. Virgin Islands"),
    "VNM": ("Vietnam", "Vietnam"),
}

# Natural Earth units whose code is not an ISO 3166-1 country: drawn as part of the ISO country.
MERGE_INTO = {"CYN": "CYP", "SOL": "SOM"}  # Northern Cyprus, Somaliland

# Parts of a Natural Earth country that ISO codes separately: (iso3, lon_min, lon_max, lat_min, lat_max).
SPLIT_OFF = {"FRA": [("GUF", -55.0, -51.0, 1.5, 6.5)]}  # French Guiana

# Capitals (names in naturalearth_cities) of countries with no polygon at 110m.
CAPITALS = {
    "AND": "Andorra", "ATG": "Saint John's", "BHR": "Manama", "BRB": "Bridgetown", "COM": "Moroni",
    "CPV": "Praia", "DMA": "Roseau", "FSM": "Palikir", "GRD": "Saint George's", "HKG": "Hong Kong",
    "KIR": "Tarawa", "KNA": "Basseterre", "LCA": "Castries", "LIE": "Vaduz", "MCO": "Monaco",
    "MDV": "Malé", "MHL": "Majuro", "MLT": "Valletta", "MUS": "Port Louis", "PLW": "Melekeok",
    "SGP": "Singapore", "SMR": "San Marino", "STP": "São Tomé", "SYC": "Victoria",
    "TON": "Nuku'alofa", "TUV": "Funafuti", "VAT": "Vatican City", "VCT": "Kingstown", "WSM": "Apia",
}

Ring = list[tuple[float, float]]
Polygon = list[Ring]  # exterior ring first, then holes


def fetch_wheel(target: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", GEOPANDAS, "-d", str(target)],
        check=True,
    )
    return next(target.glob("geopandas-*.whl"))


def read_shapefile(wheel: zipfile.ZipFile, name: str) -> shapefile.Reader:
    base = f"{DATASETS}/{name}/{name}"
    encoding = wheel.read(f"{base}.cpg").decode("ascii").strip() or "latin-1"
    parts = {ext: io.BytesIO(wheel.read(f"{base}.{ext}")) for ext in ("shp", "shx", "dbf")}
    return shapefile.Reader(**parts, encoding=encoding)


def country_names() -> dict[str, dict[str, str]]:
    spanish = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"])
    countries = {}
    for country in pycountry.countries:
        name_en = getattr(country, "common_name", None) or country.name
        name_es = spanish.gettext(name_en)
        over_es, over_en = NAME_OVERRIDES.get(country.alpha_3, (None, None))
        countries[country.alpha_3] = {
            "name_es": over_es or name_es,
            "name_en": over_en or name_en,
            "iso2": country.alpha_2,
            "m49": f"{int(country.numeric):03d}",
        }
    return countries


def iso3_of(record: dict, known: dict) -> str | None:
    code = record["iso_a3"]
    code = MERGE_INTO.get(code, code)
    if code in known:
        return code
    try:  # Natural Earth's -99: try the name
        return pycountry.countries.lookup(record["name"]).alpha_3
    except LookupError:
        return None


def polygons_of(shape: shapefile.Shape) -> list[Polygon]:
    geometry = shape.__geo_interface__
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    # pyshp keeps the shapefile's clockwise exteriors; RFC 7946 wants them counterclockwise.
    return [[[tuple(p) for p in reversed(ring)] for ring in poly] for poly in polys]


def signed_area(ring: Ring) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:])) / 2


def centroid(poly: Polygon) -> tuple[float, float]:
    """Area-weighted planar centroid (lon, lat) of a polygon with holes."""
    total = cx = cy = 0.0
    for ring in poly:
        for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
            cross = x0 * y1 - x1 * y0
            total += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
    return cx / (3 * total), cy / (3 * total)


def inner_point(poly: Polygon) -> tuple[float, float]:
    """The centroid, or if it falls outside (Haiti, Norway, Croatia, ...) the middle of the stretch of
    land nearest to it on the centroid's parallel."""
    cx, cy = centroid(poly)
    crossings = sorted(
        x0 + (cy - y0) * (x1 - x0) / (y1 - y0)
        for ring in poly
        for (x0, y0), (x1, y1) in zip(ring, ring[1:])
        if (y0 > cy) != (y1 > cy)
    )
    stretches = list(zip(crossings[::2], crossings[1::2]))  # even-odd: inside between pairs
    if any(west <= cx <= east for west, east in stretches):
        return cx, cy
    west, east = min(stretches, key=lambda s: min(abs(cx - s[0]), abs(cx - s[1])))
    return (west + east) / 2, cy


def weight(poly: Polygon) -> float:
    """Rough true area, so high-latitude islands do not outweigh the mainland."""
    lat = sum(y for _, y in poly[0]) / len(poly[0])
    return abs(signed_area(poly[0])) * math.cos(math.radians(lat))


def inside(poly: Polygon, box: tuple[float, float, float, float]) -> bool:
    lon_min, lon_max, lat_min, lat_max = box
    return all(lon_min <= x <= lon_max and lat_min <= y <= lat_max for x, y in poly[0])


def rounded(poly: Polygon) -> Polygon | None:
    rings = []
    for ring in poly:
        out: list[list[float]] = []
        for x, y in ring:
            point = [round(x, DIGITS), round(y, DIGITS)]
            if not out or out[-1] != point:
                out.append(point)
        if out[0] != out[-1]:
            out.append(out[0])
        if len(out) >= 4:
            rings.append(out)
        elif not rings:
            return None  # the exterior collapsed
    return rings


def load_polygons(wheel: zipfile.ZipFile, known: dict) -> dict[str, list[Polygon]]:
    by_iso3: dict[str, list[Polygon]] = {}
    for item in read_shapefile(wheel, "naturalearth_lowres").iterShapeRecords():
        record = item.record.as_dict()
        iso3 = iso3_of(record, known)
        if iso3 is None:
            print(f"dropped (no ISO 3166-1 code): {record['name']} [{record['iso_a3']}]")
            continue
        if iso3 != record["iso_a3"]:
            print(f"drawn as {iso3}: {record['name']} [{record['iso_a3']}]")
        for poly in polygons_of(item.shape):
            target = iso3
            for part, *box in SPLIT_OFF.get(iso3, []):
                if inside(poly, tuple(box)):
                    target = part
                    print(f"split off {part} from {iso3}")
            by_iso3.setdefault(target, []).append(poly)
    return by_iso3


def load_capitals(wheel: zipfile.ZipFile) -> dict[str, tuple[float, float]]:
    reader = read_shapefile(wheel, "naturalearth_cities")
    points = {rec["name"]: shape.points[0] for rec, shape in zip(reader.records(), reader.shapes())}
    capitals = {}
    for iso3, city in CAPITALS.items():
        if city in points:
            capitals[iso3] = points[city]
        else:
            print(f"capital not in naturalearth_cities: {iso3} {city}")
    return capitals


def write_codelist(countries: dict, points: dict[str, tuple[float, float]]) -> None:
    CODELIST_PATH.parent.mkdir(parents=True, exist_ok=True)
    with CODELIST_PATH.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code", "name_es", "name_en", "iso2", "m49", "lat", "lon"])
        for iso3 in sorted(countries):
            c = countries[iso3]
            lon, lat = points.get(iso3, ("", ""))
            lat, lon = (f"{round(v, DIGITS):.{DIGITS}f}" if v != "" else "" for v in (lat, lon))
            writer.writerow([iso3, c["name_es"], c["name_en"], c["iso2"], c["m49"], lat, lon])
        writer.writerow([*UNKNOWN, "", "", "", ""])


def write_geojson(countries: dict, polygons: dict[str, list[Polygon]]) -> None:
    features = []
    for iso3 in sorted(polygons):
        polys = [p for p in (rounded(poly) for poly in polygons[iso3]) if p]
        if not polys:
            print(f"no polygon left after rounding: {iso3}")
            continue
        geometry = (
            {"type": "Polygon", "coordinates": polys[0]}
            if len(polys) == 1
            else {"type": "MultiPolygon", "coordinates": polys}
        )
        names = countries[iso3]
        properties = {"iso3": iso3, "name_es": names["name_es"], "name_en": names["name_en"]}
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    collection = {"type": "FeatureCollection", "features": features}
    GEOJSON_PATH.parent.mkdir(parents=True, exist_ok=True)
    GEOJSON_PATH.write_text(
        json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )


NOTICE = """\
# Reference data: sources and licences

## `countries_110m.geojson`

Country polygons from [Natural Earth](https://www.naturalearthdata.com/), 1:110m Cultural Vectors,
Admin 0 – Countries, as shipped in the geopandas 0.14.4 wheel (`geopandas/datasets/naturalearth_lowres`;
capitals from `naturalearth_cities`). Natural Earth is in the **public domain**
(<https://www.naturalearthdata.com/about/terms-of-use/>). "Made with Natural Earth."

Changes: coordinates rounded to 3 decimals; properties reduced to `iso3`, `name_es`, `name_en`;
Northern Cyprus and Somaliland drawn as part of Cyprus and Somalia (their ISO 3166-1 countries);
French Guiana split off France as GUF; Kosovo (no ISO 3166-1 code) left out. Boundaries are shown for
orientation only and imply no position on any territory.

## `vipmg_core/standard/codelists/country.csv`

ISO 3166-1 codes (alpha-3, alpha-2, numeric = UN M49) and English and Spanish names from
[pycountry](https://github.com/pycountry/pycountry), which packages the Debian
[iso-codes](https://salsa.debian.org/iso-codes-team/iso-codes) data and translations (LGPL-2.1),
with short names edited in `tools/build_reference.py`. Points are centroids of the Natural Earth
polygons above, or the capital for countries too small for 1:110m.

## Rebuild

    python tools/build_reference.py

(needs pycountry, pyshp and network access to PyPI for the geopandas wheel; review the diff.)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a downloaded geopandas 0.14.4 wheel")
    args = parser.parse_args()

    countries = country_names()
    with tempfile.TemporaryDirectory() as tmp:
        wheel_path = args.wheel or fetch_wheel(Path(tmp))
        with zipfile.ZipFile(wheel_path) as wheel:
            polygons = load_polygons(wheel, countries)
            capitals = load_capitals(wheel)

    points = {iso3: inner_point(max(polys, key=weight)) for iso3, polys in polygons.items()}
    for iso3, point in capitals.items():
        points.setdefault(iso3, point)

    write_codelist(countries, points)
    write_geojson(countries, polygons)
    NOTICE_PATH.write_text(NOTICE, encoding="utf-8")

    missing = sorted(set(countries) - set(points))
    print(f"{len(countries)} countries + {UNKNOWN[0]}; {len(polygons)} with a polygon")
    print(f"no point ({len(missing)}): {' '.join(missing)}")
    for path in (CODELIST_PATH, GEOJSON_PATH, NOTICE_PATH):
        print(f"wrote {path.relative_to(PROJECT_DIR)} ({path.stat().st_size / 1000:.0f} KB)")


if __name__ == "__main__":
    main()
