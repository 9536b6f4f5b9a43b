"""How well a score separates members from non-members: ROC, AUC and TPR at a low FPR, with CIs.

A membership attack is judged where it matters to a person, at a very low false-positive rate:
an attack that is right about a few people with near certainty harms them even when its average
(the AUC) looks like chance. So the figures are the TPR at 0.1 % and 1 % FPR, next to the AUC.

Conventions, chosen so that every figure is exact and reproducible (no interpolation):

* A higher score means "more likely a member"; a record is flagged when its score is *strictly*
  above the threshold.
* The TPR at FPR ``alpha`` is the largest TPR of a threshold that flags at most
  ``floor(alpha * non-members)`` non-members. With ties at the threshold fewer non-members may be
  flagged: the achieved FPR is reported next to it.
* The TPR's 95 % confidence interval is Clopper-Pearson (exact binomial) over the members,
  *given* the threshold the non-members set. It is conservative (coverage at least 95 %) and needs
  no resampling, so the gate's figure is the same on every run; it does not include the
  uncertainty of the threshold itself (documented in docs/models_audit.md).
* The AUC is the Mann-Whitney statistic (ties count one half); its 95 % interval is DeLong's
  variance with a normal approximation, clipped to [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95  # the level the release gate is defined at (issue 16): not a tunable
LOW_FPRS = (0.001, 0.01)  # the two operating points reported and gated on
ROC_POINTS = 120  # log-spaced FPR values kept for the plotted curve


@dataclass(frozen=True)
class OperatingPoint:
    """The attack at one FPR budget: what it catches among members, and what it costs."""

    fpr_budget: float
    tpr: float
    ci: tuple[float, float]
    true_positives: int
    false_positives: int
    fpr: float  # achieved: false_positives / non-members, never above the budget
    threshold: float

    def to_dict(self) -> dict[str, object]:
        return {
            "fpr_budget": self.fpr_budget,
            "tpr": self.tpr,
            "ci": list(self.ci),
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "fpr": self.fpr,
            "threshold": self.threshold if math.isfinite(self.threshold) else None,
        }


@dataclass(frozen=True)
class AttackFigures:
    """Every figure of one attack on one model: AUC, the low-FPR points, and a curve to plot."""

    members: int
    non_members: int
    auc: float
    auc_ci: tuple[float, float]
    points: tuple[OperatingPoint, ...]  # one per LOW_FPRS, in that order
    roc_fpr: tuple[float, ...]
    roc_tpr: tuple[float, ...]

    def point(self, fpr_budget: float) -> OperatingPoint:
        for p in self.points:
            if math.isclose(p.fpr_budget, fpr_budget):
                return p
        raise KeyError(fpr_budget)

    @property
    def tpr_at_0_1pct_fpr(self) -> float:
        return self.point(0.001).tpr

    @property
    def tpr_at_1pct_fpr(self) -> float:
        return self.point(0.01).tpr

    def to_dict(self) -> dict[str, object]:
        low, one = self.point(0.001), self.point(0.01)
        return {
            "auc": self.auc,
            "tpr_at_0_1pct_fpr": low.tpr,
            "tpr_at_1pct_fpr": one.tpr,
            "ci": {
                "level": CONFIDENCE,
                "auc": list(self.auc_ci),
                "tpr_at_0_1pct_fpr": list(low.ci),
                "tpr_at_1pct_fpr": list(one.ci),
                "auc_method": "DeLong variance, normal approximation",
                "tpr_method": "Clopper-Pearson over members, given the non-members' threshold",
            },
            "members": self.members,
            "non_members": self.non_members,
            "operating_points": [p.to_dict() for p in self.points],
            "roc": {"fpr": list(self.roc_fpr), "tpr": list(self.roc_tpr)},
        }


def clopper_pearson(successes: int, trials: int, level: float = CONFIDENCE) -> tuple[float, float]:
    """Exact binomial interval: each bound is a Beta quantile, 0 and 1 at the edges."""
    if trials <= 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials > 0, got {successes}/{trials}")
    tail = (1 - level) / 2
    low = 0.0 if successes == 0 else float(stats.beta.ppf(tail, successes, trials - successes + 1))
    high = (
        1.0
        if successes == trials
        else float(stats.beta.ppf(1 - tail, successes + 1, trials - successes))
    )
    return low, high


def tpr_at_fpr(
    member_scores: np.ndarray, non_member_scores: np.ndarray, fpr_budget: float
) -> OperatingPoint:
    """The best strict threshold flagging at most ``floor(budget * non-members)`` non-members."""
    pos = np.sort(np.asarray(member_scores, dtype=float))
    neg_desc = np.sort(np.asarray(non_member_scores, dtype=float))[::-1]
    allowed = math.floor(fpr_budget * len(neg_desc) + 1e-9)
    threshold = -math.inf if allowed >= len(neg_desc) else float(neg_desc[allowed])
    tp = int(len(pos) - np.searchsorted(pos, threshold, side="right"))
    fp = int(np.count_nonzero(neg_desc > threshold))
    return OperatingPoint(
        fpr_budget=fpr_budget,
        tpr=tp / len(pos),
        ci=clopper_pearson(tp, len(pos)),
        true_positives=tp,
        false_positives=fp,
        fpr=fp / len(neg_desc),
        threshold=threshold,
    )


def auc_delong(
    member_scores: np.ndarray, non_member_scores: np.ndarray
) -> tuple[float, tuple[float, float]]:
    """Mann-Whitney AUC and its DeLong interval (Sun and Xu's midrank form, O(n log n))."""
    pos = np.asarray(member_scores, dtype=float)
    neg = np.asarray(non_member_scores, dtype=float)
    m, n = len(pos), len(neg)
    both = stats.rankdata(np.concatenate([pos, neg]))
    rank_pos, rank_neg = stats.rankdata(pos), stats.rankdata(neg)
    auc = float((both[:m].sum() - m * (m + 1) / 2) / (m * n))
    v01 = (both[:m] - rank_pos) / n  # per member: share of non-members it beats
    v10 = 1 - (both[m:] - rank_neg) / m  # per non-member: share of members beating it
    var = (np.var(v01, ddof=1) / m if m > 1 else 0.0) + (np.var(v10, ddof=1) / n if n > 1 else 0.0)
    half = float(stats.norm.ppf(0.5 + CONFIDENCE / 2) * math.sqrt(max(var, 0.0)))
    return auc, (max(0.0, auc - half), min(1.0, auc + half))


def roc_curve_log(
    member_scores: np.ndarray, non_member_scores: np.ndarray, points: int = ROC_POINTS
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The ROC at log-spaced FPR budgets from one non-member to all (for a log-log plot)."""
    pos = np.sort(np.asarray(member_scores, dtype=float))
    neg_desc = np.sort(np.asarray(non_member_scores, dtype=float))[::-1]
    n = len(neg_desc)
    allowed = np.unique(np.round(np.geomspace(1, n, num=min(points, n))).astype(int))
    allowed = allowed[allowed < n]
    thresholds = neg_desc[allowed]
    tp = len(pos) - np.searchsorted(pos, thresholds, side="right")
    fp = n - np.searchsorted(neg_desc[::-1], thresholds, side="right")
    fpr = [float(f) for f in fp / n] + [1.0]
    tpr = [float(t) for t in tp / len(pos)] + [1.0]
    return tuple(fpr), tuple(tpr)


def attack_figures(scores: np.ndarray, members: np.ndarray) -> AttackFigures:
    """All figures of an attack whose per-record ``scores`` target the boolean ``members``."""
    scores = np.asarray(scores, dtype=float)
    members = np.asarray(members, dtype=bool)
    if scores.shape != members.shape or scores.ndim != 1:
        raise ValueError("scores and members must be 1-d arrays of the same length")
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores must be finite")
    pos, neg = scores[members], scores[~members]
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("an attack needs at least one member and one non-member")
    auc, auc_ci = auc_delong(pos, neg)
    fpr, tpr = roc_curve_log(pos, neg)
    return AttackFigures(
        members=len(pos),
        non_members=len(neg),
        auc=auc,
        auc_ci=auc_ci,
        points=tuple(tpr_at_fpr(pos, neg, a) for a in LOW_FPRS),
        roc_fpr=fpr,
        roc_tpr=tpr,
    )
