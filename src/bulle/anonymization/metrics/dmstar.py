"""Discernibility DM* (ARX ``MetricSDDiscernability``): sum of squared class sizes, suppression
ignored. Monotonic; the value itself bounds every successor."""

from __future__ import annotations

import numpy as np

from bulle.anonymization.metrics import Metric, max_classes, register


@register
class DiscernibilityStar(Metric):
    name = "dmstar"
    title = "Monotonic discernability (DM*)"
    multi_dimensional = False
    has_dynamic_bound = True
    has_static_bound = True

    def static_bound(self, levels: np.ndarray) -> np.ndarray:
        return self.N * self.N / max_classes(self.enc, levels) * (1 - 1e-12)

    def monotonic(self, suppression: bool) -> bool:
        return True

    def value(self, res) -> float:
        s = res.grouping.size.astype(np.float64)
        return float(np.sum(s * s))

    def dynamic_bound(self, res) -> float:
        return self.value(res)
