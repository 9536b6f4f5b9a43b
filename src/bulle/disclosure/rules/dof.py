"""``dof``: a model's residual degrees of freedom must be at least ``disclosure.dof``.

Source: SACRO guidelines (safe analytical statistics, residual degrees of freedom >= 10), ACRO's
``MinimumDoFCheck``. For a regression it is the model's ``df_resid``; for a table of standard
deviations or variances each cell's is its count minus one, as in ACRO (an empty cell has -1).
"""

from __future__ import annotations

from bulle.disclosure.evidence import SPREAD_STATS, Kind, TableEvidence
from bulle.disclosure.rules import FAIL, PASS, CheckContext, Rule, RuleResult, register


@register("dof")
class Dof(Rule):
    source = "SACRO guidelines: residual degrees of freedom (ACRO MinimumDoFCheck)"
    settings = ("disclosure.dof",)

    @classmethod
    def applies(cls, ev: TableEvidence) -> bool:
        return ev.kind == Kind.REGRESSION or (ev.statistic in SPREAD_STATS and ev.n_cells > 0)

    @classmethod
    def check(cls, ev: TableEvidence, ctx: CheckContext) -> RuleResult:
        t = ctx.params["disclosure.dof"]
        if ev.kind == Kind.REGRESSION:
            if ev.dof is None or ev.dof < t:
                return RuleResult(cls.name, FAIL, f"residual dof {ev.dof} < {t}", evidence=ev)
            return RuleResult(cls.name, PASS, f"residual dof {ev.dof} >= {t}", evidence=ev)
        return cls.from_mask(ev, ev.shown() & (ev.count - 1 < t), f"with dof below {t}")
