"""A project's binding and its approval's raw-data flag survive export and import-workspace."""

from __future__ import annotations

import datetime as dt

import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied
from bulle.services import governance as gov
from bulle.services.exchange import export_workspace, import_workspace
from bulle.services.pseudonymization import pseudonymize
from bulle.services.vault import import_table, set_roles
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)
BOB = Actor("bob", Role.ANALYST)
NOW = dt.datetime.now(dt.UTC)
ROWS = "id_patient,nom,age\n" + "".join(f"P{i},Nom{i},{30 + i}\n" for i in range(1, 5))


def test_bindings_and_allow_raw_round_trip(tmp_path):
    root = tmp_path / "ws"
    src = tmp_path / "patients.csv"
    src.write_text(ROWS)
    with Workspace.init(root, ALICE) as ws:
        import_table(ws, src, "patients")
        set_roles(ws, "patients@1", confirm_all=True)
        pseudonymize(ws, "patients@1")
        gov.declare_purpose(ws, "care", "Soins", "public_task", compatible_with=["research"])
        gov.declare_purpose(ws, "research", "Recherche", "public_task")
        gov.set_dataset_purpose(ws, "patients", "care")
        for name, datasets, kind, raw in (
            ("latest", {"patients": ["id_patient", "age"]}, "pseudonymize", False),
            ("brut", {"patients@1": ["age"]}, None, True),
        ):
            gov.create_project(
                ws,
                name,
                "research",
                datasets,
                [("bob", "analyst")],
                NOW - dt.timedelta(days=1),
                NOW + dt.timedelta(days=30),
                kind=kind,
            )
            gov.approve_project(ws, name, allow_raw=raw)
        before = [p.to_dict() for p in gov.store(ws).projects()]
        export_workspace(ws, tmp_path / "out", include_keys=True)
    import_workspace(tmp_path / "out", tmp_path / "new", ALICE)

    with Workspace.open(tmp_path / "new", ALICE) as ws:
        after = [p.to_dict() for p in gov.store(ws).projects()]
    assert after == before
    assert [
        (d["datasets"][0]["version"], d["datasets"][0]["kind"], d["approval"]["allow_raw"])
        for d in after
    ] == [(1, None, True), (None, "pseudonymize", False)]
    with Workspace.open(tmp_path / "new", BOB) as bob:
        assert gov.read_served(bob, "latest", "patients")[1].ref == "patients@2"
        with pytest.raises(
            AccessDenied, match="patients@1 \\(import\\) is outside project 'latest'"
        ):
            gov.read_for_project(bob, "latest", "patients@1")
        assert gov.read_for_project(bob, "brut", "patients@1").num_rows == 4
