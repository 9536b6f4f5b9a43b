"""Anonymizing a version from the browser: a form built from the registered privacy models and
metrics (never a restated list), hierarchies built from the data by the same builders as
`bulle hierarchy build`, the release run as a background task, and its risk report embedded.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.responses import RedirectResponse as Redirect

from bulle.errors import Problem, ValidationError, Where
from bulle.server.context import RequestContext, authorize
from bulle.web.render import page

router = APIRouter(include_in_schema=False)
Ctx = Annotated[RequestContext, Depends(authorize)]
TREATMENTS = ("generalize", "sensitive", "drop", "keep")
# Which text field of the form feeds which parameter of a hierarchy recipe.
RECIPE_PARAM = {
    "date": "levels",
    "mask": "keep",
    "interval": "width",
    "ordered": "order",
    "nir": "keep",
}


def model_fields() -> list[dict[str, Any]]:
    """One field per privacy model option, as the registry declares it."""
    from bulle.domain.model_options import dest, option_groups, repeatable, usage

    return [
        {
            "name": dest(option),
            "option": option,
            "usage": " | ".join(usage(m) for m in models),
            "repeatable": repeatable(models),
            "doc": (models[0].__doc__ or "").strip().split("\n")[0],
        }
        for option, models in option_groups().items()
    ]


def default_treatment(role: str | None) -> str:
    return {"quasi_identifier": "generalize", "special_category": "sensitive"}.get(
        role or "", "drop"
    )


PREVIEW_ROWS = 8  # rows of each hierarchy shown before running


@router.get("/versions/{ref}/anonymize")
def anonymize_form(ref: str, request: Request, ctx: Ctx) -> HTMLResponse:
    return _form_page(request, ctx, ref, None, {})


def _form_page(
    request: Request, ctx: RequestContext, ref: str, form: Any, previews: dict[str, Any]
) -> HTMLResponse:
    """The form, with the defaults of the columns' roles or, after a preview, what was chosen."""
    from bulle.anonymization.metrics import METRICS
    from bulle.domain.anonymization_requests import HIERARCHY_KINDS
    from bulle.services.hierarchies import stored_hierarchies
    from bulle.services.vault import profile_dataset

    with ctx.session() as ws:
        profile = profile_dataset(ws, ref).to_dict()
        stored = [h.to_dict() for h in stored_hierarchies(ws)]
    columns = []
    for c in profile["columns"]:
        kind = "date" if "date" in str(c.get("type", "")).lower() else "flat"
        chosen = {
            "treatment": default_treatment(c.get("role")),
            "kind": kind,
            "param": "",
            "stored": "",
        }
        if form is not None:
            for key in chosen:
                prefix = "treat" if key == "treatment" else key
                chosen[key] = str(form.get(f"{prefix}:{c['name']}", chosen[key]))
        columns.append({**c, **chosen, "choices": [h for h in stored if h["column"] == c["name"]]})
    return page(
        request,
        ctx,
        "anonymize.html",
        ref=profile["ref"],
        columns=columns,
        treatments=TREATMENTS,
        kinds=HIERARCHY_KINDS,
        models=model_fields(),
        metrics=list(METRICS.names()),
        values={k: str(v) for k, v in form.items()} if form is not None else {},
        previews=previews,
    )


def preview_hierarchies(
    ctx: RequestContext, ref: str, recipes: dict[str, Any], files: dict[str, str] | None = None
) -> dict[str, Any]:
    """The first rows of each hierarchy the form would use: a stored one as it is kept, the others
    built by the same builders from the version's values (written to a private temporary file,
    read back, removed)."""
    from bulle.services.hierarchies import build_version_hierarchy

    out: dict[str, Any] = {}
    for column, file in (files or {}).items():
        with open(file, encoding="utf-8") as f:
            rows = [line.rstrip("\n").split(";") for line in f]
        out[column] = {
            "rows": rows[:PREVIEW_ROWS],
            "leaves": len(rows),
            "distinct_per_level": [len({r[i] for r in rows}) for i in range(len(rows[0]))]
            if rows
            else [],
            "stored": True,
        }
    with ctx.session() as ws:
        for column, recipe in recipes.items():
            tmp = ws.temp_path(".csv")
            try:
                built = build_version_hierarchy(ws, ref, column, tmp, recipe)
                with open(tmp, encoding="utf-8") as f:
                    rows = [line.rstrip("\n").split(";") for line in islice(f, PREVIEW_ROWS)]
            finally:
                tmp.unlink(missing_ok=True)
            out[column] = {
                "rows": rows,
                "leaves": built.leaves,
                "distinct_per_level": built.distinct_per_level,
                "stored": False,
            }
    return out


def request_from_form(
    form: Any, stored: dict[str, str] | None = None
) -> tuple[Any, list[str], list[str]]:
    """The form's fields as an :class:`AnonymizeRequest`, the columns kept and dropped; ``stored``
    maps the ids of the workspace's stored hierarchies to their files."""
    from bulle.domain.anonymization_requests import AnonymizeRequest, HierarchyRecipe

    problems: list[Problem] = []
    recipes: dict[str, HierarchyRecipe] = {}
    files: dict[str, str] = {}
    sensitive, keep, drop = [], [], []
    for key, value in form.multi_items():
        if not key.startswith("treat:"):
            continue
        column, how = key[6:], str(value)
        chosen = str(form.get(f"stored:{column}", "")).strip()
        if how == "generalize" and chosen:
            if chosen in (stored or {}):
                files[column] = (stored or {})[chosen]
            else:
                problems.append(Problem(f"no stored hierarchy {chosen!r}", Where(column=column)))
        elif how == "generalize":
            kind = str(form.get(f"kind:{column}", "flat"))
            param = str(form.get(f"param:{column}", "")).strip()
            options = {RECIPE_PARAM[kind]: param} if param and kind in RECIPE_PARAM else {}
            try:
                recipes[column] = HierarchyRecipe(kind, **options)
            except Exception as exc:  # a bad recipe is the custodian's input: named, not a bug
                problems.append(Problem(str(getattr(exc, "message", exc)), Where(column=column)))
        elif how == "sensitive":
            sensitive.append(column)
        elif how == "keep":
            keep.append(column)
        elif how == "drop":
            drop.append(column)
        else:
            problems.append(Problem(f"unknown treatment {how!r}", Where(column=column)))
    models: dict[str, Any] = {}
    for field in model_fields():
        raw = str(form.get(f"model:{field['name']}", "")).strip()
        if not raw:
            continue
        if field["repeatable"]:
            models[field["name"]] = [v for v in re.split(r"[\s;]+", raw) if v]
        elif raw.isdigit():
            models[field["name"]] = int(raw)
        else:
            models[field["name"]] = raw
    try:
        suppression = float(str(form.get("suppression", "0")).replace(",", ".") or 0) / 100
    except ValueError:
        problems.append(
            Problem("the suppression limit must be a percentage", Where(field="suppression"))
        )
        suppression = 0.0
    if problems:
        raise ValidationError.from_problems("the anonymization form", problems)
    request = AnonymizeRequest.from_options(
        hierarchy=[f"{column}={file}" for column, file in files.items()],
        recipes=recipes,
        sensitive=sensitive,
        suppression=suppression,
        metric=str(form.get("metric", "loss")),
        **models,
    )
    return request, keep, drop


def _stored_files(ctx: RequestContext, form: Any) -> dict[str, str]:
    """The files of the stored hierarchies the form chose (by artefact id, through the service)."""
    from bulle.services.hierarchies import stored_hierarchy_file

    chosen = {str(v) for k, v in form.multi_items() if k.startswith("stored:") and str(v)}
    out = {}
    with ctx.session() as ws:
        for artefact in chosen:
            _, path = stored_hierarchy_file(ws, artefact)
            out[artefact] = str(path)
    return out


@router.post("/versions/{ref}/anonymize")
async def anonymize(ref: str, request: Request, ctx: Ctx) -> Response:
    """Run the release as a background task; the task's page links to the report."""
    form = await request.form()
    anon, keep, drop = request_from_form(form, _stored_files(ctx, form))
    if form.get("action") == "preview":
        previews = preview_hierarchies(
            ctx, ref, dict(anon.hierarchy_recipes), dict(anon.hierarchy_files)
        )
        return _form_page(request, ctx, ref, form, previews)

    def work(ws: Any, progress: Any) -> dict[str, Any]:
        from bulle.services.anonymization_file import anonymize_version

        progress("searching", None)
        return anonymize_version(ws, ref, anon, keep=keep, drop=drop)

    assert ctx.actor is not None
    task = ctx.state.tasks.submit("anonymize", ctx.actor, work)
    return Redirect(f"/tasks/{task['id']}", status_code=303)


def embedded(html: str) -> str:
    """The stored report's body, its headings one level down, to sit inside a page."""
    start, end = html.find("<main>"), html.rfind("</main>")
    body = html[start + len("<main>") : end] if start >= 0 and end > start else ""
    for level in (3, 2, 1):
        body = body.replace(f"<h{level}>", f"<h{level + 1}>").replace(
            f"</h{level}>", f"</h{level + 1}>"
        )
    return re.sub(r'\sstyle="[^"]*"', "", body)  # inline styles are refused by the page's CSP


def scoped_css(css: str, scope: str = ".risk-report") -> str:
    """The report's stylesheet confined to the embedded report (its rules name body, main...)."""
    out = []
    for rule in css.split("}"):
        if "{" not in rule:
            continue
        selectors, body = rule.split("{", 1)
        scoped = []
        for sel in selectors.split(","):
            sel = sel.strip()
            if sel in (":root", "body", "main"):
                scoped.append(scope)
            else:
                scoped.append(f"{scope} {sel}")
        out.append(f"{','.join(scoped)}{{{body}}}")
    return "\n".join(out)


@router.get("/versions/{ref}/report")
def report(ref: str, request: Request, ctx: Ctx) -> HTMLResponse:
    from bulle.services.reports import release_report

    with ctx.session() as ws:
        found = release_report(ws, ref)
    return page(request, ctx, "report.html", report=found, body=embedded(found.html))
