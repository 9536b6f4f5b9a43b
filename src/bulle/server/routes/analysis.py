"""Analysis routes for the custodian: anonymize (a background task, its JSON and HTML risk
report), risk, hierarchies built from a version's values, text de-identification of columns.

Hierarchies are given as recipes (built where the data is), never as paths on the server: a
request names no file.
"""

from __future__ import annotations

import os
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from bulle.server.context import RequestContext, authorize

router = APIRouter(prefix="/api/v1", tags=["analysis"])
Ctx = Annotated[RequestContext, Depends(authorize)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Recipe(Strict):
    """How to build a column's hierarchy from its values (`bulle hierarchy build` options)."""

    kind: str = Field(min_length=1, max_length=40)
    width: str | None = None
    fanout: str | None = None
    origin: str = "0"
    levels: str = "month,year,decade"
    formats: list[str] = Field(default_factory=list)
    keep: str | None = None
    step: int = 1
    char: str = "*"
    order: str | None = None
    groups: str | None = None

    def domain(self) -> Any:
        from bulle.domain.anonymization_requests import HierarchyRecipe

        return HierarchyRecipe(**{**self.model_dump(), "formats": tuple(self.formats)})


class AnonymizeRequest(Strict):
    hierarchies: dict[str, Recipe] = Field(default_factory=dict)
    stored: dict[str, str] = Field(
        default_factory=dict,
        description="Column -> id of a hierarchy the workspace stored (GET /hierarchies)",
    )
    sensitive: list[str] = Field(default_factory=list)
    k: int | None = Field(None, ge=1)
    l_diversity: list[str] = Field(default_factory=list)
    t_closeness: list[str] = Field(default_factory=list)
    delta_presence: str | None = None
    suppression: float = Field(0.0, ge=0, le=1)
    metric: str = "loss"
    keep: list[str] | None = None
    drop: list[str] | None = None
    threshold: float | None = Field(None, ge=0, le=1)


class RiskRequest(Strict):
    quasi_identifiers: list[str] = Field(min_length=1)
    subject_id: str | None = None
    population: str | None = None
    threshold: float | None = Field(None, ge=0, le=1)


class HierarchyRequest(Strict):
    column: str = Field(min_length=1)
    recipe: Recipe


class TextRequest(Strict):
    columns: list[str] | None = None
    operator: str = "pseudonym"


@router.get("/hierarchies")
def hierarchies(
    ctx: Ctx, dataset: Annotated[str | None, Query(max_length=200)] = None
) -> dict[str, Any]:
    """The hierarchies the workspace keeps (each one a release used), newest first."""
    from bulle.services.hierarchies import stored_hierarchies

    with ctx.session() as ws:
        return {"hierarchies": [h.to_dict() for h in stored_hierarchies(ws, dataset)]}


@router.post("/datasets/{ref}/anonymize", status_code=202)
def anonymize(ref: str, request: AnonymizeRequest, ctx: Ctx) -> JSONResponse:
    """Release ``ref`` anonymized, as a new version, in a background task (`bulle anonymize`)."""
    from bulle.domain.anonymization_requests import AnonymizeRequest as Domain
    from bulle.services.hierarchies import stored_hierarchy_file

    with ctx.session() as ws:
        files = {c: stored_hierarchy_file(ws, a)[1] for c, a in request.stored.items()}
    domain = Domain.from_options(
        hierarchy=[f"{column}={file}" for column, file in files.items()],
        recipes={c: r.domain() for c, r in request.hierarchies.items()},
        sensitive=request.sensitive,
        k=request.k,
        l_diversity=request.l_diversity,
        t_closeness=request.t_closeness,
        delta_presence=request.delta_presence,
        suppression=request.suppression,
        metric=request.metric,
    )
    assert ctx.actor is not None

    def work(ws: Any, progress: Any) -> Any:
        from bulle.services.anonymization_file import anonymize_version

        progress("anonymizing", None)
        return anonymize_version(
            ws, ref, domain, keep=request.keep, drop=request.drop, threshold=request.threshold
        )

    task = ctx.state.tasks.submit("anonymize", ctx.actor, work)
    return JSONResponse(task, status_code=202, headers={"Location": f"/api/v1/tasks/{task['id']}"})


@router.get("/datasets/{ref}/risk-report", response_class=HTMLResponse)
def risk_report(ref: str, ctx: Ctx) -> Response:
    """The HTML risk report stored with an anonymized version."""
    from bulle.services.anonymization import release_report

    with ctx.session() as ws:
        html = release_report(ws, ref, "risk_report_html")
    return HTMLResponse(html)


@router.post("/datasets/{ref}/risk")
def risk(ref: str, request: RiskRequest, ctx: Ctx) -> dict[str, Any]:
    """Re-identification risk of a version (`bulle risk NAME`)."""
    from bulle.services.risk import measure_version_risk

    with ctx.session() as ws:
        report, v = measure_version_risk(
            ws,
            ref,
            request.quasi_identifiers,
            subject_id=request.subject_id,
            population=request.population,
            threshold=request.threshold,
        )
    return {"ref": v.ref, **report.to_dict()}


@router.post("/datasets/{ref}/hierarchy")
def hierarchy(ref: str, request: HierarchyRequest, ctx: Ctx) -> dict[str, Any]:
    """A generalization hierarchy of a column, built from the version's values (ARX format)."""
    from bulle.services.hierarchies import build_version_hierarchy

    with ctx.session() as ws:
        out = ws.tmp_dir / f"{os.getpid()}-{uuid.uuid4().hex}.csv"
        try:
            built = build_version_hierarchy(ws, ref, request.column, out, request.recipe.domain())
            text = out.read_text(encoding="utf-8")
        finally:
            out.unlink(missing_ok=True)
    summary = built.to_dict()
    summary.pop("output", None)  # a path on the server: the hierarchy itself is returned
    return {**summary, "hierarchy": text}


@router.post("/datasets/{ref}/text-deidentify", status_code=202)
def text_deidentify(ref: str, request: TextRequest, ctx: Ctx) -> JSONResponse:
    """Replace the personal data in free-text columns, in a new version (a background task)."""
    assert ctx.actor is not None

    def work(ws: Any, progress: Any) -> Any:
        from bulle.services.text import deidentify_columns

        progress("de-identifying", None)
        return deidentify_columns(ws, ref, columns=request.columns, operator=request.operator)

    task = ctx.state.tasks.submit("text", ctx.actor, work)
    return JSONResponse(task, status_code=202, headers={"Location": f"/api/v1/tasks/{task['id']}"})
