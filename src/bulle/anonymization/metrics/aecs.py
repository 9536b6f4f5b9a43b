"""Average equivalence class size (ARX ``MetricSDAECS``).

``N / (unsuppressed classes * a + (b if any record is suppressed))``: all suppressed records count
as one extra class. ARX swaps its factors here on purpose: a = its suppression factor, b = its
generalization factor (both 1 with the default gs-factor). ``N / (C a + b)``, with C all classes
holding counted records, is a lower bound for the node and all its successors (C only shrinks).
"""

from __future__ import annotations

import numpy as np

from bulle.anonymization.metrics import Metric, max_classes, register


@register
class AECS(Metric):
    name = "aecs"
    title = "Average equivalence class size"
    multi_dimensional = False
    has_dynamic_bound = True
    has_static_bound = True

    def static_bound(self, levels: np.ndarray) -> np.ndarray:
        return (
            self.N / (max_classes(self.enc, levels) * self.s_factor + self.g_factor) * (1 - 1e-12)
        )

    def value(self, res) -> float:
        a, b = self.s_factor, self.g_factor
        size = res.grouping.size
        counted = size > 0
        if res.violating is not None:
            kept = int(np.count_nonzero(counted & ~res.violating))
            any_suppressed = bool(np.any(res.violating))
        else:
            kept, any_suppressed = int(np.count_nonzero(counted)), False
        groups = kept * a + (b if any_suppressed else 0.0)
        return self.N / groups if groups else float("inf")

    def dynamic_bound(self, res) -> float:
        a, b = self.s_factor, self.g_factor
        classes = int(np.count_nonzero(res.grouping.size > 0))
        return self.N / (classes * a + b)
