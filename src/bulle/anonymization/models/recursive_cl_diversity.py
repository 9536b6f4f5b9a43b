"""Recursive-(c,l)-diversity: the most frequent value is rarer than c times the l-th and later ones.

With frequencies sorted r_1 >= ... >= r_m, a class needs m >= l and r_1 < c (r_l + ... + r_m).
"""

from __future__ import annotations

import numpy as np

from bulle.anonymization.models import ClassView, Param, PrivacyModel, register


@register
class RecursiveCLDiversity(PrivacyModel):
    name = "recursive-cl-diversity"
    option = "--l-diversity"
    variant = "recursive"
    parameters = (Param("c", float, minimum=0, strict=True), Param("l", int, minimum=1))
    monotonic_with_suppression = False
    monotonic_without_suppression = True

    @property
    def c(self) -> float:
        return float(self.params["c"])

    @property
    def l(self) -> int:  # noqa: E743
        return int(self.params["l"])

    @property
    def min_class_size(self) -> int:
        return self.l

    def check(self, view: ClassView) -> np.ndarray:
        hist = view.histogram(self.attribute)
        distinct = np.count_nonzero(hist, axis=1)
        ordered = -np.sort(-hist, axis=1)  # descending frequencies
        tail = (
            ordered[:, self.l - 1 :].sum(axis=1)
            if self.l - 1 < hist.shape[1]
            else np.zeros(len(hist))
        )
        return (distinct >= self.l) & (ordered[:, 0] < self.c * tail)

    @property
    def bounds_failures(self) -> bool:
        return True

    def failing_share(self, view: ClassView) -> np.ndarray:
        """With f(C) = c (r_l + ... + r_m) - r_1 (a class passes iff f > 0), f is superadditive over
        the parts of a split class D (the tail only grows and r_1 only shrinks when parts merge), and
        a failing part C_i has f >= -|C_i|. Hence the failing parts hold at least -f(D) records."""
        hist = view.histogram(self.attribute).astype(np.float64)
        n = hist.sum(axis=1)
        ordered = -np.sort(-hist, axis=1)
        tail = (
            ordered[:, self.l - 1 :].sum(axis=1)
            if self.l - 1 < hist.shape[1]
            else np.zeros(len(hist))
        )
        deficit = ordered[:, 0] - self.c * tail - 1e-9 * n
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n > 0, np.clip(deficit / n, 0.0, 1.0), 0.0)
