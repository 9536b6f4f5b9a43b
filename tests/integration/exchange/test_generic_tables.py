"""Tables the export code has never heard of travel too, with their value types, as long as
Bulle's own migrations create them.

Catalog tables come from migrations (purposes, consents, projects, erasure receipts...). To show
that the export and the import need no change for a new one, these tests append a migration for
the duration of a test and check that its tables come back identical, its trigger restored and
not fired twice. A table created outside the migrations is not exported at all.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from bulle.catalog import store
from bulle.domain.actor import Actor, Role
from bulle.errors import IntegrityError
from bulle.services.exchange import export_workspace, import_workspace
from bulle.services.vault import import_table
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)

ROWS = [
    (1, "c-1", "subject-42", 1, 0.5, None, b"\x00\x01\xffbytes"),
    (2, "c-2", "sujet «é»", 0, float("inf"), 'retrait: "guillemets"\nligne', b""),
    (3, "c-3", "s-3", 1, 1.0, "", None),
    (4, "c-4", "s-4", 0, -0.0, "x", None),
    (5, "c-5", "s-5", 1, 2**62, "big int in a REAL column stays what SQLite stored", None),
]


EXTRA_MIGRATION = """
            CREATE TABLE consents_test (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                consent_id TEXT NOT NULL UNIQUE,
                subject TEXT NOT NULL,
                given INTEGER NOT NULL,
                weight REAL,
                note TEXT,
                evidence BLOB
            );
            CREATE INDEX consents_test_subject ON consents_test(subject);
            CREATE TABLE consent_counts (subject TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TRIGGER consents_test_count AFTER INSERT ON consents_test BEGIN
                INSERT INTO consent_counts(subject, n) VALUES (NEW.subject, 1)
                ON CONFLICT(subject) DO UPDATE SET n = n + 1;
            END;
"""


@pytest.fixture
def later_migration(monkeypatch):
    """One more migration in Bulle's list, as a later component adds one."""
    store.MIGRATIONS.append(EXTRA_MIGRATION)
    monkeypatch.setattr(store, "SCHEMA_VERSION", len(store.MIGRATIONS))
    yield
    store.MIGRATIONS.pop()


@pytest.fixture
def governed(tmp_path, later_migration):
    root = tmp_path / "ws"
    csv = tmp_path / "t.csv"
    csv.write_text("id;ville\n1;Lyon\n2;Paris\n")
    with Workspace.init(root, ALICE) as ws:
        import_table(ws, csv, "t")
        con = ws.catalog.con
        con.executemany("INSERT INTO consents_test VALUES (?, ?, ?, ?, ?, ?, ?)", ROWS)
        con.execute("DELETE FROM consents_test WHERE id = 4")  # a gap, and a counter left behind
        ws.catalog.set_meta("governance_note", "carried as any other meta row")
    return root


def _typed(root, table):
    con = sqlite3.connect(root / "catalog.sqlite")
    try:
        cols = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
        sel = ", ".join(f"{c}, typeof({c})" for c in cols)
        return con.execute(f"SELECT {sel} FROM {table} ORDER BY rowid").fetchall()
    finally:
        con.close()


def test_a_later_migrations_tables_round_trip_with_types_index_and_trigger(
    governed, tmp_path, helpers
):
    with Workspace.open(governed, ALICE) as ws:
        export_workspace(ws, tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    names = {t["name"] for t in manifest["catalog"]["tables"]}
    assert {"consents_test", "consent_counts"} <= names and "sqlite_sequence" not in names
    lines = (tmp_path / "out" / "catalog" / "consents_test.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["evidence"] == {"$blob": "AAH/Ynl0ZXM="}
    assert json.loads(lines[1])["weight"] == {"$float": "inf"}
    assert '"weight":1.0' in lines[2]  # a REAL stays a number with a point

    result = import_workspace(tmp_path / "out", tmp_path / "new", ALICE)
    new = tmp_path / "new"
    assert result.catalog_tables["consents_test"] == 4
    assert _typed(new, "consents_test") == _typed(governed, "consents_test")
    assert helpers.catalog_rows(new) == helpers.catalog_rows(governed)  # every table, meta included
    # the trigger did not fire while the rows went back in (counts equal the source's, not doubled)
    assert helpers.catalog_rows(new)["consent_counts"] == [
        ("s-3", "text", 1, "integer"),
        ("s-4", "text", 1, "integer"),
        ("s-5", "text", 1, "integer"),
        ("subject-42", "text", 1, "integer"),
        ("sujet «é»", "text", 1, "integer"),
    ]
    con = sqlite3.connect(new / "catalog.sqlite")
    try:
        objects = {
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger')"
            )
        }
        assert {"consents_test_subject", "consents_test_count"} <= objects
        # the rebuilt table keeps working as before: AUTOINCREMENT continues after the largest id
        con.execute(
            "INSERT INTO consents_test(consent_id, subject, given) VALUES ('c-6', 's-3', 1)"
        )
        assert con.execute("SELECT max(id) FROM consents_test").fetchone()[0] == 6
        assert con.execute("SELECT n FROM consent_counts WHERE subject='s-3'").fetchone()[0] == 2
        con.rollback()
    finally:
        con.close()
    with Workspace.open(new, ALICE) as ws:
        assert ws.catalog.get_meta("governance_note") == "carried as any other meta row"
        export_workspace(ws, tmp_path / "again")
    for t in ("consents_test", "consent_counts", "meta", "versions"):
        assert (tmp_path / "again" / "catalog" / f"{t}.jsonl").read_bytes() == (
            tmp_path / "out" / "catalog" / f"{t}.jsonl"
        ).read_bytes()


def test_a_catalog_changed_outside_the_migrations_is_not_exported(tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text("id;ville\n1;Lyon\n")
    with Workspace.init(tmp_path / "ws", ALICE) as ws:
        import_table(ws, csv, "t")
        ws.catalog.con.executescript("""
            CREATE TABLE notes (x TEXT);
            CREATE TRIGGER drop_withdrawals AFTER INSERT ON subject_events BEGIN SELECT 1; END;
        """)
        with pytest.raises(IntegrityError) as err:
            export_workspace(ws, tmp_path / "out")
    assert "not Bulle's own at schema version" in err.value.message
    assert sorted(p.where.field for p in err.value.problems) == ["drop_withdrawals", "notes"]
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob("out.tmp-*"))
