"""Jobs through the service layer: cancellation, recovery after a stop, refusals recorded."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from bulle.domain.actor import Actor, Role
from bulle.domain.jobs import JobState
from bulle.services import governance as gov
from bulle.services import jobs
from bulle.services.vault import import_table
from bulle.workspace import Workspace

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def root(tmp_path, sandbox_host):
    (tmp_path / "t.csv").write_text("id,x\n" + "".join(f"S{i},{i % 3}\n" for i in range(50)))
    root = tmp_path / "ws"
    ws = Workspace.init(root, Actor("alice", Role.CUSTODIAN))
    try:
        import_table(ws, tmp_path / "t.csv", "t")
        gov.declare_purpose(ws, "research", "Recherche", "public_task")
        gov.set_dataset_purpose(ws, "t", "research")
        gov.create_project(
            ws, "p", "research", {"t@1": ["id", "x"]}, [("bob", "analyst")],
            NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=1),
        )  # fmt: skip
        gov.approve_project(ws, "p", allow_raw=True)
    finally:
        ws.close()
    return root


def test_a_running_job_is_cancelled(root, tmp_path):
    (tmp_path / "loop.py").write_text("import time\nwhile True: time.sleep(0.1)\n")
    result = {}

    def submit():
        ws = Workspace.open(root, Actor("bob", Role.ANALYST))
        try:
            result["job"] = jobs.submit_job(ws, "p", tmp_path / "loop.py")
        finally:
            ws.close()

    worker = threading.Thread(target=submit)
    worker.start()
    ws = Workspace.open(root, Actor("bob", Role.ANALYST))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            running = [j for j in jobs.list_jobs(ws) if j.state is JobState.RUNNING]
            if running:
                break
            time.sleep(0.1)
        assert running, "the job never started"
        jobs.cancel_job(ws, running[0].id)
    finally:
        ws.close()
    worker.join(30)
    assert result["job"].state is JobState.CANCELLED


def test_jobs_a_stopped_server_left_running_end_as_failed(root):
    ws = Workspace.open(root, Actor("bob", Role.ANALYST))
    try:
        from bulle.domain.jobs import Job, Language

        stuck = Job(
            id="j-00000000000000aa", project="p", analyst="bob", language=Language.PYTHON,
            dummy=False, code_sha256="0" * 64, entry="main.py", state=JobState.RUNNING,
            reason="", versions=(), submitted_at=NOW.isoformat(),
        )  # fmt: skip
        with ws.catalog.transaction():
            jobs.jobs_store(ws).add_job(stuck)
        assert jobs.recover_jobs(ws) == [stuck.id]
        after = jobs.job_status(ws, stuck.id)
        assert after.state is JobState.FAILED and "interrupted" in after.reason
        assert jobs.recover_jobs(ws) == []
    finally:
        ws.close()


def test_a_job_refused_its_data_fails_with_the_reason(root, tmp_path):
    (tmp_path / "u.csv").write_text("x\n" + "".join(f"{i % 3}\n" for i in range(50)))
    (tmp_path / "j.py").write_text("print('hi')\n")
    ws = Workspace.open(root, Actor("alice", Role.CUSTODIAN))
    try:  # no subject column: the project's read is refused when the job runs
        import_table(ws, tmp_path / "u.csv", "u")
        gov.set_dataset_purpose(ws, "u", "research")
        gov.create_project(
            ws, "q", "research", {"u@1": ["x"]}, [("bob", "analyst")],
            NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=1),
        )  # fmt: skip
        gov.approve_project(ws, "q", allow_raw=True)
    finally:
        ws.close()
    ws = Workspace.open(root, Actor("bob", Role.ANALYST))
    try:
        from bulle.errors import AccessDenied

        with pytest.raises(AccessDenied):
            jobs.submit_job(ws, "q", tmp_path / "j.py")
        (job,) = jobs.list_jobs(ws, "q")
        assert job.state is JobState.FAILED and job.reason.startswith("refused:")
    finally:
        ws.close()
