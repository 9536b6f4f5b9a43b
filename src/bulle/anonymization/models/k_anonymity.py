"""k-anonymity: every released class holds at least k records (Sweeney 2002)."""

from __future__ import annotations

import numpy as np

from bulle.anonymization.models import ClassView, Param, PrivacyModel, register


@register
class KAnonymity(PrivacyModel):
    name = "k-anonymity"
    option = "--k"
    parameters = (Param("k", int, minimum=1),)
    summary = "k-anonymity."
    needs_attribute = False
    # Merging classes only grows them, and suppressed records only become fewer: safe to prune.
    monotonic_with_suppression = True
    monotonic_without_suppression = True

    @property
    def k(self) -> int:
        return int(self.params["k"])

    @property
    def min_class_size(self) -> int:
        return self.k

    def check(self, view: ClassView) -> np.ndarray:
        return view.size >= self.k
