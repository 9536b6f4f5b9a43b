"""Distinct l-diversity: at least l different sensitive values in every class."""

from __future__ import annotations

from typing import Any

import numpy as np

from bulle.anonymization.models import ClassView, PrivacyModel, positive_number, register


@register
class DistinctLDiversity(PrivacyModel):
    name = "distinct-l-diversity"
    option = "--l-diversity"
    # A merged class has at least the distinct values of each part: monotonic even with suppression.
    monotonic_with_suppression = True
    monotonic_without_suppression = True

    @classmethod
    def param_problems(cls, params: dict[str, Any], full, spec) -> list[str]:
        return positive_number(params, "l", integer=True, minimum=1, strict=False)

    @property
    def l(self) -> int:  # noqa: E743 - the model's own name for it
        return int(self.params["l"])

    @property
    def min_class_size(self) -> int:
        return self.l

    def check(self, view: ClassView) -> np.ndarray:
        return np.count_nonzero(view.histogram(self.attribute), axis=1) >= self.l
