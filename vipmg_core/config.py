"""Where things live. Every path the core touches comes from here."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
STANDARD_DIR = PACKAGE_DIR / "standard"
# Shipped, read-only reference files (country polygons). Not the warehouse: tests point
# VIPMG_DATA_DIR elsewhere and still need the map.
REFERENCE_DIR = PROJECT_DIR / "data" / "reference"


def data_dir() -> Path:
    """The warehouse directory (Parquet releases + SQLite catalogue); `VIPMG_DATA_DIR` or `data/`."""
    configured = os.environ.get("VIPMG_DATA_DIR")
    path = Path(configured).expanduser() if configured else PROJECT_DIR / "data"
    return path.resolve()
