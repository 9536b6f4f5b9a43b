"""``quantile``: a median or quantile needs enough records on each side of it.

Source: SACRO guidelines (position statistics: a quantile with few records around it is close to
a single record's value). A cell passes when at least ``disclosure.threshold`` records lie strictly
below and strictly above the value it shows; an empty cell passes.
"""

from __future__ import annotations

from bulle.disclosure.evidence import QUANTILE_STATS, TableEvidence
from bulle.disclosure.rules import CheckContext, Rule, RuleResult, register


@register("quantile")
class Quantile(Rule):
    source = "SACRO guidelines: medians and quantiles"
    settings = ("disclosure.threshold",)

    @classmethod
    def applies(cls, ev: TableEvidence) -> bool:
        return ev.statistic in QUANTILE_STATS and ev.has_values and ev.n_cells > 0

    @classmethod
    def check(cls, ev: TableEvidence, ctx: CheckContext) -> RuleResult:
        t = ctx.params["disclosure.threshold"]
        mask = ev.shown() & (ev.count > 0) & ((ev.below < t) | (ev.above < t))
        return cls.from_mask(ev, mask, f"with fewer than {t} records on one side")
