"""Quality metrics ("information loss") with ARX's exact definitions: one interface, one registry.

A metric gives, for an evaluated transformation, either one value per quasi-identifier (then
weighted and aggregated, :mod:`.aggregate`) or a single value. For the search it also declares:

* ``static_bound``: a lower bound computed from generalization levels alone, non-decreasing along
  the lattice (Loss without suppression, entropy, precision, height). The search evaluates only
  nodes whose bound beats the best value found.
* ``dynamic_bound``: a lower bound, valid for the node and all its successors, known once the node
  is evaluated (DM, DM*, AECS).
* ``exact_static``: the value depends on the levels only (suppression ignored).
* ``monotonic``: the value never decreases along the lattice among anonymous transformations.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from bulle.registry import Registry

if TYPE_CHECKING:
    from bulle.anonymization.encoding import Encoded
    from bulle.anonymization.evaluate import NodeResult

BUILTIN = (
    "loss",
    "entropy",
    "entropy_nonmonotonic",
    "dm",
    "dmstar",
    "aecs",
    "precision",
    "precision_monotonic",
    "height",
)
# Entry-point group ``bulle.metrics``: a plug-in metric is a Metric subclass.
METRICS: Registry[type[Metric]] = Registry(
    "metrics", "metric", tuple(f"bulle.anonymization.metrics.{m}" for m in BUILTIN)
)

_PRECISION = 1e10


def arx_round(x: np.ndarray | float) -> np.ndarray | float:
    """ARX's rounding of per-attribute Loss and entropy values: floor to 10 decimals."""
    return np.floor(np.asarray(x, dtype=np.float64) * _PRECISION) / _PRECISION


def gs_factors(gs: float) -> tuple[float, float]:
    """(generalization factor, suppression factor) from ARX's gs-factor."""
    g = 1.0 if gs <= 0.5 else 1.0 - 2.0 * (gs - 0.5)
    s = 2.0 * gs if gs < 0.5 else 1.0
    return g, s


class Metric:
    name: ClassVar[str]
    title: ClassVar[str]
    multi_dimensional: ClassVar[bool] = True
    default_aggregate: ClassVar[str | None] = None
    exact_static: ClassVar[bool] = False
    has_static_bound: ClassVar[bool] = False
    has_dynamic_bound: ClassVar[bool] = False

    def __init__(self, enc: Encoded, gs_factor: float = 0.5):
        self.enc = enc
        self.gs_factor = gs_factor
        self.g_factor, self.s_factor = gs_factors(gs_factor)
        self.N = float(enc.n_records)

    def monotonic(self, suppression: bool) -> bool:
        """Non-decreasing along the lattice over anonymous transformations?"""
        return not suppression

    def static_bound(self, levels: np.ndarray) -> np.ndarray | None:
        """(nodes, D) per-attribute bounds, or (nodes,) for single-valued metrics."""
        return None

    def value(self, res: NodeResult) -> np.ndarray | float:
        raise NotImplementedError

    def dynamic_bound(self, res: NodeResult) -> float | None:
        return None


def register(cls: type[Metric]) -> type[Metric]:
    """Class decorator: register a metric under its ``name``."""
    METRICS.add(cls.name, cls)
    return cls


def per_level(enc: Encoded, table: list[np.ndarray], levels: np.ndarray) -> np.ndarray:
    """Gather a per-(attribute, level) table for many nodes: (nodes, D)."""
    out = np.empty(levels.shape, dtype=np.float64)
    for d in range(levels.shape[1]):
        out[:, d] = np.asarray(table[d], dtype=np.float64)[levels[:, d]]
    return out


def max_classes(enc: Encoded, levels: np.ndarray) -> np.ndarray:
    """Upper bound, per node, on the number of classes holding counted records.

    A node has at most as many classes as distinct combinations at the bottom, and at most the
    product of the distinct values of each attribute at its level; refining the product with the
    distinct pairs of every two attributes tightens it a lot. All of it is non-increasing along
    the lattice, so bounds built on it never decrease.
    """
    from bulle.anonymization.grouping import base_grouping, roll_up

    counted = enc.count > 0
    dims = enc.dims
    bottom = roll_up(enc, base_grouping(enc), tuple([0] * dims))
    distinct_bottom = float(np.count_nonzero(bottom.size > 0))
    per = np.ones((levels.shape[0], dims))
    m: list[np.ndarray] = []
    for d in range(dims):
        counts = [
            float(np.unique(enc.row_codes(d, lv)[counted]).shape[0])
            for lv in range(int(enc.heights[d]) + 1)
        ]
        m.append(np.array(counts))
        per[:, d] = m[d][levels[:, d]]
    log_per = np.log(per)
    total = log_per.sum(axis=1)
    best = np.minimum(total, np.log(distinct_bottom))
    for d1 in range(dims):
        for d2 in range(d1 + 1, dims):
            h1, h2 = int(enc.heights[d1]) + 1, int(enc.heights[d2]) + 1
            pairs = np.empty((h1, h2))
            for l1 in range(h1):
                a = enc.row_codes(d1, l1)[counted]
                for l2 in range(h2):
                    b = enc.row_codes(d2, l2)[counted]
                    pairs[l1, l2] = np.unique(a * (int(b.max(initial=0)) + 1) + b).shape[0]
            est = (
                total
                - log_per[:, d1]
                - log_per[:, d2]
                + np.log(pairs[levels[:, d1], levels[:, d2]])
            )
            best = np.minimum(best, est)
    return np.exp(best)


def finite_or_max(x: float) -> float:
    """ARX reports an overflowing sum as Double.MAX_VALUE."""
    return x if math.isfinite(x) else np.finfo(np.float64).max
