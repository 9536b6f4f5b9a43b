"""``p-ratio``: what is left after the two largest contributions must be at least ``p`` of the
largest, or the second largest contributor can estimate the largest too closely.

Source: SACRO guidelines (p% rule, p = 0.10), ACRO's ``PPercentCheck``: a cell fails when
``(total - largest - second) / largest < p``; a cell of zeros has the remainder itself as its
ratio (and fails), an empty cell passes. A cell of one or two contributors always fails.
"""

from __future__ import annotations

import numpy as np

from bulle.disclosure.evidence import TableEvidence
from bulle.disclosure.rules import CheckContext, Rule, RuleResult, dominance, register


@register("p-ratio")
class PRatio(Rule):
    source = "SACRO guidelines: p% dominance (ACRO PPercentCheck)"
    settings = ("disclosure.p_ratio",)

    @classmethod
    def applies(cls, ev: TableEvidence) -> bool:
        return dominance.applies(ev)

    @classmethod
    def check(cls, ev: TableEvidence, ctx: CheckContext) -> RuleResult:
        p = ctx.params["disclosure.p_ratio"]
        early = dominance.negatives(cls, ev) or dominance.short_evidence(cls, ev, 2)
        if early is not None:
            return early
        top1 = ev.top[:, 0]
        rest = ev.total - np.nansum(ev.top[:, :2], axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(top1 == 0, rest, rest / np.where(top1 == 0, np.nan, top1))
        ratio = np.where(np.isnan(ratio), 1.0, ratio)
        mask = ev.shown() & (ratio < p)
        return cls.from_mask(ev, mask, f"where the rest is under {p:g} of the largest")
