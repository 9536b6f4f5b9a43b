"""ARX's checker, replayed: how each transformation's classes are built, and in what hash order.

``TransformationChecker`` builds a transformation's classes from the rows, by rolling up the
previous transformation's classes, or from a snapshot kept in its ``History``; ``Distribution``
(an open-addressing hash table) then holds each class's sensitive values in an order that decides
Grassberger's early-stopping verdict. :class:`Layout` reproduces that table, :class:`Checker` the
transitions and the history (ARX 3.9 classes, reimplemented from their behaviour). See
:mod:`bulle.anonymization.arx.replay` for why and when this runs.
"""

from __future__ import annotations

import math

import numpy as np

from bulle.anonymization.evaluate import Evaluator, NodeResult
from bulle.anonymization.grouping import Grouping, base_grouping, roll_up
from bulle.anonymization.lattice import Lattice
from bulle.anonymization.metrics import Metric
from bulle.anonymization.metrics.aggregate import Aggregate, single
from bulle.anonymization.models.entropy_l_diversity import grassberger_g

HISTORY_SIZE = 200  # ARX's default history size
SNAPSHOT_DATASET = 0.2  # a snapshot holds at most this share of the rows (as classes)
SNAPSHOT_SNAPSHOT = 0.8  # ... and at most this share of the snapshot it was built from
_TOL = 1e-9
ROWS, ROLLUP, SNAPSHOT = 0, 1, 2


def _capacity(wanted: int) -> int:
    """``Distribution``'s table size for an initial capacity: the next power of two (16 for 0)."""
    if wanted == 0:
        return 16
    cap = 1
    while cap < wanted:
        cap <<= 1
    return cap


class Layout:
    """Bucket order of one ``Distribution``: open addressing, home bucket ``value & (size - 1)``,
    linear probing, doubled (re-inserting in bucket order) once more than 3/4 full."""

    __slots__ = ("present", "slots")

    def __init__(self, capacity: int = 8):
        self.slots = [-1] * _capacity(capacity)
        self.present: set[int] = set()

    @classmethod
    def from_packed(cls, values: list[int]) -> Layout:
        """A distribution rebuilt from a snapshot's packed list (sized for it)."""
        out = cls(len(values))
        out.add_all(values)
        return out

    def copy(self) -> Layout:
        out = Layout.__new__(Layout)
        out.slots = list(self.slots)
        out.present = set(self.present)
        return out

    def add(self, value: int) -> None:
        if value in self.present:
            return  # only its frequency changes
        self.present.add(value)
        self._place(self.slots, value)
        if len(self.present) > int(len(self.slots) * 0.75):
            grown = [-1] * (2 * len(self.slots))
            for v in self.slots:
                if v != -1:
                    self._place(grown, v)
            self.slots = grown

    def add_all(self, values) -> None:
        for v in values:
            self.add(v)

    @staticmethod
    def _place(slots: list[int], value: int) -> None:
        mask = len(slots) - 1
        k = value & mask
        while slots[k] != -1:
            k = (k + 1) & mask
        slots[k] = value

    def packed(self) -> list[int]:
        return [v for v in self.slots if v != -1]


class _Check:
    """What the replay keeps of one checked node."""

    __slots__ = ("anonymous", "bound", "grouping", "kanon", "loss", "violating")

    def __init__(self, kanon, anonymous, loss, bound, grouping, violating):
        self.kanon, self.anonymous, self.loss, self.bound = kanon, anonymous, loss, bound
        self.grouping, self.violating = grouping, violating


class Checker:
    """``TransformationChecker`` with its ``History``: builds, verdicts and layouts."""

    def __init__(
        self,
        evaluator: Evaluator,
        metric: Metric,
        aggregate: Aggregate | None,
        lattice: Lattice,
        history_size: int = HISTORY_SIZE,
    ):
        self.ev, self.metric, self.aggregate, self.lat = evaluator, metric, aggregate, lattice
        enc = self.enc = evaluator.enc
        model = (evaluator.first + evaluator.monotone + evaluator.others)[0]
        self.attribute = model.attribute
        self.k = model.min_class_size
        self.log_l = math.log(model.l)
        self.limit = evaluator.limit
        col = enc.sensitive_column(self.attribute)
        # ARX numbers a column's values in order of first appearance in the file.
        value_first = np.full(col.size, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(value_first, col.codes, enc.first)
        self.arx_id = np.empty(col.size, dtype=np.int64)
        self.arx_id[np.argsort(value_first, kind="stable")] = np.arange(col.size)
        self.row_value = self.arx_id[col.codes]  # ARX id of each base row's value
        self.code_of = np.argsort(self.arx_id)  # ARX id -> Bulle's value code
        self.g_table = grassberger_g(np.maximum(np.arange(enc.n_records + 2), 1)).tolist()
        self.history_size = history_size
        self.dataset_limit = int(enc.n_records * SNAPSHOT_DATASET)
        self.cache: list[int] = []  # LRU order, least recent first
        self.snap_classes: dict[int, int] = {}  # stored node -> its number of classes
        self.groupings: dict[int, Grouping] = {}  # stored snapshots (small by construction)
        self.built: dict[int, tuple[int, int | None]] = {}  # checked node -> (how, from which)
        self.results: dict[int, _Check] = {}
        self.kept: dict[int, _Check] = {}
        self.last: int | None = None
        self.last_grouping: Grouping | None = None
        self.last_snapshot: int | None = None
        self.layouts: dict[tuple[int, int], Layout] = {}
        self._static_keys: list[tuple[float, ...]] | None = None
        self.checks = 0
        # Set by the search: the history drops snapshots of nodes whose successors are pruned.
        self.pruned_of = lambda i: False
        self.forced = lambda i: False

    # -- History -------------------------------------------------------------------------------
    def _store(self, i: int, g: Grouping, used: int | None) -> None:
        n = g.n_classes
        if self.history_size == 0 or n > self.dataset_limit:
            return
        if used is not None and n / self.snap_classes[used] > SNAPSHOT_SNAPSHOT:
            return
        if not self.forced(i) and self.pruned_of(i):
            return
        for c in [c for c in self.cache if self.pruned_of(c)]:
            self._drop(c)
        if len(self.cache) >= self.history_size:
            self._drop(self.cache[0])
        self.snap_classes[i] = n
        self.groupings[i] = g
        if i in self.cache:
            self.cache.remove(i)
        self.cache.append(i)

    def _drop(self, i: int) -> None:
        self.cache.remove(i)
        del self.snap_classes[i]
        del self.groupings[i]

    def _snapshot_for(self, i: int) -> int | None:
        """The stored node with fewest classes on a lower level below ``i`` (least recent wins
        ties); it becomes the most recently used."""
        levels = self.lat.levels
        node = levels[i]
        level = int(node.sum())
        best = None
        for c in self.cache:
            if (
                int(levels[c].sum()) < level
                and (best is None or self.snap_classes[c] < self.snap_classes[best])
                and bool((levels[c] <= node).all())
            ):
                best = c
        if best is not None:
            self.cache.remove(best)
            self.cache.append(best)
        return best

    # -- checking ------------------------------------------------------------------------------
    def check(self, i: int) -> _Check:
        kept = self.kept.get(i)
        if kept is not None:
            return kept
        if self.last is not None:
            self._store(self.last, self.last_grouping, self.last_snapshot)
        node = self.lat.node(i)
        snapshot = None
        if self.last is None:
            how, src, source = ROWS, None, base_grouping(self.enc)
        else:
            snapshot = self._snapshot_for(i)
            if snapshot is not None:
                how, src, source = SNAPSHOT, snapshot, self.groupings[snapshot]
            elif bool((self.lat.levels[self.last] <= self.lat.levels[i]).all()):
                how, src, source = ROLLUP, self.last, self.last_grouping
            else:
                how, src, source = ROWS, None, base_grouping(self.enc)
        g = roll_up(self.enc, source, node)
        self.built[i] = (how, src)
        self.checks += 1
        self.last, self.last_grouping, self.last_snapshot = i, g, snapshot
        result = self._judge(i, g)
        # Only the loss is read later: keeping the class tables of every check would hold them all.
        self.results[i] = _Check(
            result.kanon, result.anonymous, result.loss, result.bound, None, None
        )
        return result

    def _judge(self, i: int, g: Grouping, force: bool = False) -> _Check:
        """ARX's verdict (``HashGroupify.stateAnalyze``); ``force`` judges every class even when
        the node cannot be anonymous."""
        size = g.size
        small = size < self.k
        kanon = int(size[small].sum()) <= self.limit
        bound = self.checked_bound(i, g)
        if not kanon and not force:
            return _Check(False, False, None, bound, g, None)
        hist = g.histogram(self.attribute).astype(np.int64)
        present = hist > 0
        terms = np.zeros(hist.shape, dtype=np.float64)
        terms[present] = hist[present] * grassberger_g(hist[present])
        full = terms.sum(axis=1)
        positive = np.where(terms > 0, terms, 0.0).sum(axis=1)
        with np.errstate(invalid="ignore"):
            limit = size * (grassberger_g(np.maximum(size, 1)) - self.log_l)
        tol = _TOL * np.maximum(1.0, np.abs(limit))
        fails = ~small & ((np.count_nonzero(hist, axis=1) < self.k) | (full > limit + tol))
        open_ = ~small & ~fails & (positive > limit - tol)
        ok = ~small & ~fails
        sure = int(size[small | fails].sum())
        if sure > self.limit and not force:
            return _Check(True, False, None, bound, g, None)
        if open_.any():
            ambiguous = np.flatnonzero(open_)
            for c, layout in zip(ambiguous, self.class_layouts(i, g, ambiguous), strict=True):
                ok[c] = not self._aborts(layout, hist[c], float(limit[c]))
        violating = ~ok & (size > 0)
        suppressed = int(size[violating].sum())
        if suppressed > self.limit or not kanon:
            return _Check(kanon, False, None, bound, g, violating)
        res = NodeResult(tuple(int(v) for v in g.node), True, False, suppressed, True, g, violating)
        return _Check(True, True, self.key(self.metric.value(res)), bound, g, violating)

    def _aborts(self, layout: Layout, counts: np.ndarray, limit: float) -> bool:
        """``EntropyLDiversity``'s early abort, in bucket order."""
        partial = 0.0
        for v in layout.slots:
            if v == -1:
                continue
            n = int(counts[self.code_of[v]])
            partial += n * self.g_table[n]
            if limit < partial:
                return True
        return False

    def key(self, values) -> tuple[float, ...]:
        if self.metric.multi_dimensional:
            return tuple(float(x) for x in self.aggregate.score(np.asarray(values)))
        return tuple(float(x) for x in single(values))

    def checked_bound(self, i: int, g: Grouping) -> tuple[float, ...]:
        """ARX's lower bound of a checked transformation (``getLowerBound(node, groupify)``): for
        DM the sum of squared class sizes (DM*), for the others their bound from levels."""
        if self.metric.name == "dm":
            size = g.size.astype(np.float64)
            return (float(np.dot(size, size)),)
        return self.static_key(i)

    def static_key(self, i: int) -> tuple[float, ...]:
        if self._static_keys is None:  # every node's at once: a metric's bound may cost a pass
            bounds = self.metric.static_bound(self.lat.levels)
            if self.metric.multi_dimensional:
                self._static_keys = [
                    tuple(float(x) for x in row) for row in self.aggregate.scores(bounds)
                ]
            else:
                self._static_keys = [(float(x),) for x in np.asarray(bounds).reshape(-1)]
        return self._static_keys[i]

    # -- layouts -------------------------------------------------------------------------------
    def class_layouts(self, i: int, g: Grouping, classes: np.ndarray) -> list[Layout]:
        """Layouts of some classes of checked node ``i``, down its chain of builds."""
        member = np.isin(g.cls, classes)
        rows = np.flatnonzero(member & (self.enc.count > 0))
        self._resolve(i, rows)
        firsts = self._group(i, rows)[1]
        by_class = dict(
            zip(
                g.cls[rows[[f[0] for f in firsts]]].tolist(),
                [(i, int(self.enc.first[rows[f[0]]])) for f in firsts],
                strict=True,
            )
        )
        return [self.layouts[by_class[int(c)]] for c in classes]

    def _group(self, i: int, rows: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Classes of node ``i`` among ``rows``: per class its positions in ``rows``, each list in
        file order, the classes in order of their first row (ARX's class order)."""
        enc = self.enc
        node = self.lat.levels[i]
        key = np.zeros(rows.shape[0], dtype=np.int64)
        for d in range(enc.dims):
            key = key * enc.cardinality(d, int(node[d])) + enc.row_codes(d, int(node[d]))[rows]
        order = np.argsort(enc.first[rows], kind="stable")
        _, start, inv = np.unique(key[order], return_index=True, return_inverse=True)
        rank = np.empty(start.shape[0], dtype=np.int64)
        rank[np.argsort(start, kind="stable")] = np.arange(start.shape[0])
        labels = rank[inv]
        sorted_labels = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[sorted_labels], np.arange(start.shape[0] + 1))
        groups = [order[sorted_labels[bounds[c] : bounds[c + 1]]] for c in range(start.shape[0])]
        return labels, groups

    def _resolve(self, i: int, rows: np.ndarray) -> None:
        """Memoize the layouts of the classes of ``i`` covering ``rows``, walking down the chain
        of builds until every class needed is known or was built from the rows."""
        chain = []
        node = i
        while True:
            groups = self._group(node, rows)[1]
            keys = [(node, int(self.enc.first[rows[grp[0]]])) for grp in groups]
            if all(k in self.layouts for k in keys):
                break
            chain.append((node, groups, keys))
            how, src = self.built[node]
            if how == ROWS:
                break
            node = src
        for node, groups, keys in reversed(chain):
            how, src = self.built[node]
            for grp, k in zip(groups, keys, strict=True):
                if k in self.layouts:
                    continue
                if how == ROWS:
                    self.layouts[k] = self._from_rows(rows[grp])
                    continue
                parts = [
                    self.layouts[(src, int(self.enc.first[rows[grp][sub[0]]]))]
                    for sub in self._group(src, rows[grp])[1]
                ]
                # A roll-up reuses the first merged class's own table; a snapshot rebuilds it.
                out = parts[0].copy() if how == ROLLUP else Layout.from_packed(parts[0].packed())
                for p in parts[1:]:
                    out.add_all(p.packed())
                self.layouts[k] = out

    def _from_rows(self, rows: np.ndarray) -> Layout:
        """Values added in file order (rows sorted by first appearance)."""
        out = Layout()
        out.add_all(self.row_value[rows[np.argsort(self.enc.first[rows], kind="stable")]].tolist())
        return out

    def release_result(self, i: int) -> NodeResult:
        """The optimum as ARX writes it: ``TransformationApplicator`` groups the rows afresh, so
        the release's classes get the layouts of a build from the rows."""
        node = self.lat.node(i)
        g = roll_up(self.enc, base_grouping(self.enc), node)
        saved_built, saved_layouts = self.built.get(i), self.layouts
        self.built[i] = (ROWS, None)
        self.layouts = {}
        try:
            violating = self._judge(i, g, force=True).violating
        finally:
            self.layouts = saved_layouts
            if saved_built is None:
                del self.built[i]
            else:
                self.built[i] = saved_built
        return NodeResult(node, True, False, int(g.size[violating].sum()), True, g, violating)
