"""Reads for a project: minimization, consent at read time, purpose compatibility, validity."""

from __future__ import annotations

import datetime as dt

import pytest

from bulle.domain.consents import Consent, Objection
from bulle.errors import AccessDenied
from bulle.services import governance as gov

NOW = dt.datetime.now(dt.UTC)


def ids(table):
    return sorted(table.column("id_patient").to_pylist())


def test_analyst_sees_declared_columns_and_consenting_people_only(world):
    t = gov.read_for_project(world["analyst"], "diabete", "patients")
    assert t.column_names == ["id_patient", "diagnostic", "age"]
    assert ids(t) == ["P1", "P2", "P3", "P4"]


def test_consent_withdrawn_between_two_reads(world):
    first = gov.read_for_project(world["analyst"], "diabete", "patients")
    between = dt.datetime.now(dt.UTC)
    gov.record_choices(
        world["custodian"],
        [Consent("P2", "research", "withdrawn", dt.datetime.now(dt.UTC), "mail")],
    )
    second = gov.read_for_project(world["analyst"], "diabete", "patients")
    assert "P2" in ids(first) and "P2" not in ids(second)
    # a read dated before the withdrawal still sees P2: the fold is "at read time"
    earlier = gov.read_for_project(world["analyst"], "diabete", "patients", at=between)
    assert "P2" in ids(earlier)


def test_consent_given_later_takes_effect_on_next_read(world):
    gov.record_choices(
        world["custodian"], [Consent("P6", "research", "given", dt.datetime.now(dt.UTC), "form")]
    )
    assert "P6" in ids(gov.read_for_project(world["analyst"], "diabete", "patients"))


def test_undeclared_column_refused_with_reason(world):
    with pytest.raises(AccessDenied, match="did not declare column"):
        gov.read_for_project(world["analyst"], "diabete", "patients", ["nom"])


def test_incompatible_purpose_refused(world):
    c = world["custodian"]
    now = dt.datetime.now(dt.UTC)
    gov.create_project(
        c,
        "pub",
        "marketing",
        {"patients@1": ["age"]},
        [("bob", "analyst")],
        now - dt.timedelta(days=1),
        now + dt.timedelta(days=1),
    )
    gov.approve_project(c, "pub", allow_raw=True)
    with pytest.raises(AccessDenied, match="does not declare 'marketing' compatible"):
        gov.read_for_project(world["analyst"], "pub", "patients")


def test_expired_and_unapproved_projects_refused(world):
    c = world["custodian"]
    now = dt.datetime.now(dt.UTC)
    gov.create_project(
        c,
        "court",
        "research",
        {"patients@1": ["age"]},
        [("bob", "analyst")],
        now - dt.timedelta(days=1),
        now + dt.timedelta(seconds=30),
    )
    with pytest.raises(AccessDenied, match="has not been approved"):
        gov.read_for_project(world["analyst"], "court", "patients")
    gov.approve_project(c, "court", allow_raw=True)
    assert gov.read_for_project(world["analyst"], "court", "patients").num_rows == 4
    with pytest.raises(AccessDenied, match="expired"):
        gov.read_for_project(
            world["analyst"], "court", "patients", at=now + dt.timedelta(minutes=1)
        )


def test_non_member_and_dpo_refused(world):
    from bulle.domain.actor import Actor, Role
    from bulle.workspace import Workspace

    with Workspace.open(world["root"], Actor("eve", Role.ANALYST)) as eve:
        with pytest.raises(AccessDenied, match="not a member"):
            gov.read_for_project(eve, "diabete", "patients")
    with Workspace.open(world["root"], Actor("dora", Role.DPO)) as dpo:
        with pytest.raises(AccessDenied, match="does not read data"):
            gov.read_for_project(dpo, "diabete", "patients")


def test_refusals_and_reads_are_audited_without_row_values(world):
    with pytest.raises(AccessDenied):
        gov.read_for_project(world["analyst"], "diabete", "patients", ["nom"])
    gov.read_for_project(world["analyst"], "diabete", "patients")
    entries = list(world["custodian"].audit_log.read())
    reads = [e.event for e in entries if e.event["kind"] == "dataset.read"]
    assert [r["details"]["allowed"] for r in reads[-2:]] == [False, True]
    text = (world["root"] / "audit" / "log.jsonl").read_text()
    assert "Nom1" not in text and '"P1"' not in text


def test_objection_under_public_task(world):
    c = world["custodian"]
    now = dt.datetime.now(dt.UTC)
    gov.create_project(
        c,
        "suivi",
        "care",
        {"patients@1": ["id_patient", "age"]},
        [("bob", "analyst")],
        now - dt.timedelta(days=1),
        now + dt.timedelta(days=1),
    )
    gov.approve_project(c, "suivi", allow_raw=True)
    assert (
        len(ids(gov.read_for_project(world["analyst"], "suivi", "patients"))) == 6
    )  # no consent needed
    gov.record_choices(c, [Objection("P5", "care", dt.datetime.now(dt.UTC), "letter")])
    assert "P5" not in ids(gov.read_for_project(world["analyst"], "suivi", "patients"))


def test_pseudonymized_version_filtered_on_tokens(world):
    from bulle.services.pseudonymization import pseudonymize
    from bulle.services.vault import set_roles

    c = world["custodian"]
    set_roles(c, "patients", confirm_all=True)
    out = pseudonymize(c, "patients")
    gov.create_project(
        c,
        "diabete-p",
        "research",
        {"patients": ["id_patient", "diagnostic", "age"]},
        [("bob", "analyst")],
        NOW - dt.timedelta(days=10),
        NOW + dt.timedelta(days=30),
        kind="pseudonymize",
    )
    gov.approve_project(c, "diabete-p")
    t = gov.read_for_project(world["analyst"], "diabete-p", out.ref)
    assert t.num_rows == 4
    assert all(v.startswith("bp1_") for v in t.column("id_patient").to_pylist())
