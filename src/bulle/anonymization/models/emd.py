"""What the three t-closeness models share: the overall distribution, the threshold, the check,
and the bound on failing records that lets the search prune for them (failure certificates).

Each model (one per file) only says how it measures the Earth Mover's Distance between a class's
distribution of the sensitive attribute and the overall one.
"""

from __future__ import annotations

import numpy as np

from bulle.anonymization.models import ClassView, Param, PrivacyModel

# Float slack on the threshold when bounding failures: a bound must never exceed the truth.
_SLACK = 1e-9


def overall_distribution(enc, attribute: str) -> np.ndarray:
    """Counts of each sensitive value over the counted records (subset records with a subset)."""
    col = enc.sensitive_column(attribute)
    return np.bincount(col.codes, weights=enc.count, minlength=col.size)


class EMDTCloseness(PrivacyModel):
    """A class passes when its EMD to the overall distribution is at most t."""

    option = "--t-closeness"
    parameters: tuple[Param, ...] = (Param("t", float, minimum=0),)
    monotonic_with_suppression = False
    monotonic_without_suppression = True

    def __init__(self, spec, enc):
        super().__init__(spec, enc)
        self.width = enc.sensitive_column(self.attribute).size
        self._vertex: np.ndarray | None = None

    @property
    def t(self) -> float:
        return float(self.params["t"])

    def distance(self, view: ClassView) -> np.ndarray:
        """EMD of every class (normalized to [0, 1])."""
        raise NotImplementedError

    def check(self, view: ClassView) -> np.ndarray:
        return (self.distance(view) <= self.t) & (view.size > 0)

    @property
    def bounds_failures(self) -> bool:
        return True

    def failing_share(self, view: ClassView) -> np.ndarray:
        """A class D split into parts C_i has EMD(D) <= sum w_i EMD(C_i) (w_i: record shares: the
        EMD is convex in the distribution). Parts that pass have EMD <= t; parts that fail at most
        the largest EMD of a single value of D (a convex function peaks at a vertex of the
        simplex). Hence the failing parts hold at least (EMD(D) - t) / (max - t) of D's records."""
        if self._vertex is None:
            self._vertex = self.distance(
                ClassView(np.ones(self.width, dtype=np.int64), None, lambda _a: np.eye(self.width))
            )
        hist = view.histogram(self.attribute)
        emd = self.distance(view)
        peak = np.max(np.where(hist > 0, self._vertex[None, :], 0.0), axis=1, initial=0.0)
        t = self.t
        with np.errstate(divide="ignore", invalid="ignore"):
            share = (emd - t - _SLACK) / (peak - t)
        return np.where(peak > t, np.clip(share, 0.0, 1.0), 0.0)
