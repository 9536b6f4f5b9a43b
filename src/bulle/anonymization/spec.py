"""What a user asks of an anonymization: a frozen, validated description shared by every interface.

The CLI, the workspace service and the tests all build an :class:`AnonymizationSpec`; it checks
everything that can be checked without reading rows (names, ranges, which model needs which
attribute or hierarchy) and reports every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bulle.anonymization.hierarchy import Hierarchy
from bulle.errors import Problem, ValidationError, Where

AGGREGATES = ("sum", "arithmetic-mean", "geometric-mean", "max", "rank")
SUPPRESSED_OUTPUT = ("star", "remove")


@dataclass(frozen=True)
class ModelSpec:
    """One privacy model: its registry name, the sensitive attribute it protects, its parameters."""

    kind: str
    attribute: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"model": self.kind}
        if self.attribute is not None:
            d["attribute"] = self.attribute
        d.update(self.params)
        return d


@dataclass(frozen=True)
class AnonymizationSpec:
    """Quasi-identifiers (in table order) with hierarchies, sensitive attributes, models, metric.

    ``research_subset`` is a table (same columns as the data) naming the records of the research
    subset, needed by δ-presence; ARX matches its rows against the data row by row.
    """

    quasi_identifiers: tuple[str, ...]
    hierarchies: Mapping[str, Hierarchy]
    models: tuple[ModelSpec, ...]
    sensitive: tuple[str, ...] = ()
    suppression_limit: float = 0.0
    metric: str = "loss"
    gs_factor: float = 0.5
    aggregate: str | None = None
    weights: Mapping[str, float] = field(default_factory=dict)
    research_subset: Path | None = None
    suppressed_output: str = "star"

    def __post_init__(self) -> None:
        object.__setattr__(self, "quasi_identifiers", tuple(self.quasi_identifiers))
        object.__setattr__(self, "sensitive", tuple(self.sensitive))
        object.__setattr__(self, "models", tuple(self.models))
        object.__setattr__(self, "hierarchies", MappingProxyType(dict(self.hierarchies)))
        object.__setattr__(
            self, "weights", MappingProxyType({k: float(v) for k, v in self.weights.items()})
        )
        problems = self._problems()
        if problems:
            raise ValidationError.from_problems("anonymization settings", problems)

    # -- validation ------------------------------------------------------------------------------
    def _problems(self) -> list[Problem]:
        from bulle.anonymization.metrics import METRICS
        from bulle.anonymization.models import MODELS

        problems: list[Problem] = []

        def bad(msg: str, fld: str, column: str | None = None) -> None:
            problems.append(Problem(msg, Where(field=fld, column=column)))

        if not self.quasi_identifiers:
            bad(
                "at least one quasi-identifier (a column with a hierarchy) is needed", "--hierarchy"
            )
        if len(set(self.quasi_identifiers)) != len(self.quasi_identifiers):
            bad("a quasi-identifier is named twice", "--hierarchy")
        for q in self.quasi_identifiers:
            if q not in self.hierarchies:
                bad(f"quasi-identifier {q!r} has no hierarchy", "--hierarchy", q)
            if q in self.sensitive:
                bad(
                    f"column {q!r} cannot be both a quasi-identifier and sensitive",
                    "--sensitive",
                    q,
                )
        if len(set(self.sensitive)) != len(self.sensitive):
            bad("a sensitive column is named twice", "--sensitive")
        if not self.models:
            options = ", ".join(dict.fromkeys(MODELS.get(n).option for n in MODELS.names()))
            bad(f"no privacy model: give at least one of {options}", "models")
        for m in self.models:
            cls = MODELS.find(m.kind)
            if cls is None:
                bad(
                    f"unknown privacy model {m.kind!r} (known: {', '.join(sorted(MODELS))})",
                    "models",
                )
                continue
            for msg in cls.spec_problems(m, self):
                bad(msg, cls.option, m.attribute)
        kinds = [m.kind for m in self.models]
        if kinds.count("k-anonymity") > 1:
            bad("k-anonymity is given twice", "--k")
        if kinds.count("delta-presence") > 1:
            bad("δ-presence is given twice", "--delta-presence")
        if not (0.0 <= self.suppression_limit <= 1.0):
            bad(
                f"suppression limit must be a fraction in [0, 1], got {self.suppression_limit}",
                "--suppression",
            )
        if self.metric not in METRICS:
            bad(f"unknown metric {self.metric!r} (known: {', '.join(sorted(METRICS))})", "--metric")
        if not (0.0 <= self.gs_factor <= 1.0):
            bad(f"gs-factor must be in [0, 1], got {self.gs_factor}", "--gs-factor")
        if self.aggregate is not None and self.aggregate not in AGGREGATES:
            bad(
                f"unknown aggregate {self.aggregate!r} (known: {', '.join(AGGREGATES)})",
                "--aggregate",
            )
        if (
            self.aggregate is not None
            and self.metric in METRICS
            and not METRICS[self.metric].multi_dimensional
        ):
            bad(
                f"metric {self.metric!r} has a single value: --aggregate does not apply",
                "--aggregate",
            )
        for column, w in self.weights.items():
            # As in ARX, a weight given to a column that is not a quasi-identifier is ignored.
            if not (w >= 0.0) or w != w or w == float("inf"):
                bad(
                    f"weight of {column!r} must be a finite number >= 0, got {w}",
                    "--weight",
                    column,
                )
        if self.suppressed_output not in SUPPRESSED_OUTPUT:
            bad(
                f"suppressed records are written as {' or '.join(SUPPRESSED_OUTPUT)}",
                "--suppressed-records",
            )
        return problems

    # -- helpers ---------------------------------------------------------------------------------
    @property
    def needs_subset(self) -> bool:
        return any(m.kind == "delta-presence" for m in self.models)

    def to_dict(self) -> dict[str, Any]:
        return {
            "quasi_identifiers": list(self.quasi_identifiers),
            "sensitive": list(self.sensitive),
            "models": [m.to_dict() for m in self.models],
            "suppression_limit": self.suppression_limit,
            "metric": self.metric,
            "gs_factor": self.gs_factor,
            "aggregate": self.aggregate,
            "weights": dict(self.weights),
            "hierarchy_heights": {
                q: self.hierarchies[q].height
                for q in self.quasi_identifiers
                if q in self.hierarchies
            },
        }
