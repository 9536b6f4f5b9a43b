"""Vault routes: datasets and versions, profile, roles, preview, upload import, pseudonymize.

Each route parses, makes one service call in a session acting as the caller, and renders the
result's mapping (the same keys as the CLI's ``--json``). An upload is streamed to a private
temporary file under the workspace's ``data/.tmp`` (named by the server, never by the client),
then imported by a background task through the same atomic version commit as the CLI.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from bulle.errors import InputError, Where
from bulle.server.context import RequestContext, authorize

router = APIRouter(prefix="/api/v1", tags=["vault"])
Ctx = Annotated[RequestContext, Depends(authorize)]

FORMATS_BY_TYPE = {
    "text/csv": "csv",
    "application/vnd.apache.parquet": "parquet",
    "application/x-parquet": "parquet",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
}
EXTENSIONS = {"csv": ".csv", "parquet": ".parquet", "jsonl": ".jsonl"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RolesRequest(Strict):
    set: dict[str, str] = Field(default_factory=dict, description="COLUMN -> ROLE overrides")
    confirm: bool = Field(False, description="Confirm every suggested role not overridden")


class PseudonymizeRequest(Strict):
    columns: list[str] | None = None
    reid_table: bool = False


class PurposeRequest(Strict):
    purpose: str = Field(min_length=1, max_length=200)


def imported(ws: Any, v: Any) -> dict[str, Any]:
    """What `bulle import --json` prints for a new version."""
    roles = ws.catalog.roles(v.dataset, v.number)
    return {
        "dataset": v.dataset,
        "version": v.number,
        "ref": v.ref,
        "rows": v.row_count,
        "columns": v.schema,
        "content_hash": v.content_hash,
        "path": v.path,
        "roles": {r.column: r.role.value for r in roles},
    }


@router.get("/datasets")
def list_datasets(ctx: Ctx) -> dict[str, Any]:
    """Datasets and their versions (what `bulle datasets --json` prints)."""
    from bulle.services.vault import list_datasets as run

    with ctx.session() as ws:
        return {"datasets": run(ws)}


@router.get("/datasets/{name}/versions")
def versions(name: str, ctx: Ctx) -> dict[str, Any]:
    """Every version of a dataset with its lineage."""
    from bulle.services.vault import dataset_versions

    with ctx.session() as ws:
        return {"dataset": name, "versions": [v.to_dict() for v in dataset_versions(ws, name)]}


@router.get("/datasets/{ref}/profile")
def profile(ref: str, ctx: Ctx, refresh: bool = False) -> dict[str, Any]:
    from bulle.services.vault import profile_dataset

    with ctx.session() as ws:
        return profile_dataset(ws, ref, refresh=refresh).to_dict()


@router.post("/datasets/{ref}/roles")
def roles(ref: str, request: RolesRequest, ctx: Ctx) -> dict[str, Any]:
    """Confirm or override column roles (every problem reported at once)."""
    from bulle.services.vault import set_roles

    with ctx.session() as ws:
        result = set_roles(ws, ref, dict(request.set), confirm_all=request.confirm)
    return {"ref": ref, "roles": [r.to_dict() for r in result]}


@router.get("/datasets/{ref}/preview")
def preview(
    ref: str,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=0, le=1000)] = 10,
    column: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    """The first rows of a version (a recorded read), as `bulle show --json`."""
    from bulle.services.rows import json_rows
    from bulle.services.vault import read_table

    with ctx.session() as ws:
        table = read_table(ws, ref, columns=column or None, limit=limit)
    return {"ref": ref, "rows": json_rows(table)}


@router.post("/datasets/{name}/import", status_code=202)
async def import_upload(
    name: str,
    request: Request,
    ctx: Ctx,
    format: Literal["csv", "parquet", "jsonl"] | None = None,
    delimiter: Annotated[str | None, Query(max_length=3)] = None,
    header: bool | None = None,
    encoding: Annotated[str, Query(max_length=40)] = "utf-8",
) -> JSONResponse:
    """Stream the request body (the file itself) to disk and import it as a new version of
    ``name`` in a background task; answers the task (poll ``/api/v1/tasks/ID``)."""
    from bulle.domain.datasets import validate_dataset_name
    from bulle.fsutil import private_dirs

    validate_dataset_name(name)
    kind = format or FORMATS_BY_TYPE.get(
        request.headers.get("content-type", "").split(";")[0].strip().lower()
    )
    if kind is None:
        raise InputError(
            "say what the upload is: ?format=csv|parquet|jsonl or a Content-Type of text/csv, "
            "application/vnd.apache.parquet or application/x-ndjson",
            Where(field="format"),
        )
    if delimiter in ("\\t", "tab"):
        delimiter = "\t"
    tmp_root = ctx.state.root / "data" / ".tmp"
    folder = tmp_root / f"{os.getpid()}-{uuid.uuid4().hex}"  # the pid marks it alive (recover)
    private_dirs(folder, ctx.state.root)
    target = folder / f"upload{EXTENSIONS[kind]}"  # the client's file name is never used
    try:
        await _receive(request, target)
        actor = ctx.actor
        assert actor is not None

        def work(ws: Any, progress: Any) -> dict[str, Any]:
            from bulle.services.vault import import_table

            try:
                progress("importing", None)
                v = import_table(
                    ws,
                    target,
                    name,
                    fmt=kind,
                    delimiter=delimiter,
                    header=header,
                    encoding=encoding,
                )
                return imported(ws, v)
            finally:
                shutil.rmtree(folder, ignore_errors=True)

        task = ctx.state.tasks.submit("import", actor, work)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return JSONResponse(task, status_code=202, headers={"Location": f"/api/v1/tasks/{task['id']}"})


async def _receive(request: Request, target: Path) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        async for chunk in request.stream():
            if chunk:
                await run_in_threadpool(f.write, chunk)
        await run_in_threadpool(f.flush)
        await run_in_threadpool(os.fsync, f.fileno())


@router.post("/datasets/{ref}/pseudonymize")
def pseudonymize(ref: str, request: PseudonymizeRequest, ctx: Ctx) -> dict[str, Any]:
    """Replace direct identifiers with keyed tokens, in a new version."""
    from bulle.services.pseudonymization import pseudonymize as run

    with ctx.session() as ws:
        result = run(ws, ref, columns=request.columns, reid_table=request.reid_table)
    return result.to_dict() if hasattr(result, "to_dict") else result


@router.put("/datasets/{name}/purpose")
def dataset_purpose(name: str, request: PurposeRequest, ctx: Ctx) -> dict[str, Any]:
    """Record the purpose a dataset was collected for."""
    from bulle.services.governance import set_dataset_purpose

    with ctx.session() as ws:
        return set_dataset_purpose(ws, name, request.purpose).to_dict()
