"""Attribute inference: can the synthetic data reveal a person's secret from what is known of them?

Giomi et al. (PETS 2023), section 4.3. The attacker knows some attributes of a target (the
quasi-identifiers, or every other column when none are named) and wants one secret attribute.
They find the synthetic record nearest to the target on the known attributes and read its
secret. A guess succeeds when it equals the truth (a category) or is within 5 % of it (a number,
the paper's tolerance). Targets are training records and control records; the naive baseline
reads the secret of a random synthetic record.

Each secret column is attacked separately, but every attack on the same targets shares the
distance computations: the per-column distance blocks are summed once and the secret's own
column is subtracted when it is among the known ones, so attacking every column of adult costs
about as much as attacking one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bulle.synthesis.privacy.confidence import AttackResult, attack_result
from bulle.synthesis.privacy.encoding import Encoded, column_distances, first_distinct

NUMERIC_TOLERANCE = 0.05  # a numeric guess within 5 % of the truth counts (the paper's choice)
CELLS_PER_BLOCK = 4_000_000  # float32 cells held at once over all kept distance blocks


def correct(enc: Encoded, column: int, guesses: np.ndarray, truth: np.ndarray) -> np.ndarray:
    if not enc.numeric[column]:
        return guesses == truth
    both_missing = np.isnan(guesses) & np.isnan(truth)
    with np.errstate(invalid="ignore"):
        close = np.abs(guesses - truth) <= NUMERIC_TOLERANCE * np.abs(truth)
    return both_missing | close


def _successes(
    enc: Encoded,
    targets: np.ndarray,
    secrets: Sequence[int],
    known: dict[int, list[int]],
    order: np.ndarray,
) -> dict[int, int]:
    """Correct guesses per secret column for one set of targets (shared distance blocks)."""
    cand = enc.synthetic[order]
    base = sorted(set().union(*known.values())) if known else []
    # records equal on every known column tie everywhere: the first of each (in the random
    # order) is the one any attack reads, so the others need not be compared
    cand = cand[first_distinct(cand[:, base])[0]]
    kept = [j for j in base if any(j not in known[s] for s in secrets)]
    step = max(1, CELLS_PER_BLOCK // ((len(kept) + 1) * len(cand)))
    found = dict.fromkeys(secrets, 0)
    for start in range(0, len(targets), step):
        block = targets[start : start + step]
        total = np.zeros((len(block), len(cand)), dtype=np.float32)
        parts: dict[int, np.ndarray] = {}
        buf = np.empty_like(total)
        for j in base:
            d = column_distances(enc, block, cand, j, None if j in kept else buf)
            total += d
            if j in kept:
                parts[j] = d
        for s in secrets:
            dist = total
            for j in base:
                if j not in known[s]:
                    dist = dist - parts[j]
            best = np.argmin(dist, axis=1)
            found[s] += int(np.sum(correct(enc, s, cand[best, s], block[:, s])))
    return found


def inference_attack(
    enc: Encoded,
    secrets: Sequence[str],
    known: dict[str, list[str]],
    n_attacks: int,
    rng: np.random.Generator,
) -> dict[str, AttackResult]:
    """One result per secret column; ``known[secret]`` lists the attacker's known columns."""
    sec = enc.index(secrets)
    kn = {enc.index([s])[0]: enc.index(known[s]) for s in secrets}
    n_main = min(n_attacks, len(enc.train))
    n_control = min(n_attacks, len(enc.control))
    main_targets = enc.train[rng.choice(len(enc.train), n_main, replace=False)]
    control_targets = enc.control[rng.choice(len(enc.control), n_control, replace=False)]
    order = rng.permutation(len(enc.synthetic))
    main = _successes(enc, main_targets, sec, kn, order)
    control = _successes(enc, control_targets, sec, kn, order)
    results = {}
    for name, s in zip(secrets, sec, strict=True):
        guesses = enc.synthetic[rng.integers(len(enc.synthetic), size=n_main), s]
        baseline = int(np.sum(correct(enc, s, guesses, main_targets[:, s])))
        results[name] = attack_result(
            main[s], control[s], baseline, n_main, control_attempts=n_control
        )
    return results
