"""Judging one transformation: classes, privacy models, suppression, as ARX's HashGroupify does.

Order matters for ARX's exact semantics and is kept: the minimal class size (max of k and ceil(l))
first, then δ-presence, then the other models. A class that fails is suppressed as a whole; only
classes holding counted records (research-subset records) are suppressed. A transformation is
anonymous when the suppressed records fit ``floor(limit * N)``.

``monotone_failed`` reports that the monotonic part of the models (minimal class size, distinct
l-diversity) alone already suppresses too much: then every predecessor fails as well, which is
what the search uses to prune.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import lshift
from typing import TYPE_CHECKING

import numpy as np

from bulle.anonymization.grouping import Grouping, base_grouping, roll_up
from bulle.anonymization.models import ClassView, PrivacyModel

if TYPE_CHECKING:
    from bulle.anonymization.encoding import Encoded

_CACHE_BYTES = 256 << 20  # class tables kept as roll-up sources
_CACHE_SLOTS = 2048
_NONE = np.iinfo(np.int64).max


@dataclass
class NodeResult:
    node: tuple[int, ...]
    anonymous: bool
    monotone_failed: bool
    suppressed: int  # counted records in failing classes (complete if ``complete``)
    complete: bool
    grouping: Grouping
    violating: np.ndarray | None  # (C,) failing classes with counted records

    @property
    def suppressed_classes(self) -> int:
        return int(np.count_nonzero(self.violating)) if self.violating is not None else 0

    @property
    def released_classes(self) -> int:
        """Classes left in the release: unsuppressed classes holding counted records."""
        g = self.grouping
        keep = g.size > 0
        if self.violating is not None:
            keep &= ~self.violating
        return int(np.count_nonzero(keep))

    def row_suppressed(self) -> np.ndarray:
        """(n_rows,) whether each base row falls in a suppressed class."""
        return self.violating[self.grouping.cls]


class Evaluator:
    def __init__(self, enc: Encoded, models: list[PrivacyModel], limit: int):
        self.enc = enc
        self.limit = int(limit)
        sizes = [m.min_class_size for m in models if m.min_class_size is not None]
        self.min_size = max(sizes) if sizes else None
        self.first = [m for m in models if m.first]
        self.monotone = [
            m
            for m in models
            if not m.first and m.monotonic_with_suppression and m.name != "k-anonymity"
        ]
        self.others = [m for m in models if not m.first and not m.monotonic_with_suppression]
        self.has_dpresence = bool(self.first)
        # Failure certificates (see ``_certified``): every non-monotonic model bounds its failures.
        self.certifies = (
            bool(self.others) and not self.first and all(m.bounds_failures for m in self.others)
        )
        self.evaluations = 0
        self.rows_processed = 0
        self._cache: dict[tuple[int, ...], int] = {}
        self._slot_groups: list[Grouping | None] = [None] * _CACHE_SLOTS
        self._slot_levels = np.full((_CACHE_SLOTS, enc.dims), 127, dtype=np.int8)
        self._slot_sizes = np.full(_CACHE_SLOTS, _NONE, dtype=np.int64)
        self._slot_bytes = np.zeros(_CACHE_SLOTS, dtype=np.int64)
        self._slot_tick = np.zeros(_CACHE_SLOTS, dtype=np.int64)  # last use, for LRU eviction
        self._tick = 0
        self._used = 0
        self._inserted = 0
        # Each slot's levels packed in one integer (one field per attribute, with a guard bit
        # above it): "slot <= node" in every attribute is then one subtraction and one mask.
        offsets, shift = [], 0
        for d in range(enc.dims):
            offsets.append(shift)
            shift += int(len(enc.level_values[d]) - 1).bit_length() + 1
        self._packed = shift <= 62
        self._offsets = offsets
        self._guards = (
            sum(
                1 << (o + int(len(enc.level_values[d]) - 1).bit_length())
                for d, o in enumerate(offsets)
            )
            if self._packed
            else 0
        )
        self._slot_packed = np.zeros(_CACHE_SLOTS, dtype=np.int64)
        self._hub_min = max(256, enc.n_rows // 16)
        self._hub_requests: dict[tuple[int, ...], int] = {}
        self._cache_bytes = 0

    # -- roll-up sources --------------------------------------------------------------------
    def _cached_source(self, node: tuple[int, ...]) -> Grouping:
        """The cached class table with fewest classes among the predecessors of ``node``."""
        best = base_grouping(self.enc)
        used = self._used
        if used:
            if self._packed:
                guards = self._guards
                diff = (self._pack(node) | guards) - self._slot_packed[:used]
                below = (diff & guards) == guards
            else:
                below = (self._slot_levels[:used] <= np.asarray(node, dtype=np.int8)).all(axis=1)
            sizes = np.where(below, self._slot_sizes[:used], _NONE)
            j = int(sizes.argmin())
            if sizes[j] < best.n_classes:
                best = self._slot_groups[j]
                self._tick += 1
                self._slot_tick[j] = self._tick
        return best

    def _pack(self, node: tuple[int, ...]) -> int:
        return sum(map(lshift, node, self._offsets))

    def _source(self, node: tuple[int, ...]) -> Grouping:
        """A small source for ``node``: a cached predecessor, or a "hub" built for reuse.

        Hubs are the node with every level clipped to 1, then to 2: they are predecessors of many
        nodes and have far fewer classes than the base table, so building one pays off when it is
        asked for again.
        """
        best = self._cached_source(node)
        if best.n_classes <= self._hub_min:
            return best
        for clip in (1, 2):
            hub = tuple(min(v, clip) for v in node)
            if hub == node or hub in self._cache:
                continue
            # Build a hub only once a second node asks for it: a hub used once costs more than
            # it saves.
            seen = self._hub_requests.get(hub, 0) + 1
            self._hub_requests[hub] = seen
            if seen < 2:
                continue
            src = self._cached_source(hub)
            if src.n_classes <= self._hub_min:
                continue
            g = roll_up(self.enc, src, hub)
            self.rows_processed += src.n_classes
            self._remember(g)
            if g.n_classes < best.n_classes:
                best = g
        return best

    def _remember(self, g: Grouping) -> None:
        if g.node in self._cache:
            return
        nbytes = g.nbytes + g.n_classes * self.enc.dims * 4
        if nbytes > _CACHE_BYTES // 8:
            return
        if self._used < _CACHE_SLOTS:
            j = self._used
            self._used += 1
        else:
            j = int(np.argmin(self._slot_tick))  # least recently used (or a freed slot)
        old = self._slot_groups[j]
        if old is not None:
            del self._cache[old.node]
            self._cache_bytes -= self._slot_bytes[j]
        self._slot_groups[j] = g
        self._slot_levels[j] = g.node
        if self._packed:
            self._slot_packed[j] = self._pack(g.node)
        self._slot_sizes[j] = g.n_classes
        self._slot_bytes[j] = nbytes
        self._cache[g.node] = j
        self._cache_bytes += nbytes
        self._tick += 1
        self._slot_tick[j] = self._tick
        while self._cache_bytes > _CACHE_BYTES:
            k = int(
                np.argmin(
                    np.where(
                        self._slot_bytes[: self._used] > 0, self._slot_tick[: self._used], _NONE
                    )
                )
            )
            victim = self._slot_groups[k]
            del self._cache[victim.node]
            self._cache_bytes -= self._slot_bytes[k]
            self._slot_groups[k] = None
            self._slot_levels[k] = 127
            self._slot_packed[k] = 0
            self._slot_sizes[k] = _NONE
            self._slot_bytes[k] = 0
            self._slot_tick[k] = 0

    def _apply(self, g: Grouping, ok: np.ndarray, model: PrivacyModel) -> None:
        """Restrict ``ok`` to the classes that also satisfy ``model``."""
        todo = np.flatnonzero(ok)
        if todo.shape[0] == 0:
            return
        psize = g.psize[todo] if g.psize is not None else None
        # C order whatever the stored layout: row sums then add up in the same order every time.
        view = ClassView(
            g.size[todo],
            psize,
            lambda attribute: np.ascontiguousarray(g.histogram(attribute)[todo]),
        )
        ok[todo] = model.check(view)

    def evaluate(self, node: tuple[int, ...], force: bool = False) -> NodeResult:
        """Judge ``node``. Without ``force`` the check stops as soon as it cannot be anonymous."""
        self.evaluations += 1
        node = tuple(int(v) for v in node)
        src = self._source(node)
        self.rows_processed += src.n_classes
        g = roll_up(self.enc, src, node)
        try:
            return self._judge(node, g, force)
        finally:
            self._remember(g)

    def _judge(self, node: tuple[int, ...], g: Grouping, force: bool) -> NodeResult:
        size = g.size
        counted = size > 0
        if self.min_size is not None:
            ok = size >= self.min_size
        else:
            ok = np.ones(g.n_classes, dtype=bool)
        for m in self.monotone:
            self._apply(g, ok, m)
        sure = int(size[~ok & counted].sum())
        monotone_failed = sure > self.limit
        if monotone_failed and not force:
            return NodeResult(tuple(node), False, True, sure, False, g, None)
        unsuppressible = False
        for m in self.first:
            before = ok.copy()
            self._apply(g, ok, m)
            if self.min_size is None and np.any(before & ~ok & ~counted):
                unsuppressible = True
            if unsuppressible and not force:
                return NodeResult(tuple(node), False, monotone_failed, sure, False, g, None)
        base_ok = ok.copy() if self.certifies else None
        for m in self.others:
            self._apply(g, ok, m)
            if not force and int(size[~ok & counted].sum()) > self.limit:
                failed = monotone_failed or (
                    base_ok is not None and self._certified(g, base_ok, sure)
                )
                return NodeResult(
                    tuple(node), False, failed, int(size[~ok & counted].sum()), False, g, None
                )
        violating = ~ok & counted
        suppressed = int(size[violating].sum())
        anonymous = suppressed <= self.limit and not unsuppressible
        if not anonymous and not monotone_failed and base_ok is not None:
            monotone_failed = self._certified(g, base_ok, sure)
        return NodeResult(tuple(node), anonymous, monotone_failed, suppressed, True, g, violating)

    def _certified(self, g: Grouping, base_ok: np.ndarray, sure: int) -> bool:
        """Whether no predecessor of this node can be anonymous.

        A predecessor splits every class. Records of classes below the minimal size or failing a
        monotonic model are suppressed in every split (``sure``); of a class failing another model,
        at least that model's failing share is. When these lower bounds exceed the limit, the
        whole down-set fails: the search prunes it as it does for monotonic models.
        """
        todo = np.flatnonzero(base_ok & (g.size > 0))
        if todo.shape[0] == 0:
            return sure > self.limit
        sizes = g.size[todo]
        view = ClassView(
            sizes, None, lambda attribute: np.ascontiguousarray(g.histogram(attribute)[todo])
        )
        share = np.zeros(todo.shape[0])
        for m in self.others:
            np.maximum(share, m.failing_share(view), out=share)
        return sure + float(np.dot(sizes.astype(np.float64), share)) > self.limit
