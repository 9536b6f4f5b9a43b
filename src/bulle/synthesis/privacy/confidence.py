"""Success rates with Wilson score intervals, and the risk an attack measures beyond control.

Giomi et al. (PETS 2023) turn each attack into a count of successes out of a number of attempts
against three targets: records of the training part (which the synthesizer saw), records of the
control part (which it never saw) and a naive attacker who guesses at random. A success rate is
estimated with the Wilson score interval (robust near 0 and 1, where privacy figures live); the
*risk* is the excess of the training success over the control success, normalised by the room
left above control::

    risk = (main - control) / (1 - control)

with its error propagated from both rates. Control success is what anybody learns from the
population the data comes from; only the excess is what the synthetic data gives away about the
people it was made from. The risk and its interval are clipped to [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

CONFIDENCE = 0.95  # the paper's level; a convention of the report, not a custodian's threshold


@dataclass(frozen=True)
class Rate:
    """A success rate: ``successes`` out of ``attempts``, Wilson centre and half-width."""

    successes: float
    attempts: int
    value: float
    error: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "successes": _round(self.successes),
            "attempts": self.attempts,
            "rate": _round(self.value),
            "ci": [
                _round(max(0.0, self.value - self.error)),
                _round(min(1.0, self.value + self.error)),
            ],
        }


def _round(x: float) -> float:
    return float(round(float(x), 6))


def z_value(confidence: float = CONFIDENCE) -> float:
    return NormalDist().inv_cdf(0.5 * (1.0 + confidence))


def wilson(successes: float, attempts: int, confidence: float = CONFIDENCE) -> Rate:
    """Wilson score estimate of a Bernoulli rate (centre and half-width of the interval)."""
    if attempts <= 0:
        return Rate(successes, 0, 0.0, 1.0)
    s = min(max(float(successes), 0.0), float(attempts))
    z = z_value(confidence)
    z2 = z * z
    denom = attempts + z2
    centre = (s + 0.5 * z2) / denom
    half = (z / denom) * math.sqrt(s * (attempts - s) / attempts + 0.25 * z2)
    return Rate(successes, attempts, centre, half)


@dataclass(frozen=True)
class AttackResult:
    """One attack: its three success rates and the risk it measures, with its interval."""

    attempts: int
    main: Rate
    control: Rate
    baseline: Rate
    risk: float
    ci: tuple[float, float]
    predicates: int | None = None  # singling out: predicates the attacker managed to write

    @property
    def weaker_than_baseline(self) -> bool:
        """The paper's warning: an attack no better than guessing says nothing about risk."""
        return self.main.value <= self.baseline.value

    def to_dict(self) -> dict[str, Any]:
        return {
            "risk": _round(self.risk),
            "ci": [_round(self.ci[0]), _round(self.ci[1])],
            "attempts": self.attempts,
            "success_rate": {
                "training": self.main.to_dict(),
                "control": self.control.to_dict(),
                "baseline": self.baseline.to_dict(),
            },
            "weaker_than_baseline": self.weaker_than_baseline,
        } | ({} if self.predicates is None else {"predicates": self.predicates})


def attack_result(
    main_successes: float,
    control_successes: float,
    baseline_successes: float,
    attempts: int,
    *,
    control_attempts: int | None = None,
    baseline_attempts: int | None = None,
    confidence: float = CONFIDENCE,
    predicates: int | None = None,
    control_scale: float = 1.0,
    control_model_error: float = 0.0,
) -> AttackResult:
    """``control_scale`` > 1 when the control count was scaled up from a smaller count: its
    variance grows with the factor, so its error is widened by the square root of it.
    ``control_model_error`` is the relative standard error of a control count that a model
    brought to another size; its share is added (in quadrature) to the control rate's error."""
    main = wilson(main_successes, attempts, confidence)
    control = wilson(
        control_successes, attempts if control_attempts is None else control_attempts, confidence
    )
    if control_scale > 1.0 or control_model_error > 0:
        widened = control.error * math.sqrt(max(control_scale, 1.0))
        model = z_value(confidence) * control_model_error * control.value
        control = Rate(
            control.successes, control.attempts, control.value, math.hypot(widened, model)
        )
    baseline = wilson(
        baseline_successes,
        attempts if baseline_attempts is None else baseline_attempts,
        confidence,
    )
    risk, ci = residual_risk(main, control)
    return AttackResult(attempts, main, control, baseline, risk, ci, predicates)


def residual_risk(main: Rate, control: Rate) -> tuple[float, tuple[float, float]]:
    """``(main - control) / (1 - control)`` and its interval, clipped to [0, 1]."""
    room = 1.0 - control.value
    if room <= 0:  # the control attack always succeeds: no excess can be measured
        return 0.0, (0.0, 1.0)
    value = (main.value - control.value) / room
    d_main = 1.0 / room
    d_control = (main.value - 1.0) / room**2
    error = math.sqrt((main.error * d_main) ** 2 + (control.error * d_control) ** 2)
    clip = lambda x: min(max(x, 0.0), 1.0)  # noqa: E731
    return clip(value), (clip(value - error), clip(value + error))


def worst_case(results: dict[str, AttackResult]) -> tuple[str, dict[str, Any]]:
    """The worst case over several attacks (or columns): each figure is the maximum over them.

    The risk is the highest risk, the interval runs from the highest lower bound to the highest
    upper bound: the true worst risk is at least every attack's and, at the interval's level,
    no attack's risk exceeds the upper end. Also names the attack with the highest risk (the
    highest upper bound, then the name, breaking ties).
    """
    name = max(results, key=lambda k: (results[k].risk, results[k].ci[1], k))
    head = {
        "risk": _round(max(r.risk for r in results.values())),
        "ci": [
            _round(max(r.ci[0] for r in results.values())),
            _round(max(r.ci[1] for r in results.values())),
        ],
    }
    return name, head
