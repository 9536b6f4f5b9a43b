"""Nothing about a person's placement or encoding depends on anyone else's records."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from bulle.learning.encoding import Encoding
from bulle.learning.sharding import HELD_OUT, placement

KEY = bytes(range(32))
ids = st.text(min_size=1, max_size=12)


@given(st.lists(ids, min_size=1, max_size=30, unique=True), st.integers(1, 64), st.integers(0, 9))
def test_placement_is_a_function_of_the_person_alone(people, shards, seed):
    alone = {p: placement(KEY, p, shards, seed, 0.2) for p in people}
    together = dict(
        zip(people, [placement(KEY, p, shards, seed, 0.2) for p in people], strict=True)
    )
    assert alone == together
    for ref, shard in alone.values():
        assert len(ref) == 32 and (shard == HELD_OUT or 0 <= shard < shards)


values = st.one_of(st.none(), st.sampled_from(["a", "b", "é", "x y"]), st.text(max_size=5))


@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.integers(-100, 100)), values), min_size=1, max_size=25
    )
)
def test_a_row_encodes_the_same_alone_or_among_others(rows):
    enc = Encoding(("n",), ("c",), "n", 1)
    table = pa.table({"n": [r[0] for r in rows], "c": [r[1] for r in rows]})
    num, cat = enc.encode(table)
    for i in range(len(rows)):
        n1, c1 = enc.encode(table.slice(i, 1))
        assert np.array_equal(n1[0], num[i], equal_nan=True) and (c1[0] == cat[i]).all()
