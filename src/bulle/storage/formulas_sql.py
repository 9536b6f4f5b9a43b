"""Spreadsheet formulas neutralised in DuckDB SQL: the twin of ``bulle.formulas`` for the CSV
files the DuckDB engine writes (exports, releases). Same two tests, in RE2 syntax."""

from __future__ import annotations

from typing import Any

from bulle.formulas import PLAIN_NUMBER, neutralize
from bulle.storage.sqltext import ident

_SQL_TRIGGER = "'^[=+\\-@\t\r]'"
_SQL_PLAIN = "'^" + PLAIN_NUMBER + "$'"


def sql_expr(column_sql: str) -> str:
    """A DuckDB expression giving the neutralised text of a VARCHAR column."""
    return (
        f"CASE WHEN regexp_matches({column_sql}, {_SQL_TRIGGER}) AND NOT "
        f"regexp_matches({column_sql}, {_SQL_PLAIN}) THEN '''' || {column_sql} ELSE {column_sql} END"
    )


def sql_select(con: Any, relation_sql: str) -> str:
    """``SELECT`` over ``relation_sql`` (a query or table expression) with every VARCHAR column and
    every column name neutralised, other columns as they are (numbers stay numbers)."""

    cols = con.sql(f"DESCRIBE SELECT * FROM ({relation_sql})").fetchall()
    select = []
    for name, ctype, *_ in cols:
        expr = (
            sql_expr(f"t.{ident(name)}") if str(ctype).upper() == "VARCHAR" else f"t.{ident(name)}"
        )
        select.append(f"{expr} AS {ident(neutralize(name))}")
    return f"SELECT {', '.join(select)} FROM ({relation_sql}) t"
