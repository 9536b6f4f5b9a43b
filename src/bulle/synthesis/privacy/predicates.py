"""Predicates over an encoded table, evaluated as bit sets.

A singling-out attack writes thousands of predicates (conjunctions of one to three conditions
such as ``age >= 61``, ``country == 17``, ``job is missing``) and counts the rows of a table each
matches. Comparing every predicate with every row costs predicates x rows x conditions; but the
conditions repeat (a column has few distinct values, and the attack draws its values from the
table), so each *distinct* condition is evaluated once, as a packed bit set of the rows it
matches, and a predicate's matches are the AND of its conditions' bit sets, counted with a
population count. On adult that is about a hundred times less work than the direct comparison.

A predicate is a row of three arrays of the same shape: ``cols`` (column index), ``ops`` (one of
the operators below) and ``vals`` (the value compared with, NaN for the null tests).
"""

from __future__ import annotations

import numpy as np

EQ, NE, LE, GE, LT, GT, ISNULL, NOTNULL = range(8)
PREFILTER_ROWS = 2048  # rows of the cheap first pass that rules out predicates matching two
CONDITION_CELLS = 32_000_000  # distinct conditions x rows compared at once (memory bound)


def compare(op: int, x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``x op v`` with the attack's rules for missing values (a NaN never equals or compares)."""
    with np.errstate(invalid="ignore"):
        if op == EQ:
            return x == v
        if op == NE:
            return (x != v) & ~np.isnan(x)
        if op == LE:
            return x <= v
        if op == GE:
            return x >= v
        if op == LT:
            return x < v
        if op == GT:
            return x > v
        if op == ISNULL:
            return np.isnan(x) | np.zeros_like(v, dtype=bool)
        return ~np.isnan(x) | np.zeros_like(v, dtype=bool)


def _condition_bits(op: int, column: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Packed bit sets (one row per value) of the rows where ``column op value``."""
    out = np.empty((len(values), (len(column) + 7) // 8), dtype=np.uint8)
    step = max(1, CONDITION_CELLS // max(1, len(column)))
    for start in range(0, len(values), step):
        v = values[start : start + step, None]
        out[start : start + step] = np.packbits(compare(op, column[None, :], v), axis=1)
    return out


def match_bits(cols: np.ndarray, ops: np.ndarray, vals: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Packed bit sets (predicates x ceil(rows / 8) bytes) of the rows each predicate matches."""
    n_q, width = cols.shape
    acc = np.full((n_q, (len(data) + 7) // 8), 0xFF, dtype=np.uint8)
    for k in range(width if n_q else 0):
        key, value = cols[:, k].astype(np.int64) * 8 + ops[:, k], vals[:, k]
        order = np.lexsort((value, key))  # by condition kind, then value (NaN last)
        ks, vs = key[order], value[order]
        first = np.ones(n_q, dtype=bool)
        same_value = (vs[1:] == vs[:-1]) | (np.isnan(vs[1:]) & np.isnan(vs[:-1]))
        first[1:] = (ks[1:] != ks[:-1]) | ~same_value
        condition = np.empty(n_q, dtype=np.int64)  # each predicate's distinct condition
        condition[order] = np.cumsum(first) - 1
        cond_key, cond_value = ks[first], vs[first]
        bits = np.empty((len(cond_key), acc.shape[1]), dtype=np.uint8)
        starts = np.flatnonzero(np.r_[True, cond_key[1:] != cond_key[:-1]])
        for start, stop in zip(starts, np.r_[starts[1:], len(cond_key)], strict=True):
            j, op = divmod(int(cond_key[start]), 8)
            bits[start:stop] = _condition_bits(op, data[:, j], cond_value[start:stop])
        acc &= bits[condition]
    return acc


def match_counts(
    cols: np.ndarray, ops: np.ndarray, vals: np.ndarray, data: np.ndarray
) -> np.ndarray:
    """Rows of ``data`` each predicate matches."""
    if len(cols) == 0:
        return np.zeros(0, dtype=np.int64)
    return count_bits(match_bits(cols, ops, vals, data), len(data))


def single_matches(
    cols: np.ndarray, ops: np.ndarray, vals: np.ndarray, data: np.ndarray
) -> np.ndarray:
    """Whether each predicate matches exactly one row of ``data``.

    Most candidate predicates match many rows: two matches among the first rows already rule
    one out, so only the survivors of that cheap pass are counted over the whole table.
    """
    if len(data) <= 2 * PREFILTER_ROWS:
        return match_counts(cols, ops, vals, data) == 1
    alive = np.flatnonzero(match_counts(cols, ops, vals, data[:PREFILTER_ROWS]) <= 1)
    out = np.zeros(len(cols), dtype=bool)
    out[alive] = match_counts(cols[alive], ops[alive], vals[alive], data) == 1
    return out


def count_bits(bits: np.ndarray, n_rows: int) -> np.ndarray:
    """Rows matched per predicate, from its packed bit set over ``n_rows`` rows."""
    if n_rows % 8 and bits.size:  # the padding bits of the last byte are not rows
        bits = bits.copy()
        bits[:, -1] &= np.uint8((0xFF << (8 - n_rows % 8)) & 0xFF)
    return np.bitwise_count(bits).sum(axis=1, dtype=np.int64)


def evaluate(cols: np.ndarray, ops: np.ndarray, vals: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Boolean matrix: predicate i (a conjunction over its columns) matches row r of ``data``."""
    if len(cols) == 0:
        return np.zeros((0, len(data)), dtype=bool)
    return np.unpackbits(match_bits(cols, ops, vals, data), axis=1, count=len(data)).astype(bool)
