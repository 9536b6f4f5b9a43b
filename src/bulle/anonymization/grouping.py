"""Equivalence classes of one transformation, computed on the encoded base table.

A node's classes are the distinct tuples of generalized codes. They are computed from a *source*:
the base table itself (one row per distinct combination) or, much cheaper, the class table of an
already evaluated predecessor (a roll-up: a class of the predecessor falls entirely into one class
of the node). Each source row gets one integer key (a mixed-radix number over the node's level
cardinalities); small key spaces are grouped with ``bincount`` (linear), large ones with one sort.
Sensitive-value histograms roll up the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from bulle.anonymization.encoding import Encoded

_DENSE_MIN = 1 << 16
_DENSE_MAX = 1 << 24
_KEY_LIMIT = 1 << 62


@dataclass
class Grouping:
    """Classes of one node: per class its generalized codes, size and (lazily) histograms."""

    node: tuple[int, ...]
    codes: np.ndarray              # (C, D) level codes of each class
    size: np.ndarray               # (C,) counted records (research-subset records)
    psize: np.ndarray | None       # (C,) all records (δ-presence), else None
    enc: Encoded
    _cls_fn: Callable[[], np.ndarray] = field(repr=False, default=None)
    _hist_fn: Callable[[str], np.ndarray] = field(repr=False, default=None)
    _cls: np.ndarray | None = field(default=None, repr=False)
    hist: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    is_base: bool = False

    @property
    def n_classes(self) -> int:
        return int(self.size.shape[0])

    @property
    def cls(self) -> np.ndarray:
        """(n_rows,) class of every base row (computed on demand through the roll-up chain)."""
        if self._cls is None:
            self._cls = self._cls_fn()
        return self._cls

    def histogram(self, attribute: str) -> np.ndarray:
        """(C, values) counted records of each sensitive value in each class."""
        h = self.hist.get(attribute)
        if h is None:
            h = self._hist_fn(attribute)
            self.hist[attribute] = h
        return h


def base_grouping(enc: Encoded) -> Grouping:
    """The base rows as a source of classes (finer than the bottom node's classes)."""
    cached = getattr(enc, "_base_grouping", None)
    if cached is not None:
        return cached
    ident = np.arange(enc.n_rows, dtype=np.int64)

    def hist(attribute: str) -> np.ndarray:
        col = enc.sensitive_column(attribute)
        flat = ident * col.size + col.codes
        return np.bincount(flat, weights=enc.count, minlength=enc.n_rows * col.size).reshape(
            enc.n_rows, col.size)

    g = Grouping(node=tuple([0] * enc.dims), codes=enc.rows, size=enc.count, psize=enc.pcount,
                 enc=enc, _cls_fn=lambda: ident, _hist_fn=hist, _cls=ident, is_base=True)
    enc._base_grouping = g
    return g


def dense_ids(key: np.ndarray, space: int) -> tuple[np.ndarray, int]:
    """Map keys in [0, space) to dense ids 0..C-1 (class ids in key order)."""
    n = key.shape[0]
    if space <= max(_DENSE_MIN, 4 * n) and space <= _DENSE_MAX:
        occupied = np.bincount(key, minlength=space)
        present = np.flatnonzero(occupied)
        remap = np.zeros(space, dtype=np.int64)
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


def class_map(enc: Encoded, source: Grouping, node: tuple[int, ...]) -> tuple[np.ndarray, int, list]:
    """For each source row, its class under ``node``; the number of classes; level codes per QI."""
    rows = source.codes.shape[0]
    key = np.zeros(rows, dtype=np.int64)
    space = 1
    mapped = []
    for d, level in enumerate(node):
        lmap = enc.level_map(d, source.node[d], level)
        codes = lmap[source.codes[:, d]]
        mapped.append(codes)
        card = enc.cardinality(d, level)
        if card == 1:
            continue
        if space * card >= _KEY_LIMIT:
            key, space = dense_ids(key, space)
        if space > 1:
            key *= card
        key += codes
        space *= card
    ids, n_classes = dense_ids(key, space)
    return ids, n_classes, mapped


def roll_up(enc: Encoded, source: Grouping, node: tuple[int, ...]) -> Grouping:
    """Classes of ``node`` from the classes (or rows) of a predecessor ``source``."""
    ids, n_classes, mapped = class_map(enc, source, node)
    size = np.bincount(ids, weights=source.size, minlength=n_classes).astype(np.int64)
    psize = None
    if source.psize is not None:
        psize = np.bincount(ids, weights=source.psize, minlength=n_classes).astype(np.int64)
    first = np.full(n_classes, -1, dtype=np.int64)
    order = np.arange(ids.shape[0] - 1, -1, -1, dtype=np.int64)
    first[ids[::-1]] = order
    codes = np.empty((n_classes, enc.dims), dtype=np.int64)
    for d in range(enc.dims):
        codes[:, d] = mapped[d][first]
    src_cls_fn = source._cls_fn if source._cls is None else (lambda c=source._cls: c)

    def cls_fn() -> np.ndarray:
        return ids[src_cls_fn()]

    def hist_fn(attribute: str) -> np.ndarray:
        col = enc.sensitive_column(attribute)
        width = col.size
        if source.is_base:
            flat, weights = ids * width + col.codes, enc.count
        else:
            h_src = source.histogram(attribute)
            flat = (ids[:, None] * width + np.arange(width, dtype=np.int64)[None, :]).ravel()
            weights = h_src.ravel()
        return np.bincount(flat, weights=weights, minlength=n_classes * width).reshape(n_classes, width)

    return Grouping(node=tuple(int(v) for v in node), codes=codes, size=size, psize=psize, enc=enc,
                    _cls_fn=cls_fn, _hist_fn=hist_fn)


def group(enc: Encoded, node: tuple[int, ...], source: Grouping | None = None) -> Grouping:
    return roll_up(enc, source if source is not None else base_grouping(enc), node)
