"""A workspace with an approved project over datasets holding dates Python cannot hold.

Built in-process (fast); the commands under test then run as real ``bulle`` subprocesses.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from bulle.domain.actor import Actor, Role
from bulle.services import governance as gov
from bulle.services.vault import import_table
from bulle.workspace import Workspace

NOW = dt.datetime.now(dt.UTC)
# DuckDB writes these; Python's datetime holds none of the first three rows' dates.
DATES_SQL = """SELECT * FROM (VALUES
    (1, 'infinity'::DATE, 'infinity'::TIMESTAMP, 'infinity'::TIMESTAMPTZ),
    (2, '-infinity'::DATE, '-infinity'::TIMESTAMP, '-infinity'::TIMESTAMPTZ),
    (3, '294247-01-10'::DATE, '12000-01-01 00:00:01.5'::TIMESTAMP, '12000-01-01 00:00:00+00'::TIMESTAMPTZ),
    (4, '2020-05-01'::DATE, '2020-05-01 10:00:00'::TIMESTAMP, '2020-05-01 10:00:00+00'::TIMESTAMPTZ)
) AS t(id, d, ts, tz)"""
DATES_CSV = (
    "id,d,ts\n1,infinity,infinity\n2,-infinity,-infinity\n3,294247-01-10,12000-01-01 00:00:01.5\n"
    "4,2020-05-01,2020-05-01 10:00:00\n"
)
# What each row's dates read as, in text and JSON (ISO 8601; infinity spelled as DuckDB does).
EXPECTED = [
    {"id": 1, "d": "infinity", "ts": "infinity", "tz": "infinity"},
    {"id": 2, "d": "-infinity", "ts": "-infinity", "tz": "-infinity"},
    {
        "id": 3,
        "d": "294247-01-10",
        "ts": "12000-01-01 00:00:01.500000",
        "tz": "12000-01-01 00:00:00+00:00",
    },
    {"id": 4, "d": "2020-05-01", "ts": "2020-05-01 10:00:00", "tz": "2020-05-01 10:00:00+00:00"},
]


@pytest.fixture(scope="module")
def project_ws(tmp_path_factory):
    """Datasets ``dates`` (from Parquet) and ``datescsv`` (from CSV), collected for ``care``, and
    project ``p`` reading both for analyst ``bob`` (shared by a module's tests: they only read)."""
    tmp_path = tmp_path_factory.mktemp("project")
    root = tmp_path / "ws"
    parquet = tmp_path / "dates.parquet"
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"COPY ({DATES_SQL}) TO '{parquet}' (FORMAT parquet)")
    finally:
        con.close()
    csv = tmp_path / "dates.csv"
    csv.write_text(DATES_CSV)
    ws = Workspace.init(root, Actor("alice", Role.CUSTODIAN))
    try:
        import_table(ws, parquet, "dates")
        import_table(ws, csv, "datescsv")
        gov.declare_purpose(ws, "care", "Soins", "public_task")
        gov.set_dataset_purpose(ws, "dates", "care")
        gov.set_dataset_purpose(ws, "datescsv", "care")
        gov.create_project(
            ws,
            "p",
            "care",
            {"dates@1": ["id", "d", "ts", "tz"], "datescsv@1": ["id", "d", "ts"]},
            [("bob", "analyst")],
            NOW - dt.timedelta(days=1),
            NOW + dt.timedelta(days=30),
        )
        gov.approve_project(ws, "p", allow_raw=True)  # the dates are the point, not the people
    finally:
        ws.close()
    return root
