"""Distinct l-diversity: at least l different sensitive values in every class."""

from __future__ import annotations

import numpy as np

from bulle.anonymization.models import ClassView, Param, PrivacyModel, register


@register
class DistinctLDiversity(PrivacyModel):
    name = "distinct-l-diversity"
    option = "--l-diversity"
    variant = "distinct"
    parameters = (Param("l", int, minimum=1),)
    # A merged class has at least the distinct values of each part: monotonic even with suppression.
    monotonic_with_suppression = True
    monotonic_without_suppression = True

    @property
    def l(self) -> int:  # noqa: E743 - the model's own name for it
        return int(self.params["l"])

    @property
    def min_class_size(self) -> int:
        return self.l

    def check(self, view: ClassView) -> np.ndarray:
        return np.count_nonzero(view.histogram(self.attribute), axis=1) >= self.l
