"""Outputs of the analysis bubble: taken in, checked, mitigated, reviewed twice, released.

A job's outputs folder is hostile input: only declared outputs (``<name>/output.json``) are taken,
their evidence is validated (:mod:`bulle.disclosure.evidence_io`), and a released table is
*rendered by Bulle from the checked evidence* (its published values), never copied from a file the
job wrote, so what leaves is exactly what the rules judged. Figures and free files are copied as
they are and always need a person.

Statuses: the checks put a revision in ``blocked`` (a rule fails) or ``needs_review``; the analyst
may mitigate a blocked output (a new revision, checked again, with no approvals) or ask for an
exception with a justification (the revision then joins the checkers' queue as it is); two
different checkers, neither its analyst, approve it (``approved``) and its release record is
written at once (``released``); one rejection ends it (``rejected``, with the reason).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bulle.audit import events as ev
from bulle.domain.jobs import (
    APPROVALS_NEEDED,
    OUTPUT_NAME,
    Job,
    OutputRevision,
    OutputStatus,
    Review,
    job_id,
    output_name,
)
from bulle.errors import ConflictError, InputError, Problem, ValidationError, Where
from bulle.governance import access
from bulle.services.job_records import job_dir, job_status, jobs_store, now_iso
from bulle.workspace import Workspace

OUTPUTS_MAX = 100
FILE_NAMES = {"content", "summary"}


@dataclass(frozen=True)
class DownloadedOutput:
    job: str
    name: str
    revision: int
    files: tuple[dict[str, Any], ...]
    to: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "name": self.name,
            "revision": self.revision,
            "files": list(self.files),
            "to": self.to,
        }


def revision_dir(ws: Workspace, job: str, name: str, revision: int) -> Path:
    return job_dir(ws, job) / "outputs" / name / f"r{revision}"


def take_in(ws: Workspace, job: Job, raw: Path) -> int:
    """Validate and check every declared output of a finished job; returns how many."""
    from bulle.disclosure import evidence_io

    problems: list[Problem] = []
    found = []
    names = sorted(p.name for p in raw.iterdir()) if raw.is_dir() else []
    for name in names:
        folder = raw / name
        if not (folder / "output.json").is_file():
            continue  # not a declared output: it never leaves
        if not OUTPUT_NAME.fullmatch(name):
            problems.append(Problem("not an output name", Where(file=name)))
            continue
        try:
            meta = json.loads((folder / "output.json").read_bytes())
            evidence = evidence_io.read_json(folder / "evidence.json")
        except (ValueError, OSError) as exc:
            problems.append(Problem(f"unreadable output: {exc}", Where(file=name)))
            continue
        except ValidationError as exc:
            problems.extend(
                Problem(p.message, Where(file=f"{name}/evidence.json")) for p in exc.problems
            )
            continue
        files = meta.get("files") if isinstance(meta, dict) else None
        if (
            not isinstance(files, dict)
            or not set(files) <= FILE_NAMES
            or not all(isinstance(v, str) and OUTPUT_NAME.fullmatch(v) for v in files.values())
            or meta.get("name") != name
            or evidence.name != name
            or meta.get("kind") != evidence.kind.value
        ):
            problems.append(Problem("output.json does not match its evidence", Where(file=name)))
            continue
        if any(not (folder / f).is_file() for f in files.values()):
            problems.append(Problem("a file output.json names is missing", Where(file=name)))
            continue
        found.append((name, evidence, {k: folder / v for k, v in files.items()}))
    if len(found) > OUTPUTS_MAX:
        problems.append(Problem(f"more than {OUTPUTS_MAX} outputs"))
    if problems:
        raise ValidationError.from_problems("the job's outputs are not valid", problems)
    for name, evidence, files in found:
        _add_revision(ws, job, name, 1, evidence, files, mitigation="")
    return len(found)


def _released_evidence(ws: Workspace, project: str) -> tuple:
    from bulle.disclosure import evidence_io

    out = []
    for job, name, revision in jobs_store(ws).released_evidence_paths(project):
        path = revision_dir(ws, job, name, revision) / "evidence.json"
        if path.is_file():
            out.append(evidence_io.read_json(path))
    return tuple(out)


def _add_revision(
    ws: Workspace,
    job: Job,
    name: str,
    revision: int,
    evidence,
    files: dict[str, Path],
    *,
    mitigation: str,
    table=None,
) -> OutputRevision:
    from bulle.disclosure import evidence_io, mitigations
    from bulle.disclosure.status import checks_status, run_checks

    results = run_checks(evidence, ws.settings, _released_evidence(ws, job.project))
    status = OutputStatus(checks_status(results).value)
    folder = revision_dir(ws, job.id, name, revision)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    evidence_io.write_json(evidence, folder / "evidence.json")
    kept = []
    if evidence.n_cells:
        render = table if table is not None else table_of(evidence)
        render.to_csv(folder / "table.csv")
        kept.append("table.csv")
    for key, src in files.items():
        target = f"{key}{''.join(src.suffixes[-1:])[:16]}"
        shutil.copyfile(src, folder / target)
        kept.append(target)
    described = tuple(_describe(folder / f) for f in kept)
    out = OutputRevision(
        job=job.id,
        name=name,
        revision=revision,
        kind=evidence.kind.value,
        status=status,
        checks=tuple(r.to_dict() for r in results),
        files=described,
        mitigation=mitigation,
        created_at=now_iso(),
        offered=tuple(mitigations.offered(evidence, results)) if evidence.n_cells else (),
    )
    with ws.write_lock(), ws.catalog.transaction():
        jobs_store(ws).add_revision(out)
        ws.emit(
            ev.OutputChecked(
                actor=ws.actor,
                target=f"project:{job.project}",
                details={
                    "job": job.id,
                    "output": name,
                    "revision": revision,
                    "kind": out.kind,
                    "status": status.value,
                    "failed_rules": [r.rule for r in results if r.outcome == "fail"],
                },
            )
        )
    return out


def _describe(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    return {"name": path.name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def table_of(evidence):
    """The published table, from the evidence's labels and published values (what was checked)."""
    import numpy as np
    import pandas as pd

    rows = pd.MultiIndex.from_tuples(evidence.row_labels, names=list(evidence.row_vars) or None)
    cols = (
        pd.MultiIndex.from_tuples(evidence.col_labels, names=list(evidence.col_vars) or None)
        if evidence.col_labels and evidence.col_labels[0]
        else pd.Index([evidence.statistic or "value"])
    )
    grid = np.asarray(evidence.published, dtype=float).reshape(len(rows), len(cols))
    shown = evidence.shown().reshape(grid.shape)
    frame = pd.DataFrame(np.where(shown, grid, np.nan), index=rows, columns=cols)
    if evidence.statistic == "count":
        frame = frame.astype("Int64")
    if rows.nlevels == 1:
        frame.index = frame.index.get_level_values(0)
    if isinstance(frame.columns, pd.MultiIndex) and frame.columns.nlevels == 1:
        frame.columns = frame.columns.get_level_values(0)
    return frame


def locate_output(ws: Workspace, jid: str, name: str):
    """The store, the job and the latest revision of its output ``name`` (or NotFoundError)."""
    store = jobs_store(ws)
    job = store.job(job_id(jid))
    return store, job, store.output(job.id, output_name(name))


def list_outputs(ws: Workspace, jid: str) -> list[OutputRevision]:
    job = job_status(ws, jid)
    return jobs_store(ws).outputs(job.id)


def review_queue(ws: Workspace) -> list[OutputRevision]:
    """What waits for this checker: reviewable revisions of other people's jobs on real data not yet
    reviewed (a dummy-data run's outputs hold no real value and go to its analyst at once)."""
    store = jobs_store(ws)
    out = []
    for o in store.queue():
        job = store.job(o.job)
        if job.dummy:
            continue
        decision = access.can_review_output(ws.actor, job.analyst, (r.checker for r in o.reviews))
        if decision.allowed:
            out.append(o)
    return out


def review_output(
    ws: Workspace, jid: str, name: str, *, approve: bool, comment: str
) -> OutputRevision:
    store, job, out = locate_output(ws, jid, name)
    access.can_review_output(ws.actor, job.analyst, (r.checker for r in out.reviews)).require()
    if not comment or not comment.strip():
        raise InputError("a review needs a comment", Where(field="comment"))
    reviewable = out.status is OutputStatus.NEEDS_REVIEW or (
        out.status is OutputStatus.BLOCKED and out.exception_reason
    )
    if not reviewable:
        raise ConflictError(
            f"output {name!r} of job {job.id} is {out.status.value}"
            + (
                ": mitigate it or ask for an exception first"
                if out.status is OutputStatus.BLOCKED
                else ""
            )
        )
    review = Review(ws.actor.name, "approve" if approve else "reject", comment.strip(), now_iso())
    approvals = len(out.approvals) + (1 if approve else 0)
    with ws.write_lock(), ws.catalog.transaction():
        store.add_review(out, review)
        if not approve:
            store.set_status(job.id, out.name, out.revision, OutputStatus.REJECTED)
        elif approvals >= APPROVALS_NEEDED:
            store.set_status(job.id, out.name, out.revision, OutputStatus.APPROVED)
        ws.emit(
            ev.OutputReviewed(
                actor=ws.actor,
                target=f"project:{job.project}",
                details={
                    "job": job.id,
                    "output": out.name,
                    "revision": out.revision,
                    "decision": review.decision,
                    "comment": review.comment[:2000],
                    "approvals": approvals,
                },
            )
        )
    if approve and approvals >= APPROVALS_NEEDED:
        _release(ws, job, store.output(job.id, out.name))
    return store.output(job.id, out.name)


def _release(ws: Workspace, job: Job, out: OutputRevision) -> None:
    """The release record: the approved revision's files and checksums, immutable from now on."""
    store = jobs_store(ws)
    folder = revision_dir(ws, job.id, out.name, out.revision)
    for f in out.files:
        if _describe(folder / f["name"])["sha256"] != f["sha256"]:
            raise ConflictError(f"output {out.name!r}: {f['name']} changed since it was checked")
    record = {
        "job": job.id,
        "project": job.project,
        "output": out.name,
        "revision": out.revision,
        "kind": out.kind,
        "files": list(out.files),
        "approved_by": [r.checker for r in out.approvals],
        "code_sha256": job.code_sha256,
    }
    at = now_iso()
    with ws.write_lock(), ws.catalog.transaction():
        store.add_release(out, at, record)
        store.set_status(job.id, out.name, out.revision, OutputStatus.RELEASED)
        ws.emit(
            ev.OutputReleased(
                actor=ws.actor,
                target=f"project:{job.project}",
                details={
                    "job": job.id,
                    "output": out.name,
                    "revision": out.revision,
                    "files": [{"name": f["name"], "sha256": f["sha256"]} for f in out.files],
                    "approved_by": record["approved_by"],
                },
            )
        )


def mitigate_output(ws: Workspace, jid: str, name: str, method: str) -> OutputRevision:
    from bulle.disclosure import evidence_io, mitigations

    _, job, out = locate_output(ws, jid, name)
    access.can_change_output(ws.actor, job.analyst).require()
    if out.status in (OutputStatus.RELEASED, OutputStatus.APPROVED, OutputStatus.REJECTED):
        raise ConflictError(f"output {name!r} is {out.status.value}: it cannot change any more")
    if method not in out.offered:
        offered = ", ".join(out.offered) or "none"
        raise InputError(
            f"mitigation {method!r} is not offered for output {name!r} (offered: {offered})",
            Where(field="method"),
        )
    evidence = evidence_io.read_json(
        revision_dir(ws, job.id, out.name, out.revision) / "evidence.json"
    )
    done = mitigations.mitigate(
        method, table_of(evidence), evidence, ws.settings, _released_evidence(ws, job.project)
    )
    new = _add_revision(
        ws, job, out.name, out.revision + 1, done.evidence, {}, mitigation=method, table=done.table
    )
    ws.emit(
        ev.OutputMitigated(
            actor=ws.actor,
            target=f"project:{job.project}",
            details={
                "job": job.id,
                "output": out.name,
                "revision": new.revision,
                "method": method,
                "from_revision": out.revision,
            },
        )
    )
    return new


def request_exception(ws: Workspace, jid: str, name: str, reason: str) -> OutputRevision:
    store, job, out = locate_output(ws, jid, name)
    access.can_change_output(ws.actor, job.analyst).require()
    if out.status is not OutputStatus.BLOCKED:
        raise ConflictError(
            f"output {name!r} is {out.status.value}: only a blocked output needs an exception"
        )
    if not reason or len(reason.strip()) < 20:
        raise InputError(
            "an exception needs a written justification (at least 20 characters)",
            Where(field="reason"),
        )
    with ws.write_lock(), ws.catalog.transaction():
        store.set_exception(job.id, out.name, out.revision, reason.strip())
        ws.emit(
            ev.OutputExceptionRequested(
                actor=ws.actor,
                target=f"project:{job.project}",
                details={
                    "job": job.id,
                    "output": out.name,
                    "revision": out.revision,
                    "reason": reason.strip()[:2000],
                },
            )
        )
    return store.output(job.id, out.name)


def download_output(ws: Workspace, jid: str, name: str, to: Path) -> DownloadedOutput:
    """Copy a released output (or a dummy job's output) to ``to``, checking every checksum."""
    store, job, out = locate_output(ws, jid, name)
    record = store.release(job.id, out.name)
    access.can_download_output(
        ws.actor, job.analyst, released=record is not None, dummy=job.dummy
    ).require()
    revision = record["revision"] if record else out.revision
    files = record["files"] if record else list(out.files)
    folder = revision_dir(ws, job.id, out.name, revision)
    dest = Path(to) / out.name
    dest.mkdir(parents=True, exist_ok=True)
    for f in files:
        data = (folder / f["name"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != f["sha256"]:
            raise ConflictError(
                f"output {out.name!r}: {f['name']} does not match its release record"
            )
        (dest / f["name"]).write_bytes(data)
    ws.emit(
        ev.OutputDownloaded(
            actor=ws.actor,
            target=f"project:{job.project}",
            details={"job": job.id, "output": out.name, "revision": revision, "dummy": job.dummy},
        )
    )
    return DownloadedOutput(job.id, out.name, revision, tuple(files), str(dest))
