"""Dates as text: the same text as Python's ``str()`` where Python holds the value, DuckDB's
ISO form where it does not, and never an exception, whatever the raw Arrow value."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bulle.storage.python_values import (
    INT32_MAX,
    INT64_MAX,
    format_raw,
    needs_text,
    python_rows,
    to_pandas,
    with_text_dates,
)

EPOCH = dt.date(1970, 1, 1)
IN_RANGE_DAYS = st.integers((dt.date.min - EPOCH).days, (dt.date.max - EPOCH).days)
UNITS = {"s": 1, "ms": 1_000, "us": 1_000_000}


@given(IN_RANGE_DAYS)
def test_a_date_python_holds_reads_as_str_gives_it(day):
    assert format_raw(pa.date32(), day) == str(EPOCH + dt.timedelta(days=day))


@given(st.datetimes(), st.sampled_from(sorted(UNITS)), st.booleans())
def test_a_timestamp_python_holds_reads_as_str_gives_it(when, unit, utc):
    per_s = UNITS[unit]
    when = when.replace(microsecond=when.microsecond // (1_000_000 // per_s) * (1_000_000 // per_s))
    t = pa.timestamp(unit, tz="UTC" if utc else None)
    arr = pa.array([when.replace(tzinfo=dt.UTC) if utc else when], t)
    raw = arr.view(pa.int64())[0].as_py()
    assert format_raw(t, raw) == str(arr.to_pylist()[0])


@given(st.times())
def test_a_time_python_holds_reads_as_str_gives_it(when):
    arr = pa.array([when], pa.time64("us"))
    assert format_raw(pa.time64("us"), arr.view(pa.int64())[0].as_py()) == str(when)


@given(st.integers((dt.date.max - EPOCH).days + 1, 106_751_991))  # years 10000 to DuckDB's largest
def test_a_date_beyond_9999_reads_as_duckdb_writes_it(day):
    expected = duckdb.sql(f"SELECT (DATE '1970-01-01' + {day})::VARCHAR").fetchall()[0][0]
    assert format_raw(pa.date32(), day) == expected


@given(st.lists(st.one_of(st.none(), st.integers(-INT32_MAX, INT32_MAX)), min_size=1, max_size=20))
def test_no_raw_date_value_makes_rows_fail(values):
    table = pa.table({"d": pa.array(values, pa.int32()).cast(pa.date32())})
    rows = python_rows(table)
    assert [r["d"] is None for r in rows] == [v is None for v in values]
    if needs_text(table["d"]):
        assert all(isinstance(r["d"], str) for r in rows if r["d"] is not None)
        assert to_pandas(table)["d"].dropna().map(type).eq(str).all()


@given(
    st.lists(st.one_of(st.none(), st.integers(-INT64_MAX, INT64_MAX)), min_size=1, max_size=20),
    st.sampled_from(["s", "ms", "us", "ns"]),
)
def test_no_raw_timestamp_value_makes_rows_fail(values, unit):
    table = pa.table({"t": pa.array(values, pa.int64()).cast(pa.timestamp(unit))})
    python_rows(table)
    to_pandas(table)
    with_text_dates(table, always=True)


@pytest.mark.parametrize(
    ("sql", "text"),
    [
        ("'infinity'::DATE", "infinity"),
        ("'-infinity'::DATE", "-infinity"),
        ("'infinity'::TIMESTAMP", "infinity"),
        ("'-infinity'::TIMESTAMP_S", "-infinity"),
        ("'infinity'::TIMESTAMP_MS", "infinity"),
        ("'infinity'::TIMESTAMP_NS", "infinity"),
        ("'infinity'::TIMESTAMPTZ", "infinity"),
        ("'24:00:00'::TIME", "24:00:00"),
        ("'0044-03-15 (BC)'::DATE", "-0043-03-15"),
        ("'0001-01-01 (BC)'::DATE", "0000-01-01"),
        ("'294247-01-10 04:00:54.775806'::TIMESTAMP", "294247-01-10 04:00:54.775806"),
    ],
)
def test_values_python_cannot_hold(sql, text):
    table = duckdb.sql(f"SELECT {sql} AS v").to_arrow_table()
    assert needs_text(table["v"])
    assert python_rows(table) == [{"v": text}]
    assert to_pandas(table)["v"].tolist() == [text]


def test_columns_python_holds_are_left_alone():
    table = duckdb.sql(
        "SELECT DATE '2020-01-01' AS d, TIMESTAMP '2020-01-01 10:00:00' AS t, "
        "'2262-04-11 23:47:16'::TIMESTAMP_NS AS ns"
    ).to_arrow_table()
    assert not any(needs_text(c) for c in table.columns)
    assert python_rows(table) == table.to_pylist()
