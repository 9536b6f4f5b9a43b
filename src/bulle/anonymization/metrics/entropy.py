"""Non-uniform entropy, monotonic variant (ARX ``MetricMDNUEntropy``): suppression is ignored.

Per attribute: ``sum over original values x of f(x) log2(f(x) / f(g(x)))``, negated, times the
generalization factor, floored to 10 decimals, where f counts (research-subset) records. It depends
on the levels only, so the search never needs a class table to score a node. Aggregate: sum.
"""

from __future__ import annotations

import numpy as np

from bulle.anonymization.metrics import Metric, arx_round, per_level, register


def entropy_tables(enc) -> list[np.ndarray]:
    """Per attribute and level: -sum_x f(x) log2(f(x)/f(g(x))) over counted records."""
    tables = []
    weights = enc.count.astype(np.float64)
    for d in range(enc.dims):
        leaf = np.bincount(enc.rows[:, d], weights=weights, minlength=len(enc.leaf_values[d]))
        present = leaf > 0
        per = []
        for level in range(enc.heights[d] + 1):
            codes = enc.level_codes[d][level]
            gen = np.bincount(codes, weights=leaf, minlength=enc.cardinality(d, level))
            b = gen[codes]
            val = float(np.sum(leaf[present] * np.log2(leaf[present] / b[present])))
            per.append(-val if val != 0.0 else 0.0)
        tables.append(np.array(per))
    return tables


@register
class Entropy(Metric):
    name = "entropy"
    title = "Non-uniform entropy"
    default_aggregate = "sum"
    exact_static = True
    has_static_bound = True

    def __init__(self, enc, gs_factor=0.5):
        super().__init__(enc, gs_factor)
        self.tables = entropy_tables(enc)

    def monotonic(self, suppression: bool) -> bool:
        return True

    def static_bound(self, levels: np.ndarray) -> np.ndarray:
        return arx_round(per_level(self.enc, self.tables, levels) * self.g_factor)

    def value(self, res) -> np.ndarray:
        node = np.array(res.node)[None, :]
        return self.static_bound(node)[0]
