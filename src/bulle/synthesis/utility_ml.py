"""Train on synthetic, test on real: the machine-learning half of the utility report.

The question a data user asks of a synthetic table is whether a model trained on it does as well
on real people as one trained on the real data. Both models are the same gradient-boosted trees
(scikit-learn's ``HistGradientBoosting``, fixed hyper-parameters, one thread, seeded), one
trained on the synthetic table and one on the training part, and both are scored on the control
part, which neither the synthesizer nor either model saw. A categorical target (or a numeric one
with few values) is scored by ROC AUC (one-vs-rest macro average beyond two classes); a numeric
target with many values by R².
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bulle.errors import InputError, Where
from bulle.synthesis.privacy.encoding import MISSING_CODE, Encoded

MAX_CLASSES_OF_A_NUMBER = 20  # a numeric target with more distinct values is a regression
MAX_ITER = 100
MAX_CATEGORIES = 255  # HistGradientBoosting's limit for a native categorical feature


@dataclass(frozen=True)
class ModelScores:
    task: str  # "classification" or "regression"
    metric: str  # "auc" or "r2"
    synthetic: float
    real: float
    test_rows: int

    def to_dict(self) -> dict[str, Any]:
        return {
            f"{self.metric}_synthetic": round(self.synthetic, 6),
            f"{self.metric}_real": round(self.real, 6),
            "task": self.task,
            "test_rows": self.test_rows,
            "model": "HistGradientBoosting",
        }


def _features(enc: Encoded, target: int) -> tuple[list[int], np.ndarray]:
    cols = [j for j in range(len(enc.columns)) if j != target]
    cat = np.array(
        [
            not enc.numeric[j]
            and np.nanmax(np.concatenate([enc.train[:, j], enc.synthetic[:, j]]), initial=0)
            < MAX_CATEGORIES
            for j in cols
        ],
        dtype=bool,
    )
    return cols, cat


def _x(mat: np.ndarray, cols: list[int], enc: Encoded) -> np.ndarray:
    x = mat[:, cols].copy()
    for k, j in enumerate(cols):
        if not enc.numeric[j]:
            x[x[:, k] == MISSING_CODE, k] = np.nan
    return x


def _proba(model: Any, x: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Probabilities over ``classes`` (a class the model never saw gets 0)."""
    out = np.zeros((len(x), len(classes)))
    if len(model.classes_) == 1:
        out[:, np.searchsorted(classes, model.classes_[0])] = 1.0
        return out
    p = model.predict_proba(x)
    for k, c in enumerate(model.classes_):
        pos = np.searchsorted(classes, c)
        if pos < len(classes) and classes[pos] == c:
            out[:, pos] = p[:, k]
    total = out.sum(axis=1, keepdims=True)
    return np.divide(out, total, out=np.full_like(out, 1.0 / len(classes)), where=total > 0)


def _auc(y: np.ndarray, p: np.ndarray, classes: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    if len(classes) == 2:
        return float(roc_auc_score(y == classes[1], p[:, 1]))
    present = np.isin(classes, y)
    if present.sum() < 2:
        return 0.5
    q = p[:, present]
    q = q / np.where(q.sum(axis=1, keepdims=True) > 0, q.sum(axis=1, keepdims=True), 1.0)
    q[q.sum(axis=1) == 0] = 1.0 / present.sum()
    return float(roc_auc_score(y, q, multi_class="ovr", labels=classes[present]))


def model_scores(enc: Encoded, target: str, seed: int) -> ModelScores:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import r2_score
    from threadpoolctl import threadpool_limits

    t = enc.index([target])[0]
    cols, cat = _features(enc, t)
    if not cols:
        raise InputError(
            "the target is the only column: there is nothing to predict it from",
            Where(field="target", column=target),
        )

    def rows(mat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = mat[:, t]
        keep = ~np.isnan(y) & (y != MISSING_CODE if not enc.numeric[t] else True)
        return _x(mat[keep], cols, enc), y[keep]

    (x_real, y_real), (x_syn, y_syn), (x_test, y_test) = map(
        rows, (enc.train, enc.synthetic, enc.control)
    )
    regression = bool(enc.numeric[t]) and len(np.unique(y_real)) > MAX_CLASSES_OF_A_NUMBER
    seed32 = int(seed) % (2**32)
    params = dict(
        max_iter=MAX_ITER,
        early_stopping=False,
        random_state=seed32,
        categorical_features=cat if cat.any() else None,
    )
    if regression:
        with threadpool_limits(limits=1):
            scores = []
            for x, y in ((x_syn, y_syn), (x_real, y_real)):
                model = HistGradientBoostingRegressor(**params).fit(x, y)
                scores.append(float(r2_score(y_test, model.predict(x_test))))
        return ModelScores("regression", "r2", scores[0], scores[1], len(y_test))
    classes = np.unique(y_real)
    if len(classes) < 2:
        raise InputError(
            f"the target {target!r} has a single value in the training part: no model to score",
            Where(field="target", column=target),
        )
    test = np.isin(y_test, classes)
    x_test, y_test = x_test[test], y_test[test]
    if len(np.unique(y_test)) < 2:
        raise InputError(
            f"the target {target!r} has fewer than two values in the control part: "
            "no AUC can be measured",
            Where(field="target", column=target),
        )
    with threadpool_limits(limits=1):
        scores = []
        for x, y in ((x_syn, y_syn), (x_real, y_real)):
            model = HistGradientBoostingClassifier(**params)
            if len(np.unique(y)) > 1:
                model.fit(x, y)
            else:  # a synthetic table with one class predicts it for everybody
                model.classes_ = np.unique(y)
            scores.append(_auc(y_test, _proba(model, x_test, classes), classes))
    return ModelScores("classification", "auc", scores[0], scores[1], len(y_test))
