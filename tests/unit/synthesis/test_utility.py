"""Utility figures on tables whose distances are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bulle.errors import InputError
from bulle.synthesis.utility import tvd, utility_report


def with_target(n: int, seed: int) -> pd.DataFrame:
    """A target that depends on age and job, so a model learns it from the real data."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    job = rng.choice(["a", "b", "c", "d"], n)
    score = (age - 50) / 15 + np.where(job == "a", 1.5, 0) + rng.normal(0, 0.7, n)
    return pd.DataFrame(
        {
            "age": age,
            "job": job,
            "noise": rng.normal(0, 1, n),
            "outcome": np.where(score > 0, "yes", "no"),
        }
    )


def test_tvd_values() -> None:
    assert tvd(np.array([0, 0, 1, 1]), np.array([0, 0, 1, 1]), 2) == 0.0
    assert tvd(np.array([0, 0, 0, 0]), np.array([1, 1, 1, 1]), 2) == 1.0
    assert tvd(np.array([0, 1]), np.array([0, 0, 0, 1]), 2) == pytest.approx(0.25)


def test_copy_has_no_distance_and_the_same_model_score() -> None:
    train, control = with_target(2000, 1), with_target(1000, 2)
    d = utility_report(train, control, train.copy(), target="outcome", seed=4).to_dict()
    assert d["tvd_1way"] == 0.0 and d["tvd_2way"] == 0.0
    assert d["correlation_difference"] == 0.0
    assert d["columns"]["age"]["ks"] == 0.0 and d["columns"]["age"]["wasserstein"] == 0.0
    assert d["auc_synthetic"] == d["auc_real"]
    assert d["auc_real"] > 0.85
    assert d["tvd_1way_natural"] > 0.0  # two real samples differ: the yardstick


def test_independent_columns_keep_marginals_and_lose_pairs() -> None:
    """Each column shuffled on its own: one-way distances stay at sampling noise, two-way
    distances and associations break, and the target can no longer be predicted."""
    train, control = with_target(3000, 1), with_target(1500, 2)
    rng = np.random.default_rng(0)
    shuffled = pd.DataFrame({c: rng.permutation(train[c].to_numpy()) for c in train.columns})
    d = utility_report(train, control, shuffled, target="outcome", seed=4).to_dict()
    assert d["tvd_1way"] == 0.0  # a permutation keeps every marginal exactly
    assert d["tvd_2way"] > 1.3 * d["tvd_2way_natural"]
    assert d["correlation_difference"] > 3 * d["correlation_difference_natural"]
    assert d["worst_pair"] in (["age", "outcome"], ["job", "outcome"])
    assert abs(d["auc_synthetic"] - 0.5) < 0.06
    assert d["auc_real"] > 0.85


def test_shifted_numbers_show_in_ks_and_wasserstein() -> None:
    train, control = with_target(1000, 1), with_target(1000, 2)
    shifted = train.assign(age=train["age"] + 10)
    col = utility_report(train, control, shifted, target=None, seed=0).to_dict()["columns"]["age"]
    assert col["ks"] > 0.1
    assert col["wasserstein"] == pytest.approx(
        10 / (train["age"].max() - train["age"].min()), rel=1e-6
    )
    assert col["tvd"] > 0.1


def test_single_class_synthetic_scores_as_chance() -> None:
    train, control = with_target(1000, 1), with_target(500, 2)
    d = utility_report(
        train, control, train.assign(outcome="no"), target="outcome", seed=0
    ).to_dict()
    assert d["auc_synthetic"] == 0.5


def test_numeric_target_with_many_values_is_a_regression() -> None:
    train, control = with_target(1500, 1), with_target(800, 2)
    d = utility_report(train, control, train, target="age", seed=0).to_dict()
    assert d["task"] == "regression"
    assert d["r2_synthetic"] == d["r2_real"] and d["r2_real"] > 0.3


def test_multiclass_target() -> None:
    train, control = with_target(1500, 1), with_target(800, 2)
    d = utility_report(train, control, train, target="job", seed=0).to_dict()
    assert d["task"] == "classification" and 0.5 < d["auc_real"] <= 1.0


def test_bad_targets() -> None:
    train, control = with_target(200, 1), with_target(200, 2)
    with pytest.raises(InputError, match="no column named 'salary'"):
        utility_report(train, control, train, target="salary", seed=0)
    with pytest.raises(InputError, match="single value in the training part"):
        one = train.assign(outcome="no")
        utility_report(one, control, one, target="outcome", seed=0)
    with pytest.raises(InputError, match="only column"):
        utility_report(train[["age"]], control[["age"]], train[["age"]], target="age", seed=0)


def test_a_synthetic_target_without_values_scores_as_chance() -> None:
    """A synthesizer may leave the target missing everywhere (MST drops categories too rare to
    release): the synthetic model has nothing to learn and scores 0.5, the real one as usual."""
    rng = np.random.default_rng(0)
    n = 600
    x = rng.normal(size=n)
    real = pd.DataFrame({"x": x, "y": np.where(x + rng.normal(0, 0.5, n) > 0, "a", "b")})
    synthetic = real.assign(y=None)
    d = utility_report(real[:400], real[400:], synthetic[:400], target="y", seed=0).to_dict()
    assert d["auc_synthetic"] == 0.5 and d["auc_real"] > 0.8
