"""``zeros``: a cell counting no record discloses that nobody in the group has the attribute.

Source: SACRO guidelines (class disclosure; zeros are disclosive unless structural), ACRO's
``PresenceOfZeroCheck`` with ``zeros_are_disclosive``. Applies where ACRO applies it: counts,
quantiles, minima and maxima. ``disclosure.zeros_disclosive = 0`` turns it off. A zero shown after
rounding or redaction may stand for a few records, so only exact zeros are flagged.
"""

from __future__ import annotations

from bulle.disclosure.evidence import (
    COUNT_STATS,
    EXTREME_STATS,
    QUANTILE_STATS,
    TableEvidence,
)
from bulle.disclosure.rules import PASS, CheckContext, Rule, RuleResult, register
from bulle.disclosure.rules.threshold import TABLE_KINDS

STATS = COUNT_STATS | QUANTILE_STATS | EXTREME_STATS


@register("zeros")
class Zeros(Rule):
    source = "SACRO guidelines: zeros and class disclosure (ACRO PresenceOfZeroCheck)"
    settings = ("disclosure.zeros_disclosive",)

    @classmethod
    def applies(cls, ev: TableEvidence) -> bool:
        return ev.kind in TABLE_KINDS and ev.n_cells > 0 and ev.statistic in STATS

    @classmethod
    def check(cls, ev: TableEvidence, ctx: CheckContext) -> RuleResult:
        if not ctx.params["disclosure.zeros_disclosive"]:
            return RuleResult(cls.name, PASS, "zeros are not considered disclosive", evidence=ev)
        zero = ev.count == 0
        if ev.statistic == "count":  # a count of values shown as 0 (ACRO judges records only)
            zero = zero | (ev.value == 0)
        return cls.from_mask(ev, ev.exact() & zero, "counting zero records")
