"""A crafted export, validly signed (an export carries the key that signs it), cannot plant SQL
in the rebuilt catalog, nor crash the importer: every field is checked, every problem listed."""

from __future__ import annotations

import copy
import hashlib
import json
import sqlite3

import pytest

from bulle.catalog.migrations import MIGRATIONS
from bulle.domain.actor import Actor, Role
from bulle.errors import ValidationError
from bulle.services.exchange import export_workspace, import_workspace
from bulle.services.vault import import_table
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)
PLANT = (
    "CREATE TRIGGER drop_withdrawals AFTER INSERT ON subject_events WHEN NEW.kind = 'withdrawn' "
    "BEGIN DELETE FROM subject_events WHERE seq = NEW.seq; END"
)


@pytest.fixture(scope="module")
def small_export(tmp_path_factory):
    base = tmp_path_factory.mktemp("small")
    csv = base / "t.csv"
    csv.write_text("id;ville\n1;Lyon\n2;Paris\n")
    with Workspace.init(base / "ws", ALICE) as ws:
        import_table(ws, csv, "t")
        export_workspace(ws, base / "out", include_keys=True)
    return base / "out"


def _resign(export, manifest):
    """Hash again the files that exist and sign with the export's own key: what anyone can do with
    an export they made themselves."""
    from bulle.audit.keys import load_workspace_key
    from bulle.exchange import manifest as mf

    for f in manifest["files"]:
        if (
            isinstance(f.get("path"), str)
            and len(f["path"]) < 200
            and (export / f["path"]).is_file()
        ):
            data = (export / f["path"]).read_bytes()
            f["sha256"], f["size"] = hashlib.sha256(data).hexdigest(), len(data)
    raw = mf.encode_manifest(manifest)
    (export / mf.MANIFEST).write_bytes(raw)
    (export / mf.SIGNATURE).write_text(
        load_workspace_key(export / "keys").sign(mf.signed_message(raw)).hex()
    )


@pytest.fixture
def crafted(small_export, tmp_path):
    """Copy the export, let the test edit its manifest (and files), re-sign it."""
    import shutil

    export = tmp_path / "crafted"
    shutil.copytree(small_export, export)

    def make(edit):
        manifest = json.loads((export / "manifest.json").read_text())
        edit(manifest, export)
        _resign(export, manifest)
        return export

    return make


def _refused(export, tmp_path):
    with pytest.raises(ValidationError) as err:
        import_workspace(export, tmp_path / "new", ALICE)
    assert not (tmp_path / "new").exists() and not list(tmp_path.glob("new.tmp-*"))
    return err.value, "\n".join(str(p) for p in err.value.problems)


def _add_table(m, export, name, sql, objects=()):
    """What an old importer executed: a table it did not know, created from the export's SQL, and
    the objects whose `table` field named that table."""
    rel = f"catalog/{name}.jsonl"
    (export / rel).write_text("")
    m["files"].append({"path": rel, "kind": "catalog-table", "sha256": "", "size": 0})
    m["catalog"]["tables"].append(
        {
            "name": name,
            "sql": sql,
            "virtual": False,
            "without_rowid": False,
            "columns": [{"name": "x", "type": "TEXT", "notnull": False, "default": None, "pk": 0}],
            "order": "rowid",
            "primary_key": [],
            "file": rel,
            "rows": 0,
        }
    )
    m["catalog"]["objects"].extend(objects)


def test_a_trigger_on_subject_events_cannot_be_planted(crafted, tmp_path):
    def edit(m, export):
        _add_table(
            m,
            export,
            "notes",
            "CREATE TABLE notes (x TEXT)",
            [{"type": "trigger", "name": "drop_withdrawals", "table": "notes", "sql": PLANT}],
        )

    err, text = _refused(crafted(edit), tmp_path)
    assert "unknown catalog table 'notes'" in text
    assert "unknown catalog object (trigger drop_withdrawals)" in text
    assert "catalog/notes.jsonl" in text  # its file is the file of no table of Bulle's
    assert len(err.problems) == 3


@pytest.mark.parametrize(
    "obj",
    [
        {
            "type": "view",
            "name": "v",
            "table": "versions",
            "sql": "CREATE VIEW v AS SELECT * FROM versions",
        },
        {
            "type": "index",
            "name": "i",
            "table": "versions",
            "sql": "CREATE INDEX i ON versions(kind)",
        },
        {
            "type": "trigger",
            "name": "subject_events_subject",
            "table": "subject_events",
            "sql": PLANT,
        },
        {
            "type": "index",
            "name": "subject_events_subject",
            "table": "subject_events",
            "sql": "CREATE INDEX subject_events_subject ON subject_events(subject_id, purpose)\n;ATTACH 'x' AS y",
        },
    ],
)
def test_objects_other_than_bulles_own_are_refused(crafted, tmp_path, obj):
    def edit(m, export):
        m["catalog"]["objects"] = [
            o for o in m["catalog"]["objects"] if o["name"] != obj["name"]
        ] + [obj]

    _, text = _refused(crafted(edit), tmp_path)
    assert "unknown catalog object" in text or "differs from Bulle's own definition in: sql" in text


def test_a_known_table_with_other_sql_or_columns_is_refused(crafted, tmp_path):
    def edit(m, export):
        for t in m["catalog"]["tables"]:
            if t["name"] == "meta":
                t["sql"] = "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); " + PLANT
            if t["name"] == "datasets":
                t["columns"].append(copy.deepcopy(t["columns"][0]) | {"name": "extra"})

    _, text = _refused(crafted(edit), tmp_path)
    version = len(MIGRATIONS)
    assert (
        f"table 'meta' differs from Bulle's own definition at schema version {version} in: sql"
        in text
    )
    assert (
        f"table 'datasets' differs from Bulle's own definition at schema version {version} in: columns"
        in text
    )


def test_a_5000_character_path_and_every_other_bad_field_listed_at_once(crafted, tmp_path):
    appended = []

    def edit(m, export):
        appended.append(len(m["files"]))
        m["files"].append(
            {"path": "data/" + "a" * 5000, "kind": "dataset-version", "sha256": "0" * 64, "size": 1}
        )
        m["files"].append(
            {"path": "../../etc/passwd", "kind": "artefact", "sha256": "x", "size": True}
        )
        m["workspace"]["id"] = 'x"\n[evil]'
        m["audit"]["head"] = {"seq": -1, "hash": "zz"}
        m["keys"]["unexpected"] = 1
        m["catalog"]["schema_version"] = "2"

    err, text = _refused(crafted(edit), tmp_path)
    assert "5005 bytes long: paths in an export are at most 1024 bytes" in text
    assert "'../../etc/passwd' is not a plain relative path" in text
    assert "files[" in text and ".sha256: must be 64 lowercase hex digits" in text
    assert ".size: must be an integer" in text
    assert (
        "field workspace.id" in text
        and "field audit.head" in text
        and "field keys.unexpected" in text
    )
    assert "field catalog.schema_version: must be an integer" in text
    assert len(err.problems) == 9


def test_hostile_rows_are_listed_by_line_not_crashed_on(crafted, tmp_path):
    def edit(m, export):
        rows = export / "catalog" / "datasets.jsonl"
        good = rows.read_text()
        rows.write_text(
            good
            + '{"name":"b","created_at":true,"created_by":"x"}\n'
            + '{"name":"c","created_at":"t","created_by":'
            + "9" * 30
            + "}\n"
            + '{"name":"d","created_at":"t","created_by":"\\ud800"}\n'
            + "[" * 100_000
            + "\n"
            + '{"name":"e"}\n'
        )
        (export / "catalog" / "meta.jsonl").write_text('{"key":"audit_head","value":"0:00"}\n')

    _, text = _refused(crafted(edit), tmp_path)
    assert "catalog/datasets.jsonl, line 2: true and false are not catalog values" in text
    assert "catalog/datasets.jsonl, line 3" in text and "line 4" in text
    assert "catalog/datasets.jsonl, line 5: not a JSON object" in text
    assert "catalog/datasets.jsonl, line 6: expected the columns" in text
    assert "catalog/meta.jsonl, line 1: the meta row 'audit_head'" in text


def test_a_stored_path_outside_its_folder_is_refused_even_for_a_withheld_version(crafted, tmp_path):
    def edit(m, export):
        rows = export / "catalog" / "versions.jsonl"
        row = json.loads(rows.read_text().splitlines()[0])
        row.update(
            {"number": 2, "path": "data/../../../escape.parquet", "status": "needs_recompute"}
        )
        rows.write_text(rows.read_text() + json.dumps(row, separators=(",", ":")) + "\n")
        for t in m["catalog"]["tables"]:
            if t["name"] == "versions":
                t["rows"] += 1

    _, text = _refused(crafted(edit), tmp_path)
    assert (
        "catalog/versions.jsonl, line 2, column path" in text
        and "not a plain relative path" in text
    )


def test_the_untouched_export_still_imports_without_any_object_but_bulles(small_export, tmp_path):
    import_workspace(small_export, tmp_path / "new", ALICE)
    con = sqlite3.connect(tmp_path / "new" / "catalog.sqlite")
    try:
        objects = con.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view')"
        ).fetchall()
    finally:
        con.close()
    assert objects == []


def test_a_5000_character_path_alone_is_a_clear_error_through_the_cli(crafted, tmp_path):
    """Through the CLI: exit 2 with the problem named, not a crash (exit 70) on the file system."""
    import os
    import subprocess
    import sys

    appended = []

    def edit(m, export):
        appended.append(len(m["files"]))
        m["files"].append(
            {"path": "artefacts/" + "a" * 5000, "kind": "artefact", "sha256": "0" * 64, "size": 1}
        )

    export = crafted(edit)
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "bulle",
            "import-workspace",
            str(export),
            str(tmp_path / "new"),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "BULLE_USER": "alice", "BULLE_ROLE": "custodian"},
    )
    assert p.returncode == 2, p.stderr
    err = json.loads(p.stderr)["error"]
    assert err["code"] == "invalid" and [q["where"]["field"] for q in err["problems"]] == [
        f"files[{appended[0]}].path"
    ]
    assert "is 5010 bytes long" in err["problems"][0]["message"]
    assert not (tmp_path / "new").exists()


def test_an_export_never_chooses_the_engine(crafted, tmp_path):
    """An export naming Spark (a cluster it would send the rows to) imports on DuckDB: the
    importer chooses the engine, and no [spark] section is written."""
    import tomllib

    def edit(m, export):
        m["workspace"]["engine"] = "spark"

    import_workspace(crafted(edit), tmp_path / "new", ALICE)
    config = tomllib.loads((tmp_path / "new" / "bulle.toml").read_text())
    assert config["workspace"]["engine"] == "duckdb" and "spark" not in config
