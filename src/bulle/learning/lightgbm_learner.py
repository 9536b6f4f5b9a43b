"""Gradient-boosted trees (LightGBM), the default learner: one text model per shard.

Deterministic by construction: one thread, ``deterministic`` and ``force_row_wise`` (so the
histogram layout never depends on a timing test), every seed fixed from the model's seed. The
state is LightGBM's own text model, an open format any LightGBM reads; the hashed category
columns are declared categorical (their bucket numbers carry no order).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bulle.learning.learners import LEARNERS


@LEARNERS.register("lightgbm")
class LightGBMLearner:
    name = "lightgbm"
    export_format = "lightgbm-text"

    def __init__(
        self,
        num_boost_round: int = 100,
        learning_rate: float = 0.1,
        num_leaves: int = 31,
        min_data_in_leaf: int = 20,
        lambda_l2: float = 0.0,
    ):
        self.rounds = int(num_boost_round)
        self.core = {
            "learning_rate": float(learning_rate),
            "num_leaves": int(num_leaves),
            "min_data_in_leaf": int(min_data_in_leaf),
            "lambda_l2": float(lambda_l2),
        }

    def params(self) -> dict[str, Any]:
        return {"num_boost_round": self.rounds, **self.core}

    def _lgb_params(self, seed: int) -> dict[str, Any]:
        return {
            "objective": "binary",
            **self.core,
            "num_threads": 1,
            "deterministic": True,
            "force_row_wise": True,
            "seed": seed,
            "bagging_seed": seed,
            "feature_fraction_seed": seed,
            "data_random_seed": seed,
            "verbosity": -1,
        }

    def fit(self, num: np.ndarray, cat: np.ndarray, y: np.ndarray, seed: int) -> bytes:
        import lightgbm as lgb

        X = _matrix(num, cat)
        cats = list(range(num.shape[1], X.shape[1]))
        data = lgb.Dataset(
            X,
            label=y.astype(np.float64),
            categorical_feature=cats,
            feature_name=[f"f{i}" for i in range(X.shape[1])],
            params={"verbosity": -1, "max_bin": 255},
            free_raw_data=True,
        )
        booster = lgb.train(
            self._lgb_params(seed), data, num_boost_round=self.rounds, keep_training_booster=True
        )
        return booster.model_to_string().encode("utf-8")

    def predict(self, state: bytes, num: np.ndarray, cat: np.ndarray) -> np.ndarray:
        import lightgbm as lgb

        booster = lgb.Booster(model_str=state.decode("utf-8"))
        return np.asarray(booster.predict(_matrix(num, cat), num_threads=1), dtype=np.float64)


def _matrix(num: np.ndarray, cat: np.ndarray) -> np.ndarray:
    c = cat.astype(np.float64)
    c[cat < 0] = np.nan
    return np.hstack([num.astype(np.float64), c]) if cat.size or num.size else c
