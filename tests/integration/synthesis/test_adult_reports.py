"""Reports on adult (30 162 records) within the ranges docs/synthesis_report.md documents, for
reference synthetic tables whose privacy is known:

* a copy of the training part, the worst synthesizer there is;
* other people of the same population (records of adult that are in neither the training nor the
  control part): nothing about the training part can leak, every risk must be 0 within its
  interval;
* every column sampled on its own from the training part: utility collapses for pairs and for a
  model, while the marginals (rare values included) stay.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bulle.synthesis.privacy import privacy_report
from bulle.synthesis.utility import utility_report

N_ATTACKS = 300  # the fast run; the benchmark uses the setting's default


@pytest.fixture(scope="module")
def adult(arx_data) -> pd.DataFrame:
    df = pd.read_csv(arx_data / "adult.csv", sep=";")
    return df.iloc[np.random.default_rng(0).permutation(len(df))].reset_index(drop=True)


def report(train, control, synthetic) -> dict:
    return privacy_report(
        train,
        control,
        synthetic,
        quasi_identifiers=None,
        sensitive=None,
        seed=0,
        n_attacks=N_ATTACKS,
    ).to_dict()


def test_copy_of_adult(adult) -> None:
    cut = int(0.8 * len(adult))
    train, control = adult.iloc[:cut], adult.iloc[cut:]
    p = report(train, control, train)
    assert p["singling_out"]["risk"] > 0.9
    assert p["inference"]["risk"] > 0.6
    assert p["exact_copies"] == 1.0
    assert 0.40 < p["exact_copies_natural"] < 0.55  # adult's records are far from unique
    assert p["dcr"]["synthetic_to_training_median"] == 0.0


@pytest.mark.slow
def test_other_people_of_adult_are_no_risk(adult) -> None:
    """80 / 20 split; the synthetic table is other people. Singling out carries the noise of
    bringing the control count to the training size: its risk stays under 0.1 (0 to 0.05
    measured over seeds) rather than exactly 0."""
    train, control, others = adult.iloc[:12000], adult.iloc[12000:15000], adult.iloc[15000:27000]
    p = privacy_report(
        train, control, others, quasi_identifiers=None, sensitive=None, seed=0, n_attacks=1000
    ).to_dict()
    for head in (p["linkability"], p["inference"]):
        assert head["ci"][0] == 0.0, head
    assert p["singling_out"]["risk"] < 0.1
    assert p["singling_out"]["ci"][0] < 0.02
    assert p["inference"]["risk"] < 0.1
    assert abs(p["exact_copies"] - p["exact_copies_natural"]) < 0.1


def test_independent_columns_of_adult(adult) -> None:
    cut = int(0.8 * len(adult))
    train, control = adult.iloc[:cut], adult.iloc[cut:]
    rng = np.random.default_rng(1)
    independent = pd.DataFrame(
        {c: rng.choice(train[c].to_numpy(), len(train)) for c in train.columns}
    )
    u = utility_report(train, control, independent, target="salary-class", seed=0).to_dict()
    assert 0.87 < u["auc_real"] < 0.91  # the reference: 0.891
    assert u["auc_synthetic"] < 0.6
    assert u["tvd_1way"] < 0.02
    assert u["tvd_2way"] > 2 * u["tvd_2way_natural"]
    assert u["correlation_difference"] > 3 * u["correlation_difference_natural"]
