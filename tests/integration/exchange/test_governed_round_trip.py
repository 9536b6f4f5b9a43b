"""The round trip of issue 5: adult, a French table, purposes, consents, a project, a read, an
erasure; identical content hashes and governance objects, an intact log with one more event."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bulle.audit.keys import workspace_key_ring
from bulle.domain.actor import Actor, Role
from bulle.domain.consents import Consent
from bulle.errors import WithheldError
from bulle.services import governance as gov
from bulle.services import subject_rights as sr
from bulle.services.erasure import withhold
from bulle.services.exchange import export_workspace, import_workspace
from bulle.services.pseudonymization import pseudonymize
from bulle.services.vault import import_table, read_table, set_roles
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)
BOB = Actor("bob", Role.ANALYST)
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def governed(tmp_path_factory, arx_data):
    patients = Path(__file__).resolve().parents[3] / "src" / "bulle" / "data" / "patients_fr.csv"
    root = tmp_path_factory.mktemp("gov") / "ws"
    with Workspace.init(root, ALICE) as ws:
        import_table(ws, arx_data / "adult.csv", "adult")
        set_roles(ws, "adult@1", confirm_all=True)
        import_table(ws, patients, "patients")
        set_roles(ws, "patients@1", confirm_all=True)
        pseudonymize(ws, "patients@1", reid_table=True)
        ids = [
            r["id_patient"]
            for r in read_table(ws, "patients@1", columns=["id_patient"], limit=12).to_pylist()
        ]
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
            [Consent(i, "research", "given", NOW - dt.timedelta(days=3), "form") for i in ids[:10]],
        )
        gov.record_choices(
            ws,
            [
                Consent(i, "research", "withdrawn", NOW - dt.timedelta(days=1), "letter")
                for i in ids[8:10]
            ],
        )
        gov.create_project(
            ws,
            "cohorte",
            "research",
            {"patients@1": ["id_patient", "diagnostic", "sexe"]},
            [("bob", "analyst")],
            NOW - dt.timedelta(days=10),
            NOW + dt.timedelta(days=30),
        )
        gov.approve_project(ws, "cohorte", allow_raw=True)
    with Workspace.open(root, BOB) as analyst:
        seen = gov.read_for_project(analyst, "cohorte", "patients@1")
    assert seen.num_rows == 8
    with Workspace.open(root, ALICE) as ws:
        erased = sr.erase_subject(ws, ids[0])
        assert [r["ref"] for r in erased.rewritten] == ["patients@1"]
        assert [r["ref"] for r in erased.recomputed] == ["patients@2"]
        # a derived version that could not be recomputed yet: withheld, its file gone
        pseudonymize(ws, "patients@1")
        withhold(ws, ws.catalog.resolve("patients@3"), erased.receipt_id)
    return {"root": root, "ids": ids}


def test_governed_workspace_round_trip(governed, tmp_path, helpers):
    root = governed["root"]
    with Workspace.open(root, ALICE) as ws:
        out = export_workspace(ws, tmp_path / "out")
    tables = out.catalog_tables
    for name in (
        "purposes",
        "subject_events",
        "projects",
        "dataset_purposes",
        "subject_index",
        "project_reads",
        "erasures",
    ):
        assert tables.get(name), f"governance table {name} not exported with its rows"
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [(w["dataset"], w["number"]) for w in manifest["data"]["withheld"]] == [("patients", 3)]
    assert not any(f["path"].startswith("data/patients/v3-") for f in manifest["files"])

    result = import_workspace(tmp_path / "out", tmp_path / "new", ALICE)
    new = tmp_path / "new"
    assert helpers.catalog_rows(new) == helpers.catalog_rows(root)
    assert helpers.file_hashes(new, "data", "artefacts") == helpers.file_hashes(
        root, "data", "artefacts"
    )
    with Workspace.open(root, ALICE) as a, Workspace.open(new, ALICE) as b:
        assert [v.to_dict() for v in b.catalog.versions()] == [
            v.to_dict() for v in a.catalog.versions()
        ]
        assert (
            b.catalog.resolve("patients@1").tombstones[0]["receipt_id"]
            == a.catalog.resolve("patients@1").tombstones[0]["receipt_id"]
        )
        with pytest.raises(WithheldError):
            read_table(b, "patients@3")
        report = b.audit_log.verify(workspace_key_ring(b.keys_dir))
        assert report.ok and report.entries == result.audit["carried_events"] + 1
        # the rules still apply the same way: the access report and a project read are unchanged
        subject = governed["ids"][5]
        ra, rb = sr.access_report(a, subject), sr.access_report(b, subject)
        same = ("subject", "reads", "choices")
        assert {k: rb.to_dict()[k] for k in same} == {k: ra.to_dict()[k] for k in same}
        assert [v["ref"] for v in rb.versions] == [v["ref"] for v in ra.versions]
        # exported without keys: the copy cannot compute the person's pseudonyms, and says so
        assert any("no longer in the key folder" in n["reason"] for n in rb.not_searched)
    with Workspace.open(root, BOB) as a, Workspace.open(new, BOB) as b:
        rows_a = gov.read_for_project(a, "cohorte", "patients@1").to_pylist()
        rows_b = gov.read_for_project(b, "cohorte", "patients@1").to_pylist()
    assert rows_b == rows_a and len(rows_a) == 7  # 10 consents, 2 withdrawn, 1 erased
