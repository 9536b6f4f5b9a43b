"""The analyst's pages: my projects, what each may see, a paged preview and an SQL console.

Rows reach the page only through ``read_served`` (delivery ``show``) and the locked-down analyst
SQL, both acting as the signed-in analyst: the services decide membership, purpose, consent,
expiry and row access, and a refusal is shown as the page of its reason (``bulle.web.errors``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse

from bulle.errors import AccessDenied
from bulle.server.context import RequestContext, authorize
from bulle.web.render import page

router = APIRouter(include_in_schema=False)
Ctx = Annotated[RequestContext, Depends(authorize)]


def _mine(ctx: RequestContext) -> list[Any]:
    from bulle.services.governance import list_projects

    assert ctx.caller is not None
    name = ctx.caller.principal.name
    with ctx.session() as ws:
        return [p for p in list_projects(ws) if p.member(name) is not None]


@router.get("/my/projects")
def my_projects(request: Request, ctx: Ctx) -> HTMLResponse:
    return page(request, ctx, "my_projects.html", projects=[p.to_dict() for p in _mine(ctx)])


def member_project(ctx: RequestContext, name: str) -> Any:
    """The project as its members (and the custodian) see it; anyone else is told they are not
    a member, as the services would answer for its rows."""
    from bulle.services.governance import store

    assert ctx.caller is not None and ctx.actor is not None
    with ctx.session() as ws:
        project = store(ws).project(name)
    if ctx.actor.role.value != "custodian" and project.member(ctx.caller.principal.name) is None:
        raise AccessDenied(f"{ctx.caller.principal.name} is not a member of project {name!r}")
    return project


def _view(request: Request, ctx: RequestContext, project: Any, **values: Any) -> HTMLResponse:
    base = {"rows": None, "result": None, "sql": "", "ref": "", "page_no": 1, "pages": 1}
    return page(request, ctx, "project.html", project=project.to_dict(), **{**base, **values})


@router.get("/projects/{project}")
def project_page(project: str, request: Request, ctx: Ctx) -> HTMLResponse:
    return _view(request, ctx, member_project(ctx, project))


@router.get("/projects/{project}/rows")
def preview(
    project: str,
    request: Request,
    ctx: Ctx,
    ref: Annotated[str, Query(min_length=1, max_length=300)],
    page_no: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> HTMLResponse:
    """A page of the rows the project may see, on screen (row access ``view`` or more)."""
    from bulle.services.governance import read_served
    from bulle.services.rows import json_rows

    found = member_project(ctx, project)
    with ctx.session() as ws:
        per_page = int(ws.settings["web.page_rows"])
        table, v = read_served(ws, project, ref.strip(), None, delivery="show")
    pages = max(1, -(-table.num_rows // per_page))
    page_no = min(page_no, pages)
    shown = json_rows(table.slice((page_no - 1) * per_page, per_page))
    return _view(
        request,
        ctx,
        found,
        ref=ref,
        rows={
            "version": v.ref,
            "total": table.num_rows,
            "columns": table.column_names,
            "data": shown,
        },
        page_no=page_no,
        pages=pages,
    )


@router.post("/projects/{project}/sql")
def sql_console(
    project: str,
    request: Request,
    ctx: Ctx,
    sql: Annotated[str, Form(min_length=1, max_length=100_000)],
) -> HTMLResponse:
    """Analyst SQL over the project's views on the locked-down connection; the first page shown."""
    from bulle.services.governance import stream_query_for_project
    from bulle.services.rows import json_rows

    found = member_project(ctx, project)
    shown: list[dict[str, Any]] = []
    with ctx.session() as ws:
        per_page = int(ws.settings["web.page_rows"])
        with stream_query_for_project(ws, project, sql) as result:
            columns = result.schema.names
            for batch in result:
                if len(shown) < per_page:
                    shown.extend(json_rows(batch.slice(0, per_page - len(shown))))
            count = result.rows
    return _view(
        request, ctx, found, sql=sql, result={"total": count, "columns": columns, "data": shown}
    )
