"""Every user-facing text exists in Spanish and English, and the code asks only for texts that exist."""

import re
from pathlib import Path

import pytest

from vipmg_core.i18n import fmt_change, fmt_number, messages, t

PROJECT = Path(__file__).resolve().parent.parent
CODE = [*PROJECT.glob("*.py"), *(PROJECT / "pages").glob("*.py"), *(PROJECT / "vipmg_core").rglob("*.py"),
        *(PROJECT / "vipmg_ui").rglob("*.py")]


def test_every_message_has_spanish_and_english_text():
    for key, entry in messages().items():
        assert entry.get("es", "").strip(), f"{key} has no Spanish"
        assert entry.get("en", "").strip(), f"{key} has no English"


def test_placeholders_match_between_languages():
    for key, entry in messages().items():
        assert set(re.findall(r"{(\w+)}", entry["es"])) == set(re.findall(r"{(\w+)}", entry["en"])), key


def test_every_literal_key_used_in_code_exists():
    used = set()
    for path in CODE:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_0-9]+)+)["']""", path.read_text(encoding="utf-8")))
    assert used, "no t() calls found: the scan is broken"
    missing = sorted(k for k in used if k not in messages())
    assert not missing, f"keys used in code but missing in messages.toml: {missing}"


def test_spanish_is_the_default_language():
    assert t("page.catalogue") == "Catálogo"
    assert t("page.catalogue", "en") == "Catalogue"


def test_missing_key_fails_loudly():
    with pytest.raises(KeyError):
        t("no.such.key")


def test_numbers_are_grouped_for_each_language():
    assert fmt_number(1234567, "en") == "1,234,567"
    assert fmt_number(1234567, "es") == "1\u202f234\u202f567"
    assert fmt_number(None, "es") == "–"
    assert fmt_change(0.12, "en") == "+12.0 %"
    assert fmt_change(-0.05, "es") == "−5.0 %"


def test_keys_built_from_the_standard_exist_for_every_dataset_and_page():
    from vipmg_core.datasets import datasets
    from vipmg_core.indicators import indicators
    from vipmg_ui.navigation import HOME, PAGES

    keys = {str(h.headline) for h in indicators("home")}
    keys |= {i.label for i in indicators()} | {i.subject for i in indicators() if i.subject is not None}
    keys |= {HOME.title_key} | {p.title_key for p in PAGES} | {p.help_key for p in PAGES}
    for ds in datasets():
        keys |= {f"unit.{ds.unit}", f"kind.{ds.kind}", f"source_type.{ds.source_type}",
                 f"time_format.{ds.time_format}"}
        keys |= {f"type.{c.type}" for c in ds.columns} | {f"role.{c.role}" for c in ds.columns}
    assert not sorted(k for k in keys if k not in messages())
