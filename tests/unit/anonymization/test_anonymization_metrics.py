"""ARX's quality metrics on tables small enough to compute by hand."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from bulle.anonymization.encoding import COUNT
from bulle.anonymization.hierarchy import Hierarchy
from bulle.anonymization.metrics import arx_round, gs_factors
from bulle.anonymization.metrics.aggregate import Aggregate, normalized_weights
from bulle.anonymization.service import loss_at
from bulle.anonymization.spec import AnonymizationSpec, ModelSpec

# One QI "a": leaves x, y -> A; z -> B; top *. Data: x, x, y, z (N = 4, |D| = 3).
H_A = Hierarchy.from_rows([["x", "A", "*"], ["y", "A", "*"], ["z", "B", "*"]], name="a")
ROWS = ["x", "x", "y", "z"]


def table(values: list[str]) -> pa.Table:
    counts = Counter(values)
    keys = sorted(counts)
    return pa.table(
        {"a": pa.array(keys, pa.string()), COUNT: pa.array([counts[k] for k in keys], pa.int64())}
    )


def spec(metric: str, k: int = 2, suppression: float = 1.0, **kw) -> AnonymizationSpec:
    return AnonymizationSpec(
        quasi_identifiers=("a",),
        hierarchies={"a": H_A},
        models=(ModelSpec("k-anonymity", None, {"k": k}),),
        suppression_limit=suppression,
        metric=metric,
        **kw,
    )


def at(metric: str, level: int, **kw):
    return loss_at(table(ROWS), spec(metric, **kw), [level])


def test_loss_without_suppression():
    # shares: A = 2/3, B = 1/3; raw = 2(2/3) + 2/3 + 1/3 = 7/3; (7/3 - 4/3) / (4 - 4/3) = 3/8
    anonymous, loss, suppressed = at("loss", 1, k=1)
    assert anonymous and suppressed == 0
    assert loss == pytest.approx(0.375, rel=1e-12)


def test_loss_counts_a_suppressed_record_as_one():
    # level 0, k = 2: y and z are suppressed; raw = 2(1/3) + 1 + 1 = 8/3 -> (8/3 - 4/3) / (8/3)
    anonymous, loss, suppressed = at("loss", 0)
    assert anonymous and suppressed == 2
    assert loss == pytest.approx(0.5, rel=1e-12)


def test_loss_with_a_suppression_factor_below_one():
    # gs = 0.25: sFactor = 0.5, gFactor = 1; suppressed record costs share + 0.5 (1 - share)
    _, loss, _ = at("loss", 0, gs_factor=0.25)
    raw = 2 * (1 / 3) + 2 * (1 / 3 + 0.5 * (2 / 3))
    assert loss == pytest.approx((raw - 4 / 3) / (4 - 4 / 3), rel=1e-12)


def test_discernibility_and_dm_star():
    assert at("dm", 0)[1] == 2 * 2 + 4 * 1 + 4 * 1
    assert at("dmstar", 0)[1] == 4 + 1 + 1
    assert at("dm", 1)[1] == 3 * 3 + 4 * 1  # class B (z) is suppressed at level 1 as well


def test_aecs_counts_suppressed_records_as_one_class():
    assert at("aecs", 0)[1] == pytest.approx(4 / 2)
    assert at("aecs", 2)[1] == pytest.approx(4 / 1)


def test_entropy_monotonic_ignores_suppression():
    expected = -(2 * math.log2(2 / 3) + math.log2(1 / 3))
    assert at("entropy", 1)[1] == pytest.approx(float(arx_round(expected)), rel=1e-12)
    assert at("entropy", 0)[1] == 0.0


def test_entropy_nonmonotonic_penalizes_suppressed_records():
    # level 0: y and z suppressed (S = 2), each alone in its value: 1 log2(2) + 1 log2(2)
    assert at("entropy-nonmonotonic", 0)[1] == pytest.approx(2.0)


def test_precision_variants_and_height():
    assert at("precision", 0)[1] == pytest.approx((2 * 0 + 2 * 1) / 4)
    assert at("precision", 1)[1] == pytest.approx((3 * 0.5 + 1 * 1) / 4)
    assert at("precision-monotonic", 1)[1] == pytest.approx(0.5)
    assert at("height", 2)[1] == 2


def test_loss_is_floored_to_ten_decimals():
    assert float(arx_round(0.12345678919999)) == 0.1234567891
    assert float(arx_round(1 / 3)) == 0.3333333333


def test_gs_factors_follow_arx():
    assert gs_factors(0.5) == (1.0, 1.0)
    assert gs_factors(0.0) == (1.0, 0.0)
    assert gs_factors(1.0) == (0.0, 1.0)
    g, s = gs_factors(0.66)
    assert g == pytest.approx(0.68) and s == 1.0


def test_aggregates():
    w = normalized_weights(["a", "b", "c"], {})
    assert w.tolist() == [1.0, 1.0, 1.0]
    v = np.array([0.1, 0.4, 0.2])
    assert Aggregate("sum", w).score(v)[0] == pytest.approx(0.7)
    assert Aggregate("arithmetic-mean", w).score(v)[0] == pytest.approx(0.7 / 3)
    assert Aggregate("max", w).score(v)[0] == pytest.approx(0.4)
    assert Aggregate("geometric-mean", w).score(v)[0] == pytest.approx(
        (1.1 * 1.4 * 1.2) ** (1 / 3) - 1
    )
    assert Aggregate("rank", w).report(Aggregate("rank", w).score(v)) == [0.4, 0.2, 0.1]


def test_weights_are_divided_by_the_largest():
    w = normalized_weights(["a", "b", "c"], {"a": 1.0, "b": 4.0})
    assert w.tolist() == [0.25, 1.0, 0.125]  # c keeps ARX's default weight 0.5
    v = np.array([0.4, 0.1, 0.8])
    assert Aggregate("rank", w).report(Aggregate("rank", w).score(v)) == pytest.approx(
        [0.1, 0.1, 0.1]
    )
