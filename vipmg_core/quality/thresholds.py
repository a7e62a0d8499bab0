"""The publication rules in force: CV bands, minimum n, the admin small-count rule, the protection intervals and the
symbols a table shows, read from `standard/quality.toml`; the flag names and the SDMX confidentiality codes."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from vipmg_core.config import STANDARD_DIR

QUALITY_FILE = STANDARD_DIR / "quality.toml"

RELIABLE = "reliable"
CAUTION = "caution"
SUPPRESSED = "suppressed"
FLAGS = (RELIABLE, CAUTION, SUPPRESSED)

# SDMX CONF_STATUS codes: free, primary confidential, secondary (complementary) confidential.
CONF_FREE = "F"
CONF_PRIMARY = "C"
CONF_SECONDARY = "D"


@dataclass(frozen=True)
class Rules:
    cv_reliable_max: float = 15.0
    cv_caution_max: float = 30.0
    min_unweighted_n: int = 30
    admin_min_count: int = 3
    symbol_suppressed: str = "x"
    symbol_caution: str = "*"
    symbol_empty: str = "–"
    protection_count_upper: int = 3
    protection_count_lower: int = 3
    protection_estimate_percent: float = 10.0


@cache
def _rules_from(path: str) -> Rules:
    with Path(path).open("rb") as handle:
        raw = tomllib.load(handle)
    est, admin, sym = raw.get("estimates", {}), raw.get("admin", {}), raw.get("symbols", {})
    prot = raw.get("protection", {})
    rules = Rules(
        cv_reliable_max=float(est.get("cv_reliable_max", Rules.cv_reliable_max)),
        cv_caution_max=float(est.get("cv_caution_max", Rules.cv_caution_max)),
        min_unweighted_n=int(est.get("min_unweighted_n", Rules.min_unweighted_n)),
        admin_min_count=int(admin.get("min_count", Rules.admin_min_count)),
        symbol_suppressed=str(sym.get("suppressed", Rules.symbol_suppressed)),
        symbol_caution=str(sym.get("caution", Rules.symbol_caution)),
        symbol_empty=str(sym.get("empty", Rules.symbol_empty)),
        protection_count_upper=int(prot.get("count_upper", Rules.protection_count_upper)),
        protection_count_lower=int(prot.get("count_lower", Rules.protection_count_lower)),
        protection_estimate_percent=float(prot.get("estimate_percent", Rules.protection_estimate_percent)),
    )
    if not 0 <= rules.cv_reliable_max <= rules.cv_caution_max:
        raise ValueError(f"{path}: need 0 <= cv_reliable_max <= cv_caution_max")
    if min(rules.min_unweighted_n, rules.admin_min_count, rules.protection_count_upper, rules.protection_count_lower,
           rules.protection_estimate_percent) < 0:
        raise ValueError(f"{path}: thresholds must not be negative")
    return rules


def rules(path: Path | None = None) -> Rules:
    """The publication rules in force (from `standard/quality.toml` unless another file is given)."""
    return _rules_from(str(path or QUALITY_FILE))

