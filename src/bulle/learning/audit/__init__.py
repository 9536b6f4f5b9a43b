"""The membership-inference audit a model passes before it leaves its project (offline LiRA).

``membership_audit`` attacks a training pipeline (and a regularised reference) with shadow models;
``release_decision`` applies the gate's settings to its figures; ``render_audit_html`` draws the
page stored with the model. How to read it: docs/models_audit.md.
"""

from __future__ import annotations

from bulle.learning.audit.gate import ReleaseDecision, release_decision
from bulle.learning.audit.lira import (
    Fit,
    MembershipAudit,
    PipelineAudit,
    Predict,
    RecordScore,
    membership_audit,
)
from bulle.learning.audit.report_html import render_audit_html
from bulle.learning.audit.statistics import AttackFigures, OperatingPoint, attack_figures

__all__ = [
    "AttackFigures",
    "Fit",
    "MembershipAudit",
    "OperatingPoint",
    "PipelineAudit",
    "Predict",
    "RecordScore",
    "ReleaseDecision",
    "attack_figures",
    "membership_audit",
    "release_decision",
    "render_audit_html",
]
