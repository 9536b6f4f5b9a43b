"""The analyst's SQL runs within limits that cannot be switched off: time, result bytes, rows.

A timeout of ``inf`` once disabled the watchdog (the timer thread died with a traceback and the
query ran unbounded); now every value is checked against the ceiling of
:mod:`bulle.governance.limits`. Results stream in Arrow batches counted against a byte budget, so
a huge result stops with ``ResourceLimit`` before it is held in memory.
"""

from __future__ import annotations

import math
import time

import pyarrow as pa
import pytest

from bulle.errors import EXIT_CODES, InputError, ResourceLimit
from bulle.governance.limits import DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S, check_timeout
from bulle.storage.sql_lockdown import Limits, LockedSession, run_analyst_sql

VIEW = {"t": pa.table({"x": [1, 2, 3]})}
# a cross join DuckDB would spend many minutes on (10^12 pairs, one thread)
RUNAWAY = "SELECT count(*) FROM range(1000000) a, range(1000000) b WHERE a.range + b.range = -1"


@pytest.mark.parametrize(
    "bad",
    [
        math.inf,
        -math.inf,
        math.nan,
        1e308,
        0,
        -1,
        MAX_TIMEOUT_S + 0.001,
        "inf",
        "1e308",
        "abc",
        None,
        True,
    ],
)
def test_timeouts_outside_the_range_are_refused_with_the_ceiling_named(bad) -> None:
    with pytest.raises(InputError, match=f"at most {MAX_TIMEOUT_S:g}") as err:
        Limits(timeout_s=bad)  # type: ignore[arg-type]
    assert err.value.where.field == "timeout_s"
    with pytest.raises(InputError, match="--timeout must be"):
        check_timeout(bad, "--timeout")


def test_an_infinite_timeout_is_refused_before_any_sql_runs() -> None:
    with pytest.raises(InputError, match="ceiling"):
        run_analyst_sql("SELECT 1", VIEW, timeout_s=math.inf)


def test_timeouts_within_the_range_are_kept() -> None:
    assert Limits(timeout_s=MAX_TIMEOUT_S).timeout_s == MAX_TIMEOUT_S
    assert Limits(timeout_s="2.5").timeout_s == 2.5  # type: ignore[arg-type]
    assert Limits().timeout_s == DEFAULT_TIMEOUT_S


def test_a_query_that_would_run_for_minutes_stops_at_the_limit() -> None:
    start = time.monotonic()
    with pytest.raises(ResourceLimit, match=r"longer than the 1\.5 s limit"):
        run_analyst_sql(RUNAWAY, VIEW, timeout_s=1.5)
    assert time.monotonic() - start < 20  # interrupt() lands within about a second of the limit


def test_a_result_past_the_byte_budget_stops_and_hands_over_no_more_than_the_budget() -> None:
    budget = 2 * 1024 * 1024
    got = 0
    with LockedSession(VIEW, Limits(max_result_bytes=budget, max_rows=None)) as session:
        with pytest.raises(ResourceLimit, match="result budget"):
            with session.stream("SELECT repeat('x', 100) AS s FROM range(1000000)") as result:
                for batch in result:
                    got += batch.nbytes
        assert 0 < got <= budget and result.nbytes == got
        # the session stays usable, and a result within the budget comes back whole
        assert session.query("SELECT count(*) AS n FROM range(1000)").to_pylist() == [{"n": 1000}]
    with pytest.raises(ResourceLimit, match="2 MiB result budget"):
        run_analyst_sql(
            "SELECT repeat('x', 1000) AS s FROM range(1000000)", VIEW, max_result_bytes=budget
        )
    assert (
        run_analyst_sql(
            "SELECT repeat('x', 100) AS s FROM range(1000)", VIEW, max_result_bytes=budget
        ).num_rows
        == 1000
    )


def test_the_budget_must_be_a_positive_number_of_bytes() -> None:
    for bad in (0, -1, 1.5, None):
        with pytest.raises(InputError, match="max_result_bytes"):
            Limits(max_result_bytes=bad)  # type: ignore[arg-type]


def test_resource_limits_have_their_own_exit_code() -> None:
    assert ResourceLimit.exit_code == EXIT_CODES["resource_limit"] == 8
    assert not issubclass(ResourceLimit, InputError)
