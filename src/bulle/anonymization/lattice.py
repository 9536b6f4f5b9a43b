"""The generalization lattice: every vector of levels, with fast predecessor/successor masks.

Nodes are numbered in mixed radix (first quasi-identifier most significant). Predecessor and
successor sets are boolean masks built from per-(attribute, level) comparisons prepared once, so
tagging a whole down-set after a failed check costs a few vectorized ANDs.
"""

from __future__ import annotations

import numpy as np

from bulle.errors import InputError

MAX_NODES = 3_000_000


class Lattice:
    def __init__(self, heights: np.ndarray):
        self.heights = np.asarray(heights, dtype=np.int64)
        shape = tuple(int(h) + 1 for h in self.heights)
        size = 1
        for s in shape:
            size *= s
        if size > MAX_NODES:
            raise InputError(
                f"the lattice has {size:,} transformations (more than {MAX_NODES:,}): "
                f"use fewer quasi-identifiers or hierarchies with fewer levels"
            )
        self.shape = shape
        self.size = size
        dims = len(shape)
        self.levels = (
            np.indices(shape).reshape(dims, -1).T.astype(np.int64)
            if dims
            else np.zeros((1, 0), np.int64)
        )
        strides = []
        acc = 1
        for s in reversed(shape):
            strides.append(acc)
            acc *= s
        self.strides = np.array(list(reversed(strides)), dtype=np.int64)
        self.level_sum = self.levels.sum(axis=1)
        self._le = [[self.levels[:, d] <= lv for lv in range(shape[d])] for d in range(dims)]
        self._ge = [[self.levels[:, d] >= lv for lv in range(shape[d])] for d in range(dims)]

    @property
    def top(self) -> int:
        return self.size - 1

    def index(self, node) -> int:
        return int(np.dot(np.asarray(node, dtype=np.int64), self.strides))

    def node(self, i: int) -> tuple[int, ...]:
        return tuple(int(v) for v in self.levels[i])

    def predecessors(self, i: int) -> np.ndarray:
        """Mask of the nodes below or equal to node ``i``."""
        v = self.levels[i]
        mask = np.ones(self.size, dtype=bool)
        for d, lv in enumerate(v):
            if lv < self.heights[d]:
                mask &= self._le[d][lv]
        return mask

    def successors(self, i: int) -> np.ndarray:
        """Mask of the nodes above or equal to node ``i``."""
        v = self.levels[i]
        mask = np.ones(self.size, dtype=bool)
        for d, lv in enumerate(v):
            if lv > 0:
                mask &= self._ge[d][lv]
        return mask

    def direct_predecessors(self, i: int) -> list[int]:
        v = self.levels[i]
        return [i - int(self.strides[d]) for d in range(len(v)) if v[d] > 0]
