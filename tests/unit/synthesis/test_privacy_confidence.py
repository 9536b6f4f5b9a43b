"""Wilson intervals and the residual risk of Giomi et al.: exact values and coverage."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from bulle.synthesis.privacy.confidence import (
    attack_result,
    residual_risk,
    wilson,
    worst_case,
)


@pytest.mark.parametrize(("k", "n"), [(0, 500), (3, 500), (250, 500), (499, 500), (7, 20)])
def test_wilson_interval_is_scipys(k: int, n: int) -> None:
    rate = wilson(k, n)
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert rate.value - rate.error == pytest.approx(ci.low, abs=1e-9)
    assert rate.value + rate.error == pytest.approx(ci.high, abs=1e-9)


def test_residual_risk_is_excess_over_control_normalised() -> None:
    main, control = wilson(800, 1000), wilson(200, 1000)
    risk, (low, high) = residual_risk(main, control)
    assert risk == pytest.approx((main.value - control.value) / (1 - control.value))
    assert 0.70 < low < risk < high < 0.80
    # control doing better than training is no risk, and never a negative one
    assert residual_risk(wilson(100, 1000), wilson(300, 1000))[0] == 0.0


def test_worst_case_is_the_maximum_of_each_figure() -> None:
    low = attack_result(100, 100, 0, 1000)  # risk 0
    high = attack_result(900, 100, 0, 1000)  # risk about 0.89
    wide = attack_result(18, 3, 0, 20)  # risk about 0.79, a wide interval
    name, head = worst_case({"a": low, "b": high, "c": wide})
    assert name == "b"
    assert head["risk"] == pytest.approx(high.risk, abs=1e-6)
    assert head["ci"] == [pytest.approx(high.ci[0], abs=1e-6), pytest.approx(wide.ci[1], abs=1e-6)]
    assert wide.ci[1] > high.ci[1]  # the upper end comes from another attack than the risk
    assert worst_case({"a": low})[1]["ci"] == [0.0, pytest.approx(low.ci[1], abs=1e-6)]


def test_intervals_cover_the_true_risk() -> None:
    """Attacks with known success probabilities: the 95 % interval holds the true risk in
    about 95 % of trials (a point estimate alone or a too narrow interval would fail)."""
    rng = np.random.default_rng(7)
    for p_main, p_control in ((0.6, 0.2), (0.3, 0.3), (0.1, 0.02)):
        truth = max(0.0, (p_main - p_control) / (1 - p_control))
        hits = 0
        trials = 400
        for _ in range(trials):
            m = rng.binomial(500, p_main)
            c = rng.binomial(500, p_control)
            r = attack_result(m, c, 0, 500)
            hits += r.ci[0] <= truth <= r.ci[1]
        assert hits / trials >= 0.92, (p_main, p_control, hits / trials)


def test_a_modelled_control_count_widens_the_interval_by_its_error() -> None:
    from bulle.synthesis.privacy.confidence import attack_result, wilson, z_value

    plain = attack_result(300, 200, 10, 1000)
    modelled = attack_result(300, 200, 10, 1000, control_model_error=0.1)
    assert modelled.risk == plain.risk
    expected = (wilson(200, 1000).error ** 2 + (z_value() * 0.1 * plain.control.value) ** 2) ** 0.5
    assert modelled.control.error == pytest.approx(expected)
    assert modelled.ci[0] < plain.ci[0] and modelled.ci[1] > plain.ci[1]
