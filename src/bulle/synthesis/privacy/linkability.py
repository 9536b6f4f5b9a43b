"""Linkability: can the synthetic data join two halves of a person's record?

Giomi et al. (PETS 2023), section 4.2. The attacker holds two sets of attributes of the same
people from two sources (say, demographics from one and diagnoses from another) that share no
key, and wants to tell which rows of one go with which rows of the other. With the synthetic
table in hand, they look up each half's nearest synthetic record on that half's columns; when
both halves of a target land on the same synthetic record, the link is made.

Targets are records of the training part (success means the synthetic data links real people it
was made from) and of the control part (what linking through any sample of the population
achieves); the naive baseline picks the two synthetic records at random. Distances are the
Gower-like mixed distance of :mod:`.encoding`; the two look-ups share one random order of the
synthetic records, so an attacker breaking ties breaks them the same way for both halves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bulle.synthesis.privacy.confidence import AttackResult, attack_result
from bulle.synthesis.privacy.encoding import Encoded, nearest


def column_groups(
    columns: Sequence[str], quasi_identifiers: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    """The attacker's two sources: the quasi-identifiers (or every column) dealt alternately.

    Alternating keeps both halves informative whatever the column order; a custodian who
    knows the real sources passes them as quasi-identifiers in the order wanted.
    """
    pool = (
        list(quasi_identifiers)
        if quasi_identifiers and len(quasi_identifiers) >= 2
        else list(columns)
    )
    return pool[0::2], pool[1::2]


def _links(enc: Encoded, targets: np.ndarray, a: list[int], b: list[int], seed: int) -> int:
    ia, _, _ = nearest(enc, targets, enc.synthetic, a, np.random.default_rng(seed))
    ib, _, _ = nearest(enc, targets, enc.synthetic, b, np.random.default_rng(seed))
    return int(np.sum(ia == ib))


def linkability_attack(
    enc: Encoded, groups: tuple[list[str], list[str]], n_attacks: int, rng: np.random.Generator
) -> AttackResult:
    a, b = enc.index(groups[0]), enc.index(groups[1])
    n_main = min(n_attacks, len(enc.train))
    n_control = min(n_attacks, len(enc.control))
    if not a or not b:  # one column: there are no two halves to link
        return attack_result(0, 0, 0, 0)
    main_targets = enc.train[rng.choice(len(enc.train), n_main, replace=False)]
    control_targets = enc.control[rng.choice(len(enc.control), n_control, replace=False)]
    order_seed = int(rng.integers(2**63))
    main = _links(enc, main_targets, a, b, order_seed)
    control = _links(enc, control_targets, a, b, order_seed)
    n_syn = len(enc.synthetic)
    baseline = int(np.sum(rng.integers(n_syn, size=n_main) == rng.integers(n_syn, size=n_main)))
    return attack_result(main, control, baseline, n_main, control_attempts=n_control)
