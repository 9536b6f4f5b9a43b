"""A withdrawal for a model's purpose forgets the person at once (default), or stops the model
from being served until ``model forget`` retrains it (``model.forget_on_withdrawal`` = 0)."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.integration.models.world import NOW

from bulle.domain.actor import Actor, Role
from bulle.domain.consents import Consent
from bulle.errors import AccessDenied, WithheldError
from bulle.services import forgetting, model_training, models
from bulle.services import governance as gov
from bulle.services.model_data import keys_of
from bulle.services.settings import set_setting
from bulle.workspace import Workspace


def withdraw(ws, *ids):
    return gov.record_choices(
        ws, [Consent(i, "research", "withdrawn", NOW - dt.timedelta(hours=1), "form") for i in ids]
    )


def in_manifest(ws, subject_id: str) -> bool:
    st = models.mstore(ws)
    v = st.version("people-outcome")
    return keys_of(ws, [subject_id])[subject_id] in st.manifest("people-outcome", v["version"])


def test_withdrawal_forgets_at_once_by_default(world):
    model_training.train(world, "study", "people", "outcome", shards=4)
    assert in_manifest(world, "P11")
    recorded = withdraw(world, "P11")
    assert len(recorded.forget_receipts) == 1
    assert not in_manifest(world, "P11")
    body = forgetting.receipt(world, recorded.forget_receipts[0])["body"]
    assert body["by"]["role"] == "system" and body["cause"] == "choice:research"
    assert len(models.predict(world, "people-outcome").predictions) > 0


def test_a_model_whose_purpose_lost_a_basis_is_not_served_until_forgotten(world):
    model_training.train(world, "study", "people", "outcome", shards=4)
    set_setting(world, "model.forget_on_withdrawal", "0")
    root = world.root
    world.close()
    ws = Workspace.open(root, Actor("alice", Role.CUSTODIAN))
    try:
        assert withdraw(ws, "P12", "P13").forget_receipts == ()
        with pytest.raises(WithheldError, match="2 person"):
            models.predict(ws, "people-outcome")
        [done] = forgetting.forget(ws, ["P12"], "people-outcome")
        assert done.lost_basis == 1  # P13 went with the batch: nobody without a basis stays
        assert not in_manifest(ws, "P13")
        assert len(models.predict(ws, "people-outcome").predictions) > 0
    finally:
        ws.close()


def test_the_analyst_of_the_project_trains_and_predicts_others_do_not(world):
    analyst = Workspace.open(world.root, Actor("bob", Role.ANALYST))
    stranger = Workspace.open(world.root, Actor("eve", Role.ANALYST))
    try:
        r = model_training.train(analyst, "study", "people", "outcome", shards=2)
        assert r.model == "people-outcome@1"
        assert models.predict(analyst, "people-outcome").rows > 0
        with pytest.raises(AccessDenied):
            models.predict(stranger, "people-outcome")
        with pytest.raises(AccessDenied):
            forgetting.forget(analyst, ["P1"], "people-outcome")
    finally:
        analyst.close()
        stranger.close()


def test_people_without_consent_are_never_in_the_model(tmp_path):
    from tests.integration.models.world import make_world, people_csv

    ws = make_world(tmp_path / "ws", people_csv(60), 60, consent=False)
    try:
        gov.record_choices(
            ws,
            [
                Consent(f"P{i}", "research", "given", NOW - dt.timedelta(days=1), "f")
                for i in range(30)
            ],
        )
        r = model_training.train(ws, "study", "people", "outcome", shards=2)
        st = models.mstore(ws)
        manifest = st.manifest("people-outcome", 1)
        keys = keys_of(ws, [f"P{i}" for i in range(60)])
        assert {keys[f"P{i}"] for i in range(30)} == set(manifest)
        assert r.subjects + r.held_out == 30
    finally:
        ws.close()


def test_the_access_report_says_which_models_were_trained_on_the_person(world):
    from bulle.services.subject_rights import access_report

    assert access_report(world, "P30").models == []
    model_training.train(world, "study", "people", "outcome", shards=2)
    [held] = access_report(world, "P30").models
    assert held["model"] == "people-outcome@1" and held["status"] == "active"
    forgetting.forget(world, ["P30"], "people-outcome")
    assert access_report(world, "P30").models == []
