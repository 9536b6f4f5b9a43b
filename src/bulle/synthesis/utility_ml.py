"""Train on synthetic, test on real: the machine-learning half of the utility report.

The question a data user asks of a synthetic table is whether a model trained on it does as well
on real people as one trained on the real data. Both models are the same gradient-boosted trees
(LightGBM, fixed hyper-parameters, one thread, deterministic, seeded), one trained on the
synthetic table and one on the training part, and both are scored on the control part, which
neither the synthesizer nor either model saw. A categorical target (or a numeric one with few
values) is scored by ROC AUC (one-vs-rest macro average beyond two classes); a numeric target
with many values by R².

LightGBM rather than scikit-learn's gradient boosting because it trains the two models in a
fraction of the time, and the AUC is computed here from ranks, so that a run that does not fit a
scikit-learn model never imports scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bulle.errors import InputError, Where
from bulle.synthesis.privacy.encoding import MISSING_CODE, Encoded

MAX_CLASSES_OF_A_NUMBER = 20  # a numeric target with more distinct values is a regression
ROUNDS = 100  # boosting rounds of both models (fixed: the figures compare tables, not tunings)
MAX_CATEGORIES = 255  # beyond this many codes a categorical feature is given as a number


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
            "model": "LightGBM",
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


def _proba(booster: Any, x: np.ndarray, classes: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Probabilities over ``classes`` from a booster trained on the ``seen`` classes (a class
    the model never saw gets 0; a single seen class gets 1)."""
    out = np.zeros((len(x), len(classes)))
    pos = np.searchsorted(classes, seen)
    if booster is None:  # one class seen: it for everybody; none: no preference
        out[:, pos] = 1.0 if len(pos) else 1.0 / len(classes)
        return out
    p = np.asarray(booster.predict(x, num_threads=1), dtype=np.float64)
    if p.ndim == 1:  # binary objective: the probability of the second seen class
        p = np.column_stack([1.0 - p, p])
    out[:, pos] = p
    total = out.sum(axis=1, keepdims=True)
    return np.divide(out, total, out=np.full_like(out, 1.0 / len(classes)), where=total > 0)


def binary_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC of ``score`` for the boolean labels ``positive`` (Mann-Whitney, ties count half)."""
    from scipy.stats import rankdata

    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return 0.5
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _auc(y: np.ndarray, p: np.ndarray, classes: np.ndarray) -> float:
    """AUC of the second class with two; beyond, the one-vs-rest macro average over the
    classes present in ``y``, probabilities renormalised over them."""
    if len(classes) == 2:
        return binary_auc(y == classes[1], p[:, 1])
    present = np.isin(classes, y)
    if present.sum() < 2:
        return 0.5
    q = p[:, present]
    total = q.sum(axis=1, keepdims=True)
    q = np.divide(q, total, out=np.full_like(q, 1.0 / present.sum()), where=total > 0)
    return float(np.mean([binary_auc(y == c, q[:, k]) for k, c in enumerate(classes[present])]))


def _params(objective: str, seed: int, **extra: Any) -> dict[str, Any]:
    return {
        "objective": objective,
        **extra,
        "learning_rate": 0.1,
        "num_leaves": 31,
        "min_data_in_leaf": 20,
        "num_threads": 1,
        "deterministic": True,
        "force_row_wise": True,
        "seed": seed,
        "verbosity": -1,
    }


def _train(x: np.ndarray, y: np.ndarray, cat: np.ndarray, params: dict[str, Any]) -> Any:
    import lightgbm as lgb

    data = lgb.Dataset(
        x,
        label=y,
        categorical_feature=[int(k) for k in np.flatnonzero(cat)],
        params={"verbosity": -1, "max_bin": 255},
        free_raw_data=True,
    )
    return lgb.train(params, data, num_boost_round=ROUNDS)


def model_scores(enc: Encoded, target: str, seed: int) -> ModelScores:
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
    seed32 = int(seed) % (2**31)
    if regression:
        scores = []
        for x, y in ((x_syn, y_syn), (x_real, y_real)):
            if len(y) == 0:  # nothing to learn from: the test mean, R² 0
                scores.append(0.0)
                continue
            model = _train(x, y, cat, _params("regression", seed32))
            pred = np.asarray(model.predict(x_test, num_threads=1), dtype=np.float64)
            scores.append(r2(y_test, pred))
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
    scores = []
    for x, y in ((x_syn, y_syn), (x_real, y_real)):
        seen = np.unique(y)
        label = np.searchsorted(seen, y).astype(np.float64)
        if len(seen) <= 1:  # a synthetic table with one class (or none) cannot train a model
            booster = None
        elif len(seen) == 2:
            booster = _train(x, label, cat, _params("binary", seed32))
        else:
            booster = _train(x, label, cat, _params("multiclass", seed32, num_class=len(seen)))
        scores.append(_auc(y_test, _proba(booster, x_test, classes, seen), classes))
    return ModelScores("classification", "auc", scores[0], scores[1], len(y_test))


def r2(y: np.ndarray, pred: np.ndarray) -> float:
    """Coefficient of determination of ``pred`` against ``y`` (0 when ``y`` is constant)."""
    total = float(np.sum((y - y.mean()) ** 2))
    if total == 0:
        return 0.0
    return 1.0 - float(np.sum((y - pred) ** 2)) / total
