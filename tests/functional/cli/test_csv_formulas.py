"""Cells a spreadsheet would run as formulas are neutralised in CSV outputs by default; numbers
are not; `--keep-formulas` writes every cell as it is (``bulle.formulas``)."""

from __future__ import annotations

import csv
import io
import json

import pytest

DATA = 'id;nom;age;note\n1;=HYPERLINK("http://x");-5;-3\n2;Dupont;34;@SUM(A1)\n3;+33 6 12;34;-cmd|calc\n'


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    import os
    import subprocess
    import sys

    base = tmp_path_factory.mktemp("formulas")
    (base / "f.csv").write_text(DATA)
    for args in (
        ("init", base / "ws"),
        ("-w", base / "ws", "import", base / "f.csv", "--dataset", "f"),
    ):
        p = subprocess.run(
            [sys.executable, "-m", "bulle", *map(str, args)],
            capture_output=True,
            text=True,
            env={**os.environ, "BULLE_USER": "tester"},
            timeout=300,
        )
        assert p.returncode == 0, p.stderr
    return base


def _rows(path, delimiter=","):
    return list(csv.reader(io.StringIO(path.read_text()), delimiter=delimiter))


def test_export_table_neutralises_formulas_but_not_numbers(bulle, ws, tmp_path):
    r = bulle("-w", ws / "ws", "export-table", "f", tmp_path / "o.csv", "--json")
    assert r.code == 0, r.err
    assert r.json()["formulas_neutralized"] is True
    assert _rows(tmp_path / "o.csv") == [
        ["id", "nom", "age", "note"],
        ["1", '\'=HYPERLINK("http://x")', "-5", "-3"],  # age is numeric: -5 is a number; so is "-3"
        ["2", "Dupont", "34", "'@SUM(A1)"],
        ["3", "'+33 6 12", "34", "'-cmd|calc"],
    ]
    kept = bulle(
        "-w", ws / "ws", "export-table", "f", tmp_path / "k.csv", "--keep-formulas", "--json"
    )
    assert kept.code == 0 and kept.json()["formulas_neutralized"] is False
    assert [row[1] for row in _rows(tmp_path / "k.csv")] == [
        "nom",
        '=HYPERLINK("http://x")',
        "Dupont",
        "+33 6 12",
    ]
    log = bulle("-w", ws / "ws", "audit", "log", "--json").json()
    exports = [e for e in log["entries"] if e["event"]["kind"] == "dataset.export"]
    assert [e["event"]["details"]["keep_formulas"] for e in exports[-2:]] == [False, True]


def test_jsonl_and_parquet_are_never_changed(bulle, ws, tmp_path):
    assert bulle("-w", ws / "ws", "export-table", "f", tmp_path / "o.jsonl").code == 0
    first = json.loads((tmp_path / "o.jsonl").read_text().splitlines()[0])
    assert first["nom"] == '=HYPERLINK("http://x")' and first["age"] == -5


def test_anonymize_release_csv_neutralises_formulas(bulle, ws, tmp_path):
    (tmp_path / "age.csv").write_text("-5;*\n34;*\n")
    args = (
        "anonymize",
        "--input",
        ws / "f.csv",
        "--hierarchy",
        f"age={tmp_path / 'age.csv'}",
        "--k",
        "1",
    )
    assert bulle(*args, "--output", tmp_path / "r.csv").code == 0
    rows = _rows(tmp_path / "r.csv", ";")
    assert [row[1] for row in rows] == ["nom", '\'=HYPERLINK("http://x")', "Dupont", "'+33 6 12"]
    assert [row[3] for row in rows] == ["note", "-3", "'@SUM(A1)", "'-cmd|calc"]
    assert [row[2] for row in rows][1:] == [
        "-5",
        "34",
        "34",
    ]  # a plain negative number stays a number
    assert bulle(*args, "--output", tmp_path / "k.csv", "--keep-formulas").code == 0
    assert [row[1] for row in _rows(tmp_path / "k.csv", ";")][1] == '=HYPERLINK("http://x")'


def test_project_read_and_query_csv_neutralise_formulas(bulle, tmp_path):
    """An analyst's `read`/`query --output x.csv` too: the cells come from the data subjects."""
    import datetime as dt

    from bulle.domain.actor import Actor, Role
    from bulle.domain.consents import Consent
    from bulle.services import governance as gov
    from bulle.services.vault import import_table
    from bulle.workspace import Workspace

    now = dt.datetime.now(dt.UTC)
    src = tmp_path / "patients.csv"
    src.write_text("id_patient,diagnostic,age\nP1,=1+2,-5\nP2,-cmd|calc,40\n")
    with Workspace.init(tmp_path / "ws", Actor("alice", Role.CUSTODIAN)) as ws:
        import_table(ws, src, "patients")
        gov.declare_purpose(
            ws,
            "care",
            "Soins",
            "public_task",
            special_categories=True,
            art9_condition="health_care",
            compatible_with=["research"],
        )
        gov.declare_purpose(
            ws,
            "research",
            "Recherche",
            "consent",
            special_categories=True,
            art9_condition="explicit_consent",
        )
        gov.set_dataset_purpose(ws, "patients", "care")
        gov.record_choices(
            ws,
            [
                Consent(p, "research", "given", now - dt.timedelta(days=3), "form")
                for p in ("P1", "P2")
            ],
        )
        gov.create_project(
            ws,
            "etude",
            "research",
            {"patients": ["id_patient", "diagnostic", "age"]},
            [("bob", "analyst")],
            now - dt.timedelta(days=1),
            now + dt.timedelta(days=30),
            kind="import",
        )
        gov.approve_project(ws, "etude", allow_raw=True)  # the cells are the point, not the people
    analyst = ("-w", tmp_path / "ws", "--user", "bob", "--role", "analyst")
    r = bulle(*analyst, "read", "patients", "--project", "etude", "--output", tmp_path / "r.csv")
    assert r.code == 0, r.err
    q = bulle(
        *analyst,
        "query",
        "SELECT diagnostic, age FROM patients ORDER BY age",
        "--project",
        "etude",
        "--output",
        tmp_path / "q.csv",
    )
    assert q.code == 0, q.err
    assert sorted(row[1] for row in _rows(tmp_path / "r.csv")[1:]) == ["'-cmd|calc", "'=1+2"]
    assert _rows(tmp_path / "q.csv")[1:] == [["'=1+2", "-5"], ["'-cmd|calc", "40"]]
    k = bulle(
        *analyst,
        "query",
        "SELECT diagnostic FROM patients ORDER BY age",
        "--project",
        "etude",
        "--output",
        tmp_path / "k.csv",
        "--keep-formulas",
    )
    assert k.code == 0, k.err
    assert [row[0] for row in _rows(tmp_path / "k.csv")[1:]] == ["=1+2", "-cmd|calc"]
