"""The zCDP accountant of the differentially private synthesizers.

The conversion must never understate δ (or overstate the ρ a budget allows): checked against the
exact (ε, δ) curve of the Gaussian mechanism, which is ρ-zCDP and so must be covered by the bound,
and against the classic looser conversion, which the bound must beat.
"""

from __future__ import annotations

import math

import pytest
from scipy.stats import norm

from bulle.synthesis.accounting import (
    cdp_delta,
    cdp_eps,
    cdp_rho,
    exponential_rho,
    gaussian_rho,
)

BUDGETS = [(0.1, 1e-6), (1.0, 1e-9), (1.0, 1e-5), (3.0, 1e-7), (10.0, 1e-5)]


def gaussian_delta(sigma: float, eps: float) -> float:
    """Exact δ(ε) of the Gaussian mechanism with sensitivity 1 (Balle and Wang, 2018)."""
    a, b = 1 / (2 * sigma), eps * sigma
    return norm.cdf(a - b) - math.exp(eps) * norm.cdf(-a - b)


@pytest.mark.parametrize(("eps", "delta"), BUDGETS)
def test_rho_round_trips_and_stays_inside_the_budget(eps, delta):
    rho = cdp_rho(eps, delta)
    assert rho > 0
    assert cdp_delta(rho, eps) <= delta
    assert cdp_eps(rho, delta) <= eps * (1 + 1e-9)
    # the largest such ρ: a little more already breaks the budget
    assert cdp_delta(rho * 1.001, eps) > delta


@pytest.mark.parametrize(("eps", "delta"), BUDGETS)
def test_conversion_covers_the_exact_gaussian_curve_and_beats_the_classic_bound(eps, delta):
    rho = cdp_rho(eps, delta)
    sigma = math.sqrt(1 / (2 * rho))  # the Gaussian mechanism that is exactly ρ-zCDP
    assert gaussian_rho(sigma) == pytest.approx(rho)
    assert gaussian_delta(sigma, eps) <= delta  # a bound that understated δ would fail here
    classic = rho + 2 * math.sqrt(rho * math.log(1 / delta))
    assert cdp_eps(rho, delta) < classic


def test_known_value_of_the_mst_default_budget():
    """ε = 1, δ = 1e-9 (MST's defaults) gives ρ ≈ 0.01497 under this conversion."""
    assert cdp_rho(1.0, 1e-9) == pytest.approx(0.014973, rel=1e-3)


def test_monotone_and_edge_cases():
    assert cdp_delta(0.0, 1.0) == 0.0
    assert cdp_delta(0.1, 0.5) > cdp_delta(0.1, 1.0) > cdp_delta(0.05, 1.0)
    assert cdp_rho(0.5, 1e-6) < cdp_rho(1.0, 1e-6) < cdp_rho(1.0, 1e-3)
    assert exponential_rho(2.0) == pytest.approx(0.5)
    for bad in [(0.0, 1e-6), (1.0, 0.0), (1.0, 1.0)]:
        with pytest.raises(ValueError):
            cdp_rho(*bad)
    with pytest.raises(ValueError):
        cdp_delta(-1.0, 1.0)
