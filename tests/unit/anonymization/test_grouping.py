"""Class tables: the fast grouping paths give exactly what the plain definitions give."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from bulle.anonymization.encoding import COUNT, encode
from bulle.anonymization.evaluate import Evaluator
from bulle.anonymization.grouping import base_grouping, dense_ids, roll_up
from bulle.anonymization.hierarchy import Hierarchy
from bulle.anonymization.models import MODELS
from bulle.anonymization.spec import AnonymizationSpec, ModelSpec


def test_dense_ids_numbers_keys_in_ascending_order_on_every_path():
    rng = np.random.default_rng(7)
    # Small spaces take the occupancy path (its scratch is reused between calls), huge ones a sort.
    for n, space in [(1, 1), (50, 40), (300, 1 << 12), (2000, 1 << 15), (300, 1 << 40), (0, 10)]:
        for _ in range(3):
            key = rng.integers(0, space, n, dtype=np.int64)
            ids, count = dense_ids(key.copy(), space)
            uniq, inverse = np.unique(key, return_inverse=True)
            assert count == uniq.shape[0]
            assert np.array_equal(ids, inverse.reshape(-1))


def test_histograms_rolled_up_through_a_chain_equal_those_from_the_base():
    rng = np.random.default_rng(3)
    n = 400
    a = [f"a{i}" for i in range(12)]
    b = [f"b{i}" for i in range(9)]
    s = [f"s{i}" for i in range(5)]
    ha = Hierarchy.from_rows(
        [[v, f"A{i // 3}", f"AA{i // 6}", "*"] for i, v in enumerate(a)], name="a"
    )
    hb = Hierarchy.from_rows([[v, f"B{i // 3}", "*"] for i, v in enumerate(b)], name="b")
    hs = Hierarchy.from_rows([[v, "*"] for v in s], name="s")
    rows = {(a[rng.integers(12)], b[rng.integers(9)], s[rng.integers(5)]) for _ in range(n)}
    rows = sorted(rows)
    freq = pa.table(
        {
            "a": [r[0] for r in rows],
            "b": [r[1] for r in rows],
            "s": [r[2] for r in rows],
            COUNT: pa.array(rng.integers(1, 5, len(rows)), pa.int64()),
        }
    )
    spec = AnonymizationSpec(
        quasi_identifiers=("a", "b"),
        hierarchies={"a": ha, "b": hb, "s": hs},
        models=(ModelSpec("t-closeness-equal", "s", {"t": 0.5}),),
        sensitive=("s",),
        suppression_limit=0.0,
        metric="dmstar",
    )
    enc = encode(freq, spec)
    base = base_grouping(enc)
    for chain in [[(1, 0), (2, 1), (3, 2)], [(0, 1), (1, 1), (2, 2)]]:
        src = base
        for node in chain:
            g = roll_up(enc, src, node)
            direct = roll_up(enc, base, node)
            assert g.n_classes == direct.n_classes
            # Same classes (same base rows together), same histogram per class.
            assert np.array_equal(np.unique(g.cls), np.arange(g.n_classes))
            mapping = np.full(g.n_classes, -1)
            mapping[g.cls] = direct.cls
            assert np.array_equal(mapping[g.cls], direct.cls)
            assert np.array_equal(g.histogram("s"), direct.histogram("s")[mapping])
            assert np.array_equal(g.histogram_t("s"), g.histogram("s").T)
            assert np.array_equal(g.size, direct.size[mapping])
            src = g


def test_packed_source_lookup_picks_the_same_predecessor_as_the_plain_comparison():
    rng = np.random.default_rng(5)
    a = [f"a{i}" for i in range(8)]
    ha = Hierarchy.from_rows(
        [[v, f"A{i // 2}", f"AA{i // 4}", "*"] for i, v in enumerate(a)], name="a"
    )
    hb = Hierarchy.from_rows([[v, f"B{i // 2}", "*"] for i, v in enumerate(a)], name="b")
    hs = Hierarchy.from_rows([["x", "*"], ["y", "*"]], name="s")
    rows = sorted(
        {(a[rng.integers(8)], a[rng.integers(8)], "xy"[rng.integers(2)]) for _ in range(200)}
    )
    freq = pa.table(
        {
            "a": [r[0] for r in rows],
            "b": [r[1] for r in rows],
            "s": [r[2] for r in rows],
            COUNT: pa.array(np.ones(len(rows), dtype=np.int64)),
        }
    )
    model = ModelSpec("t-closeness-equal", "s", {"t": 0.3})
    spec = AnonymizationSpec(
        quasi_identifiers=("a", "b"),
        hierarchies={"a": ha, "b": hb, "s": hs},
        models=(model,),
        sensitive=("s",),
        suppression_limit=0.1,
        metric="dmstar",
    )
    enc = encode(freq, spec)
    ev = Evaluator(enc, [MODELS["t-closeness-equal"](model, enc)], limit=20)
    assert ev._packed
    nodes = [(x, y) for x in range(4) for y in range(3)]
    for node in nodes:
        ev.evaluate(node)
    for node in nodes:
        packed = ev._cached_source(node)
        ev._packed = False
        plain = ev._cached_source(node)
        ev._packed = True
        assert packed is plain
        assert all(s <= v for s, v in zip(packed.node, node, strict=True))


def test_class_numbers_do_not_depend_on_the_source_and_a_freed_source_is_not_needed():
    """A cached table holds its source weakly: once the source is gone, memberships and histograms
    are rebuilt from the base rows, which is right only if class numbers are the same."""
    import gc

    rng = np.random.default_rng(5)
    a = [f"a{i}" for i in range(12)]
    b = [f"b{i}" for i in range(9)]
    s = [f"s{i}" for i in range(5)]
    ha = Hierarchy.from_rows(
        [[v, f"A{i // 3}", f"AA{i // 6}", "*"] for i, v in enumerate(a)], name="a"
    )
    hb = Hierarchy.from_rows([[v, f"B{i // 3}", "*"] for i, v in enumerate(b)], name="b")
    rows = sorted(
        {(a[rng.integers(12)], b[rng.integers(9)], s[rng.integers(5)]) for _ in range(400)}
    )
    freq = pa.table(
        {
            "a": [r[0] for r in rows],
            "b": [r[1] for r in rows],
            "s": [r[2] for r in rows],
            COUNT: pa.array(rng.integers(1, 5, len(rows)), pa.int64()),
        }
    )
    spec = AnonymizationSpec(
        quasi_identifiers=("a", "b"),
        hierarchies={"a": ha, "b": hb},
        models=(ModelSpec("t-closeness-equal", "s", {"t": 0.5}),),
        sensitive=("s",),
        suppression_limit=0.0,
        metric="dmstar",
    )
    enc = encode(freq, spec)
    base = base_grouping(enc)
    direct = roll_up(enc, base, (2, 1))
    middle = roll_up(enc, base, (1, 0))
    g = roll_up(enc, middle, (2, 1))
    assert np.array_equal(g.size, direct.size)
    assert all(np.array_equal(x, y) for x, y in zip(g.columns, direct.columns, strict=True))
    del middle
    gc.collect()
    assert np.array_equal(g.cls, direct.cls)  # rebuilt from the base rows
    assert np.array_equal(g.histogram("s"), direct.histogram("s"))
