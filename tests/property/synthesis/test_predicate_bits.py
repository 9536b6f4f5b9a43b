"""The attacks' shortcuts give the answers of the direct computation, whatever the table:
predicates as bit sets, rows grouped by integer codes, nearest records among distinct ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from bulle.synthesis.privacy.encoding import column_distances, encode, nearest, row_codes
from bulle.synthesis.privacy.predicates import compare, evaluate, match_counts


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 70),
    width=st.integers(1, 3),
    n_q=st.integers(0, 40),
)
def test_bit_sets_agree_with_row_by_row_comparison(seed, rows, width, n_q) -> None:
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 4, (rows, 4)).astype(float)
    data[rng.random(data.shape) < 0.15] = np.nan
    cols = rng.integers(0, 4, (n_q, width))
    ops = rng.integers(0, 8, (n_q, width))
    vals = rng.integers(0, 4, (n_q, width)).astype(float)
    vals[rng.random(vals.shape) < 0.1] = np.nan
    want = np.ones((n_q, rows), dtype=bool)
    for i in range(n_q):
        for k in range(width):
            want[i] &= compare(int(ops[i, k]), data[:, cols[i, k]], vals[i, k])
    assert evaluate(cols, ops, vals, data).tolist() == want.tolist()
    assert match_counts(cols, ops, vals, data).tolist() == want.sum(axis=1).tolist()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 60), width=st.integers(0, 4))
def test_row_codes_are_equal_exactly_for_equal_rows(seed, rows, width) -> None:
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 3, (rows, width)).astype(float)
    data[rng.random(data.shape) < 0.2] = np.nan
    codes = row_codes(data)
    canon = [tuple(np.nan_to_num(r, nan=-9.0)) for r in data]
    for a in range(rows):
        for b in range(rows):
            assert (codes[a] == codes[b]) == (canon[a] == canon[b])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_cand=st.integers(1, 40), n_q=st.integers(1, 10))
def test_nearest_on_distinct_candidates_is_nearest_of_all(seed, n_cand, n_q) -> None:
    """Comparing only the first of each group of equal candidates gives the same answer as
    comparing them all in the same random order (first nearest wins)."""
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(
        {
            "n": rng.integers(0, 4, n_cand + n_q).astype(float),
            "c": rng.choice(list("ab"), n_cand + n_q),
        }
    )
    table.loc[rng.random(len(table)) < 0.2, "n"] = np.nan
    enc = encode(table[:n_q], table[:n_q], table[n_q:])
    idx, dist, dist2 = nearest(
        enc, enc.train, enc.synthetic, [0, 1], np.random.default_rng(7), second=True
    )
    order = np.random.default_rng(7).permutation(n_cand)
    full = sum(column_distances(enc, enc.train, enc.synthetic[order], j) for j in (0, 1)) / 2
    best = np.argmin(full, axis=1)
    assert idx.tolist() == order[best].tolist()
    assert np.allclose(dist, full[np.arange(n_q), best])
    if n_cand > 1:
        full[np.arange(n_q), best] = np.inf
        assert np.allclose(dist2, full.min(axis=1))
