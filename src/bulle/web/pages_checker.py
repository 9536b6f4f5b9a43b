"""The output checker's pages: the review queue, and each output beside its checks and its code.

A checker decides on what would leave: the output's content as the checks judged it, each rule's
outcome and reason with the cells it flagged, the analyst's justification if they asked for an
exception, the reviews already given, and the code that produced it. The decision is the
service's (two approvals by two checkers, never the output's own analyst: ``review_output``); the
page offers the form only where ``access.can_review_output`` allows it, and shows its reason
otherwise.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bulle.errors import NotFoundError, Where
from bulle.server.context import RequestContext, authorize
from bulle.web.render import page

router = APIRouter(include_in_schema=False)
Ctx = Annotated[RequestContext, Depends(authorize)]


@router.get("/outputs")
def queue(request: Request, ctx: Ctx) -> HTMLResponse:
    """Outputs waiting for this checker (never their own, never one they already reviewed)."""
    from bulle.services.job_outputs import review_queue
    from bulle.services.jobs import job_status

    with ctx.session() as ws:
        rows = []
        for o in review_queue(ws):
            job = job_status(ws, o.job)
            failed = [c["rule"] for c in o.checks if c.get("outcome") != "pass"]
            rows.append({**o.to_dict(), "project": job.project, "failed": failed})
    return page(request, ctx, "outputs_queue.html", outputs=rows)


def review_view(ctx: RequestContext, jid: str, name: str) -> dict[str, Any]:
    from bulle.domain.jobs import OutputStatus
    from bulle.governance import access
    from bulle.services.job_outputs import list_outputs
    from bulle.services.jobs import job_code, job_status
    from bulle.services.output_review import output_content

    assert ctx.actor is not None
    with ctx.session() as ws:
        job = job_status(ws, jid)
        found = [o for o in list_outputs(ws, job.id) if o.name == name]
        if not found:
            raise NotFoundError(f"job {job.id} has no output {name!r}", Where(field="name"))
        out = found[0]
        content = output_content(ws, job.id, out.name).to_dict()
        code = job_code(ws, job.id)
    rule = access.can_review_output(ctx.actor, job.analyst, (r.checker for r in out.reviews))
    reviewable = out.status is OutputStatus.NEEDS_REVIEW or (
        out.status is OutputStatus.BLOCKED and bool(out.exception_reason)
    )
    return {
        "job": job.to_dict(),
        "output": out.to_dict(),
        "content": content,
        "code": code,
        "may_review": rule.allowed and reviewable,
        "review_refusal": "" if rule.allowed else rule.reason,
        "reviewable": reviewable,
    }


@router.get("/jobs/{job}/outputs/{name}")
def review_page(job: str, name: str, request: Request, ctx: Ctx) -> HTMLResponse:
    return page(request, ctx, "output_review.html", **review_view(ctx, job, name))


@router.post("/jobs/{job}/outputs/{name}/review")
def review(
    job: str,
    name: str,
    ctx: Ctx,
    decision: Annotated[str, Form(pattern="^(approve|reject)$")],
    comment: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """Approve or reject, with a comment; back to the queue."""
    from bulle.services.job_outputs import review_output

    with ctx.session() as ws:
        review_output(ws, job, name, approve=decision == "approve", comment=comment)
    return RedirectResponse("/outputs", status_code=303)
