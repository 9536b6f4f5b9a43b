"""Storage is the only door to rows: no module outside ``storage/`` (and the SQLite catalog in
``catalog/``) opens an engine connection, imports DuckDB, runs SQL or writes SQL text, and one
module quotes SQL (``storage/sqltext.py``), since column names come from users' files.

The scan reads the source (AST, so comments and docstrings do not count). ``STILL_TO_MOVE`` names
the modules that still hold such code, each with why; it may only shrink: an entry whose module
no longer trips the scan fails the test, so the list is removed as the code moves.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import bulle

SRC = Path(bulle.__file__).resolve().parent  # the package under test, wherever it is imported from
ALLOWED_DIRS = ("storage", "catalog")
QUOTING_MODULE = "storage/sqltext.py"

# Modules outside storage/ and catalog/ that still run or write SQL, with the reason (to move).
STILL_TO_MOVE: dict[str, str] = {}

# Not Bulle's SQL: analysts' queries, text the lock-down (storage/sql_lockdown.py) receives.
ANALYST_TEXT = {
    "cli/demo.py": "the demo's analyst types two queries, one of them refused",
}

CALLS = {
    "connect",
    "execute",
    "executemany",
    "executescript",
    "sql",
    "create_function",
    "write_sql",
}
SQL_TEXT = re.compile(
    r"\b(read_parquet|read_csv|read_json)\s*\(|\bCOPY\s*\(|\bSELECT\b.*\bFROM\b|"
    r"\bPRAGMA\b|\b(INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET)\b",
    re.S,
)


def _texts(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)]
    return []


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def violations(source: str) -> list[str]:
    """What a module outside storage/ must not hold: connections, DuckDB, SQL calls, SQL text."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + (
                [node.module] if isinstance(node, ast.ImportFrom) else []
            )
            if any(
                n and (n == "duckdb" or n.startswith("duckdb.") or n == "sqlite3") for n in names
            ):
                found.append(f"line {node.lineno}: imports a database driver")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in CALLS
        ):
            found.append(f"line {node.lineno}: calls .{node.func.attr}()")
        elif id(node) not in docs and any(SQL_TEXT.search(t) for t in _texts(node)):
            found.append(f"line {node.lineno}: SQL text")
    return sorted(set(found))  # an f-string's parts are walked too


def quoting_helpers(source: str) -> list[str]:
    """Functions (or lambdas) doubling quotes: SQL quoting, which belongs in storage/sqltext.py."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "replace"
            and len(node.args) == 2
            and all(isinstance(a, ast.Constant) for a in node.args)
            and (node.args[0].value, node.args[1].value) in {('"', '""'), ("'", "''")}
        ):
            found.append(f"line {node.lineno}: doubles quotes")
    return found


def _modules() -> dict[str, str]:
    return {
        p.relative_to(SRC).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(SRC.rglob("*.py"))
    }


def test_no_module_outside_storage_touches_rows_with_sql() -> None:
    offenders = {}
    for rel, source in _modules().items():
        if rel.split("/")[0] in ALLOWED_DIRS or rel in STILL_TO_MOVE or rel in ANALYST_TEXT:
            continue
        if found := violations(source):
            offenders[rel] = found
    assert offenders == {}, "SQL or a connection outside storage/: use a typed Engine method"


def test_the_list_of_modules_still_to_move_only_shrinks() -> None:
    modules = _modules()
    stale = [
        rel
        for rel in (*STILL_TO_MOVE, *ANALYST_TEXT)
        if rel not in modules or not violations(modules[rel])
    ]
    assert stale == [], "these modules no longer hold SQL: remove them from STILL_TO_MOVE"


def test_one_quoting_module() -> None:
    offenders = {
        rel: found
        for rel, source in _modules().items()
        if rel != QUOTING_MODULE and (found := quoting_helpers(source))
    }
    assert offenders == {}, "quote SQL names and literals with bulle.storage.sqltext only"


def test_the_scan_sees_what_it_forbids() -> None:
    bad = (
        "def f(engine, path):\n    con = engine.connect()\n"
        '    return con.execute(f"SELECT * FROM read_parquet({path})")\n'
    )
    assert len(violations(bad)) == 3
    assert violations("import duckdb\n") and violations("from duckdb import sqltypes\n")
    assert violations("SQL = \"COPY (SELECT 1) TO 'x'\"\n")
    assert (
        violations('def f():\n    """SELECT x FROM y, read_parquet(z), in a docstring."""\n') == []
    )
    assert violations("def f(engine, p):\n    return engine.read_text(p, ['a'])\n") == []
    assert quoting_helpers("def q(n):\n    return '\"' + n.replace('\"', '\"\"') + '\"'\n")
