from __future__ import annotations

import datetime as dt

import pytest

from bulle.domain.actor import Actor, Role
from bulle.services import governance as gov
from bulle.services.vault import import_table
from bulle.workspace import Workspace

NOW = dt.datetime.now(dt.UTC)
PATIENTS = "id_patient,nom,diagnostic,age\n" + "".join(
    f"P{i},Nom{i},{'E11' if i % 2 else 'I10'},{30 + i}\n" for i in range(1, 7)
)


@pytest.fixture
def world(tmp_path):
    """A workspace with patients P1..P6 collected for care, a consent-based research purpose
    compatible with care, consents from P1..P4, and an approved project for analyst bob."""
    root = tmp_path / "ws"
    custodian = Workspace.init(root, Actor("alice", Role.CUSTODIAN))
    src = tmp_path / "patients.csv"
    src.write_text(PATIENTS)
    import_table(custodian, src, "patients")
    gov.declare_purpose(
        custodian,
        "care",
        "Soins",
        "public_task",
        special_categories=True,
        art9_condition="health_care",
        compatible_with=["research"],
    )
    gov.declare_purpose(
        custodian,
        "research",
        "Recherche",
        "consent",
        special_categories=True,
        art9_condition="explicit_consent",
    )
    gov.declare_purpose(custodian, "marketing", "Prospection", "consent")
    gov.set_dataset_purpose(custodian, "patients", "care")
    from bulle.domain.consents import Consent

    gov.record_choices(
        custodian,
        [
            Consent(f"P{i}", "research", "given", NOW - dt.timedelta(days=3), "form")
            for i in range(1, 5)
        ],
    )
    gov.create_project(
        custodian,
        "diabete",
        "research",
        {"patients@1": ["id_patient", "diagnostic", "age"]},
        [("bob", "analyst")],
        NOW - dt.timedelta(days=10),
        NOW + dt.timedelta(days=30),
    )
    gov.approve_project(custodian, "diabete", allow_raw=True)  # these specs read the raw import
    analyst = Workspace.open(root, Actor("bob", Role.ANALYST))
    yield {"root": root, "custodian": custodian, "analyst": analyst, "tmp": tmp_path}
    analyst.close()
    custodian.close()
