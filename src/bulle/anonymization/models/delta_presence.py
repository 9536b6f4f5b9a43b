"""δ-presence (Nergiz et al. 2007): the share of a class's records that are in the research subset
lies in [δmin, δmax].

The counted records are the subset's; ``psize`` counts every record of the table. As in ARX, a
class with no subset record has δ = 0; such a class cannot be suppressed (there is nothing of the
subset to remove), so when δmin > 0 and no other model sets a minimal class size it makes the
whole transformation fail (see the evaluator).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bulle.anonymization.models import ClassView, Param, PrivacyModel, register


@register
class DeltaPresence(PrivacyModel):
    name = "delta-presence"
    option = "--delta-presence"
    parameters = (
        Param("dmin", float, minimum=0, maximum=1),
        Param("dmax", float, minimum=0, maximum=1),
    )
    summary = "δ-presence bounds."
    needs_attribute = False
    monotonic_with_suppression = False
    monotonic_without_suppression = False
    first = True

    @classmethod
    def param_problems(cls, params: dict[str, Any], full, spec) -> list[str]:
        """One message for both bounds (they are judged together: dmin <= dmax)."""
        problems = []
        try:
            dmin, dmax = float(params["dmin"]), float(params["dmax"])
        except (KeyError, TypeError, ValueError):
            return ["δ-presence needs numbers dmin and dmax (--delta-presence DMIN:DMAX)"]
        if not (0.0 <= dmin <= dmax <= 1.0):
            problems.append(f"δ-presence needs 0 <= dmin <= dmax <= 1, got {dmin}:{dmax}")
        if full.research_subset is None:
            problems.append("δ-presence needs a research subset (--subset SUBSET.csv)")
        return problems

    @property
    def dmin(self) -> float:
        return float(self.params["dmin"])

    @property
    def dmax(self) -> float:
        return float(self.params["dmax"])

    def check(self, view: ClassView) -> np.ndarray:
        size = view.size.astype(np.float64)
        psize = view.psize.astype(np.float64) if view.psize is not None else size
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = np.where(size > 0, size / psize, 0.0)
        return (delta >= self.dmin) & (delta <= self.dmax)
