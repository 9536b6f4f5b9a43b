"""Singling out: can the synthetic data tell an attacker a predicate that isolates one person?

Giomi et al. (PETS 2023), section 4.1, as anonymeter implements it. The attacker reads the
synthetic table and writes predicates that match exactly one synthetic record, hoping they also
match exactly one record of the training part ("there is exactly one person who is 37, divorced
and from Peru"):

* *univariate* predicates use one column: a value seen once, the minimum or maximum of a number,
  a missing value seen once;
* *multivariate* predicates take a random synthetic record and a random set of columns (three by
  default, as in the paper) and describe the record on them: equality for a category, ``<=`` or
  ``>=`` towards the column's median for a number (so the predicate reaches out to the tail the
  record sits in), "is missing" for a missing value. Candidates are drawn in batches until as
  many single out as attacks asked, or ``CANDIDATES_PER_ATTACK`` per attack have been tried.

A predicate succeeds when it matches exactly one distinct record of the target table. The same
predicates are tried on the control part, whose count is brought to the training part's size
(:mod:`.size_correction`: by default a gamma model of predicate weights, which a measurement on
adult found nearer the truth than the paper's curve; ``size_model="paper"`` gives the paper's). The naive baseline writes predicates at random
(random columns, values and comparison operators) without looking at records. Predicates are
evaluated as bit sets (:mod:`.predicates`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bulle.synthesis.privacy.confidence import AttackResult, attack_result
from bulle.synthesis.privacy.encoding import Encoded
from bulle.synthesis.privacy.predicates import (
    EQ,
    GE,
    GT,
    ISNULL,
    LE,
    LT,
    NE,
    NOTNULL,
    count_bits,
    evaluate,
    match_bits,
    single_matches,
)
from bulle.synthesis.privacy.size_correction import control_successes

__all__ = ["EQ", "GE", "GT", "ISNULL", "LE", "LT", "NE", "NOTNULL", "evaluate"]

MULTIVARIATE_COLUMNS = 3  # the paper's default number of columns per predicate
CANDIDATES_PER_ATTACK = 300  # candidate predicates drawn per attack asked before giving up
# relative standard error of the control count brought to the training size, as measured on
# adult against a holdout truth (benchmarks/singling_out_size_bench.py: 9.7 % for the gamma
# model); it widens the control rate's interval, so a model error is not read as a leak
SIZE_MODEL_ERROR = 0.1
BATCH = 4000  # candidate predicates written and checked at once (memory: BATCH x rows / 8 bytes)


def distinct(rows: np.ndarray) -> np.ndarray:
    """Distinct records (NaN equal to NaN): the attack speaks of people, not of duplicate rows."""
    return pd.DataFrame(rows).drop_duplicates().to_numpy()


def _unique_singling(
    cols: np.ndarray, ops: np.ndarray, vals: np.ndarray, data: np.ndarray, seen: set[bytes]
) -> list[int]:
    """Indices of the predicates that match exactly one row of ``data`` and were not seen."""
    keep = []
    for i in np.flatnonzero(single_matches(cols, ops, vals, data)):
        key = cols[i].tobytes() + ops[i].tobytes() + np.nan_to_num(vals[i], nan=-2.0).tobytes()
        if key not in seen:
            seen.add(key)
            keep.append(int(i))
    return keep


def univariate_queries(
    enc: Encoded, syn: np.ndarray, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cols, ops, vals = [], [], []
    for j in range(syn.shape[1]):
        x = syn[:, j]
        if enc.numeric[j]:
            present = x[~np.isnan(x)]
            if np.isnan(x).sum() == 1:
                cols.append(j), ops.append(ISNULL), vals.append(np.nan)
            if len(present):
                cols += [j, j]
                ops += [LE, GE]
                vals += [float(present.min()), float(present.max())]
        else:
            present = x
        values, counts = np.unique(present, return_counts=True)
        for v in values[counts == 1]:
            cols.append(j), ops.append(EQ), vals.append(float(v))
    order = rng.permutation(len(cols))
    c = np.asarray(cols, dtype=np.int64)[order][:, None]
    o = np.asarray(ops, dtype=np.int64)[order][:, None]
    v = np.asarray(vals, dtype=np.float64)[order][:, None]
    keep = _unique_singling(c, o, v, syn, set())[:n]
    return c[keep], o[keep], v[keep]


def multivariate_queries(
    enc: Encoded, syn: np.ndarray, n: int, width: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = syn.shape[1]
    width = min(width, p)
    medians = np.array(
        [
            np.nanmedian(syn[:, j]) if enc.numeric[j] and np.isfinite(syn[:, j]).any() else 0.0
            for j in range(p)
        ]
    )
    seen: set[bytes] = set()
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    total = 0
    batch = BATCH
    for _ in range(max(1, -(-CANDIDATES_PER_ATTACK * n // batch))):
        rows = rng.integers(0, len(syn), size=batch)
        cols = np.sort(np.argsort(rng.random((batch, p)), axis=1)[:, :width], axis=1)
        vals = syn[rows[:, None], cols]
        numeric = enc.numeric[cols]
        ops = np.where(
            numeric,
            np.where(np.isnan(vals), ISNULL, np.where(vals > medians[cols], GE, LE)),
            EQ,
        )
        keep = _unique_singling(cols, ops, vals, syn, seen)[: n - total]
        found.append((cols[keep], ops[keep], vals[keep]))
        total += len(keep)
        if total >= n:
            break
    return (
        np.concatenate([f[0] for f in found]),
        np.concatenate([f[1] for f in found]),
        np.concatenate([f[2] for f in found]),
    )


def random_queries(
    enc: Encoded, syn: np.ndarray, n: int, width: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The naive attacker: random columns, a random value of each, a random comparison."""
    p = syn.shape[1]
    width = min(width, p)
    uniques = [np.unique(syn[:, j]) for j in range(p)]  # np.unique keeps one NaN at the end
    cols = np.sort(np.argsort(rng.random((n, p)), axis=1)[:, :width], axis=1)
    sizes = np.array([len(u) for u in uniques])
    picks = np.floor(rng.random(cols.shape) * sizes[cols]).astype(np.int64)
    vals = np.empty(cols.shape)
    for j in range(p):
        here = cols == j
        vals[here] = uniques[j][picks[here]]
    numeric = enc.numeric[cols]
    draw = rng.random(cols.shape)
    ops = np.where(
        np.isnan(vals),
        np.where(draw < 0.5, ISNULL, NOTNULL),
        np.where(
            numeric,
            np.array([EQ, NE, LE, GE, LT, GT])[np.minimum((draw * 6).astype(int), 5)],
            np.where(draw < 0.5, EQ, NE),
        ),
    )
    return cols, ops.astype(np.int64), vals


def singling_out_attack(
    enc: Encoded,
    n_attacks: int,
    rng: np.random.Generator,
    *,
    multivariate: bool,
    size_model: str = "gamma",
) -> AttackResult:
    syn, train, control = distinct(enc.synthetic), distinct(enc.train), distinct(enc.control)
    width = MULTIVARIATE_COLUMNS if multivariate else 1
    if multivariate:
        cols, ops, vals = multivariate_queries(enc, syn, n_attacks, width, rng)
    else:
        cols, ops, vals = univariate_queries(enc, syn, n_attacks, rng)
    written = len(cols)
    main = int(single_matches(cols, ops, vals, train).sum())
    bits = match_bits(cols, ops, vals, control)
    raw = float((count_bits(bits, len(control)) == 1).sum())
    scaled = control_successes(bits, len(control), len(train), rng, size_model)
    on_control = min(float(written), scaled)
    scale = on_control / raw if raw else 1.0
    rc, ro, rv = random_queries(enc, syn, n_attacks, width, rng)
    baseline = int(single_matches(rc, ro, rv, train).sum())
    # every attack counts, including those for which no predicate could be written: an
    # attacker who cannot write one has failed, and rates over a handful of predicates would
    # carry intervals near [0, 1] that say nothing
    return attack_result(
        main,
        on_control,
        baseline,
        n_attacks,
        predicates=written,
        control_scale=scale,
        control_model_error=SIZE_MODEL_ERROR if len(control) != len(train) else 0.0,
    )
