"""Governance routes: purposes, legal bases, consents, projects and approvals, project reads and
analyst SQL, subject rights.

A project's rows leave only through :func:`rows` and :func:`query`, both acting as the caller: the
service decides which columns and people the project may see and what its approval's row access
allows (``governance/access.py``); this module only chooses the format.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from bulle.server.context import RequestContext, authorize

router = APIRouter(prefix="/api/v1", tags=["governance"])
Ctx = Annotated[RequestContext, Depends(authorize)]
Basis = Literal[
    "consent", "contract", "legal_obligation", "vital_interests", "public_task",
    "legitimate_interests",
]  # fmt: skip


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class PurposeRequest(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=10_000)
    legal_basis: Basis
    special_categories: bool = False
    art9_condition: str | None = Field(None, max_length=200)
    compatible_with: list[str] = Field(default_factory=list, max_length=1000)


class Choice(Strict):
    subject_id: str = Field(min_length=1, max_length=500)
    purpose: str = Field(min_length=1, max_length=200)
    status: Literal["given", "withdrawn", "objected"]
    at: str | None = Field(None, description="ISO 8601 with a time zone; default: now")
    source: str = Field("api", max_length=200)


class ChoicesRequest(Strict):
    choices: list[Choice] = Field(min_length=1, max_length=100_000)


class Member(Strict):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=40)


class ProjectRequest(Strict):
    name: str = Field(min_length=1, max_length=200)
    purpose: str = Field(min_length=1, max_length=200)
    datasets: dict[str, list[str]] = Field(description="NAME[@N] -> the columns the project needs")
    members: list[Member] = Field(min_length=1)
    valid_from: str
    valid_until: str
    description: str = Field("", max_length=10_000)
    kind: str | dict[str, str] | None = None


class ApproveRequest(Strict):
    allow_raw: bool = False
    row_access: Literal["none", "view", "export"] | None = Field(
        None,
        description="What the project may do with rows: none (aggregates through analyst SQL "
        "only), view (paged rows on screen, audited), export (files; anonymized or synthetic "
        "versions only). Default: none for personal data, export otherwise.",
    )


class QueryRequest(Strict):
    sql: str = Field(min_length=1, max_length=100_000)
    timeout_s: float | None = Field(None, gt=0)


@router.get("/legal-bases")
def legal_bases(ctx: Ctx) -> dict[str, Any]:
    """The GDPR art. 6(1) bases a purpose may declare."""
    from bulle.domain.purposes import LegalBasis

    return {"legal_bases": [b.value for b in LegalBasis]}


@router.get("/purposes")
def purposes(ctx: Ctx) -> dict[str, Any]:
    from bulle.services.governance import list_purposes

    with ctx.session() as ws:
        return {"purposes": [p.to_dict() for p in list_purposes(ws)]}


@router.post("/purposes")
def declare_purpose(request: PurposeRequest, ctx: Ctx) -> dict[str, Any]:
    from bulle.services.governance import declare_purpose as run

    with ctx.session() as ws:
        return run(
            ws,
            request.name,
            request.description,
            request.legal_basis,
            special_categories=request.special_categories,
            art9_condition=request.art9_condition,
            compatible_with=request.compatible_with,
        ).to_dict()


@router.post("/consents")
def consents(request: ChoicesRequest, ctx: Ctx) -> dict[str, Any]:
    """Record consents, withdrawals and objections: one, or many at once (one audit event)."""
    from bulle.domain.consents import Consent, Objection
    from bulle.errors import InputError, Problem, ValidationError, Where
    from bulle.services.governance import now_utc, record_choices

    choices: list[Consent | Objection] = []
    problems = []
    for i, c in enumerate(request.choices):
        when: Any = c.at or now_utc()
        try:
            choices.append(
                Objection(c.subject_id, c.purpose, when, c.source)
                if c.status == "objected"
                else Consent(c.subject_id, c.purpose, c.status, when, c.source)
            )
        except InputError as exc:
            problems.append(Problem(exc.message, Where(field=f"choices.{i}")))
    if problems:
        raise ValidationError.from_problems("invalid choices", problems)
    with ctx.session() as ws:
        return record_choices(ws, choices).to_dict()


@router.get("/projects")
def projects(ctx: Ctx) -> dict[str, Any]:
    from bulle.services.governance import list_projects

    with ctx.session() as ws:
        return {"projects": [p.to_dict() for p in list_projects(ws)]}


@router.post("/projects")
def create_project(request: ProjectRequest, ctx: Ctx) -> dict[str, Any]:
    """Create (or replace, unapproved) a project; it needs a custodian's approval."""
    from bulle.services.governance import create_project as run

    with ctx.session() as ws:
        return run(
            ws,
            request.name,
            request.purpose,
            request.datasets,
            [(m.name, m.role) for m in request.members],
            request.valid_from,
            request.valid_until,
            request.description,
            kind=request.kind,
        ).to_dict()


@router.post("/projects/{project}/approve")
def approve(project: str, request: ApproveRequest, ctx: Ctx) -> dict[str, Any]:
    """Approve a project, with its row access (the project's decision on rows)."""
    from bulle.services.governance import approve_project

    with ctx.session() as ws:
        return approve_project(
            ws, project, allow_raw=request.allow_raw, row_access=request.row_access
        ).to_dict()


@router.get(
    "/projects/{project}/datasets/{ref}/rows",
    responses={
        200: {
            "description": "The rows, in the format asked",
            "content": {m.split(";")[0]: {} for m in ("text/csv",)},
        }
    },
)
def rows(
    project: str,
    ref: str,
    request: Request,
    ctx: Ctx,
    format: Literal["json", "arrow", "parquet", "csv", "jsonl"] | None = None,
    column: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=0, le=100_000)] = 20,
) -> Response:
    """Rows of ``ref`` the project may see: its declared columns, people whose choices allow it.

    JSON (the default) is what `bulle read --json` prints, at most ``limit`` rows shown; a file
    format (``?format=`` or Accept) streams every row, and only under ``export`` row access."""
    from bulle.server.formats import negotiate, stream_table
    from bulle.services.governance import read_served
    from bulle.services.rows import json_rows

    fmt = negotiate(format, request.headers.get("accept"))
    with ctx.session() as ws:
        table, v = read_served(
            ws, project, ref, column or None, delivery="show" if fmt == "json" else "file"
        )
        tmp = ws.tmp_dir
    if fmt != "json":
        return stream_table(table, fmt, tmp, v.ref.replace("@", "-v"))
    return JSONResponse(
        {
            "ref": ref,
            "version": v.ref,
            "project": project,
            "rows": table.num_rows,
            "columns": table.column_names,
            "data": json_rows(table.slice(0, limit)),
        }
    )


JSON_ROWS = 1000  # rows of a query's result shown, as `bulle query --json` (the rest counted)


@router.post("/projects/{project}/query")
def query(project: str, request: QueryRequest, ctx: Ctx) -> dict[str, Any]:
    """Analyst SQL over the project's datasets on a locked-down connection (`bulle query`)."""
    from bulle.governance.limits import check_timeout
    from bulle.services.governance import stream_query_for_project
    from bulle.services.rows import json_rows

    shown: list[dict[str, Any]] = []
    with ctx.session() as ws:
        timeout = (
            None
            if request.timeout_s is None
            else check_timeout(
                str(request.timeout_s), "timeout_s", ws.settings["query.timeout_max_s"]
            )
        )
        with stream_query_for_project(
            ws, project, request.sql, timeout_s=timeout, delivery="show"
        ) as result:
            columns = result.schema.names
            for batch in result:
                if len(shown) < JSON_ROWS:
                    shown.extend(json_rows(batch.slice(0, JSON_ROWS - len(shown))))
            count = result.rows
    return {"project": project, "rows": count, "columns": columns, "data": shown}


@router.get("/subjects/{subject_id}/access-report")
def access_report(subject_id: str, ctx: Ctx) -> dict[str, Any]:
    """Which versions hold the person's data, which projects read it, their choices."""
    from bulle.services.subject_rights import access_report as run

    with ctx.session() as ws:
        result = run(ws, subject_id)
    return result.to_dict() if hasattr(result, "to_dict") else result


@router.post("/subjects/{subject_id}/erasure", status_code=202)
def erasure(subject_id: str, ctx: Ctx) -> JSONResponse:
    """Erase the person from every version holding them, as a background task."""
    assert ctx.actor is not None

    def work(ws: Any, progress: Any) -> Any:
        from bulle.services.subject_rights import erase_subject

        progress("erasing", None)
        return erase_subject(ws, subject_id)

    task = ctx.state.tasks.submit("erasure", ctx.actor, work)
    return JSONResponse(task, status_code=202, headers={"Location": f"/api/v1/tasks/{task['id']}"})


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
