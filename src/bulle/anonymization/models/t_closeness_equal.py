"""t-closeness with equal ground distance: EMD = 1/2 sum |p_i - q_i| <= t (Li et al. 2007).

q is the sensitive attribute's distribution over all records (over the research subset when there
is one). Computed as ARX does: (1 + sum over values present in the class of (|q_i - p_i| - q_i)) / 2.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bulle.anonymization.models import ClassView, PrivacyModel, positive_number, register


def overall_distribution(enc, attribute: str) -> np.ndarray:
    """Counts of each sensitive value over the counted records (subset records with a subset)."""
    col = enc.sensitive_column(attribute)
    return np.bincount(col.codes, weights=enc.count, minlength=col.size)


@register
class EqualDistanceTCloseness(PrivacyModel):
    name = "t-closeness-equal"
    option = "--t-closeness"
    monotonic_with_suppression = False
    monotonic_without_suppression = True

    def __init__(self, spec, enc):
        super().__init__(spec, enc)
        counts = overall_distribution(enc, self.attribute)
        total = float(enc.n_records)
        self.q = counts / total if total > 0 else counts

    @classmethod
    def param_problems(cls, params: dict[str, Any], full, spec) -> list[str]:
        return positive_number(params, "t", minimum=0, strict=False)

    @property
    def t(self) -> float:
        return float(self.params["t"])

    def check(self, view: ClassView) -> np.ndarray:
        hist = view.histogram(self.attribute)
        size = view.size.astype(np.float64)
        terms = hist / np.maximum(size, 1.0)[:, None]
        # For a value absent from the class |q - 0| - q = 0: summing over all values is the same.
        # |q - p| - q, computed in place (the same operations, without a temporary per step).
        np.subtract(self.q[None, :], terms, out=terms)
        np.abs(terms, out=terms)
        terms -= self.q[None, :]
        val = (1.0 + terms.sum(axis=1)) / 2.0
        return (val <= self.t) & (size > 0)
