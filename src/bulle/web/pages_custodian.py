"""The custodian's pages: datasets, versions and their lineage, upload import, profile and roles,
pseudonymization, purposes, consents and projects. Anonymization has its own module
(:mod:`bulle.web.pages_anonymize`).

Each handler makes the same service call as the API route or the CLI command of the same name,
in a workspace session acting as the signed-in custodian; a change answers ``303`` to the page
that shows its effect (post/redirect/get), so a reload never repeats it.
"""

from __future__ import annotations

import shutil
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.responses import RedirectResponse as Redirect

from bulle.errors import InputError, Where
from bulle.server.context import RequestContext, authorize
from bulle.web import uploads
from bulle.web.lineage import lineage_svg
from bulle.web.render import page

router = APIRouter(include_in_schema=False)
Ctx = Annotated[RequestContext, Depends(authorize)]
FORMATS = ("csv", "parquet", "jsonl")
ROLES = (
    "subject_id",
    "direct_identifier",
    "quasi_identifier",
    "special_category",
    "free_text",
    "other",
)


def see_other(target: str) -> Redirect:
    return Redirect(target, status_code=303)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.get("/datasets")
def datasets(request: Request, ctx: Ctx) -> HTMLResponse:
    from bulle.services.vault import list_datasets

    with ctx.session() as ws:
        found = list_datasets(ws)
    return page(request, ctx, "datasets.html", datasets=found)


@router.get("/datasets/{name}")
def dataset(name: str, request: Request, ctx: Ctx) -> HTMLResponse:
    """Every version of a dataset, its lineage drawn as a graph, and what can be done next."""
    from bulle.services.governance import list_purposes, store
    from bulle.services.register import register_details
    from bulle.services.vault import dataset_versions
    from bulle.web.i18n import format_number, gettext, language_of

    lang = language_of(request.cookies)
    _ = gettext(lang)
    with ctx.session() as ws:
        versions = [v.to_dict() for v in dataset_versions(ws, name)]
        purposes = [p.name for p in list_purposes(ws)]
        purpose = store(ws).dataset_purpose(name)
        details = register_details(ws, "dataset").get(name, {})
    return page(
        request,
        ctx,
        "dataset.html",
        name=name,
        versions=versions,
        graph=lineage_svg(versions, _("Lineage"), _("rows"), lambda n: format_number(n, lang)),
        purposes=purposes,
        purpose=purpose,
        details=details,
    )


@router.post("/datasets/{name}/purpose")
def dataset_purpose(name: str, ctx: Ctx, purpose: Annotated[str, Form(max_length=200)]) -> Response:
    from bulle.services.governance import set_dataset_purpose

    with ctx.session() as ws:
        set_dataset_purpose(ws, name, purpose)
    return see_other(f"/datasets/{name}")


# -- upload import -------------------------------------------------------------------------------
@router.get("/import")
def import_form(request: Request, ctx: Ctx) -> HTMLResponse:
    return page(request, ctx, "import.html", formats=FORMATS)


@router.post("/upload/import")
async def import_upload(request: Request, ctx: Ctx) -> Response:
    """The upload form: the file is streamed to the workspace's private temporary folder, then
    imported by a background task (the same atomic version commit as the CLI); the browser is
    sent to the task's page, or (from the page's script) told its id."""
    from bulle.domain.datasets import validate_dataset_name

    upload = await uploads.receive(request, ctx.state.root, "file", ".upload")
    try:
        name = upload.fields.get("dataset", "").strip()
        validate_dataset_name(name)
        fmt = upload.fields.get("format") or "csv"
        if fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r}: {', '.join(FORMATS)}", Where(field="format"))
        delimiter = upload.fields.get("delimiter") or None
        if delimiter in ("\\t", "tab"):
            delimiter = "\t"
        target = upload.file.with_suffix("." + fmt)  # type: ignore[union-attr]
        upload.file.rename(target)  # type: ignore[union-attr]
        folder = upload.folder

        def work(ws: Any, progress: Any) -> dict[str, Any]:
            from bulle.server.routes.vault import imported
            from bulle.services.vault import import_table

            try:
                progress("importing", None)
                with upload.as_sent():
                    v = import_table(ws, target, name, fmt=fmt, delimiter=delimiter)
                return imported(ws, v)
            finally:
                shutil.rmtree(folder, ignore_errors=True)

        assert ctx.actor is not None
        task = ctx.state.tasks.submit("import", ctx.actor, work)
    except BaseException:
        shutil.rmtree(upload.folder, ignore_errors=True)
        raise
    if wants_json(request):
        return JSONResponse({"task": task["id"], "page": f"/tasks/{task['id']}"}, status_code=202)
    return see_other(f"/tasks/{task['id']}")


# -- profile and roles ---------------------------------------------------------------------------
@router.get("/versions/{ref}/profile")
def profile(ref: str, request: Request, ctx: Ctx) -> HTMLResponse:
    """Each column's statistics with the role Bulle suggests and why, confirmed in one form."""
    from bulle.services.vault import profile_dataset

    with ctx.session() as ws:
        found = profile_dataset(ws, ref).to_dict()
    return page(request, ctx, "profile.html", profile=found, roles=ROLES)


@router.post("/versions/{ref}/roles")
async def confirm_roles(ref: str, request: Request, ctx: Ctx) -> Response:
    """Confirm every suggested role, with the custodian's changes (``role:COLUMN`` fields)."""
    from bulle.services.vault import profile_dataset, set_roles

    form = await request.form()
    chosen = {k[5:]: str(v) for k, v in form.multi_items() if k.startswith("role:")}
    with ctx.session() as ws:
        current = {c["name"]: c.get("role") for c in profile_dataset(ws, ref).to_dict()["columns"]}
        changes = {c: r for c, r in chosen.items() if current.get(c) != r}
        set_roles(ws, ref, changes, confirm_all=True)
    return see_other(f"/versions/{ref}/profile")


@router.post("/versions/{ref}/pseudonymize")
def pseudonymize(ref: str, ctx: Ctx) -> Response:
    """Replace the direct identifiers with keyed tokens, in a new version."""
    from bulle.services.pseudonymization import pseudonymize as run

    with ctx.session() as ws:
        run(ws, ref)
    return see_other(f"/datasets/{ref.partition('@')[0]}")


# -- purposes ------------------------------------------------------------------------------------
@router.get("/purposes")
def purposes(request: Request, ctx: Ctx) -> HTMLResponse:
    from bulle.domain.purposes import LegalBasis, SpecialCategoryCondition
    from bulle.services.governance import list_purposes
    from bulle.services.register import register_details

    with ctx.session() as ws:
        found = [p.to_dict() for p in list_purposes(ws)]
        details = register_details(ws, "purpose")
    return page(
        request,
        ctx,
        "purposes.html",
        purposes=found,
        details=details,
        bases=[b.value for b in LegalBasis],
        conditions=[c.value for c in SpecialCategoryCondition],
    )


@router.post("/purposes")
def declare_purpose(
    ctx: Ctx,
    name: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=10_000)],
    legal_basis: Annotated[str, Form(max_length=40)],
    art9_condition: Annotated[str, Form(max_length=200)] = "",
    special_categories: Annotated[bool, Form()] = False,
) -> Response:
    from bulle.services.governance import declare_purpose as run

    with ctx.session() as ws:
        run(
            ws,
            name.strip(),
            description.strip(),
            legal_basis,
            special_categories=special_categories,
            art9_condition=art9_condition or None,
        )
    return see_other("/purposes")


# -- consents ------------------------------------------------------------------------------------
@router.get("/consents")
def consents(
    request: Request, ctx: Ctx, subject: str = "", recorded: int | None = None
) -> HTMLResponse:
    """Import choices from a CSV file; search one person's choices (a recorded access report)."""
    report = None
    if subject.strip():
        from bulle.services.subject_rights import access_report

        with ctx.session() as ws:
            report = access_report(ws, subject.strip()).to_dict()
    return page(request, ctx, "consents.html", subject=subject, report=report, recorded=recorded)


@router.post("/consents/import")
async def import_consents(request: Request, ctx: Ctx) -> Response:
    from bulle.services.governance import read_choices_csv, record_choices

    upload = await uploads.receive(request, ctx.state.root, "file", ".csv")
    try:
        with upload.as_sent():
            choices = read_choices_csv(upload.file)
        with ctx.session() as ws:
            result = record_choices(ws, choices).to_dict()
    finally:
        shutil.rmtree(upload.folder, ignore_errors=True)
    count = next((v for k, v in result.items() if isinstance(v, int)), len(choices))
    return see_other(f"/consents?recorded={count}")


# -- projects ------------------------------------------------------------------------------------
@router.get("/projects")
def projects(request: Request, ctx: Ctx) -> HTMLResponse:
    from bulle.domain.projects import RowAccess
    from bulle.services.governance import list_projects, list_purposes
    from bulle.services.register import register_details

    with ctx.session() as ws:
        found = [p.to_dict() for p in list_projects(ws)]
        details = register_details(ws, "project")
        purposes = [p.name for p in list_purposes(ws)]
    return page(
        request,
        ctx,
        "projects.html",
        projects=found,
        details=details,
        purposes=purposes,
        row_access=[r.value for r in RowAccess],
    )


def parse_lines(text: str, field: str, sep: str) -> list[tuple[str, str]]:
    """``LEFT<sep>RIGHT`` lines of a text area, every bad line named at once."""
    from bulle.errors import Problem, ValidationError

    out, problems = [], []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        left, found, right = line.partition(sep)
        if not found or not left.strip() or not right.strip():
            problems.append(
                Problem(
                    f"expected LEFT{sep}RIGHT, got {line.strip()!r}", Where(field=field, line=i)
                )
            )
        else:
            out.append((left.strip(), right.strip()))
    if problems:
        raise ValidationError.from_problems(f"the {field} field", problems)
    return out


@router.post("/projects")
def create_project(
    ctx: Ctx,
    name: Annotated[str, Form(max_length=200)],
    purpose: Annotated[str, Form(max_length=200)],
    datasets: Annotated[str, Form(max_length=10_000)],
    members: Annotated[str, Form(max_length=10_000)],
    valid_from: Annotated[str, Form(max_length=40)],
    valid_until: Annotated[str, Form(max_length=40)],
    description: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """A project: its datasets (``NAME[@N]: col, col`` per line), members (``name:role``)."""
    from bulle.services.governance import create_project as run

    uses = {
        d: [c.strip() for c in cols.split(",") if c.strip()]
        for d, cols in parse_lines(datasets, "datasets", ":")
    }
    people = parse_lines(members, "members", ":")
    start, end = (d + "T00:00:00+00:00" if len(d) == 10 else d for d in (valid_from, valid_until))
    with ctx.session() as ws:
        run(ws, name.strip(), purpose, uses, people, start, end, description.strip())
    return see_other("/projects")


@router.post("/projects/{project}/approve")
def approve(
    project: str,
    ctx: Ctx,
    row_access: Annotated[str, Form(max_length=20)] = "",
    allow_raw: Annotated[bool, Form()] = False,
) -> Response:
    from bulle.services.governance import approve_project

    with ctx.session() as ws:
        approve_project(ws, project, allow_raw=allow_raw, row_access=row_access or None)
    return see_other("/projects")
