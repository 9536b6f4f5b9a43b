"""``threshold``: every published cell must stand for at least ``disclosure.threshold`` records.

Source: SACRO guidelines (minimum cell count, default 10), as ACRO's ``MinimumThresholdCheck``:
a cell counting fewer records fails, zero included. A rounded cell (a mitigation) shows only its
rounded value, so that value is what must not be a small non-zero count; a redacted or suppressed
cell shows nothing of its count. A statistic of a values column is computed from the values
present, fewer than the records when some are missing (a mean of 12 records may be the mean of 3
values; a count of a values column shows 3): ACRO judges the records only, Bulle the values present
too (stricter, on purpose: a cell fails when 1 to threshold - 1 values are behind it). Spread
statistics (std, var) are judged by ``dof`` instead, as in
ACRO.
"""

from __future__ import annotations

import numpy as np

from bulle.disclosure.evidence import SPREAD_STATS, STATE_CODES, CellState, Kind, TableEvidence
from bulle.disclosure.rules import CheckContext, Rule, RuleResult, register

TABLE_KINDS = frozenset(
    {Kind.FREQUENCY, Kind.MAGNITUDE, Kind.DESCRIPTIVE, Kind.HISTOGRAM, Kind.FIGURE}
)


@register("threshold")
class Threshold(Rule):
    source = "SACRO guidelines: minimum cell count (ACRO MinimumThresholdCheck)"
    settings = ("disclosure.threshold",)

    @classmethod
    def applies(cls, ev: TableEvidence) -> bool:
        return ev.kind in TABLE_KINDS and ev.n_cells > 0 and ev.statistic not in SPREAD_STATS

    @classmethod
    def check(cls, ev: TableEvidence, ctx: CheckContext) -> RuleResult:
        t = ctx.params["disclosure.threshold"]
        rounded = ev.state == STATE_CODES[CellState.ROUNDED]
        with np.errstate(invalid="ignore"):
            shown_small = (ev.published != 0) & (ev.published < t)  # a rounded count
            # the values a statistic was computed from (records less missing values)
            present = ev.count - ev.missing if ev.has_values else ev.count
            few_values = (present > 0) & (present < t)
            mask = (ev.exact() & ((ev.count < t) | few_values)) | (rounded & shown_small)
        return cls.from_mask(ev, mask, f"below {t} records or values")
