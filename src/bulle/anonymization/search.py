"""Optimal full-domain generalization: the global optimum of the metric over anonymous nodes.

Exactness comes first; pruning is used only where it is provably safe:

* **Anonymity.** When every model is monotonic for the suppression setting (k-anonymity and
  distinct l-diversity always; the others only without suppression), an anonymous node makes all
  its successors anonymous and a failing node makes all its predecessors fail. Whatever the
  models, a node whose *monotonic part* (minimal class size, distinct l-diversity) already
  suppresses too much makes all its predecessors fail.
* **Failure certificates.** For models bounding the share of a class that fails however it is
  split (t-closeness, Shannon entropy and recursive-(c,l) l-diversity), a failing node whose
  certain suppressions exceed the limit makes all its predecessors fail too (``Evaluator._certified``): the search
  then runs top-down as for monotonic models.
* **Bounds.** Metrics with a bound from levels alone (Loss, entropy, precision, height) are
  searched among nodes whose bound beats the best value found, highest bounds first so that one
  failed check prunes a whole down-set; a greedy descent from the top supplies a first value.
  Metrics bounded only after evaluation (DM, DM*, AECS) are searched bottom-up, each node
  inheriting the largest bound of its predecessors (after a top-down pass that lets failure
  certificates prune, for certifiable models).

Ties are broken by the order of discovery (ARX's own optimum may differ on ties; its tests accept
that).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bulle.anonymization.evaluate import Evaluator, NodeResult
from bulle.anonymization.lattice import Lattice
from bulle.anonymization.metrics import Metric
from bulle.anonymization.metrics.aggregate import Aggregate, is_less, less, single

_EPS = 1e-12


@dataclass
class SearchResult:
    node: tuple[int, ...] | None
    score: np.ndarray | None
    values: np.ndarray | float | None
    result: NodeResult | None
    evaluations: int
    lattice_size: int


class Search:
    def __init__(self, evaluator: Evaluator, metric: Metric, aggregate: Aggregate | None):
        self.ev = evaluator
        self.metric = metric
        self.aggregate = aggregate
        self.lat = Lattice(evaluator.enc.heights)
        models = evaluator.first + evaluator.monotone + evaluator.others
        suppression = evaluator.limit > 0
        self.models_monotone = all(m.is_monotonic(suppression) for m in models)
        # Models judged class by class that a merge of satisfying classes still satisfies: then a
        # node without suppression makes every successor anonymous without suppression, where all
        # metrics are monotonic: the successors cannot do better and are skipped ("dominated").
        self.class_monotone = all(m.monotonic_without_suppression for m in models)
        self.metric_monotone = metric.monotonic(suppression)
        n = self.lat.size
        self.status = np.zeros(n, dtype=np.int8)  # 1 anonymous, -1 not anonymous, 0 unknown
        self.evaluated = np.zeros(n, dtype=bool)
        self.dominated = np.zeros(n, dtype=bool)
        self.best_key: np.ndarray | None = None
        self.best_id: int | None = None
        self.best_values = None
        self.node_bound: dict[int, float] = {}
        self.top_certified = False

    # -- scoring ---------------------------------------------------------------------------------
    def key(self, values) -> np.ndarray:
        if self.metric.multi_dimensional:
            return self.aggregate.score(np.asarray(values))
        return single(values)

    def _offer(self, i: int, values) -> None:
        k = self.key(values)
        if self.best_key is None or is_less(k, self.best_key):
            self.best_key, self.best_id, self.best_values = k, i, values

    def _evaluate(self, i: int) -> NodeResult:
        res = self.ev.evaluate(self.lat.node(i))
        self.evaluated[i] = True
        if self.metric.has_dynamic_bound:
            b = float(self.metric.dynamic_bound(res))
            if res.anonymous and self.metric_monotone:
                b = max(b, float(self.metric.value(res)))
            self.node_bound[i] = b
        if res.anonymous:
            self.status[i] = 1
            if self.class_monotone and res.suppressed == 0:
                succ = self.lat.successors(i)
                succ[i] = False
                self.dominated |= succ
            if self.models_monotone:
                succ = self.lat.successors(i)
                self.status[succ & (self.status == 0)] = 1
            self._offer(i, self.metric.value(res))
        else:
            self.status[i] = -1
            if self.models_monotone or res.monotone_failed:
                pred = self.lat.predecessors(i)
                self.status[pred & (self.status == 0)] = -1
        return res

    # -- strategies ------------------------------------------------------------------------------
    def run(self) -> SearchResult:
        if self.metric.has_dynamic_bound:
            self._dynamic()
        else:
            self._static()
        return self._finish()

    def _greedy(self, bound_keys: np.ndarray | None) -> bool:
        """Descend from the top while staying anonymous; False if even the top is not anonymous."""
        i = self.lat.top
        res = self._evaluate(i)
        if not res.anonymous:
            self.top_certified = res.monotone_failed
            return False
        while True:
            preds = self.lat.direct_predecessors(i)
            if bound_keys is not None:
                preds.sort(key=lambda p: tuple(bound_keys[p]))
            moved = False
            for p in preds:
                if self.status[p] == -1:
                    continue
                if self.evaluated[p]:
                    continue
                if self._evaluate(p).anonymous:
                    i, moved = p, True
                    break
            if not moved:
                return True

    def _static(self) -> None:
        lat = self.lat
        bounds = self.metric.static_bound(lat.levels)
        keys = self.aggregate.scores(bounds) if self.metric.multi_dimensional else bounds[:, None]
        if self.models_monotone or self.ev.certifies:
            # Top-down: a node that fails (with a certificate when the models are not monotonic)
            # prunes its whole down-set. Without monotonicity a failing top proves nothing unless
            # certified: then fall back to increasing bounds.
            if not self._greedy(keys):
                if not self.models_monotone and not self.top_certified:
                    self._in_order(keys)
                return
            sort_cols = [-lat.level_sum] + [-keys[:, j] for j in reversed(range(keys.shape[1]))]
            order = np.lexsort(sort_cols)
            candidates = less(keys[order], self.best_key, _EPS)
            for i in order[candidates]:
                if self.status[i] == -1 or self.evaluated[i] or self.dominated[i]:
                    continue
                if not is_less(keys[i], self.best_key, _EPS):
                    continue
                if self.metric.exact_static and self.status[i] == 1:
                    self._offer(int(i), bounds[i])
                    continue
                self._evaluate(int(i))
        else:
            self._in_order(keys)

    def _in_order(self, keys: np.ndarray) -> None:
        """Evaluate nodes by increasing bound until the bound reaches the best value found."""
        lat = self.lat
        sort_cols = [lat.level_sum] + [keys[:, j] for j in reversed(range(keys.shape[1]))]
        for i in np.lexsort(sort_cols):
            if self.best_key is not None and not is_less(keys[i], self.best_key, _EPS):
                break
            if self.status[i] == -1 or self.evaluated[i] or self.dominated[i]:
                continue
            self._evaluate(int(i))

    def _dynamic(self) -> None:
        """Bottom-up in node-number order: every predecessor comes first, and the node just before
        is usually a direct predecessor, so its class table is at hand for the roll-up."""
        lat = self.lat
        if self.models_monotone:
            if not self._greedy(None):
                return
            self._frontier()
        elif self.ev.certifies:
            self._top_down()
        out = np.full(lat.size, -np.inf)
        if self.metric.has_static_bound:
            out = np.asarray(self.metric.static_bound(lat.levels), dtype=np.float64).copy()
        strides = [int(s) for s in lat.strides]
        levels = lat.levels
        for i in range(lat.size):
            b = out[i]
            row = levels[i]
            for d, stride in enumerate(strides):
                if row[d] > 0 and out[i - stride] > b:
                    b = out[i - stride]
            best = None if self.best_key is None else float(self.best_key[0])
            if (
                (best is not None and b >= best - _EPS * max(1.0, abs(best)))
                or self.status[i] == -1
                or self.dominated[i]
            ):
                out[i] = b
                continue
            if (
                self.models_monotone
                and self.metric_monotone
                and any(
                    row[d] > 0 and self.status[i - stride] == 1 for d, stride in enumerate(strides)
                )
            ):
                out[i] = max(b, self.node_bound.get(i, -np.inf))
                continue  # an anonymous predecessor is at least as good
            if not self.evaluated[i]:
                self._evaluate(i)
            out[i] = max(b, self.node_bound.get(i, -np.inf))

    def _top_down(self) -> None:
        """Certifiable models: judge nodes from the top down, so that each certified failure prunes
        a whole down-set; nodes whose static bound cannot beat the best value are left out."""
        self._greedy(None)
        bounds = None
        if self.metric.has_static_bound:
            bounds = np.asarray(self.metric.static_bound(self.lat.levels), dtype=np.float64)
        for i in np.argsort(-self.lat.level_sum, kind="stable"):
            if self.status[i] != 0 or self.evaluated[i] or self.dominated[i]:
                continue
            if bounds is not None and self.best_key is not None:
                best = float(self.best_key[0])
                if bounds[i] >= best - _EPS * max(1.0, abs(best)):
                    continue
            self._evaluate(int(i))

    def _frontier(self) -> None:
        """Classify every node as anonymous or not with few checks (monotonic models only).

        Flash-like: from each unclassified node, climb a path of unclassified successors and
        binary-search it for its lowest anonymous node; every check tags a whole up- or down-set.
        """
        lat = self.lat
        strides = [int(s) for s in lat.strides]
        for v in np.argsort(lat.level_sum, kind="stable"):
            v = int(v)
            if self.status[v] != 0:
                continue
            path = [v]
            cur = v
            while True:
                row = lat.levels[cur]
                nxt = None
                for d, stride in enumerate(strides):
                    if row[d] < lat.heights[d] and self.status[cur + stride] == 0:
                        nxt = cur + stride
                        break
                if nxt is None:
                    break
                path.append(nxt)
                cur = nxt
            lo, hi = 0, len(path) - 1
            while lo <= hi:
                mid = (lo + hi) // 2
                node = path[mid]
                if self.status[node] == 0:
                    self._evaluate(node)
                if self.status[node] == 1:
                    hi = mid - 1
                else:
                    lo = mid + 1

    def _finish(self) -> SearchResult:
        if self.best_id is None:
            return SearchResult(None, None, None, None, self.ev.evaluations, self.lat.size)
        node = self.lat.node(self.best_id)
        checked = self.ev.evaluations
        res = self.ev.evaluate(node, force=True)
        values = self.metric.value(res)
        return SearchResult(node, self.key(values), values, res, checked, self.lat.size)


def evaluate_at(evaluator: Evaluator, metric: Metric, aggregate: Aggregate | None, node) -> tuple:
    """Metric value at a given transformation (anonymous or not): violating classes suppressed."""
    res = evaluator.evaluate(tuple(int(v) for v in node), force=True)
    values = metric.value(res)
    key = aggregate.score(np.asarray(values)) if metric.multi_dimensional else single(values)
    return res, values, key
