"""The analyst's jobs in a project: submit code, follow a job, its outputs and their checks, ask
for an exception or a mitigation, download what was released.

Every decision is the services' (``services/jobs.py``, ``services/job_outputs.py``, deciding with
``governance/access.py``); a page offers an action only where the same access rule allows it,
and says the rule's reason where it does not (the logs of a real-data run, an output not yet
released). A job page follows its job live over server-sent events (``/api/v1/jobs/ID/events``);
without JavaScript it refreshes itself until the job ends.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bulle.errors import InputError, Where
from bulle.server.context import RequestContext, authorize
from bulle.web.pages_analyst import member_project
from bulle.web.render import page

router = APIRouter(include_in_schema=False)
Ctx = Annotated[RequestContext, Depends(authorize)]
LANGUAGES = {"python": "main.py", "sql": "main.sql"}
RUNNING = ("queued", "running")


def see_other(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


@router.get("/projects/{project}/jobs")
def jobs_page(project: str, request: Request, ctx: Ctx) -> HTMLResponse:
    """The analyst's jobs in the project, the form to submit one, and the dummy data to write it
    against."""
    from bulle.services.jobs import list_jobs

    found = member_project(ctx, project)
    with ctx.session() as ws:
        jobs = [j.to_dict() for j in list_jobs(ws, found.name)]
    return page(request, ctx, "jobs.html", project=found.to_dict(), jobs=jobs)


async def _code_from_form(request: Request) -> tuple[dict[str, str], str, bool]:
    """The job's one file (uploaded, or typed in the form), its entry point, and whether it runs
    on dummy data (the upload's temporary file is closed on the way out)."""
    async with request.form() as form:
        dummy = str(form.get("data", "dummy")) != "real"
        upload = form.get("file")
        if upload is not None and not isinstance(upload, str) and upload.filename:
            name = upload.filename.rsplit("/", 1)[-1]
            suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
            if suffix not in (".py", ".sql"):
                raise InputError("a job file is a .py or .sql file", Where(file=name))
            try:
                text = (await upload.read()).decode("utf-8")
            except UnicodeDecodeError:
                raise InputError("a job file is UTF-8 text", Where(file=name)) from None
            return {"main" + suffix: text}, "main" + suffix, dummy
        code = str(form.get("code", ""))
        language = str(form.get("language", "python"))
    if not code.strip():
        raise InputError("write the job's code, or choose a file", Where(field="code"))
    if language not in LANGUAGES:
        raise InputError(f"unknown language {language!r}", Where(field="language"))
    entry = LANGUAGES[language]
    return {entry: code.replace("\r\n", "\n")}, entry, dummy


@router.post("/projects/{project}/jobs")
async def submit(project: str, request: Request, ctx: Ctx) -> Response:
    """Submit the job as the API does (the same task); its page follows it."""
    from fastapi.concurrency import run_in_threadpool

    from bulle.server.routes.jobs import start_job
    from bulle.services.jobs import bundle_from_files

    files, entry, dummy = await _code_from_form(request)
    bundle = bundle_from_files(files, entry)
    job, _task = await run_in_threadpool(start_job, ctx, project, bundle, dummy)
    return see_other(f"/jobs/{job.id}")


def job_view(ctx: RequestContext, jid: str) -> dict[str, Any]:
    """What the job page shows, each action with the access rule's verdict for this caller."""
    from bulle.domain.jobs import OutputStatus
    from bulle.governance import access
    from bulle.services.job_outputs import list_outputs
    from bulle.services.jobs import job_code, job_logs, job_status

    assert ctx.actor is not None
    actor = ctx.actor
    with ctx.session() as ws:
        job = job_status(ws, jid)
        code = job_code(ws, job.id)
        outputs = list_outputs(ws, job.id) if job.state.value not in RUNNING else []
        logs_rule = access.can_read_job_logs(actor, job.analyst, dummy=job.dummy)
        logs = job_logs(ws, job.id) if logs_rule.allowed else None
        shown = []
        for o in outputs:
            released = o.status is OutputStatus.RELEASED  # its release record is written with it
            download = access.can_download_output(
                actor, job.analyst, released=released, dummy=job.dummy
            )
            change = access.can_change_output(actor, job.analyst)
            review = access.can_review_output(actor, job.analyst, (r.checker for r in o.reviews))
            shown.append(
                {
                    **o.to_dict(),
                    "download": download.allowed,
                    "download_refusal": "" if download.allowed else download.reason,
                    "may_ask_exception": change.allowed
                    and o.status is OutputStatus.BLOCKED
                    and not o.exception_reason,
                    "may_mitigate": change.allowed and o.status is OutputStatus.BLOCKED,
                    "may_review": review.allowed,
                }
            )
    return {
        "job": job.to_dict(),
        "code": code,
        "logs": logs,
        "logs_refusal": "" if logs_rule.allowed else logs_rule.reason,
        "outputs": shown,
        "running": job.state.value in RUNNING,
    }


@router.get("/jobs/{job}")
def job_page(job: str, request: Request, ctx: Ctx) -> HTMLResponse:
    return page(request, ctx, "job.html", **job_view(ctx, job))


@router.post("/jobs/{job}/outputs/{name}/exception")
def ask_exception(
    job: str,
    name: str,
    ctx: Ctx,
    reason: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """A blocked output joins the checkers' queue as it is, with the analyst's justification."""
    from bulle.services.job_outputs import request_exception

    with ctx.session() as ws:
        out = request_exception(ws, job, name, reason)
    return see_other(f"/jobs/{out.job}#output-{out.name}")


@router.post("/jobs/{job}/outputs/{name}/mitigate")
def mitigate(
    job: str, name: str, ctx: Ctx, method: Annotated[str, Form(max_length=50)]
) -> Response:
    """A new revision of a blocked output, mitigated by one of the methods its checks offered."""
    from bulle.services.job_outputs import mitigate_output

    with ctx.session() as ws:
        out = mitigate_output(ws, job, name, method)
    return see_other(f"/jobs/{out.job}#output-{out.name}")
