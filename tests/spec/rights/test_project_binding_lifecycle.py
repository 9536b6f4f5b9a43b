"""Bindings over a workspace's life: approval of raw data, key rotation, erasure, withheld versions."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from bulle.domain.actor import Actor, Role
from bulle.domain.datasets import VersionKind
from bulle.errors import AccessDenied, InputError, ValidationError, WithheldError
from bulle.services import governance as gov
from bulle.services import subject_rights as sr
from bulle.services.erasure import withhold
from bulle.services.pseudonymization import pseudonymize, rotate_key
from bulle.services.vault import import_table, set_roles
from bulle.workspace import Workspace

NOW = dt.datetime.now(dt.UTC)
ROWS = "id_patient,nom,diagnostic,age\n" + "".join(
    f"P{i},Nom{i},{'E11' if i % 2 else 'I10'},{30 + i}\n" for i in range(1, 7)
)
RAW_IDS = {f"P{i}" for i in range(1, 7)}
COLUMNS = ["id_patient", "diagnostic", "age"]


@pytest.fixture
def ws(tmp_path):
    root = tmp_path / "ws"
    alice = Workspace.init(root, Actor("alice", Role.CUSTODIAN))
    src = tmp_path / "patients.csv"
    src.write_text(ROWS)
    import_table(alice, src, "patients")
    set_roles(alice, "patients@1", confirm_all=True)
    pseudonymize(alice, "patients@1")
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
    bob = Workspace.open(root, Actor("bob", Role.ANALYST))
    yield {"root": root, "alice": alice, "bob": bob}
    bob.close()
    alice.close()


def create(ws, name: str, datasets: dict, kind=None):
    return gov.create_project(
        ws["alice"],
        name,
        "research",
        datasets,
        [("bob", "analyst")],
        NOW - dt.timedelta(days=1),
        NOW + dt.timedelta(days=30),
        kind=kind,
    )


def served(ws, project: str, ref: str = "patients") -> str:
    return gov.read_served(ws["bob"], project, ref)[1].ref


def last_event(ws, kind: str) -> dict:
    return [e.event for e in ws["alice"].audit_log.read() if e.event["kind"] == kind][-1]


def test_every_dataset_is_bound_to_a_version_or_a_kind(ws):
    with pytest.raises(
        ValidationError, match=r"bind 'patients' to a version \(patients@N\) or to a kind"
    ):
        create(ws, "loose", {"patients": COLUMNS})
    with pytest.raises(
        ValidationError, match="'synthetic' is not one of: import, pseudonymize, anonymize"
    ):
        create(ws, "typo", {"patients": COLUMNS}, kind="synthetic")
    with pytest.raises(ValidationError, match="not both"):
        create(ws, "both", {"patients@2": COLUMNS}, kind={"patients": "pseudonymize"})
    with pytest.raises(InputError, match="does not read: stays"):
        create(
            ws,
            "stray",
            {"patients": COLUMNS},
            kind={"patients": "pseudonymize", "stays": "anonymize"},
        )
    with pytest.raises(Exception, match="has no version 9"):
        create(ws, "absent", {"patients@9": COLUMNS})


def test_raw_data_needs_allow_raw_in_the_approval_and_its_event(ws):
    create(ws, "brut", {"patients@1": COLUMNS})
    with pytest.raises(InputError, match=r"bound to raw data \(patients@1\).*--allow-raw"):
        gov.approve_project(ws["alice"], "brut")
    with pytest.raises(AccessDenied, match="has not been approved"):
        gov.read_for_project(ws["bob"], "brut", "patients@1")
    approved = gov.approve_project(ws["alice"], "brut", allow_raw=True)
    assert approved.approval is not None and approved.approval.allow_raw
    event = last_event(ws, "project.approve")
    assert event["details"]["allow_raw"] is True and event["details"]["datasets"] == ["patients@1"]
    assert (
        set(gov.read_for_project(ws["bob"], "brut", "patients@1").column("id_patient").to_pylist())
        == RAW_IDS
    )
    create(ws, "imports", {"patients": COLUMNS}, kind="import")
    with pytest.raises(InputError, match="--allow-raw"):
        gov.approve_project(ws["alice"], "imports")
    create(ws, "pseudo", {"patients": COLUMNS}, kind="pseudonymize")
    gov.approve_project(ws["alice"], "pseudo")
    assert last_event(ws, "project.approve")["details"]["allow_raw"] is False


def test_key_rotation_moves_a_kind_binding_to_the_new_version_but_not_a_pinned_one(ws):
    create(ws, "latest", {"patients": COLUMNS}, kind="pseudonymize")
    create(ws, "pinned", {"patients@2": COLUMNS})
    for name in ("latest", "pinned"):
        gov.approve_project(ws["alice"], name)
    assert served(ws, "latest") == served(ws, "pinned") == "patients@2"
    rotate_key(ws["alice"])  # patients@3: pseudonymized again under the new key
    assert served(ws, "latest") == "patients@3" and served(ws, "pinned") == "patients@2"
    with pytest.raises(
        AccessDenied,
        match=r"patients@2 \(pseudonymize\) is outside project 'latest', which is bound "
        r"to the latest pseudonymize version of patients \(patients@3\)",
    ):
        gov.read_for_project(ws["bob"], "latest", "patients@2")
    new = set(
        gov.read_for_project(ws["bob"], "latest", "patients").column("id_patient").to_pylist()
    )
    queried = gov.query_for_project(ws["bob"], "latest", "SELECT id_patient FROM patients")
    assert set(queried.column("id_patient").to_pylist()) == new and not new & RAW_IDS
    assert last_event(ws, "dataset.read")["details"]["versions"] == ["patients@3"]


def test_after_an_erasure_the_recomputed_version_is_served_and_a_withheld_one_is_not_replaced(ws):
    create(ws, "latest", {"patients": COLUMNS}, kind="pseudonymize")
    gov.approve_project(ws["alice"], "latest")
    before = gov.read_for_project(ws["bob"], "latest", "patients").num_rows
    erased = sr.erase_subject(ws["alice"], "P3")
    assert [r["ref"] for r in erased.recomputed] == [
        "patients@2"
    ]  # rewritten in place: same number
    assert served(ws, "latest") == "patients@2"
    assert gov.read_for_project(ws["bob"], "latest", "patients").num_rows == before - 1
    set_roles(ws["alice"], "patients@1", confirm_all=True)
    pseudonymize(
        ws["alice"], "patients@1"
    )  # patients@3, then withheld as if it could not be recomputed
    withhold(ws["alice"], ws["alice"].catalog.resolve("patients@3"), erased.receipt_id)
    with pytest.raises(WithheldError, match="patients@3 is withheld"):
        gov.read_for_project(ws["bob"], "latest", "patients")
    with pytest.raises(
        AccessDenied,
        match=r"patients@2 \(pseudonymize\) is outside project 'latest'.*\(patients@3\)",
    ):
        gov.read_for_project(ws["bob"], "latest", "patients@2")
    with pytest.raises(WithheldError):
        gov.query_for_project(ws["bob"], "latest", "SELECT count(*) FROM patients")


def test_text_de_identification_alone_does_not_make_raw_data_pseudonymous(ws, tmp_path):
    """Text de-identification rewrites notes only: over the raw import, subject ids stay raw."""
    alice = ws["alice"]
    raw = alice.catalog.resolve("patients@1")
    tmp = tmp_path / "text.parquet"
    shutil.copyfile(alice.path_of(raw), tmp)
    text = alice.commit_version(
        tmp,
        dataset="patients",
        kind=VersionKind.TEXT,
        parents=[raw.ref],
        operation={"name": "text", "columns": ["nom"]},
        row_count=raw.row_count,
        schema=raw.schema,
        roles=alice.catalog.roles("patients", 1),
    )
    assert gov.is_raw(alice, text) and not gov.is_raw(alice, alice.catalog.resolve("patients@2"))
    pseudo = alice.catalog.resolve("patients@2")
    tmp.write_bytes(alice.path_of(pseudo).read_bytes())
    joined = alice.commit_version(
        tmp,
        dataset="patients",
        kind=VersionKind.DERIVED,
        parents=[pseudo.ref, raw.ref],
        operation={"name": "join"},
        row_count=pseudo.row_count,
        schema=pseudo.schema,
    )
    assert gov.is_raw(alice, joined)  # one raw parent is enough
    create(ws, "notes", {"patients": COLUMNS}, kind="text")
    with pytest.raises(InputError, match="patients@3 is raw"):
        gov.approve_project(alice, "notes")
