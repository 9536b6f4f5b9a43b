"""The release gate on constructed audits, and the audit page it is shown on."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bulle.learning.audit import (
    MembershipAudit,
    PipelineAudit,
    attack_figures,
    release_decision,
    render_audit_html,
)
from bulle.settings import defaults


def pipeline(scores: np.ndarray, members: np.ndarray) -> PipelineAudit:
    n = len(scores)
    return PipelineAudit(attack_figures(scores, members), scores, np.zeros(n), 1.0, 0.9, 0.8)


def audit(member_scores, non_member_scores, *, shadows=16, reference=None) -> MembershipAudit:
    scores = np.r_[member_scores, non_member_scores].astype(float)
    members = np.r_[np.ones(len(member_scores), bool), np.zeros(len(non_member_scores), bool)]
    ref = None if reference is None else pipeline(np.r_[reference].astype(float), members)
    return MembershipAudit(len(scores), shadows, 0, members, pipeline(scores, members), ref)


NEG = np.arange(3000, dtype=float)  # 0.1 %: 3 non-members flagged above 2996; 1 %: 30 above 2969


def test_a_model_with_no_signal_is_released():
    d = release_decision(audit(np.arange(0, 3000, 2.0) + 0.5, NEG), defaults())
    assert d.released and d.reasons == ()


def test_a_tpr_at_0_1pct_whose_lower_bound_exceeds_one_percent_blocks():
    # 40 of 2000 members above every non-member: TPR 2 % at 0.1 % FPR, lower bound about 1.4 %
    members = np.r_[np.full(40, 5000.0), np.full(1960, -1.0)]
    a = audit(members, NEG)
    d = release_decision(a, defaults())
    assert not d.released and len(d.reasons) == 1
    assert "model.audit.max_tpr_at_0_1pct_lower" in d.reasons[0] and "40 of 2000" in d.reasons[0]
    low = a.target.figures.point(0.001).ci[0]
    at_bound = {**defaults(), "model.audit.max_tpr_at_0_1pct_lower": low}
    assert release_decision(a, at_bound).released  # the bound must be *above* the setting


def test_a_point_above_the_threshold_whose_lower_bound_is_not_is_released():
    members = np.r_[np.full(3, 5000.0), np.full(97, -1.0)]  # TPR 3 %, but only 100 members
    a = audit(members, NEG)
    assert a.tpr_at_0_1pct_fpr == 0.03 and a.target.figures.point(0.001).ci[0] < 0.01
    assert release_decision(a, defaults()).released


def test_a_tpr_at_1pct_above_five_percent_blocks():
    members = np.r_[np.full(60, 2980.5), np.full(940, -1.0)]  # above the 1 % threshold only
    a = audit(members, NEG)
    assert a.tpr_at_0_1pct_fpr == 0 and a.tpr_at_1pct_fpr == 0.06
    d = release_decision(a, defaults())
    assert not d.released and d.reasons == (
        "TPR at 1 % FPR is 6.00 %, above 5.00 % (model.audit.max_tpr_at_1pct)",
    )
    assert release_decision(a, {**defaults(), "model.audit.max_tpr_at_1pct": 0.07}).released


def test_too_few_shadows_block_whatever_the_figures():
    d = release_decision(audit(np.arange(0, 3000, 2.0) + 0.5, NEG, shadows=8), defaults())
    assert not d.released and "8 shadow models, fewer than the 16" in d.reasons[0]


def test_leaking_more_than_the_reference_warns_but_does_not_block():
    members = np.r_[np.full(40, 2980.5), np.full(960, -1.0)]  # TPR 4 % at 1 %
    reference = np.r_[np.full(10, 2980.5), np.full(990, -1.0), NEG]  # 1 %
    d = release_decision(audit(members, NEG, reference=reference), defaults())
    assert d.released and d.ratios == {"tpr_at_0_1pct_fpr": 0.0, "tpr_at_1pct_fpr": 4.0}
    assert len(d.warnings) == 1 and "4.0 times the reference" in d.warnings[0]
    quiet = {**defaults(), "model.audit.reference_ratio_warning": 5.0}
    assert release_decision(audit(members, NEG, reference=reference), quiet).warnings == ()


def test_the_audit_page_is_self_contained_escaped_and_plots_on_log_axes():
    members = np.r_[np.full(40, 5000.0), np.full(1960, -1.0)]
    reference = np.r_[np.arange(0, 4000, 2.0) + 0.5, NEG]
    a = audit(members, NEG, reference=reference)
    page = render_audit_html(a, release_decision(a, defaults()), title="<script>x</script>")
    assert "<script" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert not re.search(r"(src|href)=", page) and "@import" not in page
    assert "Release gate: blocked" in page and "2.00 %" in page
    assert page.count("<polyline") == 2 and "1e-3" in page and "1e-4" in page
    first = re.search(r'<polyline points="([^"]+)"', page).group(1).split()
    xs = [float(p.split(",")[0]) for p in first]
    ys = [float(p.split(",")[1]) for p in first]
    assert xs == sorted(xs) and len(xs) > 20
    assert all(60 <= v <= 460 for v in xs) and all(60 <= v <= 360 for v in ys)  # in the frame
    assert ys == sorted(ys, reverse=True)  # TPR grows upward (SVG y runs down)


def test_the_page_says_when_no_reference_was_audited():
    a = audit(np.arange(0, 3000, 2.0) + 0.5, NEG)
    page = render_audit_html(a)
    assert "not audited" in page and page.count("<polyline") == 1


@pytest.mark.parametrize("name", ["model.audit.max_tpr_at_1pct", "model.audit.min_shadows"])
def test_the_gate_reads_its_thresholds_from_the_settings_it_is_given(name):
    settings = dict(defaults())
    del settings[name]
    with pytest.raises(KeyError):
        release_decision(audit(np.arange(3.0), NEG), settings)
