"""The attack's statistics on constructed scores: exact TPR/FPR, AUC, and the CIs' coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from bulle.learning.audit.statistics import (
    attack_figures,
    auc_delong,
    clopper_pearson,
    roc_curve_log,
    tpr_at_fpr,
)


def test_tpr_at_fpr_flags_at_most_the_budget_of_non_members_and_counts_members_above():
    neg = np.arange(1000, dtype=float)  # 0..999: 1 % is 10 non-members, 0.1 % is one
    pos = np.array([998.5, 995.0, 990.5, 989.5, 500.0, 10.0])
    one = tpr_at_fpr(pos, neg, 0.01)
    assert one.threshold == 989.0  # 990..999 flagged: exactly ten
    assert (one.false_positives, one.true_positives) == (10, 4)
    assert one.tpr == pytest.approx(4 / 6) and one.fpr == pytest.approx(0.01)
    low = tpr_at_fpr(pos, neg, 0.001)
    assert low.threshold == 998.0 and (low.false_positives, low.true_positives) == (1, 1)


def test_ties_at_the_threshold_flag_fewer_non_members_never_more():
    neg = np.array([5.0] * 50 + [0.0] * 950)
    pos = np.array([5.0, 6.0, 7.0])
    p = tpr_at_fpr(pos, neg, 0.01)
    assert p.false_positives == 0 and p.true_positives == 2  # a score equal to 5 is not above
    assert p.fpr <= 0.01


def test_a_perfect_attack_and_a_budget_of_everyone():
    p = tpr_at_fpr(np.array([10.0, 11.0]), np.array([1.0, 2.0, 3.0]), 0.001)
    assert p.tpr == 1.0 and p.false_positives == 0
    everyone = tpr_at_fpr(np.array([0.0]), np.array([1.0, 2.0]), 1.0)
    assert everyone.tpr == 1.0 and everyone.fpr == 1.0


def test_clopper_pearson_matches_scipy_exact_interval_and_is_closed_at_the_edges():
    for k, n in [(0, 10), (3, 10), (10, 10), (15, 15000), (104, 2000)]:
        ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
        assert clopper_pearson(k, n) == pytest.approx((ref.low, ref.high), abs=1e-12)
    assert clopper_pearson(0, 7)[0] == 0.0 and clopper_pearson(7, 7)[1] == 1.0
    with pytest.raises(ValueError):
        clopper_pearson(3, 2)


def test_auc_is_mann_whitney_with_half_ties_like_scikit_learn():
    rng = np.random.default_rng(3)
    pos = np.round(rng.normal(0.5, 1, 300), 1)  # rounded: many ties
    neg = np.round(rng.normal(0, 1, 500), 1)
    auc, (lo, hi) = auc_delong(pos, neg)
    labels = np.r_[np.ones(300), np.zeros(500)]
    assert auc == pytest.approx(roc_auc_score(labels, np.r_[pos, neg]), abs=1e-12)
    assert lo < auc < hi


def test_clopper_pearson_covers_the_true_tpr_at_the_threshold_at_least_95_percent():
    """Members ~ N(d, 1), non-members ~ N(0, 1): the true TPR at a threshold t is 1 - Phi(t - d)."""
    rng = np.random.default_rng(11)
    d, trials, covered = 2.0, 400, 0
    for _ in range(trials):
        pos, neg = rng.normal(d, 1, 2000), rng.normal(0, 1, 2000)
        p = tpr_at_fpr(pos, neg, 0.01)
        truth = stats.norm.sf(p.threshold - d)
        covered += p.ci[0] <= truth <= p.ci[1]
    assert covered / trials >= 0.93  # exact intervals: nominal 95 %, Monte Carlo slack 2 points


def test_delong_interval_covers_the_true_auc_about_95_percent():
    rng = np.random.default_rng(12)
    d, trials, covered = 0.6, 400, 0
    truth = stats.norm.cdf(d / math.sqrt(2))
    for _ in range(trials):
        _, (lo, hi) = auc_delong(rng.normal(d, 1, 300), rng.normal(0, 1, 400))
        covered += lo <= truth <= hi
    assert 0.92 <= covered / trials <= 0.98


def test_roc_curve_points_agree_with_tpr_at_fpr_and_end_at_one():
    rng = np.random.default_rng(5)
    pos, neg = rng.normal(1, 1, 700), rng.normal(0, 1, 1500)
    fpr, tpr = roc_curve_log(pos, neg)
    assert fpr[-1] == tpr[-1] == 1.0
    assert list(fpr) == sorted(fpr) and list(tpr) == sorted(tpr)
    assert fpr[0] <= 1 / 1500
    for f, t in zip(fpr[:-1], tpr[:-1], strict=True):
        assert tpr_at_fpr(pos, neg, f).tpr >= t  # the curve never claims more than the best point


def test_attack_figures_refuses_scores_without_both_groups_or_not_finite():
    with pytest.raises(ValueError, match="member and one non-member"):
        attack_figures(np.array([1.0, 2.0]), np.array([True, True]))
    with pytest.raises(ValueError, match="finite"):
        attack_figures(np.array([1.0, np.nan]), np.array([True, False]))
    figs = attack_figures(np.array([3.0, 2.0, 1.0, 0.0]), np.array([True, True, False, False]))
    assert (
        figs.auc == 1.0 and figs.tpr_at_0_1pct_fpr == 1.0 and figs.to_dict()["ci"]["level"] == 0.95
    )
