"""MST spends exactly the budget it records, and its noise scales follow from it."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from bulle.errors import InputError
from bulle.synthesis.accounting import cdp_delta, cdp_rho
from bulle.synthesis.base import make
from bulle.synthesis.mst_domain import grid_cells


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
    # half of δ pays for the released domain, the rest and ε for ρ
    assert acc["delta_domain"] == pytest.approx(delta / 2)
    rho = cdp_rho(eps, delta / 2)
    assert acc["rho_budget"] == pytest.approx(rho)
    assert acc["rho_spent"] <= rho * (1 + 1e-12)
    assert acc["rho_spent"] == pytest.approx(rho)
    assert acc["epsilon_spent"] <= eps * (1 + 1e-9)
    assert cdp_delta(acc["rho_spent"], eps) + delta / 2 <= delta * (1 + 1e-9)
    # one numeric column's range takes a tenth of ρ
    assert acc["rho_ranges"] == pytest.approx(0.1 * rho)
    assert acc["sigma_ranges"] == pytest.approx(math.sqrt(1 / (2 * 0.1 * rho)))
    # the thirds of the rest: d one-way marginals, d-1 selections, d-1 two-way marginals
    rest = 0.9 * rho
    assert acc["sigma_one_way"] == pytest.approx(math.sqrt(3 * d / (2 * rest)))
    assert acc["sigma_two_way"] == pytest.approx(math.sqrt(3 * (d - 1) / (2 * rest)))
    assert acc["epsilon_selection"] == pytest.approx(math.sqrt(8 * (rest / 3) / (d - 1)))
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
    "bad",
    [
        {"epsilon": 0},
        {"epsilon": -1},
        {"delta": 1},
        {"bins": 0},
        {"epsilon": "x"},
        {"domain_share": 0},
        {"domain_share": 1},
    ],
)
def test_bad_parameters_are_input_errors(bad):
    with pytest.raises(InputError):
        make("mst", **bad)


def test_rare_categories_and_extreme_values_are_not_released():
    """A category held by one person never appears (its records come out as missing values),
    nor does a number far outside the crowd: the range is the released cells of the grid."""
    data = frame(3000)
    data.loc[0, "c"] = "only-one"
    data.loc[1, "age"] = 117
    s = make("mst", epsilon=1.0).fit(data, 2)
    out = s.sample(3000, 2)
    acc = s.info()["accounting"]
    assert "only-one" not in set(out["c"].dropna())
    assert acc["categories_kept"]["c"] == 2
    low, high = acc["ranges"]["age"]
    assert (low, high) == (20.0, 80.0) and out["age"].max() <= 80
    threshold = 1 + acc["sigma_one_way"] * NormalDist().inv_cdf(1 - acc["delta_domain"] / 4)
    assert acc["category_threshold"] == pytest.approx(threshold)
    assert "domain" in s.info()["guarantee"] and "included" in s.info()["guarantee"]


def test_the_grid_does_not_depend_on_the_data():
    x = np.array([0.0, 0.25, 7.25, 17.0, 19.9, 99.0, 104.0, 52_340.0, -3.0])
    low, high = grid_cells(x)
    assert np.allclose(low, [0.0, 0.2, 7.0, 10.0, 10.0, 90.0, 100.0, 50_000.0, -4.0])
    assert np.allclose(high - low, [0.0, 0.1, 1.0, 10.0, 10.0, 10.0, 100.0, 10_000.0, 1.0])


def test_a_category_under_the_threshold_is_drawn_as_missing():
    """The records of unreleased categories form one bucket, drawn as a missing value."""
    rng = np.random.default_rng(0)
    n = 4000
    town = rng.choice(["big", "mid"], n).astype(object)
    town[:60] = [f"village{i}" for i in range(60)]  # sixty people, each alone in their village
    data = pd.DataFrame({"town": town, "x": rng.choice(["a", "b"], n)})
    out = make("mst", epsilon=2.0).fit(data, 1).sample(n, 1)
    assert set(out["town"].dropna()) <= {"big", "mid"}
    assert 0 < out["town"].isna().sum() < 0.05 * n
