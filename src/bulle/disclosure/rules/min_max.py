"""``min-max``: a minimum or a maximum is one person's value unless enough records share it.

Source: SACRO guidelines (minima and maxima are not released unless they are not a single
record's value). A cell passes when at least ``disclosure.threshold`` records hold the value it
shows; an empty cell shows nothing and passes.
"""

from __future__ import annotations

from bulle.disclosure.evidence import EXTREME_STATS, TableEvidence
from bulle.disclosure.rules import CheckContext, Rule, RuleResult, register


@register("min-max")
class MinMax(Rule):
    source = "SACRO guidelines: minimum and maximum values"
    settings = ("disclosure.threshold",)

    @classmethod
    def applies(cls, ev: TableEvidence) -> bool:
        return ev.statistic in EXTREME_STATS and ev.has_values and ev.n_cells > 0

    @classmethod
    def check(cls, ev: TableEvidence, ctx: CheckContext) -> RuleResult:
        t = ctx.params["disclosure.threshold"]
        mask = ev.shown() & (ev.count > 0) & (ev.ties < t)
        return cls.from_mask(ev, mask, f"showing an extreme held by fewer than {t} records")
