"""The encoding is decided from the schema; learners are deterministic byte for byte."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from bulle.errors import InputError
from bulle.learning.encoding import BUCKETS, Encoding, bucket, plan
from bulle.learning.learners import LEARNERS, learner

SCHEMA = [
    {"name": "id", "type": "VARCHAR"},
    {"name": "age", "type": "BIGINT"},
    {"name": "job", "type": "VARCHAR"},
    {"name": "y", "type": "VARCHAR"},
]


def test_plan_splits_numbers_from_hashed_columns_and_excludes_identifiers():
    enc = plan(SCHEMA, "y", None, {"id"}, ["a", "b", None])
    assert enc.numeric == ("age",) and enc.hashed == ("job",) and enc.positive == "b"
    with pytest.raises(InputError, match="may not be features"):
        plan(SCHEMA, "y", ["id"], {"id"}, ["a", "b"])
    with pytest.raises(InputError, match="binary target"):
        plan(SCHEMA, "y", None, {"id"}, ["a", "b", "c"])
    with pytest.raises(InputError, match="no column"):
        plan(SCHEMA, "z", None, set(), [])


def test_a_value_seen_once_has_the_same_bucket_whatever_else_is_there():
    enc = Encoding(("age",), ("job",), "y", "b")
    t = pa.table({"age": [30, None], "job": ["rare", None], "y": ["a", "b"]})
    num, cat = enc.encode(t)
    assert np.isnan(num[1, 0]) and cat[1, 0] == -1
    assert cat[0, 0] == bucket("job", "rare") and 0 <= cat[0, 0] < BUCKETS
    assert enc.labels(t).tolist() == [0, 1]


@pytest.mark.parametrize("name", ["lightgbm", "logistic"])
def test_learners_are_deterministic_and_registered(name):
    assert name in LEARNERS.names()
    rng = np.random.default_rng(0)
    num = rng.normal(size=(300, 2))
    cat = rng.integers(-1, BUCKETS, size=(300, 2))
    y = (num[:, 0] + rng.normal(size=300) > 0).astype(np.int8)
    a = learner(name).fit(num, cat, y, 3)
    b = learner(name).fit(num, cat, y, 3)
    assert a == b
    p = learner(name).predict(a, num, cat)
    assert p.shape == (300,) and ((p > 0) & (p < 1)).all()
    assert learner(name).fit(num[1:], cat[1:], y[1:], 3) != a  # a row changes the state


def test_logistic_on_one_class_answers_a_constant():
    state = learner("logistic").fit(np.zeros((3, 1)), np.zeros((3, 1), int), np.ones(3), 0)
    assert learner("logistic").predict(state, np.zeros((2, 1)), np.zeros((2, 1), int)).tolist() == [
        1.0,
        1.0,
    ]


def test_shards_do_not_depend_on_the_order_the_engine_read_the_rows_in():
    from bulle.learning import sisa
    from bulle.services.model_data import canonical

    rng = np.random.default_rng(1)
    n = 400
    rows = sisa.Rows(
        rng.normal(size=(n, 1)).round(1),
        rng.integers(0, 4, size=(n, 1)),
        rng.integers(0, 2, size=n).astype(np.int8),
        np.asarray([f"{i % 90:032x}" for i in range(n)], dtype="<U32"),
        np.asarray([(i % 90) % 3 for i in range(n)]),
    )
    manifest = {f"{i:032x}": i % 3 for i in range(90)}
    shuffled = rows.take(rng.permutation(n))
    for name in ("lightgbm", "logistic"):
        a = sisa.train_shards(learner(name), canonical(rows), manifest, range(3), 5)
        b = sisa.train_shards(learner(name), canonical(shuffled), manifest, range(3), 5)
        assert a == b
    c = sisa.train_shards(learner("logistic"), shuffled, manifest, range(3), 5)
    assert c != a  # without the canonical order, the read order changes the states
