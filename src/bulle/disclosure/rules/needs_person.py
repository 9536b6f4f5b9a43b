"""``needs-person``: what no rule can read must be read by a person.

Source: SACRO guidelines and OpenSAFELY's output checking: free files and figures whose table is
not given always go to a reviewer (``review``). A figure declared with its table is judged through
that table by the other rules.
"""

from __future__ import annotations

from bulle.disclosure.evidence import Kind, TableEvidence
from bulle.disclosure.rules import PASS, REVIEW, CheckContext, Rule, RuleResult, register


@register("needs-person")
class NeedsPerson(Rule):
    source = "SACRO guidelines; OpenSAFELY output checking"

    @classmethod
    def applies(cls, ev: TableEvidence) -> bool:
        return ev.kind in (Kind.FILE, Kind.FIGURE)

    @classmethod
    def check(cls, ev: TableEvidence, ctx: CheckContext) -> RuleResult:
        if ev.kind == Kind.FILE:
            return RuleResult(
                cls.name, REVIEW, "a free file is always read by a person", evidence=ev
            )
        if not ev.has_table:
            return RuleResult(
                cls.name, REVIEW, "a figure without its table is read by a person", evidence=ev
            )
        return RuleResult(cls.name, PASS, "the figure's table is checked", evidence=ev)
