"""The learning algorithms a model can be trained with (entry-point group ``bulle.learners``).

A learner fits one shard and returns that shard's whole state as bytes. Forgetting is checked by
comparing those bytes, so a learner must be deterministic: the same rows in the same order and the
same seed give the same bytes, in any process (single-threaded, fixed seeds, a canonical
serialization). Its ``predict`` reads the bytes back; its ``export_format`` names the open format
those bytes are in.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from bulle.registry import Registry


class Learner(Protocol):
    name: str
    export_format: str  # the open format of the state bytes ("lightgbm-text", "json")

    def params(self) -> dict[str, Any]:
        """Every hyper-parameter, recorded in the model's lineage."""
        ...

    def fit(self, num: np.ndarray, cat: np.ndarray, y: np.ndarray, seed: int) -> bytes:
        """Train on one shard (``num``: float columns, NaN missing; ``cat``: hashed buckets, -1
        missing) and return its state."""
        ...

    def predict(self, state: bytes, num: np.ndarray, cat: np.ndarray) -> np.ndarray:
        """Probability of the positive class for each row."""
        ...


LEARNERS: Registry[type] = Registry(
    "learners",
    "learning algorithm",
    ("bulle.learning.lightgbm_learner", "bulle.learning.logistic_learner"),
)


def learner(name: str, **overrides: Any) -> Learner:
    return LEARNERS.get(name)(**overrides)
