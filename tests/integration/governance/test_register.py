"""The registers: the record of processing activities (GDPR art. 30) with its details, and the
public register of approved projects."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied, NotFoundError, ValidationError
from bulle.services import governance as gov
from bulle.services.audit import read_workspace_log
from bulle.services.register import (
    processing_register,
    public_register,
    register_details,
    set_register_details,
)
from bulle.services.vault import import_table, set_roles
from bulle.workspace import Workspace

NOW = dt.datetime.now(dt.UTC)
CSV = "patient_id,age,diagnosis\n" + "".join(f"P{i:03d},{30 + i % 40},E11\n" for i in range(30))


@pytest.fixture
def ws(tmp_path):
    data = tmp_path / "patients.csv"
    data.write_text(CSV)
    w = Workspace.init(tmp_path / "ws", Actor("alice", Role.CUSTODIAN))
    import_table(w, data, "patients")
    set_roles(
        w,
        "patients",
        {"patient_id": "subject_id", "diagnosis": "special_category"},
        confirm_all=True,
    )
    gov.declare_purpose(
        w, "care", "Soins", "public_task", special_categories=True, art9_condition="health_care"
    )
    gov.set_dataset_purpose(w, "patients", "care")
    for name in ("approved", "draft"):
        gov.create_project(
            w, name, "care", {"patients@1": ["age", "diagnosis"]}, [("bob", "analyst")],
            NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=30), "Étude",
        )  # fmt: skip
    gov.approve_project(w, "approved", allow_raw=True, row_access="none")
    yield w
    w.close()


def as_(ws, name: str, role: Role) -> Workspace:
    return Workspace.open(ws.root, Actor(name, role))


def test_details_fill_the_record_of_processing_activities(ws):
    set_register_details(ws, "purpose", "care", {"retention": "20 ans", "people": "patients"})
    set_register_details(ws, "dataset", "patients", {"source": "dossier patient informatisé"})
    set_register_details(ws, "project", "approved", {"recipients": "équipe de recherche"})
    record = processing_register(ws).to_dict()
    [care] = record["activities"]
    assert care["retention"] == "20 ans" and care["people"] == "patients"
    assert care["sources"] == ["patients: dossier patient informatisé"]
    assert "équipe de recherche" in care["recipients"]
    assert "analyst of project approved" in care["recipients"]
    assert care["data_categories"] == [
        "identifiers of people (pseudonymized where the lineage says so)",
        "indirectly identifying data",
        "special categories of data (GDPR art. 9)",
    ]
    set_register_details(ws, "purpose", "care", {"retention": ""})  # empty: removed
    assert "retention" not in register_details(ws, "purpose")["care"]
    logged = read_workspace_log(ws, limit=0, kind="register.details").entries
    assert [e["event"]["target"] for e in logged] == [
        "purpose:care", "dataset:patients", "project:approved", "purpose:care"
    ]  # fmt: skip


def test_every_problem_of_a_details_form_is_named_at_once(ws):
    with pytest.raises(ValidationError) as caught:
        set_register_details(ws, "purpose", "care", {"colour": "x", "retention": "y" * 5000})
    fields = {p.where.field for p in caught.value.problems}
    assert fields == {"colour", "retention"}
    with pytest.raises(NotFoundError):
        set_register_details(ws, "project", "nowhere", {"outcomes": "x"})


def test_only_the_custodian_fills_the_register_and_the_dpo_reads_it(ws):
    with as_(ws, "bob", Role.ANALYST) as analyst:
        with pytest.raises(AccessDenied):
            set_register_details(analyst, "purpose", "care", {"retention": "1 an"})
        with pytest.raises(AccessDenied):
            processing_register(analyst)
    with as_(ws, "dora", Role.DPO) as dpo:
        with pytest.raises(AccessDenied):
            set_register_details(dpo, "purpose", "care", {"retention": "1 an"})
        assert processing_register(dpo).activities[0].purpose == "care"


def test_the_public_register_lists_approved_projects_only_without_people(ws):
    set_register_details(ws, "project", "approved", {"outcomes": "rapport publié en 2027"})
    entries = public_register(ws)
    assert [e.name for e in entries] == ["approved"]
    shown = json.dumps([e.to_dict() for e in entries], ensure_ascii=False)
    assert "rapport publié en 2027" in shown
    assert "bob" not in shown and "alice" not in shown and "P00" not in shown
