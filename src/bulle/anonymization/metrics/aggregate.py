"""ARX's aggregate functions over per-attribute values, with attribute weights.

Weights: ARX's default weight is 0.5 for every attribute, then all are divided by the largest, so
unweighted means all 1. The aggregates follow ARX 3.9.2: SUM = sum w_i v_i; ARITHMETIC_MEAN = the
same divided by n; GEOMETRIC_MEAN = prod ((v_i + 1) w_i)^(1/n) - 1; MAXIMUM = max w_i v_i; RANK =
the vector (w_i v_i) sorted in descending order, compared lexicographically.

Scores are rows of a matrix (one column, or D columns for RANK) so that a whole lattice of bounds
compares to the best score in one vectorized, lexicographic step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

DEFAULT_WEIGHT = 0.5


def normalized_weights(qis: Sequence[str], weights: Mapping[str, float]) -> np.ndarray:
    w = np.array([float(weights.get(q, DEFAULT_WEIGHT)) for q in qis], dtype=np.float64)
    top = w.max() if len(w) else 0.0
    if top == 0.0:
        return np.ones(len(qis))
    return w / top


class Aggregate:
    def __init__(self, function: str, weights: np.ndarray):
        self.function = function
        self.weights = weights

    @property
    def width(self) -> int:
        return len(self.weights) if self.function == "rank" else 1

    def scores(self, values: np.ndarray) -> np.ndarray:
        """(nodes, D) per-attribute values -> (nodes, width) comparable scores."""
        v = np.atleast_2d(np.asarray(values, dtype=np.float64))
        n = v.shape[1]
        w = self.weights[None, :]
        if self.function == "sum":
            out = (v * w).sum(axis=1)
            out = np.where(np.isfinite(out), out, np.finfo(np.float64).max)
        elif self.function == "arithmetic-mean":
            out = (v * w).sum(axis=1) / n
        elif self.function == "geometric-mean":
            out = np.ones(v.shape[0])
            for i in range(n):
                out = out * np.power((v[:, i] + 1.0) * w[0, i], 1.0 / n)
            out = out - 1.0
        elif self.function == "max":
            out = (v * w).max(axis=1)
        elif self.function == "rank":
            return -np.sort(-(v * w), axis=1)
        else:  # pragma: no cover - validated by the spec
            raise ValueError(self.function)
        return out[:, None]

    def score(self, values: np.ndarray) -> np.ndarray:
        return self.scores(np.asarray(values)[None, :])[0]

    def report(self, score: np.ndarray) -> float | list[float]:
        if self.function == "rank":
            return [float(x) for x in score]
        return float(score[0])


def single(value: float) -> np.ndarray:
    return np.array([float(value)])


def less(scores: np.ndarray, best: np.ndarray | None, eps: float = 0.0) -> np.ndarray:
    """Rows of ``scores`` lexicographically smaller than ``best`` (all rows when best is None)."""
    if best is None:
        return np.ones(scores.shape[0], dtype=bool)
    result = np.zeros(scores.shape[0], dtype=bool)
    undecided = np.ones(scores.shape[0], dtype=bool)
    for j in range(scores.shape[1]):
        col = scores[:, j]
        tol = eps * max(1.0, abs(float(best[j])))
        lt = col < best[j] - tol
        eq = np.abs(col - best[j]) <= tol
        result |= undecided & lt
        undecided &= eq
    return result


def is_less(a: np.ndarray, b: np.ndarray | None, eps: float = 0.0) -> bool:
    return bool(less(a[None, :], b, eps)[0])
