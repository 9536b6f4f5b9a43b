"""Non-uniform entropy, non-monotonic variant (ARX ``MetricMDNUNMEntropy``, its default).

The monotonic value (over all records) plus, per attribute, a penalty for suppressed records:
``sFactor * sum_y c_y log2(S / c_y)`` where S is the number of suppressed records and c_y those
whose generalized value in this attribute is y. Floored to 10 decimals. Aggregate: sum. The
monotonic part is a lower bound.
"""

from __future__ import annotations

import numpy as np

from bulle.anonymization.metrics import Metric, arx_round, per_level, register
from bulle.anonymization.metrics.entropy import entropy_tables


@register
class EntropyNonMonotonic(Metric):
    name = "entropy-nonmonotonic"
    title = "Non-monotonic non-uniform entropy"
    default_aggregate = "sum"
    has_static_bound = True

    def __init__(self, enc, gs_factor=0.5):
        super().__init__(enc, gs_factor)
        self.tables = entropy_tables(enc)

    def static_bound(self, levels: np.ndarray) -> np.ndarray:
        return arx_round(per_level(self.enc, self.tables, levels) * self.g_factor)

    def value(self, res) -> np.ndarray:
        enc = self.enc
        node = res.node
        raw = np.array([self.tables[d][node[d]] for d in range(enc.dims)]) * self.g_factor
        if res.suppressed > 0:
            rows = np.flatnonzero(res.row_suppressed())
            cnt = enc.count[rows].astype(np.float64)
            total = cnt.sum()
            for d in range(enc.dims):
                codes = enc.row_codes(d, node[d])[rows]
                c = np.bincount(codes, weights=cnt)
                c = c[c > 0]
                raw[d] += self.s_factor * float(np.sum(c * np.log2(total / c)))
        return arx_round(raw)
