"""The dpo's answer to a data subject about models: was their data used, and how exposed their
records are by the membership audit (the audit's per-record scores, read back by reference)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from tests.integration.models.test_forget_exact import a_trained_person

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied
from bulle.services import forgetting, model_release, model_training
from bulle.services.model_data import keys_of
from bulle.services.model_subject import scores_file, subject_models

DPO = Actor("dora", Role.DPO)


def as_dpo(ws, fn):
    actor, ws.actor = ws.actor, DPO
    try:
        return fn()
    finally:
        ws.actor = actor


def test_the_dpo_sees_use_and_the_audit_scores_of_a_person(world):
    model_training.train(world, "study", "people", "outcome", shards=3)
    model_release.audit(world, "people-outcome", shadows=4)
    i = a_trained_person(world, 3, random.Random(3))
    report = as_dpo(world, lambda: subject_models(world, f"P{i}"))
    [m] = report["models"]
    assert m["model"] == "people-outcome@1" and m["used"] and not m["held_out"]
    records = m["audit"]["records"]
    assert len(records) == (2 if i % 5 == 0 else 1)  # every fifth person has two rows
    # the scores are the audit's own, read back by the person's keyed reference
    with np.load(scores_file(world, "people-outcome", 1)) as z:
        mine = z["scores"][z["keys"] == keys_of(world, [f"P{i}"])[f"P{i}"]]
        outside = z["scores"][~z["members"]]
    assert sorted(r["score"] for r in records) == sorted(mine.tolist())
    for r in records:
        assert r["below_non_members"] == pytest.approx(np.mean(outside < r["score"]))
        assert r["flag_fpr"] == pytest.approx(np.mean(outside >= r["score"]))
        assert 0 <= r["below_members"] <= 1 and 0 < r["p_value"] < 1
    assert "flag_fpr" in report["how_to_read"]

    nobody = as_dpo(world, lambda: subject_models(world, "P-never-seen"))
    assert not nobody["models"][0]["used"] and nobody["models"][0]["audit"]["records"] == []
    events = [e.event for e in world.audit_log.read() if e.event["kind"] == "model.subject"]
    assert len(events) == 2 and events[0]["details"] == {"models": 1, "used": 1, "scored": 1}
    assert events[0]["target"] == report["subject"] != f"P{i}"  # a subject reference only


def test_after_a_forget_the_person_is_not_used_and_old_scores_are_gone(world):
    model_training.train(world, "study", "people", "outcome", shards=3)
    model_release.audit(world, "people-outcome", shadows=4)
    i = a_trained_person(world, 3, random.Random(4))
    forgetting.forget(world, [f"P{i}"], "people-outcome")
    [m] = as_dpo(world, lambda: subject_models(world, f"P{i}"))["models"]
    assert m["model"] == "people-outcome@2" and not m["used"] and m["audit"] is None
    assert not scores_file(world, "people-outcome", 1).exists()


@pytest.mark.parametrize("role", [Role.CUSTODIAN, Role.ANALYST])
def test_only_the_dpo_reads_membership_scores(world, role):
    model_training.train(world, "study", "people", "outcome", shards=2)
    world.actor = Actor("someone", role)
    with pytest.raises(AccessDenied, match="dpo"):
        subject_models(world, "P1")
