"""Persistence of jobs, output revisions, reviews and releases in the catalog."""

from __future__ import annotations

import json
from typing import Any

from bulle.catalog.store import Catalog
from bulle.domain.jobs import Job, JobState, Language, OutputRevision, OutputStatus, Review
from bulle.errors import NotFoundError, Where


class JobsStore:
    def __init__(self, catalog: Catalog):
        self.con = catalog.con

    # -- jobs ---------------------------------------------------------------------------------
    def add_job(self, job: Job) -> None:
        self.con.execute(
            "INSERT INTO jobs(id, project, analyst, language, dummy, code_sha256, entry, state, "
            "reason, versions_json, consent_json, usage_json, submitted_at) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.id,
                job.project,
                job.analyst,
                job.language.value,
                int(job.dummy),
                job.code_sha256,
                job.entry,
                job.state.value,
                job.reason,
                json.dumps(list(job.versions)),
                json.dumps(job.consent),
                json.dumps(job.usage),
                job.submitted_at,
            ),
        )

    def update_job(self, job_id: str, **fields: Any) -> None:
        columns = {
            "state": lambda v: v.value,
            "reason": str,
            "started_at": lambda v: v,
            "finished_at": lambda v: v,
            "versions": lambda v: json.dumps(list(v)),
            "consent": json.dumps,
            "usage": json.dumps,
        }
        names = {"versions": "versions_json", "consent": "consent_json", "usage": "usage_json"}
        sets, values = [], []
        for key, value in fields.items():
            sets.append(f"{names.get(key, key)}=?")
            values.append(columns[key](value))
        self.con.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE id=?", (*values, job_id))

    def job(self, job_id: str) -> Job:
        row = self.con.execute(
            "SELECT id, project, analyst, language, dummy, code_sha256, entry, state, reason, "
            "versions_json, submitted_at, started_at, finished_at, usage_json, consent_json "
            "FROM jobs WHERE id=?",
            (job_id,),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no job {job_id!r}", Where(field="job"))
        return _job(row)

    def jobs(self, project: str | None = None, analyst: str | None = None) -> list[Job]:
        rows = self.con.execute(
            "SELECT id, project, analyst, language, dummy, code_sha256, entry, state, reason, "
            "versions_json, submitted_at, started_at, finished_at, usage_json, consent_json "
            "FROM jobs WHERE (? IS NULL OR project=?) AND (? IS NULL OR analyst=?) "
            "ORDER BY submitted_at, id",
            (project, project, analyst, analyst),
        )
        return [_job(r) for r in rows]

    # -- outputs -------------------------------------------------------------------------------
    def add_revision(self, out: OutputRevision) -> None:
        self.con.execute(
            "INSERT INTO job_outputs(job, name, revision, kind, status, checks_json, files_json, "
            "mitigation, exception_reason, created_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                out.job,
                out.name,
                out.revision,
                out.kind,
                out.status.value,
                json.dumps(list(out.checks)),
                json.dumps({"files": list(out.files), "offered": list(out.offered)}),
                out.mitigation,
                out.exception_reason,
                out.created_at,
            ),
        )

    def set_status(self, job: str, name: str, revision: int, status: OutputStatus) -> None:
        self.con.execute(
            "UPDATE job_outputs SET status=? WHERE job=? AND name=? AND revision=?",
            (status.value, job, name, revision),
        )

    def set_exception(self, job: str, name: str, revision: int, reason: str) -> None:
        self.con.execute(
            "UPDATE job_outputs SET exception_reason=? WHERE job=? AND name=? AND revision=?",
            (reason, job, name, revision),
        )

    def outputs(self, job: str) -> list[OutputRevision]:
        """The latest revision of each output of ``job``."""
        rows = self.con.execute(
            "SELECT o.job, o.name, o.revision, o.kind, o.status, o.checks_json, o.files_json, "
            "o.mitigation, o.exception_reason, o.created_at FROM job_outputs o "
            "WHERE o.job=? AND o.revision=(SELECT MAX(revision) FROM job_outputs i "
            "WHERE i.job=o.job AND i.name=o.name) ORDER BY o.name",
            (job,),
        )
        return [self._revision(r) for r in rows]

    def output(self, job: str, name: str) -> OutputRevision:
        for out in self.outputs(job):
            if out.name == name:
                return out
        raise NotFoundError(f"job {job} has no output {name!r}", Where(field="output"))

    def queue(self) -> list[OutputRevision]:
        """Latest revisions waiting for a checker: needs_review, or blocked with an exception."""
        jobs = [r[0] for r in self.con.execute("SELECT DISTINCT job FROM job_outputs ORDER BY job")]
        return [
            o
            for j in jobs
            for o in self.outputs(j)
            if o.status is OutputStatus.NEEDS_REVIEW
            or (o.status is OutputStatus.BLOCKED and o.exception_reason)
        ]

    def _revision(self, r: tuple) -> OutputRevision:
        files = json.loads(r[6])
        reviews = tuple(
            Review(c, d, m, at)
            for c, d, m, at in self.con.execute(
                "SELECT checker, decision, comment, at FROM output_reviews "
                "WHERE job=? AND name=? AND revision=? ORDER BY at",
                (r[0], r[1], r[2]),
            )
        )
        return OutputRevision(
            job=r[0],
            name=r[1],
            revision=r[2],
            kind=r[3],
            status=OutputStatus(r[4]),
            checks=tuple(json.loads(r[5])),
            files=tuple(files["files"]),
            offered=tuple(files.get("offered", ())),
            mitigation=r[7],
            exception_reason=r[8],
            created_at=r[9],
            reviews=reviews,
        )

    # -- reviews and releases ------------------------------------------------------------------
    def add_review(self, out: OutputRevision, review: Review) -> None:
        self.con.execute(
            "INSERT INTO output_reviews(job, name, revision, checker, decision, comment, at) "
            "VALUES(?, ?, ?, ?, ?, ?, ?)",
            (
                out.job,
                out.name,
                out.revision,
                review.checker,
                review.decision,
                review.comment,
                review.at,
            ),
        )

    def add_release(self, out: OutputRevision, at: str, record: dict[str, Any]) -> None:
        self.con.execute(
            "INSERT INTO output_releases(job, name, revision, released_at, record_json) "
            "VALUES(?, ?, ?, ?, ?)",
            (out.job, out.name, out.revision, at, json.dumps(record, sort_keys=True)),
        )

    def release(self, job: str, name: str) -> dict[str, Any] | None:
        row = self.con.execute(
            "SELECT record_json FROM output_releases WHERE job=? AND name=?", (job, name)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def released_evidence_paths(self, project: str) -> list[tuple[str, str, int]]:
        """(job, name, revision) of every released output of ``project`` (for differencing)."""
        return list(
            self.con.execute(
                "SELECT r.job, r.name, r.revision FROM output_releases r JOIN jobs j ON j.id=r.job "
                "WHERE j.project=? ORDER BY r.released_at",
                (project,),
            )
        )


def _job(r: tuple) -> Job:
    return Job(
        id=r[0],
        project=r[1],
        analyst=r[2],
        language=Language(r[3]),
        dummy=bool(r[4]),
        code_sha256=r[5],
        entry=r[6],
        state=JobState(r[7]),
        reason=r[8],
        versions=tuple(json.loads(r[9])),
        submitted_at=r[10],
        started_at=r[11],
        finished_at=r[12],
        usage=json.loads(r[13]),
        consent=json.loads(r[14]),
    )
