"""t-closeness with equal ground distance: EMD = 1/2 sum |p_i - q_i| <= t (Li et al. 2007).

q is the sensitive attribute's distribution over all records (over the research subset when there
is one). Computed as ARX does: (1 + sum over values present in the class of (|q_i - p_i| - q_i)) / 2.
"""

from __future__ import annotations

import numpy as np

from bulle.anonymization.models import ClassView, register
from bulle.anonymization.models.emd import EMDTCloseness, overall_distribution


@register
class EqualDistanceTCloseness(EMDTCloseness):
    name = "t-closeness-equal"
    variant = "equal"

    def __init__(self, spec, enc):
        super().__init__(spec, enc)
        counts = overall_distribution(enc, self.attribute)
        total = float(enc.n_records)
        self.q = counts / total if total > 0 else counts

    def distance(self, view: ClassView) -> np.ndarray:
        hist = view.histogram(self.attribute)
        size = view.size.astype(np.float64)
        terms = hist / np.maximum(size, 1.0)[:, None]
        # For a value absent from the class |q - 0| - q = 0: summing over all values is the same.
        # |q - p| - q, computed in place (the same operations, without a temporary per step).
        np.subtract(self.q[None, :], terms, out=terms)
        np.abs(terms, out=terms)
        terms -= self.q[None, :]
        return (1.0 + terms.sum(axis=1)) / 2.0
