"""Constructed populations where the answer of each attack is known in advance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def draw_people(n: int, seed: int) -> pd.DataFrame:
    """Records that are nearly all unique (a continuous income, a fine-grained zip code) and
    whose columns are independent, so nothing about one person follows from the population."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "zip": [f"Z{v:03d}" for v in rng.integers(0, 300, n)],
            "sex": rng.choice(["F", "M"], n),
            "job": rng.choice([f"job{i}" for i in range(25)], n),
            "income": np.round(rng.lognormal(10, 0.6, n), 2),
            "diagnosis": rng.choice([f"D{i}" for i in range(12)], n),
        }
    )


@pytest.fixture
def people():
    return draw_people
