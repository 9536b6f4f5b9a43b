"""Precision, monotonic (ARX ``MetricMDPrecision``): ``level / height * gFactor`` per attribute,
suppression ignored. Aggregate: arithmetic mean."""

from __future__ import annotations

import numpy as np

from bulle.anonymization.metrics import Metric, register
from bulle.anonymization.metrics.precision import level_ratio


@register
class PrecisionMonotonic(Metric):
    name = "precision-monotonic"
    title = "Monotonic precision"
    default_aggregate = "arithmetic-mean"
    exact_static = True
    has_static_bound = True

    def monotonic(self, suppression: bool) -> bool:
        return True

    def static_bound(self, levels: np.ndarray) -> np.ndarray:
        return level_ratio(self.enc, levels) * self.g_factor

    def value(self, res) -> np.ndarray:
        return self.static_bound(np.array(res.node, dtype=np.float64)[None, :])[0]
