"""Quality and confidentiality of published cells: sampling variance, CV, reliability flags, suppression.

- `thresholds`: the publication rules in force (`standard/quality.toml`), the flag names, the SDMX CONF_STATUS codes.
- `variance`: variance of survey estimates by the with-replacement "ultimate cluster" estimator (Taylor
  linearisation) and their CV. Census samples have no strata or PSU in the standard: each row is taken as its own
  PSU within one stratum per country and round (simple random sampling of rows, with replacement), the usual
  approximation, and labelled as approximate wherever it is shown.
- `reliability`: reliable / use with caution / suppressed from the CV and the unweighted n; the admin
  small-count rule for event counts.
- `lines`, `protection`, `recovery`, `interval_audit`, `suppression`: complementary suppression. Enough further
  cells are hidden (`protect`, the one place that chooses them) that no suppressed cell can be worked out from the
  totals and subtotals of the table, even by someone who knows these rules: every table with a suppressed cell is
  audited with a linear (for counts, integer) program, as tau-ARGUS and sdcTable do. For each suppressed cell, the
  smallest and the largest value consistent with everything published (the visible cells, the totals, hidden
  counts being whole and at least 1, estimates at least 0) must lie outside the cell's protection interval
  (`[protection]` in `standard/quality.toml`); complements are added until they do. Which hidden cells are
  primary is never published.
"""

from vipmg_core.quality.interval_audit import audit
from vipmg_core.quality.lines import Constraint, Lines
from vipmg_core.quality.protection import Protection, count_protection, estimate_protection, structural_floor
from vipmg_core.quality.recovery import recoverable
from vipmg_core.quality.reliability import (
    estimate_flag,
    estimate_flag_codes,
    sample_count_flag,
    sample_count_flag_codes,
    small_count_flag,
    small_count_flag_codes,
)
from vipmg_core.quality.suppression import protect
from vipmg_core.quality.thresholds import (
    CAUTION,
    CONF_FREE,
    CONF_PRIMARY,
    CONF_SECONDARY,
    FLAGS,
    QUALITY_FILE,
    RELIABLE,
    SUPPRESSED,
    Rules,
    rules,
)
from vipmg_core.quality.variance import cv_percent, cv_values, stratum_variance, ultimate_cluster

__all__ = [
    "CAUTION", "CONF_FREE", "CONF_PRIMARY", "CONF_SECONDARY", "FLAGS", "QUALITY_FILE", "RELIABLE", "SUPPRESSED",
    "Constraint", "Lines", "Protection", "Rules", "audit",
    "count_protection", "cv_percent", "cv_values", "estimate_flag", "estimate_flag_codes", "estimate_protection",
    "protect", "recoverable", "rules", "sample_count_flag", "sample_count_flag_codes", "small_count_flag",
    "small_count_flag_codes", "stratum_variance", "structural_floor", "ultimate_cluster",
]
