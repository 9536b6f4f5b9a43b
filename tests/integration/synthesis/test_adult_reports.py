"""Reports on adult (30 162 records, 80 / 20 split) within the ranges docs/synthesis_report.md
documents, for two reference synthetic tables whose privacy is known: a copy of the training part
(the worst synthesizer there is) and independent per-column samples (no record survives, no
relation between columns either)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bulle.synthesis.privacy import privacy_report
from bulle.synthesis.utility import utility_report

N_ATTACKS = 300  # the fast run; the benchmark uses the setting's default


@pytest.fixture(scope="module")
def adult_split(arx_data):
    df = pd.read_csv(arx_data / "adult.csv", sep=";")
    order = np.random.default_rng(0).permutation(len(df))
    cut = int(0.8 * len(df))
    train = df.iloc[order[:cut]].reset_index(drop=True)
    control = df.iloc[order[cut:]].reset_index(drop=True)
    rng = np.random.default_rng(1)
    independent = pd.DataFrame(
        {c: rng.choice(train[c].to_numpy(), len(train)) for c in train.columns}
    )
    return train, control, independent


def test_copy_of_adult(adult_split) -> None:
    train, control, _ = adult_split
    p = privacy_report(
        train, control, train, quasi_identifiers=None, sensitive=None, seed=0, n_attacks=N_ATTACKS
    ).to_dict()
    assert p["singling_out"]["risk"] > 0.9
    assert p["inference"]["risk"] > 0.6
    assert p["exact_copies"] == 1.0
    assert 0.40 < p["exact_copies_natural"] < 0.55  # adult's records are far from unique
    assert p["dcr"]["synthetic_to_training_median"] == 0.0


def test_independent_columns_of_adult(adult_split) -> None:
    train, control, independent = adult_split
    p = privacy_report(
        train,
        control,
        independent,
        quasi_identifiers=None,
        sensitive=None,
        seed=0,
        n_attacks=N_ATTACKS,
    ).to_dict()
    assert p["singling_out"]["multivariate"]["risk"] < 0.1
    assert p["linkability"]["risk"] < 0.05
    assert p["inference"]["risk"] < 0.2
    for head in (p["singling_out"]["multivariate"], p["linkability"], p["inference"]):
        assert head["ci"][0] == 0.0
    assert 0.1 < p["exact_copies"] < 0.3
    u = utility_report(train, control, independent, target="salary-class", seed=0).to_dict()
    assert 0.87 < u["auc_real"] < 0.91  # the reference: 0.891
    assert u["auc_synthetic"] < 0.6
    assert u["tvd_1way"] < 0.02
    assert u["tvd_2way"] > 2 * u["tvd_2way_natural"]
