"""Discernibility DM* (ARX ``MetricSDDiscernability``): sum of squared class sizes, suppression
ignored. Monotonic; the value itself bounds every successor."""

from __future__ import annotations

import numpy as np

from bulle.anonymization.metrics import Metric, register


@register
class DiscernibilityStar(Metric):
    name = "dmstar"
    title = "Monotonic discernability (DM*)"
    multi_dimensional = False
    has_dynamic_bound = True

    def monotonic(self, suppression: bool) -> bool:
        return True

    def value(self, res) -> float:
        s = res.grouping.size.astype(np.float64)
        return float(np.sum(s * s))

    def dynamic_bound(self, res) -> float:
        return self.value(res)
