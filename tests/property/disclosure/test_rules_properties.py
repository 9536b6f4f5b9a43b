"""Properties of the disclosure rules and mitigations, on hypothesis-generated tables.

* a table that passes ``threshold`` shows no non-zero value below the threshold, whatever was done
  to it (exact counts, or the output of a mitigation);
* a mitigation's output passes every rule the mitigation says it mitigates, for any table and any
  settings (the threshold, the rounding base, the redaction limit), released tables included;
* evidence survives JSON and Parquet unchanged, a mitigation's too, and a mitigation's table is
  exactly what its evidence says is published.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from bulle.disclosure import evidence_io
from bulle.disclosure.mitigations import METHODS, mitigate, offered
from bulle.disclosure.status import run_checks
from bulle.disclosure.tables import crosstab, pivot_table
from bulle.disclosure.verify import require_published
from bulle.errors import InputError
from bulle.settings import defaults


@st.composite
def frames(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 300))
    a_levels = draw(st.integers(1, 6))
    b_levels = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    skew = draw(st.sampled_from([0.3, 1.0, 10.0]))
    a = rng.choice(a_levels, n, p=rng.dirichlet(np.full(a_levels, skew)))
    b = rng.choice(b_levels, n, p=rng.dirichlet(np.full(b_levels, skew)))
    v = rng.lognormal(2, 2, n)
    if draw(st.booleans()):
        v[rng.random(n) < 0.05] *= 1000
    if draw(st.booleans()):
        v[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({"a": [f"a{x}" for x in a], "b": [f"b{x}" for x in b], "v": v})


@st.composite
def params(draw) -> dict:
    p = dict(defaults())
    p["disclosure.threshold"] = draw(st.integers(1, 30))
    p["disclosure.round_base"] = draw(st.integers(2, 12))
    p["disclosure.redact_max"] = draw(st.integers(0, 20))
    p["disclosure.nk_n"] = draw(st.integers(1, 3))
    p["disclosure.zeros_disclosive"] = draw(st.integers(0, 1))
    p["disclosure.check_missing"] = draw(st.integers(0, 1))
    return p


def shown_values(table: pd.DataFrame) -> np.ndarray:
    arr = table.to_numpy(dtype=float, na_value=np.nan)
    return arr[~np.isnan(arr)]


@given(frames(), params(), st.sampled_from(["exact", *METHODS]))
def test_a_table_passing_threshold_shows_no_small_non_zero_value(df, p, method) -> None:
    table, ev = crosstab(df.a, df.b)
    if method != "exact":
        try:
            m = mitigate(method, table, ev, p)
        except InputError:  # nothing to suppress: the exact table is the output
            m = None
        if m is not None:
            table, ev = m.table, m.evidence
    t = p["disclosure.threshold"]
    result = next(r for r in run_checks(ev, p) if r.rule == "threshold")
    if result.passed:
        values = shown_values(table)
        assert not np.any((values > 0) & (values < t)), (t, values)


@given(frames(), frames(), params(), st.sampled_from(["count", "sum", "mean", "median", "max"]))
def test_a_mitigation_passes_every_rule_it_mitigates(df, other, p, stat) -> None:
    if stat == "count":
        table, ev = crosstab(df.a, df.b, n_top=3)
    else:
        table, ev = pivot_table(df, values="v", index="a", columns="b", aggfunc=stat, n_top=3)
    released = (crosstab(other.a, other.b)[1],)
    results = run_checks(ev, p, released)
    for method in offered(ev, results):
        m = mitigate(method, table, ev, p, released)
        after = {r.rule: r for r in run_checks(m.evidence, p, released)}
        for rule in m.mitigates:
            assert after[rule].passed, (method, rule, after[rule].detail)
        # a mitigation never changes what the checks were told about the records
        assert np.array_equal(m.evidence.count, ev.count)
        # the new revision's table is what its evidence says, and its evidence reads back
        require_published(m.evidence, m.table)
        back = evidence_io.from_json(evidence_io.to_json(m.evidence))
        assert evidence_io.to_dict(back) == evidence_io.to_dict(m.evidence)


@given(frames(), st.sampled_from(["count", "sum", "mean", "median", "min", "std"]))
def test_evidence_round_trips_through_json_and_parquet(df, stat) -> None:
    if stat == "count":
        _, ev = crosstab([df.a, df.b], df.b)
    else:
        _, ev = pivot_table(df, values="v", index=["a"], columns=["b"], aggfunc=stat)
    back = evidence_io.from_json(evidence_io.to_json(ev))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "e.parquet"
        evidence_io.write_parquet(ev, path)
        from_parquet = evidence_io.read_parquet(path)
    for other in (back, from_parquet):
        assert evidence_io.to_dict(other) == evidence_io.to_dict(ev)
        for name in ("count", "total", "top", "value", "published", "state", "below", "above"):
            assert np.array_equal(getattr(other, name), getattr(ev, name), equal_nan=True)
