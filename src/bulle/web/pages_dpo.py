"""The DPO's pages (the custodian's too): the audit log, its verification, a person's access
report as a letter in French (GDPR art. 15), the erasure workflow and the record of processing
activities (GDPR art. 30), printable and exported as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.responses import RedirectResponse as Redirect

from bulle.server.context import RequestContext, authorize
from bulle.web.render import page

router = APIRouter(include_in_schema=False)
Ctx = Annotated[RequestContext, Depends(authorize)]


def matches(
    entry: dict[str, Any], who: str, what: str, target: str, since: str, until: str
) -> bool:
    event = entry.get("event", {})
    actor = event.get("actor") or {}
    at = str(event.get("at", ""))
    return (
        (not who or who.lower() in str(actor.get("name", "")).lower())
        and (not what or what == event.get("kind"))
        and (not target or target.lower() in str(event.get("target") or "").lower())
        and (not since or at[:10] >= since)
        and (not until or at[:10] <= until)
    )


@router.get("/audit")
def audit(
    request: Request,
    ctx: Ctx,
    who: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str, Query(max_length=100)] = "",
    target: Annotated[str, Query(max_length=300)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> HTMLResponse:
    """The log, newest first, filtered by who, what, which dataset or project and when (its
    reading is itself recorded by the service)."""
    from bulle.audit.events import EVENT_KINDS
    from bulle.services.audit import read_workspace_log

    with ctx.session() as ws:
        per_page = int(ws.settings["web.page_rows"])
        entries = read_workspace_log(ws, limit=0, kind=kind or None).entries
    kept = [e for e in reversed(entries) if matches(e, who, kind, target, since, until)]
    pages = max(1, -(-len(kept) // per_page))
    page_no = min(page_no, pages)
    return page(
        request,
        ctx,
        "audit.html",
        entries=kept[(page_no - 1) * per_page : page_no * per_page],
        total=len(kept),
        kinds=sorted(EVENT_KINDS.names()),
        filters={"who": who, "kind": kind, "target": target, "since": since, "until": until},
        page_no=page_no,
        pages=pages,
        verified=None,
    )


@router.post("/audit/verify")
def verify(request: Request, ctx: Ctx) -> HTMLResponse:
    """Verify the chain, its signatures, head and witnesses; the verdict is shown whatever it is."""
    from bulle.services.audit import verify_workspace_log, witness_status

    with ctx.session() as ws:
        report = verify_workspace_log(ws, workers=1)
        witnesses = witness_status(ws)
    verdict = {**report.to_dict(), "message": report.message(), "witness_status": witnesses}
    return page(request, ctx, "verify.html", verdict=verdict, status=200 if report.ok else 409)


# -- data subjects -----------------------------------------------------------------------------------
@router.get("/subjects")
def subjects(request: Request, ctx: Ctx) -> HTMLResponse:
    return page(request, ctx, "subjects.html")


@router.get("/subjects/report")
def subject_report(
    request: Request, ctx: Ctx, subject: Annotated[str, Query(min_length=1, max_length=500)]
) -> HTMLResponse:
    """The access report as a letter in French the DPO can send to the person (art. 15)."""
    from bulle.services.governance import list_purposes
    from bulle.services.register import processing_register
    from bulle.services.subject_rights import access_report

    with ctx.session() as ws:
        report = access_report(ws, subject.strip()).to_dict()
        purposes = {p.name: p.to_dict() for p in list_purposes(ws)}
        register = processing_register(ws).to_dict()
    used = sorted(
        {r["purpose"] for r in report["reads"]}
        | {c.get("purpose") for c in report["choices"] if c.get("purpose")}
    )
    return page(
        request,
        ctx,
        "access_report.html",
        report=report,
        purposes=[purposes[p] for p in used if p in purposes],
        register=register,
        activities={a["purpose"]: a for a in register["activities"]},
        today=dt.date.today().isoformat(),
    )


@router.post("/subjects/erase")
def erase(ctx: Ctx, subject: Annotated[str, Form(min_length=1, max_length=500)]) -> Response:
    """Erase the person everywhere, as a background task; its page ends with the receipt."""
    subject_id = subject.strip()

    def work(ws: Any, progress: Any) -> Any:
        from bulle.services.subject_rights import erase_subject

        progress("erasing", None)
        return erase_subject(ws, subject_id)

    assert ctx.actor is not None
    task = ctx.state.tasks.submit("erasure", ctx.actor, work)
    return Redirect(f"/tasks/{task['id']}", status_code=303)


# -- record of processing activities ----------------------------------------------------------------
def _register(ctx: RequestContext) -> dict[str, Any]:
    from bulle.services.register import processing_register

    with ctx.session() as ws:
        return processing_register(ws).to_dict()


@router.get("/register")
def register(request: Request, ctx: Ctx) -> HTMLResponse:
    return page(request, ctx, "register.html", register=_register(ctx))


CSV_COLUMNS = (
    "purpose", "description", "legal_basis", "special_categories", "art9_condition", "datasets",
    "data_categories", "people", "projects", "recipients", "retention", "sources",
)  # fmt: skip


@router.get("/register.csv")
def register_csv(ctx: Ctx) -> Response:
    """The record as CSV (one activity a line; lists joined with ``; ``), with the controller
    and the security measures in the first lines' columns of their own."""
    found = _register(ctx)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["controller", *CSV_COLUMNS, "security_measures"])
    measures = "; ".join(found["security_measures"])
    for a in found["activities"]:
        cells = ["; ".join(v) if isinstance(v, list) else v for v in (a[c] for c in CSV_COLUMNS)]
        writer.writerow([found["controller"], *cells, measures])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": 'attachment; filename="registre-des-traitements.csv"',
            "cache-control": "no-store",
        },
    )


@router.post("/register/details")
async def register_details(request: Request, ctx: Ctx) -> Response:
    """Set a purpose's, dataset's or project's register fields (from the page showing it)."""
    from bulle.catalog.register_store import FIELDS
    from bulle.services.register import set_register_details
    from bulle.web.errors import safe_next

    form = await request.form()
    kind, name = str(form.get("kind", "")), str(form.get("name", ""))
    fields = {k: str(form.get(k, "")) for k in FIELDS.get(kind, ())}
    with ctx.session() as ws:
        set_register_details(ws, kind, name, fields)
    return Redirect(safe_next(str(form.get("next", "/register"))), status_code=303)
