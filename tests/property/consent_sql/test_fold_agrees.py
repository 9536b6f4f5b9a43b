"""The engine's consent fold (SQL) admits exactly the people the domain rule admits."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulle.domain.actor import Role
from bulle.domain.consents import Consent, Objection
from bulle.domain.governance_fields import iso
from bulle.domain.projects import DatasetUse, Member, Project
from bulle.domain.purposes import Purpose
from bulle.governance.access import subject_filter
from bulle.storage.consent_sql import VisibleRead, _write_state, state_path

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
SUBJECTS = [f"S{i}" for i in range(6)]
PURPOSES = {
    "consent": Purpose("p", "d", "consent"),
    "public_task": Purpose("p", "d", "public_task"),
    "explicit": Purpose("p", "d", "public_task", True, "explicit_consent"),
    "contract": Purpose("p", "d", "contract"),
}

event = st.tuples(
    st.sampled_from(SUBJECTS),
    st.sampled_from(["given", "withdrawn", "objected"]),
    st.integers(0, 10),
    st.sampled_from(["p", "other"]),
)


CASES = (
    st.lists(event, max_size=25),
    st.sampled_from(sorted(PURPOSES)),
    st.integers(0, 11),
    st.lists(st.sampled_from([*SUBJECTS, None]), min_size=1, max_size=12),
    st.booleans(),
)


def _case(d, events, basis, read_day, rows, with_state):
    """The choices snapshot and data files of one example, and the rows the domain rule admits."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    purpose = PURPOSES[basis]
    at = T0 + dt.timedelta(days=read_day)
    consents, objections, table = (
        [],
        [],
        {"seq": [], "subject_id": [], "purpose": [], "kind": [], "event_at": []},
    )
    for seq, (sid, kind, day, p) in enumerate(events, start=1):
        when = T0 + dt.timedelta(days=day)
        if kind == "objected":
            objections.append(Objection(sid, p, when, "t"))
        else:
            consents.append(Consent(sid, p, kind, when, "t"))
        for k, v in zip(table, (seq, sid, p, kind, iso(when)), strict=True):
            table[k].append(v)
    choices = d / "choices.parquet"
    pq.write_table(
        pa.table(
            {
                **table,
                "seq": pa.array(table["seq"], pa.int64()),
                **{
                    k: pa.array(table[k], pa.string())
                    for k in ("subject_id", "purpose", "kind", "event_at")
                },
            }
        ),
        choices,
    )
    if with_state:
        _write_state(choices, state_path(choices), "subject_id")
    data = d / "data.parquet"
    pq.write_table(
        pa.table({"sid": pa.array(rows, pa.string()), "n": list(range(len(rows)))}), data
    )
    project = Project(
        "x",
        purpose,
        (DatasetUse("d", ("sid",), version=1),),
        (Member("a", Role.ANALYST),),
        T0 - dt.timedelta(days=1),
        T0 + dt.timedelta(days=100),
    )
    rule = subject_filter(project, consents, objections, at=at)
    expected = sorted(i for i, sid in enumerate(rows) if rule.admits(sid))
    return VisibleRead(data, ("sid", "n"), "sid", purpose, iso(at), choices), expected


@given(*CASES)
def test_sql_fold_equals_domain_rule(tmp_path_factory, events, basis, read_day, rows, with_state):
    """Both paths: the fold over events, and (for reads after the last event) the standing table."""
    read, expected = _case(
        tmp_path_factory.mktemp("fold"), events, basis, read_day, rows, with_state
    )
    got = sorted(r[1] for r in duckdb.connect().execute(read.sql()).fetchall())
    assert got == expected


@pytest.mark.spark
@settings(max_examples=15)  # one Spark job per example
@given(*CASES)
def test_spark_joins_admit_the_domain_rule(
    tmp_path_factory, events, basis, read_day, rows, with_state
):
    """Spark's broadcast semi/anti-join of the people folded on the server: the same people."""
    from tests.spec.engine.conftest import make_engine

    read, expected = _case(
        tmp_path_factory.mktemp("fold"), events, basis, read_day, rows, with_state
    )
    got = sorted(make_engine("spark").read_visible(read).column("n").to_pylist())
    assert got == expected
