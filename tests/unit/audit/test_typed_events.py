"""Audit events hold only their declared fields, typed from a closed set: a bug that would put a
row value (free text) into an event fails when the event is built, before the log sees it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bulle.audit import events as ev
from bulle.domain.actor import Actor

ALICE = Actor("alice", "custodian")


def test_every_kind_declares_its_fields_from_the_closed_set():
    from bulle.audit import fields as f

    assert len(ev.EVENT_KINDS) >= 26
    for kind, cls in ev.EVENT_KINDS.items():
        assert cls.FIELDS, f"{kind} declares no detail field"
        for name, t in cls.FIELDS.items():
            assert isinstance(t, f.FieldType), (kind, name)


def test_an_undeclared_field_is_refused():
    with pytest.raises(TypeError, match="undeclared field 'value'"):
        ev.DatasetRead(actor=ALICE, target="patients@1", details={"rows": 3, "value": "Dupont"})


def test_a_string_in_a_count_is_refused():
    with pytest.raises(TypeError, match="field 'rows'"):
        ev.DatasetRead(actor=ALICE, target="patients@1", details={"rows": "Jean Dupont"})


@pytest.mark.parametrize(
    "kind, details",
    [
        (ev.DatasetImported, {"content_hash": "Jean Dupont, né le 12/03/1961"}),
        (ev.SubjectErased, {"rewritten": ["1 61 03 75 123 456 78"]}),
        (ev.ConsentChanged, {"subject": "jean.dupont@example.fr"}),
        (ev.ProjectChanged, {"valid_from": "Jean Dupont"}),
        (ev.RolesConfirmed, {"roles": {"nom": "Dupont"}}),  # a role is one of the declared roles
        (ev.DatasetAnonymized, {"models": [{"model": "k-anonymity", "k": {"cell": "Dupont"}}]}),
        (ev.DatasetRead, {"columns": [{"nom": "Dupont"}]}),
        (ev.WorkspaceExported, {"include_keys": "yes"}),
        (ev.DatasetRead, {"rows": True}),
    ],
)
def test_values_that_do_not_fit_their_declared_type_are_refused(kind, details):
    with pytest.raises(TypeError):
        kind(actor=ALICE, target="x", details=details)


@given(st.text())
def test_only_a_hex_digest_fits_a_hash_field(text):
    import re

    if re.fullmatch(r"(sha256:)?[0-9a-f]{8,128}", text):
        assert (
            ev.DatasetImported(actor=ALICE, details={"content_hash": text}).details["content_hash"]
            == text
        )
    else:
        with pytest.raises(TypeError):
            ev.DatasetImported(actor=ALICE, details={"content_hash": text})


def test_declared_fields_serialize_as_before():
    e = ev.DatasetAnonymized(
        actor=ALICE,
        target="patients@4",
        at="2026-01-01T00:00:00+00:00",
        details={
            "source": "patients@3",
            "models": [{"model": "k-anonymity", "k": 5}],
            "transformation": {"age": 1, "zip": 2},
            "information_loss": 0.25,
            "suppressed_records": 2,
            "dropped": ["nom"],
            "kept": ["diagnostic"],
            "personal_data": False,
            "content_hash": "sha256:" + "ab" * 32,
        },
    )
    assert e.to_dict() == {
        "kind": "dataset.anonymize",
        "at": "2026-01-01T00:00:00+00:00",
        "actor": {"name": "alice", "role": "custodian"},
        "target": "patients@4",
        "details": e.details,
    }
    project = {
        "name": "cohort",
        "description": "Cohorte 2026",
        "purpose": "research",
        "datasets": [{"dataset": "patients", "columns": ["age"], "version": 2, "kind": None}],
        "members": [{"name": "bob", "role": "analyst"}],
        "valid_from": "2026-01-01T00:00:00+00:00",
        "valid_until": "2027-01-01T00:00:00+00:00",
        "approval": None,
    }
    assert ev.ProjectChanged(actor=ALICE, details=project).details == project


def test_a_target_is_a_name():
    with pytest.raises(TypeError, match="target"):
        ev.DatasetRead(actor=ALICE, target=42, details={})  # type: ignore[arg-type]
