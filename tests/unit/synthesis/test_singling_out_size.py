"""The two models that bring singling-out successes on the control part to the training size."""

from __future__ import annotations

import numpy as np
import pytest

from bulle.errors import InputError
from bulle.synthesis.privacy import privacy_report
from bulle.synthesis.privacy.size_correction import (
    control_successes,
    fit_weight,
    singling_integral,
)


def _bits(counts_rows: list[np.ndarray], n: int) -> np.ndarray:
    mask = np.zeros((len(counts_rows), n), dtype=bool)
    for i, rows in enumerate(counts_rows):
        mask[i, rows] = True
    return np.packbits(mask, axis=1)


def test_paper_curve_recovers_its_own_model() -> None:
    """Weights spread evenly over [0, w]: the paper's assumption. The gamma model must find the
    expected count at the training size, far from the raw count on the control part; the
    paper's curve, fitted between 1 000 and 1 500 records and extrapolated to 6 000, must move
    the count towards it (621 for 494 here; the gamma model 588)."""
    rng = np.random.default_rng(3)
    n_control, n_train = 1500, 6000
    weights = rng.uniform(0, 1 / 1000, size=3000)
    rows = [np.flatnonzero(rng.random(n_control) < w) for w in weights]
    bits = _bits(rows, n_control)
    raw = sum(len(r) == 1 for r in rows)
    truth = float(np.sum(n_train * weights * (1 - weights) ** (n_train - 1)))
    gamma = control_successes(bits, n_control, n_train, np.random.default_rng(0), "gamma")
    paper = control_successes(bits, n_control, n_train, np.random.default_rng(0), "paper")
    assert abs(raw - truth) > 0.3 * truth
    assert gamma == pytest.approx(truth, rel=0.2)
    assert abs(paper - truth) < 0.5 * abs(raw - truth)
    # equal sizes: nothing to correct
    same = control_successes(bits, n_control, n_control, np.random.default_rng(0), "paper")
    assert same == raw


def test_fit_finds_the_weight_of_exact_curves() -> None:
    sizes = np.repeat(np.linspace(1000, 6000, 10), 5)
    for w in (1e-5, 3e-4, 2e-3):
        assert fit_weight(sizes, 400 * singling_integral(sizes, w)) == pytest.approx(w, rel=1e-3)


def test_unknown_size_model_is_bad_input(people) -> None:
    t, c = people(50, 1), people(50, 2)
    with pytest.raises(InputError, match="size model 'curve'"):
        privacy_report(t, c, t, quasi_identifiers=None, sensitive=None, seed=0, size_model="curve")


def test_both_models_leave_the_training_success_alone(people) -> None:
    train, control, synthetic = people(1200, 1), people(300, 2), people(1200, 3)
    got = {
        m: privacy_report(
            train,
            control,
            synthetic,
            quasi_identifiers=None,
            sensitive=None,
            seed=0,
            n_attacks=200,
            size_model=m,
        ).to_dict()["singling_out"]["multivariate"]["success_rate"]
        for m in ("gamma", "paper")
    }
    assert got["gamma"]["training"] == got["paper"]["training"]
    assert got["gamma"]["control"]["successes"] != got["paper"]["control"]["successes"]
