"""Loading an export's catalog rows into a fresh catalog (the catalog side of an import).

No SQL is ever taken from an export: the schema is built by Bulle's own migrations up to the
export's schema version (``build``), and rows go, with bound parameters, into Bulle's own tables
and columns only, Bulle's triggers set aside meanwhile (so nothing is derived twice) and foreign
keys checked once at the end, every bad line listed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bulle.catalog import export_schema as schema
from bulle.catalog.export_tables import load_rows
from bulle.catalog.store import Catalog
from bulle.errors import Problem, ValidationError, Where
from bulle.storage.sqltext import ident as quote


def build(catalog: Catalog, version: int) -> None:
    """Create Bulle's own schema as it was at ``version`` in an empty catalog."""
    schema.build(catalog.con, version)


def load_catalog(
    catalog: Catalog,
    export_dir: Path,
    manifest: dict[str, Any],
    path_problem: Callable[[Any], str | None],
) -> list[dict[str, Any]]:
    """Fill Bulle's own tables from the export's row files; every problem listed at once.

    ``path_problem`` says why a stored-file path is unsafe (the export's own path rule).
    """
    con = catalog.con
    version = manifest["catalog"]["schema_version"]
    ref_tables, _ = schema.reference(version)
    counts = {t["name"]: t["rows"] for t in manifest["catalog"]["tables"]}
    con.execute("PRAGMA foreign_keys=OFF")  # rows go in table by table; checked once at the end
    con.execute("BEGIN IMMEDIATE")
    try:
        # Bulle's own triggers (this database was built by Bulle's migrations a moment ago): a
        # trigger firing on reload would derive its rows a second time
        triggers = con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in triggers:
            con.execute(f"DROP TRIGGER {quote(name)}")
        problems: list[Problem] = []
        loaded = []
        for t in ref_tables:
            n, bad = load_rows(con, t, export_dir / t["file"], t["file"])
            problems += bad
            if not bad and n != counts[t["name"]]:
                problems.append(
                    Problem(
                        f"{n} rows, but the manifest says {counts[t['name']]}",
                        Where(file=t["file"]),
                    )
                )
            if n and t["name"] in (
                "erasure_journal",
                "erasure_pending_versions",
            ):  # exports wait for erasures
                problems.append(
                    Problem(
                        "an export never carries a pending erasure: this one was not made by Bulle",
                        Where(file=t["file"]),
                    )
                )
            loaded.append({"name": t["name"], "rows": n})
        if not problems:
            problems += _stored_path_problems(con, path_problem)
            for table, rowid, parent, _ in con.execute("PRAGMA foreign_key_check").fetchmany(20):
                problems.append(
                    Problem(
                        f"row {rowid} of table {table!r} refers to a missing row of {parent!r}",
                        Where(file=schema.table_file(table)),
                    )
                )
        if problems:
            raise ValidationError.from_problems(
                "the export's catalog rows cannot be imported (nothing was imported)", problems
            )
        for _name, sql in triggers:
            con.execute(sql)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("PRAGMA foreign_keys=ON")
    return loaded


def _stored_path_problems(
    con: sqlite3.Connection, path_problem: Callable[[Any], str | None]
) -> list[Problem]:
    """Every stored-file path in the catalog is a safe relative path under its folder, even for a
    withheld version (whose file is not in the export, but whose path a recomputation will use)."""
    problems = []
    for table, top in (("versions", "data/"), ("artefacts", "artefacts/")):
        for rowid, path in con.execute(f"SELECT rowid, path FROM {table}"):
            why = path_problem(path)
            if why or not path.startswith(top) or path.startswith("data/.tmp/"):
                problems.append(
                    Problem(
                        f"the stored-file path {why or f'must lie under {top}'}",
                        Where(file=schema.table_file(table), line=rowid, column="path"),
                    )
                )
    return problems[:20]


def expected_files(catalog: Catalog, withheld_statuses: Sequence[str]) -> dict[str, str]:
    """path → content hash of every stored file of a version in use (not withheld), and of its
    artefacts: exactly the files an import must place."""
    con = catalog.con
    withheld = tuple(withheld_statuses)
    marks = ", ".join("?" for _ in withheld)
    live = f"(SELECT dataset, number FROM versions WHERE status NOT IN ({marks}))"
    expected = dict(
        con.execute(
            f"SELECT path, content_hash FROM versions WHERE (dataset, number) IN {live}",
            withheld,
        )
    )
    expected.update(
        con.execute(
            f"SELECT path, content_hash FROM artefacts WHERE (dataset, number) IN {live}",
            withheld,
        )
    )
    return expected
