"""On real data, the search's optimum is the minimum over every anonymous transformation.

The property tests prove the search on tiny random tables; here the pruning (monotonicity,
failure certificates, bounds, dominance) meets adult's skewed distributions: five
quasi-identifiers (240 transformations), every node judged completely, the best anonymous value
compared with what the search returns, for many model, suppression and metric combinations.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
import pytest

from bulle.anonymization.frequency import base_frequencies
from bulle.anonymization.hierarchy import read_hierarchy_csv
from bulle.anonymization.metrics.aggregate import is_less
from bulle.anonymization.search import Search
from bulle.anonymization.service import prepare
from bulle.anonymization.spec import AnonymizationSpec, ModelSpec
from bulle.storage.duckdb_engine import DuckDBEngine

QIS = ("sex", "age", "race", "marital-status", "education")
SENSITIVE = ("occupation", "salary-class")

MODELS = {
    "k5": [ModelSpec("k-anonymity", None, {"k": 5})],
    "k50": [ModelSpec("k-anonymity", None, {"k": 50})],
    "distinct3": [ModelSpec("distinct-l-diversity", "occupation", {"l": 3})],
    "entropy3": [ModelSpec("entropy-l-diversity", "occupation", {"l": 3, "estimator": "shannon"})],
    "recursive": [ModelSpec("recursive-cl-diversity", "occupation", {"c": 4, "l": 3})],
    "t-equal": [
        ModelSpec("k-anonymity", None, {"k": 5}),
        ModelSpec("t-closeness-equal", "occupation", {"t": 0.2}),
    ],
    "t-ordered": [ModelSpec("t-closeness-ordered", "occupation", {"t": 0.15})],
    "t-hier": [ModelSpec("t-closeness-hierarchical", "occupation", {"t": 0.15})],
    "two-sensitive": [
        ModelSpec("t-closeness-equal", "occupation", {"t": 0.25}),
        ModelSpec("entropy-l-diversity", "salary-class", {"l": 1.6, "estimator": "shannon"}),
    ],
}
CASES = [
    (m, s, metric, None, 0.5)
    for m in MODELS
    for s in (0.0, 0.02, 0.1)
    for metric in ("loss", "entropy", "dm", "aecs", "precision")
]
# Aggregates, gs-factors and the other metrics on the models that prune least.
CASES += [
    (m, 0.05, metric, aggregate, gs)
    for m in ("t-equal", "entropy3", "k5")
    for metric, aggregate in (
        ("loss", "rank"),
        ("loss", "max"),
        ("loss", "sum"),
        ("precision", "arithmetic-mean"),
        ("entropy-nonmonotonic", None),
        ("dmstar", None),
        ("height", None),
    )
    for gs in (0.2, 0.8)
]
FAST = {
    ("t-equal", 0.02, "loss", None, 0.5),
    ("entropy3", 0.1, "entropy", None, 0.5),
    ("two-sensitive", 0.02, "dm", None, 0.5),
    ("t-equal", 0.05, "loss", "rank", 0.8),
}


@lru_cache(maxsize=1)
def _frequencies(data: str):
    return base_frequencies(DuckDBEngine(), data, [*QIS, *SENSITIVE])


def _params():
    out = []
    for case in CASES:
        marks = [] if case in FAST else [pytest.mark.slow]
        out.append(pytest.param(*case, id="-".join(map(str, case)), marks=marks))
    return out


@pytest.mark.parametrize(("models", "suppression", "metric", "aggregate", "gs"), _params())
def test_search_finds_the_exhaustive_minimum(arx_data, models, suppression, metric, aggregate, gs):
    hierarchies = {
        c: read_hierarchy_csv(arx_data / f"adult_hierarchy_{c}.csv", c) for c in (*QIS, *SENSITIVE)
    }
    spec = AnonymizationSpec(
        quasi_identifiers=QIS,
        hierarchies=hierarchies,
        models=tuple(MODELS[models]),
        sensitive=SENSITIVE,
        suppression_limit=suppression,
        metric=metric,
        aggregate=aggregate,
        gs_factor=gs,
    )
    freq = _frequencies(str(arx_data / "adult.csv"))
    enc, evaluator, metric_obj, aggregate = prepare(freq, spec)
    found = Search(evaluator, metric_obj, aggregate).run()

    _enc, exhaustive, _m, _a = prepare(freq, spec)
    best = None
    for node in itertools.product(*[range(int(h) + 1) for h in enc.heights]):
        res = exhaustive.evaluate(node, force=True)
        if not res.anonymous:
            continue
        values = metric_obj.value(res)
        key = (
            aggregate.score(np.asarray(values))
            if metric_obj.multi_dimensional
            else np.array([values])
        )
        if best is None or is_less(key, best):
            best = key
    if best is None:
        assert found.node is None
        return
    assert found.node is not None, "the search found nothing, an anonymous transformation exists"
    assert np.allclose(found.score, best, rtol=1e-9, atol=0.0), (found.node, found.score, best)
