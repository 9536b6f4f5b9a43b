"""Models that can forget, over HTTP: train for a project (a task), list, predict, the card, the
membership audit (a task); forgetting and its verification stay the custodian's.

Every decision is the service's: training reads the project's rows as the caller
(``governance.access.can_read``), forgetting and auditing are the custodian's
(``can_administer``). Exporting a model's files stays on the custodian's machine
(``bulle model export``), like every other file that leaves the workspace.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from bulle.server.context import RequestContext, authorize

router = APIRouter(prefix="/api/v1", tags=["models"])
Ctx = Annotated[RequestContext, Depends(authorize)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TrainRequest(Strict):
    dataset: str = Field(min_length=1, max_length=200)
    target: str = Field(min_length=1, max_length=500)
    features: list[Annotated[str, Field(max_length=500)]] | None = Field(None, max_length=10_000)
    algorithm: Literal["lightgbm", "logistic"] = "lightgbm"
    shards: int | None = Field(None, ge=1, le=1024)
    name: str | None = Field(None, min_length=1, max_length=200)


class ForgetRequest(Strict):
    subjects: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        min_length=1, max_length=100_000
    )


class AuditRequest(Strict):
    shadows: int = Field(16, ge=16, le=1024)
    seed: int = Field(0, ge=0, le=2**31)


class PredictRequest(Strict):
    dataset: str | None = Field(None, min_length=1, max_length=200)


@router.post("/projects/{project}/models", status_code=202)
def train(project: str, request: TrainRequest, ctx: Ctx) -> JSONResponse:
    """Train a model for a project, as a task (`bulle model train`)."""
    from bulle.services.governance import plan_read

    assert ctx.actor is not None
    with ctx.session() as ws:  # refused now, not in the task, if the caller may not read it
        plan_read(ws, project, request.dataset)

    def work(ws: Any, progress: Any) -> Any:
        from bulle.services import model_training

        progress("training shards", None)
        return model_training.train(
            ws,
            project,
            request.dataset,
            request.target,
            request.features,
            algorithm=request.algorithm,
            shards=request.shards,
            name=request.name,
        ).to_dict()

    task = ctx.state.tasks.submit("model.train", ctx.actor, work)
    return JSONResponse(task, status_code=202, headers={"Location": f"/api/v1/tasks/{task['id']}"})


@router.get("/models")
def models(ctx: Ctx) -> dict[str, Any]:
    """The models the caller may see (an analyst: those of their projects)."""
    from bulle.services.models import list_models

    with ctx.session() as ws:
        return {"models": list_models(ws)}


@router.post("/models/{model}/predict")
def predict(model: str, request: PredictRequest, ctx: Ctx) -> dict[str, Any]:
    """Probabilities for a project dataset's rows (members of the model's project)."""
    from bulle.services.models import predict as run

    with ctx.session() as ws:
        return run(ws, model, request.dataset).to_dict()


@router.get("/models/{model}/card")
def card(model: str, ctx: Ctx) -> dict[str, Any]:
    from bulle.services.model_release import card as run

    with ctx.session() as ws:
        return run(ws, model)


@router.get("/models/{model}/card.html", response_class=HTMLResponse)
def card_page(model: str, ctx: Ctx) -> HTMLResponse:
    from bulle.services.model_release import card, card_html

    with ctx.session() as ws:
        return HTMLResponse(card_html(card(ws, model)))


@router.post("/models/{model}/audit", status_code=202)
def audit(model: str, request: AuditRequest, ctx: Ctx) -> JSONResponse:
    """The membership-inference audit and release decision, as a task (`bulle model audit`)."""
    from bulle.governance.access import can_administer
    from bulle.services.models import mstore

    assert ctx.actor is not None
    with ctx.session() as ws:  # refused or unknown now, not in the task
        can_administer(ws.actor, "audit a model").require()
        mstore(ws).model(model)

    def work(ws: Any, progress: Any) -> Any:
        from bulle.services.model_release import audit as run

        progress("training shadow models", None)
        return run(ws, model, shadows=request.shadows, seed=request.seed).to_dict()

    task = ctx.state.tasks.submit("model.audit", ctx.actor, work)
    return JSONResponse(task, status_code=202, headers={"Location": f"/api/v1/tasks/{task['id']}"})


@router.get("/subjects/{subject_id}/models")
def subject_models(subject_id: str, ctx: Ctx) -> dict[str, Any]:
    """Whether a subject's records trained each model, with their membership-audit scores (dpo)."""
    from bulle.services.model_subject import subject_models as run

    with ctx.session() as ws:
        return run(ws, subject_id)


@router.post("/models/{model}/forget")
def forget(model: str, request: ForgetRequest, ctx: Ctx) -> dict[str, Any]:
    """Forget people in a model: their shards retrained, a signed receipt (custodian)."""
    from bulle.services.forgetting import forget as run

    with ctx.session() as ws:
        return {"forgotten": [r.to_dict() for r in run(ws, request.subjects, model)]}


@router.post("/forget-receipts/{receipt}/verify")
def verify(receipt: str, ctx: Ctx) -> dict[str, Any]:
    """Retrain a receipt's shards from the manifest; byte-identical or not (custodian)."""
    from bulle.services.forgetting import verify_forget

    with ctx.session() as ws:
        return verify_forget(ws, receipt).to_dict()
