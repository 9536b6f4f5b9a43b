"""Random small tables: reports are deterministic for a seed and every figure stays in range."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from bulle.synthesis.privacy import privacy_report
from bulle.synthesis.utility import utility_report


@st.composite
def splits(draw):
    """Train, control and synthetic tables over the same columns: integers (some missing),
    short categories (some missing) and a binary target, of a few to a hundred rows."""
    n_cols = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    sizes = [draw(st.integers(3, 100)) for _ in range(3)]
    kinds = [draw(st.sampled_from(["int", "cat", "float"])) for _ in range(n_cols)]
    missing = draw(st.floats(0, 0.3))

    def table(n: int) -> pd.DataFrame:
        cols = {}
        for j, kind in enumerate(kinds):
            if kind == "int":
                v = pd.Series(rng.integers(0, 6, n), dtype="Int64")
            elif kind == "float":
                v = pd.Series(rng.normal(0, 1, n))
            else:
                v = pd.Series(rng.choice(["a", "b", "c", "d"], n), dtype=object)
            v[rng.random(n) < missing] = None
            cols[f"c{j}"] = v
        cols["y"] = rng.choice(["no", "yes"], n)
        return pd.DataFrame(cols)

    return table(sizes[0]), table(sizes[1]), table(sizes[2])


def in_unit(x: float) -> bool:
    return 0.0 <= x <= 1.0 and not math.isnan(x)


def check_head(head: dict) -> None:
    assert in_unit(head["risk"])
    low, high = head["ci"]
    assert in_unit(low) and in_unit(high)
    assert low <= head["risk"] <= high


@settings(max_examples=20, deadline=None)
@given(splits(), st.integers(-(2**40), 2**40))
def test_privacy_report_is_deterministic_and_bounded(split, seed) -> None:
    train, control, synthetic = split
    args = dict(quasi_identifiers=None, sensitive=None, seed=seed, n_attacks=30)
    first = privacy_report(train, control, synthetic, **args).to_dict()
    again = privacy_report(train.copy(), control.copy(), synthetic.copy(), **args).to_dict()
    assert first == again
    assert json.loads(json.dumps(first, allow_nan=False)) == first
    for head in (first["singling_out"], first["linkability"], first["inference"]):
        check_head(head)
    for detail in (
        first["singling_out"]["univariate"],
        first["singling_out"]["multivariate"],
        *first["inference"]["columns"].values(),
    ):
        check_head(detail)
    assert set(first["inference"]["columns"]) == set(train.columns)
    assert in_unit(first["exact_copies"]) and in_unit(first["exact_copies_natural"])
    assert first["dcr"]["synthetic_to_training_median"] >= 0.0
    # the worst case: every figure the maximum over the details
    for head, details in (
        (first["inference"], list(first["inference"]["columns"].values())),
        (
            first["singling_out"],
            [first["singling_out"]["univariate"], first["singling_out"]["multivariate"]],
        ),
    ):
        assert head["risk"] == max(d["risk"] for d in details)
        assert head["ci"] == [max(d["ci"][0] for d in details), max(d["ci"][1] for d in details)]
    assert (
        first["inference"]["columns"][first["inference"]["worst_column"]]["risk"]
        == (first["inference"]["risk"])
    )
    for mode in ("univariate", "multivariate"):
        detail = first["singling_out"][mode]
        assert detail["attempts"] == 30 and 0 <= detail["predicates"] <= 30


@settings(max_examples=8, deadline=None)
@given(splits(), st.integers(0, 2**31))
def test_utility_report_is_deterministic_and_bounded(split, seed) -> None:
    train, control, synthetic = split
    if train["y"].nunique() < 2 or control["y"].nunique() < 2:
        target = None
    else:
        target = "y"
    first = utility_report(train, control, synthetic, target=target, seed=seed).to_dict()
    again = utility_report(train, control, synthetic, target=target, seed=seed).to_dict()
    assert first == again
    assert json.loads(json.dumps(first, allow_nan=False)) == first
    for key in ("tvd_1way", "tvd_2way", "tvd_1way_natural"):
        assert in_unit(first[key]), key
    # Pearson's r is signed (V and the correlation ratio are not): a pair can differ by 2
    assert 0.0 <= first["correlation_difference"] <= 2.0
    if target:
        assert in_unit(first["auc_synthetic"]) and in_unit(first["auc_real"])
