"""Disclosure rules: one interface, one registry, one file per rule.

A rule judges a table's evidence (never its rows) and says, for every cell, whether publishing it
would disclose something about a person: ``fail`` blocks the output, ``review`` asks a person,
``pass`` lets it go on to the two checkers. Rule names follow ACRO's where ACRO has the rule
(``threshold``, ``p-ratio``, ``nk-rule``, ``dof``, ``zeros``, ``missing``) and their verdicts equal
ACRO 1.0.2's cell for cell (tests/integration/disclosure/test_acro_conformance.py). Parameters are
settings (``disclosure.*``) with SACRO's defaults, read from the workspace on every call.

Third-party rules are distributions declaring entry points of group ``bulle.disclosure_rules``
(a :class:`Rule` subclass); like every registry, a plug-in can never replace a built-in rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from bulle.disclosure.evidence import TableEvidence
from bulle.registry import Registry

__all__ = ["DISCLOSURE_RULES", "CheckContext", "Rule", "RuleResult"]

BUILTIN = (
    "threshold",
    "zeros",
    "missing",
    "nk_rule",
    "p_ratio",
    "dof",
    "min_max",
    "quantile",
    "differencing",
    "needs_person",
)
DISCLOSURE_RULES: Registry[type[Rule]] = Registry(
    "disclosure_rules", "disclosure rule", tuple(f"bulle.disclosure.rules.{m}" for m in BUILTIN)
)

PASS, FAIL, REVIEW = "pass", "fail", "review"


@dataclass(frozen=True)
class CheckContext:
    """What a rule may read besides the evidence: its parameters and the released outputs."""

    params: Mapping[str, Any]
    released: tuple[TableEvidence, ...] = ()


@dataclass(frozen=True, eq=False)
class RuleResult:
    """One rule's verdict on one output; ``flagged`` are the cells it objects to (row-major)."""

    rule: str
    outcome: str  # pass | fail | review
    detail: str
    flagged: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    evidence: TableEvidence | None = None

    @property
    def passed(self) -> bool:
        return self.outcome == PASS

    @property
    def cells(self) -> list[dict[str, Any]]:
        if self.evidence is None:
            return []
        return [self.evidence.cell_label(i) for i in self.flagged]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "passed": self.passed,
            "outcome": self.outcome,
            "detail": self.detail,
            "cells": self.cells,
        }


class Rule:
    """Base of every rule: ``applies`` says whether it judges this evidence, ``check`` judges."""

    name: ClassVar[str]
    source: ClassVar[str] = ""  # where the rule comes from (SACRO guidelines, OpenSAFELY...)
    settings: ClassVar[tuple[str, ...]] = ()  # the settings it reads

    @classmethod
    def applies(cls, ev: TableEvidence) -> bool:
        raise NotImplementedError

    @classmethod
    def check(cls, ev: TableEvidence, ctx: CheckContext) -> RuleResult:
        raise NotImplementedError

    @classmethod
    def from_mask(
        cls, ev: TableEvidence, mask: np.ndarray, what: str, bad: str = FAIL
    ) -> RuleResult:
        """A result from a boolean mask over the cells: any flagged cell makes it ``bad``."""
        flagged = np.flatnonzero(mask)
        if flagged.size == 0:
            return RuleResult(cls.name, PASS, f"no cell {what}", flagged, ev)
        return RuleResult(
            cls.name, bad, f"{flagged.size} of {ev.n_cells} cells {what}", flagged, ev
        )


def register(name: str):
    """Register a built-in or plug-in rule class under ``name`` (its ``name`` attribute)."""

    def deco(cls: type[Rule]) -> type[Rule]:
        cls.name = name
        DISCLOSURE_RULES.add(name, cls)
        return cls

    return deco
