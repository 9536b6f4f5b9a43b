"""A server stopped while a job ran: on its next start the job ends as failed, saying why."""

from __future__ import annotations

import datetime as dt

from tests.integration.server.conftest import TestClient, TokenBook


def test_a_job_left_running_is_failed_when_the_server_starts(tmp_path):
    from bulle.domain.actor import Actor, Role
    from bulle.domain.jobs import Job, JobState, Language
    from bulle.server.app import create_app
    from bulle.services.job_records import jobs_store
    from bulle.workspace import Workspace

    root = tmp_path / "ws"
    ws = Workspace.init(root, Actor("alice", Role.CUSTODIAN))
    try:
        stuck = Job(
            id="j-00000000000000ab", project="p", analyst="bob", language=Language.PYTHON,
            dummy=False, code_sha256="0" * 64, entry="main.py", state=JobState.RUNNING,
            reason="", versions=(), submitted_at=dt.datetime.now(dt.UTC).isoformat(),
        )  # fmt: skip
        with ws.catalog.transaction():
            jobs_store(ws).add_job(stuck)
    finally:
        ws.close()
    with TestClient(create_app(root, authenticator=TokenBook()), base_url="http://testserver"):
        pass
    ws = Workspace.open(root, Actor("alice", Role.CUSTODIAN))
    try:
        job = jobs_store(ws).job(stuck.id)
        assert job.state is JobState.FAILED and "interrupted" in job.reason
    finally:
        ws.close()
