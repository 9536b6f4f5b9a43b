"""Where a job's records are and who may see them: shared by the job and output services.

A job's files live in ``jobs/<id>/`` in the workspace (code, logs, output revisions), outside
``artefacts/``, whose files the start-up recovery removes unless the catalog lists them; the
job's rows in the catalog (jobs, job_outputs, output_releases) vouch for these files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bulle.catalog.jobs_store import JobsStore
from bulle.domain.jobs import Job, job_id
from bulle.governance import access
from bulle.workspace import Workspace


def jobs_store(ws: Workspace) -> JobsStore:
    return JobsStore(ws.catalog)


def job_dir(ws: Workspace, jid: str) -> Path:
    return ws.root / "jobs" / job_id(jid)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def job_status(ws: Workspace, jid: str) -> Job:
    """A job, for its analyst, the checkers and custodians (``access.can_see_job``)."""
    job = jobs_store(ws).job(job_id(jid))
    access.can_see_job(ws.actor, job.analyst).require()
    return job
