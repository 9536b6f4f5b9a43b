"""k-anonymity: every released class holds at least k records (Sweeney 2002)."""

from __future__ import annotations

from typing import Any

import numpy as np

from bulle.anonymization.models import ClassView, PrivacyModel, positive_number, register


@register
class KAnonymity(PrivacyModel):
    name = "k-anonymity"
    option = "--k"
    needs_attribute = False
    # Merging classes only grows them, and suppressed records only become fewer: safe to prune.
    monotonic_with_suppression = True
    monotonic_without_suppression = True

    @classmethod
    def param_problems(cls, params: dict[str, Any], full, spec) -> list[str]:
        return positive_number(params, "k", integer=True, minimum=1, strict=False)

    @property
    def k(self) -> int:
        return int(self.params["k"])

    @property
    def min_class_size(self) -> int:
        return self.k

    def check(self, view: ClassView) -> np.ndarray:
        return view.size >= self.k
