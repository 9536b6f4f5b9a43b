"""Disclosure control of research outputs: evidence, rules, statuses, mitigations.

An analyst's job declares its outputs; each is built together with the evidence its checks need
(:mod:`bulle.disclosure.tables`), the evidence travels as JSON or Parquet and is read back as
hostile input (:mod:`bulle.disclosure.evidence_io`), the rules of :data:`DISCLOSURE_RULES` judge it
cell by cell (:func:`run_checks`) and decide where the output starts (:func:`checks_status`), and
mitigations are offered, never applied silently (:mod:`bulle.disclosure.mitigations`). The sandbox,
jobs and the release flow build on this package; it reads no workspace and writes no audit event
itself (its callers do). Rules and defaults: docs/disclosure_rules.md.
"""

from __future__ import annotations

from bulle.disclosure.evidence import CellState, Kind, TableEvidence
from bulle.disclosure.mitigations import METHODS, Mitigated, mitigate, offered
from bulle.disclosure.rules import DISCLOSURE_RULES, CheckContext, Rule, RuleResult
from bulle.disclosure.status import OutputStatus, checks_status, run_checks
from bulle.disclosure.tables import (
    crosstab,
    output_other,
    output_regression,
    output_table,
    pivot_table,
)

__all__ = [
    "DISCLOSURE_RULES",
    "METHODS",
    "CellState",
    "CheckContext",
    "Kind",
    "Mitigated",
    "OutputStatus",
    "Rule",
    "RuleResult",
    "TableEvidence",
    "checks_status",
    "crosstab",
    "mitigate",
    "offered",
    "output_other",
    "output_regression",
    "output_table",
    "pivot_table",
    "run_checks",
]
