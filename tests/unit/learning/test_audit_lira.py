"""Offline LiRA on pipelines whose leak is known: one that memorises, one that learns nothing."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bulle.errors import InputError
from bulle.learning.audit import membership_audit, release_decision
from bulle.settings import defaults

N = 400
X = pd.DataFrame({"a": np.arange(N) % 7, "b": np.arange(N) % 11})
Y = (np.arange(N) * 7919 % 13 < 6).astype(int)


def memorising_fit(Xs: pd.DataFrame, ys: np.ndarray, seed: int):
    """Sure of the label of every row it saw, a coin with a little noise on the others."""
    seen = set(Xs.index)

    def predict(Z: pd.DataFrame) -> np.ndarray:
        noise = np.random.default_rng(seed).normal(0, 0.05, len(Z))
        p = np.clip(0.5 + noise, 0.01, 0.99)
        inside = np.fromiter((i in seen for i in Z.index), bool, len(Z))
        return np.where(inside, np.where(Y[Z.index] == 1, 0.97, 0.03), p)

    return predict


def base_rate_fit(Xs: pd.DataFrame, ys: np.ndarray, seed: int):
    """Predicts the overall share of class 1 for everyone: nothing about a row can leak."""
    rate = float(Y.mean())  # the population's rate, not the sample's: identical in every model
    return lambda Z: np.full(len(Z), rate)


class Recorder:
    """A memorising fit that keeps which rows and seed each call trained on."""

    def __init__(self):
        self.calls: list[tuple[frozenset[int], int, np.ndarray]] = []

    def __call__(self, Xs, ys, seed):
        inner = memorising_fit(Xs, ys, seed)

        def predict(Z):
            p = inner(Z)
            self.calls.append((frozenset(Xs.index), seed, p))
            return p

        assert np.array_equal(ys, Y[Xs.index])  # labels travel with their rows
        return predict


def test_a_memorising_pipeline_is_found_and_blocked():
    audit = membership_audit(X, Y, fit=memorising_fit, reference_fit=None, n_shadows=16, seed=1)
    assert audit.auc > 0.99 and audit.tpr_at_0_1pct_fpr > 0.9
    decision = release_decision(audit, defaults())
    assert not decision.released and len(decision.reasons) == 2


def test_a_pipeline_that_learns_nothing_is_released_and_scores_zero():
    audit = membership_audit(X, Y, fit=base_rate_fit, reference_fit=None, n_shadows=16, seed=1)
    assert np.all(audit.target.scores == 0)
    assert audit.auc == 0.5 and audit.tpr_at_0_1pct_fpr == 0 and audit.tpr_at_1pct_fpr == 0
    assert release_decision(audit, defaults()).released


def test_each_record_is_in_exactly_half_the_shadows_and_the_target_trains_on_the_members():
    rec = Recorder()
    audit = membership_audit(X, Y, fit=rec, reference_fit=None, n_shadows=6, seed=4)
    assert len(rec.calls) == 7
    shadows, target = rec.calls[:6], rec.calls[6]
    times_in = np.zeros(N, int)
    for rows, _, _ in shadows:
        times_in[list(rows)] += 1
    assert np.all(times_in == 3)
    assert target[0] == frozenset(np.flatnonzero(audit.members))
    assert int(audit.members.sum()) == N // 2
    assert len({seed for _, seed, _ in rec.calls}) == 7


def test_scores_are_the_target_confidence_against_the_out_shadows_with_one_variance():
    rec = Recorder()
    audit = membership_audit(X, Y, fit=rec, reference_fit=None, n_shadows=8, seed=2)

    def phi(p):
        q = np.clip(np.where(Y == 1, p, 1 - p), 1e-12, 1 - 1e-12)
        return np.log(q / (1 - q))

    conf = np.array([phi(p) for _, _, p in rec.calls[:8]])
    out = np.array([[i not in rows for i in range(N)] for rows, _, _ in rec.calls[:8]])
    mean = np.array([conf[out[:, i], i].mean() for i in range(N)])
    resid = np.concatenate([conf[out[:, i], i] - mean[i] for i in range(N)])
    sigma = np.sqrt((resid**2).sum() / (len(resid) - N))
    expected = (phi(rec.calls[8][2]) - mean) / sigma
    assert np.allclose(audit.target.scores, expected)
    r = audit.record(5)
    assert r.score == pytest.approx(expected[5]) and r.p_value == pytest.approx(
        stats.norm.sf(r.score)
    )
    assert r.member == bool(audit.members[5]) and audit.record_scores()[5] == r.score
    outside = expected[~audit.members]
    assert r.flag_fpr == pytest.approx(np.mean(outside >= expected[5]))


def test_a_record_flagged_at_0_1pct_fpr_has_a_flag_fpr_within_that_budget():
    audit = membership_audit(X, Y, fit=memorising_fit, reference_fit=None, n_shadows=16, seed=6)
    point = audit.target.figures.point(0.01)
    for i in np.flatnonzero(audit.members)[:50]:
        flagged = audit.target.scores[i] > point.threshold
        assert flagged == (audit.record(int(i)).flag_fpr <= 0.01)


def test_the_same_seed_gives_the_same_audit_and_another_seed_another():
    a = membership_audit(X, Y, fit=memorising_fit, reference_fit=base_rate_fit, n_shadows=4, seed=9)
    b = membership_audit(X, Y, fit=memorising_fit, reference_fit=base_rate_fit, n_shadows=4, seed=9)
    c = membership_audit(
        X, Y, fit=memorising_fit, reference_fit=base_rate_fit, n_shadows=4, seed=10
    )
    assert np.array_equal(a.target.scores, b.target.scores) and a.to_dict() == b.to_dict()
    assert not np.array_equal(a.members, c.members)


def test_the_reference_is_audited_on_the_same_members_and_reported_beside():
    audit = membership_audit(
        X, Y, fit=memorising_fit, reference_fit=base_rate_fit, n_shadows=16, seed=3
    )
    d = audit.to_dict()
    assert d["reference"]["auc"] == 0.5 and d["auc"] > 0.99
    assert set(d) >= {"auc", "tpr_at_0_1pct_fpr", "tpr_at_1pct_fpr", "ci", "reference", "n_shadows"}
    assert (
        d["ci"]["tpr_at_0_1pct_fpr"][0] <= d["tpr_at_0_1pct_fpr"] <= d["ci"]["tpr_at_0_1pct_fpr"][1]
    )
    json.dumps(d, allow_nan=False)  # stored with the model as JSON: no NaN or infinity
    decision = release_decision(audit, defaults())
    json.dumps(decision.to_dict(), allow_nan=False)
    assert decision.ratios is not None and decision.ratios["tpr_at_1pct_fpr"] > 2
    assert any("reference" in w for w in decision.warnings)


def test_given_members_as_positions_or_mask_are_used_as_given():
    positions = np.arange(0, N, 3)
    a = membership_audit(
        X, Y, fit=base_rate_fit, reference_fit=None, n_shadows=2, seed=0, target_members=positions
    )
    mask = np.zeros(N, bool)
    mask[positions] = True
    assert np.array_equal(a.members, mask)
    b = membership_audit(
        X, Y, fit=base_rate_fit, reference_fit=None, n_shadows=2, seed=0, target_members=mask
    )
    assert np.array_equal(b.members, mask)


def test_a_released_models_own_predictions_are_scored_against_the_shadows():
    audit = membership_audit(X, Y, fit=memorising_fit, reference_fit=None, n_shadows=8, seed=5)
    everyone = memorising_fit(X, Y, 0)(X)  # trained on every row
    assert np.all(audit.target.score(everyone, Y) > 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y": Y[:-1]}, "399 labels for 400 rows"),
        ({"y": np.where(Y == 1, 2, 0)}, "labels must be 0 or 1, found 2"),
        ({"n_shadows": 1}, "at least 2 shadow models"),
        ({"target_members": np.ones(N, bool)}, "members and non-members"),
        ({"target_members": np.array([0, N])}, "between 0 and 399"),
        ({"target_members": np.array([1, 1])}, "repeated"),
        ({"target_members": np.ones(3, bool)}, "needs 400 entries"),
    ],
)
def test_bad_input_is_refused_naming_the_problem(kwargs, message):
    args = {"y": Y, "n_shadows": 2, "target_members": None, **kwargs}
    with pytest.raises(InputError, match=message):
        membership_audit(X, fit=base_rate_fit, reference_fit=None, seed=0, **args)


def test_a_fit_returning_no_probabilities_is_a_bug_not_input():
    with pytest.raises(ValueError, match="not probabilities"):
        membership_audit(
            X,
            Y,
            fit=lambda *_: lambda Z: np.full(len(Z), 2.0),
            reference_fit=None,
            n_shadows=2,
            seed=0,
        )
    with pytest.raises(InputError, match="outside the audited rows"):
        membership_audit(X, Y, fit=base_rate_fit, reference_fit=None, n_shadows=2, seed=0).record(N)
