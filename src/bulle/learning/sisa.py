"""SISA (Bourtoule et al., "Machine Unlearning", IEEE S&P 2021): one model per shard, averaged.

A shard's rows are its people's rows in a canonical order (by person, then by value:
``services.model_data.canonical``), so training a shard is a pure function of (the version's rows,
the shard's manifest, the learner, the seed), whatever order the engine read them in:
that is what lets ``verify-forget`` rebuild a shard and compare bytes. Each shard's seed is the
model's seed plus the shard number, so shards do not share random streams.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from bulle.learning.learners import Learner


@dataclass(frozen=True)
class Rows:
    """Encoded rows with the manifest key and the placement of each row's person."""

    num: np.ndarray
    cat: np.ndarray
    y: np.ndarray
    keys: np.ndarray  # the person's manifest reference, per row
    placement: np.ndarray  # shard number per row (-1: held out)

    def take(self, mask: np.ndarray) -> Rows:
        return Rows(
            self.num[mask], self.cat[mask], self.y[mask], self.keys[mask], self.placement[mask]
        )


def shard_seed(seed: int, shard: int) -> int:
    return (seed * 1000 + shard) % 2**31


def state_hash(state: bytes) -> str:
    return hashlib.sha256(state).hexdigest()


def shard_of_rows(rows: Rows, manifest: Mapping[str, int]) -> np.ndarray:
    """Each row's shard in ``manifest`` (-2: its person is not in it), vectorised."""
    import pyarrow as pa
    import pyarrow.compute as pc

    absent = -2
    if not manifest or not len(rows.keys):
        return np.full(len(rows.keys), absent, dtype=np.int64)
    keys = pa.array(list(manifest), pa.string())
    shards = np.fromiter(manifest.values(), np.int64, len(manifest))
    at = pc.index_in(pa.array(rows.keys, pa.string()), value_set=keys)
    found = pc.is_valid(at).to_numpy(zero_copy_only=False)
    idx = at.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    return np.where(found, shards[idx], absent)


def train_shards(
    learner: Learner,
    rows: Rows,
    manifest: Mapping[str, int],
    shards: Iterable[int],
    seed: int,
    where: np.ndarray | None = None,
) -> dict[int, bytes]:
    """Train each of ``shards`` on the rows of its people in ``manifest``, in the rows' order
    (``where``: ``shard_of_rows(rows, manifest)`` when the caller has it already)."""
    where = shard_of_rows(rows, manifest) if where is None else where
    out = {}
    for s in shards:
        part = rows.take(where == s)
        out[s] = learner.fit(part.num, part.cat, part.y, shard_seed(seed, s))
    return out


def predict(learner: Learner, states: Iterable[bytes], num: np.ndarray, cat: np.ndarray):
    """The average of the shards' probabilities."""
    probs = [learner.predict(s, num, cat) for s in states]
    return np.mean(probs, axis=0) if probs else np.full(len(num), np.nan)


def auc(y: np.ndarray, p: np.ndarray) -> float | None:
    """Area under the ROC curve, or None when the held-out rows hold one class only."""
    if len(np.unique(y)) < 2:
        return None
    from sklearn.metrics import roc_auc_score

    # rounded: an average updated shard by shard and one recomputed differ in the last bits,
    # which must not break ties between equal rows differently
    return float(roc_auc_score(y, np.round(p, 12)))


def model_hash(shard_hashes: Mapping[int, str], spec_digest: str) -> str:
    """One hash for the whole model: its specification and every shard's state, in order."""
    h = hashlib.sha256(spec_digest.encode())
    for s in sorted(shard_hashes):
        h.update(f"\x00{s}:{shard_hashes[s]}".encode())
    return h.hexdigest()
