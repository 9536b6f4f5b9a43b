"""CSV formula neutralisation: one rule, three implementations (Python, DuckDB SQL, Arrow) that
agree on any text, and a result a spreadsheet never runs as a formula."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from bulle import formulas
from bulle.storage import formulas_sql

TEXT = st.text(
    alphabet=st.sampled_from(list("=+-@\t\r'0123456789.eE ab|(\"")), max_size=8
) | st.text(max_size=8)


_CON: list = []


def _con():
    if not _CON:
        _CON.append(duckdb.connect())
    return _CON[0]


@given(st.lists(TEXT, min_size=1, max_size=20))
@settings(max_examples=100, deadline=None)
def test_python_sql_and_arrow_agree_and_nothing_left_runs(values):
    expected = [formulas.neutralize(v) for v in values]
    for v, n in zip(values, expected, strict=True):
        assert n == v or n == "'" + v  # nothing but the one quote is ever changed
        assert not n.startswith(formulas.TRIGGERS) or formulas._PLAIN.match(n)  # a number at most
    con = _con()
    con.register("t", pa.table({"c": pa.array(values, pa.string())}))
    got = [r[0] for r in con.sql(formulas_sql.sql_select(con, "SELECT * FROM t")).fetchall()]
    con.unregister("t")
    assert got == expected
    assert formulas.arrow_table(pa.table({"c": values})).column(0).to_pylist() == expected


def test_the_cases_by_name():
    for cell in (
        "=1+2",
        "+cmd",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "-",
        "+",
        "=",
        "-cmd|' /C calc'!A0",
    ):
        assert formulas.neutralize(cell) == "'" + cell
    for cell in ("-5", "+33612345678", "-1.5e3", ".5", "Dupont", "", "'=already", " =1"):
        assert formulas.neutralize(cell) == cell
