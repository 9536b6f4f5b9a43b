"""Precision, non-monotonic (ARX ``MetricMDNMPrecision``, its default; Sweeney 2002).

Per attribute: ``(U * (level / height) * gFactor + S * sFactor) / N`` with U unsuppressed and S
suppressed records (height 0 gives 0). Aggregate: arithmetic mean. Each record costs at least
``min(gFactor level/height, sFactor)``, a bound that never decreases along the lattice.
"""

from __future__ import annotations

import numpy as np

from bulle.anonymization.metrics import Metric, register


def level_ratio(enc, levels: np.ndarray) -> np.ndarray:
    h = enc.heights.astype(np.float64)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(h > 0, levels / h, 0.0)


@register
class Precision(Metric):
    name = "precision"
    title = "Non-monotonic precision"
    default_aggregate = "arithmetic-mean"
    has_static_bound = True

    def static_bound(self, levels: np.ndarray) -> np.ndarray:
        return np.minimum(level_ratio(self.enc, levels) * self.g_factor, self.s_factor)

    def value(self, res) -> np.ndarray:
        ratio = level_ratio(self.enc, np.array(res.node, dtype=np.float64)[None, :])[0]
        s = float(res.suppressed)
        u = self.N - s
        if self.N == 0:
            return np.zeros_like(ratio)
        return (u * ratio * self.g_factor + s * self.s_factor) / self.N
