"""The Python API calls the services with plain arguments; the audit log's readers are checked."""

from __future__ import annotations

import pytest

import bulle.api as api
from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied
from bulle.services import audit
from bulle.workspace import Workspace


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("api")
    csv = tmp / "p.csv"
    csv.write_text(
        "id,age,ville\n"
        + "".join(f"{i},{20 + i % 3},{'Lyon' if i % 2 else 'Paris'}\n" for i in range(40))
    )
    with api.init_workspace(
        tmp / "ws", user="alice", custodian_passphrase=b"a long passphrase!"
    ) as ws:
        ws.import_table(csv, "p")
        ws.set_roles(
            "p",
            {"id": "subject_id", "age": "quasi_identifier", "ville": "quasi_identifier"},
            confirm_all=True,
        )
    return tmp


def test_anonymize_takes_plain_arguments(root):
    with api.open_workspace(root / "ws", user="alice") as ws:
        out = ws.anonymize(
            "p",
            hierarchies={"age": api.HierarchyRecipe("flat"), "ville": api.HierarchyRecipe("flat")},
            k=5,
        )
    assert out["anonymous"] is True
    assert out["transformation"] == {"age": 0, "ville": 0}  # 6 classes of 6 or 7 people: kept as is
    assert out["dropped"] == ["id"]


def test_anonymize_takes_its_risk_threshold_from_the_workspace_setting(root):
    recipes = {"age": api.HierarchyRecipe("flat"), "ville": api.HierarchyRecipe("flat")}
    with api.open_workspace(root / "ws", user="alice") as ws:
        ws.set_setting("anonymize.risk_threshold", "0.05")
        try:
            by_setting = ws.anonymize("p", hierarchies=recipes, k=5)
            given = ws.anonymize("p", hierarchies=recipes, k=5, threshold=0.3)
        finally:
            ws.set_setting("anonymize.risk_threshold", "0.2")
    assert by_setting["version"]["operation"]["threshold"] == 0.05
    assert given["version"]["operation"]["threshold"] == 0.3


def test_anonymize_reads_models_by_their_registered_option(root):
    from bulle.errors import InputError

    recipes = {"age": api.HierarchyRecipe("flat"), "ville": api.HierarchyRecipe("flat")}
    with api.open_workspace(root / "ws", user="alice") as ws:
        with pytest.raises(InputError) as err:
            ws.anonymize("p", hierarchies=recipes, k_anonymity=5)  # not an option's name
        assert "no privacy model is given with 'k_anonymity'" in err.value.message
        assert err.value.where.field == "k_anonymity"


def test_anonymize_reports_every_bad_option_at_once(root):
    from bulle.errors import ValidationError

    with api.open_workspace(root / "ws", user="alice") as ws, pytest.raises(ValidationError) as err:
        ws.anonymize(
            "p",
            hierarchies={"age": "/nonexistent.csv"},
            l_diversity=["distinct:x"],
            delta_presence="1",
            weights={"age": 1.0},
        )
    fields = sorted(p.where.field for p in err.value.problems)
    assert fields == ["--delta-presence", "--l-diversity"]


@pytest.mark.parametrize("role", [Role.ANALYST, Role.SUBJECT, Role.SYSTEM])
def test_the_log_is_not_for_every_reader(root, role):
    with Workspace.open(root / "ws", Actor("bob", role)) as ws:
        for call in (audit.read_workspace_log, audit.verify_workspace_log):
            with pytest.raises(AccessDenied) as err:
                call(ws)
            assert [p.where.field for p in err.value.problems] == ["role"]
    with (
        api.open_workspace(root / "ws", user="bob", role=role) as handle,
        pytest.raises(AccessDenied),
    ):
        handle.verify_audit_log()


@pytest.mark.parametrize("role", [Role.DPO, Role.CUSTODIAN])
def test_the_dpo_and_custodians_read_and_verify_it(root, role):
    with Workspace.open(root / "ws", Actor("dora", role)) as ws:
        entries = audit.read_workspace_log(ws, limit=0)
        assert entries.count == len(entries.entries) > 0
        assert audit.verify_workspace_log(ws).ok
