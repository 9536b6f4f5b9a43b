"""Height (ARX ``MetricMDHeight``): the generalization level of each attribute, summed."""

from __future__ import annotations

import numpy as np

from bulle.anonymization.metrics import Metric, register


@register
class Height(Metric):
    name = "height"
    title = "Height"
    default_aggregate = "sum"
    exact_static = True
    has_static_bound = True

    def monotonic(self, suppression: bool) -> bool:
        return True

    def static_bound(self, levels: np.ndarray) -> np.ndarray:
        return np.asarray(levels, dtype=np.float64)

    def value(self, res) -> np.ndarray:
        return np.array(res.node, dtype=np.float64)
