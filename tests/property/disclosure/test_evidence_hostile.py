"""Hostile evidence: whatever a job writes in place of honest evidence, reading it either gives
evidence or raises ValidationError (exit code 2) — never another exception, which would be a bug
(exit code 70) and could leave an output half-judged."""

from __future__ import annotations

import contextlib
import copy
import json

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from bulle.disclosure import evidence_io
from bulle.disclosure.status import run_checks
from bulle.disclosure.tables import crosstab
from bulle.errors import ValidationError

rng = np.random.default_rng(11)
_df = pd.DataFrame(
    {"a": rng.choice(["x", "y"], 50), "b": rng.choice(["p", "q", "r"], 50), "v": rng.random(50)}
)
HONEST = evidence_io.to_dict(crosstab(_df.a, _df.b, values=_df.v, aggfunc="sum")[1])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)


def paths(data, prefix=()):
    """Every place in the plain evidence a value can be replaced."""
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data[:3]):
            yield from paths(v, (*prefix, i))


PATHS = [p for p in paths(HONEST) if p]


@given(st.lists(st.tuples(st.sampled_from(PATHS), json_values), min_size=1, max_size=3))
def test_any_replacement_is_read_or_refused(edits) -> None:
    data = copy.deepcopy(HONEST)
    for path, value in edits:
        target = data
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed this place
    text = json.dumps(data)
    try:
        ev = evidence_io.from_json(text)
    except ValidationError:
        return
    run_checks(ev)  # what is read can be judged


@given(st.binary(max_size=200))
def test_any_bytes_are_read_or_refused(blob: bytes) -> None:
    with contextlib.suppress(ValidationError):
        evidence_io.from_json(blob)
