"""``differencing``: a count close to an already released count gives away the few people between.

Source: SACRO guidelines (secondary disclosure by differencing), narrowed so that it can be
decided: for a frequency table over the same variables as a frequency table of the same project
already released, a cell whose count differs from the released cell's by 1 to
``disclosure.threshold - 1`` is flagged. Only exact counts can be subtracted: a cell shown rounded,
redacted or suppressed (here or in the released table) gives no exact difference and passes.
"""

from __future__ import annotations

import numpy as np

from bulle.disclosure.evidence import COUNT_STATS, TableEvidence
from bulle.disclosure.rules import PASS, CheckContext, Rule, RuleResult, register
from bulle.disclosure.rules.threshold import TABLE_KINDS


def _cells(ev: TableEvidence) -> dict[tuple, int]:
    n_cols = len(ev.col_labels)
    return {
        (ev.row_labels[i // n_cols], ev.col_labels[i % n_cols]): i
        for i in np.flatnonzero(ev.exact())
    }


@register("differencing")
class Differencing(Rule):
    source = "SACRO guidelines: differencing (narrow form)"
    settings = ("disclosure.threshold",)

    @classmethod
    def applies(cls, ev: TableEvidence) -> bool:
        return ev.kind in TABLE_KINDS and ev.statistic in COUNT_STATS and ev.n_cells > 0

    @classmethod
    def check(cls, ev: TableEvidence, ctx: CheckContext) -> RuleResult:
        t = ctx.params["disclosure.threshold"]
        same = [
            r
            for r in ctx.released
            if r.statistic in COUNT_STATS and (r.row_vars, r.col_vars) == (ev.row_vars, ev.col_vars)
        ]
        if not same:
            return RuleResult(
                cls.name, PASS, "no released table over the same variables", evidence=ev
            )
        mask = np.zeros(ev.n_cells, bool)
        mine = _cells(ev)
        for released in same:
            for key, j in _cells(released).items():
                i = mine.get(key)
                if i is not None and 1 <= abs(int(ev.count[i]) - int(released.count[j])) < t:
                    mask[i] = True
        return cls.from_mask(
            ev, mask, f"within 1..{t - 1} of a released table's cell ({len(same)} compared)"
        )
