"""Logistic regression (scikit-learn), a linear learner for when a model must be read by a person.

Per shard: numeric columns are centred and scaled on that shard's rows (a scaler fitted inside the
shard leaves no trace of anyone outside it), missing values become 0 after scaling, hashed
categories are one-hot over their fixed buckets. The state is canonical JSON (coefficients written
with ``repr``, so equal floats give equal bytes); prediction recomputes the score from it, without
scikit-learn.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from bulle.learning.encoding import BUCKETS
from bulle.learning.learners import LEARNERS


@LEARNERS.register("logistic")
class LogisticLearner:
    name = "logistic"
    export_format = "json"

    def __init__(self, C: float = 1.0, max_iter: int = 300):
        self.C = float(C)
        self.max_iter = int(max_iter)

    def params(self) -> dict[str, Any]:
        return {"C": self.C, "max_iter": self.max_iter}

    def fit(self, num: np.ndarray, cat: np.ndarray, y: np.ndarray, seed: int) -> bytes:
        mean = np.nanmean(num, axis=0) if len(num) else np.zeros(num.shape[1])
        mean = np.where(np.isnan(mean), 0.0, mean)
        std = np.nanstd(num, axis=0) if len(num) else np.ones(num.shape[1])
        std = np.where((std > 0) & ~np.isnan(std), std, 1.0)
        state: dict[str, Any] = {"mean": mean.tolist(), "scale": std.tolist(), "buckets": BUCKETS}
        classes = np.unique(y)
        if len(classes) < 2:  # a shard holding one class only: a constant answer
            state["constant"] = float(classes[0]) if len(classes) else 0.5
            return _dump(state)
        from sklearn.linear_model import LogisticRegression

        X = _design(num, cat, mean, std)
        fit = LogisticRegression(
            C=self.C, max_iter=self.max_iter, solver="lbfgs", random_state=seed
        ).fit(X, y.astype(np.int64))
        state["coef"] = fit.coef_[0].tolist()
        state["intercept"] = float(fit.intercept_[0])
        return _dump(state)

    def predict(self, state: bytes, num: np.ndarray, cat: np.ndarray) -> np.ndarray:
        s = json.loads(state)
        if "constant" in s:
            return np.full(len(num), s["constant"], dtype=np.float64)
        X = _design(num, cat, np.asarray(s["mean"]), np.asarray(s["scale"]))
        z = X @ np.asarray(s["coef"]) + s["intercept"]
        return 1.0 / (1.0 + np.exp(-z))


def _design(num: np.ndarray, cat: np.ndarray, mean: np.ndarray, std: np.ndarray):
    from scipy import sparse

    z = (num - mean) / std
    z = np.where(np.isnan(z), 0.0, z)
    n, k = cat.shape
    rows, cols = np.nonzero(cat >= 0)
    onehot = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, cols * BUCKETS + cat[rows, cols])), shape=(n, k * BUCKETS)
    )
    return sparse.hstack([sparse.csr_matrix(z), onehot], format="csr")


def _dump(state: dict[str, Any]) -> bytes:
    return json.dumps(state, sort_keys=True, separators=(",", ":")).encode("utf-8")
