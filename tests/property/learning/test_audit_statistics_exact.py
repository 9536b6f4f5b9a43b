"""TPR at a fixed FPR is the best any strict threshold achieves within the budget, and the ROC
statistics agree with a brute-force count over every threshold."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from bulle.learning.audit.statistics import auc_delong, tpr_at_fpr

scores = st.lists(st.integers(-20, 20).map(float), min_size=1, max_size=60)  # small: many ties


@given(pos=scores, neg=scores, budget=st.sampled_from([0.001, 0.01, 0.05, 0.2, 0.5]))
def test_tpr_at_fpr_is_the_best_strict_threshold_within_the_budget(pos, neg, budget):
    p, n = np.array(pos), np.array(neg)
    allowed = math.floor(budget * len(n) + 1e-9)
    best = 0
    for t in [-math.inf, *n, *p]:
        if np.count_nonzero(n > t) <= allowed:
            best = max(best, int(np.count_nonzero(p > t)))
    point = tpr_at_fpr(p, n, budget)
    assert point.true_positives == best
    assert point.false_positives <= allowed and point.fpr <= budget
    assert point.ci[0] <= point.tpr <= point.ci[1]


@given(pos=scores, neg=scores)
def test_auc_is_the_share_of_member_non_member_pairs_ordered_right(pos, neg):
    p, n = np.array(pos)[:, None], np.array(neg)[None, :]
    pairs = (np.count_nonzero(p > n) + 0.5 * np.count_nonzero(p == n)) / (p.size * n.size)
    auc, (lo, hi) = auc_delong(np.array(pos), np.array(neg))
    assert math.isclose(auc, pairs, abs_tol=1e-12) and lo <= auc <= hi
