"""t-closeness with ordered distance: (1/(m-1)) sum_i |sum_{j<=i} (p_j - q_j)| <= t.

The m values are ordered as ARX orders them by default: as strings (its default data type). Give
``order="numeric"`` to order numeric values by number instead.
"""

from __future__ import annotations

import numpy as np

from bulle.anonymization.models import ClassView, Param, register
from bulle.anonymization.models.emd import EMDTCloseness, overall_distribution

ORDERS = ("lexical", "numeric")


@register
class OrderedDistanceTCloseness(EMDTCloseness):
    name = "t-closeness-ordered"
    variant = "ordered"
    parameters = (
        Param("t", float, minimum=0),
        Param("order", str, choices=ORDERS, default="lexical"),
    )

    def __init__(self, spec, enc):
        super().__init__(spec, enc)
        col = enc.sensitive_column(self.attribute)
        counts = overall_distribution(enc, self.attribute)
        total = float(enc.n_records)
        self.q = counts / total if total > 0 else counts
        self.order = np.arange(col.size)
        if self.params.get("order", "lexical") == "numeric":
            self.order = np.array(
                sorted(range(col.size), key=lambda i: float(col.values[i])), dtype=np.int64
            )

    def _unscaled(self, view: ClassView) -> np.ndarray:
        """sum_i |sum_{j<=i} (p_j - q_j)|, summed as ARX sums it (before dividing by m - 1)."""
        hist = view.histogram(self.attribute)[:, self.order]
        size = view.size.astype(np.float64)
        m = hist.shape[1]
        with np.errstate(divide="ignore", invalid="ignore"):
            p = hist / size[:, None]
        diff = np.cumsum(p - self.q[None, self.order], axis=1)
        return np.cumsum(np.abs(diff), axis=1)[:, -1] if m else np.zeros(len(hist))

    def distance(self, view: ClassView) -> np.ndarray:
        return self._unscaled(view) / max(self.width - 1.0, 1.0)

    def check(self, view: ClassView) -> np.ndarray:
        return (self._unscaled(view) <= self.t * (self.width - 1.0)) & (view.size > 0)
