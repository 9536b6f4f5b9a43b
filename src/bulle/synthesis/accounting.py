"""Privacy accounting for the differentially private synthesizers: zero-concentrated DP (zCDP)
to (ε, δ)-DP and back.

MST spends a zCDP budget ρ (Bun and Steinke, 2016) because Gaussian noise and the exponential
mechanism compose additively in ρ: a histogram with L2 sensitivity 1 released with Gaussian noise
of scale σ is ``1/(2σ²)``-zCDP, an exponential mechanism with parameter ε is ``ε²/8``-zCDP. The
custodian states (ε, δ); :func:`cdp_rho` gives the largest ρ whose conversion stays within them.

The conversion is Canonne, Kamath and Steinke's (NeurIPS 2020, Proposition 12): ρ-zCDP implies
(ε, δ)-DP with ``δ = inf_{α>1} exp((α-1)(αρ-ε)) / (α-1) · (1-1/α)^α``, tighter than the classic
``ε = ρ + 2·sqrt(ρ·log(1/δ))``. The infimum is reached where the derivative of the exponent
vanishes, found by bisection; the inverse functions bisect the monotone conversion. Every
bisection keeps the side that is safe (δ never under-stated, ρ never over-stated).
"""

from __future__ import annotations

import math

ITERATIONS = 200  # bisection steps: far beyond double precision for any budget in use


def cdp_delta(rho: float, eps: float) -> float:
    """The smallest δ such that ρ-zCDP implies (ε, δ)-DP."""
    if rho < 0 or eps < 0:
        raise ValueError("ρ and ε must be non-negative")
    if rho == 0:
        return 0.0
    lo, hi = 1.01, (eps + 1) / (2 * rho) + 2
    for _ in range(ITERATIONS):
        alpha = (lo + hi) / 2
        slope = (2 * alpha - 1) * rho - eps + math.log1p(-1.0 / alpha)
        if slope < 0:
            lo = alpha
        else:
            hi = alpha
    alpha = (lo + hi) / 2
    delta = math.exp((alpha - 1) * (alpha * rho - eps) + alpha * math.log1p(-1 / alpha)) / (
        alpha - 1.0
    )
    return min(delta, 1.0)


def cdp_eps(rho: float, delta: float) -> float:
    """The smallest ε such that ρ-zCDP implies (ε, δ)-DP (rounded up, never down)."""
    if not 0 < delta <= 1:
        raise ValueError("δ must be in (0, 1]")
    if delta == 1 or rho == 0:
        return 0.0
    lo, hi = 0.0, rho + 2 * math.sqrt(rho * math.log(1 / delta))
    for _ in range(ITERATIONS):
        eps = (lo + hi) / 2
        if cdp_delta(rho, eps) <= delta:
            hi = eps
        else:
            lo = eps
    return hi


def cdp_rho(eps: float, delta: float) -> float:
    """The largest ρ such that ρ-zCDP implies (ε, δ)-DP (rounded down, never up)."""
    if eps <= 0:
        raise ValueError("ε must be positive")
    if not 0 < delta < 1:
        raise ValueError("δ must be in (0, 1)")
    lo, hi = 0.0, eps + 1
    for _ in range(ITERATIONS):
        rho = (lo + hi) / 2
        if cdp_delta(rho, eps) <= delta:
            lo = rho
        else:
            hi = rho
    return lo


def gaussian_rho(sigma: float, sensitivity: float = 1.0) -> float:
    """zCDP of the Gaussian mechanism: ``Δ² / (2σ²)``."""
    return sensitivity**2 / (2 * sigma**2)


def exponential_rho(eps: float) -> float:
    """zCDP of one exponential-mechanism selection with parameter ε: ``ε² / 8``."""
    return eps**2 / 8
