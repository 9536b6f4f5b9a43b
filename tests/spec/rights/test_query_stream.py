"""A project's query streams its result; the audit event counts what was handed over, even when
a limit stopped the query, and names the limit."""

from __future__ import annotations

import pytest

from bulle.errors import InputError, ResourceLimit
from bulle.services import governance as gov


def _query_events(world):
    return [
        e.event["details"]
        for e in world["custodian"].audit_log.read()
        if e.event["kind"] == "dataset.read" and e.event["details"].get("query")
    ]


def test_a_streamed_query_is_audited_with_the_rows_handed_over(world):
    with gov.stream_query_for_project(
        world["analyst"], "diabete", "SELECT age FROM patients ORDER BY age"
    ) as result:
        assert result.schema.names == ["age"]
        ages = [a for batch in result for a in batch.column(0).to_pylist()]
    assert ages == [31, 32, 33, 34]
    assert _query_events(world)[-1] == {
        "query": True,
        "tables": ["patients"],
        "rows": 4,
        "versions": ["patients@1"],
    }


def test_a_query_stopped_by_a_limit_is_audited_with_the_limit(world):
    with pytest.raises(ResourceLimit, match="result budget"):
        gov.query_for_project(
            world["analyst"], "diabete", "SELECT repeat('x', 1000) AS s FROM range(5000000)"
        )
    event = _query_events(world)[-1]
    assert event["stopped"] == "resource_limit" and 0 < event["rows"] < 5_000_000


def test_an_unbounded_timeout_is_refused_before_the_data_is_read(world):
    before = len(list(world["custodian"].audit_log.read()))
    with pytest.raises(InputError, match="ceiling"):
        gov.query_for_project(world["analyst"], "diabete", "SELECT 1", timeout_s=float("inf"))
    assert len(list(world["custodian"].audit_log.read())) == before  # not even a read was made
