"""What the two dominance rules (``nk-rule``, ``p-ratio``) share: which tables they judge and
their refusal to judge negative contributions (dominance is not defined then: ACRO asks for a
review of the cells holding negatives, and so does Bulle)."""

from __future__ import annotations

from bulle.disclosure.evidence import MAGNITUDE_STATS, TableEvidence
from bulle.disclosure.rules import REVIEW, Rule, RuleResult
from bulle.disclosure.rules.threshold import TABLE_KINDS


def applies(ev: TableEvidence) -> bool:
    return ev.kind in TABLE_KINDS and ev.has_values and ev.statistic in MAGNITUDE_STATS


def negatives(rule: type[Rule], ev: TableEvidence) -> RuleResult | None:
    """A ``review`` of the cells with negative values, if any, else None."""
    mask = ev.shown() & (ev.negatives > 0)
    if mask.any():
        return rule.from_mask(ev, mask, "hold negative values: dominance is not defined", REVIEW)
    return None


def short_evidence(rule: type[Rule], ev: TableEvidence, n: int) -> RuleResult | None:
    """A ``review`` when the evidence keeps fewer largest contributions than the rule needs."""
    if ev.n_top < n:
        return RuleResult(
            rule.name,
            REVIEW,
            f"the evidence keeps the {ev.n_top} largest contributions per cell, the rule needs {n}",
            evidence=ev,
        )
    return None
