"""Why a profile, comparison or bulletin request cannot be answered."""

from __future__ import annotations

from vipmg_core.i18n import TranslatedError


class ProfileError(TranslatedError):
    """A request that cannot be answered; `message(lang)` says why in the user's language."""

    prefix = "profiles.error"
