"""The privacy report of a synthetic table: what it reveals about the people it was made from.

Implements the framework of Giomi et al., "A Unified Framework for Quantifying Privacy Risk in
Synthetic Data" (PETS 2023), one module per attack, on the three criteria of the Article 29
Working Party's opinion 05/2014 on anonymisation:

* :mod:`.singling_out` (univariate and multivariate predicates),
* :mod:`.linkability` (two column groups joined through nearest synthetic records),
* :mod:`.inference` (one attack per secret column),

each measured on training records, on control records and for a naive attacker, with the risk
``(main - control) / (1 - control)`` and its Wilson interval (:mod:`.confidence`); plus
distances to the closest record and exact copies next to their natural values
(:mod:`.distances`). The original table is split by the caller: the training part made the
synthetic table, the control part never touched it. Every random choice derives from ``seed``
(each attack from its own stream, so adding one never changes another's figures).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bulle import settings
from bulle.errors import InputError, Where
from bulle.synthesis.privacy.confidence import CONFIDENCE, AttackResult, worst_case
from bulle.synthesis.privacy.distances import DistanceFigures, distance_figures
from bulle.synthesis.privacy.encoding import encode
from bulle.synthesis.privacy.inference import inference_attack
from bulle.synthesis.privacy.linkability import column_groups, linkability_attack
from bulle.synthesis.privacy.singling_out import singling_out_attack
from bulle.synthesis.privacy.size_correction import MODELS

ATTACKS_SETTING = "synthesis.privacy_attacks"
# stream numbers of the attacks' random generators (fixed: a new attack takes a new number)
_UNIVARIATE, _MULTIVARIATE, _LINKABILITY, _INFERENCE, _DISTANCES = range(5)


@dataclass(frozen=True)
class PrivacyReport:
    """Results of every attack; :meth:`to_dict` is the report's ``privacy`` JSON object."""

    univariate: AttackResult
    multivariate: AttackResult
    linkability: AttackResult
    link_groups: tuple[tuple[str, ...], tuple[str, ...]]
    inference: dict[str, AttackResult]
    known: dict[str, tuple[str, ...]]
    distances: DistanceFigures
    n_attacks: int
    seed: int
    quasi_identifiers: tuple[str, ...] | None = None
    confidence: float = CONFIDENCE
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def singling_out(self) -> tuple[str, dict[str, Any]]:
        """The worst case of the univariate and multivariate attacks (name, headline)."""
        return worst_case({"univariate": self.univariate, "multivariate": self.multivariate})

    @property
    def worst_inference(self) -> tuple[str, dict[str, Any]]:
        """The worst case over the attacked columns (worst column, headline)."""
        return worst_case(self.inference)

    def to_dict(self) -> dict[str, Any]:
        worst_column, inference_head = self.worst_inference
        return {
            "singling_out": {
                **self.singling_out[1],
                "univariate": self.univariate.to_dict(),
                "multivariate": self.multivariate.to_dict(),
            },
            "linkability": {
                **self.linkability.to_dict(),
                "groups": [list(self.link_groups[0]), list(self.link_groups[1])],
            },
            "inference": {
                **inference_head,
                "worst_column": worst_column,
                "columns": {
                    c: {**r.to_dict(), "known": list(self.known[c])}
                    for c, r in self.inference.items()
                },
            },
            "dcr": self.distances.dcr_dict(),
            "nndr": self.distances.nndr_dict(),
            "exact_copies": round(self.distances.exact_copies, 6),
            "exact_copies_natural": round(self.distances.exact_copies_natural, 6),
            "attacks": self.n_attacks,
            "confidence": self.confidence,
            "seed": self.seed,
            "quasi_identifiers": None
            if self.quasi_identifiers is None
            else list(self.quasi_identifiers),
            "rows": dict(self.rows),
        }


def _names(given: Sequence[str] | None, columns: Sequence[str], label: str) -> list[str] | None:
    if given is None:
        return None
    if isinstance(given, str):
        given = [given]
    names = [str(c) for c in given]
    unknown = [c for c in names if c not in columns]
    if unknown:
        raise InputError(
            f"{label}: no column named " + ", ".join(repr(c) for c in unknown),
            Where(field=label, column=unknown[0]),
        )
    return list(dict.fromkeys(names))


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed & (2**64 - 1), stream])


def privacy_report(
    train: pd.DataFrame,
    control: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    quasi_identifiers: list[str] | None,
    sensitive: list[str] | None,
    seed: int,
    n_attacks: int | None = None,
    size_model: str = "gamma",
) -> PrivacyReport:
    """Run every attack of the report on one split (see the module docstring).

    ``quasi_identifiers`` are what an attacker knows of a person (every column when None);
    ``sensitive`` the columns to infer (every non-quasi-identifier column when None, every
    column if all are quasi-identifiers). ``n_attacks`` defaults to the workspace setting
    ``synthesis.privacy_attacks``. ``size_model`` is how singling-out successes on the control
    part are brought to the training part's size (:mod:`.size_correction`).
    """
    if n_attacks is None:
        n_attacks = int(settings.default(ATTACKS_SETTING))
    if isinstance(n_attacks, bool) or not isinstance(n_attacks, int) or n_attacks < 1:
        raise InputError(
            f"the number of attacks must be a whole number >= 1, not {n_attacks!r}",
            Where(field="n_attacks"),
        )
    if size_model not in MODELS:
        raise InputError(
            f"unknown singling-out size model {size_model!r}; known: {', '.join(MODELS)}",
            Where(field="size_model"),
        )
    enc = encode(train, control, synthetic)
    columns = list(enc.columns)
    qis = _names(quasi_identifiers, columns, "quasi_identifiers")
    secrets = _names(sensitive, columns, "sensitive")
    if not secrets:
        secrets = [c for c in columns if not qis or c not in qis] or columns
    known = {s: tuple(c for c in (qis if qis else columns) if c != s) for s in secrets}
    groups = column_groups(columns, qis)
    return PrivacyReport(
        univariate=singling_out_attack(
            enc, n_attacks, _rng(seed, _UNIVARIATE), multivariate=False, size_model=size_model
        ),
        multivariate=singling_out_attack(
            enc, n_attacks, _rng(seed, _MULTIVARIATE), multivariate=True, size_model=size_model
        ),
        linkability=linkability_attack(enc, groups, n_attacks, _rng(seed, _LINKABILITY)),
        link_groups=(tuple(groups[0]), tuple(groups[1])),
        inference=inference_attack(
            enc, secrets, {s: list(k) for s, k in known.items()}, n_attacks, _rng(seed, _INFERENCE)
        ),
        known=known,
        distances=distance_figures(enc, n_attacks, _rng(seed, _DISTANCES)),
        n_attacks=n_attacks,
        seed=seed,
        quasi_identifiers=None if qis is None else tuple(qis),
        rows={"training": len(train), "control": len(control), "synthetic": len(synthetic)},
    )
