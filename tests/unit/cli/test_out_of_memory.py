"""Running out of memory is a limit of the machine, not a bug: exit 8 (`resource_limit`), not 70."""

from __future__ import annotations

import duckdb
import pytest

from bulle.cli.main import _resource_limit


def _duckdb_out_of_memory() -> BaseException:
    con = duckdb.connect()
    con.execute("SET memory_limit = '2MB'")
    con.execute("SET threads = 1")
    try:
        con.execute("SELECT list(range || 'x') FROM range(3000000)").fetchall()
    except duckdb.OutOfMemoryException as exc:
        return exc
    finally:
        con.close()
    pytest.fail("DuckDB did not run out of memory under a 2 MB limit")


def test_duckdb_running_out_of_memory_is_a_resource_limit():
    limit = _resource_limit(_duckdb_out_of_memory())
    assert limit is not None and limit.exit_code == 8 and limit.code == "resource_limit"
    assert "out of memory" in str(limit)


def test_python_memory_error_is_a_resource_limit_and_other_errors_stay_bugs():
    assert _resource_limit(MemoryError()).exit_code == 8
    assert _resource_limit(KeyError("x")) is None
    assert _resource_limit(duckdb.BinderException("no such column")) is None
