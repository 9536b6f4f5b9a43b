"""``missing``: a cell whose statistic silently left out missing values needs a person.

Source: ACRO's ``MissingCheck`` (off by default: ``check_missing_values: False``), here
``disclosure.check_missing``. The outcome is ``review``, never ``fail``, as in ACRO: missing values
change what a mean means, not what it discloses. An empty cell's statistic is itself missing, so
it is flagged too (as ACRO flags it).
"""

from __future__ import annotations

from bulle.disclosure.evidence import TableEvidence
from bulle.disclosure.rules import PASS, REVIEW, CheckContext, Rule, RuleResult, register


@register("missing")
class Missing(Rule):
    source = "ACRO MissingCheck"
    settings = ("disclosure.check_missing",)

    @classmethod
    def applies(cls, ev: TableEvidence) -> bool:
        return ev.has_values and ev.n_cells > 0

    @classmethod
    def check(cls, ev: TableEvidence, ctx: CheckContext) -> RuleResult:
        if not ctx.params["disclosure.check_missing"]:
            return RuleResult(
                cls.name,
                PASS,
                "missing values are not checked (disclosure.check_missing)",
                evidence=ev,
            )
        mask = ev.shown() & ((ev.missing > 0) | (ev.count == 0))
        return cls.from_mask(ev, mask, "missing values or empty", REVIEW)
