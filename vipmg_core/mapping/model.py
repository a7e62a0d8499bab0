"""The `Mapping`: everything needed to read one office's file as the standard, as the user corrects it in the
page, saves it as a named profile per country and dataset (JSON), and reuses next month."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass
class Mapping:
    """Everything needed to read one office's file as the standard; stored as JSON in a profile."""

    dataset_id: str
    country: str
    columns: dict[str, str | None]  # canonical column -> file column (None: not in the file)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical -> {file value: code}
    constants: dict[str, str] = field(default_factory=dict)  # canonical -> one value for every row
    decimal: str | None = None  # "," or "."; None: detect per column
    sheet: str | None = None
    header_row: int | None = None

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Mapping:
        raw = json.loads(text)
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        return cls(**known)

    def source(self, canonical: str) -> str | None:
        return self.columns.get(canonical)

