"""The rule that lets a custodian mark a synthetic version as not personal data.

A synthetic version is personal data until a custodian marks it otherwise, and Bulle refuses the
mark unless its privacy report passes every check below (the thresholds are workspace settings):

* for each criterion of the Article 29 Working Party (singling out, linkability, inference),
  the **risk** (the report's best estimate of the excess success an attacker gets from the
  synthetic table over what a sample of other people gives) is at most
  ``synthesis.max_<criterion>_risk`` (0.09 for singling out and linkability, the
  re-identification threshold of the European Medicines Agency's Policy 0070 guidance; 0.2 for
  inference, the worst of one estimate per column, whose noise alone reaches 0.19 on adult for
  a differentially private table);
* for each criterion, the **upper end of its 95 % interval** is at most
  ``synthesis.max_risk_upper_bound`` (0.35 by default): the estimate must be precise enough to
  rule out a high risk, so a report on too few attacks or too few records cannot be marked;
* **exact copies**: the share of synthetic records equal to a training record exceeds the share
  of control records equal to one (the natural rate: what any sample of the same population
  shares with the training part) by at most ``synthesis.max_exact_copy_excess``.

Why two thresholds per criterion rather than one on the upper end: the upper end of the
interval mostly measures the number of attacks and how often the control attacker already
succeeds (the risk is normalised by the room left above the control rate, so an attribute most
people share, as ``race`` in adult, carries intervals of ±0.2 at 1 000 attacks). A threshold on
it alone either refuses every table (0.09 did on adult: even MST at ε = 1 reached 0.21) or is so
loose that it says nothing. The point risk carries the decision; the upper end only guards it.
The figures on adult are in docs/synthesis.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CRITERIA = ("singling_out", "linkability", "inference")
UPPER_SETTING = "synthesis.max_risk_upper_bound"
COPY_SETTING = "synthesis.max_exact_copy_excess"


def risk_setting(criterion: str) -> str:
    return f"synthesis.max_{criterion}_risk"


SETTINGS = (*(risk_setting(c) for c in CRITERIA), UPPER_SETTING, COPY_SETTING)


@dataclass(frozen=True)
class Check:
    """One figure of the report against its threshold."""

    name: str  # e.g. "inference", "inference_upper", "exact_copy_excess"
    label: str  # how the refusal message names it
    figure: float | None  # None: the report lacks it (the check fails)
    limit: float
    setting: str

    @property
    def passed(self) -> bool:
        return self.figure is not None and self.figure <= self.limit

    def explain(self) -> str:
        shown = "missing" if self.figure is None else f"{self.figure:.3f}"
        return f"{self.label} {shown} > {self.limit:.3f} (setting {self.setting})"


def _figure(value: Any) -> float | None:
    return None if value is None else float(value)


def checks(privacy: dict[str, Any], limits: dict[str, float]) -> list[Check]:
    """Every check of the rule on a report's ``privacy`` object; ``limits`` maps each of
    :data:`SETTINGS` to its value."""
    out = []
    for c in CRITERIA:
        head = privacy.get(c) or {}
        name = c.replace("_", " ")
        setting = risk_setting(c)
        point = _figure(head.get("risk"))
        out.append(Check(c, f"{name} risk", point, limits[setting], setting))
        upper = _figure((head.get("ci") or [None, None])[1])
        label = f"{name} risk's 95 % upper bound"
        out.append(Check(f"{c}_upper", label, upper, limits[UPPER_SETTING], UPPER_SETTING))
    copies, natural = privacy.get("exact_copies"), privacy.get("exact_copies_natural")
    excess = None if copies is None or natural is None else float(copies) - float(natural)
    out.append(
        Check(
            "exact_copy_excess",
            "exact copies beyond the natural rate",
            excess,
            limits[COPY_SETTING],
            COPY_SETTING,
        )
    )
    return out
