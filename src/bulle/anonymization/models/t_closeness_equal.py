"""t-closeness with equal ground distance: EMD = 1/2 sum |p_i - q_i| <= t (Li et al. 2007).

q is the sensitive attribute's distribution over all records (over the research subset when there
is one). Computed as ARX does: (1 + sum over values present in the class of (|q_i - p_i| - q_i)) / 2.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bulle.anonymization.models import ClassView, PrivacyModel, positive_number, register

# Float slack on the threshold when bounding failures: a bound must never exceed the truth.
_SLACK = 1e-9


def emd_failing_share(model, view: ClassView) -> np.ndarray:
    """Failing share for a t-closeness model whose distance is convex in the class distribution.

    A class D split into parts C_i has EMD(D) <= sum w_i EMD(C_i) (w_i: record shares). Parts that
    pass have EMD <= t; parts that fail have at most the largest EMD of a single value of D
    (a convex function peaks at a vertex of the simplex). Hence the failing parts hold at least
    (EMD(D) - t) / (max - t) of D's records.
    """
    if model.vertex is None:
        model.vertex = model.distance(ClassView(np.ones(model.width, dtype=np.int64), None,
                                                lambda _a: np.eye(model.width)))
    hist = view.histogram(model.attribute)
    emd = model.distance(view)
    peak = np.max(np.where(hist > 0, model.vertex[None, :], 0.0), axis=1, initial=0.0)
    t = model.t
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (emd - t - _SLACK) / (peak - t)
    return np.where(peak > t, np.clip(share, 0.0, 1.0), 0.0)


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
        self.width = counts.shape[0]
        self.vertex: np.ndarray | None = None

    @classmethod
    def param_problems(cls, params: dict[str, Any], full, spec) -> list[str]:
        return positive_number(params, "t", minimum=0, strict=False)

    @property
    def t(self) -> float:
        return float(self.params["t"])

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

    def check(self, view: ClassView) -> np.ndarray:
        return (self.distance(view) <= self.t) & (view.size > 0)

    @property
    def bounds_failures(self) -> bool:
        return True

    def failing_share(self, view: ClassView) -> np.ndarray:
        return emd_failing_share(self, view)
