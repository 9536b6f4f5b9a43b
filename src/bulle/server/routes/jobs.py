"""The analysis bubble over HTTP: analysts submit jobs and follow them; checkers review outputs;
released outputs (and outputs of dummy-data jobs) are fetched by their analyst.

A job is sent as its files (text) and runs as a background task; its state is polled at
``/jobs/{job}`` or followed at ``/jobs/{job}/events`` (server-sent events). Every decision is the service's (``governance/access.py``): who may submit,
see, review, mitigate or download. An output leaves only through :func:`output_file`, and only
what :func:`bulle.services.job_outputs.download_output` allows.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from bulle.server.context import RequestContext, authorize

router = APIRouter(prefix="/api/v1", tags=["bubble"])
Ctx = Annotated[RequestContext, Depends(authorize)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class JobRequest(Strict):
    files: dict[str, Annotated[str, Field(max_length=10_000_000)]] = Field(
        min_length=1, max_length=500, description="Relative path -> text of each file of the job"
    )
    entry: str = Field(min_length=1, max_length=200, description="main.py or main.sql")
    dummy: bool = False


class ReviewRequest(Strict):
    decision: Literal["approve", "reject"]
    comment: str = Field(min_length=1, max_length=10_000)


class MitigationRequest(Strict):
    method: Literal["suppress", "round", "opensafely"]


class ExceptionRequest(Strict):
    reason: str = Field(min_length=20, max_length=10_000)


def start_job(ctx: RequestContext, project: str, bundle: Any, dummy: bool) -> tuple[Any, str]:
    """Record the job and run it as a background task (the API's and the pages' one way): the
    job, and the id of its task."""
    from bulle.services.jobs import create_job, run_job

    with ctx.session() as ws:
        job = create_job(ws, project, bundle, dummy=dummy)
    assert ctx.actor is not None

    def work(ws: Any, progress: Any) -> Any:
        progress("running in the sandbox", None)
        return run_job(ws, job.id)

    task = ctx.state.tasks.submit("job", ctx.actor, work)
    return job, task["id"]


@router.post("/projects/{project}/jobs", status_code=202)
def submit(project: str, request: JobRequest, ctx: Ctx) -> JSONResponse:
    """Submit a job to a project; it runs in the sandbox as a task (`bulle job submit`)."""
    from bulle.services.jobs import bundle_from_files

    bundle = bundle_from_files(request.files, request.entry)
    job, task = start_job(ctx, project, bundle, request.dummy)
    return JSONResponse(
        {"job": job.id, "state": job.state.value, "task": task},
        status_code=202,
        headers={"Location": f"/api/v1/jobs/{job.id}"},
    )


@router.get("/projects/{project}/datasets/{dataset}/dummy", response_class=Response)
def dummy(project: str, dataset: str, ctx: Ctx) -> Response:
    """Dummy rows of the project's view of a dataset as CSV: its exact columns, made from its
    profile with no rare value (what a job run with ``dummy`` sees)."""
    from bulle.services.dummy_data import dummy_csv

    with ctx.session() as ws:
        data, served = dummy_csv(ws, project, dataset)
    name = served.ref.replace("@", "-")
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}-dummy.csv"'},
    )


@router.get("/jobs")
def jobs(ctx: Ctx, project: Annotated[str | None, Query(max_length=200)] = None) -> dict[str, Any]:
    """Jobs the caller may see (an analyst: their own)."""
    from bulle.services.jobs import list_jobs

    with ctx.session() as ws:
        return {"jobs": [j.to_dict() for j in list_jobs(ws, project)]}


@router.get("/jobs/{job}")
def job(job: str, ctx: Ctx) -> dict[str, Any]:
    """A job's state and the reason it ended (`bulle job status`)."""
    from bulle.services.jobs import job_status

    with ctx.session() as ws:
        return job_status(ws, job).to_dict()


@router.get("/jobs/{job}/events", response_class=StreamingResponse)
async def job_events(job: str, ctx: Ctx) -> StreamingResponse:
    """The job's state as server-sent events (``job``), one per change, until it ends."""
    from bulle.domain.jobs import JobState
    from bulle.server.events import follow
    from bulle.services.jobs import job_status

    def read() -> dict[str, Any]:
        with ctx.session() as ws:
            found = job_status(ws, job)
        return {"job": found.id, "state": found.state.value, "reason": found.reason}

    ended = {JobState.SUCCEEDED.value, JobState.FAILED.value, JobState.CANCELLED.value}
    return follow(
        await run_in_threadpool(read),
        read,
        lambda shown: shown["state"] in ended,
        name="job",
        max_seconds=float(ctx.state.settings["server.events_max_seconds"]),
    )


@router.get("/jobs/{job}/logs")
def logs(job: str, ctx: Ctx) -> dict[str, Any]:
    from bulle.services.jobs import job_logs

    with ctx.session() as ws:
        return job_logs(ws, job)


@router.get("/jobs/{job}/code")
def code(job: str, ctx: Ctx) -> dict[str, Any]:
    """The code the job ran (its analyst, the checkers, custodians)."""
    from bulle.services.jobs import job_code

    with ctx.session() as ws:
        return {"job": job, "files": job_code(ws, job)}


@router.post("/jobs/{job}/cancel")
def cancel(job: str, ctx: Ctx) -> dict[str, Any]:
    from bulle.services.jobs import cancel_job

    with ctx.session() as ws:
        return cancel_job(ws, job).to_dict()


@router.get("/jobs/{job}/outputs")
def outputs(job: str, ctx: Ctx) -> list[dict[str, Any]]:
    """Each output's latest revision: status and check results (`bulle job outputs`)."""
    from bulle.services.job_outputs import list_outputs

    with ctx.session() as ws:
        return [o.to_dict() for o in list_outputs(ws, job)]


@router.get("/jobs/{job}/outputs/{name}/content")
def content(job: str, name: str, ctx: Ctx) -> dict[str, Any]:
    """What the checks judged, for its reviewers: the rendered table and figures."""
    from bulle.services.output_review import output_content

    with ctx.session() as ws:
        return output_content(ws, job, name).to_dict()


@router.get("/outputs/queue")
def queue(ctx: Ctx) -> list[dict[str, Any]]:
    """Outputs waiting for this checker (never their own)."""
    from bulle.services.job_outputs import review_queue

    with ctx.session() as ws:
        return [o.to_dict() for o in review_queue(ws)]


@router.post("/jobs/{job}/outputs/{name}/review")
def review(job: str, name: str, request: ReviewRequest, ctx: Ctx) -> dict[str, Any]:
    from bulle.services.job_outputs import review_output

    with ctx.session() as ws:
        return review_output(
            ws, job, name, approve=request.decision == "approve", comment=request.comment
        ).to_dict()


@router.post("/jobs/{job}/outputs/{name}/mitigate")
def mitigate(job: str, name: str, request: MitigationRequest, ctx: Ctx) -> dict[str, Any]:
    from bulle.services.job_outputs import mitigate_output

    with ctx.session() as ws:
        return mitigate_output(ws, job, name, request.method).to_dict()


@router.post("/jobs/{job}/outputs/{name}/exception")
def exception(job: str, name: str, request: ExceptionRequest, ctx: Ctx) -> dict[str, Any]:
    from bulle.services.job_outputs import request_exception

    with ctx.session() as ws:
        return request_exception(ws, job, name, request.reason).to_dict()


@router.get("/jobs/{job}/outputs/{name}/download", response_class=Response)
def download(job: str, name: str, ctx: Ctx) -> Response:
    """A released output's files as a zip (its analyst only; checksums verified on the way)."""
    from bulle.services.job_outputs import download_output

    with tempfile.TemporaryDirectory() as d, ctx.session() as ws:
        got = download_output(ws, job, name, Path(d))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for f in got.files:
                z.write(Path(got.to) / f["name"], f["name"])
    return Response(
        buf.getvalue(),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{got.name}-r{got.revision}.zip"',
            "X-Bulle-Revision": str(got.revision),
        },
    )
