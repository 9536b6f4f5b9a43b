"""Dates and timestamps Python cannot hold (``infinity``, ``-infinity``, year 294247) in every reader.

``show``, ``read`` and ``query`` print them, in text and JSON, as ISO-like text (never a traceback
or exit 70), CSV and JSON lines outputs hold the same text, Parquet keeps the exact values, and
the Python API's pandas results give such columns as strings (its Arrow results are unchanged).
"""

from __future__ import annotations

import json

import pyarrow.parquet as pq

import bulle

from .conftest import EXPECTED

ANALYST = ("--user", "bob", "--role", "analyst")


def _ok(run):
    assert run.code == 0, run.err
    assert "Traceback" not in run.err
    return run


def _sub(rows, keys):
    return [{k: r[k] for k in keys} for r in rows]


def test_show_prints_them(bulle, project_ws):
    out = _ok(bulle("-w", project_ws, "show", "dates", "--json")).json()
    assert out["rows"] == EXPECTED
    text = _ok(bulle("-w", project_ws, "show", "dates")).out
    for value in (
        "infinity",
        "-infinity",
        "294247-01-10",
        "12000-01-01 00:00:01.500000",
        "2020-05-01",
    ):
        assert value in text
    csv_rows = _ok(bulle("-w", project_ws, "show", "datescsv", "--json")).json()["rows"]
    assert _sub(csv_rows, ["id", "d"]) == _sub(EXPECTED, ["id", "d"])


def test_read_prints_and_writes_them(bulle, project_ws, tmp_path):
    out = _ok(bulle("-w", project_ws, *ANALYST, "read", "dates", "--project", "p", "--json")).json()
    assert out["data"] == EXPECTED
    _ok(
        bulle(
            "-w",
            project_ws,
            *ANALYST,
            "read",
            "dates",
            "--project",
            "p",
            "--output",
            tmp_path / "r.csv",
        )
    )
    lines = (tmp_path / "r.csv").read_text().splitlines()
    assert lines[1] == '1,"infinity","infinity","infinity"'
    assert lines[3] == '3,"294247-01-10","12000-01-01 00:00:01.500000","12000-01-01 00:00:00+00:00"'
    csv_rows = _ok(
        bulle("-w", project_ws, *ANALYST, "read", "datescsv", "--project", "p", "--json")
    ).json()
    assert _sub(csv_rows["data"], ["id", "d"]) == _sub(EXPECTED, ["id", "d"])


def test_query_prints_and_writes_them(bulle, project_ws, tmp_path):
    sql = "SELECT * FROM dates ORDER BY id"
    out = _ok(bulle("-w", project_ws, *ANALYST, "query", "--project", "p", sql, "--json")).json()
    assert out["data"] == EXPECTED and out["rows"] == 4
    text = _ok(bulle("-w", project_ws, *ANALYST, "query", "--project", "p", sql)).out
    for value in ("infinity", "-infinity", "294247-01-10", "12000-01-01 00:00:01.500000"):
        assert value in text
    _ok(
        bulle(
            "-w",
            project_ws,
            *ANALYST,
            "query",
            "--project",
            "p",
            sql,
            "--output",
            tmp_path / "q.jsonl",
        )
    )
    assert [json.loads(x) for x in (tmp_path / "q.jsonl").read_text().splitlines()] == EXPECTED
    _ok(
        bulle(
            "-w",
            project_ws,
            *ANALYST,
            "query",
            "--project",
            "p",
            sql,
            "--output",
            tmp_path / "q.csv",
        )
    )
    assert (tmp_path / "q.csv").read_text().splitlines()[
        2
    ] == '2,"-infinity","-infinity","-infinity"'
    _ok(
        bulle(
            "-w",
            project_ws,
            *ANALYST,
            "query",
            "--project",
            "p",
            sql,
            "--output",
            tmp_path / "q.parquet",
        )
    )
    raw = pq.read_table(tmp_path / "q.parquet")
    assert raw.column("d").cast("int32").to_pylist()[:3] == [2**31 - 1, -(2**31 - 1), 106751991]
    # values made inside the query, nested ones and the time 24:00:00 too
    sql = (
        "SELECT ['infinity'::DATE, DATE '2020-01-01'] AS l, {'a': '-infinity'::TIMESTAMP} AS s, "
        "'24:00:00'::TIME AS t, 'infinity'::TIMESTAMP_NS AS ns"
    )
    out = _ok(bulle("-w", project_ws, *ANALYST, "query", "--project", "p", sql, "--json")).json()
    assert out["data"] == [
        {
            "l": ["infinity", "2020-01-01"],
            "s": {"a": "-infinity"},
            "t": "24:00:00",
            "ns": "infinity",
        }
    ]


def test_python_api_pandas_gives_text_and_arrow_keeps_the_values(project_ws):
    with bulle.open_workspace(project_ws, user="alice") as ws:
        df = ws.read("dates", as_pandas=True)
        assert df["d"].tolist() == [r["d"] for r in EXPECTED]
        assert df["ts"].tolist() == [r["ts"] for r in EXPECTED]
        assert ws.read("dates")["d"].type.bit_width == 32  # the Arrow table holds the exact dates
    with bulle.open_workspace(project_ws, user="bob", role="analyst") as ws:
        df = ws.read_for_project("p", "dates", as_pandas=True)
        assert df["tz"].tolist() == [r["tz"] for r in EXPECTED]
        df = ws.query("p", "SELECT id, d FROM dates WHERE id >= 3 ORDER BY id", as_pandas=True)
        assert df["d"].tolist() == ["294247-01-10", "2020-05-01"]
        # a column Python holds keeps its native type
        df = ws.query("p", "SELECT d FROM dates WHERE id = 4", as_pandas=True)
        assert str(df["d"].iloc[0]) == "2020-05-01" and not isinstance(df["d"].iloc[0], str)
