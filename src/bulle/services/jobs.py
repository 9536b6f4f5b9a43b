"""Jobs of the analysis bubble: submit an analyst's code, run it in the sandbox, record it.

The job's code goes to the data: the project's view of each dataset it uses is materialised as
Parquet for that job only (the consent- and purpose-filtered read, recorded as a read by the
analyst), or dummy data with the same schema made from that view's profile (``--dummy``). The
code, the versions seen, the consent snapshot, the resources used and the exit status are recorded
in the catalog and the audit log. The outputs the job declared are then taken in and checked by
:mod:`bulle.services.job_outputs`; nothing else a job wrote ever leaves.

Jobs run synchronously here (the CLI waits); the server runs the same :func:`run_job` as a
background task.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bulle.audit import events as ev
from bulle.domain.jobs import Job, JobState, Language
from bulle.errors import BulleError, ConflictError, InputError, Problem, ValidationError, Where
from bulle.governance import access
from bulle.services import governance
from bulle.services.dummy_data import dummy_table
from bulle.services.job_records import job_dir, job_status, jobs_store, now_iso
from bulle.workspace import Workspace

CODE_MAX_BYTES = 10 * 1000**2
CODE_MAX_FILES = 500
_CANCEL: dict[str, threading.Event] = {}


@dataclass(frozen=True)
class CodeBundle:
    """An analyst's code, copied into the vault: what ran is what is shown to the checkers."""

    language: Language
    entry: str
    files: tuple[tuple[str, bytes], ...]

    @property
    def sha256(self) -> str:
        h = hashlib.sha256()
        for name, data in self.files:
            h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        return h.hexdigest()


def read_code(path: Path) -> CodeBundle:
    """A ``.py`` or ``.sql`` file, or a folder with ``main.py`` (or ``main.sql``) as entry point."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"no job code at {path}", Where(file=str(path)))
    if path.is_file():
        if path.suffix not in (".py", ".sql"):
            raise InputError(
                "a job is a .py or .sql file, or a folder with main.py", Where(file=str(path))
            )
        data = path.read_bytes()
        if len(data) > CODE_MAX_BYTES:
            raise InputError(f"job code over {CODE_MAX_BYTES:,} bytes", Where(file=str(path)))
        lang = Language.SQL if path.suffix == ".sql" else Language.PYTHON
        return CodeBundle(lang, "main" + path.suffix, (("main" + path.suffix, data),))
    files: list[tuple[str, bytes]] = []
    total = 0
    for item in sorted(path.rglob("*")):
        rel = item.relative_to(path).as_posix()
        info = item.lstat()
        if stat.S_ISLNK(info.st_mode):
            raise InputError("a link in a job's folder: only plain files", Where(file=str(item)))
        if stat.S_ISDIR(info.st_mode) or "__pycache__" in rel:
            continue
        if not stat.S_ISREG(info.st_mode):
            raise InputError("not a plain file in a job's folder", Where(file=str(item)))
        total += info.st_size
        if total > CODE_MAX_BYTES or len(files) >= CODE_MAX_FILES:
            raise InputError(
                f"a job's folder holds at most {CODE_MAX_FILES} files, {CODE_MAX_BYTES:,} bytes",
                Where(file=str(path)),
            )
        files.append((rel, item.read_bytes()))
    names = {n for n, _ in files}
    entry = "main.py" if "main.py" in names else "main.sql" if "main.sql" in names else None
    if entry is None:
        raise InputError("a job's folder needs main.py (or main.sql)", Where(file=str(path)))
    lang = Language.SQL if entry.endswith(".sql") else Language.PYTHON
    return CodeBundle(lang, entry, tuple(files))


def submit_job(ws: Workspace, project: str, code: Path, *, dummy: bool = False) -> Job:
    """Check, record and run a job (the CLI waits); returns it finished."""
    job = create_job(ws, project, read_code(code), dummy=dummy)
    return run_job(ws, job.id)


def bundle_from_files(files: dict[str, str], entry: str) -> CodeBundle:
    """A job sent over HTTP: ``{relative path: text}`` and its entry point, checked like a folder."""
    problems = []
    total = 0
    for name, text in files.items():
        parts = name.split("/")
        if (
            not name
            or name.startswith("/")
            or any(p in ("", ".", "..") for p in parts)
            or "\x00" in name
            or len(name) > 200
        ):
            problems.append(Problem("not a relative file name", Where(file=name[:200])))
        total += len(text.encode())
    if total > CODE_MAX_BYTES or len(files) > CODE_MAX_FILES:
        problems.append(Problem(f"at most {CODE_MAX_FILES} files, {CODE_MAX_BYTES:,} bytes"))
    if entry not in files or not entry.endswith((".py", ".sql")):
        problems.append(
            Problem("the entry point must be one of the files, .py or .sql", Where(field="entry"))
        )
    if problems:
        raise ValidationError.from_problems("the job's code is not valid", problems)
    lang = Language.SQL if entry.endswith(".sql") else Language.PYTHON
    return CodeBundle(lang, entry, tuple(sorted((n, t.encode()) for n, t in files.items())))


def create_job(ws: Workspace, project: str, bundle: CodeBundle, *, dummy: bool = False) -> Job:
    """Check and record a job, ``queued``; :func:`run_job` runs it (now, or as a server task)."""
    from bulle.sandbox import probe

    proj = governance.store(ws).project(project)
    access.can_submit_job(ws.actor, proj, at=governance.now_utc()).require()
    probe(ws.settings)  # refuse before recording anything if the sandbox cannot be built here
    jid = "j-" + secrets.token_hex(8)
    folder = job_dir(ws, jid) / "code"
    for name, data in bundle.files:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        target.write_bytes(data)
    job = Job(
        id=jid,
        project=proj.name,
        analyst=ws.actor.name,
        language=bundle.language,
        dummy=dummy,
        code_sha256=bundle.sha256,
        entry=bundle.entry,
        state=JobState.QUEUED,
        reason="",
        versions=(),
        submitted_at=now_iso(),
    )
    with ws.write_lock(), ws.catalog.transaction():
        jobs_store(ws).add_job(job)
        ws.emit(
            ev.JobSubmitted(
                actor=ws.actor,
                target=f"project:{proj.name}",
                details={
                    "job": jid,
                    "project": proj.name,
                    "language": bundle.language.value,
                    "dummy": dummy,
                    "code_sha256": bundle.sha256,
                    "code_files": len(bundle.files),
                },
            )
        )
    return job


def job_code(ws: Workspace, jid: str) -> dict[str, str]:
    """The code a job ran, for its analyst and the checkers who review its outputs."""
    job = job_status(ws, jid)
    folder = job_dir(ws, job.id) / "code"
    return {
        p.relative_to(folder).as_posix(): p.read_text(errors="replace")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run_job(ws: Workspace, jid: str) -> Job:
    """Run a queued job in the sandbox, take its outputs in, record how it ended."""
    from bulle.sandbox import SandboxLimits, SandboxSpec, make_folders, probe, remove, run
    from bulle.sandbox.folders import hand_over
    from bulle.services import job_outputs

    store = jobs_store(ws)
    job = store.job(jid)
    if job.state is not JobState.QUEUED:
        raise ConflictError(f"job {jid} is {job.state.value}, not queued")
    cancel = _CANCEL.setdefault(jid, threading.Event())
    host = probe(ws.settings)
    with ws.write_lock(), ws.catalog.transaction():
        store.update_job(jid, state=JobState.RUNNING, started_at=now_iso())
    folders = make_folders(host, jid)
    try:
        try:
            versions, consent = _materialise(ws, job, folders.data)
        except BulleError as exc:  # refused now (a consent withdrawn, the project expired...)
            _finish(ws, job, JobState.FAILED, f"refused: {exc.message}")
            raise
        shutil.copytree(job_dir(ws, jid) / "code", folders.code, dirs_exist_ok=True)
        hand_over(host, folders)
        argv = (
            ("python", f"/job/{job.entry}")
            if job.language is Language.PYTHON
            else ("python", "-m", "bulle.job_sql", f"/job/{job.entry}")
        )
        spec = SandboxSpec(
            argv,
            folders,
            SandboxLimits.from_settings(ws.settings),
            env={"BULLE_JOB_NK_N": str(ws.settings["disclosure.nk_n"])},
        )
        raw = job_dir(ws, jid) / "raw"
        result = run(host, spec, raw, cancel)
    finally:
        remove(folders)
        _CANCEL.pop(jid, None)
    logs = job_dir(ws, jid) / "logs"
    logs.mkdir(parents=True, exist_ok=True, mode=0o700)
    (logs / "stdout.txt").write_text(result.stdout)
    (logs / "stderr.txt").write_text(result.stderr)
    state = JobState(result.state)
    reason = result.reason
    declared = 0
    if state is JobState.SUCCEEDED:
        try:
            declared = job_outputs.take_in(ws, job, raw)
        except InputError as exc:
            state, reason = JobState.FAILED, f"outputs refused: {exc}"
    shutil.rmtree(raw, ignore_errors=True)
    (logs / "reason.txt").write_text(reason)
    if not job.dummy:  # what a job on real data printed stays in the bubble (see job_logs)
        reason = _reason_kind(reason)
    usage = {
        "cpu_seconds": result.cpu_seconds,
        "wall_seconds": result.wall_seconds,
        "max_rss_bytes": result.max_rss_bytes,
        "exit_code": result.exit_code,
        "signal": result.signal,
    }
    with ws.write_lock(), ws.catalog.transaction():
        store.update_job(
            jid,
            state=state,
            reason=reason,
            finished_at=now_iso(),
            usage=usage,
            versions=versions,
            consent=consent,
        )
        ws.emit(
            ev.JobFinished(
                actor=ws.actor,
                target=f"project:{job.project}",
                details={
                    "job": jid,
                    "state": state.value,
                    "reason": _reason_kind(reason),
                    "versions": list(versions),
                    "cpu_seconds": float(result.cpu_seconds),
                    "wall_seconds": float(result.wall_seconds),
                    "max_rss_bytes": int(result.max_rss_bytes),
                    "outputs": declared,
                },
            )
        )
    return store.job(jid)


def _reason_kind(reason: str) -> str:
    """What the audit log keeps of a job's end: the kind of reason, never what the job printed
    (a job's error message may quote a cell; the full reason stays with the job, for its analyst)."""
    return reason.split(":", 1)[0][:200]


def _finish(ws: Workspace, job: Job, state: JobState, reason: str) -> None:
    with ws.write_lock(), ws.catalog.transaction():
        jobs_store(ws).update_job(job.id, state=state, reason=reason, finished_at=now_iso())
        ws.emit(
            ev.JobFinished(
                actor=ws.actor,
                target=f"project:{job.project}",
                details={
                    "job": job.id,
                    "state": state.value,
                    "reason": _reason_kind(reason),
                    "versions": [],
                    "cpu_seconds": 0.0,
                    "wall_seconds": 0.0,
                    "max_rss_bytes": 0,
                    "outputs": 0,
                },
            )
        )


def _materialise(ws: Workspace, job: Job, data: Path) -> tuple[list[str], dict[str, Any]]:
    """The project's view of each of its datasets, as ``/data/<dataset>.parquet``."""
    proj = governance.store(ws).project(job.project)
    versions, consent = [], {}
    for use in proj.datasets:
        target = data / f"{use.dataset}.parquet"
        if job.dummy:
            table, served = dummy_table(ws, job.project, use.dataset, use="job", job=job.id)
        else:
            table, served = governance.read_served(ws, job.project, use.dataset)
        ws.engine.write_table(table, target)
        versions.append(served.ref)
        consent[served.ref] = {"rows": table.num_rows, "dummy": job.dummy}
    return versions, consent


def job_logs(ws: Workspace, jid: str) -> dict[str, str]:
    """What a job printed. A job on real data can print rows, so its logs are an output like any
    other that has not been checked: its checkers and custodians read them, its analyst does not
    (``access.can_read_job_logs``); the logs of a dummy-data run are the analyst's to debug with."""
    job = job_status(ws, jid)
    access.can_read_job_logs(ws.actor, job.analyst, dummy=job.dummy).require()
    logs = job_dir(ws, job.id) / "logs"
    read = lambda n: (logs / n).read_text() if (logs / n).is_file() else ""  # noqa: E731
    return {
        "job": job.id,
        "stdout": read("stdout.txt"),
        "stderr": read("stderr.txt"),
        "reason": read("reason.txt") or job.reason,
    }


def list_jobs(ws: Workspace, project: str | None = None) -> list[Job]:
    mine = ws.actor.name if ws.actor.role.value == "analyst" else None
    jobs = jobs_store(ws).jobs(project=project, analyst=mine)
    return [j for j in jobs if access.can_see_job(ws.actor, j.analyst).allowed]


def cancel_job(ws: Workspace, jid: str) -> Job:
    """A queued job never starts; a running one is killed by its runner within a moment."""
    job = job_status(ws, jid)
    if job.state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED):
        raise ConflictError(f"job {job.id} already ended ({job.state.value})")
    if job.state is JobState.QUEUED:
        with ws.write_lock(), ws.catalog.transaction():
            jobs_store(ws).update_job(
                job.id, state=JobState.CANCELLED, reason="cancelled", finished_at=now_iso()
            )
    else:
        _CANCEL.setdefault(job.id, threading.Event()).set()
    return jobs_store(ws).job(job.id)


def recover_jobs(ws: Workspace) -> list[str]:
    """At start-up: jobs left ``queued`` or ``running`` by a stopped server end as failed.

    Their sandbox died with the server (``--die-with-parent``); nothing they wrote was taken in,
    since outputs are taken only after a job ends. Returns the ids it closed.
    """
    closed = []
    for job in jobs_store(ws).jobs():
        if job.state in (JobState.QUEUED, JobState.RUNNING):
            _finish(ws, job, JobState.FAILED, "interrupted: the server stopped while it ran")
            closed.append(job.id)
    if closed:
        from bulle.services import alerts

        alerts.interrupted(ws, "job", len(closed))
    return closed
