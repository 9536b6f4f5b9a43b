"""Equivalence classes of one transformation, computed on the encoded base table.

A node's classes are the distinct tuples of generalized codes. They are computed from a *source*:
the base table itself (one row per distinct combination) or, much cheaper, the class table of an
already evaluated predecessor (a roll-up: a class of the predecessor falls entirely into one class
of the node). Each source row gets one integer key (a mixed-radix number over the node's level
cardinalities); small key spaces are grouped with ``bincount`` (linear), large ones with one sort.
Per-class codes, the class of every base row and sensitive-value histograms are derived only when
someone asks for them (most evaluated nodes never need them).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from bulle.anonymization.encoding import Encoded

_DENSE_MIN = 1 << 16
_DENSE_MAX = 1 << 24
_DENSE_FACTOR = 16  # a bitmap scan of 16 entries per row still beats sorting the rows
_KEY_LIMIT = 1 << 62
_COLUMN_HIST_MAX = 64  # sensitive values up to which histograms roll up one value at a time

# Per-thread scratch for ``dense_ids``: an occupancy bitmap kept all False between calls and a
# remap table whose stale entries are never read. Allocating and zeroing both for every node cost
# more than the grouping itself on small class tables.
_scratch = threading.local()


class Grouping:
    """Classes of one node: per class its size, and on demand its codes, members, histograms."""

    __slots__ = (
        "__weakref__",
        "_cls",
        "_cls_fn",
        "_columns",
        "_columns_fn",
        "_hist_fn",
        "enc",
        "hist",
        "hist_t",
        "is_base",
        "lazy_bytes",
        "node",
        "psize",
        "size",
    )

    def __init__(
        self,
        node: tuple[int, ...],
        size: np.ndarray,
        psize: np.ndarray | None,
        enc: Encoded,
        columns_fn: Callable[[], list[np.ndarray]],
        cls_fn: Callable[[], np.ndarray],
        hist_fn: Callable[[str], np.ndarray],
        is_base: bool = False,
    ):
        self.node = node
        self.size = size  # (C,) counted records (research-subset records)
        self.psize = psize  # (C,) all records (δ-presence), else None
        self.enc = enc
        self._columns: list[np.ndarray] | None = None
        self._columns_fn = columns_fn
        self._cls: np.ndarray | None = None
        self._cls_fn = cls_fn
        self._hist_fn = hist_fn
        self.hist: dict[str, np.ndarray] = {}
        self.hist_t: dict[str, np.ndarray] = {}  # (values, C) copies, for rolling up by value
        self.is_base = is_base
        self.lazy_bytes = 0  # held until the codes are materialized (the source's class map)

    @property
    def n_classes(self) -> int:
        return int(self.size.shape[0])

    @property
    def columns(self) -> list[np.ndarray]:
        """Per quasi-identifier, the level code of every class."""
        if self._columns is None:
            self._columns = self._columns_fn()
            self._columns_fn = None
            self.lazy_bytes = 0
        return self._columns

    @property
    def codes(self) -> np.ndarray:
        """(C, D) level codes of every class."""
        cols = self.columns
        return np.stack(cols, axis=1) if cols else np.zeros((self.n_classes, 0), dtype=np.int64)

    @property
    def cls(self) -> np.ndarray:
        """(n_rows,) class of every base row."""
        if self._cls is None:
            self._cls = self._cls_fn()
            self._cls_fn = None
        return self._cls

    def histogram(self, attribute: str) -> np.ndarray:
        """(C, values) counted records of each sensitive value in each class (any memory order)."""
        h = self.hist.get(attribute)
        if h is None:
            h = self._hist_fn(attribute)
            self.hist[attribute] = h
            if h.flags.f_contiguous and not h.flags.c_contiguous:
                self.hist_t[attribute] = h.T  # built transposed: keep that layout at hand
        return h

    def histogram_t(self, attribute: str) -> np.ndarray:
        """(values, C) the histogram transposed and contiguous: one row per sensitive value."""
        h = self.hist_t.get(attribute)
        if h is None:
            h = np.ascontiguousarray(self.histogram(attribute).T)
            self.hist_t[attribute] = h
        return h

    @property
    def nbytes(self) -> int:
        total = self.size.nbytes * 2
        # A histogram and its transposed copy may share one buffer: count each buffer once.
        buffers = {
            id(h if h.base is None else h.base): h.nbytes
            for h in (*self.hist.values(), *self.hist_t.values())
        }
        total += sum(buffers.values())
        if self._columns is not None:
            total += sum(c.nbytes for c in self._columns)
        return total + self.lazy_bytes


def base_grouping(enc: Encoded) -> Grouping:
    """The base rows as a source of classes (finer than the bottom node's classes)."""
    cached = enc._base_grouping
    if cached is not None:
        return cached
    ident = np.arange(enc.n_rows, dtype=np.int64)
    columns = [np.ascontiguousarray(enc.rows[:, d], dtype=np.int64) for d in range(enc.dims)]

    def hist(attribute: str) -> np.ndarray:
        col = enc.sensitive_column(attribute)
        flat = ident * col.size + col.codes
        return np.bincount(flat, weights=enc.count, minlength=enc.n_rows * col.size).reshape(
            enc.n_rows, col.size
        )

    g = Grouping(
        tuple([0] * enc.dims),
        enc.count,
        enc.pcount,
        enc,
        lambda: columns,
        lambda: ident,
        hist,
        is_base=True,
    )
    enc._base_grouping = g
    return g


def _buffers(space: int) -> tuple[np.ndarray, np.ndarray]:
    """This thread's scratch of at least ``space`` entries (grown by doubling)."""
    occupied = getattr(_scratch, "occupied", None)
    if occupied is None or occupied.shape[0] < space:
        size = 1 << max(16, int(space - 1).bit_length())
        _scratch.occupied = np.zeros(size, dtype=bool)
        _scratch.remap = np.empty(size, dtype=np.int64)
    return _scratch.occupied, _scratch.remap


def dense_ids(key: np.ndarray, space: int) -> tuple[np.ndarray, int]:
    """Map keys in [0, space) to dense ids 0..C-1."""
    n = key.shape[0]
    if space <= max(_DENSE_MIN, _DENSE_FACTOR * n) and space <= _DENSE_MAX:
        occupied, remap = _buffers(space)
        occupied[key] = True
        present = np.flatnonzero(occupied[:space])
        occupied[present] = False
        remap[present] = np.arange(present.shape[0], dtype=np.int64)
        return remap[key], int(present.shape[0])
    if n == 0:
        return key, 0
    bits = int(n - 1).bit_length()
    if space < (1 << (62 - bits)):
        packed = np.sort((key << bits) | np.arange(n, dtype=np.int64))
        perm = packed & ((1 << bits) - 1)
        sorted_keys = packed >> bits
    else:
        perm = np.argsort(key, kind="stable")
        sorted_keys = key[perm]
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=starts[1:])
    ids = np.empty(n, dtype=np.int64)
    ids[perm] = np.cumsum(starts) - 1
    return ids, int(starts.sum())


def class_map(enc: Encoded, source: Grouping, node: tuple[int, ...]) -> tuple[np.ndarray, int]:
    """For each source row, its class under ``node``, and the number of classes.

    Attributes are folded into the key from the largest cardinality down, and the partial key is
    compacted to dense ids whenever the key space would outgrow a small multiple of the rows: the
    grouping then stays a sequence of linear ``bincount`` passes instead of one sort.
    """
    columns = source.columns
    rows = source.n_classes
    limit = max(_DENSE_MIN, 16 * rows)
    cards = enc.cards
    order = sorted(range(len(node)), key=lambda d: -cards[d][node[d]])
    key: np.ndarray | None = None
    space = 1
    for d in order:
        level = node[d]
        card = cards[d][level]
        if card == 1:
            continue
        src = columns[d]
        if source.node[d] == level:
            codes = src
        elif source.is_base:
            codes = enc.row_codes(d, level)
        else:
            codes = enc.level_map(d, source.node[d], level)[src]
        if key is None:
            key = codes.astype(np.int64)  # a fresh int64 array: the key is built in place
            space = card
            continue
        if space * card > limit or space * card >= _KEY_LIMIT:
            key, space = dense_ids(key, space)
        key *= card
        key += codes
        space *= card
    if key is None:
        return np.zeros(rows, dtype=np.int64), min(1, rows)
    return dense_ids(key, space)


def roll_up(enc: Encoded, source: Grouping, node: tuple[int, ...]) -> Grouping:
    """Classes of ``node`` from the classes (or rows) of a predecessor ``source``."""
    node = tuple(int(v) for v in node)
    ids, n_classes = class_map(enc, source, node)
    size = np.bincount(ids, weights=source.size, minlength=n_classes).astype(np.int64)
    psize = None
    if source.psize is not None:
        psize = np.bincount(ids, weights=source.psize, minlength=n_classes).astype(np.int64)

    # A table kept in a cache must not keep its source alive (nor, through it, a whole chain of
    # evicted tables): codes are read from the source's code arrays, and memberships and
    # histograms from the source while it lives, else from the base rows (class numbers do not
    # depend on the source: they follow the order of the class keys).
    src_cols, src_node = source.columns, source.node
    src_ref = weakref.ref(source)

    def columns_fn() -> list[np.ndarray]:
        # Any source row of a class carries the class's codes.
        member = np.empty(n_classes, dtype=np.int64)
        member[ids] = np.arange(ids.shape[0], dtype=np.int64)
        out = []
        for d, level in enumerate(node):
            picked = src_cols[d][member]
            if src_node[d] != level:
                picked = enc.level_map(d, src_node[d], level)[picked]
            out.append(picked.astype(np.int32, copy=False))
        return out

    def cls_fn() -> np.ndarray:
        source = src_ref()
        if source is None:
            return class_map(enc, base_grouping(enc), node)[0]
        return ids[source.cls]

    def hist_fn(attribute: str) -> np.ndarray:
        source = src_ref()
        if source is None:
            return roll_up(enc, base_grouping(enc), node).histogram(attribute)
        col = enc.sensitive_column(attribute)
        width = col.size
        if width <= _COLUMN_HIST_MAX:
            # Built as (values, C), so that rolling this table up again reads contiguous rows; the
            # models get a view (and see their classes through a C-ordered selection).
            if source.is_base:
                out = np.bincount(
                    col.codes * n_classes + ids, weights=enc.count, minlength=width * n_classes
                ).reshape(width, n_classes)
            else:
                # One bincount per value over a row of the source's transposed histogram: the
                # same integer sums as one flat bincount, without building a (C*values) key.
                h_src_t = source.histogram_t(attribute)
                out = np.empty((width, n_classes), dtype=np.float64)
                for v in range(width):
                    out[v] = np.bincount(ids, weights=h_src_t[v], minlength=n_classes)
            return out.T
        if source.is_base:
            flat, weights = ids * width + col.codes, enc.count
        else:
            h_src = source.histogram(attribute)
            flat = (ids[:, None] * width + np.arange(width, dtype=np.int64)[None, :]).ravel()
            weights = h_src.ravel()
        return np.bincount(flat, weights=weights, minlength=n_classes * width).reshape(
            n_classes, width
        )

    g = Grouping(node, size, psize, enc, columns_fn, cls_fn, hist_fn)
    g.lazy_bytes = ids.nbytes
    return g


def group(enc: Encoded, node: tuple[int, ...], source: Grouping | None = None) -> Grouping:
    return roll_up(enc, source if source is not None else base_grouping(enc), node)
