"""The release gate is monotone: an attack that does better never turns a block into a release."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from bulle.learning.audit import MembershipAudit, PipelineAudit, attack_figures, release_decision
from bulle.settings import defaults


def gate(scores: np.ndarray, members: np.ndarray, settings) -> bool:
    pipe = PipelineAudit(attack_figures(scores, members), scores, np.zeros(len(scores)), 1, 1, 1)
    return release_decision(
        MembershipAudit(len(scores), 16, 0, members, pipe, None), settings
    ).released


@given(
    seed=st.integers(0, 2**32 - 1),
    members=st.integers(1, 3000),
    non_members=st.integers(1, 3000),
    signal=st.floats(0, 4),
    push=st.floats(0, 6),
    pushed=st.floats(0, 1),
)
def test_raising_members_scores_never_releases_what_was_blocked(
    seed, members, non_members, signal, push, pushed
):
    rng = np.random.default_rng(seed)
    scores = np.r_[rng.normal(signal, 1, members), rng.normal(0, 1, non_members)]
    is_member = np.r_[np.ones(members, bool), np.zeros(non_members, bool)]
    worse = scores.copy()
    chosen = is_member & (rng.random(len(scores)) < pushed)
    worse[chosen] += push * rng.random(int(chosen.sum()))  # members only: a better attack
    if gate(worse, is_member, defaults()):
        assert gate(scores, is_member, defaults())


@given(
    seed=st.integers(0, 2**32 - 1),
    signal=st.floats(0, 3),
    low=st.floats(0, 0.2),
    one=st.floats(0, 0.3),
    tighten=st.floats(0, 1),
)
def test_stricter_thresholds_never_release_what_looser_ones_blocked(
    seed, signal, low, one, tighten
):
    rng = np.random.default_rng(seed)
    scores = np.r_[rng.normal(signal, 1, 800), rng.normal(0, 1, 1500)]
    is_member = np.r_[np.ones(800, bool), np.zeros(1500, bool)]
    loose = {
        **defaults(),
        "model.audit.max_tpr_at_0_1pct_lower": low,
        "model.audit.max_tpr_at_1pct": one,
    }
    strict = {
        **loose,
        "model.audit.max_tpr_at_0_1pct_lower": low * tighten,
        "model.audit.max_tpr_at_1pct": one * tighten,
    }
    if gate(scores, is_member, strict):
        assert gate(scores, is_member, loose)
