"""No cell value or subject id reaches the audit trail, the model tables or the shard states
through training, forgetting, verification, prediction, the card or an erasure."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from tests.functional.audit.canary import found
from tests.integration.models.world import NOW, make_world, people_csv

from bulle.domain.consents import Consent
from bulle.services import forgetting, model_release, model_training, models
from bulle.services import governance as gov
from bulle.services.subject_rights import erase_subject

SUBJECT = "PX-CANARI-7731"
JOB = "Quillebœuf-canari"
MODEL_TABLES = ("models", "model_versions", "model_shards", "model_manifest",
                "unlearning_receipts", "model_audits")  # fmt: skip


def in_models(root: Path, values: list[str]) -> list[str]:
    con = sqlite3.connect(f"file:{root / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        text = "\n".join(
            repr(row) for t in MODEL_TABLES for row in con.execute(f"SELECT * FROM {t}")
        )
    finally:
        con.close()
    states = b"".join(p.read_bytes() for p in (root / "models").rglob("*.state"))
    return [v for v in values if v in text or v.encode() in states]


def test_models_keep_no_value_in_the_trail(tmp_path):
    csv = people_csv(80) + f"{SUBJECT},44,{JOB},3.5,yes\n{SUBJECT},45,{JOB},3.1,no\n"
    ws = make_world(tmp_path / "ws", csv, 80)
    root = ws.root
    try:
        gov.record_choices(
            ws, [Consent(SUBJECT, "research", "given", NOW - dt.timedelta(days=1), "f")]
        )
        model_training.train(ws, "study", "people", "outcome", shards=3)
        assert in_models(root, [SUBJECT, JOB]) == []
        [done] = forgetting.forget(ws, [SUBJECT], "people-outcome")
        forgetting.verify_forget(ws, done.receipt)
        models.predict(ws, "people-outcome")
        model_release.card(ws, "people-outcome")
        model_training.train(ws, "study", "people", "outcome", shards=2, name="second")
        out = erase_subject(ws, "P3")
        assert out.model_receipts
        assert found(root, [SUBJECT, JOB]) == []
        assert in_models(root, [SUBJECT, JOB, "P3"]) == []
    finally:
        ws.close()
