"""Discernibility, non-monotonic (ARX ``MetricSDNMDiscernability``, its default DM).

``sum over unsuppressed classes |E|^2 + sum over suppressed classes N |E|``. Single value. DM* (the
sum of squares over all classes) is a lower bound, valid for every successor of the node.
"""

from __future__ import annotations

import numpy as np

from bulle.anonymization.metrics import Metric, max_classes, register


@register
class Discernibility(Metric):
    name = "dm"
    title = "Non-monotonic discernability"
    multi_dimensional = False
    has_dynamic_bound = True
    has_static_bound = True

    def static_bound(self, levels: np.ndarray) -> np.ndarray:
        return self.N * self.N / max_classes(self.enc, levels) * (1 - 1e-12)

    def value(self, res) -> float:
        s = res.grouping.size.astype(np.float64)
        if res.violating is None or res.suppressed == 0:
            return float(np.sum(s * s))
        v = res.violating
        return float(np.sum(s[~v] ** 2) + self.N * np.sum(s[v]))

    def dynamic_bound(self, res) -> float:
        s = res.grouping.size.astype(np.float64)
        return float(np.sum(s * s))
