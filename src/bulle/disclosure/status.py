"""An output's status and the checks that decide where it starts.

Checks decide only the first step: an output any rule fails is ``blocked`` (the analyst may apply
an offered mitigation, making a new revision, or ask for an exception); every other output waits
in ``needs_review`` for two checkers, who make it ``approved`` or ``rejected``; an approved output
becomes ``released`` when its release record is written. A passing check never approves an output
by itself: two people always look.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from bulle.disclosure.evidence import TableEvidence
from bulle.disclosure.rules import DISCLOSURE_RULES, FAIL, CheckContext, RuleResult


class OutputStatus(StrEnum):
    BLOCKED = "blocked"
    NEEDS_REVIEW = "needs_review"
    APPROVED = "approved"
    RELEASED = "released"
    REJECTED = "rejected"


def run_checks(
    ev: TableEvidence,
    params: Mapping[str, Any] | None = None,
    released: Iterable[TableEvidence] = (),
) -> list[RuleResult]:
    """Every registered rule that applies to ``ev``, in registry order.

    ``params`` are the workspace's settings (``ws.settings``); without them, the defaults.
    """
    if params is None:
        from bulle.settings import defaults

        params = defaults()
    ctx = CheckContext(params, tuple(released))
    return [rule.check(ev, ctx) for _, rule in DISCLOSURE_RULES.items() if rule.applies(ev)]


def checks_status(results: Iterable[RuleResult]) -> OutputStatus:
    """``blocked`` if any rule fails, else ``needs_review`` (checkers decide the rest)."""
    return (
        OutputStatus.BLOCKED
        if any(r.outcome == FAIL for r in results)
        else OutputStatus.NEEDS_REVIEW
    )
