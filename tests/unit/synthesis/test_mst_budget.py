"""MST spends exactly the budget it records, and its noise scales follow from it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from bulle.errors import InputError
from bulle.synthesis.accounting import cdp_delta, cdp_rho
from bulle.synthesis.base import make


def frame(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.choice(["x", "y", "z"], n)
    b = np.where(a == "x", rng.choice(["p", "q"], n, p=[0.9, 0.1]), rng.choice(["p", "q"], n))
    return pd.DataFrame(
        {"a": a, "b": b, "age": rng.integers(20, 80, n), "c": rng.choice(["u", "v"], n)}
    )


@pytest.mark.parametrize(("eps", "delta"), [(0.5, 1e-9), (1.0, 1e-6), (8.0, 1e-5)])
def test_budget_is_honoured(eps, delta):
    s = make("mst", epsilon=eps, delta=delta).fit(frame(), 1)
    acc = s.info()["accounting"]
    d = 4
    rho = cdp_rho(eps, delta)
    assert acc["rho_budget"] == pytest.approx(rho)
    assert acc["rho_spent"] <= rho * (1 + 1e-12)
    assert acc["epsilon_spent"] <= eps * (1 + 1e-9)
    assert cdp_delta(acc["rho_spent"], eps) <= delta * (1 + 1e-9)
    # the thirds of the budget: d one-way marginals, d-1 selections, d-1 two-way marginals
    assert acc["sigma_one_way"] == pytest.approx(math.sqrt(3 * d / (2 * rho)))
    assert acc["sigma_two_way"] == pytest.approx(math.sqrt(3 * (d - 1) / (2 * rho)))
    assert acc["epsilon_selection"] == pytest.approx(math.sqrt(8 * (rho / 3) / (d - 1)))
    assert len(acc["tree"]) == d - 1


def test_more_budget_means_closer_marginals():
    """The noise is real: at ε = 0.05 the marginal of a skewed column is further off than at 50."""
    data = frame(4000)

    def error(eps):
        out = make("mst", epsilon=eps).fit(data, 3).sample(4000, 3)
        real = data["a"].value_counts(normalize=True)
        synth = out["a"].value_counts(normalize=True).reindex(real.index, fill_value=0)
        return float((real - synth).abs().sum())

    assert error(50.0) < 0.05
    assert error(0.01) > error(50.0)


def test_strong_pair_is_chosen_at_a_large_budget():
    """The selection step finds the dependent pair (a, b) when the budget allows."""
    s = make("mst", epsilon=50.0).fit(frame(), 5)
    assert ["a", "b"] in s.info()["accounting"]["tree"] or ["b", "a"] in s.info()["accounting"][
        "tree"
    ]


@pytest.mark.parametrize(
    "bad", [{"epsilon": 0}, {"epsilon": -1}, {"delta": 1}, {"bins": 0}, {"epsilon": "x"}]
)
def test_bad_parameters_are_input_errors(bad):
    with pytest.raises(InputError):
        make("mst", **bad)
