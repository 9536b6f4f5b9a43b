"""``nk-rule``: the ``n`` largest contributions must not make ``k`` or more of a cell's total.

Source: SACRO guidelines (dominance, n = 2, k = 0.9), ACRO's ``NKCheck``: a cell fails when
``sum of the n largest / total >= k``; an empty cell or a zero total passes (0 / 0 is no share).
"""

from __future__ import annotations

import numpy as np

from bulle.disclosure.evidence import TableEvidence
from bulle.disclosure.rules import CheckContext, Rule, RuleResult, dominance, register


@register("nk-rule")
class NKRule(Rule):
    source = "SACRO guidelines: (n, k) dominance (ACRO NKCheck)"
    settings = ("disclosure.nk_n", "disclosure.nk_k")

    @classmethod
    def applies(cls, ev: TableEvidence) -> bool:
        return dominance.applies(ev)

    @classmethod
    def check(cls, ev: TableEvidence, ctx: CheckContext) -> RuleResult:
        n, k = ctx.params["disclosure.nk_n"], ctx.params["disclosure.nk_k"]
        early = dominance.negatives(cls, ev) or dominance.short_evidence(cls, ev, n)
        if early is not None:
            return early
        top_n = np.nansum(ev.top[:, :n], axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = top_n / ev.total
            mask = ev.shown() & (share >= k)
        return cls.from_mask(ev, mask, f"where the {n} largest make >= {k:g} of the total")
