"""Bulle's own catalog schema at a given version: the only schema an export may describe.

An export is hostile input. Its manifest describes the catalog (tables, columns, the ``CREATE``
statements, indexes, triggers, views), but the importer never executes any of that text: it
builds the catalog by running Bulle's own ``MIGRATIONS`` up to the export's schema version, and
the manifest's description must then be *exactly* the description of that reference schema.
Anything else (an unknown table, a trigger, a view, an index, a column, a ``table`` field naming
one table while its SQL targets another, an ``ATTACH``...) is refused, every difference listed.

The reference is derived from whatever ``MIGRATIONS`` holds, so tables added by later migrations
are exported and re-imported without any change here. The exporter checks the live catalog
against the same reference, so a workspace whose catalog was altered outside Bulle's migrations
is not exported as if it were Bulle's.
"""

from __future__ import annotations

import copy
import functools
import sqlite3
import urllib.parse
from typing import Any

from bulle.catalog.export_tables import WORKSPACE_SPECIFIC_META, other_objects, table_list
from bulle.errors import Problem, Where

MANIFEST = "manifest.json"
TABLE_KEYS = (
    "name",
    "sql",
    "virtual",
    "without_rowid",
    "columns",
    "order",
    "primary_key",
    "file",
    "rows",
)
OBJECT_KEYS = ("type", "name", "table", "sql")


def table_file(name: str) -> str:
    """Where a table's rows are in an export (the name percent-encoded, so always one segment)."""
    return f"catalog/{urllib.parse.quote(name, safe='')}.jsonl"


def _migrations() -> list[str]:
    from bulle.catalog import store

    return list(store.MIGRATIONS)


@functools.lru_cache(maxsize=8)
def _reference(migrations: tuple[str, ...]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    con = sqlite3.connect(":memory:")
    try:
        for sql in migrations:
            con.executescript(sql)
        tables = table_list(con)
        for t in tables:
            t["file"] = table_file(t["name"])
        return tables, other_objects(con)
    finally:
        con.close()


def reference(version: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(tables, objects) as ``table_list``/``other_objects`` describe a catalog built by Bulle's
    own migrations 1..``version`` (``file`` set, ``rows`` absent)."""
    tables, objects = _reference(tuple(_migrations()[:version]))
    return copy.deepcopy(tables), copy.deepcopy(objects)


def build(con: sqlite3.Connection, version: int) -> None:
    """Create the catalog schema of ``version`` in an empty database, from Bulle's migrations only."""
    for number, sql in enumerate(_migrations()[:version]):
        con.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version={number + 1};\nCOMMIT;")


def _differences(got: dict[str, Any], want: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    out = [k for k in keys if k in want and got.get(k) != want[k]]
    out += sorted(str(k) for k in got if k not in keys)
    return out


def check_catalog(section: Any, version: int, catalog_files: set[str]) -> list[Problem]:
    """Every problem with the manifest's ``catalog`` section, given a valid schema ``version``.

    ``catalog_files``: the paths the file list gives the kind ``catalog-table``; each table's file
    must be one of them, and each of them the file of one table.
    """
    problems: list[Problem] = []

    def bad(field: str, message: str) -> None:
        problems.append(Problem(message, Where(file=MANIFEST, field=f"catalog.{field}")))

    ref_tables, ref_objects = reference(version)
    by_name = {t["name"]: t for t in ref_tables}
    for key in sorted(set(section) - {"schema_version", "tables", "objects", "excluded_meta_keys"}):
        bad(key, "unknown key")
    if section.get("excluded_meta_keys") != sorted(WORKSPACE_SPECIFIC_META):
        bad("excluded_meta_keys", f"must be {sorted(WORKSPACE_SPECIFIC_META)}")

    tables = section.get("tables")
    seen: set[str] = set()
    if not isinstance(tables, list):
        bad("tables", "must be a list")
        tables = []
    for i, t in enumerate(tables):
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            bad(f"tables[{i}]", "a table needs a name")
            continue
        name = t["name"]
        shown = name if len(name) <= 80 else name[:80] + "..."
        if name not in by_name:
            bad(
                f"tables[{i}]",
                f"unknown catalog table {shown!r}: schema version {version} of Bulle's "
                "catalog has no such table (an import creates only Bulle's own tables)",
            )
            continue
        if name in seen:
            bad(f"tables[{i}]", f"table {name!r} is listed twice")
        seen.add(name)
        rows = t.get("rows")
        if type(rows) is not int or rows < 0:
            bad(f"tables[{i}].rows", "must be a non-negative integer")
        diff = _differences(t, by_name[name], TABLE_KEYS)
        if diff:
            bad(
                f"tables[{i}]",
                f"table {name!r} differs from Bulle's own definition at schema version "
                f"{version} in: {', '.join(diff)}",
            )
        if not isinstance(t.get("file"), str) or t["file"] not in catalog_files:
            bad(
                f"tables[{i}].file",
                f"the file of table {name!r} is not among the export's catalog files",
            )
    for name in sorted(set(by_name) - seen):
        bad(
            "tables", f"the export lacks the catalog table {name!r} of its schema version {version}"
        )
    files_of_tables = {by_name[n]["file"] for n in seen}
    for rel in sorted(catalog_files - files_of_tables):
        problems.append(
            Problem(
                "a catalog file that is the file of no catalog table",
                Where(file=MANIFEST, field="files", column=rel),
            )
        )

    objects = section.get("objects")
    if not isinstance(objects, list):
        bad("objects", "must be a list")
        objects = []
    ref_keys = {(o["type"], o["name"]): o for o in ref_objects}
    seen_objects: set[tuple[str, str]] = set()
    for i, o in enumerate(objects):
        key = (
            (o["type"], o["name"])
            if isinstance(o, dict)
            and isinstance(o.get("type"), str)
            and isinstance(o.get("name"), str)
            else None
        )
        if key is None or key not in ref_keys:
            what = f"{key[0]:.20} {key[1]:.80}" if key else "no type and name"
            bad(
                f"objects[{i}]",
                f"unknown catalog object ({what}): an import creates only the indexes, "
                f"triggers and views of Bulle's own schema version {version}",
            )
            continue
        if key in seen_objects:
            bad(f"objects[{i}]", f"{key[0]} {key[1]!r} is listed twice")
        seen_objects.add(key)
        diff = _differences(o, ref_keys[key], OBJECT_KEYS)
        if diff:
            bad(
                f"objects[{i}]",
                f"{key[0]} {key[1]!r} differs from Bulle's own definition in: {', '.join(diff)}",
            )
    for key in sorted(set(ref_keys) - seen_objects):
        bad("objects", f"the export lacks the {key[0]} {key[1]!r} of its schema version {version}")
    return problems


def live_schema_problems(con: sqlite3.Connection, version: int) -> list[Problem]:
    """How a live catalog differs from Bulle's own schema at its version (empty when it does not)."""
    ref_tables, ref_objects = reference(version)
    problems = []
    tables = {t["name"]: t for t in table_list(con)}
    want = {t["name"]: t for t in ref_tables}
    for name in sorted(set(tables) | set(want)):
        if name not in want:
            problems.append(
                Problem("a table that Bulle's migrations do not create", Where(field=name))
            )
        elif name not in tables:
            problems.append(Problem("a table of Bulle's schema is missing", Where(field=name)))
        elif _differences(tables[name], want[name], TABLE_KEYS[:-2]):
            problems.append(
                Problem("the table differs from Bulle's own definition", Where(field=name))
            )
    objects = {(o["type"], o["name"]): o for o in other_objects(con)}
    ref = {(o["type"], o["name"]): o for o in ref_objects}
    for key in sorted(set(objects) | set(ref)):
        if objects.get(key) != ref.get(key):
            what = (
                "not created by Bulle's migrations"
                if key not in ref
                else ("missing" if key not in objects else "differs from Bulle's own definition")
            )
            problems.append(Problem(f"{key[0]} {what}", Where(field=key[1])))
    return problems
