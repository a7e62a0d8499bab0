"""Mapping profiles: a user's corrected `Mapping`, saved under a name per dataset and country in the catalogue
(the only write of the upload feature) and loaded next month."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vipmg_core.mapping.model import Mapping

if TYPE_CHECKING:
    from vipmg_core.catalogue import Catalogue


def save_profile(catalogue: Catalogue, mapping: Mapping, name: str, actor: str) -> str:
    """Store the mapping as the named profile of its dataset and country (the only write in this feature)."""
    name = " ".join(str(name).split())[:80]
    if not name:
        raise ValueError("a profile needs a name")
    return catalogue.save_mapping_profile(name, mapping.dataset_id, mapping.country, mapping.to_json(), actor)


def load_profile(catalogue: Catalogue, dataset_id: str, country: str, name: str) -> Mapping:
    text = catalogue.mapping_profile(dataset_id, country, name)
    if text is None:
        known = ", ".join(p["name"] for p in catalogue.mapping_profiles(dataset_id, country)) or "-"
        raise KeyError(f"no mapping profile {name!r} for {dataset_id} and {country} (saved: {known})")
    return Mapping.from_json(text)


def profile_names(catalogue: Catalogue, dataset_id: str, country: str) -> list[str]:
    return [p["name"] for p in catalogue.mapping_profiles(dataset_id, country)]
