"""`project create --dataset NAME@N=... / --kind`, `project approve --allow-raw`, and what `read`
and `query` then serve, as a custodian and an analyst run them."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

NOW = dt.datetime.now(dt.UTC)
WINDOW = (
    "--from",
    (NOW - dt.timedelta(days=1)).isoformat(),
    "--until",
    (NOW + dt.timedelta(days=30)).isoformat(),
)
ROWS = "id_patient,nom,age\n" + "".join(f"P{i},Nom{i},{30 + i}\n" for i in range(1, 5))


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    """One workspace for the module: patients@1 (raw import) and patients@2 (pseudonymized)."""
    d = tmp_path_factory.mktemp("cli")
    src = d / "patients.csv"
    src.write_text(ROWS)
    root = d / "ws"
    for args in (
        ("init", root),
        ("-w", root, "import", src, "--dataset", "patients"),
        ("-w", root, "roles", "patients", "--confirm"),
        ("-w", root, "pseudonymize", "patients"),
        (
            "-w",
            root,
            "purpose",
            "declare",
            "care",
            "--description",
            "Soins",
            "--legal-basis",
            "public_task",
            "--compatible-with",
            "research",
        ),
        (
            "-w",
            root,
            "purpose",
            "declare",
            "research",
            "--description",
            "Recherche",
            "--legal-basis",
            "public_task",
        ),
        ("-w", root, "dataset-purpose", "patients", "care"),
    ):
        p = subprocess.run(
            [sys.executable, "-m", "bulle", *map(str, args)],
            capture_output=True,
            text=True,
            env={**os.environ, "BULLE_USER": "tester"},
            timeout=600,
        )
        assert p.returncode == 0, p.stderr
    return root


def create(bulle, ws, name, *options):
    return bulle(
        "-w",
        ws,
        "project",
        "create",
        name,
        "--purpose",
        "research",
        "--member",
        "bob:analyst",
        *WINDOW,
        *options,
        "--json",
    )


def problems(r) -> str:
    return "; ".join(p["message"] for p in r.error().get("problems", []))


def as_bob(bulle, ws, *args):
    return bulle("-w", ws, "--user", "bob", "--role", "analyst", *args, "--json")


def test_a_dataset_without_a_binding_or_with_an_unknown_kind_is_refused(bulle, ws):
    r = create(bulle, ws, "loose", "--dataset", "patients=id_patient,age")
    assert r.code == 2 and "bind 'patients' to a version (patients@N) or to a kind" in problems(r)
    r = create(bulle, ws, "typo", "--dataset", "patients=age", "--kind", "anonymous")
    assert r.code == 2 and "'anonymous' is not one of: import, pseudonymize, anonymize" in problems(
        r
    )
    r = create(
        bulle,
        ws,
        "twice",
        "--dataset",
        "patients=age",
        "--kind",
        "pseudonymize",
        "--kind",
        "anonymize",
    )
    assert r.code == 2 and r.error()["where"]["field"] == "--kind"


def test_a_kind_bound_project_serves_the_pseudonymized_version_to_read_and_query(bulle, ws):
    r = create(bulle, ws, "etude", "--dataset", "patients=id_patient,age", "--kind", "pseudonymize")
    assert r.code == 0, r.err
    assert r.json()["datasets"] == [
        {
            "dataset": "patients",
            "columns": ["id_patient", "age"],
            "version": None,
            "kind": "pseudonymize",
        }
    ]
    r = bulle("-w", ws, "project", "approve", "etude", "--json")
    assert r.code == 0 and r.json()["approval"]["allow_raw"] is False
    r = as_bob(bulle, ws, "read", "patients", "--project", "etude")
    assert r.code == 0, r.err
    read = r.json()
    assert read["version"] == "patients@2" and not {row["id_patient"] for row in read["data"]} & {
        "P1",
        "P2",
    }
    r = as_bob(bulle, ws, "read", "patients@1", "--project", "etude")
    assert r.code == 5
    message = r.error()["message"]
    assert (
        "patients@1 (import) is outside project 'etude'" in message
        and "does not allow raw data" in message
    )
    r = as_bob(
        bulle,
        ws,
        "query",
        "SELECT id_patient, age FROM patients ORDER BY age",
        "--project",
        "etude",
    )
    assert r.code == 0, r.err
    assert r.json()["data"] == sorted(read["data"], key=lambda row: row["age"])


def test_a_pinned_raw_version_needs_allow_raw(bulle, ws):
    assert create(bulle, ws, "brut", "--dataset", "patients@1=age").code == 0
    r = bulle("-w", ws, "project", "approve", "brut", "--json")
    assert r.code == 2 and "--allow-raw" in r.error()["message"]
    r = bulle("-w", ws, "project", "approve", "brut", "--allow-raw", "--json")
    assert r.code == 0 and r.json()["approval"]["allow_raw"] is True
    r = as_bob(bulle, ws, "read", "patients", "--project", "brut")
    assert r.code == 0 and r.json()["version"] == "patients@1"
    r = bulle("-w", ws, "project", "list")
    assert r.code == 0 and "brut: purpose research, approved (raw data allowed)" in r.out
    assert "reads patients@1" in r.out


def test_bindings_survive_export_and_import_workspace(bulle, ws, tmp_path):
    assert (
        create(
            bulle, ws, "moved", "--dataset", "patients=age", "--kind", "patients=pseudonymize"
        ).code
        == 0
    )
    assert bulle("-w", ws, "export", tmp_path / "out", "--include-keys", "--json").code == 0
    r = bulle("import-workspace", tmp_path / "out", tmp_path / "new", "--json")
    assert r.code == 0, r.err
    before = bulle("-w", ws, "project", "list", "--json").json()
    after = bulle("-w", tmp_path / "new", "project", "list", "--json").json()
    assert after == before
    moved = next(p for p in after["projects"] if p["name"] == "moved")
    assert moved["datasets"][0]["kind"] == "pseudonymize" and moved["approval"] is None
