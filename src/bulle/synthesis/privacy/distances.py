"""Distance to closest record, nearest-neighbour distance ratio and exact copies.

These are not attacks but the first thing a reviewer asks: does the synthetic table sit on top
of the real records? Each is reported next to its *natural* value, what a fresh sample of the
same population (the control part) shows against the training part, because a figure alone says
little (categorical tables are full of legitimate exact matches):

* distance to closest record (DCR): median Gower-like distance from a synthetic record to its
  nearest training record, against the same for control records. Synthetic records much closer
  than control records were drawn from the training records rather than from the population.
* nearest-neighbour distance ratio (NNDR): nearest over second-nearest training distance (1 when
  both are 0). A ratio near 0 means a record close to one training record and far from the rest,
  i.e. an outlier reproduced.
* exact copies: share of synthetic rows equal to a training row on every column, and the natural
  rate, the share of control rows equal to a training row.

DCR and NNDR are computed on a random sample of ``n`` synthetic and ``n`` control records (all
training records as candidates); exact copies on every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bulle.synthesis.privacy.encoding import Encoded, nearest


def _r(x: float) -> float:
    return float(round(float(x), 6))


@dataclass(frozen=True)
class DistanceFigures:
    synthetic_dcr_median: float
    control_dcr_median: float
    synthetic_nndr_median: float
    control_nndr_median: float
    sample: int
    exact_copies: float
    exact_copies_natural: float

    def dcr_dict(self) -> dict[str, Any]:
        return {
            "synthetic_to_training_median": _r(self.synthetic_dcr_median),
            "control_to_training_median": _r(self.control_dcr_median),
            "sample": self.sample,
        }

    def nndr_dict(self) -> dict[str, Any]:
        return {
            "synthetic_median": _r(self.synthetic_nndr_median),
            "control_median": _r(self.control_nndr_median),
            "sample": self.sample,
        }


def _row_keys(rows: np.ndarray) -> list[bytes]:
    canon = np.where(np.isnan(rows), np.float64(-2.5), rows)  # NaN equal to NaN
    canon = np.ascontiguousarray(canon + 0.0)  # -0.0 equal to 0.0
    return [r.tobytes() for r in canon]


def copy_rate(rows: np.ndarray, reference: np.ndarray) -> float:
    """Share of ``rows`` equal on every column to some row of ``reference``."""
    if len(rows) == 0:
        return 0.0
    known = set(_row_keys(reference))
    return sum(k in known for k in _row_keys(rows)) / len(rows)


def _ratios(d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(d2 > 0, d1 / d2, 1.0)
    return np.where(np.isnan(d2), 1.0, r)


def distance_figures(enc: Encoded, n: int, rng: np.random.Generator) -> DistanceFigures:
    cols = list(range(len(enc.columns)))
    m = min(n, len(enc.synthetic), len(enc.control))
    syn = enc.synthetic[rng.choice(len(enc.synthetic), m, replace=False)]
    ctl = enc.control[rng.choice(len(enc.control), m, replace=False)]
    order_seed = int(rng.integers(2**63))
    _, s1, s2 = nearest(enc, syn, enc.train, cols, np.random.default_rng(order_seed), second=True)
    _, c1, c2 = nearest(enc, ctl, enc.train, cols, np.random.default_rng(order_seed), second=True)
    return DistanceFigures(
        synthetic_dcr_median=float(np.median(s1)),
        control_dcr_median=float(np.median(c1)),
        synthetic_nndr_median=float(np.median(_ratios(s1, s2))),
        control_nndr_median=float(np.median(_ratios(c1, c2))),
        sample=m,
        exact_copies=copy_rate(enc.synthetic, enc.train),
        exact_copies_natural=copy_rate(enc.control, enc.train),
    )
