"""ARX's own search, replayed, for entropy l-diversity with Grassberger's estimator.

Why a replay: ARX (``EntropyLDiversity``) sums ``n_v G(n_v)`` over a class's ``Distribution``
hash table and stops as soon as the partial sum passes the bound. G(1) < 0, so a class holding a
value seen once may pass or fail depending on its buckets' order, and that order depends on how
ARX built the class: from the rows, by rolling up the previous transformation's classes, or from a
snapshot kept in its ``History``. Which of these happened depends on ARX's whole search path. To
give ARX's optimum, Bulle follows that path: the traversal of ``FLASHAlgorithmImpl`` with the
strategy of ``FLASHStrategy``, the transitions of ``TransformationChecker`` and
``TransformationCheckerStateMachine``, the snapshots of ``History`` and the layouts of
``Distribution`` (all ARX 3.9 classes, reimplemented here from their behaviour).

Replayed configuration: one entropy l-diversity model with the Grassberger estimator and
ceil(l) > 1, a suppression limit above zero (ARX then sees the privacy model as *partially*
monotonic: only the minimal class size propagates), no research subset, and the non-monotonic
entropy metric (ARX bounds it from levels alone, as Bulle does; checked against ARX's results),
Loss or DM (bounded in ARX only once checked; from ARX's source). ARX's ``FLASHAlgorithm`` then runs a binary phase on the
minimal class size followed by a depth-first linear phase that checks every node not yet known to
fail it, pruning by the lower bound. Every other configuration (no suppression, where the model
is fully monotonic; monotonic metrics; several models) keeps Bulle's own search and model.

Class sizes and histograms come from Bulle's grouping; only the classes whose verdict depends on
the order (full sum <= bound < sum of the positive terms) get a hash-table layout, computed
lazily down the chain of builds (each checked node remembers how it was built) and memoized.
The checker, its history and the layouts are in :mod:`bulle.anonymization.arx.checker`; this
module holds the traversal.
"""

from __future__ import annotations

import numpy as np

from bulle.anonymization.arx.checker import HISTORY_SIZE, Checker
from bulle.anonymization.evaluate import Evaluator
from bulle.anonymization.lattice import Lattice
from bulle.anonymization.metrics import Metric
from bulle.anonymization.metrics.aggregate import Aggregate
from bulle.anonymization.models.entropy_l_diversity import EntropyLDiversity
from bulle.anonymization.search import SearchResult

# Metrics for which ARX knows a lower bound from the levels alone (``getLowerBound`` of a
# transformation not yet checked) equal to Bulle's static bound: ARX prunes unchecked nodes with
# it, which shapes its path. ARX's Loss, for one, has none (only the bound of a checked node); the
# replay is limited to what was checked against ARX's own results.
ARX_LEVEL_BOUND = frozenset({"entropy-nonmonotonic"})
# Metrics whose only bound in ARX is that of a checked transformation (from its classes: for Loss,
# the loss without suppression, which is Bulle's static bound; for DM, DM*): unchecked nodes are
# never skipped by bound, checked ones prune their successors (``Checker.checked_bound``).
ARX_CHECKED_BOUND = frozenset({"loss", "dm"})


def replays(evaluator: Evaluator, metric: Metric) -> bool:
    """Whether ARX runs, for this configuration, the search that this module replays."""
    enc = evaluator.enc
    models = evaluator.first + evaluator.monotone + evaluator.others
    return (
        enc.first is not None
        and enc.pcount is None
        and evaluator.limit > 0
        and len(models) == 1
        and isinstance(models[0], EntropyLDiversity)
        and models[0].estimator == "grassberger"
        and models[0].min_class_size > 1
        and metric.name in ARX_LEVEL_BOUND | ARX_CHECKED_BOUND
        and not metric.monotonic(True)
    )


class _Queue:
    """A binary heap ordered like ``java.util.PriorityQueue``: ties fall where the sifts put them,
    and ARX's order of checks depends on it."""

    def __init__(self, crit: list[tuple[float, ...]]):
        self.crit = crit
        self.heap: list[int] = []

    def __len__(self) -> int:
        return len(self.heap)

    def add(self, x: int) -> None:
        heap, crit = self.heap, self.crit
        heap.append(x)
        k = len(heap) - 1
        while k > 0:
            parent = (k - 1) >> 1
            if crit[x] >= crit[heap[parent]]:
                break
            heap[k] = heap[parent]
            k = parent
        heap[k] = x

    def poll(self) -> int:
        heap, crit = self.heap, self.crit
        top = heap[0]
        x = heap.pop()
        if heap:
            n, k = len(heap), 0
            while k < n >> 1:
                child = 2 * k + 1
                if child + 1 < n and crit[heap[child]] > crit[heap[child + 1]]:
                    child += 1
                if crit[x] <= crit[heap[child]]:
                    break
                heap[k] = heap[child]
                k = child
            heap[k] = x
        return top


class FlashReplay:
    """``FLASHAlgorithmImpl`` for a partially monotonic model and a non-monotonic metric."""

    def __init__(
        self,
        evaluator: Evaluator,
        metric: Metric,
        aggregate: Aggregate | None,
        history_size: int = HISTORY_SIZE,
    ):
        self.ev = evaluator
        lat = self.lat = Lattice(evaluator.enc.heights)
        self.checker = Checker(evaluator, metric, aggregate, lat, history_size)
        self.checker.pruned_of = lambda i: bool(self.pruned[i])
        self.checker.forced = lambda i: bool(self.forced[i])
        n = lat.size
        for name in (
            "anonymous",
            "checked",
            "forced",
            "visited",
            "kanon",
            "not_kanon",
            "pruned",
            "insufficient",
        ):
            setattr(self, name, np.zeros(n, dtype=bool))
        self.level = lat.level_sum.tolist()
        self.crit = self._strategy()
        self.bounds: dict[int, tuple[float, ...]] = {}
        self.optimum: int | None = None
        self.best: tuple[float, ...] | None = None
        self.candidates: list[int] = []
        self.level_bound = metric.name in ARX_LEVEL_BOUND
        self._successors: dict[int, list[int]] = {}

    def _strategy(self) -> list[tuple[float, ...]]:
        """``FLASHStrategy``'s key: level share, mean relative level, 1 - mean distinct share
        (distinct values counted in the hierarchies, as ARX does)."""
        enc, lat = self.ev.enc, self.lat
        dims = enc.dims
        distinct = [
            [len(set(h.levels[lv].values())) for lv in range(h.height + 1)] for h in enc.hierarchies
        ]
        heights = [int(h) for h in enc.heights]
        top = max(1, sum(heights))
        crit = []
        for row in lat.levels.tolist():
            dd = sum(distinct[d][row[d]] / distinct[d][0] for d in range(dims)) / dims
            pr = sum((row[d] / heights[d]) if heights[d] else 0.0 for d in range(dims)) / dims
            crit.append((sum(row) / top, pr, 1.0 - dd))
        return crit

    def _arx_order(self, nodes) -> list[int]:
        """ARX numbers nodes with the first attribute varying fastest; sorts are stable."""
        levels = self.lat.levels
        mult = np.cumprod([1, *[int(h) + 1 for h in self.lat.heights[:-1]]])
        arx_id = {i: int(np.dot(levels[i], mult)) for i in nodes}
        return sorted(nodes, key=lambda i: (self.crit[i], arx_id[i]))

    def successors(self, i: int) -> list[int]:
        out = self._successors.get(i)
        if out is None:
            row = self.lat.levels[i]
            cand = [
                (i + int(self.lat.strides[d]), d)
                for d in range(self.ev.enc.dims)
                if row[d] < self.lat.heights[d]
            ]
            out = [j for j, _ in sorted(cand, key=lambda c: (self.crit[c[0]], c[1]))]
            self._successors[i] = out
        return out

    # -- properties ----------------------------------------------------------------------------
    def _up(self, prop: np.ndarray, i: int) -> None:
        if not prop[i]:
            prop |= self.lat.successors(i)

    def _down(self, prop: np.ndarray, i: int) -> None:
        if not prop[i]:
            prop |= self.lat.predecessors(i)

    def _bound(self, i: int) -> tuple[float, ...] | None:
        """ARX's ``getLowerBound``: a checked node's, else one from levels alone if the metric has
        one (``ARX_LEVEL_BOUND``)."""
        b = self.bounds.get(i)
        if b is None and self.level_bound:
            b = self.bounds[i] = self.checker.static_key(i)
        return b

    # -- FLASH ---------------------------------------------------------------------------------
    def _skip(self, linear: bool, i: int) -> bool:
        if linear:
            if self.visited[i] or self.not_kanon[i]:
                return True
        elif self.kanon[i] or self.not_kanon[i]:
            return True
        if self.optimum is not None:
            if self.insufficient[i]:
                return True
            bound = self._bound(i)
            if bound is not None and self.best <= bound:
                self._up(self.insufficient, i)
                self._up(self.pruned, i)
                return True
        return False

    def _check_and_tag(self, i: int, linear: bool) -> None:
        todo = (
            (not self.checked[i] and not self.not_kanon[i])
            if linear
            else not (self.kanon[i] or self.not_kanon[i])
        )
        if todo:
            r = self.checker.check(i)
            self.checked[i] = True
            self.anonymous[i] = r.anonymous
            if r.kanon:
                self._up(self.kanon, i)
            else:
                self._down(self.not_kanon, i)
            self.bounds[i] = r.bound
        if self.anonymous[i]:
            loss = self.checker.results[i].loss
            if (
                self.optimum is None
                or loss < self.best
                or (loss == self.best and self.level[i] < self.level[self.optimum])
            ):
                self.optimum, self.best = i, loss
        if linear:
            self.visited[i] = True
        self._prune(i)

    def _prune(self, i: int) -> None:
        if i not in self.bounds:
            return
        if i != self.optimum and self.pruned[i]:
            return
        if self.optimum is None:
            self.candidates.append(i)
            return
        if i != self.optimum:
            if self.best <= self.bounds[i]:
                self._up(self.insufficient, i)
                self._up(self.pruned, i)
            else:
                self.candidates.append(i)
            return
        keep = []
        for c in self.candidates:
            if self.pruned[c]:
                continue
            if self.best <= self.bounds[c]:
                self._up(self.insufficient, c)
                self._up(self.pruned, c)
            else:
                keep.append(c)
        self.candidates = keep
        if not self.pruned[i]:
            self.candidates.append(i)

    def _linear(self, i: int) -> None:
        if not self._skip(True, i):
            self._check_and_tag(i, True)
            for j in self.successors(i):
                if not self._skip(True, j):
                    self._linear(j)
        self._up(self.pruned, i)

    def _path(self, i: int) -> list[int]:
        path = [i]
        while True:
            nxt = next((j for j in self.successors(path[-1]) if not self._skip(False, j)), None)
            if nxt is None:
                return path
            path.append(nxt)

    def _binary_path(self, path: list[int], queue: _Queue) -> int | None:
        lo, hi, last = 0, len(path) - 1, None
        while lo <= hi:
            mid = (lo + hi) // 2
            t = path[mid]
            if self._skip(False, t):
                hi = mid - 1
                continue
            self._check_and_tag(t, False)
            if not self.kanon[t]:
                for u in self.successors(t):
                    if not self._skip(False, u):
                        queue.add(u)
                lo = mid + 1
            else:
                last, hi = t, mid - 1
        return last

    def _binary(self, i: int, queue: _Queue) -> None:
        queue.add(i)
        while len(queue):
            t = queue.poll()
            if not self._skip(False, t):
                head = self._binary_path(self._path(t), queue)
                if head is not None:
                    self._linear(head)

    def run(self) -> SearchResult:
        # ARX checks the bottom first and keeps its result on the node: checking it again later
        # neither stores a snapshot nor moves the checker.
        bottom = 0
        self.checker.kept[bottom] = self.checker.check(bottom)
        self.forced[bottom] = True
        queue = _Queue(self.crit)
        by_level: dict[int, list[int]] = {}
        for i, lv in enumerate(self.level):
            by_level.setdefault(lv, []).append(i)
        for lv in sorted(by_level):
            for i in self._arx_order([i for i in by_level[lv] if not self._skip(False, i)]):
                self._binary(i, queue)
        evaluations = self.checker.checks
        if self.optimum is None:
            return SearchResult(None, None, None, None, evaluations, self.lat.size)
        res = self.checker.release_result(self.optimum)
        return SearchResult(
            self.lat.node(self.optimum), np.array(self.best), None, res, evaluations, self.lat.size
        )
