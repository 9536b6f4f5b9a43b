"""The release gate: whether a model's membership audit lets it leave the project.

The gate blocks on absolute figures only, because those are what a person risks: the attack's TPR
at 0.1 % FPR (its 95 % lower bound, so that a handful of lucky non-members at the threshold cannot
block a model by chance) and at 1 % FPR. The comparison with the regularised reference is reported
and warned about, never gated on: on adult both TPRs at 0.1 % rest on about fifteen non-members,
so their ratio is too noisy to refuse a model with. Every threshold comes from the settings table
(``model.audit.*``), read from the mapping the caller passes (a workspace's ``ws.settings``).
Worse figures can never turn a block into a release (a property test checks it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bulle.learning.audit.lira import MembershipAudit

MIN_SHADOWS = "model.audit.min_shadows"
MAX_LOW_LOWER = "model.audit.max_tpr_at_0_1pct_lower"
MAX_ONE = "model.audit.max_tpr_at_1pct"
RATIO_WARNING = "model.audit.reference_ratio_warning"


@dataclass(frozen=True)
class ReleaseDecision:
    """Released or not, every reason it was blocked, and what the DPO should look at anyway."""

    released: bool
    reasons: tuple[str, ...]
    warnings: tuple[str, ...]
    ratios: Mapping[str, float] | None  # model TPR / reference TPR at each FPR, when audited
    thresholds: Mapping[str, Any]  # the settings the decision used

    def to_dict(self) -> dict[str, Any]:
        return {
            "released": self.released,
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
            "ratios": None if self.ratios is None else dict(self.ratios),
            "thresholds": dict(self.thresholds),
        }


def release_decision(audit: MembershipAudit, settings: Mapping[str, Any]) -> ReleaseDecision:
    """Apply the gate's settings to an audit's figures; blocked when any reason holds."""
    used = {name: settings[name] for name in (MIN_SHADOWS, MAX_LOW_LOWER, MAX_ONE, RATIO_WARNING)}
    figures = audit.target.figures
    low, one = figures.point(0.001), figures.point(0.01)
    reasons: list[str] = []
    if audit.n_shadows < used[MIN_SHADOWS]:
        reasons.append(
            f"the audit used {audit.n_shadows} shadow models, fewer than the {used[MIN_SHADOWS]} "
            f"required ({MIN_SHADOWS}): its figures would understate the leak"
        )
    if low.ci[0] > used[MAX_LOW_LOWER]:
        reasons.append(
            f"TPR at 0.1 % FPR is {_pct(low.tpr)} and its 95 % lower bound {_pct(low.ci[0])} is "
            f"above {_pct(used[MAX_LOW_LOWER])} ({MAX_LOW_LOWER}): the attack singles out "
            f"{low.true_positives} of {figures.members} training records at "
            f"{low.false_positives} false alarms"
        )
    if one.tpr > used[MAX_ONE]:
        reasons.append(
            f"TPR at 1 % FPR is {_pct(one.tpr)}, above {_pct(used[MAX_ONE])} ({MAX_ONE})"
        )
    warnings: list[str] = []
    ratios: dict[str, float] | None = None
    if audit.reference is None:
        warnings.append("no reference pipeline was audited: the model is not compared with one")
    else:
        ref = audit.reference.figures
        floor = 1 / ref.members  # the smallest TPR a reference can show; avoids dividing by 0
        ratios = {}
        for key, budget in (("tpr_at_0_1pct_fpr", 0.001), ("tpr_at_1pct_fpr", 0.01)):
            mine, theirs = figures.point(budget).tpr, ref.point(budget).tpr
            ratios[key] = mine / max(theirs, floor)
            if ratios[key] > used[RATIO_WARNING]:
                warnings.append(
                    f"TPR at {_pct(budget, 1)} FPR is {ratios[key]:.1f} times the reference "
                    f"pipeline's ({_pct(mine)} against {_pct(theirs)}; warning above "
                    f"{used[RATIO_WARNING]}, {RATIO_WARNING}): the model leaks more than a "
                    "regularised one trained on the same rows"
                )
    return ReleaseDecision(not reasons, tuple(reasons), tuple(warnings), ratios, used)


def _pct(share: float, digits: int = 2) -> str:
    return f"{100 * share:.{digits}f} %"
