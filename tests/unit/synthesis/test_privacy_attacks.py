"""Each attack on data where the answer is known: a copy of the training part must show a high
risk, a fresh sample of the same population a risk of zero within its interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bulle.synthesis.privacy import privacy_report
from bulle.synthesis.privacy.encoding import encode
from bulle.synthesis.privacy.singling_out import (
    EQ,
    GE,
    ISNULL,
    LE,
    NE,
    NOTNULL,
    evaluate,
)
from bulle.synthesis.privacy.size_correction import gamma_successes as control_successes


@pytest.fixture
def split(people):
    return people(800, 1), people(800, 2)


def test_copy_of_training_is_high_risk_everywhere(split) -> None:
    train, control = split
    report = privacy_report(
        train, control, train.copy(), quasi_identifiers=None, sensitive=None, seed=3, n_attacks=300
    )
    d = report.to_dict()
    assert d["singling_out"]["multivariate"]["risk"] > 0.8
    assert d["singling_out"]["multivariate"]["ci"][0] > 0.7
    assert d["linkability"]["risk"] > 0.8
    # a continuous income is guessed from a copy, never from the population
    assert d["inference"]["columns"]["income"]["risk"] > 0.9
    assert d["inference"]["risk"] >= d["inference"]["columns"]["income"]["risk"]
    assert d["exact_copies"] == 1.0
    assert d["exact_copies_natural"] == 0.0
    assert d["dcr"]["synthetic_to_training_median"] == 0.0
    assert d["dcr"]["control_to_training_median"] > 0.05
    assert d["nndr"]["synthetic_median"] == 0.0


def test_fresh_sample_of_the_population_is_no_risk(split, people) -> None:
    train, control = split
    synthetic = people(800, 99)  # same population, other people: nothing learnt from training
    d = privacy_report(
        train, control, synthetic, quasi_identifiers=None, sensitive=None, seed=3, n_attacks=300
    ).to_dict()
    for head in (d["singling_out"], d["linkability"], d["inference"]):
        assert head["ci"][0] == 0.0, head
    for column in d["inference"]["columns"].values():
        assert column["ci"][0] == 0.0
    assert d["singling_out"]["multivariate"]["risk"] < 0.15
    assert d["exact_copies"] == 0.0
    ratio = d["dcr"]["synthetic_to_training_median"] / d["dcr"]["control_to_training_median"]
    assert 0.8 < ratio < 1.25


def test_a_population_rule_is_not_a_personal_risk(people) -> None:
    """The secret follows from a known column for everybody: an attacker guesses it from any
    sample, so the training success is high but so is control's, and the risk is ~0."""

    def with_rule(seed: int) -> pd.DataFrame:
        df = people(600, seed)
        df["band"] = np.where(df["age"] >= 50, "senior", "junior")
        return df

    train, control, synthetic = with_rule(1), with_rule(2), with_rule(3)
    d = privacy_report(
        train,
        control,
        synthetic,
        quasi_identifiers=["age", "sex"],
        sensitive=["band"],
        seed=0,
        n_attacks=300,
    ).to_dict()
    band = d["inference"]["columns"]["band"]
    assert band["success_rate"]["training"]["rate"] > 0.9
    assert band["success_rate"]["control"]["rate"] > 0.9
    assert band["ci"][0] == 0.0
    assert band["known"] == ["age", "sex"]


def test_inference_defaults_to_every_non_quasi_identifier(split) -> None:
    train, control = split
    d = privacy_report(
        train,
        control,
        train,
        quasi_identifiers=["age", "zip", "sex"],
        sensitive=None,
        seed=0,
        n_attacks=50,
    ).to_dict()
    assert list(d["inference"]["columns"]) == ["job", "income", "diagnosis"]
    assert d["linkability"]["groups"] == [["age", "sex"], ["zip"]]


def test_predicates_are_evaluated_as_written() -> None:
    data = np.array([[1.0, 0.0], [2.0, 1.0], [np.nan, 1.0], [4.0, 0.0]])
    cols = np.array([[0], [0], [0], [0], [1], [0]])
    ops = np.array([[LE], [GE], [ISNULL], [NOTNULL], [EQ], [NE]])
    vals = np.array([[2.0], [2.0], [np.nan], [np.nan], [1.0], [2.0]])
    got = evaluate(cols, ops, vals, data)
    assert got.tolist() == [
        [True, True, False, False],
        [False, True, False, True],
        [False, False, True, False],
        [True, True, False, True],
        [False, True, True, False],
        [True, False, False, True],  # a missing value is not "different from 2"
    ]
    both = evaluate(np.array([[0, 1]]), np.array([[GE, EQ]]), np.array([[2.0, 1.0]]), data)
    assert both.tolist() == [[False, True, False, False]]


def test_control_count_is_brought_to_the_training_size() -> None:
    """Predicates of known weights counted on a control part 4 times smaller than training:
    the estimate must be near the expected number that single out of the training size, in
    cases where that is far from the raw count on the control part and in one where not."""
    rng = np.random.default_rng(5)
    n_control, n_train = 1500, 6000
    for low, high, matters in (
        (0, 1 / 400, True),
        (0, 1 / 3000, True),
        (1 / 8000, 1 / 2000, False),
        (0, 1 / 20000, True),
        (1 / 12000, 1 / 4000, True),
    ):
        weights = rng.uniform(low, high, size=1000)
        counts = rng.binomial(n_control, weights)
        truth = np.sum(n_train * weights * (1 - weights) ** (n_train - 1))
        raw = np.sum(counts == 1)
        estimate = control_successes(counts, n_control, n_train)
        assert not matters or abs(raw - truth) > 0.3 * truth
        assert estimate == pytest.approx(truth, rel=0.2), (low, high, raw, truth)
    assert control_successes(counts, n_control, n_control) == raw
    assert control_successes(np.zeros(5), n_control, n_train) == 0.0


def test_missing_values_and_types(people) -> None:
    train = people(300, 1)
    train.loc[::7, "income"] = np.nan
    train.loc[::5, "job"] = None
    control = people(300, 2)
    enc = encode(train, control, train)
    assert enc.numeric.tolist() == [True, False, False, False, True, False]
    assert np.isnan(enc.train[0, 4]) and enc.train[0, 3] == -1.0
    d = privacy_report(
        train, control, train, quasi_identifiers=None, sensitive=None, seed=1, n_attacks=100
    ).to_dict()
    assert d["exact_copies"] == 1.0  # a missing value equals a missing value


def test_a_smaller_control_part_is_scaled_to_the_training_size(people, monkeypatch) -> None:
    """Predicates written to single out one of 3200 synthetic records match nobody in 800
    control records more often than in 3200 training records: without the correction a fresh
    sample would look like a leak. The corrected control success must be higher than the raw."""
    from bulle.synthesis.privacy import singling_out
    from bulle.synthesis.privacy.predicates import count_bits

    def coarse(n: int, seed: int):
        df = people(n, seed).drop(columns=["income"])
        return df.assign(age=df["age"] // 5)

    train, control, synthetic = coarse(3200, 1), coarse(800, 2), coarse(3200, 3)

    def multivariate():
        d = privacy_report(
            train, control, synthetic, quasi_identifiers=None, sensitive=None, seed=0, n_attacks=400
        ).to_dict()
        return d["singling_out"]["multivariate"]["success_rate"]

    corrected = multivariate()
    monkeypatch.setattr(
        singling_out,
        "control_successes",
        lambda bits, n, t, rng, model: float(np.sum(count_bits(bits, n) == 1)),
    )
    raw = multivariate()
    assert corrected["training"] == raw["training"]
    assert corrected["control"]["successes"] > 1.3 * raw["control"]["successes"]
