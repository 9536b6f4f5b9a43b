"""Every catalog table as JSON Lines, discovered from the catalog itself, and loaded back.

Tables are found in ``sqlite_master`` rather than listed here, so a table added by a later
migration (purposes, consents, projects, erasure receipts...) is exported and re-imported without
any change to this module.

One file per table, one JSON object per row, keys in the table's column order. SQLite's value
types map to JSON so that they come back as the same type: INTEGER to a number without a point,
REAL to a number with a point (Python writes ``1.0``, never ``1``), TEXT to a string, NULL to
null; the two values JSON cannot hold are objects with one key: ``{"$blob": "<base64>"}`` and
``{"$float": "inf" | "-inf"}``. Rows are written in rowid order (insertion order, which queries
without ORDER BY may follow), or primary-key order for WITHOUT ROWID tables.
"""

from __future__ import annotations

import base64
import json
import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bulle.errors import InputError, Problem, Where
from bulle.storage.sqltext import ident

# meta keys that belong to one workspace's copy, not to its content: carried elsewhere
WORKSPACE_SPECIFIC_META = frozenset({"audit_head"})


_q = ident  # table and column names of a workspace export are hostile input: one quoting rule


def encode_value(v: Any) -> Any:
    if isinstance(v, bytes):
        return {"$blob": base64.b64encode(v).decode("ascii")}
    if isinstance(v, float) and not math.isfinite(v):
        return {"$float": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}
    return v


def decode_value(v: Any, where: Where) -> Any:
    if isinstance(v, dict):
        if v.keys() == {"$blob"} and isinstance(v["$blob"], str):
            try:
                return base64.b64decode(v["$blob"], validate=True)
            except ValueError:
                raise InputError("invalid base64 in a $blob value", where) from None
        if v.keys() == {"$float"} and v["$float"] in ("inf", "-inf", "nan"):
            return float(v["$float"])
        raise InputError(f"unknown encoded value {sorted(v)}", where)
    if isinstance(v, list):
        raise InputError("a catalog value cannot be a JSON array", where)
    return v


def table_list(con: sqlite3.Connection) -> list[dict[str, Any]]:
    """User tables (and virtual tables) of the catalog, with their columns, in a stable order.

    SQLite's own tables (``sqlite_sequence``...) and the shadow tables behind virtual tables are
    left out: SQLite rebuilds them when the rows go back in.
    """
    kinds = {r[1]: (r[2], bool(r[4])) for r in con.execute("PRAGMA main.table_list")}
    out = []
    for name, sql in con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='table' ORDER BY name"
    ):
        kind, without_rowid = kinds.get(name, ("table", False))
        if name.startswith("sqlite_") or kind == "shadow":
            continue
        cols = []
        for _cid, cname, ctype, notnull, default, pk, hidden in con.execute(
            f"PRAGMA table_xinfo({_q(name)})"
        ):
            if hidden:  # generated or hidden columns are recomputed, never stored
                continue
            cols.append(
                {
                    "name": cname,
                    "type": ctype,
                    "notnull": bool(notnull),
                    "default": default,
                    "pk": pk,
                }
            )
        pk_cols = [c["name"] for c in sorted((c for c in cols if c["pk"]), key=lambda c: c["pk"])]
        out.append(
            {
                "name": name,
                "sql": sql,
                "virtual": kind == "virtual",
                "without_rowid": without_rowid,
                "columns": cols,
                "order": "primary key" if without_rowid else "rowid",
                "primary_key": pk_cols,
            }
        )
    return out


def other_objects(con: sqlite3.Connection) -> list[dict[str, Any]]:
    """Indexes, triggers and views (with SQL): a table unknown to the importer gets them back."""
    return [
        {"type": t, "name": n, "table": tbl, "sql": sql}
        for t, n, tbl, sql in con.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger', 'view') "
            "AND sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name"
        )
    ]


def dump_rows(con: sqlite3.Connection, table: dict[str, Any]) -> Iterator[bytes]:
    """The table's rows as JSON Lines, in its documented order, a block of lines at a time."""
    names = [c["name"] for c in table["columns"]]
    cols = ", ".join(_q(n) for n in names)
    if table["without_rowid"]:
        order = ", ".join(_q(n) for n in table["primary_key"])
    else:
        order = "_rowid_" if not table["virtual"] else "rowid"
    sql = f"SELECT {cols} FROM {_q(table['name'])}"
    if order:
        sql += f" ORDER BY {order}"
    skip_meta = table["name"] == "meta" and names[:1] == ["key"]
    cur = con.execute(sql)
    while rows := cur.fetchmany(10_000):
        out = []
        for row in rows:
            if skip_meta and row[0] in WORKSPACE_SPECIFIC_META:
                continue
            try:  # the common case: every value is plain JSON as it stands
                out.append(_ENCODE(dict(zip(names, row, strict=True))))
            except (TypeError, ValueError):  # a BLOB or an infinite REAL
                out.append(_ENCODE(dict(zip(names, map(encode_value, row), strict=True))))
        if out:
            yield ("\n".join(out) + "\n").encode("utf-8")


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


MAX_PROBLEMS = 20  # per table file: enough to see the pattern, bounded for a hostile file
_INT64 = (-(2**63), 2**63 - 1)


def load_rows(
    con: sqlite3.Connection, table: dict[str, Any], path: Path, rel: str
) -> tuple[int, list[Problem]]:
    """Insert the rows of one exported table file into a table of Bulle's own schema.

    ``table`` is Bulle's own description of the table (never the export's): its name and column
    names are the only identifiers in the statement, and every value is a bound parameter. Bad
    lines are collected (file and line each, at most ``MAX_PROBLEMS`` per file), not stopped at.
    Returns (number of lines, problems).
    """
    names = [c["name"] for c in table["columns"]]
    sql = (
        f"INSERT INTO {_q(table['name'])}({', '.join(_q(n) for n in names)}) "
        f"VALUES({', '.join('?' for _ in names)})"
    )
    skip_meta = table["name"] == "meta"
    problems: list[Problem] = []
    batch: list[tuple[int, tuple[Any, ...]]] = []
    n = 0

    def bad(line: int, message: str) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(message, Where(file=rel, line=line)))
        elif len(problems) == MAX_PROBLEMS:
            problems.append(
                Problem("... and more problems in this file, not listed", Where(file=rel))
            )

    with open(path, "rb") as f:
        for n, line in enumerate(f, start=1):
            try:
                obj = _DECODE(line.decode("utf-8"))
            except (ValueError, UnicodeDecodeError, RecursionError):
                bad(n, "not a JSON object")
                continue
            if type(obj) is not dict or list(obj) != names:
                got = (
                    [str(k)[:40] for k in list(obj)[:20]]
                    if isinstance(obj, dict)
                    else type(obj).__name__
                )
                bad(n, f"expected the columns {names}, got {got}")
                continue
            values = tuple(obj.values())
            if b"{" in line[1:] or b"[" in line or b"true" in line or b"false" in line:
                try:  # maybe an encoded value, or one SQLite would not store as written: look at each
                    values = tuple(
                        _checked(decode_value(v, Where(file=rel, line=n))) for v in values
                    )
                except InputError as exc:
                    bad(n, exc.message)
                    continue
            if skip_meta and values[0] in WORKSPACE_SPECIFIC_META:
                bad(
                    n,
                    f"the meta row {values[0]!r} belongs to one copy of a workspace and is never exported",
                )
                continue
            batch.append((n, values))
            if len(batch) >= 10_000:
                _insert(con, sql, batch, bad)
                batch = []
    _insert(con, sql, batch, bad)
    return n, problems


def _checked(v: Any) -> Any:
    if isinstance(v, bool):
        raise InputError("true and false are not catalog values (SQLite stores integers)")
    if isinstance(v, int) and not _INT64[0] <= v <= _INT64[1]:
        raise InputError("an integer beyond SQLite's 64-bit range")
    if isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError("a string that is not valid Unicode (a lone surrogate)") from None
    return v


_DECODE = json.JSONDecoder().decode


def _insert(
    con: sqlite3.Connection, sql: str, rows: list[tuple[int, tuple[Any, ...]]], bad: Any
) -> None:
    """Insert a batch at once; if it fails, again row by row to name each refused line."""
    if not rows:
        return
    con.execute("SAVEPOINT batch")
    try:
        con.executemany(sql, [r for _, r in rows])
    except (sqlite3.Error, OverflowError, ValueError):
        con.execute("ROLLBACK TO batch")
        for line, row in rows:
            try:
                con.execute(sql, row)
            except (sqlite3.Error, OverflowError, ValueError) as exc:
                bad(line, f"the row cannot go into the catalog: {str(exc)[:200]}")
    con.execute("RELEASE batch")
