"""Failure certificates are sound: when a node is certified to fail, so is every predecessor.

The search prunes the whole down-set of a certified node even for models that are not monotonic
with suppression (t-closeness, entropy l-diversity), so a wrong certificate would silently lose
the optimum. Here every node of random problems is judged, and for each certified one every
predecessor is judged completely: none may be anonymous.
"""

from __future__ import annotations

import itertools

from hypothesis import event, given, settings
from hypothesis import strategies as st
from tests.property.anonymization.test_anonymization_optimum import T_VALUES, tables, to_inputs

from bulle.anonymization.service import prepare
from bulle.anonymization.spec import ModelSpec


@st.composite
def problems(draw):
    """Larger tables than the optimum test (suppression then matters), no δ-presence."""
    hs, sens_h, rows = draw(tables(60, min_rows=4))
    models = []
    if draw(st.booleans()):
        models.append(ModelSpec("k-anonymity", None, {"k": draw(st.integers(1, 4))}))
    if draw(st.booleans()):
        models.append(ModelSpec("distinct-l-diversity", "s", {"l": draw(st.integers(1, 2))}))
    if draw(st.booleans()):
        models.append(
            ModelSpec(
                "entropy-l-diversity",
                "s",
                {"l": draw(st.sampled_from([1.3, 2.0, 2.6])), "estimator": "shannon"},
            )
        )
    if draw(st.booleans()):
        models.append(
            ModelSpec(
                "recursive-cl-diversity",
                "s",
                {"c": draw(st.sampled_from([0.5, 1.5, 2.5, 3.3])), "l": draw(st.integers(1, 3))},
            )
        )
    tkinds = draw(
        st.lists(
            st.sampled_from(["equal", "ordered", "hierarchical"]),
            min_size=0,
            max_size=2,
            unique=True,
        )
    )
    for tkind in tkinds:
        models.append(
            ModelSpec(f"t-closeness-{tkind}", "s", {"t": draw(st.sampled_from(T_VALUES))})
        )
    if not any(m.kind.startswith(("t-closeness", "entropy", "recursive")) for m in models):
        models.append(ModelSpec("t-closeness-equal", "s", {"t": draw(st.sampled_from(T_VALUES))}))
    return {
        "hierarchies": hs,
        "sens_h": sens_h,
        "rows": rows,
        "models": models,
        "subset": None,
        "suppression": draw(st.sampled_from([0.05, 0.1, 0.2, 0.3])),
        "metric": "loss",
        "gs": 0.5,
    }


@settings(deadline=None)
@given(problems())
def test_certified_nodes_have_no_anonymous_predecessor(p):
    freq, spec = to_inputs(p)
    enc, evaluator, _metric, _aggregate = prepare(freq, spec)
    assert evaluator.certifies
    ranges = [range(int(h) + 1) for h in enc.heights]
    nodes = list(itertools.product(*ranges))
    anonymous = {node: evaluator.evaluate(node, force=True).anonymous for node in nodes}
    for node in nodes:
        res = evaluator.evaluate(node)
        if not res.monotone_failed:
            continue
        assert not res.anonymous
        if any(node) and evaluator.min_size in (None, 1) and not evaluator.monotone:
            event("certified by failing shares alone, above the bottom")
        for other in nodes:
            if all(a <= b for a, b in zip(other, node, strict=True)):
                assert not anonymous[other], (
                    f"{node} certified, but its predecessor {other} is anonymous"
                )
