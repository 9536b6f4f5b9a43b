"""Alerts raised where the facts appear: sign-in lockouts, a server start after a crash."""

from __future__ import annotations

import datetime as dt
import json
import os
from contextlib import contextmanager

import pytest

from bulle.catalog import tasks_store
from bulle.domain.actor import Actor, Role
from bulle.errors import Unauthenticated
from bulle.server.tasks import TaskRunner
from bulle.services import auth
from bulle.services.settings import set_setting
from bulle.workspace import Workspace

from .servers import SMTPServer, serve

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def smtp():
    server = SMTPServer()
    serve(server)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def ws(tmp_path, smtp):
    with Workspace.init(tmp_path / "ws", Actor("carol", Role.CUSTODIAN)) as w:
        set_setting(w, "alerts.smtp_host", "127.0.0.1")
        set_setting(w, "alerts.smtp_port", str(smtp.server_address[1]))
        set_setting(w, "alerts.to", "dpo@hospital.example")
        yield w


def test_a_lockout_storm_of_sign_ins_alerts_once_without_names(ws, smtp):
    set_setting(ws, "auth.lockout_failures", "1")
    set_setting(ws, "alerts.lockout_storm", "3")
    names = [f"guess{i}" for i in range(5)]
    for i, name in enumerate(names):
        with pytest.raises(Unauthenticated):
            auth.authenticate(ws, name, "wrong password!", at=T0 + dt.timedelta(seconds=i))
        assert len(smtp.messages) == (1 if i >= 2 else 0)
    (mail,) = smtp.messages
    assert "3 account names were locked out" in mail["data"]
    assert not any(n in mail["data"] for n in names)
    # a lockout outside the window starts counting again
    set_setting(ws, "alerts.lockout_storm_window_s", "10")
    with pytest.raises(Unauthenticated):
        auth.authenticate(ws, "late", "wrong password!", at=T0 + dt.timedelta(hours=2))
    assert len(smtp.messages) == 1


def test_tasks_interrupted_by_a_crash_alert_at_start(ws, smtp):
    with ws.catalog.transaction() as con:
        tasks_store.add(con, "t1", "import", "carol", "custodian", T0.isoformat(), os.getpid())

    @contextmanager
    def session(actor):
        yield ws.store.session(actor)

    runner = TaskRunner(ws.root, 1, session)
    try:
        assert runner.recover() == ["t1"]
    finally:
        runner.close()
    (mail,) = smtp.messages
    assert "1 task(s) interrupted" in mail["data"]


def test_a_log_rewritten_behind_a_witness_alerts_divergence(tmp_path, smtp):
    """Someone with the signing key rewrites an event and re-signs the chain: the log alone
    verifies, the witness does not, and both the DPO and the custodian are told."""
    from tests.spec.audit.audit_tamper import encode, lines, write
    from tests.spec.audit.test_audit_witness_tampering import last_head, resign, set_head

    from bulle.audit.events import DatasetRead
    from bulle.audit.keys import load_workspace_key
    from bulle.audit.witness import add_witness
    from bulle.services.audit import verify_workspace_log

    carol = Actor("carol", Role.CUSTODIAN)
    root, witness = tmp_path / "ws", tmp_path / "witness"
    with Workspace.init(root, carol) as w:
        set_setting(w, "alerts.smtp_host", "127.0.0.1")
        set_setting(w, "alerts.smtp_port", str(smtp.server_address[1]))
        set_setting(w, "alerts.to", "dpo@hospital.example")
        add_witness(w, witness, carol)
        for i in range(3):
            w.emit(DatasetRead(actor=carol, target=f"patients@{i + 1}", details={"rows": i}))
    log = root / "audit" / "log.jsonl"
    entries = lines(log)
    key = load_workspace_key(root / "keys")
    e = json.loads(entries[-2])
    e["event"]["details"] = {"rows": 999}
    entries[-2] = encode(e, key=key)
    entries = resign(entries, len(entries) - 2, key)
    write(log, entries)
    set_head(root, last_head(entries))
    with Workspace.open(root, carol) as w:
        assert verify_workspace_log(w).ok and smtp.messages == []  # alone, the log verifies
        report = verify_workspace_log(w, witnesses=[witness])
    assert not report.ok
    subjects = [m["data"] for m in smtp.messages]
    assert any("diverges from a witness" in s for s in subjects)
    assert any("verification failed" in s for s in subjects)


def _job(ws, job_id: str, state: str) -> None:
    from bulle.catalog.jobs_store import JobsStore
    from bulle.domain.jobs import Job, JobState, Language

    JobsStore(ws.catalog).add_job(
        Job(
            id=job_id,
            project="p",
            analyst="alice",
            language=Language.SQL,
            dummy=True,
            code_sha256="0" * 64,
            entry="query.sql",
            state=JobState(state),
            reason="",
            versions=(),
            submitted_at=T0.isoformat(),
        )
    )


def test_jobs_interrupted_by_a_stop_alert(ws, smtp):
    from bulle.services.jobs import recover_jobs

    _job(ws, "job-1", "running")
    _job(ws, "job-2", "succeeded")
    assert recover_jobs(ws) == ["job-1"]
    (mail,) = smtp.messages
    assert "1 job(s) interrupted" in mail["data"]
    assert recover_jobs(ws) == [] and len(smtp.messages) == 1  # once, not at every start


def test_outputs_waiting_too_long_for_review_alert(ws, smtp):
    from bulle.catalog.jobs_store import JobsStore
    from bulle.domain.jobs import OutputRevision, OutputStatus

    _job(ws, "job-1", "succeeded")
    store = JobsStore(ws.catalog)
    for name, status, at in (
        ("old", OutputStatus.NEEDS_REVIEW, T0),
        ("recent", OutputStatus.NEEDS_REVIEW, T0 + dt.timedelta(hours=70)),
        ("done", OutputStatus.APPROVED, T0),
    ):
        store.add_revision(
            OutputRevision("job-1", name, 1, "table", status, (), (), created_at=at.isoformat())
        )
    checked = alerts_check(ws, T0 + dt.timedelta(hours=73))
    assert checked.pending_reviews == 1
    (mail,) = smtp.messages
    assert "1 job output(s) have waited more than 72 h" in mail["data"]
    assert alerts_check(ws, T0 + dt.timedelta(hours=1)).pending_reviews == 0


def alerts_check(ws, at):
    from bulle.services.alerts import check

    return check(ws, at)
