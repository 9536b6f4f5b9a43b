"""Projects stored before bindings existed are migrated to a binding that never reaches raw data."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from bulle.catalog.migrations import MIGRATIONS
from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied
from bulle.services import governance as gov
from bulle.services.pseudonymization import pseudonymize
from bulle.services.vault import import_table, set_roles
from bulle.workspace import Workspace

NOW = dt.datetime.now(dt.UTC)
ROWS = "id_patient,nom,age\n" + "".join(f"P{i},Nom{i},{30 + i}\n" for i in range(1, 5))
# the migration that binds stored projects (found by content: its number may change on merges)
BINDING = next(m for m in MIGRATIONS if "'$.approval.allow_raw'" in m)


def old_doc(name: str, datasets: list[dict], approval: dict | None) -> str:
    """A project as Bulle stored it before bindings: datasets are names and columns only."""
    return json.dumps(
        {
            "name": name,
            "description": "",
            "purpose": "research",
            "datasets": datasets,
            "members": [{"name": "bob", "role": "analyst"}],
            "valid_from": (NOW - dt.timedelta(days=10)).isoformat(),
            "valid_until": (NOW + dt.timedelta(days=30)).isoformat(),
            "approval": approval,
        }
    )


@pytest.fixture
def old_catalog(tmp_path):
    """A workspace whose catalog holds projects in the form stored before bindings, then migrated."""
    root = tmp_path / "ws"
    src = tmp_path / "patients.csv"
    src.write_text(ROWS)
    with Workspace.init(root, Actor("alice", Role.CUSTODIAN)) as ws:
        for name in ("patients", "release", "stays"):
            import_table(ws, src, name)
        set_roles(ws, "patients@1", confirm_all=True)
        pseudonymize(ws, "patients@1")
        set_roles(ws, "release@1", confirm_all=True)
        pseudonymize(ws, "release@1")
        gov.declare_purpose(ws, "care", "Soins", "public_task", compatible_with=["research"])
        gov.declare_purpose(ws, "research", "Recherche", "public_task")
        gov.set_dataset_purpose(ws, "patients", "care")
    approval = {
        "by": {"name": "alice", "role": "custodian"},
        "at": (NOW - dt.timedelta(days=5)).isoformat(),
    }
    con = sqlite3.connect(root / "catalog.sqlite")
    with con:
        # the release's newest de-identified version is an anonymized one (made here by relabelling)
        con.execute("UPDATE versions SET kind='anonymize' WHERE dataset='release' AND number=2")
        rows = [
            (
                "etude",
                old_doc(
                    "etude",
                    [
                        {"dataset": "patients", "columns": ["id_patient", "age"]},
                        {"dataset": "release", "columns": ["age"]},
                        {"dataset": "stays", "columns": ["age"]},
                    ],
                    approval,
                ),
            ),
            (
                "sly",
                old_doc(
                    "sly",
                    [{"dataset": "patients", "columns": ["age"]}],
                    {**approval, "allow_raw": True},
                ),
            ),
            ("draft", old_doc("draft", [{"dataset": "patients", "columns": ["age"]}], None)),
        ]
        con.executemany(
            "INSERT INTO projects(name, doc_json, updated_at) VALUES(?, ?, ?)",
            [(n, d, NOW.isoformat()) for n, d in rows],
        )
    con.executescript(f"BEGIN IMMEDIATE;\n{BINDING}\nCOMMIT;")  # what opening an old catalog runs
    con.close()
    return root


def stored(root, name: str) -> dict:
    con = sqlite3.connect(root / "catalog.sqlite")
    try:
        return json.loads(
            con.execute("SELECT doc_json FROM projects WHERE name=?", (name,)).fetchone()[0]
        )
    finally:
        con.close()


def test_old_projects_are_bound_to_de_identified_kinds_and_lose_raw_access(old_catalog):
    with Workspace.open(old_catalog, Actor("alice", Role.CUSTODIAN)) as ws:
        etude = gov.store(ws).project("etude")
        assert [
            (u.dataset, u.version, u.kind.value if u.kind else None) for u in etude.datasets
        ] == [
            ("patients", None, "pseudonymize"),
            ("release", None, "anonymize"),
            ("stays", None, "pseudonymize"),
        ]
        assert etude.approval is not None and etude.approval.allow_raw is False
        assert gov.store(ws).project("sly").approval.allow_raw is False  # type: ignore[union-attr]
        assert gov.store(ws).project("draft").approval is None
    assert stored(old_catalog, "etude")["approval"]["allow_raw"] is False
    with Workspace.open(old_catalog, Actor("bob", Role.ANALYST)) as bob:
        served, v = gov.read_served(bob, "etude", "patients")
        assert v.ref == "patients@2" and not {"P1", "P2"} & set(
            served.column("id_patient").to_pylist()
        )
        for project in ("etude", "sly"):
            with pytest.raises(AccessDenied, match="patients@1 \\(import\\) is outside project"):
                gov.read_for_project(bob, project, "patients@1")
