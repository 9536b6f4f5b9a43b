"""Privacy models judged on classes whose outcome is computed by hand."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from bulle.anonymization.encoding import COUNT, SUBSET_COUNT
from bulle.anonymization.hierarchy import Hierarchy
from bulle.anonymization.models.entropy_l_diversity import grassberger_g
from bulle.anonymization.service import anonymize_frequencies, loss_at
from bulle.anonymization.spec import AnonymizationSpec, ModelSpec
from bulle.errors import ValidationError

# QI "g" with a single level-1 value per group; sensitive "s".
H_G = Hierarchy.from_rows([["g1", "*"], ["g2", "*"]], name="g")
H_S = Hierarchy.from_rows(
    [["a", "ab", "*"], ["b", "ab", "*"], ["c", "cd", "*"], ["d", "cd", "*"]], name="s"
)


def table(rows: list[tuple[str, str]], subset: list[tuple[str, str]] | None = None) -> pa.Table:
    counts = Counter(rows)
    keys = sorted(counts)
    data = {
        "g": pa.array([k[0] for k in keys], pa.string()),
        "s": pa.array([k[1] for k in keys], pa.string()),
        COUNT: pa.array([counts[k] for k in keys], pa.int64()),
    }
    if subset is not None:
        sub = Counter(subset)
        data[SUBSET_COUNT] = pa.array([sub.get(k, 0) for k in keys], pa.int64())
    return pa.table(data)


def judge(rows, models, level=0, suppression=0.0, subset_rows=None):
    spec = AnonymizationSpec(
        quasi_identifiers=("g",),
        hierarchies={"g": H_G, "s": H_S},
        models=tuple(models),
        sensitive=("s",),
        suppression_limit=suppression,
        metric="dmstar",
        research_subset=None if subset_rows is None else "subset.csv",
    )
    anonymous, _, suppressed = loss_at(table(rows, subset_rows), spec, [level])
    return anonymous, suppressed


def rows_of(group: str, values: str) -> list[tuple[str, str]]:
    return [(group, v) for v in values]


def test_k_anonymity():
    rows = rows_of("g1", "aab") + rows_of("g2", "cd")
    k3 = [ModelSpec("k-anonymity", None, {"k": 3})]
    assert judge(rows, k3) == (False, 2)
    assert judge(rows, k3, suppression=0.4) == (True, 2)
    assert judge(rows, k3, level=1) == (True, 0)


def test_distinct_l_diversity():
    rows = rows_of("g1", "aaab") + rows_of("g2", "ccc")
    m = [ModelSpec("distinct-l-diversity", "s", {"l": 2})]
    assert judge(rows, m) == (False, 3)
    assert judge(rows, m, level=1) == (True, 0)


def test_entropy_l_diversity_shannon():
    # g1: a,a,b,b -> entropy ln 2 (passes l = 2); g2: c,c,c,d -> 0.562 < ln 2 (fails)
    rows = rows_of("g1", "aabb") + rows_of("g2", "cccd")
    m = [ModelSpec("entropy-l-diversity", "s", {"l": 2, "estimator": "shannon"})]
    assert judge(rows, m) == (False, 4)
    h = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert h < math.log(2)


def test_entropy_l_diversity_grassberger_accepts_more():
    # Grassberger's estimator corrects the finite-sample bias: c,c,c,d passes l = 2 with it.
    rows = rows_of("g1", "cccd")
    shannon = [ModelSpec("entropy-l-diversity", "s", {"l": 2, "estimator": "shannon"})]
    grass = [ModelSpec("entropy-l-diversity", "s", {"l": 2, "estimator": "grassberger"})]
    n = 4
    g = grassberger_g(np.array([n, 3, 1]))
    estimate = g[0] - (3 * g[1] + 1 * g[2]) / n
    assert (estimate >= math.log(2)) == judge(rows, grass)[0]
    assert judge(rows, shannon)[0] is False


def test_grassberger_values_match_arx():
    g = grassberger_g(np.array([1, 2, 3, 4, 100, 101]))
    assert g[0] == pytest.approx(-1.2703628454614782, abs=1e-15)
    assert g[1] == pytest.approx(0.7296371545385218, abs=1e-15)
    assert g[2] == g[1]
    assert g[3] == pytest.approx(1.3963038212051886, abs=1e-15)
    assert g[4] == pytest.approx(4.605186851488337, abs=1e-14)
    m = 1 / (50 * 50)
    assert g[5] == pytest.approx(math.log(100) + m * (1 / 24 - m * (7 / 960 - m * 31 / 8064)))


def test_recursive_cl_diversity():
    rows = rows_of("g1", "aaabc")  # r = 3, 1, 1
    assert (
        judge(rows, [ModelSpec("recursive-cl-diversity", "s", {"c": 2, "l": 2})])[0] is True
    )  # 3 < 2*(1+1)
    assert (
        judge(rows, [ModelSpec("recursive-cl-diversity", "s", {"c": 1.5, "l": 2})])[0] is False
    )  # 3 < 3 fails
    assert (
        judge(rows, [ModelSpec("recursive-cl-diversity", "s", {"c": 9, "l": 4})])[0] is False
    )  # 3 values < 4


def test_t_closeness_equal_distance():
    # overall: a .5, c .5; g1 = all a: EMD = 0.5; g2 = all c: EMD 0.5
    rows = rows_of("g1", "aa") + rows_of("g2", "cc")
    assert judge(rows, [ModelSpec("t-closeness-equal", "s", {"t": 0.5})])[0] is True
    assert judge(rows, [ModelSpec("t-closeness-equal", "s", {"t": 0.49})])[0] is False
    assert judge(rows, [ModelSpec("t-closeness-equal", "s", {"t": 0.0})], level=1)[0] is True


def test_t_closeness_ordered_distance():
    # values a < c (2 values, m - 1 = 1); g1 all a: cumulative |1 - .5| + |0| = .5
    rows = rows_of("g1", "aa") + rows_of("g2", "cc")
    assert judge(rows, [ModelSpec("t-closeness-ordered", "s", {"t": 0.5})])[0] is True
    assert judge(rows, [ModelSpec("t-closeness-ordered", "s", {"t": 0.4})])[0] is False


def test_t_closeness_hierarchical_distance():
    # overall a .5, b .5 (both under "ab"); class g1 = a,a: the mass moves inside "ab" (level 1
    # of height 2): cost = 1/2 * 0.5 = 0.25. Class with a,c: overall a,b,c,c ...
    rows = rows_of("g1", "aa") + rows_of("g2", "bb")
    assert judge(rows, [ModelSpec("t-closeness-hierarchical", "s", {"t": 0.25})])[0] is True
    assert judge(rows, [ModelSpec("t-closeness-hierarchical", "s", {"t": 0.24})])[0] is False
    # Mass moving across the top: overall a .5, c .5; class all a -> cost 1 * 0.5
    rows = rows_of("g1", "aa") + rows_of("g2", "cc")
    assert judge(rows, [ModelSpec("t-closeness-hierarchical", "s", {"t": 0.5})])[0] is True
    assert judge(rows, [ModelSpec("t-closeness-hierarchical", "s", {"t": 0.49})])[0] is False


def test_delta_presence_and_unsuppressible_classes():
    rows = rows_of("g1", "aaaa") + rows_of("g2", "cc")
    subset = rows_of("g1", "a")  # g1: 1 of 4 in the subset; g2: none
    dp = [ModelSpec("delta-presence", None, {"dmin": 0.2, "dmax": 0.3})]
    # g2 has no subset record and delta 0 < dmin: cannot be suppressed, so no solution at level 0
    assert judge(rows, dp, subset_rows=subset, suppression=1.0) == (False, 0)
    # With k-anonymity, ARX checks the minimal class size first: g2 simply fails k (not δ).
    both = [*dp, ModelSpec("k-anonymity", None, {"k": 1})]
    assert judge(rows, both, subset_rows=subset, suppression=0.0) == (True, 0)
    # At the top: 1 of 6 = 0.167 < 0.2: the only class fails and is suppressed
    assert judge(rows, dp, level=1, subset_rows=subset, suppression=1.0) == (True, 1)


def test_spec_reports_every_problem_at_once():
    with pytest.raises(ValidationError) as err:
        AnonymizationSpec(
            quasi_identifiers=("g", "x"),
            hierarchies={"g": H_G},
            models=(
                ModelSpec("k-anonymity", None, {"k": 0}),
                ModelSpec("distinct-l-diversity", "zz", {"l": 2}),
                ModelSpec("delta-presence", None, {"dmin": 0.5, "dmax": 0.1}),
            ),
            suppression_limit=2.0,
            metric="nope",
            gs_factor=-1,
            weights={"q": -1},
        )
    messages = " | ".join(p.message for p in err.value.problems)
    for fragment in (
        "'x' has no hierarchy",
        "k must be >= 1",
        "'zz'",
        "dmin <= dmax",
        "research subset",
        "suppression limit",
        "unknown metric",
        "gs-factor",
        "weight of 'q'",
    ):
        assert fragment in messages


def test_no_solution_is_reported():
    rows = rows_of("g1", "a")
    spec = AnonymizationSpec(
        quasi_identifiers=("g",),
        hierarchies={"g": H_G},
        models=(ModelSpec("k-anonymity", None, {"k": 5}),),
        sensitive=("s",),
    )
    result = anonymize_frequencies(table(rows), spec)
    assert result.anonymous is False and result.transformation is None
