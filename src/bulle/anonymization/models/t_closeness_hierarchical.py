"""t-closeness with hierarchical ground distance, using the sensitive attribute's hierarchy.

Li et al.'s hierarchical EMD as ARX computes it: leaves are the attribute's values in the data;
for every inner node at level ``lv`` (hierarchy height H) the positive and negative "extra" mass
of its children is summed and ``(lv / H) * min(pos, neg)`` is added. ARX works in integers,
``extra_i = P_i * Q - Q_i * P`` (P, P_i: overall counts; Q, Q_i: the class's), and divides by P*Q.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bulle.anonymization.models import ClassView, register
from bulle.anonymization.models.emd import EMDTCloseness, overall_distribution


@register
class HierarchicalDistanceTCloseness(EMDTCloseness):
    name = "t-closeness-hierarchical"
    variant = "hierarchical"

    def __init__(self, spec, enc):
        super().__init__(spec, enc)
        col = enc.sensitive_column(self.attribute)
        h = col.hierarchy
        self.overall = overall_distribution(enc, self.attribute)
        self.total = float(enc.n_records)
        self.height = h.height
        # Per level >= 1: parent index of every node of the level below.
        self.parents: list[np.ndarray] = []
        self.sizes: list[int] = []
        below = list(col.values)
        for level in range(1, h.height + 1):
            ids: dict[str, int] = {}
            parent = np.empty(len(below), dtype=np.int64)
            for i, leaf_path in enumerate(below):
                parent[i] = ids.setdefault(h.levels[level][leaf_path], len(ids))
            # Children of a level-(level) node are the distinct level-(level-1) nodes under it.
            self.parents.append(parent)
            self.sizes.append(len(ids))
            below_nodes = {}
            for i, leaf_path in enumerate(below):
                below_nodes.setdefault(parent[i], leaf_path)
            below = [below_nodes[j] for j in range(len(ids))]

    @classmethod
    def param_problems(cls, params: dict[str, Any], full, spec) -> list[str]:
        problems = super().param_problems(params, full, spec)
        if spec.attribute is not None and spec.attribute not in full.hierarchies:
            problems.append(
                f"hierarchical t-closeness needs a hierarchy for {spec.attribute!r} "
                f"(--hierarchy {spec.attribute}=FILE)"
            )
        return problems

    def distance(self, view: ClassView) -> np.ndarray:
        hist = view.histogram(self.attribute)
        q_size = view.size.astype(np.float64)
        extra = self.overall[None, :] * q_size[:, None] - hist * self.total  # exact integers
        cost = np.zeros(hist.shape[0], dtype=np.float64)
        for level, (parent, n_nodes) in enumerate(
            zip(self.parents, self.sizes, strict=True), start=1
        ):
            onehot = np.zeros((parent.shape[0], n_nodes))
            onehot[np.arange(parent.shape[0]), parent] = 1.0
            pos = np.maximum(extra, 0.0) @ onehot
            neg = np.maximum(-extra, 0.0) @ onehot
            cost += (level / self.height) * np.minimum(pos, neg).sum(axis=1)
            extra = pos - neg
        with np.errstate(divide="ignore", invalid="ignore"):
            return cost / (self.total * q_size)
