"""A project reads the versions it was approved for, never the raw import it was made from.

The project here is stored as the catalog holds it (the form ``project create`` writes and the
catalog migration gives older projects): bound to the latest pseudonymized version of
``patients``, approved without raw data. ``read`` and ``query`` must serve that version and
nothing else, whichever version is newest.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied
from bulle.services import governance as gov
from bulle.services.pseudonymization import pseudonymize
from bulle.services.vault import import_table, set_roles
from bulle.workspace import Workspace

NOW = dt.datetime.now(dt.UTC)
ROWS = "id_patient,nom,diagnostic,age\n" + "".join(
    f"P{i},Nom{i},{'E11' if i % 2 else 'I10'},{30 + i}\n" for i in range(1, 7)
)
RAW_IDS = {f"P{i}" for i in range(1, 7)}


def store_project(ws: Workspace, name: str, use: dict, *, allow_raw: bool = False) -> None:
    """Write an approved project into the catalog as its stored JSON document."""
    doc = {
        "name": name,
        "description": "",
        "purpose": "research",
        "datasets": [
            {"columns": ["id_patient", "diagnostic", "age"], "version": None, "kind": None, **use}
        ],
        "members": [{"name": "bob", "role": "analyst"}],
        "valid_from": (NOW - dt.timedelta(days=10)).isoformat(),
        "valid_until": (NOW + dt.timedelta(days=30)).isoformat(),
        "approval": {
            "by": {"name": "alice", "role": "custodian"},
            "at": (NOW - dt.timedelta(days=5)).isoformat(),
            "allow_raw": allow_raw,
        },
    }
    with ws.catalog.transaction():
        ws.catalog.con.execute(
            "INSERT INTO projects(name, doc_json, updated_at) VALUES(?, ?, ?)",
            (name, json.dumps(doc, sort_keys=True), NOW.isoformat()),
        )


@pytest.fixture
def bound(tmp_path):
    """patients@1 (raw import), patients@2 (pseudonymized), patients@3 (a newer raw import)."""
    root = tmp_path / "ws"
    alice = Workspace.init(root, Actor("alice", Role.CUSTODIAN))
    src = tmp_path / "patients.csv"
    src.write_text(ROWS)
    import_table(alice, src, "patients")
    set_roles(alice, "patients@1", confirm_all=True)
    pseudonymize(alice, "patients@1")
    import_table(alice, src, "patients")
    gov.declare_purpose(
        alice,
        "care",
        "Soins",
        "public_task",
        special_categories=True,
        art9_condition="health_care",
        compatible_with=["research"],
    )
    gov.declare_purpose(
        alice,
        "research",
        "Recherche",
        "public_task",
        special_categories=True,
        art9_condition="research_statistics",
    )
    gov.set_dataset_purpose(alice, "patients", "care")
    store_project(alice, "etude", {"dataset": "patients", "kind": "pseudonymize"})
    bob = Workspace.open(root, Actor("bob", Role.ANALYST))
    yield {"root": root, "alice": alice, "bob": bob}
    bob.close()
    alice.close()


def ids(table) -> set[str]:
    return set(table.column("id_patient").to_pylist())


def reads_in_log(ws: Workspace) -> list[dict]:
    return [e.event for e in ws.audit_log.read() if e.event["kind"] == "dataset.read"]


def test_the_raw_import_is_refused_while_the_pseudonymized_version_is_served(bound):
    served = gov.read_for_project(bound["bob"], "etude", "patients@2")
    assert served.num_rows == 6 and not ids(served) & RAW_IDS
    with pytest.raises(AccessDenied) as info:
        gov.read_for_project(bound["bob"], "etude", "patients@1")
    assert "'etude'" in info.value.message and "patients@1" in info.value.message
    assert {p.where.field for p in info.value.problems} == {"version", "raw"}
    refusal = reads_in_log(bound["alice"])[-1]
    assert refusal["target"] == "patients@1" and refusal["details"]["allowed"] is False
    assert refusal["details"]["project"] == "etude" and set(refusal["details"]["denials"]) == {
        "version",
        "raw",
    }


def test_reading_the_dataset_by_name_serves_the_bound_version_not_the_newest(bound):
    served = gov.read_for_project(
        bound["bob"], "etude", "patients"
    )  # patients@3 is a newer raw import
    assert not ids(served) & RAW_IDS
    assert reads_in_log(bound["alice"])[-1]["target"] == "patients@2"
    with pytest.raises(AccessDenied, match="patients@3"):
        gov.read_for_project(bound["bob"], "etude", "patients@3")


def test_query_reads_exactly_the_versions_read_serves(bound):
    served = gov.read_for_project(bound["bob"], "etude", "patients@2")
    queried = gov.query_for_project(bound["bob"], "etude", "SELECT id_patient, age FROM patients")
    assert sorted(queried.to_pylist(), key=str) == sorted(
        served.select(["id_patient", "age"]).to_pylist(), key=str
    )
    assert not ids(queried) & RAW_IDS
    assert reads_in_log(bound["alice"])[-1]["details"]["versions"] == ["patients@2"]


def test_a_pinned_version_is_served_and_no_other(bound):
    store_project(bound["alice"], "pinned", {"dataset": "patients", "version": 2})
    gov.read_for_project(bound["bob"], "pinned", "patients")
    assert reads_in_log(bound["alice"])[-1]["target"] == "patients@2"
    for other in ("patients@1", "patients@3"):
        with pytest.raises(
            AccessDenied, match=f"{other} is outside project 'pinned', which is bound to patients@2"
        ):
            gov.read_for_project(bound["bob"], "pinned", other)


def test_a_raw_binding_needs_an_approval_that_allows_raw_data(bound):
    store_project(bound["alice"], "raw-no", {"dataset": "patients", "version": 1})
    with pytest.raises(AccessDenied, match="does not allow raw data"):
        gov.read_for_project(bound["bob"], "raw-no", "patients@1")
    store_project(bound["alice"], "raw-yes", {"dataset": "patients", "version": 1}, allow_raw=True)
    assert ids(gov.read_for_project(bound["bob"], "raw-yes", "patients@1")) == RAW_IDS
